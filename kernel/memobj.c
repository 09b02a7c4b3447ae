/*
 * memobj.c — Memory objects (see memobj.h).
 */
#include "memobj.h"
#include "quota.h"
#include "vspace.h"
#include "kmem.h"
#include "pmm.h"
#include "memory.h"
#include "printk.h"
#include "thread.h"
#include "task.h"
#include "lib/string.h"
#include <aerie/errors.h>
#include <aerie/syscall.h>

#define MEMOBJ_MAX_BYTES (1ull << 32)    /* 4 GiB per object */

static unsigned order_for(uint64_t npages)
{
    unsigned o = 0;
    while ((1ull << o) < npages)
        o++;
    return o;
}

/* Lets go of the first n pages: a page another clone still holds stays
 * with it (pmm_unshare), the last owner frees it. */
static void free_pages(struct memobj *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = m->pages[i] & ~MEMOBJ_PAGE_LOW;
        if (p && pmm_unshare(p))             /* a lazy page never touched has none */
            pmm_free_page(p);
    }
}

/* Allocates and zeroes the pages (a lazy object: only the page array);
 * the quota has already been charged. */
static int alloc_pages(struct memobj *m)
{
    if (m->flags & MEMOBJ_CONTIG) {
        m->order = order_for(m->npages);
        m->base = kmem_alloc_pages(m->order);
        return m->base ? 0 : AE_ENOMEM;
    }
    m->pages = kmem_alloc(m->npages * sizeof(uint64_t));
    if (!m->pages)
        return AE_ENOMEM;
    if (m->flags & MEMOBJ_LAZY) {
        memset(m->pages, 0, m->npages * sizeof(uint64_t));
        return 0;
    }
    for (uint64_t i = 0; i < m->npages; i++) {
        m->pages[i] = kmem_alloc_pages(0);
        if (!m->pages[i]) {
            free_pages(m, i);
            kmem_free(m->pages, m->npages * sizeof(uint64_t));
            m->pages = NULL;
            return AE_ENOMEM;
        }
    }
    return 0;
}

/* Bytes charged besides the structure at creation: the pages and the page
 * array (a lazy object: the array; each page is charged when touched). */
static uint64_t pages_charge(uint64_t npages, uint32_t flags)
{
    if (flags & MEMOBJ_CONTIG)
        return (uint64_t)PAGE_SIZE << order_for(npages);
    uint64_t array = kmem_footprint(npages * sizeof(uint64_t));
    return (flags & MEMOBJ_LAZY) ? array : npages * PAGE_SIZE + array;
}

