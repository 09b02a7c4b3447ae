/*
 * aerie/proto/cm.h — the container manager protocol (docs/CM.md). Its
 * clients are the control service (ctl, granted "cm.admin") and test and
 * benchmark programs granted "cm"; containers never hold it. Adding and
 * removing images and CM_FS_SESSION need "cm.admin".
 *
 * Every reply's word 0 is the status (0 or a negative AE_* value); on an
 * error, words 1.. may carry a message: word 1 its length, 2.. its bytes.
 * Text (specs, names, log bytes) travels in message words; a spec longer
 * than CM_TEXT_MAX travels in a Memory object sent with the request.
 */
#ifndef AERIE_PROTO_CM_H
#define AERIE_PROTO_CM_H

#include <stdint.h>
#include "proto.h"

#define CM_TEXT_MAX   ((64 - 2) * 8)     /* bytes of text one message carries */
#define CM_SPEC_MAX   (64 * 1024)        /* bytes of a spec (in a Memory object past CM_TEXT_MAX) */
#define CM_FS_CHUNK   432                /* file bytes (and path) one message carries */
#define CM_FS_W_CREATE 0x1u
#define CM_FS_W_TRUNC  0x2u
#define CM_IMAGE_STAGE (1u << 20)        /* the staging memory an import is written through */
#define CM_IMAGES_MAX  64                /* imported images cm holds at once */
#define CM_NAME_MAX    31                /* bytes of an image name */

