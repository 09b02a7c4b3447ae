/*
 * quota.c — the Quota object (see quota.h): charging along the chain of
 * ancestors, object creation, child quotas, and destroying everything a
 * quota made.
 */
#include "quota.h"
#include "apic.h"
#include "kmem.h"
#include "printk.h"
#include "task.h"
#include "thread.h"
#include "ipc.h"
#include "notification.h"
#include "memobj.h"
#include "percpu.h"
#include "lib/string.h"
#include <aerie/errors.h>
#include <aerie/fault.h>

/* Adds n to *used if the sum stays within limit; false (nothing changed)
 * if it would not. For the 64-bit byte count and the 32-bit counts alike. */
#define COUNTER_ADD(used, limit, n) ({                                                      \
    __typeof__(*(used)) *_u = (used), _cur = __atomic_load_n(_u, __ATOMIC_RELAXED);       \
    uint64_t _l = (limit), _n = (n);                                                        \
    bool _ok = true;                                                                        \
    if (_n) {                                                                               \
        do {                                                                                \
            if (_n > _l || _cur > _l - _n) {                                                \
                _ok = false;                                                                \
                break;                                                                      \
            }                                                                               \
        } while (!__atomic_compare_exchange_n(_u, &_cur, (__typeof__(_cur))(_cur + _n), true, \
                                              __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));         \
    }                                                                                       \
    _ok; })

#define COUNTER_SUB(q, used, n) do {                                                        \
    uint64_t _n = (n);                                                                      \
    if (_n) {                                                                               \
        uint64_t _old = __atomic_fetch_sub((used), (__typeof__(*(used)))_n, __ATOMIC_ACQ_REL); \
        if (_old < _n)                                                                      \
            panic("quota %p: releasing %lu more than was charged (%lu)", (void *)(q), _n, _old); \
    }                                                                                       \
} while (0)

/* One level of a charge: all three counters or none. */
static int level_charge(struct quota *q, uint64_t bytes, uint64_t threads, uint64_t objects)
{
    if (!COUNTER_ADD(&q->used_bytes, q->limit_bytes, bytes))
        return AE_ENOMEM;
    if (!COUNTER_ADD(&q->used_threads, q->limit_threads, threads)) {
        COUNTER_SUB(q, &q->used_bytes, bytes);
        return AE_ELIMIT;
    }
    if (!COUNTER_ADD(&q->used_objects, q->limit_objects, objects)) {
        COUNTER_SUB(q, &q->used_threads, threads);
        COUNTER_SUB(q, &q->used_bytes, bytes);
        return AE_ELIMIT;
    }
    return 0;
}

static void level_release(struct quota *q, uint64_t bytes, uint64_t threads, uint64_t objects)
{
    COUNTER_SUB(q, &q->used_objects, objects);
    COUNTER_SUB(q, &q->used_threads, threads);
    COUNTER_SUB(q, &q->used_bytes, bytes);
}

/* Walks from q to the root; a refusal at any level undoes the levels
 * below it, so a failed charge leaves every counter as it was (another
 * CPU may see a level briefly charged in between). */
int quota_charge(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects)
{
    if (__atomic_load_n(&q->obj.dead, __ATOMIC_ACQUIRE))
        return AE_EDEAD;
    for (struct quota *l = q; l; l = l->parent) {
        int err = level_charge(l, bytes, threads, objects);
        if (err) {
            for (struct quota *u = q; u != l; u = u->parent)
                level_release(u, bytes, threads, objects);
            return err;
        }
    }
    return 0;
}

void quota_release(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects)
{
    for (struct quota *l = q; l; l = l->parent)
        level_release(l, bytes, threads, objects);
}

/* ---- watches ---- */

/* Sends q's GONE notice if its watch is armed (once: the state moves to
 * FIRED under the lock, so of racing reasons exactly one reports). */
static void watch_fire(struct quota *q, uint64_t reason, const struct quota_end *end)
{
    struct quota_watch *w = __atomic_load_n(&q->watch, __ATOMIC_ACQUIRE);
    if (!w || __atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != WATCH_ARMED)
        return;                              /* the usual case: no lock for unwatched quotas */
    spin_lock(&q->obj.lock);
    bool go = w->state == WATCH_ARMED;
    if (go)
        w->state = WATCH_FIRED;
    spin_unlock(&q->obj.lock);
    if (!go)
        return;
    struct ipc_notice *n = &w->notice;
    n->owner = &q->obj;
    n->label = AERIE_FAULT_GONE;
    memset(n->words, 0, sizeof n->words);
    n->words[0] = reason;
    if (end) {
        n->words[1] = end->how;
        n->words[2] = end->detail;
        memcpy(&n->words[3], end->words, sizeof end->words);
    }
    ipc_post_notice(w->ep, n);               /* the watch holds ep until q is freed */
}