uint64_t memobj_page_get(struct memobj *m, uint64_t i, int *err)
{
    uint64_t p = memobj_page(m, i);
    if (p || !(m->flags & MEMOBJ_LAZY))
        return p;
    *err = m->obj.quota ? quota_charge(m->obj.quota, PAGE_SIZE, 0, 0) : AE_EDEAD;
    if (*err)
        return 0;
    uint64_t fresh = kmem_alloc_pages(0);
    if (!fresh) {
        quota_release(m->obj.quota, PAGE_SIZE, 0, 0);
        *err = AE_ENOMEM;
        return 0;
    }
    /* Two CPUs may touch the page at once: the first to store it wins and
     * the other gives its page and charge back. */
    uint64_t none = 0;
    if (!__atomic_compare_exchange_n(&m->pages[i], &none, fresh | MEMOBJ_PAID, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        kmem_free_pages(fresh, 0);
        quota_release(m->obj.quota, PAGE_SIZE, 0, 0);
        return none & ~MEMOBJ_PAGE_LOW;
    }
    __atomic_add_fetch(&m->present, 1, __ATOMIC_RELAXED);
    return fresh;
}

/* ---- copy-on-write (TASK_CLONE) ---- */

/* Gives m its own copy of page i if the page is still shared: charged to
 * m's quota unless m paid for the shared one (an eager object paid for
 * all its pages at creation; a lazy one for those marked MEMOBJ_PAID),
 * whose charge then moves to the copy. *old is set to the shared page m
 * no longer holds (the caller drops it once no TLB names it), or 0 when
 * there was nothing to copy (no longer shared, or another CPU copied it
 * first). Returns m's page, or 0 with *err set. */
static uint64_t cow_copy(struct memobj *m, uint64_t i, uint64_t *old, int *err)
{
    uint64_t cur = __atomic_load_n(&m->pages[i], __ATOMIC_ACQUIRE);
    *old = 0;
    if (!pmm_shared(cur & ~MEMOBJ_PAGE_LOW))
        return cur & ~MEMOBJ_PAGE_LOW;
    bool lazy = m->flags & MEMOBJ_LAZY, paid = !lazy || (cur & MEMOBJ_PAID);
    if (!paid && (*err = m->obj.quota ? quota_charge(m->obj.quota, PAGE_SIZE, 0, 0) : AE_EDEAD))
        return 0;
    uint64_t fresh = kmem_alloc_pages(0);
    if (!fresh) {
        if (!paid)
            quota_release(m->obj.quota, PAGE_SIZE, 0, 0);
        *err = AE_ENOMEM;
        return 0;
    }
    memcpy(phys_to_virt(fresh), phys_to_virt(cur & ~MEMOBJ_PAGE_LOW), PAGE_SIZE);
    /* The swap under m's lock (no caller holds it): memobj_cow_clone
     * reads m's page and shares it under that lock, so it never reads the
     * page m lets go of here and shares it only after our caller's
     * pmm_unshare — by when the last other holder may have freed it, and
     * the new clone would hold a free page (attack8). */
    spin_lock(&m->obj.lock);
    bool swapped = __atomic_compare_exchange_n(&m->pages[i], &cur, fresh | (lazy ? MEMOBJ_PAID : 0), false,
                                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    spin_unlock(&m->obj.lock);
    if (!swapped) {
        kmem_free_pages(fresh, 0);           /* another CPU gave m its copy first */
        if (!paid)
            quota_release(m->obj.quota, PAGE_SIZE, 0, 0);
        return cur & ~MEMOBJ_PAGE_LOW;
    }
    if (!paid)
        __atomic_add_fetch(&m->present, 1, __ATOMIC_RELAXED);
    *old = cur & ~MEMOBJ_PAGE_LOW;
    return fresh;
}

/* Clears the entries for page i of m in the address space that maps it
 * (one at most: vspace_map keeps a copy-on-write object in one), taking
 * that space's lock. */
static void drop_entries_unlocked(struct memobj *m, uint64_t i)
{
    spin_lock(&m->obj.lock);
    if (list_empty(&m->mappings)) {
        spin_unlock(&m->obj.lock);
        return;
    }
    struct vspace *vs = list_entry(m->mappings.next, struct mapping, mem_link)->vs;
    struct kobject *owner = (struct kobject *)vs->task;
    obj_get(owner);                          /* keeps vs alive meanwhile */
    spin_unlock(&m->obj.lock);
    spin_lock(&vs->lock);
    vspace_drop_page_locked(vs, m, i);
    spin_unlock(&vs->lock);
    obj_put(owner);
}

uint64_t memobj_page_write(struct memobj *m, uint64_t i, struct vspace *vs, int *err)
{
    uint64_t page = memobj_page_get(m, i, err);
    if (!page || !(__atomic_load_n(&m->flags, __ATOMIC_ACQUIRE) & MEMOBJ_COW) || !pmm_shared(page))
        return page;
    uint64_t old;
    page = cow_copy(m, i, &old, err);
    if (old) {
        if (vs)
            vspace_drop_page_locked(vs, m, i);
        else
            drop_entries_unlocked(m, i);
        if (pmm_unshare(old))                /* the others wrote their own copies meanwhile */
            pmm_free_page(old);
    }
    return page;
}

bool memobj_mapped_elsewhere(struct memobj *m, const struct vspace *vs)
{
    bool found = false;
    spin_lock(&m->obj.lock);
    list_for_each(n, &m->mappings)
        if (list_entry(n, struct mapping, mem_link)->vs != vs)
            found = true;
    spin_unlock(&m->obj.lock);
    return found;
}

static bool listed(const uint64_t *idx, uint32_t n, uint64_t i)
{
    for (uint32_t k = 0; k < n; k++)
        if (idx[k] == i)
            return true;
    return false;
}

/* Copies of src's UTCB pages are made before src's lock is taken (one per
 * source thread at most) and the unused ones given back after. */
static uint32_t alloc_spares(uint64_t *spare, uint32_t n)
{
    uint32_t got = 0;
    while (got < n && (spare[got] = kmem_alloc_pages(0)))
        got++;
    return got;
}

/* Pages of src present now (a lazy object's untouched ones have none);
 * src's lock held. */
static uint64_t count_present(const struct memobj *src)
{
    uint64_t held = 0;
    for (uint64_t i = 0; i < src->npages; i++)
        if (memobj_page(src, i))
            held++;
    return held;
}

/* Gives clone n every page src has now, src's lock held and its entries
 * in the caller's space already read-only and flushed: the pages listed
 * in idx (the source threads' UTCBs) are copied into spares, the others
 * shared. charged pages are paid for already; a lazy page another CPU
 * gave src since they were counted (Memory WRITE or COMMIT take no lock)
 * is paid now, or left out of the clone if the quota is out — it came
 * during the clone, so the clone may see it untouched. */
static void share_pages(struct memobj *src, struct memobj *n, struct quota *q, const uint64_t *idx,
                        uint32_t own, uint64_t *spare, uint32_t *nspare, uint64_t charged)
{
    uint64_t held = 0;
    for (uint64_t i = 0; i < src->npages; i++) {
        uint64_t p = memobj_page(src, i);
        if (!p || (held == charged && quota_charge(q, PAGE_SIZE, 0, 0)))
            continue;
        if (held == charged)
            charged++;
        if (listed(idx, own, i) && *nspare) {
            uint64_t c = spare[--*nspare];
            memcpy(phys_to_virt(c), phys_to_virt(p), PAGE_SIZE);
            n->pages[i] = c | MEMOBJ_PAID;
        } else {
            pmm_share(p);
            n->pages[i] = p | MEMOBJ_PAID;
        }
        held++;
    }
    __atomic_store_n(&n->present, held, __ATOMIC_RELEASE);
    if (held < charged)
        quota_release(q, (charged - held) * PAGE_SIZE, 0, 0);
}

struct memobj *memobj_cow_clone(struct memobj *src, struct quota *q, struct vspace *vs,
                                const struct cow_utcbs *utcbs, int *err)
{
    if (src->flags & (MEMOBJ_CONTIG | MEMOBJ_DEVICE | MEMOBJ_FIXED | MEMOBJ_PINNED)) {
        *err = AE_ETYPE;
        return NULL;
    }
    uint64_t idx[COW_MAX_UTCBS], spare[COW_MAX_UTCBS];
    spin_lock(&src->obj.lock);
    uint32_t want = utcbs->in(utcbs, src, idx, COW_MAX_UTCBS);
    spin_unlock(&src->obj.lock);
    if (want > COW_MAX_UTCBS) {
        *err = AE_ELIMIT;
        return NULL;
    }
    uint32_t nspare = alloc_spares(spare, want);
    struct memobj *n = nspare == want ? memobj_create_pages(q, src->npages * PAGE_SIZE, MEMOBJ_LAZY | MEMOBJ_COW, err)
                                      : NULL;
    if (!n) {
        if (nspare != want)
            *err = AE_ENOMEM;
        while (nspare)
            kmem_free_pages(spare[--nspare], 0);
        return NULL;
    }
    spin_lock(&src->obj.lock);
    bool elsewhere = false;
    list_for_each(l, &src->mappings)
        if (list_entry(l, struct mapping, mem_link)->vs != vs)
            elsewhere = true;
    /* A UTCB here is a direct kernel pointer into one of its pages (review3
     * F2). The source threads' own are counted again under this lock (a
     * thread's UTCB can move meanwhile): thread_set_utcb counts a new user
     * under this lock before it moves a thread and uncounts the old after,
     * so a count above the source threads' means another thread's UTCB is
     * here, and sharing is refused. The source threads' pages are copied,
     * not shared: src keeps them to itself, so their pointers stay good
     * whatever becomes of the clone. */
    uint32_t own = utcbs->in(utcbs, src, idx, COW_MAX_UTCBS);
    bool pinned = src->flags & MEMOBJ_PINNED;    /* set under this lock (MEM_PHYS, TRACE) */
    bool busy = pinned || elsewhere || own > nspare || src->utcb_users > own;
    /* Every shared page is charged to the clone too (review3 F1): each
     * holder pays for each page it holds, so a page stays charged to a
     * live quota whichever holder writes its own copy or goes first, and
     * the sum of the limits still bounds the memory in use. Sharing saves
     * physical memory and copying time, never quota. The charge moves to
     * the clone's own copy when it writes (cow_copy: paid). A copied UTCB
     * page is the clone's own, paid the same way. The charge is the last
     * refusal, made before anything changes. */
    uint64_t charged = busy ? 0 : count_present(src);
    *err = busy ? (pinned ? AE_ETYPE : AE_EBUSY) : quota_charge(q, charged * PAGE_SIZE, 0, 0);
    if (!*err) {
        /* Nothing can refuse now. Source writes must stop reaching the
         * pages before the clone holds them (forkcow): the object is
         * marked copy-on-write, its writable entries in vs are made
         * read-only and every CPU's TLB flushed, all under vs->lock and
         * this lock, so no CPU can write a page through a stale entry
         * after the clone shares it, and no fault can re-enter a writable
         * one meanwhile. Done after the refusals: a plain object whose
         * entries were made read-only and then refused would fault for
         * good (only LAZY/COW objects re-enter entries at a fault). */
        __atomic_or_fetch(&src->flags, MEMOBJ_COW, __ATOMIC_ACQ_REL);
        if (vs)
            vspace_write_protect_locked(vs, src);
        share_pages(src, n, q, idx, own, spare, &nspare, charged);
    }
    spin_unlock(&src->obj.lock);
    while (nspare)
        kmem_free_pages(spare[--nspare], 0);
    if (*err) {
        obj_put(&n->obj);                    /* it holds no page; nothing charged for pages */
        return NULL;
    }
    return n;
}

struct memobj *memobj_create_pages(struct quota *q, uint64_t bytes, uint32_t flags, int *err)
{
    uint64_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t extra = pages_charge(npages, flags);
    struct memobj *m = quota_new_object(q, AERIE_OBJ_MEMORY, sizeof *m, extra, err);
    if (!m)
        return NULL;
    m->npages = npages;
    m->flags = flags;
    list_init(&m->mappings);
    *err = alloc_pages(m);
    if (*err) {
        quota_release(q, extra, 0, 0);
        m->npages = 0;               /* nothing for release to free */
        obj_put(&m->obj);
        return NULL;
    }
    return m;
}

struct memobj *memobj_create_fixed(struct quota *q, uint64_t base, uint64_t bytes, uint32_t flags, int *err)
{
    struct memobj *m = quota_new_object(q, AERIE_OBJ_MEMORY, sizeof *m, 0, err);
    if (!m)
        return NULL;
    m->npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    m->flags = flags;
    m->base = base;
    list_init(&m->mappings);
    return m;
}

int memobj_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    uint64_t bytes, flags = 0;
    if (inv_arg(inv, 2, &bytes))
        return AE_EINVAL;
    if (inv->nargs > 3)
        flags = inv->args[3];
    if (bytes == 0 || bytes > MEMOBJ_MAX_BYTES)
        return inv_fail(inv, 2, AE_EINVAL);
    if ((flags & ~(uint64_t)(AERIE_MEM_CONTIG | AERIE_MEM_LAZY)) ||
        (flags & AERIE_MEM_CONTIG && flags & AERIE_MEM_LAZY))   /* DMA wants every page now */
        return inv_fail(inv, 3, AE_EINVAL);
    if ((flags & AERIE_MEM_CONTIG) && bytes > ((uint64_t)PAGE_SIZE << PMM_MAX_ORDER))
        return inv_fail(inv, 2, AE_EINVAL);
    int err;
    uint32_t kind = (flags & AERIE_MEM_CONTIG) ? MEMOBJ_CONTIG : (flags & AERIE_MEM_LAZY) ? MEMOBJ_LAZY : 0;
    struct memobj *m = memobj_create_pages(q, bytes, kind, &err);
    if (!m)
        return inv_fail(inv, 2, err);
    *out = &m->obj;
    return 0;
}

static void memobj_teardown(struct kobject *o)
{
    vspace_unmap_memobj((struct memobj *)o);
}

static void memobj_release(struct kobject *o)
{
    struct memobj *m = (struct memobj *)o;
    if (m->flags & (MEMOBJ_DEVICE | MEMOBJ_FIXED) || m->npages == 0)
        return;
    if (m->flags & MEMOBJ_CONTIG) {
        kmem_free_pages(m->base, m->order);
    } else {
        free_pages(m, m->npages);
        kmem_free(m->pages, m->npages * sizeof(uint64_t));
    }
    /* the structure's own charge is released by obj_free; the pages' here */
    if (m->obj.quota)
        quota_release(m->obj.quota, pages_charge(m->npages, m->flags) +
                      ((m->flags & MEMOBJ_LAZY) ? m->present * PAGE_SIZE : 0), 0, 0);
}

const struct obj_ops memobj_ops = {
    .teardown = memobj_teardown,
    .release = memobj_release,
    .size = sizeof(struct memobj),
};

/* SLICE: (quota cap, offset, bytes, dst slot). A boot module's pages are
 * never freed, so a slice of one is simply another fixed object over part
 * of the same range, with the rights of the capability it came from. */
static int memobj_slice(struct memobj *m, const struct capref *cap, struct invocation *inv)
{
    uint64_t qslot, off, bytes, slot;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &off) || inv_arg(inv, 2, &bytes) ||
        inv_arg(inv, 3, &slot))
        return AE_EINVAL;
    if (!(cap->rights & AERIE_R_READ))
        return AE_ERIGHTS;
    if (!(m->flags & MEMOBJ_FIXED))
        return inv_fail(inv, ~0u, AE_ETYPE);
    uint64_t size = m->npages * PAGE_SIZE;
    if (off % PAGE_SIZE || off >= size)
        return inv_fail(inv, 1, off % PAGE_SIZE ? AE_EINVAL : AE_ERANGE);
    if (bytes == 0 || bytes % PAGE_SIZE || bytes > size - off)
        return inv_fail(inv, 2, bytes > size - off ? AE_ERANGE : AE_EINVAL);
    struct cspace *cs = &inv->caller->task->cspace;
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 3, err);
    struct capref qc;
    if ((err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc)))
        return inv_fail(inv, 0, err);
    struct memobj *s = memobj_create_fixed((struct quota *)qc.obj, m->base + off, bytes, MEMOBJ_FIXED, &err);
    capref_put(&qc);
    if (!s)
        return inv_fail(inv, 0, err);
    if ((err = cap_install(cs, slot, &s->obj, cap->rights, 0))) {
        obj_destroy(&s->obj);
        return inv_fail(inv, 3, err);
    }
    return quota_adopt(s->obj.quota, &s->obj);
}

