/* memccpy.c — POSIX: copies up to and including the first byte equal to
 * c; returns the byte after it in dst, or NULL if c was not found. */
#include <string.h>

void *memccpy(void *restrict dst, const void *restrict src, int c, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (; n; n--) {
        if ((*d++ = *s++) == (unsigned char)c)
            return d;
    }
    return NULL;
}
