/*
 * trace.h — per-quota event tracing (aerie/trace.h): the holder of a
 * quota's parent attaches a Memory object (TRACE) and the kernel writes
 * the events of the threads charged to that quota into it. Tracing off
 * costs a hot path one load and a branch (trace_on).
 *
 * Locking: trace.lock guards mem, nrec, kinds and the writing of records;
 * it is a leaf.
 */
#ifndef AERIE_TRACE_KERNEL_H
#define AERIE_TRACE_KERNEL_H

#include <stdint.h>
#include <stdbool.h>
#include <aerie/trace.h>
#include "lib/spinlock.h"

struct memobj;
struct quota;
struct thread;
struct invocation;

/* A quota's trace state, made by its first TRACE (quota.h). */
struct trace {
    spinlock_t lock;
    struct memobj *mem;            /* reference held; NULL: off */
    uint64_t nrec;
    uint64_t kinds;
};

/* Whether t's quota is traced (a racy look: trace_event checks again). */
bool trace_on(const struct thread *t);
/* Records an event of t (kind, when it began, how long, a..d). */
void trace_event(struct thread *t, unsigned kind, uint64_t ts, uint64_t dur,
                 uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* TRACE (child quota cap, memory cap or 0, kinds) on q, the child's parent. */
int trace_method(struct quota *q, struct invocation *inv);
/* The quota is torn down: tracing ends. */
void trace_stop(struct quota *q);
/* The quota is freed: its trace record goes (charged to its parent). */
void trace_free(struct quota *q);

#endif
