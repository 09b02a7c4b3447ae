/*
 * sys_misc.c — identity, time and limits: exit, the pid/tid/uid calls
 * (a container's programs run as root, uid 0, inside their container),
 * process groups and sessions, arch_prctl, uname, getrandom, the clocks
 * and sleeps, resource limits and sysinfo (the container's own quota:
 * what a program sees as memory and process limits is the truth), prctl,
 * umask and the scheduler queries.
 */
#include <string.h>
#include <aerie/kip.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include "lx.h"
#include "sys.h"

LX_SYS(exit)
{
    lx_thread_exit(t, (int)(t->a[0] & 0xff));
    return LX_NOREPLY;
}

LX_SYS(exit_group)
{
    lx_proc_exit(t->proc, (int)((t->a[0] & 0xff) << 8));
    return LX_NOREPLY;
}

/* The identity calls. The first of them a thread makes hands all their
 * answers to the kernel (lx_answers_arm), which then answers the next
 * ones itself; a thread that never asks costs nothing. */
LX_SYS(getpid) { lx_answers_arm(t); return t->proc->pid; }
LX_SYS(gettid) { lx_answers_arm(t); return t->tid; }
LX_SYS(getppid) { lx_answers_arm(t); return t->proc->parent ? t->proc->parent->pid : 0; }
LX_SYS(getuid) { lx_answers_arm(t); return 0; }

/* What the calls above (and getuid's aliases in systab.c) answer, handed
 * to the kernel (THREAD_SET_ANSWERS; docs/LINUX.md, "Standing answers"):
 * such a call is then a trap and a return, no message to us. Not while
 * a signal waits: that is taken at the answer to a call that comes here. */
#define ANSWER(nr, v) (((uint64_t)(nr) << 32) | (uint32_t)(v))
void lx_answers_arm(struct lx_thread *t)
{
    if (t->answers_on || t->dead || lx_signal_pending(t))
        return;
    int ppid = t->proc->parent ? t->proc->parent->pid : 0;
    const uint64_t w[] = {
        ANSWER(39, t->proc->pid), ANSWER(110, ppid), ANSWER(186, t->tid),
        ANSWER(102, 0), ANSWER(104, 0), ANSWER(107, 0), ANSWER(108, 0),   /* get[e]uid, get[e]gid */
    };
    if (ae_invoke(t->slot, AERIE_THREAD_SET_ANSWERS, sizeof w / sizeof w[0], w, 0, 0) == 0)
        t->answers_on = true;
}

void lx_answers_drop(struct lx_proc *p)
{
    for (struct lx_thread *o = p->threads; o; o = o->next) {
        if (!o->answers_on)
            continue;
        o->answers_on = false;
        ae_invoke0(o->slot, AERIE_THREAD_SET_ANSWERS);
    }
}

/* setuid and friends: root may become anyone; identity is not enforced
 * inside a container (its files and capabilities are its boundary). */
LX_SYS(setuid) { return 0; }

LX_SYS(getresuid)
{
    uint32_t zero = 0;
    for (int i = 0; i < 3; i++)
        if (lx_copy_out(t->proc->mm, t->a[i], &zero, sizeof zero))
            return -LX_EFAULT;
    return 0;
}

LX_SYS(getgroups)
{
    return (int64_t)t->a[0] < 0 ? -LX_EINVAL : 0;
}

LX_SYS(set_tid_address)
{
    t->clear_tid = t->a[0];
    return t->tid;
}

LX_SYS(arch_prctl)
{
    switch (t->a[0]) {
    case LX_ARCH_SET_FS: {
        if (t->a[1] >= LX_USER_TOP && t->a[1] >= 0x00007FFFFFFFF000ull)
            return -LX_EPERM;
        uint64_t regs[AERIE_REG_COUNT] = { 0 };
        regs[AERIE_REG_FS_BASE] = t->a[1];
        int r = lx_thread_set_regs(t, 1u << AERIE_REG_FS_BASE, regs);
        if (!r)
            t->fs_base = t->a[1];
        return r;
    }
    case LX_ARCH_GET_FS:
        return lx_copy_out(t->proc->mm, t->a[1], &t->fs_base, sizeof t->fs_base);
    default:
        return -LX_EINVAL;                       /* no GS base for Linux programs */
    }
}

