/*
 * task_clone.c — TASK_CLONE: a new task that is a copy of a stopped one
 * (what `aerie fork` is made of, services/cm/fork.c).
 *
 * The copy gets the same mappings at the same addresses, its memory shared
 * copy-on-write with the original (memobj.c: a write in either copies the
 * page and charges the writer), the same capability slots, and a copy of
 * its one thread — or, with AERIE_CLONE_ALL_THREADS, of every thread of a
 * task Task SUSPEND stopped (task_stop.c): registers, TLS base, FPU state,
 * each with a private UTCB; the copy is then born suspended. What is "the container's own" is decided by
 * quota: an object charged to the source quota the caller names (or below
 * it) is the source's, and the copy gets its own — a copy-on-write Memory,
 * a slice of its own over a boot module's pages the source's slice covers,
 * a fresh empty endpoint or notification, itself for the task and thread,
 * the clone's quota for the source quota. Anything else (image pages,
 * service endpoints, memory someone else paid for) is shared as it is,
 * like MAP_SHARED memory and inherited descriptors in a Unix fork; the
 * caller replaces the grants that must not be shared before it starts the
 * copy. Decode, then perform: every check before anything is made, and
 * one cleanup path that destroys everything made if a step fails.
 */
#include "task.h"
#include "thread.h"
#include "memobj.h"
#include "quota.h"
#include "ipc.h"
#include "notification.h"
#include "layout.h"
#include "kmem.h"
#include "lib/string.h"
#include <aerie/errors.h>

#define CLONE_MAX_OBJECTS  256   /* distinct objects one clone may translate */
#define CLONE_MAX_MAPPINGS 256

struct xlate {
    struct kobject *from, *to;   /* to == from: shared; reference held on to */
};

/* A thread of the source and its copy (NULL: a dead thread, not copied). */
struct tpair {
    struct thread *from, *to;    /* reference held on from; to is linked into q */
};

struct remap {
    uint64_t va, npages, first;
    unsigned flags;
    struct memobj *mem;          /* the clone's (reference held in the table) */
};

struct clone {
    struct cow_utcbs utcbs;      /* first: memobj_cow_clone calls back with it */
    struct invocation *inv;
    struct task *src, *dst;
    struct thread *sth, *dth;    /* the first live thread and its copy (word 3's) */
    struct tpair *th;            /* every thread copied: one, or with ALL_THREADS each */
    unsigned nth;
    struct kobject *handler;     /* the new threads' fault endpoint (word 5), or NULL */
    uint64_t handler_badge;
    struct quota *q;             /* the clone's objects come from here */
    struct quota *srcq;          /* what the source owns is charged here or below */
    uint64_t qslot;              /* the caller's capability to q */
    uint64_t flags;              /* AERIE_CLONE_* */
    struct xlate *map;
    unsigned nmap;
    struct remap *maps;
    unsigned nmaps;
};

static bool owned(const struct clone *c, const struct kobject *o)
{
    for (const struct quota *q = o->quota; q; q = q->parent)
        if (q == c->srcq)
            return true;
    return false;
}

static struct kobject *lookup(const struct clone *c, const struct kobject *o)
{
    for (unsigned i = 0; i < c->nmap; i++)
        if (c->map[i].from == o)
            return c->map[i].to;
    return NULL;
}

/* Records from -> to (taking a reference on to). */
static int record(struct clone *c, struct kobject *from, struct kobject *to)
{
    if (c->nmap == CLONE_MAX_OBJECTS)
        return AE_ELIMIT;
    obj_get(to);
    c->map[c->nmap++] = (struct xlate){ from, to };
    return 0;
}

/* A new object made here is linked into q at once, so the cleanup path
 * (or q's destruction) can always destroy it. */
static int adopt(struct clone *c, struct kobject *from, struct kobject *to)
{
    int err = quota_adopt(c->q, to);             /* on failure it destroyed to */
    if (!err && (err = record(c, from, to)))
        obj_destroy(to);
    return err;
}

/* How many of the source's threads have their UTCB in m, and in which
 * pages (memobj_cow_clone copies those for the clone rather than share
 * them, and calls this under m's lock; a dead thread's UTCB is never
 * written again, but it is counted like the others). */
static uint32_t utcbs_in(const struct cow_utcbs *u, const struct memobj *m, uint64_t *idx, uint32_t max)
{
    const struct clone *c = (const struct clone *)u;
    uint32_t n = 0;
    for (unsigned i = 0; i < c->nth; i++) {
        const struct thread *t = c->th[i].from;
        if (__atomic_load_n(&t->utcb_mem, __ATOMIC_ACQUIRE) != m)
            continue;
        if (n < max)
            idx[n] = __atomic_load_n(&t->utcb_off, __ATOMIC_RELAXED) / PAGE_SIZE;
        n++;
    }
    return n;
}

