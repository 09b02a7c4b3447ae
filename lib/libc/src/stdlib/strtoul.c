/* strtoul.c — C11 7.22.1.4: strtoul, strtoull and strtoumax, through
 * __intscan_unsigned ("-1" is ULONG_MAX, as the standard's negation "in
 * the return type" says). */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include "intscan.h"

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    return (unsigned long)__intscan_unsigned(s, end, base, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
    return __intscan_unsigned(s, end, base, ULLONG_MAX);
}

uintmax_t strtoumax(const char *restrict s, char **restrict end, int base)
{
    return __intscan_unsigned(s, end, base, UINTMAX_MAX);
}
