/*
 * realloc.c — C11 7.22.3.5. Keeps the block when the new size fits and
 * would not waste more than half of it; otherwise moves the contents to a
 * new block. realloc(p, 0) frees p and returns NULL, as glibc does (C17
 * leaves it to the implementation). On failure p is left as it was.
 */
#include <stdlib.h>
#include <string.h>
#include "malloc_impl.h"

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (__malloc_resize_in_place(p, n))
        return p;
    size_t live = __malloc_live(p);
    void *q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, n < live ? n : live);
    free(p);
    return q;
}