_Static_assert(AERIE_MEM_WRITE_MAX <= (INV_MAX_ARGS - 2) * 8, "WRITE's bytes fit the decoded arguments");
_Static_assert(AERIE_MEM_RW_MAX <= AERIE_MSG_WORDS * 8, "READ's bytes fit one reply");

/* Copies n bytes between buf and the object from byte off (checked by the
 * caller), a page at a time through the direct map. Reading a lazy page
 * never touched gives zeros and allocates nothing; writing one allocates
 * it, which can fail (the object keeps what was written before). */
static int copy_bytes(struct memobj *m, uint64_t off, void *buf, uint64_t n, bool to_object)
{
    char *b = buf;
    while (n) {
        uint64_t in = off % PAGE_SIZE, chunk = PAGE_SIZE - in < n ? PAGE_SIZE - in : n;
        int err = 0;
        if (to_object) {
            uint64_t page = memobj_page_write(m, off / PAGE_SIZE, NULL, &err);
            if (err)
                return err;
            memcpy((char *)phys_to_virt(page) + in, b, chunk);
        } else {
            /* Under m's lock, which cow_copy swaps m's page under: a
             * page m shares cannot be let go of by m and freed by its
             * last other holder while we read it (attack8). */
            spin_lock(&m->obj.lock);
            uint64_t page = memobj_page(m, off / PAGE_SIZE);
            if (page)
                memcpy(b, (char *)phys_to_virt(page) + in, chunk);
            else
                memset(b, 0, chunk);
            spin_unlock(&m->obj.lock);
        }
        off += chunk;
        b += chunk;
        n -= chunk;
    }
    return 0;
}

