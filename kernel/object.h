/*
 * object.h — what every kernel object has: a type, a reference count, a
 * lock, the quota it is charged to, and the list of capabilities naming it.
 *
 * Lifetime. An object is *alive* from creation until it is destroyed: when
 * its last holder goes (holders are its capabilities, and also: for Memory
 * its mappings, for a Task its threads, for a Thread itself from its start
 * until it dies — running code keeps itself alive),
 * when its quota is destroyed, or by an explicit DESTROY method. Destroying runs the type's teardown
 * (wake waiters, unmap, stop threads) and removes every capability naming
 * it. Its memory is freed only when the reference count reaches zero:
 * capabilities, a running CPU, a blocked thread waiting on it, and the
 * kernel code using it each hold one. Nothing is ever freed under a user.
 *
 * Destruction can cascade (a task's capabilities name other objects), so
 * it is queued and done by obj_reap() before the system call returns,
 * never recursively.
 */
#ifndef AERIE_OBJECT_H
#define AERIE_OBJECT_H

#include <stdint.h>
#include <stdbool.h>
#include <aerie/objects.h>
#include "lib/list.h"
#include "lib/spinlock.h"

struct quota;

struct kobject {
    uint8_t type;               /* enum aerie_obj_type */
    uint8_t dead;               /* destroy has begun */
    uint8_t queued;             /* on a reaper list */
    uint8_t pad;
    uint32_t refs;              /* atomic */
    uint32_t holders;           /* atomic: capabilities, plus mappings for Memory */
    spinlock_t lock;            /* the type's state; see each type's header */
    struct quota *quota;        /* charged here; holds a reference on it */
    uint32_t charge;            /* bytes charged */
    struct list quota_link;     /* in quota->objects, under the quota's lock */
    struct list caps;           /* capabilities naming it, under cdt_lock */
    struct list reap_link;
};

static inline __attribute__((always_inline)) void obj_get(struct kobject *o)
{
    __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

void obj_put_last(struct kobject *o, uint32_t left);

/* Drops a reference; frees the object when it was the last. Inline: on
 * the IPC path every call and return of a small function is one more
 * jump-cache look-up after a CR3 write under QEMU TCG (kernel/hot.h). */
static inline __attribute__((always_inline)) void obj_put(struct kobject *o)
{
    uint32_t left = __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
    if (__builtin_expect(left == 0 || left == (uint32_t)-1, 0))
        obj_put_last(o, left);
}

/* Sets up the header; the object starts with one reference (its "alive"
 * reference, dropped when it is destroyed). */
void obj_init(struct kobject *o, enum aerie_obj_type type);

/* Queues o for destruction (idempotent). */
void obj_destroy(struct kobject *o);

static inline void obj_hold(struct kobject *o)
{
    __atomic_add_fetch(&o->holders, 1, __ATOMIC_RELAXED);
}

/* Drops a holder; the last one destroys the object. */
static inline void obj_unhold(struct kobject *o)
{
    if (__atomic_sub_fetch(&o->holders, 1, __ATOMIC_ACQ_REL) == 0)
        obj_destroy(o);
}

/* Destroys everything queued on this CPU; call with no locks held. */
void obj_reap(void);

/* Live objects, for tests and KDEBUG_STATS. */
uint64_t obj_count(void);

/* Per-type hooks, provided by each object's file. teardown runs once, with
 * no locks held; release frees the type's own resources when the last
 * reference goes (the header memory is freed by the caller). */
struct obj_ops {
    void (*teardown)(struct kobject *o);
    void (*release)(struct kobject *o);
    /* After release: true if the object's memory must outlive this call
     * (a Task whose page tables another CPU still has loaded: vspace.c);
     * whoever finishes it then calls obj_free_finish. */
    bool (*free_later)(struct kobject *o);
    size_t size;                /* sizeof the object structure */
};

/* The rest of freeing o after a free_later that said true: its memory,
 * its charge and its quota reference go back. No locks held. */
void obj_free_finish(struct kobject *o);

extern const struct obj_ops *const obj_ops[AERIE_OBJ_TYPES];

#endif
