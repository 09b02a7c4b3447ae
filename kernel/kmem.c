/*
 * kmem.c — slab caches (32 .. 1024 bytes) per CPU, and page blocks for
 * anything larger.
 *
 * The size classes are not only powers of two: a container is a handful
 * of objects (quotas, a task, Memory objects, mapping records, a
 * capability chunk) whose sizes fall between them, and each rounds up to
 * its class, so 96, 192, 384, 576 and 768 keep a 328-byte quota from
 * occupying 512 bytes (docs/EVALUATION.md, memory per container).
 *
 * A slab is one page: a header, then equal objects. Each CPU allocates
 * from its own caches, so parallel creation on several CPUs does not share
 * a lock; a free goes back to the slab's owning cache under that cache's
 * lock. Empty slabs are freed at once (no hoarding), which keeps the free
 * page count exact across create/destroy cycles.
 *
 * Locking: each cache's lock guards its slab lists and its slabs' free
 * lists; the page allocator's lock nests inside.
 */
#include "kmem.h"
#include "pmm.h"
#include "percpu.h"
#include "printk.h"
#include "memory.h"
#include "lib/list.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define NCLASSES   11
static const size_t class_size[NCLASSES] = { 32, 64, 96, 128, 192, 256, 384, 512, 576, 768, 1024 };

struct slab_cache;

struct slab {
    struct slab_cache *cache;
    struct list link;           /* on the cache's partial or full list */
    void *free;                 /* free objects, linked through their first word */
    uint32_t inuse, capacity;
    uint64_t magic;
};

#define SLAB_MAGIC 0x5AB5AB5AB5AB5AB5ull
#define SLAB_HDR   64
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "the slab header fits its room");

struct slab_cache {
    spinlock_t lock;
    size_t size;
    struct list partial;        /* slabs with free objects */
    struct list full;
};

static struct slab_cache caches[MAX_CPUS][NCLASSES];

void kmem_init(void)
{
    for (unsigned c = 0; c < MAX_CPUS; c++)
        for (unsigned k = 0; k < NCLASSES; k++) {
            spin_init(&caches[c][k].lock);
            caches[c][k].size = class_size[k];
            list_init(&caches[c][k].partial);
            list_init(&caches[c][k].full);
        }
}

static int class_of(size_t size)
{
    for (int k = 0; k < NCLASSES; k++)
        if (size <= class_size[k])
            return k;
    return -1;
}

static unsigned order_of(size_t size)
{
    unsigned o = 0;
    while (((size_t)PAGE_SIZE << o) < size)
        o++;
    return o;
}

size_t kmem_footprint(size_t size)
{
    int k = class_of(size);
    return k >= 0 ? class_size[k] : (size_t)PAGE_SIZE << order_of(size);
}

uint64_t kmem_alloc_pages(unsigned order)
{
    uint64_t p = pmm_alloc(order);
    if (p)
        memset(phys_to_virt(p), 0, (size_t)PAGE_SIZE << order);
    return p;
}

void kmem_free_pages(uint64_t phys, unsigned order)
{
    pmm_free(phys, order);
}

/* Makes a new slab for cache; lock held. */
static struct slab *slab_new(struct slab_cache *c)
{
    uint64_t p = pmm_alloc_page();
    if (!p)
        return NULL;
    struct slab *s = phys_to_virt(p);
    /* The header takes 64 bytes, not a whole object: a 384-byte class
     * fits 10 objects a page, not 9. Objects stay 16-byte aligned. */
    size_t hdr = SLAB_HDR;
    s->cache = c;
    s->inuse = 0;
    s->capacity = (uint32_t)((PAGE_SIZE - hdr) / c->size);
    s->magic = SLAB_MAGIC;
    s->free = NULL;
    for (uint32_t i = s->capacity; i-- > 0;) {
        void **obj = (void **)((char *)s + hdr + i * c->size);
        *obj = s->free;
        s->free = obj;
    }
    list_push_front(&c->partial, &s->link);
    return s;
}

void *kmem_alloc(size_t size)
{
    int k = class_of(size);
    if (k < 0) {
        uint64_t p = kmem_alloc_pages(order_of(size));
        return p ? phys_to_virt(p) : NULL;
    }
    struct slab_cache *c = &caches[cpu_index()][k];
    spin_lock(&c->lock);
    struct slab *s = list_empty(&c->partial) ? slab_new(c)
                                             : list_entry(c->partial.next, struct slab, link);
    if (!s) {
        spin_unlock(&c->lock);
        return NULL;
    }
    void **obj = s->free;
    s->free = *obj;
    if (++s->inuse == s->capacity) {
        list_remove(&s->link);
        list_push_front(&c->full, &s->link);
    }
    spin_unlock(&c->lock);
    memset(obj, 0, c->size);
    return obj;
}

void kmem_free(void *p, size_t size)
{
    if (!p)
        return;
    int k = class_of(size);
    if (k < 0) {
        kmem_free_pages(virt_to_phys(p), order_of(size));
        return;
    }
    struct slab *s = (struct slab *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));
    if (s->magic != SLAB_MAGIC || s->cache->size != class_size[k])
        panic("kmem_free: %p (size %lu) is not a %lu-byte slab object", p, (uint64_t)size, (uint64_t)class_size[k]);
    struct slab_cache *c = s->cache;
    spin_lock(&c->lock);
    if (s->inuse == 0)
        panic("kmem_free: %p freed into an empty slab (double free?)", p);
    if (s->inuse == s->capacity) {
        list_remove(&s->link);
        list_push_front(&c->partial, &s->link);
    }
    *(void **)p = s->free;
    s->free = p;
    if (--s->inuse == 0) {
        list_remove(&s->link);
        s->magic = 0;
        pmm_free_page(virt_to_phys(s));
    }
    spin_unlock(&c->lock);
}
