/*
 * proc.c — Linux processes and threads (see lx.h): the pid and tid
 * tables, a thread's Aerie thread (created in its process's task, its
 * faults going to our endpoint badged with its tid), and the ends of
 * threads and processes. Each Linux thread is one Aerie thread and each
 * process one task, all made from the container's own quota, so the
 * container's thread and object limits bound them.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "flock.h"
#include "sys.h"

#define BUCKETS  256
#define PID_MAX  4194304

struct lx_proc *lx_init;
static struct lx_thread *tids[BUCKETS];
static struct lx_proc *pids[BUCKETS];
/* Bit b: pids[b] is not empty. The loop walks every process twice per
 * message (timers and alarms: main.c's expire), and a walk of 256
 * buckets for the two or three processes a shell workload has cost
 * microseconds a system call under emulation. */
static uint64_t pids_used[BUCKETS / 64];
static int last_pid = 1;
static uint64_t thread_prio;
static struct lx_thread *graveyard;   /* ended threads, freed between messages */
static struct lx_proc *orphans;       /* ended processes started from outside, freed likewise */

struct lx_thread *lx_thread_of(uint64_t badge)
{
    for (struct lx_thread *t = tids[badge % BUCKETS]; t; t = t->hnext)
        if ((uint64_t)t->tid == badge)
            return t;
    return NULL;
}

struct lx_proc *lx_proc_of(int pid)
{
    if (pid <= 0)
        return NULL;
    for (struct lx_proc *p = pids[(unsigned)pid % BUCKETS]; p; p = p->pnext)
        if (p->pid == pid)
            return p;
    return NULL;
}

int lx_next_pid(void)
{
    for (int tries = 0; tries < PID_MAX; tries++) {
        last_pid = last_pid >= PID_MAX - 1 ? 2 : last_pid + 1;
        if (!lx_thread_of((uint64_t)last_pid) && !lx_proc_of(last_pid))
            return last_pid;
    }
    return -1;
}

void lx_procs_foreach(void (*fn)(struct lx_proc *p, void *arg), void *arg)
{
    /* The bitmap is read afresh at each bucket, so processes fn adds or
     * removes elsewhere are met (or not) exactly as a walk of every
     * bucket would meet them. */
    for (unsigned b = 0; b < BUCKETS; b++) {
        uint64_t rest = pids_used[b / 64] >> (b % 64);
        if (!rest) {
            b |= 63;                         /* none left in this word */
            continue;
        }
        b += (unsigned)__builtin_ctzll(rest);
        for (struct lx_proc *p = pids[b], *n; p; p = n) {
            n = p->pnext;
            fn(p, arg);
        }
    }
}

static void tid_insert(struct lx_thread *t)
{
    t->hnext = tids[(unsigned)t->tid % BUCKETS];
    tids[(unsigned)t->tid % BUCKETS] = t;
}

static void tid_remove(struct lx_thread *t)
{
    struct lx_thread **pp = &tids[(unsigned)t->tid % BUCKETS];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
}

static void pid_insert(struct lx_proc *p)
{
    p->pnext = pids[(unsigned)p->pid % BUCKETS];
    pids[(unsigned)p->pid % BUCKETS] = p;
    pids_used[(unsigned)p->pid % BUCKETS / 64] |= 1ull << ((unsigned)p->pid % 64);
}

static void pid_remove(struct lx_proc *p)
{
    struct lx_proc **pp = &pids[(unsigned)p->pid % BUCKETS];
    while (*pp && *pp != p)
        pp = &(*pp)->pnext;
    if (*pp)
        *pp = p->pnext;
    if (!pids[(unsigned)p->pid % BUCKETS])
        pids_used[(unsigned)p->pid % BUCKETS / 64] &= ~(1ull << ((unsigned)p->pid % 64));
}

/* ---- Aerie threads ---- */

/* The CPU a thread allowed mask (within lx.cpus) goes on: the hint if
 * it is one of them, else mask's CPUs in turn. */
static int pick_cpu(uint64_t mask)
{
    int hint = lx.cpu_hint - 1;
    lx.cpu_hint = 0;
    if (hint >= 0 && hint < 64 && ((mask >> hint) & 1))
        return hint;
    unsigned n = (unsigned)__builtin_popcountll(mask), k = lx.next_cpu++ % n;
    for (int cpu = 0; cpu < 64; cpu++)
        if ((mask >> cpu) & 1 && k-- == 0)
            return cpu;
    return 0;
}

