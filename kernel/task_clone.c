/*
 * task_clone.c — TASK_CLONE: a new task that is a copy of a stopped one
 * (what `aerie fork` is made of, services/cm/fork.c).
 *
 * The copy gets the same mappings at the same addresses, its memory shared
 * copy-on-write with the original (memobj.c: a write in either copies the
 * page and charges the writer), the same capability slots, and a copy of
 * its one thread's registers. What is "the container's own" is decided by
 * quota: an object charged to the source quota the caller names (or below
 * it) is the source's, and the copy gets its own — a copy-on-write Memory,
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

struct remap {
    uint64_t va, npages, first;
    unsigned flags;
    struct memobj *mem;          /* the clone's (reference held in the table) */
};

struct clone {
    struct invocation *inv;
    struct task *src, *dst;
    struct thread *sth, *dth;
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
    if ((m->flags & (MEMOBJ_FIXED | MEMOBJ_DEVICE)) || !owned(c, &m->obj)) {
        *out = m;                                /* image pages, others' memory: shared */
        return record(c, &m->obj, &m->obj);
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
        n = memobj_cow_clone(m, c->q, vs, m == c->sth->utcb_mem, &err);
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
    spin_unlock(&vs->lock);
    vspace_flush(vs);                            /* entries made read-only above */
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
    int err = 0;
    if (r->type == AERIE_OBJ_REPLY)
        return 0;                                /* a one-shot reply is the source's alone */
    if (o == &c->src->obj)
        n = &c->dst->obj;
    else if (o == &c->sth->obj)
        n = &c->dth->obj;
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

/* The source's one thread, with a reference; AE_ELIMIT if it has more. */
static int only_thread(struct task *t, struct thread **out)
{
    spin_lock(&t->obj.lock);
    int err = t->nthreads == 1 ? 0 : t->nthreads ? AE_ELIMIT : AE_EINVAL;
    if (!err) {
        *out = list_entry(t->threads.next, struct thread, task_link);
        obj_get(&(*out)->obj);
    }
    spin_unlock(&t->obj.lock);
    return err;
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
    if (!(c->dth = thread_clone(c->sth, c->q, c->dst, &err)))
        return err;
    if ((err = quota_adopt(c->q, &c->dth->obj)) || (err = clone_mappings(c)) || (err = clone_caps(c)))
        return err;
    struct memobj *um = c->sth->utcb_mem;
    if (um) {
        struct memobj *cu;
        uint64_t off = c->sth->utcb_off;
        /* Both UTCB pages are shared now; the kernel writes messages into
         * them through the direct map, so each thread gets its own copy
         * before either runs again. */
        if ((err = xlate_mem(c, um, NULL, &cu)))
            return err;
        if (cu == um)
            return AE_EBUSY;                     /* memory it does not own: one UTCB for two threads */
        if ((err = thread_set_utcb(c->dth, cu, off)) ||
            (err = thread_set_utcb(c->sth, um, off)))
            return err;
    }
    return 0;
}

static void clone_undo(struct clone *c)
{
    for (unsigned i = 0; i < c->nmap; i++)
        if (c->map[i].to != c->map[i].from)
            obj_destroy(c->map[i].to);
    if (c->dth)
        obj_destroy(&c->dth->obj);
    if (c->dst)
        obj_destroy(&c->dst->obj);
}

/* Decode: (quota cap for the clone, the source's own quota cap, dst slot
 * for the new task, dst slot for its thread). */
int task_clone(struct task *src, struct invocation *inv)
{
    uint64_t qslot, sqslot, tslot, hslot;
    uint64_t flags = 0;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &sqslot) || inv_arg(inv, 2, &tslot) ||
        inv_arg(inv, 3, &hslot) || (inv->nargs > 4 && inv_arg(inv, 4, &flags)))
        return AE_EINVAL;
    if (flags & ~(uint64_t)AERIE_CLONE_OWN_CAPS)
        return inv_fail(inv, 4, AE_EINVAL);
    struct cspace *cs = &inv->caller->task->cspace;
    int err;
    if (src == inv->caller->task)
        return inv_fail(inv, ~0u, AE_EINVAL);    /* its thread is running this call */
    if ((err = cap_slot_usable(cs, tslot)))
        return inv_fail(inv, 2, err);
    if (hslot == tslot)
        return inv_fail(inv, 3, AE_EBUSY);
    if ((err = cap_slot_usable(cs, hslot)))
        return inv_fail(inv, 3, err);
    struct capref qc, sqc;
    if ((err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc)))
        return inv_fail(inv, 0, err);
    /* The source's quota capability must carry AERIE_R_CLONE: only what the
     * boot quota hands down with it (cm's) may clone. A container's own
     * quota lacks it, so it cannot clone its tasks (review3 F1). */
    if ((err = cap_lookup(cs, sqslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE | AERIE_R_CLONE, &sqc))) {
        capref_put(&qc);
        return inv_fail(inv, 1, err);
    }
    struct clone c = { .inv = inv, .src = src, .q = (struct quota *)qc.obj,
                       .srcq = (struct quota *)sqc.obj, .qslot = qslot, .flags = flags };
    if (!owned(&c, &src->obj)) {                 /* not the source's own quota */
        capref_put(&sqc);
        capref_put(&qc);
        return inv_fail(inv, 1, AE_EINVAL);
    }
    size_t scratch = kmem_footprint(CLONE_MAX_OBJECTS * sizeof *c.map) +
                     kmem_footprint(CLONE_MAX_MAPPINGS * sizeof *c.maps);
    if ((err = only_thread(src, &c.sth))) {
        inv_fail(inv, ~0u, err);
        goto out_refs;
    }
    /* The tables are charged to the clone's quota while the call runs. */
    if ((err = quota_charge(c.q, scratch, 0, 0))) {
        inv_fail(inv, 0, err);
        goto out_thread;
    }
    c.map = kmem_alloc(CLONE_MAX_OBJECTS * sizeof *c.map);
    c.maps = kmem_alloc(CLONE_MAX_MAPPINGS * sizeof *c.maps);
    err = c.map && c.maps ? clone_perform(&c) : AE_ENOMEM;
    /* Both are in q's list already: a plain install (the caller may delete
     * the capabilities at once; the clone lives on by its own holders). */
    if (!err && !(err = cap_install(cs, tslot, &c.dst->obj, AERIE_R_ALL, 0)) &&
        (err = cap_install(cs, hslot, &c.dth->obj, AERIE_R_ALL, 0)))
        cap_delete(cs, tslot);
    if (err) {
        inv_fail(inv, ~0u, err);
        clone_undo(&c);
    }
    for (unsigned i = 0; i < c.nmap; i++)
        obj_put(c.map[i].to);
    if (c.map)
        kmem_free(c.map, CLONE_MAX_OBJECTS * sizeof *c.map);
    if (c.maps)
        kmem_free(c.maps, CLONE_MAX_MAPPINGS * sizeof *c.maps);
    quota_release(c.q, scratch, 0, 0);
out_thread:
    obj_put(&c.sth->obj);
out_refs:
    capref_put(&sqc);
    capref_put(&qc);
    return err;
}
