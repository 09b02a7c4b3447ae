/*
 * vspace.c — address spaces: mapping Memory objects into tasks and taking
 * them out again, with TLB shootdowns for CPUs running the task.
 *
 * Lent ranges (TASK_BORROW). A borrower's entries for the lent ranges
 * (aerie/objects.h: the program region below the kernel info page, and
 * all from 512 GiB up) name its lender's tables, so a lender's thread
 * that promised to touch only those ranges (THREAD_RUN_BORROWED) runs
 * with the borrower's tables loaded, with no CR3 write (sched.c). Hence:
 * - a lender's translations may sit on any CPU running a borrower: its
 *   shootdowns go to vspace_cpus, the union of their cpus_active;
 * - a top-level entry the lender makes later reaches a borrower at its
 *   first fault there (vspace_lend_sync); the lender frees no table
 *   before its release;
 * - a lender's release first detaches every borrower (their lent entries
 *   cleared, their CPUs flushed), then frees its tables; a borrower's
 *   release puts its own region table back and frees only its own;
 * - the kernel never walks a borrower's tables into a lent range
 *   (vspace_translate refuses): those tables may go at any time.
 * Lending locks (lend_of): each address space has one, taken from a
 * static array by its address, so a lock can be taken with nothing known
 * alive (a borrower's lender may go at any moment, its lock may not). A
 * lender's list of borrowers is guarded by its own; a borrower's lender
 * and region table are written holding its own and its lender's (so
 * either one steadies them), its lent entries holding its own (BORROW
 * and a detach hold both, a fault's sync its own). Two are taken in
 * address order (lend_lock2). Hence a lender's shootdowns, a borrower's
 * fault and BORROW itself wait only for what shares a lock with them —
 * their own lender or borrowers — not for other containers' (SECURITY.md
 * 21ze F4; only two spaces that fall on the same lock share one by chance).
 * They nest inside vs->lock and hold nothing else.
 */
#include "vspace.h"
#include "memobj.h"
#include "quota.h"
#include "kmem.h"
#include "pagetable.h"
#include "printk.h"
#include "layout.h"
#include "object.h"
#include "lib/string.h"
#include "memory.h"
#include "pmm.h"
#include "percpu.h"
#include "sched.h"
#include <aerie/errors.h>
#include <aerie/kip.h>
#include <aerie/objects.h>

uint64_t kip_phys;

#define LEND_LOCKS 64
static spinlock_t lend_locks[LEND_LOCKS];

/* vs's lending lock: from its address alone, never from its memory. */
static spinlock_t *lend_of(const struct vspace *vs)
{
    uint64_t a = (uint64_t)(uintptr_t)vs;
    return &lend_locks[((a >> 6) ^ (a >> 12) ^ (a >> 18)) % LEND_LOCKS];
}

spinlock_t *vspace_lend_lock(const struct vspace *vs)
{
    return lend_of(vs);
}

/* Two lending locks (one when they are the same), in address order. */
static void lend_lock2(spinlock_t *a, spinlock_t *b)
{
    if (a == b) {
        spin_lock(a);
        return;
    }
    spin_lock(a < b ? a : b);
    spin_lock(a < b ? b : a);
}

static void lend_unlock2(spinlock_t *a, spinlock_t *b)
{
    spin_unlock(a);
    if (a != b)
        spin_unlock(b);
}

/* Locks b's lending lock and its lender's (both b's then), and returns
 * the lender — NULL, with b's alone locked, when it has none. The lender
 * is read before its lock is held, so it is checked again under both. */
static struct vspace *lend_lock_borrower(struct vspace *b)
{
    for (;;) {
        struct vspace *p = __atomic_load_n(&b->lender, __ATOMIC_ACQUIRE);
        spinlock_t *lp = p ? lend_of(p) : lend_of(b);
        lend_lock2(lend_of(b), lp);
        if (b->lender == p)
            return p;
        lend_unlock2(lend_of(b), lp);
    }
}

int vspace_init(struct vspace *vs, struct quota *q, struct task *t)
{
    spin_init(&vs->lock);
    list_init(&vs->mappings);
    list_init(&vs->borrowers);
    list_init(&vs->borrow_link);
    vs->quota = q;
    vs->task = t;
    int err;
    vs->root = pt_create(q, &err);
    if (!vs->root)
        return err;
    err = pt_map(vs->root, q, &vs->pt_pages, AERIE_KIP_ADDR, kip_phys, PT_R);
    if (err) {
        vspace_release(vs);
        return err;
    }
    return 0;
}