/* A stopped Aerie thread for t in task, faulting to us with t's tid. */
int lx_thread_attach(struct lx_thread *t, uint64_t task)
{
    if (!thread_prio) {
        uint64_t info[4];
        bool ok = ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4) >= 0;
        thread_prio = ok ? info[2] : AERIE_PRIO_DEFAULT;
        /* the first Linux thread (pid 1's) goes on our own CPU, the next
         * ones round from there: pid 1's system calls are then IPCs on one
         * CPU, not a cross-CPU round trip each (twice the cost, and far
         * more when the host is busy and the other CPU's turn comes late) */
        uint64_t mask = lx.cpus ? lx.cpus : 1;
        if (ok && info[1] < 64 && ((mask >> info[1]) & 1))
            lx.next_cpu = (unsigned)__builtin_popcountll(mask & ((1ull << info[1]) - 1));
    }
    uint64_t slot = ae_slot_alloc(), ep = ae_slot_alloc();
    if (!slot || !ep) {
        ae_slot_free(slot);
        ae_slot_free(ep);
        return -LX_EAGAIN;
    }
    int64_t r = lx_quota_create(AERIE_OBJ_THREAD, slot, task);
    if (r < 0) {
        ae_slot_free(slot);
        ae_slot_free(ep);
        return r == AE_ENOMEM ? -LX_ENOMEM : -LX_EAGAIN;
    }
    if ((r = ae_cap_copy(lx.ep, ep, AERIE_R_WRITE, (uint64_t)t->tid)) >= 0)
        r = ae_invokev(slot, AERIE_THREAD_SET_HANDLER, ep);
    ae_cap_delete(ep);
    ae_slot_free(ep);
    if (r >= 0)
        r = ae_invokev(slot, AERIE_THREAD_SET_PRIORITY, thread_prio);
    t->cpu = pick_cpu(lx_thread_cpus(t));
    if (r >= 0)
        r = ae_invokev(slot, AERIE_THREAD_SET_AFFINITY, (uint64_t)t->cpu);
    if (r < 0) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
        return lx_errno((int)r);
    }
    t->slot = slot;
    t->answers_on = false;                 /* a new Aerie thread has no standing answers (exec) */
    return 0;
}

uint64_t lx_thread_cpus(const struct lx_thread *t)
{
    uint64_t all = lx.cpus ? lx.cpus : 1;
    return t->affinity & all ? t->affinity & all : all;
}

int lx_thread_set_cpus(struct lx_thread *t, uint64_t cpus)
{
    uint64_t all = lx.cpus ? lx.cpus : 1;
    if (!(cpus & all))
        return -LX_EINVAL;
    t->affinity = (cpus & all) == all ? 0 : cpus & all;
    if (t->cpu >= 0 && t->cpu < 64 && ((cpus >> t->cpu) & 1))
        return 0;                          /* where it runs is one of them: it stays */
    int cpu = pick_cpu(cpus & all);
    int64_t r = t->slot ? ae_invokev(t->slot, AERIE_THREAD_SET_AFFINITY, (uint64_t)cpu) : 0;
    if (r < 0)
        return lx_errno((int)r);
    t->cpu = cpu;
    return 0;
}

/* Destroys t's Aerie thread (a call it was in ends with it). A saved
 * reply capability holds the thread too: it goes first. */
uint64_t lx_thread_cpu_ns(struct lx_thread *t)
{
    uint64_t info[5];
    if (!t->slot || ae_invoke(t->slot, AERIE_THREAD_INFO, 0, 0, info, 5) < 0)
        return 0;
    return info[4];
}

uint64_t lx_proc_cpu_ns(struct lx_proc *p)
{
    uint64_t ns = p->cpu_ns_gone;
    for (struct lx_thread *t = p->threads; t; t = t->next)
        ns += lx_thread_cpu_ns(t);
    return ns;
}

void lx_thread_detach(struct lx_thread *t)
{
    if (t->saved)
        ae_cap_delete(t->reply);
    if (!t->slot)
        return;
    if (t->proc)
        t->proc->cpu_ns_gone += lx_thread_cpu_ns(t);   /* getrusage and times keep counting it */
    ae_invoke0(t->slot, AERIE_THREAD_DESTROY);
    ae_cap_delete(t->slot);
    ae_slot_free(t->slot);
    t->slot = 0;
    t->in_call = false;
    t->saved = false;
}

static struct lx_thread *thread_alloc(struct lx_proc *p, int tid)
{
    struct lx_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->tid = tid;
    t->proc = p;
    t->reply = ae_slot_alloc();
    t->next = p->threads;
    p->threads = t;
    p->nthreads++;
    tid_insert(t);
    return t;
}

/* exec from a thread other than the first: as Linux's execve, the thread
 * that goes on takes the process's pid as its tid (attack15: gettid
 * there said the old tid). The first thread is gone by then, so the
 * number is free in the table; called before the new Aerie thread is
 * made, whose fault badge is the tid. */
void lx_thread_retid(struct lx_thread *t, int tid)
{
    if (t->tid == tid)
        return;
    tid_remove(t);
    t->tid = tid;
    tid_insert(t);
}

