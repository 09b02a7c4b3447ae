/*
 * lx.h — the Linux personality (docs/LINUX.md): one program that cm loads
 * into a container's task in place of a static Linux program. It loads
 * that program, runs its first process in its own task and every other
 * process in a task of its own, and answers their system calls, which the
 * kernel delivers to it as fault messages (AERIE_FAULT_SYSCALL) on one
 * endpoint, the badge naming the Linux thread.
 *
 * One thread serves everything, so none of this state is locked. A call
 * that must wait (a pipe, a child, a futex, a timer) saves its reply
 * capability and is run again when what it waits for happens; every
 * other call is answered at once.
 *
 * What the personality uses, it holds as the container's own grants
 * (self.*, console, fs, net): a Linux program reaches nothing an Aerie
 * program with the same spec could not.
 */
#ifndef LX_H
#define LX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/proto/linux.h>
#include "lxabi.h"

#define LX_PAGE       4096ull
#define LX_PAGE_DOWN(x) ((x) & ~(LX_PAGE - 1))
#define LX_PAGE_UP(x)   (((x) + LX_PAGE - 1) & ~(LX_PAGE - 1))

/* A Linux address space: [LX_USER_MIN, LX_USER_TOP) (aerie/proto/linux.h).
 * The signal trampoline page sits at the top, the stack below a gap. */
#define LX_TRAMP_ADDR   (LX_USER_TOP - LX_PAGE)
/* The vDSO (vdso_map.c) in the gap above the stack, below the trampoline. */
#define LX_VDSO_MAX     (4 * LX_PAGE)
#define LX_VDSO_ADDR    (LX_TRAMP_ADDR - 2 * LX_PAGE - LX_VDSO_MAX)
#define LX_STACK_TOP    (LX_USER_TOP - 16 * LX_PAGE)
#define LX_STACK_MAX    (8ull << 20)          /* RLIMIT_STACK */
#define LX_MMAP_TOP     (LX_STACK_TOP - LX_STACK_MAX - (1ull << 24))
#define LX_PIE_BASE     0x0000000555554000ull  /* where a static-pie goes */

/* Results of a system-call handler besides values and -errno. */
#define LX_BLOCK   ((int64_t)1 << 62)   /* the thread waits; it is run again when woken */
#define LX_NOREPLY ((int64_t)1 << 61)   /* the thread is gone or was resumed another way */
#define LX_REGS_SET ((int64_t)1 << 60)  /* its registers were set whole: answer without RAX */
/* An interrupted call: restarted if no handler runs (or it has SA_RESTART,
 * for ERESTARTSYS), else it fails with EINTR. */
#define LX_ERESTARTSYS    512
#define LX_ERESTARTNOHAND 514

struct lx_thread;
struct lx_proc;

struct lx_waiter;
struct lx_waitq {
    struct lx_waiter *head;
    uint64_t gen;               /* times woken (lx_wake_all): epoll's edges */
};

/* ---- memory (mm.c) ------------------------------------------------------ */

/* A Memory object the personality holds: pages of one or more chunks, or
 * a program file's pages. */
struct lx_mem {
    uint64_t slot;
    uint64_t bytes;
    unsigned refs;
    uint8_t *map;               /* mapped into the personality (files, shared file pages), or NULL */
    struct lx_shseg *seg;       /* a segment of a shared file mapping's pages (shm.c), or NULL */
};

/* Private anonymous pages: part of a Memory object mapped at [start, end)
 * of one address space. A chunk lies inside one VMA; it is mapped into
 * the process's task with that VMA's protection and into the
 * personality's window read-write. */
struct lx_chunk {
    uint64_t start, end;
    struct lx_mem *mem;
    uint64_t moff;              /* offset of start in mem */
    struct lx_chunk *next;      /* sorted by start */
};

#define LX_VMA_FILE      0x1    /* pages straight from a read-only file Memory (file, file_off) */
#define LX_VMA_SHARED    0x2    /* MAP_SHARED: fork maps the same pages */
#define LX_VMA_STACK     0x4    /* grows down: chunks are placed below the fault */
#define LX_VMA_BRK       0x8
#define LX_VMA_WINDOW    0x10   /* LX_VMA_FILE: in the personality's window too (at the first lx_user) */
#define LX_VMA_SHFILE    0x20   /* with LX_VMA_SHARED: a shared file mapping, its chunks a file's segments (shm.c) */
#define LX_VMA_NOWRITE   0x40   /* LX_VMA_SHFILE of a file not open for writing: mprotect may not add PROT_WRITE */
#define LX_VMA_BUS       0x80   /* whole pages of a private file mapping past the file's end at mmap:
                                 * no pages; a touch is SIGBUS, a system call's use EFAULT (as on Linux) */

struct lx_vma {
    uint64_t start, end;
    unsigned prot;              /* LX_PROT_* */
    unsigned flags;             /* LX_VMA_* */
    struct lx_mem *file;        /* LX_VMA_FILE: its pages from file_off */
    uint64_t file_off;
    struct lx_vma *next;        /* sorted by start */
};

struct lx_mm {
    unsigned refs;              /* processes sharing it (vfork) */
    uint64_t task;              /* the task it is (a capability slot) */
    bool own_task;              /* the personality's own task: never destroyed */
    unsigned window;            /* index of its window in the personality */
    uint64_t mirror;            /* where the personality sees its address 0 */
    struct lx_vma *vmas;
    struct lx_chunk *chunks;
    uint64_t brk_start, brk;
    uint64_t mmap_hint;
    uint64_t anon_bytes;        /* chunk bytes allocated (sizes new chunks) */
};