bool vspace_lent(uint64_t va)
{
    return (va >= AERIE_LENT_REGION_START && va < AERIE_LENT_REGION_END) || va >= AERIE_LENT_HIGH_START;
}

static bool lent_overlap(uint64_t va, uint64_t end)
{
    return (va < AERIE_LENT_REGION_END && AERIE_LENT_REGION_START < end) || end > AERIE_LENT_HIGH_START;
}

uint64_t vspace_cpus(struct vspace *vs)
{
    /* The entries our caller cleared are plain stores: without a fence
     * x86 may let the loads below pass them (store-buffer forwarding), so
     * a CPU that joined cpus_active, or a borrower attached, at that
     * moment could walk the old entries and still go unasked (attack9).
     * Then sequentially consistent against vspace_borrow's count, which it
     * takes before it attaches: a borrower counted after our look was
     * attached after the entries we cleared. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t mask = __atomic_load_n(&vs->cpus_active, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&vs->nborrowers, __ATOMIC_SEQ_CST))
        return mask;
    spin_lock(lend_of(vs));                  /* ours: other lenders' shootdowns go on meanwhile */
    list_for_each(n, &vs->borrowers)
        mask |= __atomic_load_n(&list_entry(n, struct vspace, borrow_link)->cpus_active, __ATOMIC_SEQ_CST);
    spin_unlock(lend_of(vs));
    return mask;
}

int vspace_borrow(struct vspace *c, struct vspace *p)
{
    if (c == p)
        return AE_EINVAL;
    spin_lock(&c->lock);
    int err = c->dead || __atomic_load_n(&p->dead, __ATOMIC_ACQUIRE) ? AE_EDEAD : 0;
    list_for_each(n, &c->mappings) {
        const struct mapping *m = list_entry(n, struct mapping, vs_link);
        if (!err && lent_overlap(m->va, m->va + m->npages * PAGE_SIZE))
            err = AE_EBUSY;
    }
    /* c's lock steadies c->lender and c's borrowers, p's steadies
     * p->lender: so a BORROW into p (which holds p's) and one of c's
     * borrowers (which holds c's) each see this one, and no chain forms. */
    lend_lock2(lend_of(c), lend_of(p));
    if (!err && (c->lender || c->nborrowers || p->lender))
        err = AE_EBUSY;                      /* one level only: no chains, no second lender */
    /* Counted before c's entries name p's tables (attack9): counted after,
     * an unmap of p's that looked in between (none counted: no lock, no
     * list) flushed only p's CPUs and freed its page while a CPU running
     * c had just walked p's tables to it through the new entries. A look
     * that sees the count waits for p's lending lock, and then finds c
     * listed. */
    if (!err) {
        __atomic_add_fetch(&p->nborrowers, 1, __ATOMIC_SEQ_CST);
        err = pt_lend(c->root, p->root, &c->own_region);
        if (err)
            __atomic_sub_fetch(&p->nborrowers, 1, __ATOMIC_SEQ_CST);
    }
    if (!err) {
        list_push_back(&p->borrowers, &c->borrow_link);
        __atomic_store_n(&c->lender, p, __ATOMIC_RELEASE);
    }
    lend_unlock2(lend_of(c), lend_of(p));
    spin_unlock(&c->lock);
    /* A CPU running c may cache its old region table (the kernel info
     * page alone): a lender's thread there would fault for ever. */
    if (!err) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);     /* after the new entries (as detach_borrowers) */
        tlb_shootdown(__atomic_load_n(&c->cpus_active, __ATOMIC_SEQ_CST), false);
    }
    return err;
}

bool vspace_lend_sync(struct vspace *b, uint64_t va)
{
    if (!vspace_lent(va) || va >= AERIE_USER_MAX)
        return false;
    bool done = false;
    /* b's own lock steadies b->lender, and the lender frees its tables
     * only after detaching b, which needs this lock. */
    spin_lock(lend_of(b));
    if (b->lender)
        done = pt_lend_sync(b->root, b->lender->root, va);
    spin_unlock(lend_of(b));
    return done;
}

/* Takes b's lent entries out; b's and its lender's lending locks held.
 * The caller flushes b's CPUs. */
