/*
 * pmm.h — the physical page allocator: a buddy allocator over page frames,
 * blocks of 2^order pages up to PMM_MAX_ORDER. It keeps its metadata in an
 * array of struct page indexed by frame number and never touches the pages
 * themselves, so it can be compiled and tested on the host.
 *
 * Kernel objects do not call it directly for their own memory: they come
 * from a quota (quota.c), which charges the caller and then calls here.
 */
#ifndef AERIE_PMM_H
#define AERIE_PMM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "lib/list.h"

#define PMM_PAGE_SIZE  4096u
#define PMM_MAX_ORDER  10        /* largest block: 4 MiB */

struct page {
    struct list link;            /* on a free list while a free block head */
    uint8_t order;               /* block order, valid on block heads */
    uint8_t state;               /* PAGE_* below */
    uint16_t pad;
    uint32_t shares;             /* owners besides the first (copy-on-write
                                  * Memory, memobj.c); 0 when free (atomic) */
};

enum { PAGE_RESERVED = 0, PAGE_FREE_HEAD, PAGE_USED_HEAD, PAGE_INTERIOR };

/* Bytes of metadata needed to manage frames [0, end_pfn). */
size_t pmm_metadata_bytes(uint64_t end_pfn);

/* Starts with every frame reserved; meta must hold pmm_metadata_bytes. */
void pmm_init(void *meta, uint64_t end_pfn);

/* Gives frames [base, base+len) (bytes, page aligned) to the allocator. */
void pmm_add_range(uint64_t base, uint64_t len);

/* Returns the physical address of 2^order free, contiguous, naturally
 * aligned pages, or 0 when none are left. Page 0 is never handed out. */
uint64_t pmm_alloc(unsigned order);
void pmm_free(uint64_t phys, unsigned order);

static inline uint64_t pmm_alloc_page(void) { return pmm_alloc(0); }
static inline void pmm_free_page(uint64_t phys) { pmm_free(phys, 0); }

/* Copy-on-write sharing of one allocated page (memobj.c): pmm_share adds
 * an owner; pmm_unshare drops one and returns true when the caller was
 * the last, who then frees the page; pmm_shared says whether more than
 * one owner holds it now. */
void pmm_share(uint64_t phys);
bool pmm_unshare(uint64_t phys);
bool pmm_shared(uint64_t phys);

uint64_t pmm_free_pages(void);
uint64_t pmm_total_pages(void);

/* Checks the free lists against the page array; returns false (and says
 * why through the supplied printer) if anything disagrees. Used by tests. */
bool pmm_check(int (*print)(const char *fmt, ...));

#endif
