/* memset.c — C11 7.24.6.1: fills n bytes with (unsigned char)c, a word at
 * a time. */
#include <string.h>
#include "word.h"

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t w = (unsigned char)c * 0x0101010101010101ull;
    for (; n >= 32; n -= 32, d += 32) {
        store_word(d, w);
        store_word(d + 8, w);
        store_word(d + 16, w);
        store_word(d + 24, w);
    }
    for (; n >= 8; n -= 8, d += 8)
        store_word(d, w);
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}
