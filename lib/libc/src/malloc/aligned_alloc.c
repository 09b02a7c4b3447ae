/*
 * aligned_alloc.c — C11 7.22.3.1 and POSIX posix_memalign. An alignment
 * above MALLOC_ALIGN over-allocates and returns an aligned pointer inside
 * the block, with a MAGIC_ALIGNED header in front of it that leads free()
 * back to the block's start.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "malloc_impl.h"

static void *aligned_block(size_t align, size_t n)
{
    if (align <= MALLOC_ALIGN)
        return malloc(n);
    size_t total;
    if (__builtin_add_overflow(n, align + sizeof(struct block_header), &total)) {
        errno = ENOMEM;
        return NULL;
    }
    char *outer = malloc(total);
    if (!outer)
        return NULL;
    uintptr_t a = ((uintptr_t)outer + sizeof(struct block_header) + align - 1) & ~(uintptr_t)(align - 1);
    struct block_header *h = header_of((void *)a);
    h->magic = MAGIC_ALIGNED;
    h->cls = 0;
    h->size = a - (uintptr_t)outer;
    return (void *)a;
}

static int is_power_of_two(size_t x)
{
    return x && !(x & (x - 1));
}

void *aligned_alloc(size_t align, size_t n)
{
    if (!is_power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_block(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (!is_power_of_two(align) || align % sizeof(void *))
        return EINVAL;
    int saved = errno;
    void *p = aligned_block(align, n);
    errno = saved;                  /* posix_memalign reports through its result */
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