/* The copy of thread o if it is one of the source's copied threads: *out
 * is then its copy, or NULL for a dead one. */
static bool copied_thread(const struct clone *c, const struct kobject *o, struct thread **out)
{
    for (unsigned i = 0; i < c->nth; i++)
        if (&c->th[i].from->obj == o) {
            *out = c->th[i].to;
            return true;
        }
    return false;
}

/* The clone's counterpart of Memory m. vs: the source's address space,
 * locked, or NULL (a capability pass: m is then mapped nowhere it could
 * be written through without a fault, or only elsewhere). */
static int xlate_mem(struct clone *c, struct memobj *m, struct vspace *vs, struct memobj **out)
{
    struct kobject *done = lookup(c, &m->obj);
    if (done) {
        *out = (struct memobj *)done;
        return 0;
    }
    int err;
    struct memobj *n;
    if ((m->flags & MEMOBJ_DEVICE) || !owned(c, &m->obj)) {
        *out = m;                                /* devices, others' memory: shared */
        return record(c, &m->obj, &m->obj);
    }
    if (m->flags & MEMOBJ_FIXED) {
        /* A slice of a boot module the source owns (a Linux program's file,
         * cm's MEM SLICE): its pages are never freed, so the clone gets a
         * slice of its own over the same pages. Shared as it was, the
         * source's end destroyed it and took its mappings out of the clone
         * too (a Linux clone's text vanished when its original exited). */
        if (!(n = memobj_create_fixed(c->q, m->base, m->npages * PAGE_SIZE, MEMOBJ_FIXED, &err)))
            return err;
        *out = n;
        return adopt(c, &m->obj, &n->obj);
    }
    if (m->flags & (MEMOBJ_CONTIG | MEMOBJ_PINNED))
        return AE_ETYPE;                         /* DMA memory, a physical address handed out, a
                                                  * trace buffer: a writer the COW break misses */
    if (memobj_mapped_elsewhere(m, &c->src->vs))
        /* Memory a service maps too (an fs or net buffer): the clone gets
         * zeroed memory there; its runtime attaches new buffers to its
         * own sessions, which never knew the old ones. */
        n = memobj_create_pages(c->q, m->npages * PAGE_SIZE, MEMOBJ_LAZY, &err);
    else
        n = memobj_cow_clone(m, c->q, vs, &c->utcbs, &err);
    if (!n)
        return err;
    *out = n;
    return adopt(c, &m->obj, &n->obj);
}

/* Mappings: the source's, translated, recorded for mapping into the
 * clone once the source's lock is dropped. */
static int clone_mappings(struct clone *c)
{
    struct vspace *vs = &c->src->vs;
    int err = 0;
    spin_lock(&vs->lock);
    list_for_each(n, &vs->mappings) {
        const struct mapping *m = list_entry(n, struct mapping, vs_link);
        if (c->nmaps == CLONE_MAX_MAPPINGS) {
            err = AE_ELIMIT;
            break;
        }
        struct memobj *to;
        if ((err = xlate_mem(c, m->mem, vs, &to)))
            break;
        c->maps[c->nmaps++] = (struct remap){ m->va, m->npages, m->first, m->flags, to };
    }
    spin_unlock(&vs->lock);                      /* memobj_cow_clone flushed what it protected */
    for (unsigned i = 0; !err && i < c->nmaps; i++) {
        const struct remap *r = &c->maps[i];
        err = vspace_map(&c->dst->vs, r->mem, r->first, r->va, r->npages, r->flags);
    }
    return err;
}

