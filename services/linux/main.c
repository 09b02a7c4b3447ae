/*
 * main.c — the Linux personality's start and its one loop (see lx.h and
 * docs/LINUX.md).
 *
 * cm starts us in the container's task in place of the Linux program
 * (aerie/proto/linux.h): we take the container's own capabilities, make
 * the endpoint every Linux thread faults to, load the program as pid 1
 * and serve. The loop is not ae_serve's: a fault is answered with the
 * fault protocol's RESUME (registers, not a status), a call may wait and
 * be answered later through its saved reply capability, and waits end at
 * deadlines, which need a receive timeout.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/kip.h>
#include <aerie/objects.h>
#include <libaerie/console.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <libaerie/fs.h>
#include "lx.h"
#include "vdso/clock.h"
#include "sys.h"

struct lx_state lx;
struct lx_thread *lx_current;

void lx_log(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    if (n > 0)
        ae_console_write(buf, (size_t)n);
}

int lx_errno(int ae)
{
    switch (ae) {
    case AE_OK: return 0;
    case AE_EINVAL: return -LX_EINVAL;
    case AE_ENOMEM: case AE_ENOSPC: return ae == AE_ENOSPC ? -LX_ENOSPC : -LX_ENOMEM;
    case AE_ELIMIT: return -LX_EAGAIN;
    case AE_ETIMEOUT: return -LX_ETIMEDOUT;
    case AE_EFAULT: case AE_ERANGE: return -LX_EFAULT;
    case AE_ENOENT: return -LX_ENOENT;
    case AE_EEXIST: return -LX_EEXIST;
    case AE_ENOTDIR: return -LX_ENOTDIR;
    case AE_EISDIR: return -LX_EISDIR;
    case AE_ENOTEMPTY: return -LX_ENOTEMPTY;
    case AE_ENAMETOOLONG: return -LX_ENAMETOOLONG;
    case AE_EBADF: case AE_ECAP: case AE_ETYPE: return -LX_EBADF;
    case AE_EACCES: return -LX_EACCES;
    case AE_EAGAIN: return -LX_EAGAIN;
    case AE_EMFILE: return -LX_EMFILE;
    case AE_EFBIG: return -LX_EFBIG;
    case AE_EXDEV: return -LX_EXDEV;
    case AE_EROFS: return -LX_EROFS;
    case AE_EADDRINUSE: return -LX_EADDRINUSE;
    case AE_EADDRNOTAVAIL: return -LX_EADDRNOTAVAIL;
    case AE_EMSGSIZE: return -LX_EMSGSIZE;
    case AE_ENOTCONN: return -LX_ENOTCONN;
    case AE_EDESTADDRREQ: return -LX_EDESTADDRREQ;
    case AE_EAFNOSUPPORT: return -LX_EAFNOSUPPORT;
    case AE_ENOTSUP: case AE_ENOSYS: return -LX_EOPNOTSUPP;
    case AE_ESRCH: return -LX_ESRCH;
    case AE_ECONNREFUSED: return -LX_ECONNREFUSED;
    case AE_ELOOP: return -LX_ELOOP;
    case AE_EPERM: case AE_ERIGHTS: return -LX_EPERM;
    case AE_EDEAD: return -LX_EIO;
    default: return -LX_EIO;
    }
}

/* The same formula as the vDSO's (vdso/clock.h), on the same page: a
 * program sees one clock whichever way it asks. */
uint64_t lx_now_ns(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return lx_tsc_to_ns(__builtin_ia32_rdtsc() - k->boot_tsc, k->tsc_hz);
}

uint64_t lx_realtime_ns(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    return k->boot_unix_ns + lx_now_ns();
}

/* $AERIE_LX_TRACE set: the times (ns since boot) of the personality's
 * start, the program's first instruction and its end go to the log, for
 * seeing where a start's time goes (docs/EVALUATION.md). */
static uint64_t trace_main, trace_exec;
static unsigned trace_calls, trace_faults;      /* system calls and page faults served */