struct lx_thread *lx_thread_new(struct lx_proc *p, int tid, int *err)
{
    if (!tid)
        tid = lx_next_pid();
    struct lx_thread *t = tid > 0 ? thread_alloc(p, tid) : NULL;
    if (!t) {
        *err = -LX_EAGAIN;
        return NULL;
    }
    if ((*err = lx_thread_attach(t, p->mm->task))) {
        lx_thread_free(t);
        return NULL;
    }
    return t;
}

int lx_thread_set_regs(struct lx_thread *t, uint64_t mask, const uint64_t *regs)
{
    return lx_errno((int)ae_thread_set_regs(t->slot, mask, regs));
}

int lx_thread_get_regs(struct lx_thread *t, uint64_t *regs)
{
    return lx_errno((int)ae_invoke(t->slot, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT));
}

int lx_thread_start(struct lx_thread *t)
{
    return lx_errno((int)ae_invoke0(t->slot, AERIE_THREAD_RESUME));
}

/* Takes t out of every table; its memory goes at the next message. */
void lx_thread_free(struct lx_thread *t)
{
    struct lx_proc *p = t->proc;
    lx_unwait(t);
    lx_fifo_abandon(t);
    lx_thread_detach(t);
    tid_remove(t);
    struct lx_thread **pp = &p->threads;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = t->next;
        p->nthreads--;
    }
    t->dead = true;
    t->next = graveyard;
    graveyard = t;
}

void lx_graveyard_empty(void)
{
    while (graveyard) {
        struct lx_thread *t = graveyard;
        if (t->queued)
            return;                          /* the run list still names it */
        graveyard = t->next;
        ae_cap_delete(t->reply);
        ae_slot_free(t->reply);
        free(t);
    }
    /* no thread names them any more: nobody will wait for them either */
    while (orphans) {
        struct lx_proc *p = orphans;
        orphans = p->sibling;
        free(p->cmdline);
        p->cmdline = NULL;
        lx_proc_free(p);
    }
}

/* ---- processes ---- */

static void default_limits(struct lx_proc *p)
{
    for (int i = 0; i < LX_RLIM_NLIMITS; i++)
        p->rlim[i] = (struct lx_rlimit){ LX_RLIM_INFINITY, LX_RLIM_INFINITY };
    p->rlim[LX_RLIMIT_STACK] = (struct lx_rlimit){ LX_STACK_MAX, LX_RLIM_INFINITY };
    p->rlim[LX_RLIMIT_NOFILE] = (struct lx_rlimit){ LX_FD_MAX, LX_FD_MAX };
    p->rlim[LX_RLIMIT_CORE] = (struct lx_rlimit){ 0, LX_RLIM_INFINITY };
}

struct lx_proc *lx_proc_alloc(int pid)
{
    struct lx_proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pid = pid;
    p->exit_signal = LX_SIGCHLD;
    p->start_ns = lx_now_ns();
    default_limits(p);
    pid_insert(p);
    return p;
}

struct lx_proc *lx_proc_first(const char *comm, int *err)
{
    struct lx_proc *p = lx_proc_alloc(1);
    if (!p) {
        *err = -LX_ENOMEM;
        return NULL;
    }
    p->pgid = p->sid = 1;
    p->files = lx_files_new();
    p->fs = lx_fsinfo_new();
    p->sighand = calloc(1, sizeof *p->sighand);
    if (!p->files || !p->fs || !p->sighand || !thread_alloc(p, 1)) {
        *err = -LX_ENOMEM;
        return NULL;
    }
    p->sighand->refs = 1;
    struct lx_file *in = lx_stdin_file(), *out = lx_stdin_tty() ? in : lx_console_file();
    if (in && out == in)
        lx_file_get(in);                 /* a terminal is fds 0, 1 and 2 */
    int r = in && out ? lx_fd_install(p, in, 0, false) : -LX_ENOMEM;
    if (r >= 0) {
        lx_file_get(out);
        r = lx_fd_install(p, out, 1, false);
    }
    if (r >= 0)
        r = lx_fd_install(p, out, 2, false);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    strncpy(p->comm, comm, sizeof p->comm - 1);
    lx_init = p;
    return p;
}

struct lx_proc *lx_proc_outside(int *err)
{
    int pid = lx_next_pid();
    struct lx_proc *p = pid > 0 ? lx_proc_alloc(pid) : NULL;
    if (!p) {
        *err = -LX_EAGAIN;
        return NULL;
    }
    p->pgid = p->sid = pid;
    p->exit_signal = 0;
    p->files = lx_files_new();
    p->fs = lx_fsinfo_new();
    p->sighand = calloc(1, sizeof *p->sighand);
    if (p->sighand)
        p->sighand->refs = 1;
    if (!p->files || !p->fs || !p->sighand || !thread_alloc(p, pid)) {
        *err = -LX_ENOMEM;
        lx_proc_discard(p);
        return NULL;
    }
    return p;
}