struct lx_mm *lx_mm_new(bool own_task);
void lx_mm_put(struct lx_mm *mm);
/* An eager copy of mm for fork: private pages copied, shared ones shared. */
struct lx_mm *lx_mm_fork(struct lx_mm *mm, int *err);
/* Maps [start, start+len) with prot; anonymous (file NULL) or from
 * file's pages at off. Replaces what was there. 0 or -errno. */
int lx_mm_map(struct lx_mm *mm, uint64_t start, uint64_t len, unsigned prot, unsigned vflags,
              struct lx_mem *file, uint64_t off);
int lx_mm_unmap(struct lx_mm *mm, uint64_t start, uint64_t len);
int lx_mm_protect(struct lx_mm *mm, uint64_t start, uint64_t len, unsigned prot);
/* A free range of len bytes below the mmap area's top, or 0. */
uint64_t lx_mm_find_free(struct lx_mm *mm, uint64_t len);
/* One chunk for all of [start, end) of an anonymous VMA with none there
 * yet (a program's data and bss at load: one Memory object, not a fault
 * per chunk); ranges over CHUNK_MAX are left to the faults. A split
 * inside makes it two chunks of the one object there (where a later
 * mprotect will cut: RELRO). 0 or -errno. */
int lx_mm_populate(struct lx_mm *mm, uint64_t start, uint64_t end, uint64_t split);
/* mremap's move of a shared anonymous range [old, old+olen) to a free
 * [to, to+nlen) with vflags: the same pages, not copies (fork's sharers
 * keep sharing them); the rest new. 0 or -errno (the old range intact). */
int lx_mm_move_shared(struct lx_mm *mm, uint64_t old, uint64_t olen, uint64_t to, uint64_t nlen, unsigned vflags);
/* The VMA holding addr, or NULL. */
struct lx_vma *lx_mm_vma(struct lx_mm *mm, uint64_t addr);
/* A chunk [start, end) of the VMA there made of mem's pages from moff (a reference of its own). */
int lx_mm_add_chunk(struct lx_mm *mm, uint64_t start, uint64_t end, struct lx_mem *mem, uint64_t moff);
/* A page fault at addr: 0 if handled (pages made present), else a signal
 * code (LX_SEGV_MAPERR / LX_SEGV_ACCERR: SIGSEGV), LX_MM_SIGBUS (a
 * file mapping's page past the file's end: SIGBUS, BUS_ADRERR), or
 * LX_FAULT_NOMEM when the container's memory cannot give the page. */
#define LX_MM_SIGBUS 0x100
#define LX_FAULT_NOMEM (-1)
int lx_mm_fault(struct lx_mm *mm, uint64_t addr, bool write, bool exec);
/* Makes [addr, addr+len) present with access (LX_PROT_*) allowed and
 * returns the personality's pointer to it, or NULL (EFAULT). */
void *lx_user(struct lx_mm *mm, uint64_t addr, uint64_t len, unsigned access);
int lx_copy_in(struct lx_mm *mm, void *dst, uint64_t addr, uint64_t len);
int lx_copy_out(struct lx_mm *mm, uint64_t addr, const void *src, uint64_t len);
/* Copies the NUL-terminated string at addr into dst[cap]: its length, or
 * -LX_EFAULT / -LX_ENAMETOOLONG. */
int64_t lx_copy_str(struct lx_mm *mm, char *dst, uint64_t addr, uint64_t cap);

struct lx_mem *lx_mem_new(uint64_t bytes, int *err);
struct lx_mem *lx_mem_adopt(uint64_t slot, uint64_t bytes);
void lx_mem_get(struct lx_mem *m);
void lx_mem_put(struct lx_mem *m);
/* Maps m read-only into the personality (once); NULL on failure. */
const uint8_t *lx_mem_view(struct lx_mem *m);

/* ---- programs (exec.c) --------------------------------------------------- */

/* An executable's file, kept while a process runs it (/proc/self/exe). */
struct lx_exe {
    unsigned refs;
    struct lx_mem *mem;         /* the whole file, read-only */
    uint64_t size;
    uint64_t ino;               /* its identity in the fs (0: the image's program) */
    uint64_t dev;
    struct lx_timespec mtime, ctime;   /* as stat saw them when it was read */
    char path[256];
};
void lx_exe_put(struct lx_exe *e);
/* Drops the programs' cache's files nothing else holds (no process maps
 * or runs them): true if that freed memory. The cache is the container's
 * memory too, so an allocation that fails tries again after this. */
bool lx_exe_cache_trim(void);
/* ae_task_map and ae_quota_create (of lx.quota) made again after
 * lx_exe_cache_trim when refused for room (mm.c). */
int64_t lx_task_map(uint64_t task, uint64_t mem, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags);
int64_t lx_quota_create(uint64_t type, uint64_t slot, uint64_t a0);
/* The image's program, from the LX_GRANT_EXE grant. */
struct lx_exe *lx_exe_image(uint64_t slot, const char *path);
/* Replaces p's program: loads e into a new address space, builds the
 * start block, and points t at the entry. 0 or -errno (p unchanged). */
int lx_exec_image(struct lx_thread *t, struct lx_exe *e, char *const *argv, unsigned argc,
                  char *const *envp, unsigned envc);
int64_t lx_execve(struct lx_thread *t, uint64_t path, uint64_t argv, uint64_t envp,
                  int dirfd, int flags);
/* The program interpreter at path (a dynamically linked program's
 * PT_INTERP), read from the container's own files as execve reads a
 * program (sys_proc.c): 0 and *out, or -errno (ELIBBAD for a script). */
