/*
 * signal.c — Linux signals: actions, masks, pending sets (per thread and
 * per process; standard signals do not queue), delivery onto the
 * program's stack in Linux's rt_sigframe layout, sigreturn, the
 * alternate stack, and the signals of faults.
 *
 * A signal is delivered when its thread next stops in the personality:
 * at the end of a system call or a fault. A thread blocked in a call is
 * woken so the call ends (EINTR, or restarted under SA_RESTART). A
 * signal whose default action ends the process ends it at once, even if
 * its threads are busy computing. (A handler for a thread that never
 * stops runs at its next system call: see docs/LINUX.md.)
 *
 * The handler's FPU state is saved and restored by the thread itself in
 * the trampoline page (tramp.S), the rest of the registers by us.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "lx.h"
#include "sys.h"

extern const char lx_tramp_start[], lx_tramp_sigenter[], lx_tramp_sigreturn[], lx_tramp_restorer[],
    lx_tramp_end[];
#define TRAMP(sym) (LX_TRAMP_ADDR + (uint64_t)((sym) - lx_tramp_start))

#define BIT(sig) (1ull << ((sig) - 1))
#define UNBLOCKABLE (BIT(LX_SIGKILL) | BIT(LX_SIGSTOP))
#define FAULT_SIGS (BIT(LX_SIGSEGV) | BIT(LX_SIGBUS) | BIT(LX_SIGILL) | BIT(LX_SIGFPE) | BIT(LX_SIGTRAP))

struct lx_mem *lx_trampoline(void)
{
    int err;
    struct lx_mem *m = lx_mem_new(LX_PAGE, &err);
    if (!m)
        return NULL;
    /* a few Memory WRITEs: cheaper at every start than mapping the page here */
    size_t len = (size_t)(lx_tramp_end - lx_tramp_start);
    for (size_t off = 0; off < len; off += AERIE_MEM_WRITE_MAX) {
        size_t n = len - off < AERIE_MEM_WRITE_MAX ? len - off : AERIE_MEM_WRITE_MAX;
        uint64_t a[2 + AERIE_MEM_WRITE_MAX / 8] = { off, n };
        memcpy(&a[2], lx_tramp_start + off, n);
        if (ae_invoke(m->slot, AERIE_MEM_WRITE, 2 + (unsigned)((n + 7) / 8), a, 0, 0) < 0) {
            lx_mem_put(m);
            return NULL;
        }
    }
    return m;
}

