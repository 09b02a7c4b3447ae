/*
 * pmm.c — buddy allocator for physical page frames (see pmm.h).
 *
 * A free block of order k starts at a frame aligned to 2^k, its head page
 * is PAGE_FREE_HEAD with order k and sits on free_lists[k]. Freeing merges a block with its buddy
 * (frame ^ 2^k) while the buddy is a free head of the same order.
 *
 * Locking: pmm_lock guards everything here. It is a leaf lock.
 */
#include "pmm.h"
#include <pmm_platform.h>   /* kernel/ or the host test shim */

static struct page *pages;
static uint64_t npfn;
static struct list free_lists[PMM_MAX_ORDER + 1];
static uint64_t nfree, ntotal;
static spinlock_t pmm_lock = SPINLOCK_INIT;

size_t pmm_metadata_bytes(uint64_t end_pfn)
{
    return (size_t)end_pfn * sizeof(struct page);
}

void pmm_init(void *meta, uint64_t end_pfn)
{
    pages = meta;
    npfn = end_pfn;
    nfree = ntotal = 0;
    for (uint64_t i = 0; i < end_pfn; i++) {
        list_init(&pages[i].link);
        pages[i].state = PAGE_RESERVED;
        pages[i].order = 0;
        pages[i].shares = 0;
    }
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        list_init(&free_lists[o]);
}

static void mark_head(uint64_t pfn, unsigned order, uint8_t state)
{
    pages[pfn].state = state;
    pages[pfn].order = (uint8_t)order;
}

/* Puts a block on its free list, merging with free buddies. Lock held.
 * Only heads carry a state worth reading; a head absorbed by a merge
 * becomes PAGE_INTERIOR so a later free of it is caught. */
static void free_block(uint64_t pfn, unsigned order)
{
    pages[pfn].state = PAGE_INTERIOR;
    while (order < PMM_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ull << order);
        if (buddy + (1ull << order) > npfn || pages[buddy].state != PAGE_FREE_HEAD ||
            pages[buddy].order != order)
            break;
        list_remove(&pages[buddy].link);
        pages[buddy].state = PAGE_INTERIOR;
        pfn &= ~(1ull << order);
        order++;
    }
    mark_head(pfn, order, PAGE_FREE_HEAD);
    list_push_front(&free_lists[order], &pages[pfn].link);
}

void pmm_add_range(uint64_t base, uint64_t len)
{
    uint64_t pfn = base / PMM_PAGE_SIZE;
    uint64_t end = (base + len) / PMM_PAGE_SIZE;
    if (end > npfn)
        end = npfn;
    if (pfn == 0)
        pfn = 1;                         /* 0 means "no page" */
    spin_lock(&pmm_lock);
    while (pfn < end) {
        unsigned order = 0;
        while (order < PMM_MAX_ORDER && !(pfn & ((2ull << order) - 1)) &&
               pfn + (2ull << order) <= end)
            order++;
        if (pages[pfn].state == PAGE_RESERVED) {
            free_block(pfn, order);
            nfree += 1ull << order;
            ntotal += 1ull << order;
        }
        pfn += 1ull << order;
    }
    spin_unlock(&pmm_lock);
}

uint64_t pmm_alloc(unsigned order)
{
    if (order > PMM_MAX_ORDER)
        return 0;
    spin_lock(&pmm_lock);
    unsigned o = order;
    while (o <= PMM_MAX_ORDER && list_empty(&free_lists[o]))
        o++;
    if (o > PMM_MAX_ORDER) {
        spin_unlock(&pmm_lock);
        return 0;
    }
    struct page *pg = list_entry(list_pop_front(&free_lists[o]), struct page, link);
    uint64_t pfn = (uint64_t)(pg - pages);
    while (o > order) {                  /* split, freeing the upper halves */
        o--;
        uint64_t upper = pfn + (1ull << o);
        mark_head(upper, o, PAGE_FREE_HEAD);
        list_push_front(&free_lists[o], &pages[upper].link);
    }
    mark_head(pfn, order, PAGE_USED_HEAD);
    nfree -= 1ull << order;
    spin_unlock(&pmm_lock);
    return pfn * PMM_PAGE_SIZE;
}

void pmm_free(uint64_t phys, unsigned order)
{
    uint64_t pfn = phys / PMM_PAGE_SIZE;
    if (phys % PMM_PAGE_SIZE || pfn == 0 || pfn >= npfn || order > PMM_MAX_ORDER)
        pmm_fatal("pmm_free: bad block 0x%lx order %u", (unsigned long)phys, order);
    spin_lock(&pmm_lock);
    if (pages[pfn].state != PAGE_USED_HEAD || pages[pfn].order != order)
        pmm_fatal("pmm_free: 0x%lx order %u is not an allocated block (state %u order %u)",
                  (unsigned long)phys, order, pages[pfn].state, pages[pfn].order);
    free_block(pfn, order);
    nfree += 1ull << order;
    spin_unlock(&pmm_lock);
}

void pmm_share(uint64_t phys)
{
    __atomic_add_fetch(&pages[phys / PMM_PAGE_SIZE].shares, 1, __ATOMIC_ACQ_REL);
}

bool pmm_unshare(uint64_t phys)
{
    uint32_t *n = &pages[phys / PMM_PAGE_SIZE].shares;
    uint32_t v = __atomic_load_n(n, __ATOMIC_ACQUIRE);
    do {
        if (v == 0)
            return true;                     /* the last owner: it frees the page */
    } while (!__atomic_compare_exchange_n(n, &v, v - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    return false;
}

bool pmm_shared(uint64_t phys)
{
    return __atomic_load_n(&pages[phys / PMM_PAGE_SIZE].shares, __ATOMIC_ACQUIRE) != 0;
}

uint64_t pmm_free_pages(void) { return __atomic_load_n(&nfree, __ATOMIC_RELAXED); }
uint64_t pmm_total_pages(void) { return ntotal; }

bool pmm_check(int (*print)(const char *fmt, ...))
{
    bool ok = true;
    uint64_t counted = 0;
    spin_lock(&pmm_lock);
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
        list_for_each(n, &free_lists[o]) {
            struct page *pg = list_entry(n, struct page, link);
            uint64_t pfn = (uint64_t)(pg - pages);
            if (pg->state != PAGE_FREE_HEAD || pg->order != o || (pfn & ((1ull << o) - 1))) {
                print("pmm_check: frame %lu on list %u has state %u order %u\n",
                      (unsigned long)pfn, o, pg->state, pg->order);
                ok = false;
            }
            counted += 1ull << o;
        }
    }
    if (counted != nfree) {
        print("pmm_check: free lists hold %lu pages, counter says %lu\n",
              (unsigned long)counted, (unsigned long)nfree);
        ok = false;
    }
    spin_unlock(&pmm_lock);
    return ok;
}