_Noreturn void lx_container_end(int wstatus, uint64_t addr, uint64_t rip)
{
    (void)rip;
    if (trace_main)
        lx_log("linux: trace main %lu exec %lu end %lu calls %u faults %u\n", trace_main, trace_exec, lx_now_ns(),
               trace_calls, trace_faults);
    int sig = wstatus & 0x7f;
    struct ae_fs *fs = ae_fs_default_made();
    if (fs)
        (void)ae_fs_flush(fs);        /* what the programs' write() said was written (file.c) */
    if (sig)
        ae_thread_exit(CM_LINUX_SIGNALED(sig, addr));   /* cm shows it as the signal it was */
    exit((wstatus >> 8) & 0xff);
}

/* ---- waiting and waking ---- */

struct lx_waiter {
    struct lx_thread *t;        /* who waits: a thread, or (t NULL) */
    struct lx_fasync *fa;       /* an O_ASYNC file's watch (fasync.c) */
    struct lx_waitq *q;
    struct lx_waiter *qnext, *tnext;
};

static struct lx_thread *run_head, **run_tail = &run_head;

/* lx_waits_redirect's: the probe thread whose waits are an O_ASYNC watch's. */
static struct lx_thread *redirect_t;
static struct lx_fasync *redirect_fa;
static struct lx_waiter **redirect_list;

int lx_wait_on(struct lx_thread *t, struct lx_waitq *q)
{
    struct lx_waiter *w = malloc(sizeof *w);
    if (!w)
        return -LX_ENOMEM;
    struct lx_waiter **list = &t->waits;
    *w = (struct lx_waiter){ .t = t, .q = q };
    if (t == redirect_t) {                   /* an O_ASYNC watch's poll: the watch waits */
        *w = (struct lx_waiter){ .fa = redirect_fa, .q = q };
        list = redirect_list;
    }
    w->tnext = *list;
    struct lx_waiter **pp = &q->head;        /* first come, first woken */
    while (*pp)
        pp = &(*pp)->qnext;
    *pp = w;
    *list = w;
    return 0;
}

/* Set by lx_wait_until, cleared by expire's walk when it found no
 * thread with a deadline: most messages then pass without that walk. */
static bool deadlines_set;

void lx_wait_until(struct lx_thread *t, uint64_t deadline)
{
    t->deadline = deadline ? deadline : 1;
    deadlines_set = true;
}

void lx_waits_free(struct lx_waiter **list)
{
    while (*list) {
        struct lx_waiter *w = *list;
        *list = w->tnext;
        struct lx_waiter **pp = &w->q->head;
        while (*pp && *pp != w)
            pp = &(*pp)->qnext;
        if (*pp)
            *pp = w->qnext;
        free(w);
    }
}

void lx_waits_redirect(struct lx_thread *t, struct lx_fasync *fa, struct lx_waiter **list)
{
    redirect_t = t;
    redirect_fa = fa;
    redirect_list = list;
}

void lx_unwait(struct lx_thread *t)
{
    lx_waits_free(&t->waits);
    t->deadline = 0;
}

void lx_wake_thread(struct lx_thread *t, int why)
{
    lx_unwait(t);
    if (t->queued || t->dead)
        return;
    t->wake = why;
    t->queued = true;
    t->run_next = NULL;
    *run_tail = t;
    run_tail = &t->run_next;
}

void lx_wake_all(struct lx_waitq *q)
{
    q->gen++;
    while (q->head) {
        if (q->head->fa)
            lx_fasync_fire(q->head->fa);          /* leaves every queue, this one too */
        else
            lx_wake_thread(q->head->t, LX_WAKE_EVENT);
    }
}

struct lx_waiter *lx_waits_mark(struct lx_thread *t)
{
    return t->waits;
}

uint64_t lx_waits_gen(struct lx_thread *t, struct lx_waiter *mark)
{
    uint64_t gen = 0;
    for (struct lx_waiter *w = t->waits; w && w != mark; w = w->tnext)
        gen += w->q->gen;
    return gen;
}

struct lx_thread *lx_waitq_first(struct lx_waitq *q)
{
    return q->head ? q->head->t : NULL;
}

struct lx_thread *lx_waitq_next(struct lx_waitq *q, struct lx_thread *after)
{
    struct lx_waiter *w = q->head;
    while (w && w->t != after)
        w = w->qnext;
    return w && w->qnext ? w->qnext->t : NULL;
}

