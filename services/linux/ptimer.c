/*
 * ptimer.c — POSIX per-process timers: timer_create, timer_settime,
 * timer_gettime, timer_getoverrun, timer_delete. A timer counts on
 * CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME (one monotonic
 * deadline in ns, as timerfd's: an absolute real time is made monotonic
 * when set) and at each expiration sends its signal (SIGEV_SIGNAL: to
 * the process; SIGEV_THREAD_ID: to one of its threads — glibc's
 * SIGEV_THREAD is built on it) with si_code SI_TIMER, si_timerid,
 * si_overrun and si_value, or nothing (SIGEV_NONE). An expiration while
 * the timer's last signal is still pending counts as an overrun in that
 * pending siginfo (signals do not queue here), as Linux's do.
 *
 * Armed timers are on one list the loop asks before it waits
 * (lx_ptimers_expire, main.c), which bounds its wait by the next
 * expiration. A process has at most PTIMERS_MAX timers (EAGAIN, as
 * Linux past RLIMIT_SIGPENDING); they are not inherited by fork and are
 * deleted at exec and exit (lx_ptimers_drop). The CPU-time clocks are
 * EINVAL (no CPU-time deadlines here).
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define PTIMERS_MAX 256
#define PTIMER_PENDING_WAIT 1000000ull          /* ns: how often a pending timer's overruns are counted */
#define NS 1000000000ull
#define TIMER_ABSTIME 1u
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

struct sigevent_lx {
    uint64_t value;
    int32_t signo, notify;
    int32_t tid;
    int32_t pad[11];
};
_Static_assert(sizeof(struct sigevent_lx) == 64, "sigevent is 64 bytes");

struct itimerspec_lx {
    struct lx_timespec interval, value;
};

struct lx_ptimer {
    int id;
    int clock, notify, signo, tid;
    uint64_t value;             /* si_value */
    struct lx_proc *proc;
    uint64_t next, interval;    /* monotonic ns of the next expiration (0: disarmed); ns */
    int overrun;                /* in the signal last sent (updated while it is pending) */
    int overrun_prev;           /* of the one sent before it */
    struct lx_ptimer *pnext;    /* the process's */
    struct lx_ptimer *anext, **aprev;   /* on the armed list while next != 0 */
};

static struct lx_ptimer *armed;

static void disarm(struct lx_ptimer *pt)
{
    if (pt->aprev) {
        *pt->aprev = pt->anext;
        if (pt->anext)
            pt->anext->aprev = pt->aprev;
        pt->aprev = NULL;
        pt->anext = NULL;
    }
    pt->next = 0;
}

static void arm(struct lx_ptimer *pt, uint64_t next)
{
    if (!pt->aprev) {
        pt->anext = armed;
        if (armed)
            armed->aprev = &pt->anext;
        armed = pt;
        pt->aprev = &armed;
    }
    pt->next = next;
}

/* Where the timer's signal is pending, if it still is: its siginfo. */
static struct lx_siginfo *pending_info(struct lx_ptimer *pt, struct lx_thread **tp)
{
    struct lx_proc *p = pt->proc;
    *tp = NULL;
    if (pt->notify == SIGEV_NONE)
        return NULL;                             /* it sends nothing: its signo was never checked
                                                    (as Linux), so no bit or slot of it is looked at */
    uint64_t bit = 1ull << (pt->signo - 1);
    struct lx_siginfo *si = NULL;
    if (pt->notify == SIGEV_THREAD_ID) {
        for (struct lx_thread *t = p->threads; t; t = t->next)
            if (t->tid == pt->tid) {
                *tp = t;
                if (t->sig_pending & bit)
                    si = &t->sig_info[pt->signo];
            }
    } else if (p->sig_pending & bit) {
        si = &p->sig_info[pt->signo];
    }
    return si && si->code == LX_SI_TIMER && si->timer.tid == pt->id ? si : NULL;
}