int lx_interp_find(struct lx_thread *t, const char *path, struct lx_exe **out);
/* An fs file of at most max bytes read whole, from the programs' cache or
 * into it (its pages for read-only private mappings of len bytes; only
 * from the cache when len is under half of a file over 1 MiB): 0 or -errno. */
struct lx_file;
int lx_file_pages(struct lx_file *f, uint64_t max, uint64_t len, struct lx_exe **out);

/* ---- processes and threads (proc.c) -------------------------------------- */

struct lx_sighand {
    unsigned refs;
    struct lx_sigaction act[LX_NSIG + 1];
};

struct lx_thread {
    int tid;
    struct lx_proc *proc;
    uint64_t slot;              /* its Aerie thread */
    uint64_t reply;             /* slot for its saved reply capability */
    bool saved;                 /* reply saved: answer through `reply` */
    bool in_call;               /* in a system call we have not answered */
    bool lost;                  /* our answer found it no longer waiting: a SUSPEND (aerie fork)
                                 * took the call back, and the kernel makes it again */
    uint64_t lost_mr[4];        /* that answer, given to the repeat (main.c: on_message) */
    bool dead;
    uint64_t nr, a[6], rip, rsp;  /* the call it is in */
    uint64_t progress;          /* what a blocked call did so far */
    uint32_t mmsg_done;         /* recvmmsg: the messages a waiting call has got */
    uint64_t mmsg_end;          /* recvmmsg: when its timeout ends (ns, 0: none yet) */
    uint64_t fs_base;
    uint64_t sigmask;
    uint64_t sig_pending;
    struct lx_siginfo sig_info[LX_NSIG + 1];
    struct lx_stack altstack;
    uint64_t clear_tid, robust_list;
    /* waiting */
    struct lx_waiter *waits;
    uint64_t deadline;          /* 0: none */
    int wake;                   /* LX_WAKE_* why it was run again */
    bool queued;                /* on the run-again list */
    struct lx_thread *run_next;
    bool sigsuspended;          /* in rt_sigsuspend: mask to restore */
    uint64_t saved_mask;
    /* a sigreturn in two steps (registers after the FPU state) */
    uint64_t restore_regs[19];
    bool restore_pending;
    struct lx_thread *next;     /* in its process */
    struct lx_thread *hnext;    /* in the tid table */
    int cpu;
    uint64_t affinity;          /* sched_setaffinity's CPUs, within lx.cpus; 0: all of lx.cpus */
    bool answers_on;            /* the kernel answers getpid & co. for it (sys_misc.c) */
    struct lx_file *fifo_wait;  /* a FIFO open waiting for its partner: its end (pipe.c) */
    unsigned fifo_gen;          /* the partner's open count it waits to see move */
};

#define LX_WAKE_EVENT   1   /* why a blocked call runs again (t->wake) */
#define LX_WAKE_TIMEOUT 2
#define LX_WAKE_SIGNAL  3

enum { LX_ALIVE, LX_ZOMBIE };

struct lx_files;
struct lx_fsinfo;

struct lx_proc {
    int pid, pgid, sid;
    int state;
    struct lx_proc *parent, *children, *sibling;
    struct lx_thread *threads;
    unsigned nthreads;
    struct lx_mm *mm;
    struct lx_files *files;
    struct lx_fsinfo *fs;
    struct lx_sighand *sighand;
    uint64_t sig_pending;       /* process-directed */
    struct lx_siginfo sig_info[LX_NSIG + 1];
    struct lx_exe *exe;
    char comm[16];
    int exit_signal;            /* to the parent when it ends */
    int wstatus;                /* wait status once a zombie */
    struct lx_thread *vfork_parent;
    uint64_t alarm_at, alarm_interval;   /* ITIMER_REAL, ns (0: off) */
    struct lx_ptimer *ptimers;  /* its POSIX timers (ptimer.c) */
    unsigned nptimers;
    unsigned pidfds;            /* pidfds naming it (pidfd.c): freed with the last */
    bool gone;                  /* reaped: out of every table, kept for its pidfds */
    bool membarrier;            /* registered for MEMBARRIER_CMD_PRIVATE_EXPEDITED */
    struct lx_rlimit rlim[LX_RLIM_NLIMITS];
    uint64_t start_ns;
    uint64_t cpu_ns_gone;       /* CPU time of its threads already destroyed */
    uint64_t children_cpu_ns;   /* of its reaped children (and theirs) */
    char *cmdline;              /* argv, NUL-separated (/proc/PID/cmdline) */
    size_t cmdline_len;
    struct lx_waitq child_wait; /* threads in wait4/waitid for its children */
    struct lx_proc *pnext;      /* in the pid table */
    uint64_t exec_seq;          /* started from outside (`aerie exec`): cm's number for it; no parent */
    struct lx_file *exec_in;    /* its fd 0's pipe's write end (`aerie exec -i`), or NULL */
    struct lx_tty *exec_tty;    /* its terminal (`aerie exec -t`) its input goes to, or NULL */
};

extern struct lx_proc *lx_init;   /* pid 1: the container ends with it */

struct lx_thread *lx_thread_of(uint64_t badge);
void lx_proc_free(struct lx_proc *p);
/* pidfds (pidfd.c): the process one names (NULL: not a pidfd); woken when any process ends */
struct lx_proc *lx_pidfd_proc(struct lx_file *f);
extern struct lx_waitq lx_pidfd_wq;
struct lx_proc *lx_proc_of(int pid);
/* A new thread of p (tid, or a new one if 0) with a stopped Aerie thread
 * in p's task; registers set by the caller. */