void quota_thread_started(struct quota *q)
{
    for (struct quota *l = q; l; l = l->parent)
        __atomic_add_fetch(&l->live_threads, 1, __ATOMIC_ACQ_REL);
}

void quota_thread_ended(struct quota *q, const struct quota_end *end)
{
    for (struct quota *l = q; l; l = l->parent)
        if (__atomic_sub_fetch(&l->live_threads, 1, __ATOMIC_ACQ_REL) == 0)
            watch_fire(l, AERIE_GONE_THREADS, end);
}

void *quota_new_object(struct quota *q, enum aerie_obj_type type, size_t size, uint64_t extra, int *err)
{
    uint64_t charge = kmem_footprint(size);
    *err = quota_charge(q, charge + extra, type == AERIE_OBJ_THREAD, 1);
    if (*err)
        return NULL;
    struct kobject *o = kmem_alloc(size);
    if (!o) {
        quota_release(q, charge + extra, type == AERIE_OBJ_THREAD, 1);
        *err = AE_ENOMEM;
        return NULL;
    }
    obj_init(o, type);
    o->quota = q;
    o->charge = (uint32_t)charge;
    obj_get(&q->obj);
    /* extra bytes stay charged to q under the object's own bookkeeping */
    return o;
}

/* Links a fully built object into q; if q is being destroyed, the object
 * is destroyed too and AE_EDEAD returned. An object already being
 * destroyed is not linked: its reaper may have unlinked it already (it
 * does so under this lock, after the object's dead flag is set). */
int quota_adopt(struct quota *q, struct kobject *o)
{
    spin_lock(&q->obj.lock);
    bool dead = q->obj.dead;
    if (!dead && !__atomic_load_n(&o->dead, __ATOMIC_ACQUIRE))
        list_push_back(&q->objects, &o->quota_link);
    spin_unlock(&q->obj.lock);
    if (dead)
        obj_destroy(o);
    return dead ? AE_EDEAD : 0;
}

/* Gives a new object o (made from q) its first capability and records it
 * in q. The creator holds its own reference across both steps: once the
 * capability is installed another thread may delete it, and with it
 * destroy and free o, before o is linked into q. */
int quota_install_new(struct quota *q, struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t rights)
{
    obj_get(o);
    int err = cap_install(cs, slot, o, rights, 0);
    if (err)
        obj_destroy(o);                  /* the slot was taken meanwhile: undo the creation */
    else
        err = quota_adopt(q, o);
    obj_put(o);
    return err;
}

void quota_unlink(struct quota *q, struct kobject *o)
{
    spin_lock(&q->obj.lock);
    list_remove(&o->quota_link);
    spin_unlock(&q->obj.lock);
}

/* Every CPU the machine has (MAX_CPUS < 64: a mask always fits). */
static uint64_t cpus_all(void)
{
    return (1ull << ncpus) - 1;
}

bool quota_cpu_allowed(const struct quota *q, uint64_t cpu)
{
    return cpu < ncpus && ((q->cpus >> cpu) & 1);
}

unsigned quota_place(const struct quota *q)
{
    unsigned here = cpu_index();
    if (quota_cpu_allowed(q, here))
        return here;
    return (unsigned)__builtin_ctzll(q->cpus);   /* never empty: create_child_quota */
}

struct quota *quota_create_root(uint64_t bytes)
{
    struct quota *q = kmem_alloc(sizeof *q);
    if (!q)
        panic("no memory for the root quota");
    obj_init(&q->obj, AERIE_OBJ_QUOTA);
    q->limit_bytes = bytes;
    q->limit_threads = 1u << 30;
    q->limit_objects = 1u << 30;
    q->cpus = cpus_all();
    list_init(&q->objects);
    return q;
}

/* ---- object hooks ---- */

static void quota_teardown(struct kobject *o)
{
    struct quota *q = (struct quota *)o;
    watch_fire(q, AERIE_GONE_DESTROYED, NULL);
    trace_stop(q);
    spin_lock(&q->obj.lock);
    list_for_each(n, &q->objects)
        obj_destroy(list_entry(n, struct kobject, quota_link));
    spin_unlock(&q->obj.lock);
}

