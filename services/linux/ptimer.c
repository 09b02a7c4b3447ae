/*
 * ptimer.c — POSIX per-process timers: timer_create, timer_settime,
 * timer_gettime, timer_getoverrun and timer_delete (docs/LINUX.md,
 * "POSIX timers"). Coreutils' timeout arms one with SIGEV_SIGNAL; glibc's
 * SIGEV_THREAD timers arrive here as SIGEV_THREAD_ID aimed at its helper
 * thread. A process holds at most LX_PTIMER_MAX of them, in a table made
 * at its first timer_create from the container's own memory (the
 * personality's heap); a fork's child starts with none, and execve and
 * the process's end delete them all, as Linux does. They expire from the
 * loop's timer walk (signal.c, lx_alarms_expire), on the monotonic clock:
 * an absolute CLOCK_REALTIME time is turned into monotonic time when set.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define NS 1000000000ull
#define LX_SIGEV_SIGNAL    0
#define LX_SIGEV_NONE      1
#define LX_SIGEV_THREAD    2
#define LX_SIGEV_THREAD_ID 4
#define LX_TIMER_ABSTIME   1
#define LX_DELAYTIMER_MAX  0x7fffffff

struct lx_sigevent {              /* the first 20 of its 64 bytes */
    uint64_t value;
    int32_t signo, notify, tid;
};

struct lx_ptimer {
    bool used;
    int clock;
    int notify;                   /* LX_SIGEV_SIGNAL, _NONE or _THREAD_ID */
    int signo;
    int tid;                      /* _THREAD_ID: the thread the signal goes to */
    uint64_t value;               /* sigev_value, handed in si_value */
    uint64_t next;                /* monotonic ns of the next expiration; 0: disarmed */
    uint64_t interval;            /* ns; 0: once */
    uint64_t overrun;             /* expirations folded into its latest signal */
};

struct itimerspec_ {
    struct lx_timespec interval, value;
};

static bool ts_ok(const struct lx_timespec *ts)
{
    return ts->sec >= 0 && ts->nsec >= 0 && ts->nsec < (int64_t)NS && (uint64_t)ts->sec < (1ull << 33);
}

static void ts_of(uint64_t ns, struct lx_timespec *ts)
{
    ts->sec = (int64_t)(ns / NS);
    ts->nsec = (int64_t)(ns % NS);
}

static struct lx_ptimer *timer_of(struct lx_proc *p, uint64_t id)
{
    if (!p->ptimers || id >= LX_PTIMER_MAX || !p->ptimers[id].used)
        return NULL;
    return &p->ptimers[id];
}

void lx_ptimers_clear(struct lx_proc *p)
{
    free(p->ptimers);
    p->ptimers = NULL;
}

LX_SYS(timer_create)
{
    struct lx_proc *p = t->proc;
    int clock = (int)t->a[0];
    if (clock == 8 || clock == 9)                 /* the _ALARM clocks need CAP_WAKE_ALARM */
        return -LX_EPERM;
    if (clock != LX_CLOCK_REALTIME && clock != LX_CLOCK_MONOTONIC && clock != LX_CLOCK_BOOTTIME)
        return -LX_EINVAL;                        /* CPU-time clocks: not yet (docs/LINUX.md) */
    struct lx_sigevent ev = { .signo = LX_SIGALRM, .notify = LX_SIGEV_SIGNAL };
    bool given = t->a[1] != 0;
    if (given && lx_copy_in(p->mm, &ev, t->a[1], sizeof ev))
        return -LX_EFAULT;
    switch (ev.notify) {
    case LX_SIGEV_NONE:
        break;
    case LX_SIGEV_THREAD_ID: {
        struct lx_thread *o = ev.tid > 0 ? lx_thread_of((uint64_t)ev.tid) : NULL;
        if (!o || o->dead || o->proc != p)
            return -LX_EINVAL;
    }
        /* fall through */
    case LX_SIGEV_SIGNAL:
        if (ev.signo < 1 || ev.signo > LX_NSIG)
            return -LX_EINVAL;
        break;
    default:                                      /* SIGEV_THREAD is the C library's own */
        return -LX_EINVAL;
    }
    if (!p->ptimers && !(p->ptimers = calloc(LX_PTIMER_MAX, sizeof *p->ptimers)))
        return -LX_EAGAIN;
    unsigned id = 0;
    while (id < LX_PTIMER_MAX && p->ptimers[id].used)
        id++;
    if (id == LX_PTIMER_MAX)
        return -LX_EAGAIN;
    int32_t out = (int32_t)id;
    if (lx_copy_out(p->mm, t->a[2], &out, sizeof out))
        return -LX_EFAULT;
    p->ptimers[id] = (struct lx_ptimer){
        .used = true, .clock = clock, .notify = ev.notify, .signo = ev.signo, .tid = ev.tid,
        .value = given ? ev.value : id,
    };
    return 0;
}