/* One capability of the source, at the same slot of the clone. */
static int clone_cap(struct clone *c, uint64_t slot, const struct capref *r)
{
    struct cspace *to = &c->dst->cspace;
    struct kobject *o = r->obj, *n = NULL;
    struct thread *th;
    int err = 0;
    if (r->type == AERIE_OBJ_REPLY)
        return 0;                                /* a one-shot reply is the source's alone */
    if (o == &c->src->obj)
        n = &c->dst->obj;
    else if (r->type == AERIE_OBJ_THREAD && copied_thread(c, o, &th)) {
        if (!th)
            return 0;                            /* a dead thread: its slot stays empty */
        n = &th->obj;
    }
    else if (o == &c->srcq->obj)
        return cap_copy(&c->inv->caller->task->cspace, c->qslot, to, slot, r->rights, 0);
    else if (r->type == AERIE_OBJ_MEMORY) {
        struct memobj *nm = NULL;
        err = xlate_mem(c, (struct memobj *)o, NULL, &nm);
        n = nm ? &nm->obj : NULL;
    }
    else if (!owned(c, o))
        /* A grant: shared, same badge, unless the caller asked for none
         * (review3 F3: copies of the original's fault or fs capability in
         * other slots would reach the original's handler and session). */
        return (c->flags & AERIE_CLONE_OWN_CAPS) ? 0 : cap_copy(&c->src->cspace, slot, to, slot, 0xFF, 0);
    else if ((n = lookup(c, o)) == NULL) {
        struct invocation none = { .caller = c->inv->caller };
        if (r->type == AERIE_OBJ_ENDPOINT)
            err = endpoint_create(c->q, &none, &n);
        else if (r->type == AERIE_OBJ_NOTIFICATION)
            err = notification_create(c->q, &none, &n);
        else
            return AE_ETYPE;                     /* its own quotas, tasks, other threads */
        if (!err)
            err = adopt(c, o, n);
    }
    if (err)
        return err;
    if (n == o)                                  /* shared memory */
        return cap_copy(&c->src->cspace, slot, to, slot, 0xFF, 0);
    return cap_install(to, slot, n, r->rights, r->badge);
}

/* Only chunks that exist are walked (review3 F8: one capability at a
 * slot near AERIE_CSPACE_MAX made this walk every slot below it), so the
 * work is bounded by what the source's quota paid for; between chunks
 * this CPU serves TLB requests, as batched revocation does. */
static int clone_caps(struct clone *c)
{
    uint64_t limit = cspace_slot_limit(&c->src->cspace);
    for (uint64_t slot = 1; slot < limit; slot++) {
        if (slot % CAPS_PER_CHUNK == 0 || slot == 1) {
            spin_relax();
            if ((slot = cspace_next_chunk(&c->src->cspace, slot)) >= limit)
                break;
        }
        struct capref r;
        if (cap_lookup(&c->src->cspace, slot, -1, 0, &r))
            continue;                            /* empty (or naming a dead object) */
        int err = clone_cap(c, slot, &r);
        capref_put(&r);
        if (err)
            return err;
    }
    return 0;
}

/* The source's threads to copy, each with a reference: its one thread
 * (AE_ELIMIT if it has more), or with ALL_THREADS every one, dead ones
 * included (their slots and UTCBs are accounted for), up to
 * AERIE_CLONE_MAX_THREADS. c->sth is the first that is not dead. */
static int source_threads(struct clone *c)
{
    struct task *t = c->src;
    bool all = c->flags & AERIE_CLONE_ALL_THREADS;
    spin_lock(&t->obj.lock);
    int err = !t->nthreads ? AE_EINVAL : (t->nthreads > 1 && !all) ? AE_ELIMIT :
              t->nthreads > AERIE_CLONE_MAX_THREADS ? AE_ELIMIT : 0;
    if (!err)
        list_for_each(n, &t->threads) {
            struct thread *x = list_entry(n, struct thread, task_link);
            obj_get(&x->obj);
            c->th[c->nth++].from = x;
            if (!c->sth && __atomic_load_n(&x->state, __ATOMIC_ACQUIRE) != TS_DEAD)
                c->sth = x;
        }
    spin_unlock(&t->obj.lock);
    return err ? err : c->sth ? 0 : AE_EINVAL;
}

/* A copy of every source thread that is not dead, in the same order (so
 * the clone's first thread is the copy of the source's first), charged to
 * q; handlers come later (clone_handlers). */
static int clone_threads(struct clone *c)
{
    bool held = c->flags & AERIE_CLONE_ALL_THREADS;
    int err;
    for (unsigned i = 0; i < c->nth; i++) {
        struct thread *from = c->th[i].from, *to;
        if (from != c->sth && __atomic_load_n(&from->state, __ATOMIC_ACQUIRE) == TS_DEAD)
            continue;
        if (!(to = thread_clone(from, c->q, c->dst, held, &err)))
            return err;
        if ((err = quota_adopt(c->q, &to->obj)))     /* on failure it destroyed to */
            return err;
        c->th[i].to = to;
        if (from == c->sth)
            c->dth = to;
    }
    return 0;
}

