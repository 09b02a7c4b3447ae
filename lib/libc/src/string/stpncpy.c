/* stpncpy.c — POSIX: strncpy returning a pointer to the first NUL written
 * (or dst + n if none was). */
#include <string.h>

char *stpncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strnlen(src, n);
    memcpy(dst, src, len);
    memset(dst + len, 0, n - len);
    return dst + len;
}