const char *lx_signal_name(int sig)
{
    static const char *const names[] = {
        "0", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
        "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };
    return sig > 0 && sig < 32 ? names[sig] : "RT";
}

/* What a signal does when its action is SIG_DFL. */
enum { DFL_TERM, DFL_IGNORE, DFL_STOP };

static int default_action(int sig)
{
    switch (sig) {
    case LX_SIGCHLD: case LX_SIGURG: case LX_SIGWINCH: case LX_SIGCONT: return DFL_IGNORE;
    case LX_SIGSTOP: case LX_SIGTSTP: case LX_SIGTTIN: case LX_SIGTTOU: return DFL_STOP;
    default: return DFL_TERM;
    }
}

static const struct lx_sigaction *action(struct lx_proc *p, int sig)
{
    static const struct lx_sigaction dfl;
    return p->sighand ? &p->sighand->act[sig] : &dfl;
}

static bool ignored(struct lx_proc *p, int sig)
{
    const struct lx_sigaction *a = action(p, sig);
    if (sig == LX_SIGKILL)
        return false;
    if (a->handler == LX_SIG_IGN)
        return true;
    /* stopping is not supported: a container has no job control */
    return a->handler == LX_SIG_DFL && default_action(sig) != DFL_TERM;
}

static bool fatal_now(struct lx_proc *p, int sig)
{
    return sig == LX_SIGKILL || (action(p, sig)->handler == LX_SIG_DFL && default_action(sig) == DFL_TERM);
}

/* The thread that should take a process-directed signal. */
static struct lx_thread *pick_thread(struct lx_proc *p, int sig)
{
    struct lx_thread *best = NULL;
    for (struct lx_thread *t = p->threads; t; t = t->next) {
        if (t->sigmask & BIT(sig))
            continue;
        if (t->saved)
            return t;                          /* blocked in a call: it can take it now */
        if (!best)
            best = t;
    }
    return best;
}

int lx_signal_send(struct lx_proc *p, struct lx_thread *t, int sig, const struct lx_siginfo *info)
{
    if (sig < 1 || sig > LX_NSIG)
        return -LX_EINVAL;
    if (p->state != LX_ALIVE)
        return 0;
    uint64_t mask = t ? t->sigmask : ~0ull;
    if (!t)
        for (struct lx_thread *o = p->threads; o; o = o->next)
            mask &= o->sigmask;
    bool blocked = (mask & BIT(sig)) && !(BIT(sig) & UNBLOCKABLE);
    if (!blocked && ignored(p, sig))
        return 0;
    if (!blocked && fatal_now(p, sig)) {
        lx_proc_exit(p, sig);
        return 0;
    }
    struct lx_siginfo si = info ? *info : (struct lx_siginfo){ .code = LX_SI_KERNEL };
    si.signo = sig;
    lx_answers_drop(p);                       /* its next call comes here, where signals are taken */
    if (t) {
        t->sig_pending |= BIT(sig);
        t->sig_info[sig] = si;
    } else {
        p->sig_pending |= BIT(sig);
        p->sig_info[sig] = si;
        t = pick_thread(p, sig);
    }
    if (t && !(t->sigmask & BIT(sig)) && t->saved)
        lx_wake_thread(t, LX_WAKE_SIGNAL);
    if (lx_sigfd_wq.head)
        lx_wake_all(&lx_sigfd_wq);              /* a signalfd of its mask may read it now */
    return 0;
}

bool lx_signal_pending(struct lx_thread *t)
{
    return ((t->sig_pending | t->proc->sig_pending) & (~t->sigmask | UNBLOCKABLE)) != 0;
}

/* A fault's signal cannot be blocked or ignored: then it ends the process. */
void lx_signal_fault(struct lx_thread *t, int sig, int code, uint64_t addr)
{
    struct lx_proc *p = t->proc;
    const struct lx_sigaction *a = action(p, sig);
    if (p == lx_init) {
        lx.fault_addr = addr;
        lx.fault_rip = t->rip;
    }
    if ((t->sigmask & BIT(sig)) || a->handler == LX_SIG_IGN || a->handler == LX_SIG_DFL) {
        lx_proc_exit(p, sig);
        return;
    }
    struct lx_siginfo si = { .signo = sig, .code = code };
    si.fault.addr = addr;
    t->sig_pending |= BIT(sig);
    t->sig_info[sig] = si;
}

/* The lowest pending signal t may take now (0: none); taken off its set. */
static int dequeue(struct lx_thread *t, struct lx_siginfo *si)
{
    uint64_t ready = (t->sig_pending | t->proc->sig_pending) & (~t->sigmask | UNBLOCKABLE);
    if (!ready)
        return 0;
    uint64_t pick = ready & FAULT_SIGS & t->sig_pending ? ready & FAULT_SIGS & t->sig_pending : ready;
    int sig = __builtin_ctzll(pick) + 1;
    if (t->sig_pending & BIT(sig)) {
        t->sig_pending &= ~BIT(sig);
        *si = t->sig_info[sig];
    } else {
        t->proc->sig_pending &= ~BIT(sig);
        *si = t->proc->sig_info[sig];
    }
    return sig;
}

struct rt_sigframe {
    uint64_t pretcode;
    struct lx_ucontext uc;
    struct lx_siginfo info;
};

static bool on_altstack(const struct lx_thread *t, uint64_t sp)
{
    return !(t->altstack.flags & LX_SS_DISABLE) && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

static void regs_to_context(const uint64_t *r, struct lx_sigcontext *c)
{
    c->r8 = r[AERIE_REG_R8]; c->r9 = r[AERIE_REG_R9]; c->r10 = r[AERIE_REG_R10]; c->r11 = r[AERIE_REG_R11];
    c->r12 = r[AERIE_REG_R12]; c->r13 = r[AERIE_REG_R13]; c->r14 = r[AERIE_REG_R14];
    c->r15 = r[AERIE_REG_R15]; c->rdi = r[AERIE_REG_RDI]; c->rsi = r[AERIE_REG_RSI];
    c->rbp = r[AERIE_REG_RBP]; c->rbx = r[AERIE_REG_RBX]; c->rdx = r[AERIE_REG_RDX];
    c->rax = r[AERIE_REG_RAX]; c->rcx = r[AERIE_REG_RCX]; c->rsp = r[AERIE_REG_RSP];
    c->rip = r[AERIE_REG_RIP]; c->eflags = r[AERIE_REG_RFLAGS];
    c->cs = 0x33;
    c->ss = 0x2b;
}

static void context_to_regs(const struct lx_sigcontext *c, uint64_t *r)
{
    r[AERIE_REG_R8] = c->r8; r[AERIE_REG_R9] = c->r9; r[AERIE_REG_R10] = c->r10; r[AERIE_REG_R11] = c->r11;
    r[AERIE_REG_R12] = c->r12; r[AERIE_REG_R13] = c->r13; r[AERIE_REG_R14] = c->r14;
    r[AERIE_REG_R15] = c->r15; r[AERIE_REG_RDI] = c->rdi; r[AERIE_REG_RSI] = c->rsi;
    r[AERIE_REG_RBP] = c->rbp; r[AERIE_REG_RBX] = c->rbx; r[AERIE_REG_RDX] = c->rdx;
    r[AERIE_REG_RAX] = c->rax; r[AERIE_REG_RCX] = c->rcx; r[AERIE_REG_RSP] = c->rsp;
    r[AERIE_REG_RIP] = c->rip; r[AERIE_REG_RFLAGS] = c->eflags;
}

/* The call's outcome as the interrupted context sees it. */
static void apply_result(struct lx_thread *t, uint64_t *regs, int64_t result, const struct lx_sigaction *a)
{
    if (t->nr == ~0ull || result == LX_REGS_SET)
        return;                                /* a fault, or registers already final */
    if (result == -LX_ERESTARTSYS && (a->flags & LX_SA_RESTART)) {
        regs[AERIE_REG_RIP] = t->rip - 2;      /* back onto the syscall instruction */
        regs[AERIE_REG_RAX] = t->nr;
        return;
    }
    if (result == -LX_ERESTARTSYS || result == -LX_ERESTARTNOHAND)
        result = -LX_EINTR;
    regs[AERIE_REG_RAX] = (uint64_t)result;
}

/* Builds the frame for a handler of sig and points t at it. */
static bool setup_frame(struct lx_thread *t, int sig, const struct lx_siginfo *si, int64_t result)
{
    struct lx_proc *p = t->proc;
    struct lx_sigaction a = *action(p, sig);
    uint64_t regs[AERIE_REG_COUNT];
    if (lx_thread_get_regs(t, regs))
        return false;
    apply_result(t, regs, result, &a);
    uint64_t sp = regs[AERIE_REG_RSP];
    if ((a.flags & LX_SA_ONSTACK) && !(t->altstack.flags & LX_SS_DISABLE) && !on_altstack(t, sp))
        sp = t->altstack.sp + t->altstack.size;
    else
        sp -= 128;                             /* the red zone */
    uint64_t fp = (sp - 512) & ~63ull;
    uint64_t frame = ((fp - sizeof(struct rt_sigframe)) & ~15ull) - 8;
    struct rt_sigframe f = { 0 };
    f.pretcode = (a.flags & LX_SA_RESTORER) ? a.restorer : TRAMP(lx_tramp_restorer);
    f.uc.stack = t->altstack;
    f.uc.stack.flags |= on_altstack(t, regs[AERIE_REG_RSP]) ? LX_SS_ONSTACK : 0;
    regs_to_context(regs, &f.uc.mcontext);
    f.uc.mcontext.fpstate = fp;
    f.uc.mcontext.oldmask = t->sigsuspended ? t->saved_mask : t->sigmask;
    f.uc.sigmask = f.uc.mcontext.oldmask;
    f.info = *si;
    if (sig == LX_SIGSEGV || sig == LX_SIGBUS)
        f.uc.mcontext.cr2 = si->fault.addr;
    if (lx_copy_out(p->mm, frame, &f, sizeof f) || !lx_user(p->mm, fp, 512, LX_PROT_WRITE))
        return false;
    if (t->sigsuspended) {
        t->sigmask = t->saved_mask;
        t->sigsuspended = false;
    }
    t->sigmask |= a.mask | ((a.flags & LX_SA_NODEFER) ? 0 : BIT(sig));
    t->sigmask &= ~UNBLOCKABLE;
    if (a.flags & LX_SA_RESETHAND)
        p->sighand->act[sig] = (struct lx_sigaction){ 0 };
    uint64_t nr[AERIE_REG_COUNT] = { 0 };
    nr[AERIE_REG_RIP] = TRAMP(lx_tramp_sigenter);
    nr[AERIE_REG_RSP] = frame;
    nr[AERIE_REG_RDI] = (uint64_t)sig;
    nr[AERIE_REG_RSI] = frame + offsetof(struct rt_sigframe, info);
    nr[AERIE_REG_RDX] = frame + offsetof(struct rt_sigframe, uc);
    nr[AERIE_REG_RCX] = a.handler;
    nr[AERIE_REG_R8] = fp;
    nr[AERIE_REG_RFLAGS] = regs[AERIE_REG_RFLAGS] & ~0x500ull;   /* DF and TF clear */
    nr[AERIE_REG_FS_BASE] = regs[AERIE_REG_FS_BASE];
    return lx_thread_set_regs(t, (1u << AERIE_REG_COUNT) - 1, nr) == 0;
}

bool lx_signal_deliver(struct lx_thread *t, int64_t *result)
{
    struct lx_siginfo si;
    int sig;
    while ((sig = dequeue(t, &si))) {
        struct lx_proc *p = t->proc;
        const struct lx_sigaction *a = action(p, sig);
        if (sig != LX_SIGKILL && (a->handler == LX_SIG_IGN ||
                                  (a->handler == LX_SIG_DFL && default_action(sig) != DFL_TERM)))
            continue;
        if (sig == LX_SIGKILL || a->handler == LX_SIG_DFL) {
            if (p == lx_init && (BIT(sig) & FAULT_SIGS) && si.fault.addr)
                lx.fault_addr = si.fault.addr;
            lx_proc_exit(p, sig);
            return true;
        }
        if (setup_frame(t, sig, &si, *result)) {
            *result = LX_REGS_SET;
            return true;
        }
        lx_proc_exit(p, LX_SIGSEGV);           /* no room for the frame: as Linux does */
        return true;
    }
    return false;
}

/* ---- system calls ---- */

LX_SYS(rt_sigaction)
{
    int sig = (int)t->a[0];
    if (sig < 1 || sig > LX_NSIG || t->a[3] != 8)
        return -LX_EINVAL;
    struct lx_sighand *h = t->proc->sighand;
    struct lx_sigaction old = h->act[sig], n;
    if (t->a[1]) {
        if (sig == LX_SIGKILL || sig == LX_SIGSTOP)
            return -LX_EINVAL;
        if (lx_copy_in(t->proc->mm, &n, t->a[1], sizeof n))
            return -LX_EFAULT;
    }
    if (t->a[2] && lx_copy_out(t->proc->mm, t->a[2], &old, sizeof old))
        return -LX_EFAULT;
    if (t->a[1]) {
        n.mask &= ~UNBLOCKABLE;
        h->act[sig] = n;
        if (ignored(t->proc, sig)) {          /* pending ones are dropped */
            t->proc->sig_pending &= ~BIT(sig);
            for (struct lx_thread *o = t->proc->threads; o; o = o->next)
                o->sig_pending &= ~BIT(sig);
        }
    }
    return 0;
}

LX_SYS(rt_sigprocmask)
{
    if (t->a[3] != 8)
        return -LX_EINVAL;
    uint64_t old = t->sigmask, set;
    if (t->a[1]) {
        if (lx_copy_in(t->proc->mm, &set, t->a[1], sizeof set))
            return -LX_EFAULT;
        switch (t->a[0]) {
        case LX_SIG_BLOCK: t->sigmask |= set; break;
        case LX_SIG_UNBLOCK: t->sigmask &= ~set; break;
        case LX_SIG_SETMASK: t->sigmask = set; break;
        default: return -LX_EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    if (t->a[2] && lx_copy_out(t->proc->mm, t->a[2], &old, sizeof old))
        return -LX_EFAULT;
    return 0;
}

LX_SYS(rt_sigpending)
{
    uint64_t set = (t->sig_pending | t->proc->sig_pending) & t->sigmask;
    return t->a[1] != 8 ? -LX_EINVAL : lx_copy_out(t->proc->mm, t->a[0], &set, sizeof set);
}

LX_SYS(rt_sigsuspend)
{
    if (t->wake == LX_WAKE_SIGNAL || (t->sigsuspended && lx_signal_pending(t)))
        return -LX_EINTR;                      /* the mask is restored by the delivery */
    if (!t->sigsuspended) {
        uint64_t set;
        if (t->a[1] != 8)
            return -LX_EINVAL;
        if (lx_copy_in(t->proc->mm, &set, t->a[0], sizeof set))
            return -LX_EFAULT;
        t->saved_mask = t->sigmask;
        t->sigmask = set & ~UNBLOCKABLE;
        t->sigsuspended = true;
        if (lx_signal_pending(t))
            return -LX_EINTR;
    }
    return LX_BLOCK;
}

/* rt_sigtimedwait (sigwait, sigwaitinfo, sigtimedwait): takes the lowest
 * pending signal of the set, the thread's own first, and returns its
 * number and siginfo instead of delivering it; waits on the queue every
 * signal made pending wakes (signalfd's) until one of the set comes
 * (EAGAIN when the timeout passes; EINTR when another signal is to be
 * delivered, which Linux never restarts). */
LX_SYS(rt_sigtimedwait)
{
    uint64_t set;
    if (t->a[3] != 8)
        return -LX_EINVAL;
    if (lx_copy_in(t->proc->mm, &set, t->a[0], sizeof set))
        return -LX_EFAULT;
    set &= ~UNBLOCKABLE;
    uint64_t timeout_ns = ~0ull;
    if (t->a[2] && !t->progress) {
        struct lx_timespec ts;
        if (lx_copy_in(t->proc->mm, &ts, t->a[2], sizeof ts))
            return -LX_EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -LX_EINVAL;
        timeout_ns = (uint64_t)ts.sec > 100ull * 365 * 24 * 3600 ? ~0ull - 1
                                                              : (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
    }
    uint64_t deadline = lx_poll_deadline(t, timeout_ns);
    uint64_t *pend[2] = { &t->sig_pending, &t->proc->sig_pending };
    struct lx_siginfo *info[2] = { t->sig_info, t->proc->sig_info };
    for (int k = 0; k < 2; k++) {
        uint64_t m = *pend[k] & set;
        if (!m)
            continue;
        int sig = __builtin_ctzll(m) + 1;
        struct lx_siginfo si = info[k][sig];
        *pend[k] &= ~BIT(sig);
        lx_unwait(t);
        if (t->a[1] && lx_copy_out(t->proc->mm, t->a[1], &si, sizeof si))
            return -LX_EFAULT;                 /* taken all the same, as Linux's */
        return sig;
    }
    if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t)) {
        lx_unwait(t);
        return -LX_EINTR;
    }
    if (deadline != ~0ull && lx_now_ns() >= deadline) {
        lx_unwait(t);
        return -LX_EAGAIN;
    }
    if (deadline != ~0ull)
        lx_wait_until(t, deadline);
    return lx_wait_on(t, &lx_sigfd_wq) ? -LX_ENOMEM : LX_BLOCK;
}

LX_SYS(pause)
{
    return t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t) ? -LX_ERESTARTNOHAND : LX_BLOCK;
}

LX_SYS(sigaltstack)
{
    struct lx_stack old = t->altstack;
    if (on_altstack(t, t->rsp))
        old.flags |= LX_SS_ONSTACK;
    if (t->a[0]) {
        struct lx_stack n;
        if (lx_copy_in(t->proc->mm, &n, t->a[0], sizeof n))
            return -LX_EFAULT;
        if (on_altstack(t, t->rsp))
            return -LX_EPERM;
        if (n.flags & ~LX_SS_DISABLE)
            return -LX_EINVAL;
        if (!(n.flags & LX_SS_DISABLE) && n.size < LX_MINSIGSTKSZ)
            return -LX_ENOMEM;
        t->altstack = n.flags & LX_SS_DISABLE ? (struct lx_stack){ .flags = LX_SS_DISABLE } : n;
    }
    if (t->a[1] && lx_copy_out(t->proc->mm, t->a[1], &old, sizeof old))
        return -LX_EFAULT;
    return 0;
}

int64_t lx_sys_rt_sigreturn(struct lx_thread *t)
{
    struct lx_proc *p = t->proc;
    struct lx_ucontext uc;
    if (lx_copy_in(p->mm, &uc, t->rsp, sizeof uc)) {
        lx_proc_exit(p, LX_SIGSEGV);
        return LX_NOREPLY;
    }
    t->sigmask = uc.sigmask & ~UNBLOCKABLE;
    if (!(uc.stack.flags & LX_SS_DISABLE) && !on_altstack(t, t->rsp) && uc.stack.size >= LX_MINSIGSTKSZ)
        t->altstack = (struct lx_stack){ .sp = uc.stack.sp, .size = uc.stack.size };
    memset(t->restore_regs, 0, sizeof t->restore_regs);
    context_to_regs(&uc.mcontext, t->restore_regs);
    t->restore_regs[AERIE_REG_FS_BASE] = t->fs_base;
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    if (uc.mcontext.fpstate && lx_user(p->mm, uc.mcontext.fpstate, 512, LX_PROT_READ) &&
        uc.mcontext.fpstate % 16 == 0) {
        /* the thread restores its FPU state, then calls LX_SYS_RESTORE */
        t->restore_pending = true;
        memcpy(regs, t->restore_regs, sizeof regs);
        regs[AERIE_REG_RIP] = TRAMP(lx_tramp_sigreturn);
        regs[AERIE_REG_RDI] = uc.mcontext.fpstate;
        regs[AERIE_REG_RSP] = t->rsp;
        t->sigsuspended = false;
        return lx_thread_set_regs(t, (1u << AERIE_REG_COUNT) - 1, regs) ? -LX_EFAULT : LX_REGS_SET;
    }
    return lx_thread_set_regs(t, (1u << AERIE_REG_COUNT) - 1, t->restore_regs) ? -LX_EFAULT : LX_REGS_SET;
}

int64_t lx_sys_restore(struct lx_thread *t)
{
    if (!t->restore_pending)
        return -LX_ENOSYS;
    t->restore_pending = false;
    return lx_thread_set_regs(t, (1u << AERIE_REG_COUNT) - 1, t->restore_regs) ? -LX_EFAULT : LX_REGS_SET;
}

/* ---- sending ---- */

static int64_t kill_one(struct lx_thread *t, struct lx_proc *p, int sig)
{
    if (p->state != LX_ALIVE)
        return 0;
    if (!sig)
        return 0;
    struct lx_siginfo si = { .signo = sig, .code = LX_SI_USER };
    si.kill.pid = t->proc->pid;
    return lx_signal_send(p, NULL, sig, &si);
}

struct kill_group {
    struct lx_thread *t;
    int pgid, sig, found;
    bool all;
};

static void kill_outside(struct lx_proc *p, void *arg)
{
    struct kill_group *k = arg;
    if (p->state == LX_ALIVE && p->pgid == k->pgid) {
        struct lx_siginfo si = { .signo = k->sig, .code = LX_SI_USER };
        lx_signal_send(p, NULL, k->sig, &si);
    }
}

static void kill_member(struct lx_proc *p, void *arg)
{
    struct kill_group *k = arg;
    if (p->state != LX_ALIVE || (k->all ? p == lx_init || p == k->t->proc : p->pgid != k->pgid))
        return;
    k->found++;
    kill_one(k->t, p, k->sig);
}

void lx_signal_from_outside(int sig)
{
    if (sig < 1 || sig > LX_NSIG || !lx_init || lx_init->state != LX_ALIVE)
        return;
    struct lx_siginfo si = { .signo = sig, .code = LX_SI_USER };   /* from pid 0: outside */
    if (sig != LX_SIGINT) {
        lx_signal_send(lx_init, NULL, sig, &si);
        return;
    }
    int pgid = lx_init->pgid;
    struct kill_group k = { .sig = sig, .pgid = pgid };
    lx_procs_foreach(kill_outside, &k);
}

LX_SYS(kill)
{
    int pid = (int)t->a[0], sig = (int)t->a[1];
    if (sig < 0 || sig > LX_NSIG)
        return -LX_EINVAL;
    if (pid > 0) {
        struct lx_proc *p = lx_proc_of(pid);
        if (!p || p->state != LX_ALIVE)
            return -LX_ESRCH;              /* this container's pids are the only ones */
        return kill_one(t, p, sig);
    }
    struct kill_group k = { .t = t, .sig = sig, .pgid = pid == 0 ? t->proc->pgid : -pid, .all = pid == -1 };
    lx_procs_foreach(kill_member, &k);
    return k.found ? 0 : -LX_ESRCH;
}

static int64_t thread_kill(struct lx_thread *t, int tgid, int tid, int sig)
{
    if (sig < 0 || sig > LX_NSIG || tid <= 0)
        return -LX_EINVAL;
    struct lx_thread *o = lx_thread_of((uint64_t)tid);
    if (!o || o->dead || (tgid > 0 && o->proc->pid != tgid))
        return -LX_ESRCH;
    if (!sig)
        return 0;
    struct lx_siginfo si = { .signo = sig, .code = LX_SI_TKILL };
    si.kill.pid = t->proc->pid;
    return lx_signal_send(o->proc, o, sig, &si);
}

LX_SYS(tkill) { return thread_kill(t, -1, (int)t->a[0], (int)t->a[1]); }

LX_SYS(tgkill)
{
    return (int)t->a[0] <= 0 ? -LX_EINVAL : thread_kill(t, (int)t->a[0], (int)t->a[1], (int)t->a[2]);
}

/* rt_sigqueueinfo/rt_tgsigqueueinfo: a siginfo the program wrote, as
 * sigqueue(3) and pthread_sigqueue send with SI_QUEUE and a value. As
 * Linux's do_rt_sigqueueinfo: a code of 0 or more (SI_USER, SI_KERNEL, a
 * fault's) or SI_TKILL would pretend the signal came from kill or the
 * kernel, so only a thread sending to itself may use one (else EPERM). */
static int64_t queue_info(struct lx_thread *t, int tgid, int tid, int sig, uint64_t uinfo)
{
    struct lx_siginfo si;
    if (lx_copy_in(t->proc->mm, &si, uinfo, sizeof si))
        return -LX_EFAULT;
    int self = tid ? tid : tgid;
    if ((si.code >= 0 || si.code == LX_SI_TKILL) && self != t->tid)
        return -LX_EPERM;
    struct lx_thread *o = NULL;
    struct lx_proc *p;
    if (tid) {
        o = lx_thread_of((uint64_t)tid);
        if (!o || o->dead || o->proc->pid != tgid)
            return -LX_ESRCH;
        p = o->proc;
    } else if (!(p = lx_proc_of(tgid)) || p->state != LX_ALIVE) {
        return -LX_ESRCH;                     /* this container's pids are the only ones */
    }
    if (sig < 0 || sig > LX_NSIG)
        return -LX_EINVAL;
    if (!sig)
        return 0;
    si.signo = sig;
    return lx_signal_send(p, o, sig, &si);
}

LX_SYS(rt_sigqueueinfo)
{
    int pid = (int)t->a[0];
    return queue_info(t, pid <= 0 ? 0 : pid, 0, (int)t->a[1], t->a[2]);
}

LX_SYS(rt_tgsigqueueinfo)
{
    int tgid = (int)t->a[0], tid = (int)t->a[1];
    if (tgid <= 0 || tid <= 0)
        return -LX_EINVAL;
    return queue_info(t, tgid, tid, (int)t->a[2], t->a[3]);
}

/* ---- alarm and ITIMER_REAL ---- */

/* Set when a process's alarm is armed, cleared by a walk of the
 * processes that found none: the loop runs lx_alarms_expire before every
 * receive, and a walk of every process each time was a visible part of
 * a busy shell's system calls. A stale true costs one walk. */
static bool alarms_armed;

static void itimer_out(struct lx_proc *p, struct lx_itimerval *v)
{
    uint64_t now = lx_now_ns(), left = p->alarm_at > now ? p->alarm_at - now : (p->alarm_at ? 1000 : 0);
    v->value = (struct lx_timeval){ (int64_t)(left / 1000000000ull), (int64_t)(left % 1000000000ull / 1000) };
    v->interval = (struct lx_timeval){ (int64_t)(p->alarm_interval / 1000000000ull),
                                       (int64_t)(p->alarm_interval % 1000000000ull / 1000) };
}

LX_SYS(alarm)
{
    struct lx_proc *p = t->proc;
    uint64_t now = lx_now_ns();
    uint64_t left = p->alarm_at > now ? (p->alarm_at - now + 999999999ull) / 1000000000ull : 0;
    p->alarm_at = t->a[0] ? now + (uint64_t)(uint32_t)t->a[0] * 1000000000ull : 0;
    p->alarm_interval = 0;
    alarms_armed |= p->alarm_at != 0;
    return (int64_t)left;
}

LX_SYS(getitimer)
{
    struct lx_itimerval v = { 0 };
    if (t->a[0] == 0)
        itimer_out(t->proc, &v);
    else if (t->a[0] > 2)
        return -LX_EINVAL;
    return lx_copy_out(t->proc->mm, t->a[1], &v, sizeof v);
}

LX_SYS(setitimer)
{
    struct lx_itimerval n, old = { 0 };
    if (t->a[0] > 2)
        return -LX_EINVAL;
    if (t->a[1] && lx_copy_in(t->proc->mm, &n, t->a[1], sizeof n))
        return -LX_EFAULT;
    if (t->a[0] == 0)
        itimer_out(t->proc, &old);
    if (t->a[2] && lx_copy_out(t->proc->mm, t->a[2], &old, sizeof old))
        return -LX_EFAULT;
    if (t->a[0] != 0 || !t->a[1])
        return 0;                            /* CPU-time timers are accepted and never fire */
    if (n.value.usec < 0 || n.value.usec >= 1000000 || n.interval.usec < 0 || n.interval.usec >= 1000000)
        return -LX_EINVAL;
    uint64_t v = (uint64_t)n.value.sec * 1000000000ull + (uint64_t)n.value.usec * 1000;
    t->proc->alarm_at = v ? lx_now_ns() + v : 0;
    t->proc->alarm_interval = (uint64_t)n.interval.sec * 1000000000ull + (uint64_t)n.interval.usec * 1000;
    alarms_armed |= t->proc->alarm_at != 0;
    return 0;
}

/* Called by the loop: alarms that are due; returns ns to the next one. */
static uint64_t alarm_next;
static void alarm_check(struct lx_proc *p, void *arg)
{
    uint64_t now = *(uint64_t *)arg;
    if (p->state != LX_ALIVE)
        return;
    /* A signal sent here may end p, and free it when its parent reaps
     * nothing: p is not touched after one unless lx_proc_of still finds it. */
    int pid = p->pid;
    uint64_t next = lx_ptimers_expire(p, now);
    if (next < alarm_next)
        alarm_next = next;
    if (lx_proc_of(pid) != p || p->state != LX_ALIVE || !p->alarm_at)
        return;
    bool due = p->alarm_at <= now;
    if (due)
        p->alarm_at = p->alarm_interval ? now + p->alarm_interval : 0;
    if (p->alarm_at && p->alarm_at - now < alarm_next)
        alarm_next = p->alarm_at - now;
    if (due) {
        struct lx_siginfo si = { .signo = LX_SIGALRM, .code = LX_SI_TIMER };
        lx_signal_send(p, NULL, LX_SIGALRM, &si);
    }
}

void lx_alarms_armed(void)
{
    alarms_armed = true;
}

uint64_t lx_alarms_expire(void)
{
    if (!alarms_armed)
        return ~0ull;
    uint64_t now = lx_now_ns();
    alarm_next = ~0ull;
    lx_procs_foreach(alarm_check, &now);
    alarms_armed = alarm_next != ~0ull;     /* none left armed (alarm_check re-arms intervals) */
    return alarm_next;
}