enum cm_op {
    CM_CREATE = 1,   /* 0: length, 1..: spec text            -> 1: id
                        or, with one capability (a Memory object, READ): 0: length (<= CM_SPEC_MAX),
                        the text at its offset 0; cm copies it and keeps no reference. Refused:
                        more words (EPROTO), a longer length (EMSGSIZE), another object (EINVAL),
                        a length past the object (ERANGE), no READ (ERIGHTS) */
    CM_START  = 2,   /* 0: id                                 -> () */
    CM_RUN    = 3,   /* CREATE then START                     -> 1: id */
    CM_WAIT   = 4,   /* 0: id: blocks until it ends           -> 1..: as STATUS */
    CM_STATUS = 5,   /* 0: id -> 1: state, 2: exit status, 3: fault label, 4: fault address, 5: fault rip */
    CM_KILL   = 6,   /* 0: id                                 -> () */
    CM_REMOVE = 7,   /* 0: id: destroys it and all it held    -> () */
    CM_LIST   = 8,   /* 0: first id -> 1: count, then (id, state) pairs, ids ascending */
    CM_STATS  = 9,   /* 0: id -> 1: mem used, 2: mem limit, 3: threads used, 4: thread limit,
                        5: objects used, 6: object limit, 7: uptime ns, 8: state, 9: cpu;
                        where the memory is: 10: its running program (0 once ended),
                        11: its console log, 12: the rest of its limit's charges (files,
                        kernel records), 13: cm's own record of it (not in word 1);
                        activity, counted since it started by what enforces its limits:
                        14: CPU ns its threads ran (the kernel's count, on its run quota),
                        15: endpoint calls they made, 16: file bytes read, 17: file bytes
                        written (its fs session), 18: packets received, 19: packets sent
                        (its net client), 20: live threads (0 once ended), 21: its debugger's
                        hold (enum cm_debug_stop: 0 none, 1 stopped, 2 held in a fault),
                        22: its fs session's metadata bytes (in fs's heap, not in word 1),
                        23: what that metadata may reach (its cap; 0 without a session) */
    CM_LOGS   = 10,  /* 0: id, 1: from -> 1: next from, 2: length, 3..: bytes */
    CM_IMAGES = 11,  /* 0: index -> 1: length, 2..: name (ENOENT past the last) */
    CM_INFO   = 12,  /* 0: id -> 1: length, 2..: "image name" */
    /* A container's files (its fs session; `aerie cp`), also after it ended,
     * until it is removed. Paths are bytes packed from the word named. */
    CM_FS_STAT  = 13, /* 0: id, 1: path length, 2..: path -> 1: type (FS_TYPE_*), 2: size, 3: mode */
    CM_FS_READ  = 14, /* 0: id, 1: offset, 2: length (<= CM_FS_CHUNK), 3: path length, 4..: path
                         -> 1: bytes read, 2: file size, 3..: bytes */
    CM_FS_WRITE = 15, /* 0: id, 1: offset, 2: CM_FS_W_* flags, 3: mode, 4: path length,
                         5: length, 6..: path then data (together <= CM_FS_CHUNK) -> 1: bytes written */
    CM_FS_MKDIR = 16, /* 0: id, 1: mode, 2: path length, 3..: path -> () */
    CM_FS_LIST  = 17, /* 0: id, 1: cookie, 2: path length, 3..: path
                         -> 1: next cookie, 2: 1 at the end, 3: count, 4..: records
                            (type byte, name length byte, name) */
    /* Imported images (docs/CM.md, "Imported images"); names are bytes
     * packed from the word named, after their length. An import is begun,
     * written through the staging memory BEGIN returns (each WRITE copies
     * its first bytes into the image), then committed (validated: only
     * then can containers run it) or aborted. */
    CM_IMAGE_BEGIN  = 18, /* 0: archive bytes, 1: name length, 2..: name
                             -> capability: the staging memory (CM_IMAGE_STAGE bytes, read-write) */
    CM_IMAGE_WRITE  = 19, /* 0: offset, 1: length (<= CM_IMAGE_STAGE), 2: name length, 3..: name -> () */
    CM_IMAGE_COMMIT = 20, /* 0: name length, 1..: name -> () */
    CM_IMAGE_ABORT  = 21, /* 0: name length, 1..: name -> () */
    CM_IMAGE_REMOVE = 22, /* 0: name length, 1..: name -> (): refused while a container uses it */
    CM_IMAGE_INFO   = 23, /* 0: index -> 1: archive bytes, 2: imported (Unix seconds; 0: a boot image),
                             3: name length, 4: program length, 5..: name, then program */
    CM_FS_SESSION   = 24, /* 0: id -> capability: a copy of its fs session's, for bulk transfers */
    /* A debugger's primitives on a container made with debug=yes or hold
     * (EPERM otherwise): 0: id, 1: CM_DBG_* operation, 2..: its words. */
    CM_DEBUG        = 25,
    /* Its trace (aerie/trace.h): 0: id, 1: CM_TRACE_* operation, 2..: its words. */
    CM_TRACE        = 26,
    /* Services restarting under running containers (docs/RESTART.md). */
    CM_DEBUG_KILL_SERVICE = 27, /* admin. 0: name length (<= 31), 1..: a boot service's name (console, fs,
                                   net, ...): root kills it and starts it again -> 1: ns from the kill until
                                   the new instance started, 2: ns until it answered a request (0: not
                                   measured), 3: kills of it so far */
    CM_SERVICE_RESTARTED  = 28, /* admin (root tells cm). 0: length, 1..: the service's serve= name: cm
                                   re-attaches what its containers hold through it (console: each
                                   container's stream and log) -> () */
    CM_SIGNAL       = 29, /* 0: id, 1: Linux signal number (1..64): to a Linux program's first
                             process (SIGINT: its process group) -> (); AE_ENOTSUP for a
                             program that is not a Linux one (only CM_KILL ends it) */
    CM_FORK         = 30, /* admin. 0: id, 1: n (1..CM_FORK_MAX): n clones of a running container
                             (docs/FORK.md) -> 1: n, 2: ns the fork took (the original stopped
                             to the last clone started), 3..: the clones' ids */
    CM_INPUT        = 31, /* admin. 0: id, 1: CM_INPUT_EOF or 0, 2: length (<= CM_INPUT_CHUNK), 3..: bytes
                             for its standard input (grant=stdin, `aerie run -i`) -> 1: bytes taken
                             (fewer when its input ring is full: send the rest again later; the end
                             counts once every byte was taken). AE_ENOENT: it was not given input;
                             AE_ESRCH: no such container, or it ended (its input is gone);
                             AE_EDEAD: the console restarted and lost its input ring */
    CM_INPUT_ORPHANS = 32, /* admin (ctl, when it starts). () -> 1: how many containers got the end of
                             their input: each whose input a client was feeding (a CM_INPUT without
                             the end since its last one with it) — the clients of a ctl that died
                             are gone, and "the CLI going away ends the input" must survive that */
    CM_EXEC         = 33, /* 0: id, 1: argc | flags (CM_EXEC_STDIN, CM_EXEC_TTY) << 32, 2: text length
                             (<= CM_EXEC_TEXT_MAX), 3..: argc NUL-terminated words (the program and its
                             arguments), then NAME=VALUE words for its environment: a new process in a
                             running Linux container (`aerie exec`, docs/LINUX.md) -> 1: the exec's
                             number N. Only asked: whether it started says CM_EXEC_STATUS.
                             AE_ESRCH no such container, AE_EBUSY not running, AE_ENOTSUP not a
                             Linux program, AE_ETIMEOUT its personality did not take the request (250 ms) */
    CM_EXEC_STATUS  = 34, /* 0: id, 1: N -> 1: CM_EXEC_* state, 2: value (RUNNING: the pid; FAILED:
                             the Linux errno; EXITED: the wait status), 3: input bytes it took
                             (bit 63: and the end). AE_EBUSY: the container is not running (an
                             exec'd process ends with it) */
    CM_EXEC_INPUT   = 35, /* 0: id, 1: N, 2: offset | CM_INPUT_EOF << 63, 3: length (<= CM_EXEC_IN_CHUNK),
                             4..: bytes for exec N's fd 0 (CM_EXEC_STDIN) from that offset of its input ->
                             (); how much it took says CM_EXEC_STATUS's word 3: send the rest again */
    CM_INSPECT      = 36, /* admin (it shows a container's environment). 0: id, 1: offset into its text
                             -> 1: created, 2: started (0: not yet), 3: ended (0: not yet), 4: now (cm's
                             clock, ns, the same as 1..3's), 5: the text's length, 6: n, the bytes from the
                             offset in this reply (<= CM_INSPECT_CHUNK), 7..: those bytes. The text is
                             NUL-terminated "KEY VALUE" records (`aerie inspect`): "grants 1=console ...",
                             "port tcp:80-80" per range it holds, "arg WORD" per argv word as its program
                             was started with, "env NAME=VALUE" per environment word, and "truncated N"
                             when N more bytes of them were not kept (at most CM_INSPECT_KEEP are) */
    CM_RENAME       = 37, /* admin (names are how the operator finds containers). 0: id, 1: length (1..31),
                             2..: the new name (a letter, then letters, digits, _ . -) -> (); EEXIST when
                             another container has it, EINVAL not a name or the one it has, ESRCH no such id */
    CM_OP_COUNT
};
/* CM_EXEC: what aerie/proto/linux.h's LX_EXEC request carries */
#define CM_EXEC_STDIN      1u
#define CM_EXEC_TTY        2u   /* fds 0-2 a terminal of its own (aerie exec -t; LX_EXEC_TTY) */
#define CM_EXEC_TEXT_MAX   ((64 - 3) * 8)
#define CM_EXEC_IN_CHUNK   ((64 - 4) * 8)
#define CM_INSPECT_CHUNK   ((64 - 7) * 8)
#define CM_INSPECT_KEEP    2048          /* bytes of a container's args and env cm keeps for CM_INSPECT */
enum cm_exec_state { CM_EXEC_PENDING = 0, CM_EXEC_RUNNING = 1, CM_EXEC_FAILED = 2, CM_EXEC_EXITED = 3,
                     CM_EXEC_LOST = 4 /* its slot was taken by a later exec before it was read */ };
