/* strxfrm.c — C11 7.24.4.5; in the "C" locale the transform is a copy.
 * Returns the length of the transformed string; dst is written only if
 * it fits. */
#include <string.h>

size_t strxfrm(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strlen(src);
    if (len < n)
        memcpy(dst, src, len + 1);
    return len;
}