/* k expirations of pt now. */
static void fire(struct lx_ptimer *pt, uint64_t k)
{
    if (pt->notify == SIGEV_NONE)
        return;
    struct lx_thread *t;
    struct lx_siginfo *si = pending_info(pt, &t);
    int64_t over = (int64_t)k;
    if (si) {                                    /* still pending: they are its overruns */
        over += si->timer.overrun;
        si->timer.overrun = pt->overrun = over > INT32_MAX ? INT32_MAX : (int)over;
        return;
    }
    if (pt->notify == SIGEV_THREAD_ID && !t)
        return;                                  /* its thread ended: nobody to tell */
    over -= 1;
    pt->overrun_prev = pt->overrun;
    pt->overrun = over > INT32_MAX ? INT32_MAX : (int)over;
    struct lx_siginfo s = { .signo = pt->signo, .code = LX_SI_TIMER };
    s.timer.tid = pt->id;
    s.timer.overrun = pt->overrun;
    s.timer.value = pt->value;
    lx_signal_send(pt->proc, t, pt->signo, &s);
}

/* The expirations up to now: fired, and the timer moved on. */
static void update(struct lx_ptimer *pt, uint64_t now)
{
    if (!pt->next || now < pt->next)
        return;
    uint64_t k = 1;
    if (!pt->interval) {
        disarm(pt);
    } else {
        k = 1 + (now - pt->next) / pt->interval;
        pt->next += k * pt->interval;
    }
    fire(pt, k);
}

/* A due timer's signal may end its process (SIGALRM's default), which
 * deletes that process's timers, this one among them: after each the
 * walk starts again (the one fired is not due any more). */
uint64_t lx_ptimers_expire(void)
{
    uint64_t now = lx_now_ns(), next = ~0ull;
    struct lx_ptimer *pt = armed;
    while (pt) {
        if (pt->next && pt->next <= now) {
            update(pt, now);
            pt = armed;
            next = ~0ull;
            continue;
        }
        if (pt->next) {
            uint64_t left = pt->next - now;
            struct lx_thread *th;
            /* its last signal still pending (blocked): the next expirations
             * are only overruns, counted whenever the loop next looks, so
             * they need not wake it (attack21: a 1 ns interval kept the
             * loop from ever waiting; Linux re-arms such a timer only when
             * its signal is taken) */
            if (left < PTIMER_PENDING_WAIT && pt->interval && pending_info(pt, &th))
                left = PTIMER_PENDING_WAIT;
            if (left < next)
                next = left;
        }
        pt = pt->anext;
    }
    return next;
}

/* Deletes every timer of p (exec, exit). */
void lx_ptimers_drop(struct lx_proc *p)
{
    while (p->ptimers) {
        struct lx_ptimer *pt = p->ptimers;
        p->ptimers = pt->pnext;
        disarm(pt);
        free(pt);
    }
    p->nptimers = 0;
}

/* The kernel's timer_t is an int: the upper half of the register is not looked at. */
static struct lx_ptimer **timer_at(struct lx_proc *p, uint64_t id)
{
    struct lx_ptimer **pp = &p->ptimers;
    while (*pp && (*pp)->id != (int)(int32_t)id)
        pp = &(*pp)->pnext;
    return pp;
}

static struct lx_ptimer *timer_of(struct lx_proc *p, uint64_t id)
{
    return *timer_at(p, id);
}

LX_SYS(timer_create)
{
    struct lx_proc *p = t->proc;
    int clock = (int)t->a[0];
    struct sigevent_lx ev = { .signo = LX_SIGALRM, .notify = SIGEV_SIGNAL };
    if (clock == 8 || clock == 9)                /* the _ALARM clocks need CAP_WAKE_ALARM */
        return -LX_EPERM;
    if (clock != LX_CLOCK_REALTIME && clock != LX_CLOCK_MONOTONIC && clock != LX_CLOCK_BOOTTIME)
        return -LX_EINVAL;
    if (t->a[1] && lx_copy_in(p->mm, &ev, t->a[1], sizeof ev))
        return -LX_EFAULT;
    if (ev.notify != SIGEV_NONE && ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_THREAD_ID)
        return -LX_EINVAL;                       /* SIGEV_THREAD is the C library's, not the kernel's */
    if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > LX_NSIG))
        return -LX_EINVAL;
    if (ev.notify == SIGEV_THREAD_ID) {
        bool ours = false;
        for (struct lx_thread *o = p->threads; o; o = o->next)
            ours |= o->tid == ev.tid && !o->dead;
        if (!ours)
            return -LX_EINVAL;                   /* a thread of another process, or none */
    }
    if (p->nptimers >= PTIMERS_MAX)
        return -LX_EAGAIN;
    int id = 0;                                  /* the lowest free: at most PTIMERS_MAX to pass */
    while (timer_of(p, (uint64_t)id))
        id++;
    struct lx_ptimer *pt = calloc(1, sizeof *pt);
    if (!pt)
        return -LX_ENOMEM;
    *pt = (struct lx_ptimer){ .id = id, .clock = clock, .notify = ev.notify, .signo = ev.signo, .tid = ev.tid,
                              .value = t->a[1] ? ev.value : (uint64_t)id, .proc = p };
    int32_t out = id;
    if (lx_copy_out(p->mm, t->a[2], &out, sizeof out)) {
        free(pt);
        return -LX_EFAULT;
    }
    pt->pnext = p->ptimers;
    p->ptimers = pt;
    p->nptimers++;
    return 0;
}