struct lx_thread *lx_thread_new(struct lx_proc *p, int tid, int *err);
/* Gives t a new stopped Aerie thread in task (its old one, if any, is the
 * caller's to detach); detach destroys it. */
int lx_thread_attach(struct lx_thread *t, uint64_t task);
void lx_thread_detach(struct lx_thread *t);
/* exec from another thread than the first: t takes the pid as its tid */
void lx_thread_retid(struct lx_thread *t, int tid);
/* Takes t out of the tables (its Aerie thread destroyed); freed later. */
void lx_thread_free(struct lx_thread *t);
void lx_graveyard_empty(void);
struct lx_proc *lx_proc_alloc(int pid);
void lx_proc_reap(struct lx_proc *p);
/* CPU time (ns) the kernel counted for t's Aerie thread; for all of p's
 * threads, live and gone. The personality's work for them is not in it. */
uint64_t lx_thread_cpu_ns(struct lx_thread *t);
uint64_t lx_proc_cpu_ns(struct lx_proc *p);
/* The CPUs t may run on (sched_getaffinity), and setting them: the
 * container's CPUs among cpus (none of them: -LX_EINVAL), t moved to one
 * of them if it is not on one (kernel SET_AFFINITY: the kernel refuses a
 * CPU outside the container's quota anyway, kernel/quota.h "CPUs"). */
uint64_t lx_thread_cpus(const struct lx_thread *t);
int lx_thread_set_cpus(struct lx_thread *t, uint64_t cpus);
/* ns of CPU time as a struct rusage (sys_misc.c). */
void lx_rusage_of(uint64_t ns, struct lx_rusage *ru);
/* Makes the absolute directory abs t's process's working directory. */
int64_t lx_set_cwd(struct lx_thread *t, const char *abs);
void lx_proc_discard(struct lx_proc *p);
/* Sets regs (mask of AERIE_REG_*) of t while it is stopped. */
int lx_thread_set_regs(struct lx_thread *t, uint64_t mask, const uint64_t *regs);
int lx_thread_get_regs(struct lx_thread *t, uint64_t *regs);
int lx_thread_start(struct lx_thread *t);
/* Ends t (its Aerie thread destroyed); the last one ends the process. */
void lx_thread_exit(struct lx_thread *t, int status);
/* Ends every thread of p with a wait status (exit code << 8, or signal). */
void lx_proc_exit(struct lx_proc *p, int wstatus);
struct lx_proc *lx_proc_first(const char *comm, int *err);
/* A process with no parent in the container (`aerie exec`: outside.c):
 * its own session, one thread with no Aerie thread yet (exec makes it),
 * no files. Once it ends it is freed between messages. */
struct lx_proc *lx_proc_outside(int *err);
/* outside.c: cm's requests (LX_EXEC_LABEL, LX_EXEC_INPUT_LABEL) and the
 * end of a process they started. */
void lx_outside_request(uint64_t label, const uint64_t *w, unsigned nwords);
void lx_outside_ended(struct lx_proc *p);
/* exec of path with strings of ours (sys_proc.c): LX_NOREPLY once the
 * program is loaded (its thread runs), or -errno. */
int64_t lx_exec_path(struct lx_thread *t, const char *path, char *const *argv, unsigned argc,
                     char *const *envp, unsigned envc);
void lx_procs_foreach(void (*fn)(struct lx_proc *p, void *arg), void *arg);
int lx_next_pid(void);

/* ---- waiting (main.c) ---------------------------------------------------- */

/* t waits on q (one of possibly several); the handler then returns LX_BLOCK. */
int lx_wait_on(struct lx_thread *t, struct lx_waitq *q);
/* t waits until deadline (ns, monotonic) as well, or only for it. */
void lx_wait_until(struct lx_thread *t, uint64_t deadline);
/* Runs every thread waiting on q again. */
void lx_wake_all(struct lx_waitq *q);
/* The waiter t->waits is now (a mark for lx_waits_gen). */
struct lx_waiter *lx_waits_mark(struct lx_thread *t);
/* The sum of the wake counts of the queues t began to wait on after mark. */
uint64_t lx_waits_gen(struct lx_thread *t, struct lx_waiter *mark);
void lx_wake_thread(struct lx_thread *t, int why);
/* Drops t's waits (it is woken, or dying). */
void lx_unwait(struct lx_thread *t);
/* Signal-driven I/O (fasync.c) waits on a file's queues as a thread
 * would: while redirected, what lx_wait_on(t, q) is asked for the probe
 * thread t (a file's poll op) is a waiter of the watch fa, on its list
 * *list, and a wake of that queue calls lx_fasync_fire(fa) instead of
 * running a thread (t NULL: redirect nothing). lx_waits_free drops such
 * a list from every queue. */
struct lx_fasync;
void lx_waits_redirect(struct lx_thread *t, struct lx_fasync *fa, struct lx_waiter **list);
void lx_waits_free(struct lx_waiter **list);

/* Answers t's call (result in rax), delivering pending signals first. */
void lx_complete(struct lx_thread *t, int64_t result);
uint64_t lx_now_ns(void);
/* POSIX timers (ptimer.c): the due ones fired, ns to the next; a process's all deleted. */
uint64_t lx_ptimers_expire(void);
void lx_ptimers_drop(struct lx_proc *p);
uint64_t lx_realtime_ns(void);

/* A timeout of sec seconds and nsec ns (both checked >= 0 by the caller,
 * nsec below 1e9) in ns; past 100 years ~0, "never", as Linux clamps to
 * KTIME_MAX. Without the bound sec * 1e9 wraps: nanosleep({INT64_MAX, 0})
 * (coreutils' `sleep infinity`) came to a deadline 1 s in the past and
 * returned at once (attack20; attack18 found it in recvmmsg alone). */
