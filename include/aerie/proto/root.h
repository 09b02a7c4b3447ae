/*
 * aerie/proto/root.h — what root answers besides faults (docs/RESTART.md).
 *
 * Root serves its fault endpoint. A service whose boot.conf grants it
 * "root.admin" (the container manager) receives a copy of that endpoint
 * badged PROTO_ADMIN_BADGE | its index + 1; messages through it that the
 * kernel did not build are these requests. Nothing else reaches them: a
 * service's own "self.fault" capability carries the index alone, and the
 * kernel's fault messages are the only ones root reads from it.
 *
 * Reply label 0 or the positive value of a negative AE_* error.
 */
#ifndef AERIE_PROTO_ROOT_H
#define AERIE_PROTO_ROOT_H

#include "proto.h"

enum root_op {
    /* Fault injection: destroys service NAME at once (its task, threads
     * and quota, as if it had crashed) and starts it again if it is marked
     * restart=yes. 0: name length (<= 31), 1..: name
     * -> 0: nanoseconds from the kill until the new instance was started
     *    (its task made and its first thread running), 1: restarts of it so far.
     * Errors: ENOENT (no running service of that name), EPERM (not
     * restart=yes, or root itself, or the caller), EINVAL (a bad name). */
    ROOT_DEBUG_KILL_SERVICE = 1,
    /* The keeper: capabilities a restartable service asks root to hold
     * for its next instance (docs/RESTART.md). Through "keeper" only (badge
     * ROOT_KEEP_BADGE | the service's index + 1): each service sees only
     * its own. Keys are the service's own 64-bit names (fs: the address of
     * the field in its persistent memory that holds the capability). */
    ROOT_KEEP_PUT  = 2,   /* 0: key; caps[0]: the capability (replaces the key's) -> () */
    ROOT_KEEP_NEXT = 3,   /* 0: after -> 0: the smallest key > after, and a copy of its capability
                             (ENOENT past the last) */
    ROOT_KEEP_DROP = 4,   /* 0: key -> () (ENOENT) */
};

#define ROOT_KEEP_BADGE (1ull << 61)
/* Capabilities one service may keep at once. */
#define ROOT_KEEP_MAX   65536

#define ROOT_NAME_MAX 31

#endif