/* READ (offset, length) -> bytes in the reply words; WRITE (offset,
 * length, bytes from word 2): a service reaches a client's memory without
 * mapping it. Device memory is refused (its registers want uncached,
 * sized accesses, not memcpy). */
static int method_rw(struct memobj *m, const struct capref *cap, struct invocation *inv, bool write)
{
    uint64_t off, n, max = write ? AERIE_MEM_WRITE_MAX : AERIE_MEM_RW_MAX;
    if (!(cap->rights & (write ? AERIE_R_WRITE : AERIE_R_READ)))
        return AE_ERIGHTS;
    if (m->flags & MEMOBJ_DEVICE)
        return inv_fail(inv, ~0u, AE_EINVAL);
    if (inv_arg(inv, 0, &off) || inv_arg(inv, 1, &n))
        return AE_EINVAL;
    if (n > max || (write && n > (uint64_t)(inv->nargs - 2) * 8))
        return inv_fail(inv, 1, AE_EINVAL);
    uint64_t size = m->npages * PAGE_SIZE;
    if (off > size || n > size - off)
        return inv_fail(inv, 0, AE_ERANGE);
    if (write) {
        int err = copy_bytes(m, off, &inv->args[2], n, true);
        return err ? inv_fail(inv, ~0u, err) : 0;
    }
    inv->nreply = (unsigned)((n + 7) / 8);
    if (n % 8)
        inv->reply[n / 8] = 0;               /* the last word's unused bytes */
    return copy_bytes(m, off, inv->reply, n, false);
}