int lx_waitq_move(struct lx_waitq *from, struct lx_waitq *to, int max)
{
    int n = 0;
    while (from->head && n < max) {
        struct lx_waiter *w = from->head;
        from->head = w->qnext;
        w->q = to;
        w->qnext = to->head;
        to->head = w;
        n++;
    }
    return n;
}

/* ---- answering ---- */

int64_t lx_unsupported(struct lx_thread *t)
{
    static uint64_t logged[(LX_NR_MAX + 63) / 64];
    uint64_t nr = t->nr;
    const char *name = nr < LX_NR_MAX && lx_systab[nr].name ? lx_systab[nr].name : "unknown";
    if (nr >= LX_NR_MAX || !(logged[nr / 64] & (1ull << (nr % 64)))) {
        if (nr < LX_NR_MAX)
            logged[nr / 64] |= 1ull << (nr % 64);
        lx_log("linux: unsupported system call %lu (%s)\n", nr, name);
    }
    return -LX_ENOSYS;
}

int64_t lx_quiet_enosys(struct lx_thread *t)
{
    (void)t;
    return -LX_ENOSYS;
}

static int64_t run_call(struct lx_thread *t)
{
    if (t->nr == LX_SYS_RESTORE)
        return lx_sys_restore(t);
    lx_sysfn fn = t->nr < LX_NR_MAX ? lx_systab[t->nr].fn : NULL;
    return fn ? fn(t) : lx_unsupported(t);
}

/* The RESUME owed to the message last received, kept until the loop
 * receives again: nothing between here and there answers or saves that
 * message's reply, and other IPC on the way may overwrite the UTCB. */
static struct {
    bool on;
    int tid;
    uint64_t mr[4];
} pending;

/* r: what sending t its answer mr returned. Below 0, nobody waited for
 * it: the thread was stopped (aerie fork, a debugger) while we served
 * its call, and it makes the same call again when resumed (docs/ABI.md,
 * Faults). What the call did is done (bytes written, read, a signal
 * frame built): the repeat gets this answer, not a second run. In a
 * clone the reply capability was not copied at all: the same. */
static void answered(struct lx_thread *t, int64_t r, const uint64_t *mr)
{
    if (r < 0 && t && !t->dead) {
        t->lost = true;
        for (int i = 0; i < 4; i++)
            t->lost_mr[i] = mr[i];
    }
}

void lx_complete(struct lx_thread *t, int64_t result)
{
    if (t->dead || !t->in_call)
        return;
    /* between rt_sigreturn and the trampoline's LX_SYS_RESTORE the thread
     * is half restored: signals wait until its registers are whole again */
    if (!t->restore_pending && lx_signal_pending(t) && lx_signal_deliver(t, &result) && t->dead)
        return;
    if (t->sigsuspended) {                     /* no handler ran: the old mask comes back */
        t->sigmask = t->saved_mask;
        t->sigsuspended = false;
    }
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = AERIE_RESUME_SET_RAX;
    u->mr[1] = 0;
    u->mr[2] = 0;
    u->mr[3] = (uint64_t)result;
    if (t->nr == ~0ull || result == LX_REGS_SET) {
        u->mr[0] = 0;                          /* a fault, or registers set whole */
    } else if (result == -LX_ERESTARTSYS || result == -LX_ERESTARTNOHAND) {
        u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RAX;   /* run the call again */
        u->mr[1] = t->rip - 2;
        u->mr[3] = t->nr;
    }
    t->in_call = false;
    if (!t->saved) {
        /* The answer to the message last received goes with the loop's
         * next receive (REPLY_RECV): one kernel entry, not two. */
        pending.on = true;
        pending.tid = t->tid;
        for (int i = 0; i < 4; i++)
            pending.mr[i] = u->mr[i];
        return;
    }
    t->saved = false;
    answered(t, ae_send(t->reply, AERIE_INFO(AERIE_FAULT_RESUME, 4, 0), AERIE_TIMEOUT_POLL), u->mr);
}

/* A handler's result: answer now, or keep the reply for later. */
static void finish(struct lx_thread *t, int64_t r)
{
    if (r == LX_NOREPLY)
        return;
    if (r == LX_BLOCK) {
        if (!t->saved) {
            if (ae_reply_save(t->reply) < 0) {     /* it went away meanwhile */
                lx_unwait(t);
                t->in_call = false;
                return;
            }
            t->saved = true;
        }
        return;
    }
    lx_complete(t, r);
}

