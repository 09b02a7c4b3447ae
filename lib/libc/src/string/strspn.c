/* strspn.c — C11 7.24.5.6, with a 256-bit set of the accepted bytes. */
#include <stdint.h>
#include <string.h>

size_t strspn(const char *s, const char *accept)
{
    uint64_t set[4] = { 0 };
    for (const unsigned char *a = (const unsigned char *)accept; *a; a++)
        set[*a / 64] |= 1ull << (*a % 64);
    const unsigned char *p = (const unsigned char *)s;
    while (*p && (set[*p / 64] >> (*p % 64) & 1))
        p++;
    return (size_t)(p - (const unsigned char *)s);
}