#define CM_FORK_MAX 32
#define CM_INPUT_EOF   1
#define CM_INPUT_CHUNK ((64 - 3) * 8)

/* CM_DEBUG operations. Registers and memory only while it is stopped
 * (EBUSY otherwise); its first thread is the one debugged. */
enum cm_debug_op {
    CM_DBG_ATTACH   = 1,  /* stops it -> as STATUS */
    CM_DBG_DETACH   = 2,  /* lets it run on, no longer held on faults (unless debug=hold) */
    CM_DBG_STATUS   = 3,  /* -> 1: CM_DBG_RUNNING/STOPPED/TRAPPED/ENDED, 2: fault label (TRAPPED),
                             3..6: the fault's words (exception: vector, error, rip, rsp), 7: state */
    CM_DBG_STOP     = 4,  /* stops it where it is */
    CM_DBG_CONT     = 5,  /* lets it run on */
    CM_DBG_STEP     = 6,  /* runs one instruction, then it traps (TRAPPED, vector 1) */
    CM_DBG_REGS     = 7,  /* -> 1..: the registers, in enum aerie_reg order */
    CM_DBG_SET_REGS = 8,  /* 2: mask, 3..: the registers in enum aerie_reg order */
    CM_DBG_READ     = 9,  /* 2: address, 3: length <= 256 -> 1..: the bytes */
    CM_DBG_WRITE    = 10, /* 2: address, 3: length <= 176, 4..: the bytes (writable pages only) */
};

/* CM_TRACE operations. */
enum cm_trace_op {
    CM_TRACE_START = 1,   /* 2: buffer bytes (8K..16M, from its own quota), 3: kinds (bit per
                             AERIE_TRACE_*): starts or changes it */
    CM_TRACE_STOP  = 2,   /* the kernel stops writing; what is in the buffer stays */
    CM_TRACE_READ  = 3,   /* -> 1: events dropped so far, 2: count n (<= 7), 3: still waiting,
                             4..: n records, 8 words each (struct aerie_trace_rec) */
    CM_TRACE_NAMES = 4,   /* -> 1: length, 2..: "SLOT=NAME ..." of its program's grants */
};

enum cm_debug_stop {
    CM_DBG_RUNNING = 0, CM_DBG_STOPPED = 1, /* by the debugger */
    CM_DBG_TRAPPED = 2,                      /* in a fault: breakpoint, step, or a crash held */
    CM_DBG_ENDED   = 3,
};

enum cm_state {
    CM_CREATED = 1,  /* made, not started */
    CM_RUNNING = 2,
    CM_EXITED  = 3,  /* exit status in STATUS word 2 */
    CM_FAULTED = 4,  /* the fault in STATUS words 3..5 */
    CM_KILLED  = 5,
};

#endif
