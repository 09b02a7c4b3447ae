/*
 * kmem.h — the kernel's allocator for object structures: per-CPU slab
 * caches for small sizes, whole page blocks above. It does no accounting;
 * quota.c charges the caller before calling here. A slab page is returned
 * to the page allocator the moment it empties, so destroying objects gives
 * back exactly the pages creating them took.
 */
#ifndef AERIE_KMEM_H
#define AERIE_KMEM_H

#include <stddef.h>
#include <stdint.h>

void kmem_init(void);

/* Returns zeroed memory of at least size bytes, or NULL. */
void *kmem_alloc(size_t size);
/* Frees memory from kmem_alloc; size must be the size asked for. */
void kmem_free(void *p, size_t size);
/* What an allocation of size really occupies (what quotas charge). */
size_t kmem_footprint(size_t size);

/* Whole pages, zeroed, as a physical address (0 on failure). */
uint64_t kmem_alloc_pages(unsigned order);
void kmem_free_pages(uint64_t phys, unsigned order);

#endif