static void current(const struct lx_ptimer *pt, struct itimerspec_ *v)
{
    uint64_t now = lx_now_ns();
    ts_of(pt->interval, &v->interval);
    ts_of(pt->next > now ? pt->next - now : pt->next ? 1 : 0, &v->value);
}

LX_SYS(timer_settime)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    struct itimerspec_ nv, old;
    if (!pt)
        return -LX_EINVAL;
    if (!t->a[2] || lx_copy_in(t->proc->mm, &nv, t->a[2], sizeof nv))
        return -LX_EFAULT;
    if (!ts_ok(&nv.value) || !ts_ok(&nv.interval))
        return -LX_EINVAL;
    current(pt, &old);
    if (t->a[3] && lx_copy_out(t->proc->mm, t->a[3], &old, sizeof old))
        return -LX_EFAULT;
    uint64_t value = (uint64_t)nv.value.sec * NS + (uint64_t)nv.value.nsec, now = lx_now_ns();
    pt->interval = (uint64_t)nv.interval.sec * NS + (uint64_t)nv.interval.nsec;
    pt->overrun = 0;
    if (!value) {
        pt->next = 0;
        return 0;
    }
    uint64_t next = now + value;
    if (t->a[1] & LX_TIMER_ABSTIME) {             /* a time of its own clock, made monotonic */
        uint64_t clk = pt->clock == LX_CLOCK_REALTIME ? lx_realtime_ns() : now;
        next = value > clk ? now + (value - clk) : now;
    }
    pt->next = next ? next : 1;
    lx_alarms_armed();                            /* the loop's next wait counts it */
    return 0;
}

LX_SYS(timer_gettime)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    struct itimerspec_ v;
    if (!pt)
        return -LX_EINVAL;
    current(pt, &v);
    return lx_copy_out(t->proc->mm, t->a[1], &v, sizeof v) ? -LX_EFAULT : 0;
}

LX_SYS(timer_getoverrun)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    if (!pt)
        return -LX_EINVAL;
    return (int64_t)(pt->overrun > LX_DELAYTIMER_MAX ? LX_DELAYTIMER_MAX : pt->overrun);
}

LX_SYS(timer_delete)
{
    struct lx_ptimer *pt = timer_of(t->proc, t->a[0]);
    if (!pt)
        return -LX_EINVAL;
    memset(pt, 0, sizeof *pt);                    /* a signal it queued stays queued, as on Linux */
    return 0;
}

/* The signal of timer id, due k times: queued, or — while its last one
 * is still pending — counted as overruns in that one's siginfo. */
static void fire(struct lx_proc *p, unsigned id, struct lx_ptimer *pt, uint64_t k)
{
    if (pt->notify == LX_SIGEV_NONE)
        return;
    struct lx_thread *to = NULL;
    if (pt->notify == LX_SIGEV_THREAD_ID) {
        to = lx_thread_of((uint64_t)pt->tid);
        if (to && (to->dead || to->proc != p))
            to = NULL;                            /* gone: the process takes it */
    }
    int sig = pt->signo;
    uint64_t pending = to ? to->sig_pending : p->sig_pending;
    struct lx_siginfo *queued = to ? &to->sig_info[sig] : &p->sig_info[sig];
    if ((pending & (1ull << (sig - 1))) && queued->code == LX_SI_TIMER && queued->timer.tid == (int32_t)id) {
        pt->overrun += k;
        queued->timer.overrun = (int32_t)(pt->overrun > LX_DELAYTIMER_MAX ? LX_DELAYTIMER_MAX : pt->overrun);
        return;
    }
    pt->overrun = k - 1;
    struct lx_siginfo si = { .signo = sig, .code = LX_SI_TIMER };
    si.timer.tid = (int32_t)id;
    si.timer.overrun = (int32_t)(pt->overrun > LX_DELAYTIMER_MAX ? LX_DELAYTIMER_MAX : pt->overrun);
    si.timer.value = pt->value;
    lx_signal_send(p, to, sig, &si);
}

uint64_t lx_ptimers_expire(struct lx_proc *p, uint64_t now)
{
    uint64_t next = ~0ull;
    if (!p->ptimers)
        return next;
    for (unsigned id = 0; id < LX_PTIMER_MAX; id++) {
        struct lx_ptimer *pt = &p->ptimers[id];
        if (!pt->used || !pt->next)
            continue;
        if (pt->next <= now) {
            uint64_t k = 1;
            if (pt->interval) {
                k += (now - pt->next) / pt->interval;
                pt->next += k * pt->interval;
            } else {
                pt->next = 0;
            }
            uint64_t after = pt->next;
            int pid = p->pid;
            fire(p, id, pt, k);
            if (lx_proc_of(pid) != p || p->state != LX_ALIVE || !p->ptimers)
                return after && after - now < next ? after - now : next;   /* its signal ended it */
        }
        if (pt->next && pt->next - now < next)
            next = pt->next - now;
    }
    return next;
}
