/* calloc.c — C11 7.22.3.2: zeroed memory for n objects of size bytes;
 * NULL with ENOMEM if n * size overflows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(total);
    return p ? memset(p, 0, total) : NULL;
}
