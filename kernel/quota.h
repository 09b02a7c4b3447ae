/*
 * quota.h — the Quota object: a byte budget plus limits on threads and
 * objects, from which every kernel allocation is charged. A child quota
 * reserves its whole budget from its parent when it is made and gives it
 * back when it is freed. Destroying a quota destroys every object created
 * from it, child quotas included.
 *
 * Locking: quota->obj.lock guards the counters and the object list; it is
 * a leaf except that obj_destroy (which takes no lock) is called under it.
 */
#ifndef AERIE_QUOTA_H
#define AERIE_QUOTA_H

#include "object.h"
#include "cap.h"

struct quota {
    struct kobject obj;
    struct quota *parent;          /* reference held */
    uint64_t limit_bytes, used_bytes;
    uint32_t limit_threads, used_threads;
    uint32_t limit_objects, used_objects;
    struct list objects;           /* objects charged here */
};

/* Charges bytes, threads and objects to q; AE_ENOMEM / AE_ELIMIT /
 * AE_EDEAD (quota destroyed) on failure, in which case nothing changed. */
int quota_reserve(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects);
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