/* Each copy's fault handler, once the capabilities are translated. A
 * handler endpoint the source owns (one its own threads serve, as the
 * Linux personality serves the Linux program's threads) becomes the
 * clone's counterpart of it, same badge: the clone's server then hears
 * its own threads' faults. Any other handler (a grant, cm's fault
 * capability) becomes the one word 5 gave, or none if none was given
 * (the caller sets it). A thread with no handler keeps none. */
static int clone_handlers(struct clone *c)
{
    for (unsigned i = 0; i < c->nth; i++) {
        struct thread *from = c->th[i].from, *to = c->th[i].to;
        if (!to)
            continue;
        spin_lock(&from->obj.lock);
        struct kobject *h = from->handler;
        uint64_t badge = from->handler_badge;
        if (h)
            obj_get(h);
        spin_unlock(&from->obj.lock);
        if (!h)
            continue;
        struct kobject *n = NULL;
        int err = 0;
        if (owned(c, h)) {
            if (!(n = lookup(c, h))) {           /* an endpoint no slot of it names */
                struct invocation none = { .caller = c->inv->caller };
                if (!(err = endpoint_create(c->q, &none, &n)))
                    err = adopt(c, h, n);
            }
        } else {
            n = c->handler;
            badge = c->handler_badge;
        }
        obj_put(h);
        if (err)
            return err;
        if (n) {
            obj_get(n);
            to->handler = n;                     /* not started: nobody reads it yet */
            to->handler_badge = badge;
        }
    }
    return 0;
}

/* Each copied thread's UTCB, in the clone's copy of its memory. The page
 * is the clone's own already (memobj_cow_clone copies UTCB pages rather
 * than share them), and the source's threads keep theirs untouched: a
 * clone that fails later frees nothing they point at. */
static int clone_utcbs(struct clone *c)
{
    for (unsigned i = 0; i < c->nth; i++) {
        struct thread *from = c->th[i].from, *to = c->th[i].to;
        struct memobj *um = from->utcb_mem, *cu;
        uint64_t off = from->utcb_off;
        int err;
        if (!to || !um)
            continue;
        if ((err = xlate_mem(c, um, NULL, &cu)))
            return err;
        if (cu == um)
            return AE_EBUSY;                     /* memory it does not own: one UTCB for two threads */
        if ((err = thread_set_utcb(to, cu, off)))
            return err;
    }
    return 0;
}

/* Perform: every object made is linked into q or held in the table, so
 * one path destroys them all if a step fails. */
static int clone_perform(struct clone *c)
{
    int err;
    if (!(c->dst = task_new(c->q, &err)))
        return err;
    if ((err = quota_adopt(c->q, &c->dst->obj)))
        return err;
    /* A copy of a suspended task is born suspended: RESUME on it starts
     * the copies of the threads SUSPEND stopped. */
    if (c->flags & AERIE_CLONE_ALL_THREADS) {
        c->dst->stop = TASK_STOPPED;
        c->dst->stopper = c->inv->caller->task->uid;   /* its RESUME is the cloner's */
    }
    if ((err = clone_threads(c)) || (err = clone_mappings(c)) || (err = clone_caps(c)) ||
        (err = clone_handlers(c)))
        return err;
    return clone_utcbs(c);
}

static void clone_undo(struct clone *c)
{
    for (unsigned i = 0; i < c->nmap; i++)
        if (c->map[i].to != c->map[i].from)
            obj_destroy(c->map[i].to);
    for (unsigned i = 0; i < c->nth; i++)
        if (c->th[i].to)
            obj_destroy(&c->th[i].to->obj);
    if (c->dst)
        obj_destroy(&c->dst->obj);
}

/* The call's tables, charged to the clone's quota while it runs, then
 * perform, then the two capabilities installed; on any failure everything
 * made is destroyed. The thread table shares the mapping table's
 * allocation (it fits in the same pages: one allocation fewer per clone). */
