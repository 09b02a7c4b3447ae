/*
 * debug.c — a debugger's reach into one container (docs/CM.md, "aerie
 * debug"): stop and resume its first thread, read and write its
 * registers and its memory, single-step, and hold it on a fault. The
 * remote-protocol stub gdb talks to is on the host (tools/aerie_debug.c);
 * these are the primitives it needs, each on one container id.
 *
 * Only a container created with debug=yes or debug=hold can be debugged:
 * its program is then a private copy mapped writable (breakpoints go into
 * its own text, never the image another container runs), and cm keeps its
 * task and thread capabilities. A breakpoint (int3, #BP) or a single step
 * (TF, #DB) reaches cm as an exception fault of that thread; cm keeps the
 * reply (the thread waits in its fault call) until the debugger resumes
 * it. Every function here runs with c locked.
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include "cm.h"

#define RFLAGS_TF 0x100ull
#define VEC_DEBUG 1
#define VEC_BREAKPOINT 3

static bool live(const struct container *c)
{
    return c->state == CM_RUNNING && c->thread && c->task;
}

/* A fault of a debuggable container: held (true) when it is a trap of
 * the debugger's (breakpoint, single step), or any fault while a
 * debugger is attached or the spec says hold. Exits are never held. */
bool cm_debug_fault(struct container *c, struct ae_request *rq)
{
    if (!c->debug || !live(c) || rq->label == AERIE_FAULT_EXIT || rq->label == AERIE_FAULT_GONE)
        return false;
    bool trap = rq->label == AERIE_FAULT_EXCEPTION && rq->nwords > 0 &&
                (rq->w[0] == VEC_DEBUG || rq->w[0] == VEC_BREAKPOINT);
    if (!trap && !c->dbg.attached && c->debug != SPEC_DEBUG_HOLD)
        return false;
    if (c->dbg.reply)
        return false;                       /* a second thread's fault: not ours to hold */
    uint64_t slot = ae_slot_alloc();
    if (ae_reply_save(slot) < 0) {
        ae_slot_free(slot);
        return false;
    }
    c->dbg.reply = slot;
    c->dbg.stop = CM_DBG_TRAPPED;
    c->dbg.label = rq->label;
    for (unsigned i = 0; i < 4; i++)
        c->dbg.w[i] = i < rq->nwords ? rq->w[i] : 0;
    rq->no_reply = true;
    return true;
}

/* Sets or clears TF in the thread's flags (it is stopped). */
static int set_step(struct container *c, bool step)
{
    uint64_t regs[AERIE_REG_COUNT];
    int r = (int)ae_invoke(c->thread, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT);
    if (r)
        return r;
    uint64_t f = step ? regs[AERIE_REG_RFLAGS] | RFLAGS_TF : regs[AERIE_REG_RFLAGS] & ~RFLAGS_TF;
    if (f == regs[AERIE_REG_RFLAGS])
        return 0;
    regs[AERIE_REG_RFLAGS] = f;
    return (int)ae_thread_set_regs(c->thread, 1ull << AERIE_REG_RFLAGS, regs);
}

/* Lets the stopped thread run on (step: one instruction). */
static int resume(struct container *c, bool step)
{
    if (c->dbg.stop == CM_DBG_RUNNING)
        return 0;
    int r = set_step(c, step);
    if (r)
        return r;
    if (c->dbg.stop == CM_DBG_TRAPPED) {
        ae_utcb()->mr[0] = 0;
        ae_send(c->dbg.reply, AERIE_INFO(AERIE_FAULT_RESUME, 1, 0), AERIE_TIMEOUT_POLL);
        ae_slot_free(c->dbg.reply);         /* the reply capability is gone once used */
        c->dbg.reply = 0;
    } else if ((r = (int)ae_invoke0(c->thread, AERIE_THREAD_RESUME))) {
        return r;
    }
    c->dbg.stop = CM_DBG_RUNNING;
    return 0;
}