#define LX_FOREVER_SEC (100ull * 365 * 24 * 3600)
static inline uint64_t lx_timeout_ns(uint64_t sec, uint64_t nsec)
{
    return sec > LX_FOREVER_SEC ? ~0ull : sec * 1000000000ull + nsec;
}
/* now + ns as a deadline: ~0 (never) when it would pass ~0. */
static inline uint64_t lx_after(uint64_t now, uint64_t ns)
{
    return ns >= ~0ull - now ? ~0ull : now + ns;
}

/* ---- signals (signal.c) -------------------------------------------------- */

int lx_signal_send(struct lx_proc *p, struct lx_thread *t, int sig, const struct lx_siginfo *info);
/* Signals to deliver now: builds t's frame and sets its registers; true
 * when t now runs a handler (or was ended by a default action). */
bool lx_signal_deliver(struct lx_thread *t, int64_t *result);
/* A fault of a Linux thread as a signal (SIGSEGV, SIGILL, ...). */
void lx_signal_fault(struct lx_thread *t, int sig, int code, uint64_t addr);
bool lx_signal_pending(struct lx_thread *t);
/* Standing answers (sys_misc.c): the identity calls, answered by the
 * kernel while nothing here would answer them differently. Armed at such
 * a call when no signal waits; dropped before a signal is made pending
 * or the parent changes, so the next call comes here again. */
void lx_answers_arm(struct lx_thread *t);
void lx_answers_drop(struct lx_proc *p);
/* A signal from outside the container (cm's CM_SIGNAL): SIGINT to pid 1's
 * process group, as a terminal's Ctrl-C; any other to pid 1. */
void lx_signal_from_outside(int sig);
int64_t lx_sys_restore(struct lx_thread *t);
/* ITIMER_REAL and alarm: sends what is due; ns to the next one (~0: none). */
uint64_t lx_alarms_expire(void);
/* Memory holding the trampoline code, mapped into every process. */
struct lx_mem *lx_trampoline(void);
/* Memory holding the vDSO, mapped into every process at LX_VDSO_ADDR
 * (vdso_map.c); NULL if it could not be made (no AT_SYSINFO_EHDR then). */
struct lx_mem *lx_vdso(void);
const char *lx_signal_name(int sig);

/* ---- files (fd.c) -------------------------------------------------------- */

struct lx_file;
struct lx_epitem;
struct lx_file_ops {
    const char *kind;
    /* buf is the personality's view of the program's buffer. off: a file
     * offset, or -1 for the file's position (advanced). May return LX_BLOCK. */
    int64_t (*read)(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off);
    int64_t (*write)(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off);
    int (*stat)(struct lx_file *f, struct lx_stat *st);
    int64_t (*seek)(struct lx_file *f, int64_t off, int whence);
    /* ready events (LX_POLL*) now; registers t on the file's queue if t != NULL */
    unsigned (*poll)(struct lx_file *f, struct lx_thread *t);
    int64_t (*ioctl)(struct lx_thread *t, struct lx_file *f, uint64_t req, uint64_t arg);
    int64_t (*getdents)(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n);
    int (*truncate)(struct lx_file *f, uint64_t size);
    void (*release)(struct lx_file *f);
    bool fasync;                /* O_ASYNC works (sockets, pipes): poll registers only on queues */
};

#define LX_FILE_DIR (1u << 31)  /* in lx_file.flags: a directory (dirfd, fchdir) */
#define LX_PATH_MAX 4096

struct lx_file {
    unsigned refs;
    const struct lx_file_ops *ops;
    unsigned flags;             /* LX_O_* status and access mode */
    uint64_t pos;
    void *obj;
    struct lx_epitem *epitems;  /* the epoll items watching it (epoll.c) */
    struct lx_fasync *fasync;   /* O_ASYNC: its watch (fasync.c), or NULL */
    int owner;                  /* F_SETOWN: a pid, or a tid / pgid per owner_type (0: none) */
    int owner_type;             /* LX_F_OWNER_* */
    int sigio;                  /* F_SETSIG: the signal sent (0: SIGIO without details) */
    char path[256];             /* what it was opened as ("" if none) */
};

struct lx_fd {
    struct lx_file *file;
    bool cloexec;
};

#define LX_FD_MAX 1024

struct lx_files {
    unsigned refs;
    unsigned n;                 /* slots in fds */
    struct lx_fd *fds;
};

struct lx_file *lx_file_new(const struct lx_file_ops *ops, unsigned flags, void *obj);
void lx_file_get(struct lx_file *f);
void lx_file_put(struct lx_file *f);
struct lx_files *lx_files_new(void);
struct lx_files *lx_files_copy(struct lx_files *fs);
void lx_files_put(struct lx_files *fs);
void lx_files_cloexec(struct lx_files *fs);
/* The file at fd, or NULL. */
struct lx_file *lx_fd_get(struct lx_proc *p, int fd);
/* fd's file for a call that works on the file itself (its bytes, size,
 * mode, offset, mappings, locks, readiness): NULL for an O_PATH
 * descriptor too, which such calls answer EBADF, as Linux's fdget does
 * (attack21: mmap, sendfile, splice, fchmod... took them). fstat,
 * fstatfs, fchdir, dup, close, fcntl's F_GETFD/F_SETFD/F_GETFL and use as
 * a dirfd take lx_fd_get's. */
