/*
 * vspace.h — a task's address space: its page tables and the list of
 * mappings of Memory objects in it. Page tables and mapping records are
 * charged to the task's quota.
 *
 * Locking: vspace->lock guards the page tables and the mapping list; a
 * Memory object's lock nests inside it (it guards the object's own list
 * of mappings).
 */
#ifndef AERIE_VSPACE_H
#define AERIE_VSPACE_H

#include <stdint.h>
#include <stdbool.h>
#include "lib/list.h"
#include "lib/spinlock.h"

struct quota;
struct memobj;
struct task;

/* In cpus_active: vspace_release has run and the tables wait for the
 * CPUs whose bits are still set; the last to leave frees them. */
#define VS_RETIRED (1ull << 63)

struct vspace {
    spinlock_t lock;
    uint64_t root;                /* physical address of the top-level table */
    struct list mappings;
    uint64_t cpus_active;         /* CPUs that have its tables loaded and may cache its
                                   * translations, and VS_RETIRED (atomic) */
    struct vspace *retired_next;  /* on a CPU's list of tables to free (vspace.c) */
    uint64_t pt_pages;            /* page-table pages below the root */
    uint64_t mapped_pages;
    struct quota *quota;
    struct task *task;
    bool dead;
    /* Borrowing (TASK_BORROW; vspace.c, "Lent ranges"), under the
     * lending locks (vspace.c, lend_of): a borrower names its lender and
     * keeps its own region table aside; a lender lists its borrowers. */
    struct vspace *lender;
    uint64_t own_region;
    struct list borrowers, borrow_link;
    uint32_t nborrowers;
};

struct mapping {
    uint64_t va, npages, first;   /* first: page index within the Memory object */
    unsigned flags;               /* PT_* */
    struct memobj *mem;           /* reference held */
    struct vspace *vs;
    struct list vs_link, mem_link;
};

int vspace_init(struct vspace *vs, struct quota *q, struct task *t);
/* Unmaps everything (task teardown). */
void vspace_clear(struct vspace *vs);
/* Frees the page tables (task release) and returns their charge: true
 * when done. False when another CPU still has them loaded (an idle one
 * borrowing them, or one switching away): that CPU frees them, and
 * finishes freeing the task (obj_free_finish), when it leaves them — it
 * is not waited for. vs->task's memory must stay until then. */
bool vspace_release(struct vspace *vs);
/* This CPU's bit leaves vs's cpus_active after it loaded other tables
 * (sched.c); if vs was released meanwhile and this was the last CPU on
 * it, its freeing is queued on this CPU. Interrupts off. */
void vspace_retire_here(struct vspace *vs);
static inline void vspace_left(struct vspace *vs, uint64_t bit)
{
    /* Inline: it runs right after the CR3 write (kernel/hot.h). */
    if (__atomic_fetch_and(&vs->cpus_active, ~bit, __ATOMIC_SEQ_CST) == (VS_RETIRED | bit))
        vspace_retire_here(vs);              /* the last CPU on released tables */
}
/* Frees what vspace_left queued on this CPU: called where no lock is held
 * (obj_reap, the idle loop). */
void vspace_free_retired(void);
/* Waits up to ns for every released address space to be freed (each
 * waits only for another CPU's next pass through its idle loop or
 * scheduler), and for every CPU to have dropped the running reference of
 * the thread it last let go (sched_settled): for the debug statistics,
 * so that what a test reads after a destroy is everything given back.
 * False if some are still held. */
bool vspace_settle(uint64_t ns);

/* Maps npages of mem from page first at va. Checks done by the caller
 * except overlap (AE_EBUSY) and memory (AE_ENOMEM); all or nothing. */
int vspace_map(struct vspace *vs, struct memobj *mem, uint64_t first, uint64_t va,
               uint64_t npages, unsigned flags);
/* Removes every mapping inside [va, va+bytes); AE_EINVAL if one only
 * partly overlaps (then nothing changes). */
int vspace_unmap(struct vspace *vs, uint64_t va, uint64_t bytes);
/* Removes every mapping of mem, in every task. */
void vspace_unmap_memobj(struct memobj *mem);
/* Copies n bytes between buf and the task's memory at va (write: into
 * it), through its mappings: all or nothing. AE_EFAULT if a page is not
 * mapped, AE_EINVAL for device memory, AE_ERIGHTS writing a page mapped
 * read-only (a breakpoint needs the program's text privately writable,
 * never the shared copy another task also runs). A lazy page never
 * touched reads as zeros; a write touches it first (allocated and
 * charged, or the quota's error with nothing written). */
int vspace_copy(struct vspace *vs, uint64_t va, void *buf, uint64_t n, bool write);
/* Gives va's page of a lazy or copy-on-write Memory object (allocated and
 * charged now; for a write, the object's own copy of a shared page) its
 * page-table entry: 0 when done, AE_EFAULT when va is not in such a
 * mapping, the quota's or allocator's error when the page cannot be had.
 * The _locked form is called with vs->lock held. */
int vspace_touch(struct vspace *vs, uint64_t va, bool write);
int vspace_touch_locked(struct vspace *vs, uint64_t va, bool write);
/* A write to a present, read-only entry: 0 if it was a copy-on-write page
 * of a writable mapping (now the object's own, mapped writable), else
 * AE_EFAULT (a real protection fault) or the quota's error. */
int vspace_cow_fault(struct vspace *vs, uint64_t va);
/* Copy-on-write bookkeeping (memobj.c), vs->lock held: clears every entry
 * of vs naming page i of mem and flushes. */
void vspace_drop_page_locked(struct vspace *vs, struct memobj *mem, uint64_t i);
/* Makes every writable entry of mem in vs read-only and flushes every CPU
 * running vs before it returns; vs->lock and mem's lock held. */
void vspace_write_protect_locked(struct vspace *vs, struct memobj *mem);
/* Physical address of user address va, 0 if not mapped. */
uint64_t vspace_translate(struct vspace *vs, uint64_t va, bool *writable);

/* TASK_BORROW: c's lent ranges become p's tables. AE_EINVAL for c == p,
 * AE_EBUSY when c has (had) something of its own there, borrows already
 * or lends, or p borrows; AE_EDEAD for a dead one. */
int vspace_borrow(struct vspace *c, struct vspace *p);
/* Whether va lies in a lent range. */
bool vspace_lent(uint64_t va);
/* The CPUs that may hold vs's translations: its own cpus_active and, for
 * a lender, every borrower's. */
uint64_t vspace_cpus(struct vspace *vs);
/* A fault at lent va with b's tables loaded: true if b lacked a top-level
 * entry its lender has since made (now copied: retry the access). */
bool vspace_lend_sync(struct vspace *b, uint64_t va);
/* vs's lending lock (vspace.c, "Lending locks"): for ktest=lend. */
spinlock_t *vspace_lend_lock(const struct vspace *vs);

/* The kernel info page, mapped into every address space. */
extern uint64_t kip_phys;

#endif
