/*
 * aerie/proto/cm.h — the container manager protocol (docs/CM.md). Its
 * clients are the control service (ctl) and test and benchmark programs
 * granted "cm"; containers never hold it.
 *
 * Every reply's word 0 is the status (0 or a negative AE_* value); on an
 * error, words 1.. may carry a message: word 1 its length, 2.. its bytes.
 * Text (specs, names, log bytes) travels in message words.
 */
#ifndef AERIE_PROTO_CM_H
#define AERIE_PROTO_CM_H

#include <stdint.h>
#include "proto.h"

#define CM_TEXT_MAX   ((64 - 2) * 8)     /* bytes of text one message carries */

enum cm_op {
    CM_CREATE = 1,   /* 0: length, 1..: spec text            -> 1: id */
    CM_START  = 2,   /* 0: id                                 -> () */
    CM_RUN    = 3,   /* CREATE then START                     -> 1: id */
    CM_WAIT   = 4,   /* 0: id: blocks until it ends           -> 1..: as STATUS */
    CM_STATUS = 5,   /* 0: id -> 1: state, 2: exit status, 3: fault label, 4: fault address, 5: fault rip */
    CM_KILL   = 6,   /* 0: id                                 -> () */
    CM_REMOVE = 7,   /* 0: id: destroys it and all it held    -> () */
    CM_LIST   = 8,   /* 0: first id -> 1: count, then (id, state) pairs, ids ascending */
    CM_STATS  = 9,   /* 0: id -> 1: mem used, 2: mem limit, 3: threads used, 4: thread limit,
                        5: objects used, 6: object limit, 7: uptime ns, 8: state, 9: cpu */
    CM_LOGS   = 10,  /* 0: id, 1: from -> 1: next from, 2: length, 3..: bytes */
    CM_IMAGES = 11,  /* 0: index -> 1: length, 2..: name (ENOENT past the last) */
    CM_INFO   = 12,  /* 0: id -> 1: length, 2..: "image name" */
    CM_OP_COUNT
};

enum cm_state {
    CM_CREATED = 1,  /* made, not started */
    CM_RUNNING = 2,
    CM_EXITED  = 3,  /* exit status in STATUS word 2 */
    CM_FAULTED = 4,  /* the fault in STATUS words 3..5 */
    CM_KILLED  = 5,
};

#endif
