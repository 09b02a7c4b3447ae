/*
 * trace.c — per-quota event tracing (trace.h, aerie/trace.h): decoding
 * TRACE, and writing events into the attached Memory object through the
 * direct map. The buffer is the quota owner's memory (cm makes it from
 * the container's own quota); the kernel allocates only a quota's small
 * trace record, on its first TRACE, charged to the parent's holder.
 */
#include "trace.h"
#include "hot.h"
#include "quota.h"
#include "thread.h"
#include "memobj.h"
#include "kmem.h"
#include "memory.h"
#include "sched.h"
#include "percpu.h"
#include "lib/string.h"
#include <aerie/errors.h>

HOT_INLINE bool trace_on_inline(const struct thread *t)
{
    const struct quota *q = t->obj.quota;
    const struct trace *tr = q ? __atomic_load_n(&q->trace, __ATOMIC_ACQUIRE) : NULL;
    return tr && __atomic_load_n(&tr->mem, __ATOMIC_RELAXED);
}

bool trace_on(const struct thread *t)
{
    return trace_on_inline(t);
}

static void *trace_at(struct memobj *m, uint64_t off)
{
    return (char *)phys_to_virt(memobj_page(m, off / PAGE_SIZE)) + off % PAGE_SIZE;
}

void trace_event(struct thread *t, unsigned kind, uint64_t ts, uint64_t dur,
                 uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    struct quota *q = t->obj.quota;
    struct trace *tr = q ? __atomic_load_n(&q->trace, __ATOMIC_ACQUIRE) : NULL;
    if (!tr)
        return;
    struct aerie_trace_rec r = {
        .ts_ns = ts, .dur_ns = dur, .kind = (uint16_t)kind, .cpu = (uint16_t)cpu_index(),
        .tid = t->trace_id,   /* not its address: a trace reveals no kernel layout */ .a = a, .b = b, .c = c, .d = d,
    };
    spin_lock(&tr->lock);
    struct memobj *m = tr->mem;
    if (m && (tr->kinds & (1ull << kind))) {
        struct aerie_trace_hdr *h = trace_at(m, 0);
        uint64_t head = h->head, tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
        if (tail > head || head - tail >= tr->nrec) {
            h->dropped++;                        /* full (or a reader's nonsense): counted, never blocking */
        } else {
            memcpy(trace_at(m, sizeof *h + (head % tr->nrec) * sizeof r), &r, sizeof r);
            __atomic_store_n(&h->head, head + 1, __ATOMIC_RELEASE);
        }
    }
    spin_unlock(&tr->lock);
}

/* Puts m (or nothing) in as q's buffer and returns the old one. A quota
 * without a trace record has no buffer (m is NULL then: trace_method
 * makes the record first). */
static struct memobj *trace_swap(struct quota *q, struct memobj *m, uint64_t kinds)
{
    struct trace *tr = __atomic_load_n(&q->trace, __ATOMIC_ACQUIRE);
    if (!tr)
        return NULL;
    spin_lock(&tr->lock);
    struct memobj *old = tr->mem;
    if (m) {
        struct aerie_trace_hdr *h = trace_at(m, 0);
        tr->nrec = (m->npages * PAGE_SIZE - sizeof *h) / sizeof(struct aerie_trace_rec);
        tr->kinds = kinds;
        memset(h, 0, sizeof *h);
        h->magic = AERIE_TRACE_MAGIC;
        h->nrec = tr->nrec;
        h->kinds = kinds;
    }
    __atomic_store_n(&tr->mem, m, __ATOMIC_RELEASE);
    spin_unlock(&tr->lock);
    return old;
}

void trace_stop(struct quota *q)
{
    struct memobj *old = trace_swap(q, NULL, 0);
    if (old)
        obj_put(&old->obj);
}

void trace_free(struct quota *q)
{
    struct trace *tr = q->trace;
    if (tr) {
        kmem_free(tr, sizeof *tr);
        quota_release(q->parent, kmem_footprint(sizeof *tr), 0, 0);
    }
}