static int clone_run(struct clone *c, struct cspace *cs, uint64_t tslot, uint64_t hslot)
{
    const size_t map_bytes = CLONE_MAX_OBJECTS * sizeof *c->map;
    const size_t maps_bytes = CLONE_MAX_MAPPINGS * sizeof *c->maps + AERIE_CLONE_MAX_THREADS * sizeof *c->th;
    size_t scratch = kmem_footprint(map_bytes) + kmem_footprint(maps_bytes);
    int err = quota_charge(c->q, scratch, 0, 0);
    if (err)
        return inv_fail(c->inv, 0, err);
    c->map = kmem_alloc(map_bytes);
    c->maps = kmem_alloc(maps_bytes);
    if (!c->map || !c->maps)
        err = AE_ENOMEM;
    else {
        c->th = (struct tpair *)(c->maps + CLONE_MAX_MAPPINGS);    /* zeroed by kmem_alloc */
        if (!(err = source_threads(c)))
            err = clone_perform(c);
    }
    /* Both are in q's list already: a plain install (the caller may delete
     * the capabilities at once; the clone lives on by its own holders). */
    if (!err && !(err = cap_install(cs, tslot, &c->dst->obj, AERIE_R_ALL, 0)) &&
        (err = cap_install(cs, hslot, &c->dth->obj, AERIE_R_ALL, 0)))
        cap_delete(cs, tslot);
    if (err) {
        inv_fail(c->inv, ~0u, err);
        clone_undo(c);
    }
    for (unsigned i = 0; i < c->nmap; i++)
        obj_put(c->map[i].to);
    for (unsigned i = 0; i < c->nth; i++)
        obj_put(&c->th[i].from->obj);
    if (c->map)
        kmem_free(c->map, map_bytes);
    if (c->maps)
        kmem_free(c->maps, maps_bytes);
    quota_release(c->q, scratch, 0, 0);
    return err;
}

/* The new threads' fault endpoint (word 5, with ALL_THREADS or not): an
 * endpoint with WRITE, or 0 for none. */
static int handler_arg(struct clone *c, struct cspace *cs)
{
    uint64_t slot = 0;
    if (c->inv->nargs > 5 && inv_arg(c->inv, 5, &slot))
        return AE_EINVAL;
    if (!slot)
        return 0;
    struct capref ec;
    int err = cap_lookup(cs, slot, AERIE_OBJ_ENDPOINT, AERIE_R_WRITE, &ec);
    if (err)
        return inv_fail(c->inv, 5, err);
    c->handler = ec.obj;                         /* the lookup's reference moves here */
    c->handler_badge = ec.badge;
    return 0;
}

/* Decode: (quota cap for the clone, the source's own quota cap, dst slot
 * for the new task, dst slot for its (first) thread, [flags, [fault
 * endpoint for the new threads]]). */
int task_clone(struct task *src, struct invocation *inv)
{
    uint64_t qslot, sqslot, tslot, hslot;
    uint64_t flags = 0;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &sqslot) || inv_arg(inv, 2, &tslot) ||
        inv_arg(inv, 3, &hslot) || (inv->nargs > 4 && inv_arg(inv, 4, &flags)))
        return AE_EINVAL;
    if (flags & ~(uint64_t)(AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS))
        return inv_fail(inv, 4, AE_EINVAL);
    struct cspace *cs = &inv->caller->task->cspace;
    int err;
    if (src == inv->caller->task)
        return inv_fail(inv, ~0u, AE_EINVAL);    /* its thread is running this call */
    /* A borrower's lent ranges are its lender's memory, which a clone
     * could neither share copy-on-write nor leave out unseen. */
    if (__atomic_load_n(&src->vs.lender, __ATOMIC_ACQUIRE))
        return inv_fail(inv, ~0u, AE_EBUSY);
    if ((err = cap_slot_usable(cs, tslot)))
        return inv_fail(inv, 2, err);
    if (hslot == tslot)
        return inv_fail(inv, 3, AE_EBUSY);
    if ((err = cap_slot_usable(cs, hslot)))
        return inv_fail(inv, 3, err);
    struct capref qc, sqc;
    if ((err = quota_lookup_clone_pair(cs, inv, qslot, sqslot, &qc, &sqc)))
        return err;
    struct clone c = { .utcbs = { utcbs_in }, .inv = inv, .src = src, .q = (struct quota *)qc.obj,
                       .srcq = (struct quota *)sqc.obj, .qslot = qslot, .flags = flags };
    if (!owned(&c, &src->obj)) {                 /* not the source's own quota */
        err = inv_fail(inv, 1, AE_EINVAL);
        goto out_refs;
    }
    if ((err = handler_arg(&c, cs)))
        goto out_refs;
    /* Every thread copied at once only from a task its SUSPEND stopped:
     * then no thread of it can start another meanwhile, and the clone's
     * RESUME knows which copies to start. */
    if ((flags & AERIE_CLONE_ALL_THREADS) && __atomic_load_n(&src->stop, __ATOMIC_ACQUIRE) != TASK_STOPPED) {
        err = inv_fail(inv, ~0u, AE_EBUSY);
        goto out_refs;
    }
    err = clone_run(&c, cs, tslot, hslot);
out_refs:
    if (c.handler)
        obj_put(c.handler);
    capref_put(&sqc);
    capref_put(&qc);
    return err;
}