/* ---- names ---- */

static char hostname[65] = "aerie";
static char domainname[65] = "(none)";

const char *lx_hostname(void)
{
    return hostname;
}

LX_SYS(uname)
{
    struct lx_utsname u;
    memset(&u, 0, sizeof u);
    strcpy(u.sysname, "Linux");
    strcpy(u.nodename, hostname);
    strcpy(u.release, "6.1.0-aerie");
    strcpy(u.version, "#1 SMP Aerie Linux personality");
    strcpy(u.machine, "x86_64");
    strcpy(u.domainname, domainname);
    return lx_copy_out(t->proc->mm, t->a[0], &u, sizeof u);
}

static int64_t set_name(struct lx_thread *t, char *dst)
{
    if (t->a[1] > 64)
        return -LX_EINVAL;
    char buf[65] = { 0 };
    if (lx_copy_in(t->proc->mm, buf, t->a[0], t->a[1]))
        return -LX_EFAULT;
    memcpy(dst, buf, sizeof buf);
    return 0;
}

LX_SYS(sethostname) { return set_name(t, hostname); }
LX_SYS(setdomainname) { return set_name(t, domainname); }

LX_SYS(getrandom)
{
    if (t->a[2] & ~(uint64_t)(LX_GRND_NONBLOCK | LX_GRND_RANDOM))
        return -LX_EINVAL;
    uint64_t n = t->a[1] > (32u << 20) ? (32u << 20) : t->a[1];
    void *buf = lx_user(t->proc->mm, t->a[0], n, LX_PROT_WRITE);
    if (!buf)
        return -LX_EFAULT;
    lx_random(buf, n);
    return (int64_t)n;
}

/* ---- time ---- */

static int clock_ns(struct lx_thread *t, uint64_t clk, uint64_t *ns)
{
    switch (clk) {
    case LX_CLOCK_REALTIME: case LX_CLOCK_REALTIME_COARSE:
        *ns = lx_realtime_ns();
        return 0;
    case LX_CLOCK_MONOTONIC: case LX_CLOCK_MONOTONIC_RAW: case LX_CLOCK_MONOTONIC_COARSE: case LX_CLOCK_BOOTTIME:
        *ns = lx_now_ns();
        return 0;
    case LX_CLOCK_PROCESS_CPUTIME_ID:
        *ns = lx_proc_cpu_ns(t->proc);
        return 0;
    case LX_CLOCK_THREAD_CPUTIME_ID:
        *ns = lx_thread_cpu_ns(t);
        return 0;
    default:
        return -LX_EINVAL;
    }
}

static struct lx_timespec ts_of(uint64_t ns)
{
    return (struct lx_timespec){ (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull) };
}

LX_SYS(clock_gettime)
{
    uint64_t ns;
    int r = clock_ns(t, t->a[0], &ns);
    if (r)
        return r;
    struct lx_timespec ts = ts_of(ns);
    return lx_copy_out(t->proc->mm, t->a[1], &ts, sizeof ts);
}

LX_SYS(clock_getres)
{
    uint64_t ns;
    int r = clock_ns(t, t->a[0], &ns);
    if (r)
        return r;
    struct lx_timespec ts = { 0, 1 };
    return t->a[1] ? lx_copy_out(t->proc->mm, t->a[1], &ts, sizeof ts) : 0;
}