/* c's trace record, made (and charged to its parent q) by its first
 * TRACE; one that lost a race to another is given back. */
static int trace_record(struct quota *q, struct quota *c)
{
    if (__atomic_load_n(&c->trace, __ATOMIC_ACQUIRE))
        return 0;
    size_t charge = kmem_footprint(sizeof(struct trace));
    int err = quota_charge(q, charge, 0, 0);
    if (err)
        return err;
    struct trace *tr = kmem_alloc(sizeof *tr);
    if (!tr) {
        quota_release(q, charge, 0, 0);
        return AE_ENOMEM;
    }
    spin_init(&tr->lock);
    struct trace *none = NULL;
    if (!__atomic_compare_exchange_n(&c->trace, &none, tr, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        kmem_free(tr, sizeof *tr);
        quota_release(q, charge, 0, 0);
    }
    return 0;
}

/* TRACE (child quota, memory or 0, kinds): like WATCH, only the holder of
 * the parent may trace a quota, so a container (holding its own quota)
 * can neither read nor stop its trace. The memory needs READ and WRITE,
 * at least two pages, and must be ordinary memory with every page there
 * (no device registers, no boot module, not lazy: the kernel writes
 * events where no fault can be taken). */
/* trace_at writes straight into m's pages, past any COW break: m must
 * share no page (it was never cloned: an eager object only gets MEMOBJ_COW
 * by being a clone's source) and must never be cloned from now on. Both
 * under m's lock, which memobj_cow_clone holds while it shares. */
static bool pin_trace(struct memobj *m)
{
    spin_lock(&m->obj.lock);
    bool ok = !(m->flags & MEMOBJ_COW);
    if (ok)
        __atomic_or_fetch(&m->flags, MEMOBJ_PINNED, __ATOMIC_ACQ_REL);
    spin_unlock(&m->obj.lock);
    return ok;
}

int trace_method(struct quota *q, struct invocation *inv)
{
    uint64_t cslot, mslot, kinds;
    if (inv_arg(inv, 0, &cslot) || inv_arg(inv, 1, &mslot) || inv_arg(inv, 2, &kinds))
        return AE_EINVAL;
    if (kinds & ~(((1ull << AERIE_TRACE_KINDS) - 1) & ~1ull))
        return inv_fail(inv, 2, AE_EINVAL);
    struct cspace *cs = thread_cspace(inv->caller);
    struct capref cc, mc = { 0 };
    int err = cap_lookup(cs, cslot, AERIE_OBJ_QUOTA, 0, &cc);
    if (err)
        return inv_fail(inv, 0, err);
    struct quota *c = (struct quota *)cc.obj;
    struct memobj *m = NULL;
    if (c->parent != q)
        err = inv_fail(inv, 0, AE_EINVAL);
    else if (mslot && (err = cap_lookup(cs, mslot, AERIE_OBJ_MEMORY, AERIE_R_READ | AERIE_R_WRITE, &mc)))
        inv_fail(inv, 1, err);
    else if (mslot && ((((struct memobj *)mc.obj)->flags & (MEMOBJ_DEVICE | MEMOBJ_FIXED | MEMOBJ_LAZY)) ||
                       ((struct memobj *)mc.obj)->npages < 2))
        err = inv_fail(inv, 1, AE_EINVAL);
    else if (mslot && !pin_trace((struct memobj *)mc.obj))
        err = inv_fail(inv, 1, AE_EBUSY);        /* it shares pages copy-on-write (review3 F4) */
    else if (mslot && (err = trace_record(q, c)))
        inv_fail(inv, ~0u, err);
    if (!err) {
        m = (struct memobj *)mc.obj;
        if (m)
            obj_get(&m->obj);                    /* the quota's reference */
        struct memobj *old = trace_swap(c, m, kinds);
        if (old)
            obj_put(&old->obj);
    }
    capref_put(&mc);
    capref_put(&cc);
    return err;
}