/* COMMIT (offset, bytes): a lazy object's pages in the range, now. */
static int method_commit(struct memobj *m, const struct capref *cap, struct invocation *inv)
{
    uint64_t off, n;
    if (!(cap->rights & AERIE_R_WRITE))
        return AE_ERIGHTS;
    if (inv_arg(inv, 0, &off) || inv_arg(inv, 1, &n))
        return AE_EINVAL;
    if (n > AERIE_MEM_COMMIT_MAX)
        return inv_fail(inv, 1, AE_EINVAL);
    uint64_t size = m->npages * PAGE_SIZE;
    if (off > size || n > size - off)
        return inv_fail(inv, 0, AE_ERANGE);
    if (!(m->flags & MEMOBJ_LAZY) || n == 0)
        return 0;
    for (uint64_t i = off / PAGE_SIZE; i <= (off + n - 1) / PAGE_SIZE; i++) {
        int err = 0;
        if (!memobj_page_get(m, i, &err))
            return inv_fail(inv, ~0u, err);
    }
    return 0;
}

/* No thread's UTCB is the source's own here: a UTCB in m makes CLONE busy. */
static uint32_t no_utcbs(const struct cow_utcbs *u, const struct memobj *m, uint64_t *idx, uint32_t max)
{
    (void)u, (void)m, (void)idx, (void)max;
    return 0;
}

