/* strncpy.c — C11 7.24.2.4: copies at most n bytes and pads with NULs to
 * n; the result is not terminated if src is n bytes or longer. */
#include <string.h>

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    stpncpy(dst, src, n);
    return dst;
}
