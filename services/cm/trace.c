/*
 * trace.c — `aerie trace` in cm (docs/CM.md): a trace buffer for a
 * container, made from its own quota (use or keep: it counts in its limit and
 * outlives its run until removal), attached by the kernel's Quota TRACE
 * to its run quota, whose parent only cm holds — so the container can
 * neither read nor stop its own trace, and no one else's. READ takes
 * records from the ring (aerie/trace.h) through Memory READ and moves its
 * tail with Memory WRITE; cm maps nothing. Every function runs with c
 * locked.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/trace.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include "cm.h"

#define TRACE_BYTES_MIN  (8u << 10)
#define TRACE_BYTES_MAX  (16u << 20)
#define TRACE_PER_READ   7               /* records one reply carries (8 words each) */

/* The buffer comes from CM_RUN_PARENT: use, or keep for a container
 * without files. In the second case nothing holds keep's room for the
 * log back from it: a traced console-only container that fills its
 * memory can find no room for a log page it has not written yet (those
 * lines go unlogged; its limit and its neighbours are as ever). */
static int start(struct container *c, uint64_t bytes, uint64_t kinds)
{
    if (c->state != CM_RUNNING && c->state != CM_CREATED)
        return AE_EDEAD;
    if (bytes < TRACE_BYTES_MIN || bytes > TRACE_BYTES_MAX)
        return AE_EINVAL;
    if (!c->trace_mem) {
        c->trace_mem = ae_slot_alloc();
        int r = (int)ae_quota_create(CM_RUN_PARENT(c), AERIE_OBJ_MEMORY, c->trace_mem, bytes, 0, 0);
        if (r) {
            ae_slot_free(c->trace_mem);
            c->trace_mem = 0;
            return r;                        /* ENOMEM: the container's own limit */
        }
    }
    return (int)ae_invokev(CM_RUN_PARENT(c), AERIE_QUOTA_TRACE, c->run, c->trace_mem, kinds);
}

/* Takes up to TRACE_PER_READ records into w[4..]: w[1] dropped, w[2]
 * count, w[3] records still waiting. */
static int take(struct container *c, uint64_t *w, unsigned *nw)
{
    struct aerie_trace_hdr h;
    if (!c->trace_mem)
        return AE_ENOENT;
    int r = (int)ae_invoke(c->trace_mem, AERIE_MEM_READ, 2, AE_ARGS(0, sizeof h), (uint64_t *)&h, 8);
    if (r)
        return r;
    uint64_t avail = h.head >= h.tail ? h.head - h.tail : 0, n = avail < TRACE_PER_READ ? avail : TRACE_PER_READ;
    if (h.magic != AERIE_TRACE_MAGIC || !h.nrec)
        n = avail = 0;
    for (uint64_t i = 0; i < n; ) {          /* up to 4 records (256 bytes) a READ, not past the ring's end */
        uint64_t slot = (h.tail + i) % h.nrec, k = n - i;
        if (k > 4)
            k = 4;
        if (k > h.nrec - slot)
            k = h.nrec - slot;
        uint64_t off = sizeof h + slot * sizeof(struct aerie_trace_rec);
        r = (int)ae_invoke(c->trace_mem, AERIE_MEM_READ, 2, AE_ARGS(off, k * sizeof(struct aerie_trace_rec)),
                           &w[4 + i * 8], (unsigned)(k * 8));
        if (r)
            return r;
        i += k;
    }
    uint64_t tail = h.tail + n;
    r = (int)ae_invoke(c->trace_mem, AERIE_MEM_WRITE, 3,
                       AE_ARGS(offsetof(struct aerie_trace_hdr, tail), 8, tail), 0, 0);
    if (r)
        return r;
    w[1] = h.dropped;
    w[2] = n;
    w[3] = avail - n;
    *nw = 4 + (unsigned)n * 8;
    return 0;
}

int cm_trace_op(struct container *c, struct ae_request *rq)
{
    uint64_t op = rq->w[1];
    rq->nreply = 1;
    switch (op) {
    case CM_TRACE_START:
        if (rq->nwords < 4)
            return AE_EPROTO;
        return start(c, rq->w[2], rq->w[3]);
    case CM_TRACE_STOP:
        if (c->run)
            ae_invokev(CM_RUN_PARENT(c), AERIE_QUOTA_TRACE, c->run, 0, 0);
        return 0;
    case CM_TRACE_READ:
        return take(c, rq->reply, &rq->nreply);
    case CM_TRACE_NAMES: {
        size_t n = strlen(c->slot_names);
        rq->reply[1] = n;
        memcpy(&rq->reply[2], c->slot_names, n);
        rq->nreply = 2 + (unsigned)((n + 7) / 8);
        return 0;
    }
    default:
        return AE_EINVAL;
    }
}