static void unlend_locked(struct vspace *b)
{
    pt_unlend(b->root, b->own_region);
    list_remove(&b->borrow_link);
    list_init(&b->borrow_link);
    __atomic_sub_fetch(&b->lender->nborrowers, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&b->lender, NULL, __ATOMIC_RELEASE);
}

/* Before a lender's tables go: every borrower detached and every CPU
 * that may run one flushed, one at a time (a shootdown is not made
 * holding a lending lock, which the CPUs it waits for may be spinning
 * on). A borrower is found under p's lock alone and both locks are then
 * taken in order, so it is detached only if it is still p's first (its
 * own release may have detached it meanwhile: it is not touched before
 * that check, and its lock comes from its address alone). */
static void detach_borrowers(struct vspace *p)
{
    for (;;) {
        spin_lock(lend_of(p));
        if (list_empty(&p->borrowers)) {
            spin_unlock(lend_of(p));
            return;
        }
        struct vspace *b = list_entry(p->borrowers.next, struct vspace, borrow_link);
        spin_unlock(lend_of(p));
        lend_lock2(lend_of(b), lend_of(p));
        if (list_empty(&p->borrowers) || list_entry(p->borrowers.next, struct vspace, borrow_link) != b) {
            lend_unlock2(lend_of(b), lend_of(p));
            continue;
        }
        unlend_locked(b);
        /* The cleared entries are plain stores: fenced, a CPU that loads
         * b from now on walks them cleared, or is in the mask (attack9). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint64_t active = __atomic_load_n(&b->cpus_active, __ATOMIC_SEQ_CST);
        lend_unlock2(lend_of(b), lend_of(p));
        if (active)
            tlb_shootdown(active, true);
    }
}

/* Released address spaces whose tables a CPU was the last to leave wait
 * on that CPU's list (struct cpu's retired, touched by that CPU only, with
 * interrupts off) to be freed at its next safe point. */
static uint64_t retired_pending;             /* released, tables not yet freed (atomic) */

static void free_tables(struct vspace *vs)
{
    detach_borrowers(vs);                    /* a lender's: borrowers' CPUs flushed, waited for */
    struct vspace *p = lend_lock_borrower(vs);
    if (p)
        unlend_locked(vs);                   /* no CPU has its tables loaded: only its own go */
    lend_unlock2(lend_of(vs), lend_of(p ? p : vs));
    uint64_t freed = pt_destroy(vs->root);
    quota_release(vs->quota, freed * PAGE_SIZE, 0, 0);
    vs->root = 0;
}

/* Freeing an address space's tables waits for no other CPU. A CPU may still
 * have the tables in CR3 — idle, borrowing them (sched.c, "Address
 * spaces"), or on its way to other ones — and a CPU may walk the tables
 * CR3 names even while it uses none of their entries, so they cannot be
 * freed under it. Instead of asking it and waiting (an IPI to a vCPU the
 * host may not be running), VS_RETIRED goes into cpus_active in the same
 * atomic word the CPUs clear their bits in: whoever sees the word with
 * nothing else left — this call, or the last CPU to leave (vspace_left) —
 * frees them, exactly one of the two. Their charge, and the task's, come
 * back to the quota when the pages really are free: until then the quota
 * (and its parents, which it holds) shows them used; a CPU idle on them
 * is told to drop them at its next look, and a CPU halts only after
 * dropping them, so "then" is that CPU's next pass through its idle loop
 * or scheduler. */
bool vspace_release(struct vspace *vs)
{
    if (!vs->root)
        return true;
    unsigned me = cpu_index();
    if (__atomic_load_n(&vs->cpus_active, __ATOMIC_SEQ_CST) & (1ull << me))
        sched_tlb_flush_local();             /* the reaping idle thread here drops them itself */
    uint64_t was = __atomic_fetch_or(&vs->cpus_active, VS_RETIRED, __ATOMIC_SEQ_CST);
    if (was & ~VS_RETIRED) {                 /* vs is no longer ours to touch */
        for (unsigned c = 0; c < ncpus; c++)
            if (was & (1ull << c))
                sched_tlb_defer(c);          /* drop them at the next look */
        __atomic_add_fetch(&retired_pending, 1, __ATOMIC_RELAXED);
        return false;
    }
    free_tables(vs);
    return true;
}

void vspace_retire_here(struct vspace *vs)
{
    struct cpu *c = this_cpu();
    vs->retired_next = c->retired;
    c->retired = vs;
}

void vspace_free_retired(void)
{
    struct cpu *c = this_cpu();
    struct vspace *vs;
    while ((vs = c->retired)) {
        c->retired = vs->retired_next;
        free_tables(vs);
        obj_free_finish((struct kobject *)vs->task);
        __atomic_sub_fetch(&retired_pending, 1, __ATOMIC_RELEASE);
    }
}

bool vspace_settle(uint64_t ns)
{
    uint64_t until = time_now_ns() + ns;
    vspace_free_retired();                   /* this CPU's own first */
    while (__atomic_load_n(&retired_pending, __ATOMIC_ACQUIRE) || !sched_settled()) {
        if (time_now_ns() >= until)
            return false;
        spin_relax();                        /* servicing TLB requests meanwhile */
    }
    return true;
}

static bool overlaps(const struct vspace *vs, uint64_t va, uint64_t npages)
{
    uint64_t end = va + npages * PAGE_SIZE;
    if (va < AERIE_KIP_ADDR + PAGE_SIZE && AERIE_KIP_ADDR < end)
        return true;
    list_for_each(n, &vs->mappings) {
        const struct mapping *m = list_entry(n, struct mapping, vs_link);
        if (va < m->va + m->npages * PAGE_SIZE && m->va < end)
            return true;
    }
    return false;
}

/* Clears the page-table entries of m; vs->lock held. */
static void clear_ptes(struct vspace *vs, const struct mapping *m)
{
    pt_unmap_range(vs->root, m->va, m->npages);
    vs->mapped_pages -= m->npages;
}

static void shootdown(struct vspace *vs)
{
    tlb_shootdown(vspace_cpus(vs), false);
}

/* Up to this many pages, an unmap seen by this CPU alone is flushed page
 * by page (invlpg) rather than by reloading CR3: a loader's short-lived
 * views are small, and under TCG a reload empties the CPU's whole soft
 * TLB, which every later access then refills. */
#define FLUSH_PAGES_MAX 32

/* After clearing the entries of the mappings on gone (npages in all):
 * only this CPU can hold them when vs's cpus_active names no other (a
 * CPU that loads vs later reloads CR3), and then only while vs is its
 * loaded space — so invlpg in the loaded tables is enough. */
static void flush_gone(struct vspace *vs, struct list *gone, uint64_t npages)
{
    uint64_t active = vspace_cpus(vs);
    uint64_t me = 1ull << cpu_index();
    if (active & ~me || npages > FLUSH_PAGES_MAX) {
        tlb_shootdown(active, false);
        return;
    }
    if (!active)
        return;
    list_for_each(n, gone) {
        const struct mapping *m = list_entry(n, struct mapping, vs_link);
        tlb_flush_pages_local(m->va, m->npages);
    }
}

static uint64_t mapping_page(void *ctx, uint64_t i)
{
    const struct mapping *m = ctx;
    return memobj_page(m->mem, m->first + i);
}

int vspace_map(struct vspace *vs, struct memobj *mem, uint64_t first, uint64_t va,
               uint64_t npages, unsigned flags)
{
    size_t rec = kmem_footprint(sizeof(struct mapping));
    int err = quota_charge(vs->quota, rec, 0, 0);
    if (err)
        return err;
    struct mapping *m = kmem_alloc(sizeof *m);
    if (!m) {
        quota_release(vs->quota, rec, 0, 0);
        return AE_ENOMEM;
    }
    *m = (struct mapping){ .va = va, .npages = npages, .first = first, .flags = flags,
                           .mem = mem, .vs = vs };
    spin_lock(&vs->lock);
    err = vs->dead ? AE_EDEAD : overlaps(vs, va, npages) ? AE_EBUSY : 0;
    if (!err && vs->lender && lent_overlap(va, va + npages * PAGE_SIZE))
        err = AE_EBUSY;                      /* the lender's there: its tables are not ours to fill */
    /* The mapping is linked to the object before any entry is made, and
     * whether the object is copy-on-write is read under the object's lock
     * at that moment (attack6): a TASK_CLONE on another CPU that shares
     * the object (memobj_cow_clone, under the same lock) either came
     * first, and then we enter nothing writable, or sees this mapping and
     * refuses to share. Read before and linked after, a clone in between
     * left writable entries to pages the clone holds: our writes reached
     * another container's memory. An unmap of the object waits for our
     * vs->lock, so it never finds the mapping half made. */
    bool cow = false;
    if (!err) {
        spin_lock(&mem->obj.lock);
        cow = __atomic_load_n(&mem->flags, __ATOMIC_ACQUIRE) & MEMOBJ_COW;
        if (mem->obj.dead)
            err = AE_EDEAD;
        else if (cow && !list_empty(&mem->mappings) &&
                 list_entry(mem->mappings.next, struct mapping, mem_link)->vs != vs)
            err = AE_EBUSY;                  /* a copy-on-write object lives in one address space */
        else
            list_push_back(&mem->mappings, &m->mem_link);
        spin_unlock(&mem->obj.lock);
    }
    /* A copy-on-write object's pages are entered at their first touch
     * (vspace_touch): a clone that reads little pays for few page tables,
     * and TASK_CLONE's time does not grow with the pages the source has.
     * So are a lazy mapping's (AERIE_MAP_LAZY): a program's text, of which
     * a short run reads a small part. Otherwise every page present now
     * (a lazy object's untouched pages come at their fault). */
    bool entered = !err && !cow && !(flags & PT_LAZY);
    if (entered && (err = pt_map_range(vs->root, vs->quota, &vs->pt_pages, va, npages, flags, mapping_page, m))) {
        pt_unmap_range(vs->root, va, npages);    /* the range was free: clear whatever was made */
        spin_lock(&mem->obj.lock);
        list_remove(&m->mem_link);
        spin_unlock(&mem->obj.lock);
    }
    if (err) {
        spin_unlock(&vs->lock);
        if (entered)
            shootdown(vs);
        kmem_free(m, sizeof *m);
        quota_release(vs->quota, rec, 0, 0);
        return err;
    }
    obj_get(&mem->obj);
    obj_hold(&mem->obj);
    list_push_back(&vs->mappings, &m->vs_link);
    vs->mapped_pages += npages;
    spin_unlock(&vs->lock);
    return 0;
}

static void free_mapping(struct vspace *vs, struct mapping *m)
{
    obj_unhold(&m->mem->obj);
    obj_put(&m->mem->obj);
    kmem_free(m, sizeof *m);
    quota_release(vs->quota, kmem_footprint(sizeof *m), 0, 0);
}

int vspace_unmap(struct vspace *vs, uint64_t va, uint64_t bytes)
{
    uint64_t end = va + bytes;
    struct list gone;
    list_init(&gone);
    uint64_t npages = 0;
    spin_lock(&vs->lock);
    list_for_each(n, &vs->mappings) {
        struct mapping *m = list_entry(n, struct mapping, vs_link);
        uint64_t mend = m->va + m->npages * PAGE_SIZE;
        bool inside = m->va >= va && mend <= end;
        if (!inside && m->va < end && va < mend) {
            spin_unlock(&vs->lock);
            return AE_EINVAL;            /* would split a mapping */
        }
    }
    list_for_each_safe(n, tmp, &vs->mappings) {
        struct mapping *m = list_entry(n, struct mapping, vs_link);
        if (m->va < va || m->va + m->npages * PAGE_SIZE > end)
            continue;
        clear_ptes(vs, m);
        npages += m->npages;
        list_remove(&m->vs_link);
        spin_lock(&m->mem->obj.lock);
        list_remove(&m->mem_link);
        spin_unlock(&m->mem->obj.lock);
        list_push_back(&gone, &m->vs_link);
    }
    spin_unlock(&vs->lock);
    if (!list_empty(&gone))
        flush_gone(vs, &gone, npages);
    struct list *n;
    while ((n = list_pop_front(&gone)))
        free_mapping(vs, list_entry(n, struct mapping, vs_link));
    return 0;
}

void vspace_clear(struct vspace *vs)
{
    spin_lock(&vs->lock);
    vs->dead = true;
    spin_unlock(&vs->lock);
    vspace_unmap(vs, 0, AERIE_USER_MAX);
}

/* Takes one mapping of mem out of its address space; false when none is
 * left. The lock order (vspace, then memory object) means we drop mem's
 * lock to take the vspace's, then look again. */
static bool unmap_one_of(struct memobj *mem)
{
    spin_lock(&mem->obj.lock);
    if (list_empty(&mem->mappings)) {
        spin_unlock(&mem->obj.lock);
        return false;
    }
    struct vspace *vs = list_entry(mem->mappings.next, struct mapping, mem_link)->vs;
    struct kobject *owner = (struct kobject *)vs->task;
    obj_get(owner);                          /* keeps vs alive meanwhile */
    spin_unlock(&mem->obj.lock);

    struct mapping *found = NULL;
    spin_lock(&vs->lock);
    spin_lock(&mem->obj.lock);
    list_for_each(n, &mem->mappings) {
        struct mapping *m = list_entry(n, struct mapping, mem_link);
        if (m->vs == vs) {
            found = m;
            break;
        }
    }
    if (found) {
        list_remove(&found->mem_link);
        list_remove(&found->vs_link);
        clear_ptes(vs, found);
    }
    spin_unlock(&mem->obj.lock);
    spin_unlock(&vs->lock);
    if (found) {
        shootdown(vs);
        free_mapping(vs, found);
    }
    obj_put(owner);
    return true;
}

void vspace_unmap_memobj(struct memobj *mem)
{
    while (unmap_one_of(mem))
        ;
}

/* The mapping holding va; vs->lock held. */
static struct mapping *mapping_at(struct vspace *vs, uint64_t va)
{
    list_for_each(n, &vs->mappings) {
        struct mapping *m = list_entry(n, struct mapping, vs_link);
        if (va >= m->va && va - m->va < m->npages * PAGE_SIZE)
            return m;
    }
    return NULL;
}

/* How many pages a first touch of a lazy mapping enters at once: a
 * program's text is read in runs, and one fault for 16 pages costs less
 * than 16 faults, while a short program still enters few of its pages. */
#define LAZY_BATCH 16

struct batch {
    const struct mapping *m;
    uint64_t first;                          /* page index in m of the batch's first page */
};

static uint64_t batch_page(void *ctx, uint64_t i)
{
    const struct batch *b = ctx;
    return memobj_page(b->m->mem, b->m->first + b->first + i);
}

/* A touch of a lazy mapping of an object whose pages all exist: the
 * aligned group of LAZY_BATCH pages around va that lies in the mapping
 * gets its entries (a group never spans two page tables). */
static int touch_lazy_mapping(struct vspace *vs, const struct mapping *m, uint64_t va, bool write)
{
    if (write && !(m->flags & PT_W))
        return AE_EFAULT;                    /* a protection fault, for the handler */
    uint64_t group = LAZY_BATCH * PAGE_SIZE;
    uint64_t start = va & ~(group - 1), end = start + group, mend = m->va + m->npages * PAGE_SIZE;
    if (start < m->va)
        start = m->va;
    if (end > mend)
        end = mend;
    struct batch b = { m, (start - m->va) / PAGE_SIZE };
    /* Empty entries, or ones naming the same pages (another thread of the
     * task touched the group meanwhile): no CPU caches anything stale. */
    return pt_map_range(vs->root, vs->quota, &vs->pt_pages, start, (end - start) / PAGE_SIZE,
                        m->flags & ~PT_LAZY, batch_page, &b);
}

int vspace_touch_locked(struct vspace *vs, uint64_t va, bool write)
{
    va &= ~(uint64_t)(PAGE_SIZE - 1);
    struct mapping *m = vs->dead ? NULL : mapping_at(vs, va);
    if (!m)
        return AE_EFAULT;
    uint32_t mflags = __atomic_load_n(&m->mem->flags, __ATOMIC_ACQUIRE);
    if (!(mflags & (MEMOBJ_LAZY | MEMOBJ_COW)))
        return (m->flags & PT_LAZY) ? touch_lazy_mapping(vs, m, va, write) : AE_EFAULT;
    int err = 0;
    unsigned flags = m->flags & ~PT_LAZY;
    uint64_t i = m->first + (va - m->va) / PAGE_SIZE, page;
    if (write && (flags & PT_W)) {
        page = memobj_page_write(m->mem, i, vs, &err);
    } else {
        page = memobj_page_get(m->mem, i, &err);
        if (page && (m->mem->flags & MEMOBJ_COW) && pmm_shared(page))
            flags &= ~PT_W;                  /* shared: the first write copies it */
    }
    if (!page)
        return err ? err : AE_EFAULT;
    /* The entry was empty, or read-only for a page now this object's own
     * (memobj_page_write flushed any entry naming a page it let go of), so
     * no CPU caches a translation that matters: no shootdown. Another
     * thread of this task may have mapped it meanwhile: the same page. */
    return pt_map(vs->root, vs->quota, &vs->pt_pages, va, page, flags);
}

int vspace_touch(struct vspace *vs, uint64_t va, bool write)
{
    spin_lock(&vs->lock);
    int err = vspace_touch_locked(vs, va, write);
    spin_unlock(&vs->lock);
    return err;
}

int vspace_cow_fault(struct vspace *vs, uint64_t va)
{
    spin_lock(&vs->lock);
    const struct mapping *m = vs->dead ? NULL : mapping_at(vs, va & ~(uint64_t)(PAGE_SIZE - 1));
    int err = m && (m->flags & PT_W) && (m->mem->flags & MEMOBJ_COW) ? vspace_touch_locked(vs, va, true)
                                                                     : AE_EFAULT;
    spin_unlock(&vs->lock);
    return err;
}

void vspace_drop_page_locked(struct vspace *vs, struct memobj *mem, uint64_t i)
{
    bool cleared = false;
    spin_lock(&mem->obj.lock);
    list_for_each(n, &mem->mappings) {
        const struct mapping *m = list_entry(n, struct mapping, mem_link);
        if (m->vs == vs && i >= m->first && i - m->first < m->npages) {
            pt_unmap(vs->root, m->va + (i - m->first) * PAGE_SIZE);
            cleared = true;
        }
    }
    spin_unlock(&mem->obj.lock);
    if (cleared)
        shootdown(vs);                       /* waiting CPUs service requests: safe under locks */
}

void vspace_write_protect_locked(struct vspace *vs, struct memobj *mem)
{
    bool any = false;
    list_for_each(n, &mem->mappings) {
        const struct mapping *m = list_entry(n, struct mapping, mem_link);
        if (m->vs != vs || !(m->flags & PT_W))
            continue;
        pt_write_protect(vs->root, m->va, m->npages);
        any = true;
    }
    if (any)
        shootdown(vs);                       /* waiting CPUs service requests: safe under locks */
}

uint64_t vspace_translate(struct vspace *vs, uint64_t va, bool *writable)
{
    if (va >= AERIE_USER_MAX + PAGE_SIZE)
        return 0;
    /* A borrower's lent entries name its lender's tables, which a
     * release may free under us: not walked. */
    if (__atomic_load_n(&vs->lender, __ATOMIC_ACQUIRE) && vspace_lent(va))
        return 0;
    return pt_translate(vs->root, va, writable);
}

/* Checks that every page of [va, va+n) is mapped from ordinary memory
 * (writable too if write, and then touched: a lazy page gets its page
 * now): the decode step of vspace_copy. vs->lock held. */
static int copy_check(struct vspace *vs, uint64_t va, uint64_t n, bool write)
{
    for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + n; p += PAGE_SIZE) {
        const struct mapping *m = mapping_at(vs, p);
        if (!m)
            return AE_EFAULT;
        if ((m->flags & PT_UNCACHED) || (m->mem->flags & MEMOBJ_DEVICE))
            return AE_EINVAL;
        if (write && !(m->flags & PT_W))
            return AE_ERIGHTS;
    }
    for (uint64_t p = va & ~(PAGE_SIZE - 1); write && p < va + n; p += PAGE_SIZE) {
        const struct mapping *m = mapping_at(vs, p);     /* every page there before a byte moves */
        int err = 0;
        if (!memobj_page_write(m->mem, m->first + (p - m->va) / PAGE_SIZE, vs, &err))
            return err ? err : AE_ENOMEM;
    }
    return 0;
}

int vspace_copy(struct vspace *vs, uint64_t va, void *buf, uint64_t n, bool write)
{
    if (va >= AERIE_USER_MAX || n > AERIE_USER_MAX - va)
        return AE_EFAULT;
    spin_lock(&vs->lock);
    int err = vs->dead ? AE_EDEAD : copy_check(vs, va, n, write);
    char *b = buf;
    while (!err && n) {
        const struct mapping *m = mapping_at(vs, va);
        uint64_t in = va % PAGE_SIZE, chunk = PAGE_SIZE - in < n ? PAGE_SIZE - in : n;
        uint64_t page = memobj_page(m->mem, m->first + (va - m->va) / PAGE_SIZE);
        char *p = page ? (char *)phys_to_virt(page) + in : NULL;
        if (write)
            memcpy(p, b, chunk);                 /* copy_check gave every page one */
        else if (p)
            memcpy(b, p, chunk);
        else
            memset(b, 0, chunk);                 /* a lazy page never touched */
        va += chunk;
        b += chunk;
        n -= chunk;
    }
    spin_unlock(&vs->lock);
    return err;
}
