/* strtol.c — C11 7.22.1.4: strtol, strtoll and the POSIX/C99 intmax
 * variant, all through __intscan_signed. */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include "intscan.h"

long strtol(const char *restrict s, char **restrict end, int base)
{
    return (long)__intscan_signed(s, end, base, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    return __intscan_signed(s, end, base, LLONG_MIN, LLONG_MAX);
}

intmax_t strtoimax(const char *restrict s, char **restrict end, int base)
{
    return __intscan_signed(s, end, base, INTMAX_MIN, INTMAX_MAX);
}
