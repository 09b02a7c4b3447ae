/*
 * fasync.c — signal-driven I/O: O_ASYNC (fcntl F_SETFL, ioctl FIOASYNC)
 * on a socket or pipe makes the personality send SIGIO, or F_SETSIG's
 * signal with si_code/si_band/si_fd, to the file's owner (F_SETOWN,
 * F_SETOWN_EX: a process, a thread or a process group) whenever the file
 * can be read, or becomes writable, or fails. nginx's master process
 * turns it on for its workers' channels; programs of the select() era
 * use it instead of polling.
 *
 * Why a watch on the file's wait queues, not a hook in every file kind:
 * each kind already wakes its queues whenever something happens to it
 * (bytes in, room out, a peer gone). A watch is a list of waiters made
 * by polling the file with a probe thread (the kinds that allow O_ASYNC
 * use the thread only to wait on queues) and handed over to the watch;
 * when a queue is woken the watch leaves every queue (lx_fasync_fire)
 * and the loop's next pass polls the file again — which watches it again
 * — and signals what it finds. Linux signals POLL_IN at every arrival,
 * so a wake while the file is readable is signalled even if it was
 * readable before; room to write and errors only when they appear
 * (else a writable socket would be signalled at every wake). A signal
 * too many is allowed (SIGIO never promises an event), one too few is
 * not: a standard signal does not queue, so any burst folds into one.
 *
 * A watch is a few dozen bytes of the personality's heap (the
 * container's memory), one per open file description with O_ASYNC, freed
 * with the description or when the flag goes.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"

struct lx_fasync {
    struct lx_file *f;          /* no reference: the watch goes with the file (lx_file_put) */
    int fd;                     /* the fd O_ASYNC was set through: si_fd */
    unsigned last;              /* the file's events when last looked at */
    bool fired;                 /* on the fired list */
    struct lx_waiter *waits;    /* on the file's queues */
    struct lx_fasync *next;     /* on the fired list */
};

static struct lx_fasync *fired;
static struct lx_thread probe;  /* never runs: what a poll op asks it to wait on, the watch waits on */

/* The file's events now; the watch waits on its queues again. A queue
 * woken during the poll itself (a socket's poll drains the net ring)
 * fires the watch at once, so nothing that happened is missed. */
static unsigned watch(struct lx_fasync *fa)
{
    lx_waits_free(&fa->waits);
    lx_waits_redirect(&probe, fa, &fa->waits);
    unsigned ev = fa->f->ops->poll(fa->f, &probe);
    lx_waits_redirect(NULL, NULL, NULL);
    return ev;
}

bool lx_fasync_due(void)
{
    return fired != NULL;
}

static struct lx_fasync *running;   /* lx_fasync_run's list: a signal it sends may close one of them */

static void unfire(struct lx_fasync *fa)
{
    for (struct lx_fasync **pp = &fired; *pp; pp = &(*pp)->next)
        if (*pp == fa) {
            *pp = fa->next;
            fa->fired = false;
            return;
        }
    for (struct lx_fasync **pp = &running; *pp; pp = &(*pp)->next)
        if (*pp == fa) {
            *pp = fa->next;
            break;
        }
    fa->fired = false;
}

int lx_fasync_set(struct lx_file *f, int fd, bool on)
{
    if (!f->ops->fasync || !f->ops->poll)
        return -LX_ENOTTY;
    if (!on) {
        lx_fasync_forget(f);
        f->flags &= ~LX_O_ASYNC;
        return 0;
    }
    if (!f->fasync) {
        struct lx_fasync *fa = calloc(1, sizeof *fa);
        if (!fa)
            return -LX_ENOMEM;
        fa->f = f;
        f->fasync = fa;
        fa->last = watch(fa);                    /* no signal for what was already so */
    }
    f->fasync->fd = fd;
    f->flags |= LX_O_ASYNC;
    return 0;
}