/* Stops the running thread where it is. */
static int stop(struct container *c)
{
    if (c->dbg.stop != CM_DBG_RUNNING)
        return 0;
    int r = (int)ae_invoke0(c->thread, AERIE_THREAD_SUSPEND);
    if (!r) {
        c->dbg.stop = CM_DBG_STOPPED;
        c->dbg.label = 0;
    }
    return r;
}

/* The container ends: a held thread's reply capability goes. */
void cm_debug_end(struct container *c)
{
    if (c->dbg.reply) {
        ae_cap_delete(c->dbg.reply);        /* unused: the held thread is released (and ends) */
        ae_slot_free(c->dbg.reply);
        c->dbg.reply = 0;
    }
    c->dbg.stop = CM_DBG_RUNNING;
    c->dbg.attached = false;
    if (c->task) {
        ae_cap_delete(c->task);
        ae_slot_free(c->task);
        c->task = 0;
    }
}

/* Words 1..: stop state, fault label, its four words, container state. */
static unsigned put_stop(const struct container *c, uint64_t *w)
{
    w[1] = live(c) ? (uint64_t)c->dbg.stop : CM_DBG_ENDED;
    w[2] = c->dbg.stop == CM_DBG_TRAPPED ? c->dbg.label : 0;
    for (unsigned i = 0; i < 4; i++)
        w[3 + i] = c->dbg.stop == CM_DBG_TRAPPED ? c->dbg.w[i] : 0;
    w[7] = (uint64_t)c->state;
    return 8;
}

int cm_debug_op(struct container *c, struct ae_request *rq)
{
    if (!c->debug)
        return AE_EPERM;
    uint64_t op = rq->w[1];
    if (op == CM_DBG_STATUS) {
        rq->nreply = put_stop(c, rq->reply);
        return 0;
    }
    if (!live(c))
        return AE_EDEAD;
    int r = 0;
    rq->nreply = 1;
    switch (op) {
    case CM_DBG_ATTACH:
        c->dbg.attached = true;
        r = stop(c);
        if (!r)
            rq->nreply = put_stop(c, rq->reply);
        return r;
    case CM_DBG_DETACH:
        c->dbg.attached = false;
        return resume(c, false);
    case CM_DBG_STOP:
        return stop(c);
    case CM_DBG_CONT:
    case CM_DBG_STEP:
        return resume(c, op == CM_DBG_STEP);
    }
    if (c->dbg.stop == CM_DBG_RUNNING)
        return AE_EBUSY;                    /* registers and memory of a stopped thread only */
    switch (op) {
    case CM_DBG_REGS:
        r = (int)ae_invoke(c->thread, AERIE_THREAD_GET_REGS, 0, 0, &rq->reply[1], AERIE_REG_COUNT);
        rq->nreply = 1 + AERIE_REG_COUNT;
        return r;
    case CM_DBG_SET_REGS:
        if (rq->nwords < 3 + AERIE_REG_COUNT)
            return AE_EPROTO;
        return (int)ae_thread_set_regs(c->thread, rq->w[2], &rq->w[3]);
    case CM_DBG_READ: {
        uint64_t n = rq->nwords > 3 ? rq->w[3] : ~0ull;
        if (n > AERIE_MEM_RW_MAX)
            return AE_EINVAL;
        r = (int)ae_invoke(c->task, AERIE_TASK_READ, 2, &rq->w[2], &rq->reply[1], (unsigned)((n + 7) / 8));
        rq->nreply = 1 + (unsigned)((n + 7) / 8);
        return r;
    }
    case CM_DBG_WRITE: {
        uint64_t n = rq->nwords > 3 ? rq->w[3] : ~0ull;
        if (n > AERIE_MEM_WRITE_MAX || (n + 7) / 8 > rq->nwords - 4)
            return AE_EINVAL;
        return (int)ae_invoke(c->task, AERIE_TASK_WRITE, 2 + (unsigned)((n + 7) / 8), &rq->w[2], 0, 0);
    }
    default:
        return AE_EINVAL;
    }
}
