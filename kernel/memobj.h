/*
 * memobj.h — the Memory object: a run of physical pages that tasks map.
 * Pages are allocated and zeroed at creation (charged to the quota),
 * except for device memory and boot modules, which are ranges of physical
 * address space the kernel does not own, and lazy objects, whose pages
 * are allocated and charged one at a time when first touched (a page
 * fault in a task that maps it, WRITE, SET_UTCB): a stack or a .bss that
 * is mostly never used then costs only what is used. A Memory object knows every
 * mapping of itself, so destroying it unmaps it everywhere.
 *
 * Locking: obj.lock guards the mapping list. Order: a task's vspace lock,
 * then a Memory object's lock.
 */
#ifndef AERIE_MEMOBJ_H
#define AERIE_MEMOBJ_H

#include "object.h"
#include "cap.h"

#define MEMOBJ_CONTIG  0x1     /* one physically contiguous block */
#define MEMOBJ_DEVICE  0x2     /* device registers: mapped uncached, never freed */
#define MEMOBJ_FIXED   0x4     /* boot module: pages not from the allocator */
#define MEMOBJ_LAZY    0x8     /* pages[i] == 0 until page i is first touched */
#define MEMOBJ_COW     0x10    /* may hold pages another object also holds
                                * (TASK_CLONE): a write copies such a page */
#define MEMOBJ_PINNED  0x20    /* a physical address was handed out (MEM_PHYS) or
                                * it is a trace buffer: written by devices or the
                                * kernel without the COW break, so never cloned */

/* Low bits of a pages[] entry: MEMOBJ_PAID marks a lazy object's page
 * charged to this object's quota (counted in present). A clone's pages
 * shared from its source are paid too (memobj_cow_clone). */
#define MEMOBJ_PAID    0x1ull
#define MEMOBJ_PAGE_LOW 0xFFFull

struct memobj {
    struct kobject obj;
    uint64_t npages;
    uint32_t flags;
    uint32_t order;            /* CONTIG: the block's order */
    uint64_t base;             /* CONTIG, DEVICE, FIXED: first physical address */
    uint64_t *pages;           /* otherwise: the physical address of each page
                                * (LAZY: set once, by compare-and-swap) */
    uint64_t present;          /* LAZY: pages allocated so far (atomic) */
    uint32_t utcb_users;       /* threads whose UTCB is here (under obj.lock): the
                                * kernel holds direct pointers, so no COW clone */
    struct list mappings;
};

/* Page i's physical address; 0 for a lazy page not touched yet. */
static inline uint64_t memobj_page(const struct memobj *m, uint64_t i)
{
    return m->pages ? __atomic_load_n(&m->pages[i], __ATOMIC_ACQUIRE) & ~MEMOBJ_PAGE_LOW : m->base + i * 4096;
}

struct vspace;

/* Page i to be written: as memobj_page_get, and if the object shares it
 * copy-on-write with another, this object's own copy now (charged to its
 * quota unless it paid for the shared one). vs is the address space whose
 * lock the caller holds, or NULL; the page-table entries naming the old
 * page in this object's mappings are cleared (and flushed) before the old
 * page is let go, so no CPU can see the other owner's later writes. */
uint64_t memobj_page_write(struct memobj *m, uint64_t i, struct vspace *vs, int *err);

/* True if m is mapped in an address space other than vs; m's lock taken. */
bool memobj_mapped_elsewhere(struct memobj *m, const struct vspace *vs);

/* The UTCBs of the source's threads that lie in a memory object being
 * cloned: called under that object's lock, it stores the page index of
 * each (at most max) in idx and returns how many there are in all. */
struct cow_utcbs {
    uint32_t (*in)(const struct cow_utcbs *u, const struct memobj *m, uint64_t *idx, uint32_t max);
};
#define COW_MAX_UTCBS 64

/* A lazy copy-on-write clone of src (an object of pages, mapped in no
 * address space but vs, whose lock the caller holds), made from q: it
 * shares every page src has, each charged to q as well (a shared page is
 * paid for by every holder), and src becomes copy-on-write too: its
 * writable entries in vs are made read-only and every CPU's TLB flushed
 * before any page is shared, so no write of src's can reach a page the
 * clone holds; every refusal is decided before that. A page holding one of the source threads' UTCBs (utcbs->in) is
 * copied for the clone instead, never shared: the kernel writes a UTCB
 * through a direct pointer to its page, which a later copy-on-write break
 * on src's side would let go of. AE_EBUSY if src is mapped elsewhere or
 * backs UTCBs other than those; AE_ETYPE for DMA, device, boot or pinned
 * memory. NULL with *err set. */
struct memobj *memobj_cow_clone(struct memobj *src, struct quota *q, struct vspace *vs,
                                const struct cow_utcbs *utcbs, int *err);

/* Page i, allocated and charged to the object's quota now if it is a lazy
 * page not touched yet; 0 with *err set when the quota or memory is out. */
uint64_t memobj_page_get(struct memobj *m, uint64_t i, int *err);

int memobj_create(struct quota *q, struct invocation *inv, struct kobject **out);
/* A Memory object over physical range [base, base+bytes) not owned by the
 * allocator (boot modules with MEMOBJ_FIXED, devices with MEMOBJ_DEVICE). */
struct memobj *memobj_create_fixed(struct quota *q, uint64_t base, uint64_t bytes, uint32_t flags, int *err);
/* A new object of bytes with allocated pages (kernel-internal users). */
struct memobj *memobj_create_pages(struct quota *q, uint64_t bytes, uint32_t flags, int *err);
int memobj_invoke(struct memobj *m, const struct capref *cap, uint64_t label, struct invocation *inv);

extern const struct obj_ops memobj_ops;

#endif
