/* strcspn.c — C11 7.24.5.3, with a 256-bit set of the rejected bytes (the
 * terminator always stops the scan). */
#include <stdint.h>
#include <string.h>

size_t strcspn(const char *s, const char *reject)
{
    uint64_t set[4] = { 1 };                /* NUL is in the set */
    for (const unsigned char *r = (const unsigned char *)reject; *r; r++)
        set[*r / 64] |= 1ull << (*r % 64);
    const unsigned char *p = (const unsigned char *)s;
    while (!(set[*p / 64] >> (*p % 64) & 1))
        p++;
    return (size_t)(p - (const unsigned char *)s);
}
