/* strncat.c — C11 7.24.3.2: appends at most n bytes, always terminated. */
#include <string.h>

char *strncat(char *restrict dst, const char *restrict src, size_t n)
{
    char *d = dst + strlen(dst);
    size_t len = strnlen(src, n);
    memcpy(d, src, len);
    d[len] = 0;
    return dst;
}