/* Whether quota q is srcq or below it: m is the holder of srcq's own. */
static bool charged_below(const struct quota *q, const struct quota *srcq)
{
    for (; q; q = q->parent)
        if (q == srcq)
            return true;
    return false;
}

/* CLONE (quota cap for the clone, the object's own quota cap, dst slot):
 * a copy-on-write clone of one object, as TASK_CLONE makes of the memory
 * it copies (memobj_cow_clone): the same pages, each charged to the
 * clone's quota too; a write on either side copies the page for the
 * writer. Like TASK_CLONE it needs AERIE_R_CLONE on a quota the object is
 * charged to (or below), which only the boot quota's line has: a
 * container cannot share pages past its own quota with it. The object
 * may be mapped in the caller's address space only (its entries there
 * become read-only); both then live in that one address space. Decode
 * first: nothing is made or changed on an error. */
static int method_clone(struct memobj *m, const struct capref *cap, struct invocation *inv)
{
    uint64_t qslot, sqslot, slot;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &sqslot) || inv_arg(inv, 2, &slot))
        return AE_EINVAL;
    if ((cap->rights & (AERIE_R_READ | AERIE_R_WRITE)) != (AERIE_R_READ | AERIE_R_WRITE))
        return AE_ERIGHTS;
    struct cspace *cs = &inv->caller->task->cspace;
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 2, err);
    struct capref qc, sqc;
    if ((err = quota_lookup_clone_pair(cs, inv, qslot, sqslot, &qc, &sqc)))
        return err;
    struct memobj *n = NULL;
    if (!charged_below(m->obj.quota, (struct quota *)sqc.obj)) {
        err = inv_fail(inv, 1, AE_EINVAL);       /* not the object's own quota */
    } else {
        struct vspace *vs = &inv->caller->task->vs;
        static const struct cow_utcbs none = { no_utcbs };
        spin_lock(&vs->lock);
        n = memobj_cow_clone(m, (struct quota *)qc.obj, vs, &none, &err);
        spin_unlock(&vs->lock);
        if (!n)
            err = inv_fail(inv, err == AE_ENOMEM || err == AE_ELIMIT ? 0 : ~0u, err);
    }
    capref_put(&sqc);
    capref_put(&qc);
    if (!n)
        return err;
    if ((err = cap_install(cs, slot, &n->obj, cap->rights, 0))) {
        obj_destroy(&n->obj);                    /* unshares what it got */
        return inv_fail(inv, 2, err);
    }
    return quota_adopt(n->obj.quota, &n->obj);
}

