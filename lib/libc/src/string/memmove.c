/* memmove.c — C11 7.24.2.2: copies n bytes as if through a temporary, so
 * the objects may overlap: forward when the destination is below the
 * source, backward otherwise. (Not through memcpy: its restrict lets the
 * compiler assume no overlap.) Each step loads a word before storing it,
 * so a word never overwrites source bytes not yet read. */
#include <stdint.h>
#include <string.h>
#include "word.h"

static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    for (; n >= 8; n -= 8, d += 8, s += 8)
        store_word(d, load_word(s));
    while (n--)
        *d++ = *s++;
}

static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    for (; n >= 8; n -= 8) {
        d -= 8;
        s -= 8;
        store_word(d, load_word(s));
    }
    while (n--)
        *--d = *--s;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n)   /* d below s, or no overlap */
        copy_forward(d, s, n);
    else
        copy_backward(d, s, n);
    return dst;
}
