/*
 * quota.h — the Quota object: limits on bytes, threads and objects, to
 * which every kernel allocation is charged. Quotas form a tree: a child
 * quota reserves nothing from its parent when it is made; instead every
 * charge is applied to the quota and to each of its ancestors up to the
 * root, each checking its own limit, so a quota's "used" counts what it
 * and all its descendants hold. A child's limit may exceed what its
 * parent has left (over-commit): a charge then fails at the first level
 * without room, and a refused charge changes nothing at any level.
 * Destroying a quota destroys every object created from it, child quotas
 * included; as they are freed, each gives its charge back to every level.
 *
 * Locking: the counters are atomics, changed one level at a time along
 * the chain (with rollback on refusal), so charging takes no lock.
 * quota->obj.lock guards the object list; it is a leaf except that
 * obj_destroy (which takes no lock) is called under it. The limits and
 * the parent link never change after creation.
 */
#ifndef AERIE_QUOTA_H
#define AERIE_QUOTA_H

#include "object.h"
#include "cap.h"

struct quota {
    struct kobject obj;
    struct quota *parent;          /* reference held; NULL for the root */
    uint64_t limit_bytes, limit_threads, limit_objects;     /* fixed at creation */
    uint64_t used_bytes, used_threads, used_objects;        /* atomic; this quota and its descendants */
    struct list objects;           /* objects charged here, under obj.lock */
};

/* Charges bytes, threads and objects to q and every ancestor; AE_ENOMEM
 * (bytes) / AE_ELIMIT (threads, objects) at the first level without room,
 * AE_EDEAD if q is being destroyed. On failure nothing changed anywhere. */
int quota_charge(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects);
/* Gives a charge back to q and every ancestor. */
void quota_release(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects);

/* Allocates and charges an object of type (size bytes of structure plus
 * extra bytes of other memory the caller will allocate), linked into q.
 * Returns NULL with *err set. */
void *quota_new_object(struct quota *q, enum aerie_obj_type type, size_t size,
                       uint64_t extra, int *err);

/* Links a new object, whose capability is installed, into q's list; if
 * q is being destroyed meanwhile, o is destroyed and AE_EDEAD returned. */
int quota_adopt(struct quota *q, struct kobject *o);

/* Removes o from q's object list (the reaper calls this). */
void quota_unlink(struct quota *q, struct kobject *o);

/* The boot quota: all memory free when it is made. */
struct quota *quota_create_root(uint64_t bytes);

int quota_invoke(struct quota *q, const struct capref *cap, uint64_t label,
                 struct invocation *inv);

#endif