static void run_woken(void)
{
    while (run_head) {
        struct lx_thread *t = run_head;
        run_head = t->run_next;
        if (!run_head)
            run_tail = &run_head;
        t->queued = false;
        if (t->dead || !t->in_call || !t->saved)
            continue;
        lx_current = t;
        finish(t, run_call(t));
        t->wake = 0;
    }
}

/* Threads with a deadline, gathered from the process table each time:
 * there are few, and this keeps no second index to get wrong. */
static struct lx_thread **timed;
static unsigned ntimed, timed_cap;
static bool timed_short;                  /* a realloc failed: some were left out */

static void collect_timed(struct lx_proc *p, void *arg)
{
    (void)arg;
    for (struct lx_thread *t = p->threads; t; t = t->next) {
        if (!t->deadline)
            continue;
        if (ntimed == timed_cap) {
            unsigned cap = timed_cap ? timed_cap * 2 : 16;
            struct lx_thread **n = realloc(timed, cap * sizeof *n);
            if (!n) {
                timed_short = true;
                return;
            }
            timed = n;
            timed_cap = cap;
        }
        timed[ntimed++] = t;
    }
}

/* Threads whose deadline passed are run again; returns the time until
 * the next deadline (AERIE_TIMEOUT_FOREVER if none). */
static uint64_t expire(void)
{
    uint64_t alarm = lx_alarms_expire(), timers = lx_timerfds_expire(), ptimers = lx_ptimers_expire();
    alarm = timers < alarm ? timers : alarm;
    alarm = ptimers < alarm ? ptimers : alarm;
    if (!deadlines_set)
        return alarm;
    ntimed = 0;
    timed_short = false;
    lx_procs_foreach(collect_timed, NULL);
    deadlines_set = ntimed != 0 || timed_short;
    uint64_t now = lx_now_ns(), next = AERIE_TIMEOUT_FOREVER;
    for (unsigned i = 0; i < ntimed; i++) {
        struct lx_thread *t = timed[i];
        if (t->deadline <= now)
            lx_wake_thread(t, LX_WAKE_TIMEOUT);
        else if (t->deadline - now < next)
            next = t->deadline - now;
    }
    return alarm < next ? alarm : next;
}

/* ---- faults of Linux threads ---- */

static void on_syscall(struct lx_thread *t, const uint64_t *w)
{
    t->nr = w[0];
    for (int i = 0; i < 6; i++)
        t->a[i] = w[1 + i];
    t->rip = w[7];
    t->rsp = w[8];
    t->in_call = true;
    t->saved = false;
    t->progress = 0;
    t->mmsg_done = 0;
    t->mmsg_end = 0;
    t->wake = 0;
    trace_calls++;
    finish(t, run_call(t));
}

/* A page the container's memory limit cannot give: what Linux's memory
 * cgroup does at its limit — the process is killed (SIGKILL, no handler
 * runs) and the log says why, where a SIGSEGV would blame the program. */
static void out_of_memory(struct lx_proc *p, uint64_t addr)
{
    lx_log("linux: out of memory: pid %d (%s) killed: the container's memory limit cannot give the page at %#lx"
           " (aerie run --mem raises it)\n", p->pid, p->comm, (unsigned long)addr);
    lx_proc_exit(p, LX_SIGKILL);
}

static void on_page_fault(struct lx_thread *t, const uint64_t *w)
{
    uint64_t addr = w[0], err = w[1];
    trace_faults++;
    t->nr = ~0ull;
    t->rip = w[2];
    t->rsp = w[3];
    t->in_call = true;
    t->saved = false;
    int code = lx_mm_fault(t->proc->mm, addr, err & AERIE_PF_WRITE, err & AERIE_PF_FETCH);
    if (code == LX_MM_SIGBUS)
        lx_signal_fault(t, LX_SIGBUS, LX_BUS_ADRERR, addr);
    else if (code == LX_FAULT_NOMEM)
        out_of_memory(t->proc, addr);
    else if (code)
        lx_signal_fault(t, LX_SIGSEGV, code, addr);
    lx_complete(t, 0);
}

