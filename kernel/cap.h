/*
 * cap.h — capabilities and capability spaces.
 *
 * A capability is a slot holding (object, rights, badge). Slots live in
 * page-sized chunks that never move, reached through a directory that
 * grows on demand; chunks are charged to the owning task's quota.
 * Capabilities form a derivation tree (copies are children of their
 * source) so REVOKE can find every copy, in any task.
 *
 * Locking: cdt_lock (global) serialises every change to the derivation
 * tree and to objects' capability lists: copy, move, delete, revoke. No
 * one holds it for more than a bounded batch of removals: revoke is a
 * restarted system call, and removing all capabilities of an object or
 * of a space drops the lock between batches.
 * cspace->lock guards the slots of one space: lookups take only this lock,
 * and so do installs of brand-new objects' first capabilities, so the IPC
 * path and object creation never take cdt_lock. Order: cdt_lock, then
 * cspace locks (two at once in address order), then object locks.
 */
#ifndef AERIE_CAP_H
#define AERIE_CAP_H

#include <stdint.h>
#include <aerie/errors.h>
#include "object.h"

struct cspace;

struct cap {
    struct kobject *obj;         /* NULL: empty slot; holds a reference */
    uint64_t badge;
    uint8_t type, rights;
    uint16_t pad;
    uint32_t index;
    struct cspace *cspace;
    struct cap *parent;          /* derivation tree */
    struct list children;
    struct list sibling;
    struct list obj_link;        /* in obj->caps */
};

/* Chunks of 6 slots (528 bytes, a 576-byte slab object): a container of
 * the default spec holds its grants in slots 1..5 (cm's spawn puts them
 * there), so it pays for one chunk, about half the 1 KiB chunk of 11
 * slots it paid before (docs/EVALUATION.md, memory per container). */
#define CAPS_PER_CHUNK 6
#define CSPACE_CHUNK_BYTES (CAPS_PER_CHUNK * sizeof(struct cap))

struct cspace {
    spinlock_t lock;
    struct cap **dir;            /* chunk pointers, NULL where none yet */
    uint32_t dir_len;
    uint32_t used;               /* occupied slots */
    bool dead;                   /* cleared for good: no more growth */
    struct quota *quota;         /* charged for chunks and directory */
};

/* A looked-up capability: a copy of the slot with a reference on obj. */
struct capref {
    struct kobject *obj;
    uint64_t badge;
    uint8_t type, rights;
    uint32_t slot;
};

/* Method invocation on a kernel object: arguments copied in from the
 * caller's UTCB (so the caller cannot change them under the decoder),
 * results written to its UTCB. */
#define INV_MAX_ARGS 24        /* SET_REGS needs 1 + AERIE_REG_COUNT */
_Static_assert(INV_MAX_ARGS >= 1 + 19, "room for SET_REGS");
struct thread;
struct invocation {
    struct thread *caller;
    uint64_t args[INV_MAX_ARGS];
    unsigned nargs;
    uint64_t *reply;              /* the caller's UTCB words */
    unsigned nreply;
    uint64_t bad_arg;             /* index of the argument at fault, ~0 if none */
};

static inline int inv_fail(struct invocation *inv, unsigned arg, int err)
{
    inv->bad_arg = arg;
    return err;
}

/* Reads argument i; missing arguments are an error naming that word. */
static inline int inv_arg(struct invocation *inv, unsigned i, uint64_t *v)
{
    if (i >= inv->nargs)
        return inv_fail(inv, i, AE_EINVAL);
    *v = inv->args[i];
    return 0;
}

void cspace_init(struct cspace *cs, struct quota *q);
/* Deletes every capability in cs and frees its chunks. */
void cspace_clear(struct cspace *cs);

/* One past the highest slot cs has room for now (TASK_CLONE walks them). */
uint64_t cspace_slot_limit(struct cspace *cs);
/* The first slot >= slot in a chunk that exists (slot itself if its chunk
 * does), or cspace_slot_limit: a walk over a space skips what was never
 * allocated. */
uint64_t cspace_next_chunk(struct cspace *cs, uint64_t slot);
int cap_lookup(struct cspace *cs, uint64_t slot, int type, uint8_t rights, struct capref *out);
static inline void capref_put(struct capref *r) { if (r->obj) obj_put(r->obj); r->obj = NULL; }

/* Checks that slot could take a capability (valid index, empty now). */
int cap_slot_usable(struct cspace *cs, uint64_t slot);
/* Puts the first capability of a new object in slot. Takes only the
 * cspace lock: o must not be reachable by anyone else yet. */
int cap_install(struct cspace *cs, uint64_t slot, struct kobject *o, uint8_t rights, uint64_t badge);

/* Puts a one-shot reply capability for thread t (badge = its wait
 * sequence) in slot; it keeps t's memory alive, not t itself. */
int cap_install_reply(struct cspace *cs, uint64_t slot, struct kobject *t, uint64_t seq);
/* The derivation-tree lock, for IPC that transfers capabilities: it must
 * be taken before endpoint and thread locks. */
void cdt_lock_acquire(void);
void cdt_lock_release(void);
/* cap_transfer with cdt_lock already held. */
uint32_t cap_transfer_locked(struct cspace *src, uint64_t s, struct cspace *dst, const uint32_t *window,
                             unsigned nwindow, unsigned *next);

int cap_copy(struct cspace *src, uint64_t s, struct cspace *dst, uint64_t d, uint8_t mask, uint64_t badge);
int cap_move(struct cspace *cs, uint64_t s, uint64_t d);
int cap_delete(struct cspace *cs, uint64_t slot);
/* Removes at most one batch of the capabilities derived from slot; returns
 * CAP_REVOKE_MORE if some are left (the system call is then restarted, so
 * a huge revoke neither holds cdt_lock nor keeps interrupts off for long). */
#define CAP_REVOKE_MORE 1
int cap_revoke(struct cspace *cs, uint64_t slot);
int cap_info(struct cspace *cs, uint64_t slot, uint64_t *type_rights, uint64_t *badge);
/* Removes every capability naming o (o is being destroyed). */
void cap_remove_all(struct kobject *o);

/* For IPC: copies capability s of src into the first usable slot of
 * window in dst; returns the slot used, 0 if none could take it. */
uint32_t cap_transfer(struct cspace *src, uint64_t s, struct cspace *dst, const uint32_t *window,
                      unsigned nwindow, unsigned *next);

#endif
