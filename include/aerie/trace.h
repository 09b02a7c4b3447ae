/*
 * aerie/trace.h — the layout of a trace buffer (Quota TRACE, docs/ABI.md):
 * a Memory object the kernel writes events of one quota's threads into,
 * for whoever holds its parent (cm, for `aerie trace`). A 64-byte header,
 * then 64-byte records in a ring. The kernel writes a record at head and
 * advances head; the reader reads from tail and advances tail; when the
 * ring is full the kernel drops the event and counts it in dropped.
 */
#ifndef AERIE_TRACE_H
#define AERIE_TRACE_H

#include <stdint.h>

#define AERIE_TRACE_MAGIC 0x4543415254454941ull   /* "AIETRACE" */

struct aerie_trace_hdr {
    uint64_t magic;
    uint64_t head;         /* records written (the kernel's) */
    uint64_t tail;         /* records taken (the reader's) */
    uint64_t dropped;      /* events lost to a full ring (the kernel's) */
    uint64_t nrec;         /* records the ring holds */
    uint64_t kinds;        /* bit per AERIE_TRACE_* kind recorded */
    uint64_t reserved[2];
};

/* Kinds of event, and what a, b, c, d hold. */
enum aerie_trace_kind {
    AERIE_TRACE_CALL    = 1,   /* an endpoint CALL: a slot, b label, c result (info word or -error), d badge 0 */
    AERIE_TRACE_FAULT   = 2,   /* a fault sent to the handler: a label, b address/vector, c rip, d error */
    AERIE_TRACE_SYSCALL = 3,   /* a foreign system call (Linux): a number, b arg 0, c result, d arg 1 */
    AERIE_TRACE_START   = 4,   /* a thread started (resumed the first time) */
    AERIE_TRACE_EXIT    = 5,   /* a thread exited: a status, b 1 if quiet */
    AERIE_TRACE_KINDS
};

struct aerie_trace_rec {
    uint64_t ts_ns;        /* when it began (the kernel's clock) */
    uint64_t dur_ns;       /* how long it took (CALL, SYSCALL) */
    uint16_t kind, cpu;
    uint32_t tid;          /* the thread (a number unique while it lives) */
    uint64_t a, b, c, d;
    uint64_t reserved;
};

_Static_assert(sizeof(struct aerie_trace_hdr) == 64, "trace header is 64 bytes");
_Static_assert(sizeof(struct aerie_trace_rec) == 64, "trace records are 64 bytes");

#endif