static void on_exception(struct lx_thread *t, const uint64_t *w)
{
    static const struct { uint8_t vec, sig, code; } map[] = {
        { 0, LX_SIGFPE, LX_FPE_INTDIV }, { 1, LX_SIGTRAP, LX_TRAP_BRKPT }, { 3, LX_SIGTRAP, LX_TRAP_BRKPT },
        { 4, LX_SIGSEGV, LX_SI_KERNEL }, { 5, LX_SIGSEGV, LX_SI_KERNEL }, { 6, LX_SIGILL, LX_ILL_ILLOPN },
        { 7, LX_SIGFPE, 0 }, { 12, LX_SIGBUS, LX_SI_KERNEL }, { 16, LX_SIGFPE, 0 },
        { 17, LX_SIGBUS, LX_BUS_ADRALN }, { 19, LX_SIGFPE, 0 },
    };
    int sig = LX_SIGSEGV, code = LX_SI_KERNEL;
    for (unsigned i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].vec == w[0]) {
            sig = map[i].sig;
            code = map[i].code;
        }
    t->nr = ~0ull;
    t->rip = w[2];
    t->rsp = w[3];
    t->in_call = true;
    t->saved = false;
    lx_signal_fault(t, sig, code, sig == LX_SIGSEGV || sig == LX_SIGBUS ? 0 : w[2]);
    lx_complete(t, 0);
}

/* A fault message from a thread whose last call we still hold: a SUSPEND
 * (a debugger, a fork) took that call back and the kernel made it again
 * (docs/ABI.md, Faults). The old one is dropped — off its wait queues,
 * its saved reply capability (which names a wait that is over) deleted
 * so the slot takes the new one — and the new message is served afresh:
 * a call that blocked had done nothing yet. A sigsuspend's saved mask
 * stays: the call run again keeps it. A call we had answered, whose
 * answer found the thread gone (lost), is answered again the same way. */
static bool repeat_call(struct lx_thread *t)
{
    if (t->lost) {
        t->lost = false;
        struct aerie_utcb *u = ae_utcb();
        for (int i = 0; i < 4; i++)
            u->mr[i] = t->lost_mr[i];
        ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
        return true;
    }
    if (!t->in_call)
        return false;
    lx_unwait(t);
    lx_fifo_abandon(t);                       /* (a FIFO open had made its end) */
    if (t->saved) {
        ae_cap_delete(t->reply);
        t->saved = false;
    }
    t->in_call = false;
    return false;
}

static void on_message(uint64_t badge, uint64_t info, const uint64_t *w)
{
    if (badge == LX_NET_BADGE) {                  /* the net helper's poke (a send: no reply) */
        lx_net_poke();
        return;
    }
    if (badge == LX_STDIN_BADGE) {                /* the stdin helper's poke (a send: no reply) */
        lx_stdin_poke();
        return;
    }
    if (badge == LX_SIG_BADGE) {                  /* cm (a send: no reply) */
        uint64_t label = AERIE_INFO_LABEL(info);
        if (label == LX_EXEC_LABEL || label == LX_EXEC_INPUT_LABEL)   /* aerie exec */
            lx_outside_request(label, w, (unsigned)AERIE_INFO_NWORDS(info));
        else                                      /* aerie kill, Ctrl-C */
            lx_signal_from_outside((int)label);
        return;
    }
    struct lx_thread *t = lx_thread_of(badge);
    lx_current = t;
    uint64_t label = AERIE_INFO_LABEL(info);
    if (!t || t->dead) {
        ae_reply(AERIE_INFO(1, 0, 0));            /* not ours (any more): stays stopped */
        return;
    }
    if ((label == AERIE_FAULT_SYSCALL || label == AERIE_FAULT_PAGE || label == AERIE_FAULT_EXCEPTION) &&
        repeat_call(t))
        return;
    switch (label) {
    case AERIE_FAULT_SYSCALL: on_syscall(t, w); break;
    case AERIE_FAULT_PAGE: on_page_fault(t, w); break;
    case AERIE_FAULT_EXCEPTION: on_exception(t, w); break;
    case AERIE_FAULT_EXIT:
        /* a raw Aerie exit from Linux code: the thread is gone */
        t->in_call = false;
        lx_thread_exit(t, (int)(w[0] & 0xff));
        break;
    default:
        ae_reply(AERIE_INFO(1, 0, 0));
        break;
    }
}

