/* memcpy.c — C11 7.24.2.1: copies n bytes between objects that do not
 * overlap, 32 bytes per step through unaligned word moves. */
#include <string.h>
#include "word.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (; n >= 32; n -= 32, d += 32, s += 32) {
        uint64_t a = load_word(s), b = load_word(s + 8);
        uint64_t c = load_word(s + 16), e = load_word(s + 24);
        store_word(d, a);
        store_word(d + 8, b);
        store_word(d + 16, c);
        store_word(d + 24, e);
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
        store_word(d, load_word(s));
    while (n--)
        *d++ = *s++;
    return dst;
}