void lx_fasync_forget(struct lx_file *f)
{
    struct lx_fasync *fa = f->fasync;
    if (!fa)
        return;
    if (fa->fired)
        unfire(fa);
    lx_waits_free(&fa->waits);
    f->fasync = NULL;
    free(fa);
}

void lx_fasync_fire(struct lx_fasync *fa)
{
    lx_waits_free(&fa->waits);
    if (fa->fired)
        return;
    fa->fired = true;
    fa->next = fired;
    fired = fa;
}

struct group_find {
    int pgid;
    bool found;
};

static void find_member(struct lx_proc *p, void *arg)
{
    struct group_find *g = arg;
    if (p->state == LX_ALIVE && p->pgid == g->pgid)
        g->found = true;
}

int64_t lx_fasync_setown(struct lx_file *f, int type, int id)
{
    if (type != LX_F_OWNER_TID && type != LX_F_OWNER_PID && type != LX_F_OWNER_PGRP)
        return -LX_EINVAL;
    if (id < 0)
        return -LX_ESRCH;                        /* as Linux: no pid has that number */
    if (id) {
        bool found = false;
        if (type == LX_F_OWNER_TID) {
            struct lx_thread *t = lx_thread_of((uint64_t)id);
            found = t && !t->dead;
        } else if (type == LX_F_OWNER_PID) {
            struct lx_proc *p = lx_proc_of(id);
            found = p && p->state == LX_ALIVE;
        } else {
            struct group_find g = { .pgid = id };
            lx_procs_foreach(find_member, &g);
            found = g.found;
        }
        if (!found)
            return -LX_ESRCH;
    }
    f->owner = id;
    f->owner_type = id ? type : LX_F_OWNER_PID;
    return 0;
}

struct group_send {
    int pgid, sig;
    const struct lx_siginfo *si;
};

static void send_member(struct lx_proc *p, void *arg)
{
    struct group_send *g = arg;
    if (p->state == LX_ALIVE && p->pgid == g->pgid)
        lx_signal_send(p, NULL, g->sig, g->si);
}

static void signal_owner(struct lx_file *f, int fd, unsigned ev, int code)
{
    if (!f->owner)
        return;
    int sig = f->sigio ? f->sigio : LX_SIGIO;
    struct lx_siginfo si = { .code = LX_SI_KERNEL };
    if (f->sigio) {                              /* F_SETSIG: say what and where */
        si.code = code;
        si.poll.band = ev;
        si.poll.fd = fd;
    }
    if (f->owner_type == LX_F_OWNER_TID) {
        struct lx_thread *t = lx_thread_of((uint64_t)f->owner);
        if (t && !t->dead)
            lx_signal_send(t->proc, t, sig, &si);
    } else if (f->owner_type == LX_F_OWNER_PID) {
        struct lx_proc *p = lx_proc_of(f->owner);
        if (p)
            lx_signal_send(p, NULL, sig, &si);
    } else {
        struct group_send g = { .pgid = f->owner, .sig = sig, .si = &si };
        lx_procs_foreach(send_member, &g);
    }
}

void lx_fasync_run(void)
{
    /* Only those fired before this run: one fired again by its own poll
     * waits for the loop's next pass (lx_fasync_due), so news that keeps
     * coming cannot hold the loop here. */
    running = fired;
    fired = NULL;
    while (running) {
        struct lx_fasync *fa = running;
        running = fa->next;
        fa->fired = false;
        unsigned ev = watch(fa), rise = ev & ~fa->last;
        fa->last = ev;
        int code = 0;
        if (rise & LX_POLLERR)
            code = LX_POLL_ERR;
        else if (rise & LX_POLLHUP)
            code = LX_POLL_HUP;
        else if (ev & LX_POLLIN)
            code = LX_POLL_IN;
        else if (rise & LX_POLLOUT)
            code = LX_POLL_OUT;
        if (code)
            signal_owner(fa->f, fa->fd, ev, code);
    }
}