/* Children of a dying process go to pid 1, which reaps them. */
static void reparent_children(struct lx_proc *p)
{
    while (p->children) {
        struct lx_proc *c = p->children;
        p->children = c->sibling;
        c->parent = lx_init;
        lx_answers_drop(c);                   /* getppid's standing answer changes */
        c->sibling = lx_init->children;
        lx_init->children = c;
        if (c->state == LX_ZOMBIE)
            lx_wake_all(&lx_init->child_wait);
    }
}

static void release_resources(struct lx_proc *p)
{
    lx_ptimers_drop(p);
    if (p->vfork_parent) {
        lx_wake_thread(p->vfork_parent, LX_WAKE_EVENT);
        p->vfork_parent = NULL;
    }
    lx_mm_put(p->mm);
    p->mm = NULL;
    lx_locks_proc_gone(p->pid);                 /* its POSIX locks (flock.c) */
    lx_files_put(p->files);
    p->files = NULL;
    lx_fsinfo_put(p->fs);
    p->fs = NULL;
    if (p->sighand && !--p->sighand->refs)
        free(p->sighand);
    p->sighand = NULL;
    if (p->exe)
        lx_exe_put(p->exe);
    p->exe = NULL;
}

/* Undoes a process clone did not finish making. */
void lx_proc_discard(struct lx_proc *p)
{
    while (p->threads)
        lx_thread_free(p->threads);
    p->state = LX_ZOMBIE;
    release_resources(p);
    free(p->cmdline);
    p->cmdline = NULL;
    if (p->parent) {
        lx_proc_reap(p);
    } else {
        pid_remove(p);
        free(p);
    }
}

/* A parent that ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT) has its
 * children reaped as they end. */
static bool parent_reaps_nothing(struct lx_proc *parent)
{
    const struct lx_sigaction *a = parent->sighand ? &parent->sighand->act[LX_SIGCHLD] : NULL;
    return a && (a->handler == LX_SIG_IGN || (a->flags & LX_SA_NOCLDWAIT));
}

void lx_proc_exit(struct lx_proc *p, int wstatus)
{
    if (p->state == LX_ZOMBIE)
        return;
    while (p->threads)
        lx_thread_free(p->threads);
    p->state = LX_ZOMBIE;
    p->wstatus = wstatus;
    if (p == lx_init)
        lx_container_end(wstatus, lx.fault_addr, lx.fault_rip);
    release_resources(p);
    reparent_children(p);
    if (lx_pidfd_wq.head)
        lx_wake_all(&lx_pidfd_wq);              /* its pidfds are readable now */
    struct lx_proc *parent = p->parent;
    if (!parent) {
        if (p->exec_seq && p != lx_init) {
            /* started from outside: cm hears of its end, nobody reaps it */
            lx_outside_ended(p);
            pid_remove(p);
            p->sibling = orphans;
            orphans = p;
        }
        return;
    }
    bool autoreap = parent_reaps_nothing(parent);
    if (p->exit_signal && !autoreap) {
        struct lx_siginfo si = { .signo = p->exit_signal };
        si.code = (wstatus & 0x7f) ? LX_CLD_KILLED : LX_CLD_EXITED;
        si.chld.pid = p->pid;
        si.chld.status = (wstatus & 0x7f) ? (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
        lx_signal_send(parent, NULL, p->exit_signal, &si);
    }
    lx_wake_all(&parent->child_wait);
    if (autoreap)
        lx_proc_reap(p);
}

/* Frees a reaped zombie. */
void lx_proc_reap(struct lx_proc *p)
{
    if (p->parent)
        p->parent->children_cpu_ns += lx_proc_cpu_ns(p) + p->children_cpu_ns;
    free(p->cmdline);
    struct lx_proc **pp = &p->parent->children;
    while (*pp && *pp != p)
        pp = &(*pp)->sibling;
    if (*pp)
        *pp = p->sibling;
    pid_remove(p);
    lx_proc_free(p);
}

/* Frees a process out of every table, unless a pidfd still names it
 * (pidfd.c frees it with the last). */
void lx_proc_free(struct lx_proc *p)
{
    if (p->pidfds)
        p->gone = true;
    else
        free(p);
}

void lx_thread_exit(struct lx_thread *t, int status)
{
    struct lx_proc *p = t->proc;
    if (t->clear_tid && p->mm) {
        uint32_t zero = 0;
        if (lx_copy_out(p->mm, t->clear_tid, &zero, sizeof zero) == 0)
            lx_futex_wake(p->mm, t->clear_tid, 1);
    }
    if (p->nthreads == 1) {
        lx_proc_exit(p, (status & 0xff) << 8);
        return;
    }
    lx_thread_free(t);
}