/* Every object charged here or below has been freed, and each gave its
 * charge back to every level, so nothing is left to return upwards. */
static void quota_release_hook(struct kobject *o)
{
    struct quota *q = (struct quota *)o;
    if (q->used_bytes || q->used_threads || q->used_objects || q->live_threads)
        panic("quota freed with %lu bytes, %u threads (%lu live), %u objects still charged",
              q->used_bytes, q->used_threads, q->live_threads, q->used_objects);
    if (q->watch) {                          /* set by the parent's holder: charged to the parent */
        if (q->watch->ep)
            obj_put(&q->watch->ep->obj);
        kmem_free(q->watch, sizeof *q->watch);
        quota_release(q->parent, kmem_footprint(sizeof *q->watch), 0, 0);
    }
    trace_free(q);
    if (q->parent)
        obj_put(&q->parent->obj);
}

const struct obj_ops quota_ops = {
    .teardown = quota_teardown,
    .release = quota_release_hook,
    .size = sizeof(struct quota),
};
_Static_assert(sizeof(struct quota) <= 192, "a quota fits a 192-byte slab object");

/* ---- methods ---- */

/* CREATE(QUOTA, slot, bytes, threads, objects[, cpus]). cpus, when given,
 * is the child's CPU set: not empty and within q's (a CPU q's threads may
 * not use, or one that does not exist, is refused, never dropped: a
 * caller who asks for a CPU it cannot give learns so). Absent, the child
 * has q's set. */
static int create_child_quota(struct quota *q, struct invocation *inv, struct kobject **out)
{
    uint64_t bytes, threads, objects, cpu_set = q->cpus;
    if (inv_arg(inv, 2, &bytes) || inv_arg(inv, 3, &threads) || inv_arg(inv, 4, &objects))
        return AE_EINVAL;
    if (threads > (1u << 30))
        return inv_fail(inv, 3, AE_EINVAL);
    if (objects > (1u << 30))
        return inv_fail(inv, 4, AE_EINVAL);
    if (inv->nargs > 5 && inv_arg(inv, 5, &cpu_set))
        return AE_EINVAL;
    if (!cpu_set || (cpu_set & ~q->cpus))
        return inv_fail(inv, 5, AE_EINVAL);
    /* Limits only: nothing is taken from q until the child's objects are
     * charged (to the child and to q, and on up). */
    int err;
    struct quota *c = quota_new_object(q, AERIE_OBJ_QUOTA, sizeof *c, 0, &err);
    if (!c)
        return err;
    c->parent = q;
    obj_get(&q->obj);
    c->limit_bytes = bytes;
    c->limit_threads = threads;
    c->limit_objects = objects;
    c->cpus = cpu_set;
    list_init(&c->objects);
    *out = &c->obj;
    return 0;
}

/* Decodes CREATE's type-specific arguments and makes the object. */
static int create_object(struct quota *q, uint64_t type, struct invocation *inv, struct kobject **out)
{
    switch (type) {
    case AERIE_OBJ_QUOTA:        return create_child_quota(q, inv, out);
    case AERIE_OBJ_TASK:         return task_create(q, inv, out);
    case AERIE_OBJ_THREAD:       return thread_create(q, inv, out);
    case AERIE_OBJ_ENDPOINT:     return endpoint_create(q, inv, out);
    case AERIE_OBJ_NOTIFICATION: return notification_create(q, inv, out);
    case AERIE_OBJ_MEMORY:       return memobj_create(q, inv, out);
    default:                     return inv_fail(inv, 0, AE_EINVAL);
    }
}

static int quota_method_create(struct quota *q, uint8_t rights, struct invocation *inv)
{
    uint64_t type, slot;
    if (inv_arg(inv, 0, &type) || inv_arg(inv, 1, &slot))
        return AE_EINVAL;
    struct cspace *cs = thread_cspace(inv->caller);
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 1, err);
    struct kobject *o = NULL;
    err = create_object(q, type, inv, &o);
    if (err)
        return err;
    err = quota_install_new(q, cs, slot, o, AERIE_R_ALL | (rights & AERIE_R_CLONE));
    return err ? inv_fail(inv, 1, err) : 0;
}

/* WATCH (child quota, endpoint or 0): sets, replaces or clears the watch
 * on a direct child of q. The badge is the endpoint capability's own, so
 * a watch can only speak with a badge its setter was given. */