static _Noreturn void serve(void)
{
    uint64_t w[AERIE_MSG_WORDS], stdin_next = 0;   /* the loop's next look at stdin */
    for (;;) {
        if (pending.on && run_head) {
            /* other calls to run first: the thread need not wait for them */
            for (int i = 0; i < 4; i++)
                ae_utcb()->mr[i] = pending.mr[i];
            pending.on = false;
            answered(lx_thread_of((uint64_t)pending.tid), ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0)),
                     pending.mr);
        }
        run_woken();
        lx_graveyard_empty();
        uint64_t timeout = expire();
        lx_fasync_run();                           /* SIGIO for O_ASYNC files that moved */
        if (run_head || lx_fasync_due())
            continue;
        if (lx_net_waiting()) {
            lx_net_check();                        /* datagrams a lost wakeup would leave behind */
            if (run_head)
                continue;
            if (timeout > LX_NET_POLL_NS)
                timeout = LX_NET_POLL_NS;
        }
        if (lx_stdin_waiting()) {
            /* Input a lost wakeup (or no helper) would leave: looked for
             * at most every LX_STDIN_POLL_NS, not on every pass (each look
             * is a call to the console, which every container shares, and
             * a busy process beside a waiting reader makes many passes). */
            uint64_t now = lx_now_ns();
            if (now >= stdin_next) {
                stdin_next = now + LX_STDIN_POLL_NS;
                lx_stdin_poke();
                if (run_head)
                    continue;
            }
            if (timeout > stdin_next - now)
                timeout = stdin_next - now;
        }
        uint64_t badge = 0;
        int64_t info;
        if (pending.on) {
            /* Looked up by tid: the thread may have ended (and been
             * freed) since its answer was made. */
            int64_t replied;
            for (int i = 0; i < 4; i++)
                ae_utcb()->mr[i] = pending.mr[i];
            pending.on = false;
            info = ae_reply_recv_ex(lx.ep, AERIE_INFO(AERIE_FAULT_RESUME, 4, 0), timeout, &badge, &replied);
            if (replied < 0)
                answered(lx_thread_of((uint64_t)pending.tid), replied, pending.mr);
        } else {
            info = ae_recv(lx.ep, timeout, &badge);
        }
        if (info == AE_ETIMEOUT)
            continue;
        if (info == AE_ECAP || info == AE_ETYPE || info == AE_EDEAD) {
            /* our endpoint is gone: only the program in our task could have done it */
            lx_log("linux: the personality's endpoint was destroyed (error %ld): the container ends\n", info);
            exit(126);
        }
        if (info < 0)
            continue;
        unsigned n = (unsigned)AERIE_INFO_NWORDS((uint64_t)info);
        memset(w, 0, 9 * sizeof w[0]);
        memcpy(w, ae_utcb()->mr, (n < AERIE_MSG_WORDS ? n : AERIE_MSG_WORDS) * sizeof w[0]);
        on_message(badge, (uint64_t)info, w);
    }
}

/* ---- start ---- */

static uint64_t parse_hex(const char *s)
{
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0') :
                     *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) : 16;
        if (d == 16)
            break;
        v = v * 16 + d;
    }
    return v;
}