static inline struct lx_file *lx_fd_io(struct lx_proc *p, int fd)
{
    struct lx_file *f = lx_fd_get(p, fd);
    return f && !(f->flags & LX_O_PATH) ? f : NULL;
}
/* Installs f (taking its reference) at the lowest fd >= min: the fd or -errno. */
int lx_fd_install(struct lx_proc *p, struct lx_file *f, int min, bool cloexec);
int lx_fd_close(struct lx_proc *p, int fd);
/* stat of an open file (defaults filled in first). */
int lx_file_stat(struct lx_file *f, struct lx_stat *st);

/* ---- poll and epoll (poll.c, epoll.c) ---- */

/* A file's ready events (LX_POLL*), t registered on its queues if not NULL. */
unsigned lx_poll_file(struct lx_file *f, struct lx_thread *t);
/* A waiting call's deadline from its timeout in ns (~0: none), kept in
 * t->progress across its runs (1: do not wait). */
uint64_t lx_poll_deadline(struct lx_thread *t, uint64_t timeout_ns);
/* ready > 0: that; else waits until deadline (LX_BLOCK), or says why not. */
int64_t lx_poll_result(struct lx_thread *t, int64_t ready, uint64_t deadline);
/* A timespec timeout at addr (0: none, ~0) in ns: 0 or -errno. */
int64_t lx_poll_ts(struct lx_thread *t, uint64_t addr, uint64_t *ns);
/* Runs call with the signal mask at mask_addr (0: unchanged) for its duration. */
int64_t lx_poll_with_mask(struct lx_thread *t, uint64_t mask_addr, int64_t (*call)(struct lx_thread *, uint64_t),
                          uint64_t timeout);
/* f is going away: the epoll items that watch it go first. */
void lx_epoll_forget(struct lx_file *f);

/* ---- signal-driven I/O (fasync.c) ---- */

/* O_ASYNC on or off for f (as fd, si_fd of F_SETSIG's signals): 0, or
 * -ENOTTY for a file without it (fcntl then keeps the flag alone, as
 * Linux does), -ENOMEM. */
int lx_fasync_set(struct lx_file *f, int fd, bool on);
void lx_fasync_forget(struct lx_file *f);
/* One of fa's queues was woken: it leaves them all and is looked at by lx_fasync_run. */
void lx_fasync_fire(struct lx_fasync *fa);
/* The loop's pass: each fired file is polled again (and watched again)
 * and its owner signalled for what it can do now. */
void lx_fasync_run(void);
/* Watches fired during the last run's own polls: the loop passes again before it waits. */
bool lx_fasync_due(void);
/* F_SETOWN(_EX) / F_GETOWN(_EX). */
int64_t lx_fasync_setown(struct lx_file *f, int type, int id);

/* ---- eventfd, timerfd, signalfd, memfd (eventfd.c, sigfd.c, memfd.c) ---- */

/* Armed timerfds that are due: their readers woken; ns to the next (~0: none). */
uint64_t lx_timerfds_expire(void);
/* Woken whenever a signal is made pending: signalfd readers and pollers wait here. */
extern struct lx_waitq lx_sigfd_wq;
/* f is a memfd: MAP_SHARED of its [off, off + len) at addr. */
bool lx_memfd_file(struct lx_file *f);
int64_t lx_memfd_seals(struct lx_file *f, bool add, uint64_t seals);
int64_t lx_memfd_map(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, struct lx_file *f,
                     uint64_t off);

/* ---- paths and files by name (file.c, procfs.c) ---- */

/* The program's path argument at addr made absolute against dirfd (or
 * the working directory) into out[LX_PATH_MAX]. */
int64_t lx_path_at(struct lx_thread *t, int dirfd, uint64_t addr, char *out, bool empty_ok);
void lx_path_normalize(const char *in, char *out, size_t cap);
/* Opens an absolute path: the fs session, /dev or /proc. */
int64_t lx_open_abs(struct lx_thread *t, const char *abs, unsigned flags, unsigned mode, struct lx_file **out);
/* f's fs handle and node, if f is a file of the fs session. */
bool lx_fs_node(struct lx_file *f, uint64_t *handle, uint64_t *ino);

/* ---- shared file mappings (shm.c) ---- */

struct lx_shseg;
/* MAP_SHARED of f's [off, off + len) at addr: the node's shared pages. */
int64_t lx_shm_map(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, struct lx_file *f, uint64_t off);
/* The last reference to a segment's Memory is going: write it back, forget it. */
void lx_shm_gone(struct lx_mem *m);
int lx_shm_msync(struct lx_mm *mm, uint64_t addr, uint64_t len);
int lx_shm_sync_node(uint64_t ino);
bool lx_shm_any(void);          /* any file mapped shared at all */
/* read(), write() and ftruncate() of a node kept coherent with its pages */
void lx_shm_overlay(uint64_t ino, uint64_t pos, void *buf, uint64_t n);
void lx_shm_wrote(uint64_t ino, uint64_t pos, const void *buf, uint64_t n);
void lx_shm_truncated(uint64_t ino, uint64_t size);
int lx_stat_path(const char *abs, struct lx_stat *st, bool follow);
int lx_dir_stat(struct lx_stat *st, uint64_t ino);
bool lx_dirent_put(uint8_t *buf, uint64_t cap, uint64_t *at, uint64_t ino, int64_t off, uint8_t type,
                   const char *name, size_t len);
int lx_proc_open(struct lx_thread *t, const char *norm, unsigned flags, struct lx_file **out);
struct lx_dirent_name {
    uint8_t type;               /* LX_DT_* */
    const char *name;
};
/* A directory of fixed names; fstat says a directory numbered ino, as stat of its path does. */
int lx_listing_open(const char *path, uint64_t ino, const struct lx_dirent_name *names, unsigned n,
                    unsigned flags, struct lx_file **out);
