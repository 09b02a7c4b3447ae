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
 * quota->obj.lock guards the object list and the watch's state; it is a
 * leaf except that obj_destroy (which takes no lock) is called under it.
 * A watch is posted to its endpoint after that lock is dropped. The
 * limits, the CPU set and the parent link never change after creation.
 *
 * CPUs. Each quota names the CPUs its threads may run on (cpus, a bit per
 * CPU): the boot quota every CPU, a child a subset of its parent's, given
 * at CREATE or inherited (never wider: CREATE refuses a CPU its parent
 * lacks). Every path that picks a thread's CPU keeps it inside the set of
 * the quota the thread is charged to: thread_new, thread_clone and
 * SET_AFFINITY (thread.c). cm sets a container's from its spec's cpus=.
 */
#ifndef AERIE_QUOTA_H
#define AERIE_QUOTA_H

#include "object.h"
#include "cap.h"
#include "ipc.h"
#include "trace.h"

/*
 * A watch, set by the holder of a quota's parent (QUOTA_WATCH), reports
 * once that the quota's work is over: when the last live thread charged
 * to it or to a descendant ends (a thread is live from its first start
 * until it dies, whatever way), or when the quota is destroyed, whichever
 * comes first. The report is an AERIE_FAULT_GONE notice built in place.
 */
enum { WATCH_NONE, WATCH_ARMED, WATCH_FIRED };

struct quota_watch {
    struct endpoint *ep;           /* reference held from setting to release */
    uint8_t state;                 /* WATCH_*, under the quota's obj.lock */
    struct ipc_notice notice;
};

/* How a thread ended, for the GONE message (aerie/fault.h AERIE_END_*). */
struct quota_end {
    uint64_t how, detail;
    uint64_t words[4];
};

/* Every container is two or three of these, so a quota fits a 192-byte
 * slab object: thread and object counts are 32-bit (limits are at most
 * 2^30), and a watch or a trace — set on few quotas, by the holder of the
 * parent — is allocated when first set, charged to the parent (the
 * setter's side pays), and freed with the quota. */
struct quota {
    struct kobject obj;
    struct quota *parent;          /* reference held; NULL for the root */
    uint64_t limit_bytes;          /* fixed at creation */
    uint64_t used_bytes;           /* atomic; this quota and its descendants */
    uint32_t limit_threads, limit_objects;                  /* fixed at creation, at most 2^30 */
    uint32_t used_threads, used_objects;                    /* atomic; as used_bytes */
    uint64_t live_threads;         /* atomic; started, not yet dead, here and below */
    uint64_t cpus;                 /* CPUs its threads may run on; fixed at creation */
    uint64_t cpu_tsc, ipc_calls;   /* atomic; of threads charged to this quota itself (sched.c) */
    struct list objects;           /* objects charged here, under obj.lock */
    struct quota_watch *watch;     /* NULL until first set; then until freed (under obj.lock) */
    struct trace *trace;           /* NULL until first TRACE; then until freed (trace.c) */
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
/* The two quotas of a copy-on-write clone (Memory CLONE, Task CLONE):
 * word 0 the quota the copy is charged to (MANAGE), word 1 the source's
 * own quota, which must carry AERIE_R_CLONE — only what the boot quota
 * hands down with it (cm's) may clone; a container's own quota lacks it
 * (review3 F1). References in *qc and *sqc; failures name their word. */
int quota_lookup_clone_pair(struct cspace *cs, struct invocation *inv, uint64_t qslot,
                            uint64_t sqslot, struct capref *qc, struct capref *sqc);

/* Installs the first capability of a new object o made from q in slot and
 * links o into q, safely against the capability's deletion in between; on
 * failure o is destroyed. */
int quota_install_new(struct quota *q, struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t rights);

/* Removes o from q's object list (the reaper calls this). */
void quota_unlink(struct quota *q, struct kobject *o);

/* A thread charged to q was started for the first time / has died (or
 * is being destroyed): counted at every level; a watched level whose
 * count drops to zero reports it. No locks held. */
void quota_thread_started(struct quota *q);
void quota_thread_ended(struct quota *q, const struct quota_end *end);

/* Whether q's threads may run on cpu (one that exists, in q's set). */
bool quota_cpu_allowed(const struct quota *q, uint64_t cpu);
/* The CPU a new thread of q starts on: the current one if q allows it,
 * else the lowest CPU of q's set. */
unsigned quota_place(const struct quota *q);

/* The boot quota: all memory free when it is made. */
struct quota *quota_create_root(uint64_t bytes);

int quota_invoke(struct quota *q, const struct capref *cap, uint64_t label,
                 struct invocation *inv);

#endif