int main(int argc, char **argv, char **envp)
{
    uint64_t t0 = lx_now_ns();
    int first = 1;
    lx.cpus = 1;
    for (; first < argc && strcmp(argv[first], LX_OPT_END); first++)
        if (!strncmp(argv[first], LX_OPT_CPUS, strlen(LX_OPT_CPUS)))
            lx.cpus = parse_hex(argv[first] + strlen(LX_OPT_CPUS));
        else if (!strncmp(argv[first], LX_OPT_TTY, strlen(LX_OPT_TTY))) {
            char *x;                 /* ROWSxCOLS: cm checked it (spec tty=) */
            unsigned long rows = strtoul(argv[first] + strlen(LX_OPT_TTY), &x, 10);
            unsigned long cols = *x == 'x' ? strtoul(x + 1, NULL, 10) : 0;
            if (rows && cols && rows <= 0xFFFF && cols <= 0xFFFF)
                lx_stdin_set_tty((unsigned)rows, (unsigned)cols);
        }
    first++;
    lx.quota = ae_self.quota;
    lx.task = ae_self.task;
    lx.fault = ae_self.fault;
    lx.start_realtime = lx_realtime_ns();
    uint64_t exe_slot = ae_capenv_lookup(LX_GRANT_EXE);
    if (!lx.quota || !lx.task || !exe_slot || first >= argc) {
        lx_log("linux: started without self.quota, self.task, %s or a program: nothing to run\n",
               LX_GRANT_EXE);
        return 125;
    }
    /* our endpoint: cm's (it keeps a copy to send signals on), or our own */
    lx.ep = ae_capenv_lookup(LX_GRANT_EP);
    if (!lx.ep && (!(lx.ep = ae_slot_alloc()) || ae_quota_create(lx.quota, AERIE_OBJ_ENDPOINT, lx.ep, 0, 0, 0) < 0)) {
        lx_log("linux: no memory for an endpoint\n");
        return 125;
    }
    lx.tramp = lx_trampoline();
    lx.vdso = lx_vdso();
    unsigned envc = 0;
    while (envp[envc])
        envc++;
    int err = 0;
    struct lx_exe *exe = lx_exe_image(exe_slot, argv[first]);
    struct lx_proc *p = exe ? lx_proc_first(argv[first], &err) : NULL;
    /* /proc/self is pid 1 while its program loads: a PT_INTERP of
     * /proc/self/exe or /proc/self/cwd/... is stat'ed through it (attack14:
     * with no current thread that stat crashed the personality) */
    if (p && (lx_current = p->threads))
        err = lx_exec_image(p->threads, exe, argv + first, (unsigned)(argc - first), envp, envc);
    if (p && !err) {
        size_t n = 0;
        for (int i = first; i < argc; i++)
            n += strlen(argv[i]) + 1;
        if ((p->cmdline = malloc(n ? n : 1)))
            for (int i = first; i < argc; i++) {
                memcpy(p->cmdline + p->cmdline_len, argv[i], strlen(argv[i]) + 1);
                p->cmdline_len += strlen(argv[i]) + 1;
            }
    }
    if (exe)
        lx_exe_put(exe);
    if (!p || err) {
        lx_log("linux: cannot start %s (error %d)\n", argv[first], err);
        return 125;
    }
    /* The image's WorkingDir reaches us as PWD (cm: images.c), as it
     * reaches an Aerie program; a Linux program starts in it. */
    const char *pwd = getenv("PWD");
    if (pwd && pwd[0] == '/' && strcmp(pwd, "/") && lx_set_cwd(p->threads, pwd))
        lx_log("linux: the working directory %s is not a directory here; starting in /\n", pwd);
    if (getenv("AERIE_LX_TRACE")) {
        trace_main = t0;
        trace_exec = lx_now_ns();
    }
    /* This thread touches only the kernel's lent ranges (our image, our
     * heap and stacks, the windows; docs/LINUX.md "Where the personality
     * runs"): it may then serve a process whose task borrows ours on that
     * task's page tables, with no CR3 write either way. Pid 1's threads,
     * which run Linux code at its own addresses, are not marked. */
    if (ae_self.thread)
        ae_invokev(ae_self.thread, AERIE_THREAD_RUN_BORROWED, 1);
    serve();
}

/* A thread that waits on a service's notification for the loop (net's
 * and stdin's helpers): the loop's endpoint capability it pokes, badged
 * so the loop knows who poked, and the thread, detached, on a small
 * stack. -LX_ENOMEM: no capability; -LX_EAGAIN: no thread (the caller
 * polls instead). */
int lx_waiter_start(uint64_t badge, uint64_t *poke_cap, void *(*fn)(void *))
{
    *poke_cap = ae_slot_alloc();
    if (!*poke_cap || ae_cap_copy(lx.ep, *poke_cap, AERIE_R_WRITE, badge) < 0)
        return -LX_ENOMEM;
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 16384);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    return pthread_create(&th, &a, fn, NULL) ? -LX_EAGAIN : 0;
}