int lx_proc_stat(const char *norm, struct lx_stat *st);
int64_t lx_proc_readlink(struct lx_thread *t, const char *norm, char *out, size_t cap);
/* A read-only file over a program's bytes (/proc/PID/exe). */
int lx_exe_open(struct lx_exe *e, struct lx_file **out);
int64_t lx_socketpair(struct lx_thread *t, unsigned type, uint64_t fds_addr);
/* a and b as fds, their numbers written to fds_addr (a file put on failure; NULL: ENOMEM) */
int64_t lx_install_pair(struct lx_thread *t, struct lx_file *a, struct lx_file *b, uint64_t fds_addr, bool cloexec);
/* Connected AF_UNIX stream ends are socketpair's (pipe.c); see unix.c. */
struct lx_file *lx_pipe_socket_connect(struct lx_file *f);
bool lx_pipe_is_socket(struct lx_file *f);
/* A pipe whose write end the personality feeds (outside.c); feed takes
 * what the ring has room for, waiting for nothing. */
int lx_pipe_pair(struct lx_file **rd, struct lx_file **wr);
uint64_t lx_pipe_feed(struct lx_file *wr, const void *buf, uint64_t n);
int64_t lx_pipe_shutdown(struct lx_file *f, int how);
/* Named FIFOs (pipe.c, docs/LINUX.md "FIFOs"): open of an fs FIFO node
 * (key: its device and inode) whose fs handle is `handle` (the file takes
 * it; on an error it is closed): 0 with *out, an error, or LX_BLOCK (the
 * open waits for its partner: t->fifo_wait holds the end, and the call
 * run again goes on with lx_fifo_resume). */
#define LX_FIFO_MAX 128         /* FIFO pipes a container holds at once (ENFILE past it) */
int64_t lx_fifo_open(struct lx_thread *t, uint64_t key, uint64_t handle, unsigned flags, const char *norm,
                     struct lx_file **out);
int64_t lx_fifo_resume(struct lx_thread *t, struct lx_file **out);
/* t's call is dropped or t ends: the end its open waited with goes. */
void lx_fifo_abandon(struct lx_thread *t);
/* file.c: an fs handle's stat as Linux's; its close, queued. */
int lx_fs_handle_stat(uint64_t handle, struct lx_stat *st);
void lx_fs_handle_close(uint64_t handle);

/* ---- AF_UNIX sockets (unix.c): net.c's calls hand them over ---- */

/* Control messages (scm.c): the files one message carries. */
#define LX_SCM_INFLIGHT_MAX 4096                 /* fds in flight in the container */
struct lx_scm {
    struct lx_scm *next;
    uint64_t at;                /* a stream's: the pipe's byte count where the message starts */
    unsigned n;
    struct lx_file *files[];
};
/* The sendmsg being served: its record, taken (set NULL) by whoever queues it. */
extern struct lx_scm *lx_scm_send;
/* The recvmsg being served: where a record read with the data goes
 * (NULL: nobody wants it, and its files are closed, as read(2) does). */
extern struct lx_scm **lx_scm_slot;
int64_t lx_scm_parse(struct lx_thread *t, const struct lx_msghdr *m, struct lx_scm **out);
int64_t lx_scm_deliver(struct lx_thread *t, const struct lx_msghdr *m, struct lx_scm *s, unsigned fl,
                       uint64_t *used, int32_t *mflags);
struct lx_scm *lx_scm_clone(const struct lx_scm *s);
void lx_scm_free(struct lx_scm *s);
unsigned lx_scm_inflight(void);
/* Hands record s to whoever the recvmsg being served is (or frees it). */
static inline void lx_scm_take(struct lx_scm *s)
{
    if (lx_scm_slot && !*lx_scm_slot)
        *lx_scm_slot = s;
    else
        lx_scm_free(s);
}

bool lx_unix_file(struct lx_file *f);
int64_t lx_unix_socket(struct lx_thread *t, unsigned type);
/* Two unnamed datagram sockets, each the other's destination (socketpair); NULLs on ENOMEM. */
void lx_unix_dgram_pair(unsigned type, struct lx_file **a, struct lx_file **b);
int64_t lx_unix_bind(struct lx_thread *t, struct lx_file *f);
const char *lx_hostname(void);
bool lx_unix_paths_bound(void);
int lx_unix_path_stat(const char *abs, struct lx_stat *st);
int lx_unix_path_chmod(const char *abs, unsigned mode);
int lx_unix_path_unlink(const char *abs);
int64_t lx_unix_listen(struct lx_thread *t, struct lx_file *f);
int64_t lx_unix_connect(struct lx_thread *t, struct lx_file *f);
int64_t lx_unix_accept(struct lx_thread *t, struct lx_file *f, unsigned flags);
int64_t lx_unix_sendto(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, unsigned fl,
                       uint64_t addr, uint64_t alen);
int64_t lx_unix_recvfrom(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, unsigned fl, uint64_t addr,
                         uint64_t alenp, int32_t *mflags);
/* getsockname (peer false) / getpeername of an AF_UNIX socket or a connected end. */
int64_t lx_unix_getname(struct lx_thread *t, struct lx_file *f, bool peer);
int64_t lx_unix_shutdown(struct lx_thread *t, struct lx_file *f);
int64_t lx_unix_sockopt(struct lx_thread *t, struct lx_file *f, bool set);