static int quota_method_watch(struct quota *q, struct invocation *inv)
{
    uint64_t cslot, eslot;
    if (inv_arg(inv, 0, &cslot) || inv_arg(inv, 1, &eslot))
        return AE_EINVAL;
    struct cspace *cs = thread_cspace(inv->caller);
    struct capref cc, ec = { 0 };
    int err = cap_lookup(cs, cslot, AERIE_OBJ_QUOTA, 0, &cc);
    if (err)
        return inv_fail(inv, 0, err);
    struct quota *c = (struct quota *)cc.obj;
    if (c->parent != q)
        err = inv_fail(inv, 0, AE_EINVAL);
    else if (eslot && (err = cap_lookup(cs, eslot, AERIE_OBJ_ENDPOINT, AERIE_R_WRITE, &ec)))
        inv_fail(inv, 1, err);
    /* The first watch set on c: its record, charged to q, made before the
     * lock; one that lost a race to another setter is given back. */
    struct quota_watch *fresh = NULL;
    size_t wcharge = kmem_footprint(sizeof *fresh);
    if (!err && ec.obj && !__atomic_load_n(&c->watch, __ATOMIC_ACQUIRE)) {
        if ((err = quota_charge(q, wcharge, 0, 0)))
            inv_fail(inv, ~0u, err);
        else if (!(fresh = kmem_alloc(sizeof *fresh))) {
            quota_release(q, wcharge, 0, 0);
            err = inv_fail(inv, ~0u, AE_ENOMEM);
        }
    }
    struct endpoint *old = NULL;
    if (!err) {
        spin_lock(&c->obj.lock);
        if (!c->watch && fresh) {
            __atomic_store_n(&c->watch, fresh, __ATOMIC_RELEASE);
            fresh = NULL;
        }
        struct quota_watch *w = c->watch;
        if (w && w->state == WATCH_FIRED) {
            err = inv_fail(inv, ~0u, AE_EBUSY);
        } else if (w) {
            old = w->ep;
            w->ep = (struct endpoint *)ec.obj;            /* the lookup's reference moves here */
            w->notice.badge = ec.badge;
            __atomic_store_n(&w->state, ec.obj ? WATCH_ARMED : WATCH_NONE, __ATOMIC_RELEASE);
            ec.obj = NULL;
        }                                                 /* no record and none set: nothing to clear */
        spin_unlock(&c->obj.lock);
    }
    if (fresh) {
        kmem_free(fresh, sizeof *fresh);
        quota_release(q, wcharge, 0, 0);
    }
    if (old)
        obj_put(&old->obj);
    capref_put(&ec);
    capref_put(&cc);
    return err;
}

int quota_invoke(struct quota *q, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    switch (label) {
    case AERIE_QUOTA_CREATE:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        return quota_method_create(q, cap->rights, inv);
    case AERIE_QUOTA_INFO:
        if (!(cap->rights & AERIE_R_READ))
            return AE_ERIGHTS;
        inv->reply[0] = q->limit_bytes;
        inv->reply[1] = __atomic_load_n(&q->used_bytes, __ATOMIC_RELAXED);
        inv->reply[2] = q->limit_threads;
        inv->reply[3] = __atomic_load_n(&q->used_threads, __ATOMIC_RELAXED);
        inv->reply[4] = q->limit_objects;
        inv->reply[5] = __atomic_load_n(&q->used_objects, __ATOMIC_RELAXED);
        inv->reply[6] = tsc_to_ns(__atomic_load_n(&q->cpu_tsc, __ATOMIC_RELAXED));
        inv->reply[7] = __atomic_load_n(&q->ipc_calls, __ATOMIC_RELAXED);
        inv->reply[8] = q->cpus;
        inv->nreply = 9;
        return 0;
    case AERIE_QUOTA_DESTROY:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        obj_destroy(&q->obj);
        return 0;
    case AERIE_QUOTA_TRACE:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        return trace_method(q, inv);
    case AERIE_QUOTA_WATCH:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        return quota_method_watch(q, inv);
    default:
        return AE_ENOSYS;
    }
}

int quota_lookup_clone_pair(struct cspace *cs, struct invocation *inv, uint64_t qslot,
                            uint64_t sqslot, struct capref *qc, struct capref *sqc)
{
    int err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, qc);
    if (err)
        return inv_fail(inv, 0, err);
    if ((err = cap_lookup(cs, sqslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE | AERIE_R_CLONE, sqc))) {
        capref_put(qc);
        return inv_fail(inv, 1, err);
    }
    return 0;
}