static void ts_of(uint64_t ns, struct lx_timespec *ts)
{
    ts->sec = (int64_t)(ns / NS);
    ts->nsec = (int64_t)(ns % NS);
}

/* What is left; sends no signal (one here could end the caller's
 * process and delete pt): a due one shows 1 ns, the loop fires it. */
static void current(struct lx_ptimer *pt, struct itimerspec_lx *v)
{
    uint64_t now = lx_now_ns();
    if (pt->notify == SIGEV_NONE)
        update(pt, now);                         /* sends nothing: safe here */
    ts_of(pt->interval, &v->interval);
    ts_of(pt->next ? (pt->next > now ? pt->next - now : 1) : 0, &v->value);
}

static bool ts_ok(const struct lx_timespec *ts)
{
    return ts->sec >= 0 && ts->nsec >= 0 && ts->nsec < (int64_t)NS;
}

/* A valid time in ns; one past 2^33 s (272 years) is 2^33 s less one
 * (attack21: Linux takes any, as "never"; these were EINVAL) — far
 * enough to be never, near enough that now + value + interval cannot wrap. */
static uint64_t ts_ns(const struct lx_timespec *ts)
{
    const uint64_t most = (1ull << 33) - 1;     /* 272 years: the bound these once had */
    return (uint64_t)ts->sec > most ? most * NS : (uint64_t)ts->sec * NS + (uint64_t)ts->nsec;
}

LX_SYS(timer_settime)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    unsigned flags = (unsigned)t->a[1];
    struct itimerspec_lx nv, old;
    if (!pt)
        return -LX_EINVAL;
    if (!t->a[2])
        return -LX_EINVAL;
    if (lx_copy_in(t->proc->mm, &nv, t->a[2], sizeof nv))
        return -LX_EFAULT;
    if (!ts_ok(&nv.value) || !ts_ok(&nv.interval))
        return -LX_EINVAL;
    current(pt, &old);
    if (t->a[3] && lx_copy_out(t->proc->mm, t->a[3], &old, sizeof old))
        return -LX_EFAULT;
    uint64_t value = ts_ns(&nv.value), now = lx_now_ns();
    pt->interval = ts_ns(&nv.interval);
    if (!value) {
        disarm(pt);
        return 0;
    }
    uint64_t next = now + value;
    if (flags & TIMER_ABSTIME) {                 /* a time of its own clock, made monotonic */
        uint64_t clk = pt->clock == LX_CLOCK_REALTIME ? lx_realtime_ns() : now;
        next = value > clk ? now + (value - clk) : now;
    }
    arm(pt, next ? next : 1);                    /* the loop's next wait is bounded by it */
    return 0;
}

LX_SYS(timer_gettime)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    struct itimerspec_lx v;
    if (!pt)
        return -LX_EINVAL;
    current(pt, &v);
    return lx_copy_out(t->proc->mm, t->a[1], &v, sizeof v) ? -LX_EFAULT : 0;
}

/* The overruns of the signal last delivered: while the latest is still
 * pending, the one before it. */
LX_SYS(timer_getoverrun)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    if (!pt)
        return -LX_EINVAL;
    struct lx_thread *th;
    return pending_info(pt, &th) ? pt->overrun_prev : pt->overrun;
}

LX_SYS(timer_delete)
{
    struct lx_proc *p = t->proc;
    struct lx_ptimer **pp = timer_at(p, t->a[0]), *pt = *pp;
    if (!pt)
        return -LX_EINVAL;
    *pp = pt->pnext;
    disarm(pt);
    free(pt);
    p->nptimers--;
    return 0;
}
