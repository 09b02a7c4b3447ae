/*
 * malloc_impl.h — the allocator's block layout (src/malloc/).
 *
 * Every block starts with a 16-byte header just before the pointer the
 * program sees, so free() finds a block's size and state without a
 * lookup, and can tell a double free or a stray pointer from a live
 * block. Small blocks (up to SMALL_MAX bytes) come in size classes carved
 * from arenas and return to per-class free lists; large blocks are page
 * runs of their own, returned to the OS on free.
 */
#ifndef LIBC_MALLOC_IMPL_H
#define LIBC_MALLOC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#define MALLOC_ALIGN 16
#define SMALL_MAX    32768
#define NCLASSES     40
#define PAGE         4096

/* struct block_header.magic: the block's state */
enum {
    MAGIC_SMALL_USED = 0x5a11a10c,
    MAGIC_SMALL_FREE = 0xf4eeb10c,
    MAGIC_LARGE      = 0x1a46eb1c,
    MAGIC_ALIGNED    = 0xa119ed00,  /* an aligned_alloc pointer inside a block */
};

struct block_header {
    uint32_t magic;
    uint32_t cls;           /* small: size class */
    size_t size;            /* small: bytes asked for; large: bytes mapped;
                               aligned: offset back to the block's start */
};

_Static_assert(sizeof(struct block_header) == MALLOC_ALIGN, "header keeps alignment");

static inline struct block_header *header_of(void *p)
{
    return (struct block_header *)p - 1;
}

/* Size classes (malloc.c). */
size_t __malloc_class_size(unsigned cls);
unsigned __malloc_class_of(size_t n);

/* The bytes of the live block p that hold the program's data (what it
 * asked for, or more); realloc copies these. */
size_t __malloc_live(void *p);

/* Resizes the live block p to n bytes where it stands, if n fits and
 * wastes no more than half of it; returns whether it did. */
int __malloc_resize_in_place(void *p, size_t n);

#endif