int memobj_invoke(struct memobj *m, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    switch (label) {
    case AERIE_MEM_READ:
        return method_rw(m, cap, inv, false);
    case AERIE_MEM_WRITE:
        return method_rw(m, cap, inv, true);
    case AERIE_MEM_INFO:
        inv->reply[0] = m->npages * PAGE_SIZE;
        inv->reply[1] = m->flags;
        inv->reply[2] = (m->flags & MEMOBJ_LAZY) ? __atomic_load_n(&m->present, __ATOMIC_RELAXED) * PAGE_SIZE
                        : (m->flags & (MEMOBJ_DEVICE | MEMOBJ_FIXED)) ? 0 : m->npages * PAGE_SIZE;
        inv->nreply = 3;
        return 0;
    case AERIE_MEM_PHYS: {
        uint64_t off;
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        if (inv_arg(inv, 0, &off))
            return AE_EINVAL;
        if (off >= m->npages * PAGE_SIZE)
            return inv_fail(inv, 0, AE_ERANGE);
        int err = 0;
        /* Never cloned from now on: the device writes without a COW break
         * (review3 F4). Set under the lock memobj_cow_clone shares under,
         * before the write below: a clone made before shares the page, and
         * the write copies it. */
        spin_lock(&m->obj.lock);
        __atomic_or_fetch(&m->flags, MEMOBJ_PINNED, __ATOMIC_ACQ_REL);
        spin_unlock(&m->obj.lock);
        uint64_t page = memobj_page_write(m, off / PAGE_SIZE, NULL, &err);   /* a device may write it */
        if (!page)
            return inv_fail(inv, ~0u, err);
        inv->reply[0] = page + off % PAGE_SIZE;
        inv->nreply = 1;
        return 0;
    }
    case AERIE_MEM_SLICE:
        return memobj_slice(m, cap, inv);
    case AERIE_MEM_COMMIT:
        return method_commit(m, cap, inv);
    case AERIE_MEM_CLONE:
        return method_clone(m, cap, inv);
    default:
        return AE_ENOSYS;
    }
}
