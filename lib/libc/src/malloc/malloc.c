/*
 * malloc.c — malloc and free (C11 7.22.3) over __sys_pages_alloc.
 *
 * Small requests round up to one of NCLASSES size classes (16-byte steps
 * to 128, then four steps per doubling to 32 KiB, so at most 25% is lost
 * to rounding). Each class has a LIFO free list under its own lock; an
 * empty list is refilled one block at a time from the current arena, a
 * page run that grows from 16 KiB to 1 MiB as the program asks for more.
 * Freed small blocks are reused, never returned to the OS. Larger
 * requests get their own page run, unmapped by free.
 *
 * Locks: class_lock[c] guards free_list[c]; arena_lock guards the arena
 * fields; a class lock may be held while taking arena_lock, never the
 * reverse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "asan.h"
#include "libc.h"
#include "lock.h"
#include "malloc_impl.h"
#include "sys.h"

#define ARENA_MIN (16u << 10)
#define ARENA_MAX (1u << 20)

struct free_block {
    struct free_block *next;
};

static volatile uint32_t class_lock[NCLASSES];
static struct free_block *free_list[NCLASSES];

static volatile uint32_t arena_lock;
static unsigned char *arena_next, *arena_end;
static size_t arena_size = ARENA_MIN;

size_t __malloc_class_size(unsigned cls)
{
    if (cls < 8)
        return 16 * (cls + 1);
    unsigned k = cls - 8, group = k / 4, step = k % 4;
    size_t base = (size_t)128 << group;
    return base + (base / 4) * (step + 1);
}

unsigned __malloc_class_of(size_t n)
{
    if (n <= 128)
        return n ? (unsigned)((n + 15) / 16 - 1) : 0;
    unsigned group = 63 - (unsigned)__builtin_clzll((n - 1) >> 7);
    size_t base = (size_t)128 << group, step = base / 4;
    return 8 + 4 * group + (unsigned)((n - base + step - 1) / step - 1);
}

/* Carves one block of class cls from the arena, mapping a new arena when
 * this one is too small. Returns the block's header, or NULL. */
static struct block_header *arena_carve(unsigned cls)
{
    size_t need = sizeof(struct block_header) + __malloc_class_size(cls);
    __lock(&arena_lock);
    if ((size_t)(arena_end - arena_next) < need) {
        size_t size = arena_size;
        while (size < need)
            size *= 2;
        unsigned char *a = __sys_pages_alloc(size);
        if (!a) {
            __unlock(&arena_lock);
            return NULL;
        }
        asan_poison(a, size);
        arena_next = a;             /* the old arena's tail (< need) is dropped */
        arena_end = a + size;
        if (arena_size < ARENA_MAX)
            arena_size *= 2;
    }
    struct block_header *h = (struct block_header *)arena_next;
    arena_next += need;
    __unlock(&arena_lock);
    asan_unpoison(h, sizeof *h);
    h->cls = cls;
    return h;
}

static void *small_alloc(size_t n)
{
    unsigned cls = __malloc_class_of(n);
    struct block_header *h;
    __lock(&class_lock[cls]);
    struct free_block *b = free_list[cls];
    if (b) {
        asan_unpoison(b, sizeof *b);
        free_list[cls] = b->next;
        __unlock(&class_lock[cls]);
        h = header_of(b);
        if (h->magic != MAGIC_SMALL_FREE || h->cls != cls)
            __libc_fatal("malloc: heap corruption: free block %p has a bad header", (void *)b);
    } else {
        __unlock(&class_lock[cls]);
        h = arena_carve(cls);
        if (!h)
            return NULL;
    }
    h->magic = MAGIC_SMALL_USED;
    h->size = n;
    asan_unpoison(h + 1, n);
    return h + 1;
}

static void *large_alloc(size_t n)
{
    if (n > SIZE_MAX - PAGE - sizeof(struct block_header))
        return NULL;
    size_t size = (n + sizeof(struct block_header) + PAGE - 1) & ~(size_t)(PAGE - 1);
    struct block_header *h = __sys_pages_alloc(size);
    if (!h)
        return NULL;
    h->magic = MAGIC_LARGE;
    h->size = size;
    return h + 1;
}

void *malloc(size_t n)
{
    void *p = n <= SMALL_MAX ? small_alloc(n) : large_alloc(n);
    if (!p)
        errno = ENOMEM;
    return p;
}

static void small_free(struct block_header *h)
{
    unsigned cls = h->cls;
    if (cls >= NCLASSES)
        __libc_fatal("free: heap corruption: block %p has class %u", (void *)(h + 1), cls);
    h->magic = MAGIC_SMALL_FREE;
    struct free_block *b = (struct free_block *)(h + 1);
    /* Poison before the block is on the list: once it is, another thread
     * may take it, and poisoning then would mark that thread's live block. */
    asan_poison(b, __malloc_class_size(cls));
    asan_unpoison(b, sizeof *b);
    __lock(&class_lock[cls]);
    b->next = free_list[cls];
    free_list[cls] = b;
    __unlock(&class_lock[cls]);
}

void free(void *p)
{
    if (!p)
        return;
    if ((uintptr_t)p % MALLOC_ALIGN)
        __libc_fatal("free: %p was not returned by malloc (misaligned)", p);
    struct block_header *h = header_of(p);
    switch (h->magic) {
    case MAGIC_SMALL_USED:
        small_free(h);
        return;
    case MAGIC_LARGE:
        h->magic = 0;
        __sys_pages_free(h, h->size);
        return;
    case MAGIC_ALIGNED:
        free((char *)p - h->size);
        return;
    case MAGIC_SMALL_FREE:
        __libc_fatal("free: double free of %p", p);
    default:
        __libc_fatal("free: %p was not returned by malloc", p);
    }
}

/* The block header of live pointer p, or a fatal error naming who asked. */
static struct block_header *live_header(void *p, const char *who)
{
    struct block_header *h = header_of(p);
    if ((uintptr_t)p % MALLOC_ALIGN ||
        (h->magic != MAGIC_SMALL_USED && h->magic != MAGIC_LARGE && h->magic != MAGIC_ALIGNED))
        __libc_fatal("%s: %p was not returned by malloc (or was freed)", who, p);
    return h;
}

size_t __malloc_live(void *p)
{
    struct block_header *h = live_header(p, "realloc");
    switch (h->magic) {
    case MAGIC_SMALL_USED:
        return h->size;
    case MAGIC_LARGE:
        return h->size - sizeof *h;
    default: {
        char *outer = (char *)p - h->size;
        return __malloc_live(outer) - h->size;
    }
    }
}

int __malloc_resize_in_place(void *p, size_t n)
{
    struct block_header *h = live_header(p, "realloc");
    if (h->magic == MAGIC_SMALL_USED) {
        size_t cap = __malloc_class_size(h->cls);
        if (n > cap || n <= cap / 2)
            return 0;
        h->size = n;
        asan_unpoison(p, n);
        asan_poison((char *)p + n, cap - n);
        return 1;
    }
    if (h->magic == MAGIC_LARGE) {
        size_t cap = h->size - sizeof *h;
        return n <= cap && n > cap / 2;
    }
    return 0;                       /* aligned blocks move (and lose the alignment) */
}