/* The console stream (stdout/stderr) and the empty stdin. */
struct lx_file *lx_console_file(void);
/* stdin.c: fd 0 of pid 1, the container's input (aerie run -i) */
struct lx_file *lx_stdin_file(void);
void lx_stdin_poke(void);              /* input came: wake its readers */
bool lx_stdin_waiting(void);           /* a reader waits: the loop looks now and then */
void lx_stdin_set_tty(unsigned rows, unsigned cols);   /* tty=: fd 0-2 of pid 1 are a terminal */
bool lx_stdin_tty(void);
void lx_stdin_pump(void);              /* the terminal has room: input from the ring into it */
#define LX_STDIN_BADGE (1ull << 47)    /* the stdin helper's pokes on our endpoint */
#define LX_STDIN_POLL_NS 100000000ull  /* the loop's look while readers wait (a lost wakeup's bound) */
/* /dev/null, /dev/zero, /dev/urandom (/dev/random), /dev/full: -LX_ENOENT
 * for any other path. */
int lx_dev_open(const char *path, unsigned flags, struct lx_file **out);
int lx_dev_stat(const char *path, struct lx_stat *st);

/* tty.c: terminals (spec tty=, `aerie exec -t`) */
struct lx_tty;
/* A terminal of rows x cols controlling session sid (its foreground group sid). */
struct lx_tty *lx_tty_new(int sid, unsigned rows, unsigned cols);
void lx_tty_put(struct lx_tty *y);
struct lx_file *lx_tty_file(struct lx_tty *y, unsigned flags);
/* Input through the line discipline: the bytes taken (it stops when full). */
uint64_t lx_tty_feed(struct lx_tty *y, const void *buf, uint64_t n);
bool lx_tty_room(const struct lx_tty *y);
void lx_tty_hangup(struct lx_tty *y);  /* its input ended */
/* /dev/tty (t's controlling terminal) and /dev/pts/N: -LX_ENOENT for other paths. */
int lx_tty_open(struct lx_thread *t, const char *path, unsigned flags, struct lx_file **out);
bool lx_tty_any(void);

/* A process's working directory and umask (shared with CLONE_FS). */
struct lx_fsinfo {
    unsigned refs;
    unsigned umask;
    char cwd[4096];
};
struct lx_fsinfo *lx_fsinfo_new(void);
struct lx_fsinfo *lx_fsinfo_copy(struct lx_fsinfo *fs);
void lx_fsinfo_put(struct lx_fsinfo *fs);

/* ---- sockets (net.c) ---------------------------------------------------- */

/* The badge of the net helper's pokes on our endpoint (no tid is this big). */
#define LX_NET_BADGE (1ull << 48)
/* The net service signalled us: drain the RX ring, wake who waits on sockets. */
void lx_net_poke(void);
/* While a thread waits on a socket the loop also looks every
 * LX_NET_POLL_NS itself, in case a wakeup is lost (lx_net_check). */
#define LX_NET_POLL_NS 20000000ull
bool lx_net_waiting(void);
void lx_net_check(void);

/* ---- futexes (futex.c) --------------------------------------------------- */

int lx_futex_wake(struct lx_mm *mm, uint64_t addr, int n);

/* The first waiter of q (NULL if none) and moving waiters between queues. */
struct lx_thread *lx_waitq_first(struct lx_waitq *q);
struct lx_thread *lx_waitq_next(struct lx_waitq *q, struct lx_thread *after);
int lx_waitq_move(struct lx_waitq *from, struct lx_waitq *to, int max);

/* ---- the system-call table (systab.c) ------------------------------------ */

typedef int64_t (*lx_sysfn)(struct lx_thread *t);
struct lx_syscall {
    const char *name;
    lx_sysfn fn;
};
#define LX_NR_MAX 463
extern const struct lx_syscall lx_systab[LX_NR_MAX];
/* Logs "linux: unsupported system call N (name)" once per number. */
int64_t lx_unsupported(struct lx_thread *t);
/* -ENOSYS without the log line: calls C libraries probe for and do without. */
int64_t lx_quiet_enosys(struct lx_thread *t);

/* Every handler, by the Linux call's name. */
#define LX_SYS(name) int64_t lx_sys_##name(struct lx_thread *t)

/* ---- the personality itself (main.c) ------------------------------------- */

struct lx_state {
    uint64_t ep;                /* faults of every Linux thread arrive here */
    uint64_t quota, task;       /* the container's own (self.*) */
    uint64_t fault;             /* self.fault: cm, for the signal report */
    uint64_t cpus;              /* mask of CPUs Linux threads may use */
    unsigned next_cpu;
    int cpu_hint;               /* > 0: the next thread attached goes on CPU cpu_hint - 1 */
    struct lx_mem *tramp;
    struct lx_mem *vdso;        /* NULL: processes run without a vDSO */
    uint64_t fault_addr, fault_rip;   /* of the fault that killed pid 1, for cm */
    bool own_task_used;               /* the first program runs in our own task */
    uint64_t start_realtime;          /* file times until the fs keeps them */
};
extern struct lx_state lx;

/* The thread whose fault is being handled. */
extern struct lx_thread *lx_current;

/* A private system call of the signal trampoline: the registers of a
 * sigreturn, after it restored the FPU state itself. */
#define LX_SYS_RESTORE 0x7FF

/* Random bytes (/dev/urandom, getrandom, AT_RANDOM). */
void lx_random(void *buf, uint64_t n);

void lx_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int lx_waiter_start(uint64_t badge, uint64_t *poke_cap, void *(*fn)(void *));
/* Ends the container: pid 1 ended with wstatus (exit code or signal). */
_Noreturn void lx_container_end(int wstatus, uint64_t addr, uint64_t rip);
int lx_errno(int ae);       /* an AE_* error as -errno */

#endif