LX_SYS(gettimeofday)
{
    uint64_t ns = lx_realtime_ns();
    struct lx_timeval tv = { (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
    if (t->a[0] && lx_copy_out(t->proc->mm, t->a[0], &tv, sizeof tv))
        return -LX_EFAULT;
    if (t->a[1]) {
        int32_t tz[2] = { 0, 0 };
        if (lx_copy_out(t->proc->mm, t->a[1], tz, sizeof tz))
            return -LX_EFAULT;
    }
    return 0;
}

LX_SYS(time)
{
    int64_t now = (int64_t)(lx_realtime_ns() / 1000000000ull);
    if (t->a[0] && lx_copy_out(t->proc->mm, t->a[0], &now, sizeof now))
        return -LX_EFAULT;
    return now;
}

/* Sleeps until deadline (monotonic ns, kept in t->progress across runs);
 * an interruption writes what was left to rem. */
static int64_t sleep_until(struct lx_thread *t, uint64_t deadline, uint64_t rem)
{
    if (t->wake == LX_WAKE_SIGNAL) {
        uint64_t now = lx_now_ns();
        struct lx_timespec left = ts_of(deadline > now ? deadline - now : 0);
        if (rem && lx_copy_out(t->proc->mm, rem, &left, sizeof left))
            return -LX_EFAULT;
        return -LX_EINTR;
    }
    if (lx_now_ns() >= deadline)
        return 0;
    if (lx_signal_pending(t))
        return -LX_EINTR;
    t->progress = deadline;
    lx_wait_until(t, deadline);
    return LX_BLOCK;
}

static int64_t read_timespec(struct lx_thread *t, uint64_t addr, uint64_t *ns)
{
    struct lx_timespec ts;
    if (lx_copy_in(t->proc->mm, &ts, addr, sizeof ts))
        return -LX_EFAULT;
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
        return -LX_EINVAL;
    *ns = lx_timeout_ns((uint64_t)ts.sec, (uint64_t)ts.nsec);
    return 0;
}

LX_SYS(nanosleep)
{
    if (t->progress)
        return sleep_until(t, t->progress, t->a[1]);
    uint64_t ns;
    int64_t r = read_timespec(t, t->a[0], &ns);
    return r ? r : sleep_until(t, lx_after(lx_now_ns(), ns), t->a[1]);
}

LX_SYS(clock_nanosleep)
{
    if (t->progress)
        return sleep_until(t, t->progress, t->a[1] & LX_TIMER_ABSTIME ? 0 : t->a[3]);
    uint64_t ns, now;
    int64_t r = clock_ns(t, t->a[0], &now);
    if (!r)
        r = read_timespec(t, t->a[2], &ns);
    if (r)
        return r;
    if (t->a[1] & LX_TIMER_ABSTIME)
        ns = ns > now ? ns - now : 0;
    return sleep_until(t, lx_after(lx_now_ns(), ns), t->a[1] & LX_TIMER_ABSTIME ? 0 : t->a[3]);
}

/* ---- limits ---- */

static int64_t quota_info(uint64_t out[6])
{
    return ae_quota_info(lx.quota, out);
}

static void container_limits(struct lx_proc *p, int res, struct lx_rlimit *r)
{
    uint64_t q[6];
    *r = p->rlim[res];
    if (quota_info(q) < 0)
        return;
    if (res == LX_RLIMIT_AS || res == LX_RLIMIT_DATA || res == LX_RLIMIT_RSS)
        *r = (struct lx_rlimit){ q[0], q[0] };
    else if (res == LX_RLIMIT_NPROC)
        *r = (struct lx_rlimit){ q[2], q[2] };
}

static int64_t rlimit(struct lx_thread *t, int pid, unsigned res, uint64_t new_addr, uint64_t old_addr)
{
    struct lx_proc *p = pid ? lx_proc_of(pid) : t->proc;
    if (!p || p->state != LX_ALIVE)
        return -LX_ESRCH;
    if (res >= LX_RLIM_NLIMITS)
        return -LX_EINVAL;
    struct lx_rlimit old, n;
    container_limits(p, (int)res, &old);
    if (new_addr) {
        if (lx_copy_in(t->proc->mm, &n, new_addr, sizeof n))
            return -LX_EFAULT;
        if (n.cur > n.max)
            return -LX_EINVAL;
        if (n.max > old.max && (res == LX_RLIMIT_AS || res == LX_RLIMIT_NPROC || res == LX_RLIMIT_NOFILE))
            return -LX_EPERM;                  /* the container's limits are not the program's to raise */
    }
    if (old_addr && lx_copy_out(t->proc->mm, old_addr, &old, sizeof old))
        return -LX_EFAULT;
    if (new_addr)
        p->rlim[res] = n;
    return 0;
}

LX_SYS(prlimit64) { return rlimit(t, (int)t->a[0], (unsigned)t->a[1], t->a[2], t->a[3]); }
LX_SYS(getrlimit) { return rlimit(t, 0, (unsigned)t->a[0], 0, t->a[1]); }
LX_SYS(setrlimit) { return rlimit(t, 0, (unsigned)t->a[0], t->a[1], 0); }

static void count_proc(struct lx_proc *p, void *arg)
{
    if (p->state == LX_ALIVE)
        ++*(unsigned *)arg;
}

LX_SYS(sysinfo)
{
    uint64_t q[6] = { 0 };
    quota_info(q);
    unsigned procs = 0;
    lx_procs_foreach(count_proc, &procs);
    struct lx_sysinfo si;
    memset(&si, 0, sizeof si);
    si.uptime = (int64_t)(lx_now_ns() / 1000000000ull);
    si.totalram = q[0];
    si.freeram = q[0] > q[1] ? q[0] - q[1] : 0;
    si.procs = (uint16_t)procs;
    si.mem_unit = 1;
    return lx_copy_out(t->proc->mm, t->a[0], &si, sizeof si);
}

/* The kernel counts each thread's CPU time; all of it is reported as
 * user time (the personality's work for a call is its own thread's). */
void lx_rusage_of(uint64_t ns, struct lx_rusage *ru)
{
    memset(ru, 0, sizeof *ru);
    ru->utime.sec = (int64_t)(ns / 1000000000ull);
    ru->utime.usec = (int64_t)(ns % 1000000000ull / 1000);
}

LX_SYS(getrusage)
{
    struct lx_rusage ru;
    switch ((int32_t)t->a[0]) {                /* an int: RUSAGE_CHILDREN is -1 in 32 bits */
    case 0: lx_rusage_of(lx_proc_cpu_ns(t->proc), &ru); break;         /* RUSAGE_SELF */
    case -1: lx_rusage_of(t->proc->children_cpu_ns, &ru); break;       /* RUSAGE_CHILDREN */
    case 1: lx_rusage_of(lx_thread_cpu_ns(t), &ru); break;             /* RUSAGE_THREAD */
    default: return -LX_EINVAL;
    }
    return lx_copy_out(t->proc->mm, t->a[1], &ru, sizeof ru);
}

LX_SYS(times)
{
    /* clock ticks of 10 ms (sysconf(_SC_CLK_TCK) is 100 in the auxv) */
    struct lx_tms tms = { .utime = (int64_t)(lx_proc_cpu_ns(t->proc) / 10000000ull),
                          .cutime = (int64_t)(t->proc->children_cpu_ns / 10000000ull) };
    if (t->a[0] && lx_copy_out(t->proc->mm, t->a[0], &tms, sizeof tms))
        return -LX_EFAULT;
    return (int64_t)(lx_now_ns() / 10000000ull);
}

/* ---- scheduling, process attributes ---- */

LX_SYS(sched_yield) { return 0; }

/* The thread a sched_*affinity pid names: 0 the caller, else a live
 * thread of this personality by its tid. */
static struct lx_thread *affinity_target(struct lx_thread *t, int pid)
{
    struct lx_thread *o = pid ? lx_thread_of((uint64_t)pid) : t;
    return pid < 0 || !o || o->dead ? NULL : o;
}

/* The container's CPUs, or fewer if sched_setaffinity narrowed them.
 * As Linux: the size must hold a whole CPU mask in longs (ours is 64
 * bits), and the call returns the bytes written. */
LX_SYS(sched_getaffinity)
{
    if (t->a[1] < 8 || t->a[1] % 8)
        return -LX_EINVAL;
    struct lx_thread *o = affinity_target(t, (int)t->a[0]);
    if (!o)
        return -LX_ESRCH;
    uint64_t mask = lx_thread_cpus(o);
    return lx_copy_out(t->proc->mm, t->a[2], &mask, sizeof mask) ? -LX_EFAULT : 8;
}

/* Keeps the thread to the container's CPUs among those asked for (as
 * Linux keeps it to its cpuset's): none of them is EINVAL. The kernel
 * moves no thread on its own, so it runs on one of them — its CPU if
 * that is one — and getaffinity reports them all. A mask shorter than
 * 64 bits is read as zeros beyond, a longer one's tail is not looked at
 * (CPUs beyond 63 exist nowhere here). */
LX_SYS(sched_setaffinity)
{
    struct lx_thread *o = affinity_target(t, (int)t->a[0]);
    if (!o)
        return -LX_ESRCH;
    uint64_t mask = 0;
    size_t n = t->a[1] < sizeof mask ? (size_t)t->a[1] : sizeof mask;
    if (n && lx_copy_in(t->proc->mm, &mask, t->a[2], n))
        return -LX_EFAULT;
    return lx_thread_set_cpus(o, mask);
}
LX_SYS(sched_getscheduler) { return 0; }

LX_SYS(sched_getparam)
{
    int32_t prio = 0;
    return lx_copy_out(t->proc->mm, t->a[1], &prio, sizeof prio);
}

LX_SYS(getpriority) { return 20; }
LX_SYS(setpriority) { return 0; }

LX_SYS(getcpu)
{
    uint32_t cpu = (uint32_t)t->cpu, node = 0;
    if (t->a[0] && lx_copy_out(t->proc->mm, t->a[0], &cpu, sizeof cpu))
        return -LX_EFAULT;
    if (t->a[1] && lx_copy_out(t->proc->mm, t->a[1], &node, sizeof node))
        return -LX_EFAULT;
    return 0;
}

LX_SYS(prctl)
{
    struct lx_proc *p = t->proc;
    switch (t->a[0]) {
    case LX_PR_SET_NAME: {
        char name[16] = { 0 };
        int64_t n = lx_copy_str(p->mm, name, t->a[1], sizeof name);
        if (n == -LX_EFAULT)
            return n;
        name[15] = 0;
        memcpy(p->comm, name, sizeof name);
        return 0;
    }
    case LX_PR_GET_NAME:
        return lx_copy_out(p->mm, t->a[1], p->comm, sizeof p->comm);
    case LX_PR_SET_PDEATHSIG:
        return t->a[1] <= LX_NSIG ? 0 : -LX_EINVAL;
    case LX_PR_GET_PDEATHSIG: {
        int32_t zero = 0;
        return lx_copy_out(p->mm, t->a[1], &zero, sizeof zero);
    }
    case LX_PR_GET_DUMPABLE:
        return 1;
    case LX_PR_SET_DUMPABLE:
        return t->a[1] <= 1 ? 0 : -LX_EINVAL;
    default:
        return -LX_EINVAL;
    }
}

LX_SYS(personality) { return t->a[0] == 0xffffffffull || t->a[0] == 0 ? 0 : -LX_EINVAL; }

LX_SYS(umask)
{
    unsigned old = t->proc->fs->umask;
    t->proc->fs->umask = (unsigned)t->a[0] & 0777;
    return old;
}

/* ---- process groups and sessions ---- */

LX_SYS(setpgid)
{
    struct lx_proc *self = t->proc;
    int pid = (int)t->a[0], pgid = (int)t->a[1];
    struct lx_proc *p = pid ? lx_proc_of(pid) : self;
    if (pgid < 0)
        return -LX_EINVAL;
    if (!p || p->state != LX_ALIVE || (p != self && p->parent != self))
        return -LX_ESRCH;
    if (p->sid != self->sid || p->pid == p->sid)
        return -LX_EPERM;
    p->pgid = pgid ? pgid : p->pid;
    return 0;
}

LX_SYS(getpgid)
{
    struct lx_proc *p = t->a[0] ? lx_proc_of((int)t->a[0]) : t->proc;
    return p ? p->pgid : -LX_ESRCH;
}

LX_SYS(getpgrp) { return t->proc->pgid; }

LX_SYS(setsid)
{
    struct lx_proc *p = t->proc;
    if (p->pgid == p->pid)
        return -LX_EPERM;
    p->sid = p->pgid = p->pid;
    return p->sid;
}

LX_SYS(getsid)
{
    struct lx_proc *p = t->a[0] ? lx_proc_of((int)t->a[0]) : t->proc;
    return p ? p->sid : -LX_ESRCH;
}
