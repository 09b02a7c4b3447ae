/*
 * sys_proc.c — making and ending processes: clone (threads, vfork-style
 * children sharing the address space, and fork's eager copies), fork,
 * vfork, execve (static ELF programs from the container's files or the
 * image's own program, and #! scripts), wait4 and waitid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/fs.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "lx.h"
#include "sys.h"

#define ARGS_MAX   (256u << 10)
#define ARGV_MAX   4096
#define SCRIPT_DEPTH 4

/* ---- clone ---- */

/* The child's registers: the parent's at its system call, returning 0. */
static int child_regs(struct lx_thread *parent, struct lx_thread *child, uint64_t sp, bool settls, uint64_t tls)
{
    uint64_t regs[AERIE_REG_COUNT];
    int r = lx_thread_get_regs(parent, regs);
    if (r)
        return r;
    regs[AERIE_REG_RAX] = 0;
    regs[AERIE_REG_RIP] = parent->rip;
    regs[AERIE_REG_RSP] = sp ? sp : parent->rsp;
    regs[AERIE_REG_FS_BASE] = settls ? tls : parent->fs_base;
    child->fs_base = regs[AERIE_REG_FS_BASE];
    return lx_thread_set_regs(child, (1u << AERIE_REG_COUNT) - 1, regs);
}

static int64_t clone_thread(struct lx_thread *t, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t ctid,
                            uint64_t tls)
{
    struct lx_proc *p = t->proc;
    if (!(flags & LX_CLONE_VM) || !(flags & LX_CLONE_SIGHAND))
        return -LX_EINVAL;
    int err;
    struct lx_thread *c = lx_thread_new(p, 0, &err);
    if (!c)
        return err;
    if (t->affinity)                       /* a new thread has its maker's CPUs, as in Linux */
        err = lx_thread_set_cpus(c, t->affinity);
    c->sigmask = t->sigmask;
    c->altstack = (struct lx_stack){ .flags = LX_SS_DISABLE };
    if (flags & LX_CLONE_CHILD_CLEARTID)
        c->clear_tid = ctid;
    int32_t tid = c->tid;
    if ((flags & LX_CLONE_PARENT_SETTID) && lx_copy_out(p->mm, ptid, &tid, sizeof tid))
        err = -LX_EFAULT;
    if (!err && (flags & LX_CLONE_CHILD_SETTID) && lx_copy_out(p->mm, ctid, &tid, sizeof tid))
        err = -LX_EFAULT;
    if (!err)
        err = child_regs(t, c, sp, flags & LX_CLONE_SETTLS, tls);
    if (!err)
        err = lx_thread_start(c);
    if (err) {
        lx_thread_free(c);
        return err;
    }
    return tid;
}

static void link_child(struct lx_proc *parent, struct lx_proc *c)
{
    c->parent = parent;
    c->sibling = parent->children;
    parent->children = c;
}

static struct lx_sighand *sighand_copy(struct lx_sighand *h)
{
    struct lx_sighand *n = malloc(sizeof *n);
    if (n) {
        *n = *h;
        n->refs = 1;
    }
    return n;
}

/* A new process: fork's copy, or (CLONE_VM) one sharing the parent's
 * address space until it execs (vfork, posix_spawn). */
static int64_t clone_process(struct lx_thread *t, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t ctid,
                             uint64_t tls)
{
    struct lx_proc *p = t->proc;
    int pid = lx_next_pid(), err = 0;
    struct lx_proc *c = pid > 0 ? lx_proc_alloc(pid) : NULL;
    if (!c)
        return -LX_EAGAIN;
    link_child((flags & LX_CLONE_PARENT) && p->parent ? p->parent : p, c);
    c->pgid = p->pgid;
    c->sid = p->sid;
    c->exit_signal = (int)(flags & LX_CSIGNAL);
    memcpy(c->rlim, p->rlim, sizeof c->rlim);
    memcpy(c->comm, p->comm, sizeof c->comm);
    if (p->cmdline && (c->cmdline = malloc(p->cmdline_len))) {
        memcpy(c->cmdline, p->cmdline, p->cmdline_len);
        c->cmdline_len = p->cmdline_len;
    }
    c->exe = p->exe;
    if (c->exe)
        c->exe->refs++;
    if (flags & LX_CLONE_VM) {
        c->mm = p->mm;
        c->mm->refs++;
    } else {
        c->mm = lx_mm_fork(p->mm, &err);
    }
    c->files = (flags & LX_CLONE_FILES) ? p->files : lx_files_copy(p->files);
    if (flags & LX_CLONE_FILES)
        p->files->refs++;
    c->fs = (flags & LX_CLONE_FS) ? p->fs : lx_fsinfo_copy(p->fs);
    if (flags & LX_CLONE_FS)
        p->fs->refs++;
    c->sighand = (flags & LX_CLONE_SIGHAND) ? p->sighand : sighand_copy(p->sighand);
    if (flags & LX_CLONE_SIGHAND)
        p->sighand->refs++;
    if (!c->mm || !c->files || !c->fs || !c->sighand)
        err = err ? err : -LX_ENOMEM;
    struct lx_thread *ct = NULL;
    /* A vfork child runs while its parent waits: on the parent's CPU, its
     * system calls are the same IPCs as the parent's were (same CPU as
     * us for pid 1's children), not a cross-CPU round trip each. */
    if (flags & LX_CLONE_VFORK)
        lx.cpu_hint = t->cpu + 1;
    if (!err && !(ct = lx_thread_new(c, c->pid, &err)))    /* the first thread's tid is the pid */
        err = err ? err : -LX_EAGAIN;
    if (!err && t->affinity)
        err = lx_thread_set_cpus(ct, t->affinity);
    if (!err) {
        ct->sigmask = t->sigmask;
        ct->altstack = t->altstack;
        if (flags & LX_CLONE_CHILD_CLEARTID)
            ct->clear_tid = ctid;
        int32_t cpid = c->pid;
        if ((flags & LX_CLONE_PARENT_SETTID) && lx_copy_out(p->mm, ptid, &cpid, sizeof cpid))
            err = -LX_EFAULT;
        if (!err && (flags & LX_CLONE_CHILD_SETTID) && lx_copy_out(c->mm, ctid, &cpid, sizeof cpid))
            err = -LX_EFAULT;
        if (!err)
            err = child_regs(t, ct, sp, flags & LX_CLONE_SETTLS, tls);
    }
    if (err) {
        lx_proc_discard(c);
        return err;
    }
    if (flags & LX_CLONE_VFORK) {
        c->vfork_parent = t;
        t->progress = (uint64_t)c->pid;         /* what the parent's call returns once woken */
    }
    if ((err = lx_thread_start(ct))) {
        lx_proc_exit(c, LX_SIGKILL);
        return err;
    }
    return (flags & LX_CLONE_VFORK) ? LX_BLOCK : c->pid;
}

static int64_t do_clone(struct lx_thread *t, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    if (t->progress) {                            /* a vfork parent, run again */
        struct lx_proc *c = lx_proc_of((int)t->progress);
        if (c && c->vfork_parent == t)
            return LX_BLOCK;                      /* the child still has our memory */
        return (int64_t)t->progress;
    }
    if (flags & (LX_CLONE_NEWNS | LX_CLONE_NEWUTS | LX_CLONE_NEWIPC | LX_CLONE_NEWUSER | LX_CLONE_NEWPID |
                 LX_CLONE_NEWNET | LX_CLONE_NEWCGROUP | LX_CLONE_PIDFD))
        return -LX_EINVAL;                        /* a container has no namespaces to make */
    if ((flags & LX_CLONE_SIGHAND) && !(flags & LX_CLONE_VM))
        return -LX_EINVAL;
    if (flags & LX_CLONE_THREAD)
        return clone_thread(t, flags, sp, ptid, ctid, tls);
    return clone_process(t, flags, sp, ptid, ctid, tls);
}

LX_SYS(clone) { return do_clone(t, t->a[0], t->a[1], t->a[2], t->a[3], t->a[4]); }
LX_SYS(fork) { return do_clone(t, LX_SIGCHLD, 0, 0, 0, 0); }
LX_SYS(vfork) { return do_clone(t, LX_CLONE_VM | LX_CLONE_VFORK | LX_SIGCHLD, 0, 0, 0, 0); }

/* ---- wait ---- */

static bool matches(const struct lx_proc *c, int idtype, int id)
{
    switch (idtype) {
    case LX_P_ALL: return true;
    case LX_P_PID: return c->pid == id;
    case LX_P_PGID: return c->pgid == id;
    default: return false;
    }
}

/* A zombie child matching (idtype, id), or NULL; *any tells whether any
 * child matches at all. */
static struct lx_proc *find_zombie(struct lx_proc *p, int idtype, int id, bool *any)
{
    *any = false;
    for (struct lx_proc *c = p->children; c; c = c->sibling) {
        if (!matches(c, idtype, id))
            continue;
        *any = true;
        if (c->state == LX_ZOMBIE)
            return c;
    }
    return NULL;
}

static int64_t do_wait(struct lx_thread *t, int idtype, int id, unsigned options, struct lx_proc **out)
{
    bool any;
    *out = find_zombie(t->proc, idtype, id, &any);
    if (*out)
        return 0;
    if (!any)
        return -LX_ECHILD;
    if (options & LX_WNOHANG)
        return 1;
    if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t))
        return -LX_ERESTARTSYS;
    return lx_wait_on(t, &t->proc->child_wait) ? -LX_ENOMEM : LX_BLOCK;
}

LX_SYS(wait4)
{
    int pid = (int)t->a[0];
    unsigned options = (unsigned)t->a[2];
    if (options & ~(LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED | LX_WALL | LX_WCLONE | 0x20000000u))
        return -LX_EINVAL;
    int idtype = pid > 0 ? LX_P_PID : pid == -1 ? LX_P_ALL : LX_P_PGID;
    int id = pid > 0 ? pid : pid == 0 ? t->proc->pgid : -pid;
    struct lx_proc *c;
    int64_t r = do_wait(t, idtype, id, options, &c);
    if (r == 1)
        return 0;
    if (r)
        return r;
    int32_t status = c->wstatus;
    if (t->a[1] && lx_copy_out(t->proc->mm, t->a[1], &status, sizeof status))
        return -LX_EFAULT;
    if (t->a[3]) {
        struct lx_rusage ru;
        lx_rusage_of(lx_proc_cpu_ns(c) + c->children_cpu_ns, &ru);
        if (lx_copy_out(t->proc->mm, t->a[3], &ru, sizeof ru))
            return -LX_EFAULT;
    }
    int cpid = c->pid;
    lx_proc_reap(c);
    return cpid;
}

LX_SYS(waitid)
{
    int idtype = (int)t->a[0], id = (int)t->a[1];
    unsigned options = (unsigned)t->a[3];
    if (idtype > LX_P_PGID || !(options & (LX_WEXITED | LX_WSTOPPED | LX_WCONTINUED)))
        return -LX_EINVAL;
    if (idtype == LX_P_PGID && id == 0)
        id = t->proc->pgid;
    struct lx_proc *c;
    int64_t r = (options & LX_WEXITED) ? do_wait(t, idtype, id, options, &c) : -LX_ECHILD;
    struct lx_siginfo si;
    memset(&si, 0, sizeof si);
    if (r == 0) {
        si.signo = LX_SIGCHLD;
        si.code = (c->wstatus & 0x7f) ? LX_CLD_KILLED : LX_CLD_EXITED;
        si.chld.pid = c->pid;
        si.chld.status = (c->wstatus & 0x7f) ? (c->wstatus & 0x7f) : (c->wstatus >> 8) & 0xff;
    }
    if (r < 0 || r == LX_BLOCK)
        return r;
    if (t->a[2] && lx_copy_out(t->proc->mm, t->a[2], &si, sizeof si))
        return -LX_EFAULT;
    if (r == 0 && !(options & LX_WNOWAIT))
        lx_proc_reap(c);
    return 0;
}

/* ---- execve ---- */

/* A program file of the container's fs read whole into memory of ours
 * (kept while a process runs it); recent ones are kept for the next exec. */
#define EXE_CACHE 8
static struct lx_exe *exe_cache[EXE_CACHE];
static unsigned exe_next;

static bool same_time(const struct lx_timespec *a, const struct lx_timespec *b)
{
    return a->sec == b->sec && a->nsec == b->nsec;
}

/* The file at path as stat sees it now, if read before and not changed
 * since: the same file (device, inode), size, modification and change
 * times. A hit costs the exec its open and reads (an fs round trip
 * each): a shell or a spawn loop runs the same program again and again. */
static struct lx_exe *exe_cached(const struct lx_stat *st, const char *path)
{
    for (unsigned i = 0; i < EXE_CACHE; i++) {
        struct lx_exe *e = exe_cache[i];
        if (e && e->ino == st->ino && e->dev == st->dev && e->size == (uint64_t)st->size &&
            same_time(&e->mtime, &st->mtime) && same_time(&e->ctime, &st->ctime) && !strcmp(e->path, path)) {
            e->refs++;
            return e;
        }
    }
    return NULL;
}

#define FILE_WHOLE_ALWAYS (1u << 20)   /* a file up to this is read whole for any mapping of it */

bool lx_exe_cache_trim(void)
{
    bool freed = false;
    for (unsigned i = 0; i < EXE_CACHE; i++) {
        struct lx_exe *e = exe_cache[i];
        if (e && e->refs == 1 && e->mem->refs == 1) {
            exe_cache[i] = NULL;
            lx_exe_put(e);
            freed = true;
        }
    }
    return freed;
}

/* keep: into the cache, for the next load whose stat matches (not a
 * /proc/PID/exe: its stat says the same for the next program PID runs) */
static int read_exe(struct lx_file *f, const struct lx_stat *st, const char *path, bool keep, struct lx_exe **out)
{
    uint64_t size = (uint64_t)st->size;
    if (keep && (*out = exe_cached(st, path)))
        return 0;
    if (!size || size > (256u << 20))
        return -LX_ENOEXEC;
    int err;
    struct lx_mem *m = lx_mem_new(size, &err);
    if (!m)
        return err;
    uint64_t bytes = LX_PAGE_UP(size), va = ae_vm_reserve(bytes);
    if (!va || lx_task_map(lx.task, m->slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, bytes);
        lx_mem_put(m);
        return -LX_ENOMEM;
    }
    m->map = (uint8_t *)va;
    int64_t got = f->ops->read(NULL, f, m->map, size, 0);
    struct lx_exe *e = got == (int64_t)size ? calloc(1, sizeof *e) : NULL;
    if (!e) {
        lx_mem_put(m);
        return got < 0 ? (int)got : -LX_EIO;
    }
    *e = (struct lx_exe){ .refs = keep ? 2 : 1, .mem = m, .size = size, .ino = st->ino, .dev = st->dev, .mtime = st->mtime,
                          .ctime = st->ctime };
    strncpy(e->path, path, sizeof e->path - 1);
    *out = e;
    if (!keep)
        return 0;
    lx_exe_put(exe_cache[exe_next]);
    exe_cache[exe_next] = e;
    exe_next = (exe_next + 1) % EXE_CACHE;
    return 0;
}

/* A file's pages for a read-only private mapping (sys_mem.c): the whole
 * file read once and kept in the same cache as programs, under the same
 * identity check, so every process of the container mapping a library
 * maps the same pages and a fork copies none of them. */
int lx_file_pages(struct lx_file *f, uint64_t max, uint64_t len, struct lx_exe **out)
{
    struct lx_stat st;
    uint64_t handle, ino;
    if (!lx_fs_node(f, &handle, &ino) || !f->ops->stat || f->ops->stat(f, &st))
        return -LX_ENODEV;
    if ((st.mode & LX_S_IFMT) != LX_S_IFREG || st.size <= 0 || (uint64_t)st.size > max)
        return -LX_ENODEV;
    /* a few pages of a large file (a data file's header) are not worth
     * the whole file, which the mapping would keep (attack14: a page of a
     * 40 MiB file held 40 MiB while mapped); a loader's first mapping of
     * a library covers its span, nearly all of the file */
    if ((uint64_t)st.size > FILE_WHOLE_ALWAYS && len < (uint64_t)st.size / 2)
        return (*out = exe_cached(&st, f->path)) ? 0 : -LX_ENODEV;
    return read_exe(f, &st, f->path, true, out);
}

struct args {
    char *buf;                  /* strings, back to back */
    size_t used;
    char *argv[ARGV_MAX];
    unsigned argc;
    char *envp[ARGV_MAX];
    unsigned envc;
};

static int64_t copy_strings(struct lx_thread *t, uint64_t vec, char **out, unsigned *n, struct args *a)
{
    *n = 0;
    for (; vec; vec += 8) {
        uint64_t p;
        if (lx_copy_in(t->proc->mm, &p, vec, sizeof p))
            return -LX_EFAULT;
        if (!p)
            return 0;
        if (*n == ARGV_MAX - 1)
            return -LX_E2BIG;
        int64_t len = lx_copy_str(t->proc->mm, a->buf + a->used, p, ARGS_MAX - a->used);
        if (len < 0)
            return len == -LX_ENAMETOOLONG ? -LX_E2BIG : len;
        out[(*n)++] = a->buf + a->used;
        a->used += (size_t)len + 1;
    }
    return 0;
}

/* "#!interp [arg]": argv becomes interp, arg, the script, argv[1..]. */
static int64_t script(struct args *a, const uint8_t *head, uint64_t n, const char *path, char *interp)
{
    char line[256];
    uint64_t k = 2;
    while (k < n && k < sizeof line && head[k] != '\n')
        k++;
    if (k == sizeof line)
        return -LX_ENOEXEC;
    memcpy(line, head + 2, k - 2);
    line[k - 2] = 0;
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    char *arg = *e ? e + 1 : NULL;
    *e = 0;
    if (!*s)
        return -LX_ENOEXEC;
    while (arg && (*arg == ' ' || *arg == '\t'))
        arg++;
    if (arg) {
        char *end = arg + strlen(arg);
        while (end > arg && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            *--end = 0;
    }
    strcpy(interp, s);
    unsigned extra = arg && *arg ? 2 : 1;
    if (a->argc + extra + 1 >= ARGV_MAX)
        return -LX_E2BIG;
    size_t need = strlen(s) + 1 + (arg ? strlen(arg) + 1 : 0) + strlen(path) + 1;
    if (a->used + need > ARGS_MAX)
        return -LX_E2BIG;
    unsigned old = a->argc ? a->argc - 1 : 0;     /* argv[0] is replaced by the script's path */
    memmove(a->argv + extra + 1, a->argv + 1, old * sizeof *a->argv);
    char *p = a->buf + a->used;
    a->argv[0] = strcpy(p, s);
    p += strlen(s) + 1;
    if (extra == 2) {
        a->argv[1] = strcpy(p, arg);
        p += strlen(arg) + 1;
    }
    a->argv[extra] = strcpy(p, path);
    p += strlen(path) + 1;
    a->used = (size_t)(p - a->buf);
    a->argc = old + extra + 1;
    return 0;
}

/* The program at abs: the process's own (/proc/self/exe) or a file. */
static int find_program(struct lx_thread *t, const char *abs, struct lx_exe **e, uint8_t *head, uint64_t *nhead)
{
    char norm[LX_PATH_MAX];
    lx_path_normalize(abs, norm, sizeof norm);
    if (!strcmp(norm, "/proc/self/exe") && t->proc->exe) {
        *e = t->proc->exe;
        (*e)->refs++;
        *nhead = 0;
        return 0;
    }
    struct lx_stat st;
    int r = lx_stat_path(abs, &st, true);
    if (r)
        return r;
    if ((st.mode & LX_S_IFMT) != LX_S_IFREG)
        return -LX_EACCES;
    if (!(st.mode & 0111))
        return -LX_EACCES;
    /* /proc/PID/exe has no times and the same inode whatever PID runs
     * (attack14: a second exec of it ran the program PID ran before) */
    bool keep = strncmp(norm, "/proc/", 6) != 0;
    if (keep && (*e = exe_cached(&st, norm))) {    /* a program read before (never a script) */
        *nhead = 0;
        return 0;
    }
    struct lx_file *f;
    if ((r = lx_open_abs(t, abs, LX_O_RDONLY, 0, &f)))
        return r;
    int64_t n = f->ops->read ? f->ops->read(NULL, f, head, 256, 0) : -LX_EACCES;
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        *nhead = (uint64_t)n;
        *e = NULL;
        lx_file_put(f);
        return 0;
    }
    *nhead = 0;
    r = n < 0 ? (int)n : read_exe(f, &st, norm, keep, e);
    lx_file_put(f);
    return r;
}

/* The fs session resolves the path, its links included, in the
 * container's own root (docs/FS.md): an interpreter is never a file of
 * the host, the boot image or another container. Relative to the working
 * directory, as Linux opens it. */
int lx_interp_find(struct lx_thread *t, const char *path, struct lx_exe **out)
{
    char abs[LX_PATH_MAX];
    uint8_t head[256];
    uint64_t nhead;
    if (path[0] == '/')
        snprintf(abs, sizeof abs, "%s", path);
    else if ((size_t)snprintf(abs, sizeof abs, "%s/%s", t->proc->fs->cwd, path) >= sizeof abs)
        return -LX_ENAMETOOLONG;
    *out = NULL;
    int r = find_program(t, abs, out, head, &nhead);
    return r ? r : *out ? 0 : -LX_ELIBBAD;        /* a #! script is no interpreter */
}

/* large: one exec at a time (one loop thread); made at the first exec,
 * not in .bss, so a container whose program never execs never has them */
static struct args *args_get(void)
{
    static struct args *ap;
    static char *buf;
    if (!ap && (!(ap = malloc(sizeof *ap)) || !(buf = malloc(ARGS_MAX)))) {
        free(ap);
        ap = NULL;
        return NULL;
    }
    memset(ap, 0, sizeof *ap);
    ap->buf = buf;
    return ap;
}

static int64_t exec_args(struct lx_thread *t, char *abs, struct args *a);

int64_t lx_execve(struct lx_thread *t, uint64_t path, uint64_t argv, uint64_t envp, int dirfd, int flags)
{
    struct args *a = args_get();
    if (!a)
        return -LX_ENOMEM;
    char abs[LX_PATH_MAX];
    int64_t r = lx_path_at(t, dirfd, path, abs, flags & LX_AT_EMPTY_PATH);
    if (!r)
        r = copy_strings(t, argv, a->argv, &a->argc, a);
    if (!r)
        r = copy_strings(t, envp, a->envp, &a->envc, a);
    if (r)
        return r;
    return exec_args(t, abs, a);
}

/* exec of abs with strings of ours (`aerie exec`: outside.c), as execve
 * runs one: scripts, the programs' cache, the same limits. */
int64_t lx_exec_path(struct lx_thread *t, const char *path, char *const *argv, unsigned argc,
                     char *const *envp, unsigned envc)
{
    struct args *a = args_get();
    if (!a)
        return -LX_ENOMEM;
    char abs[LX_PATH_MAX];
    if (strlen(path) >= sizeof abs)
        return -LX_ENAMETOOLONG;
    strcpy(abs, path);
    for (unsigned k = 0; k < 2; k++) {
        char *const *v = k ? envp : argv;
        unsigned n = k ? envc : argc;
        for (unsigned i = 0; i < n; i++) {
            size_t len = strlen(v[i]) + 1;
            if (i + 1 >= ARGV_MAX || a->used + len > ARGS_MAX)
                return -LX_E2BIG;
            char *d = memcpy(a->buf + a->used, v[i], len);
            a->used += len;
            if (k)
                a->envp[a->envc++] = d;
            else
                a->argv[a->argc++] = d;
        }
    }
    return exec_args(t, abs, a);
}

static int64_t exec_args(struct lx_thread *t, char *abs, struct args *a)
{
    char interp[256];
    int64_t r;
    struct lx_exe *e = NULL;
    for (int depth = 0; !e; depth++) {
        uint8_t head[256];
        uint64_t nhead;
        if (depth > SCRIPT_DEPTH)
            return -LX_ELOOP;
        if ((r = find_program(t, abs, &e, head, &nhead)))
            return r;
        if (e)
            break;
        char script_path[LX_PATH_MAX];
        strcpy(script_path, abs);
        if ((r = script(a, head, nhead, script_path, interp)))
            return r;
        if (interp[0] != '/')                     /* relative to the working directory, as Linux does */
            snprintf(abs, LX_PATH_MAX, "%s/%s", t->proc->fs->cwd, interp);
        else
            strcpy(abs, interp);
    }
    a->argv[a->argc] = NULL;
    a->envp[a->envc] = NULL;
    struct lx_proc *p = t->proc;
    char *cmd = malloc(a->used ? a->used : 1);
    size_t cmdlen = 0;
    for (unsigned i = 0; cmd && i < a->argc; i++) {
        size_t n = strlen(a->argv[i]) + 1;
        memcpy(cmd + cmdlen, a->argv[i], n);
        cmdlen += n;
    }
    r = lx_exec_image(t, e, a->argv, a->argc, a->envp, a->envc);
    lx_exe_put(e);
    if (r) {
        free(cmd);
        return r;
    }
    free(p->cmdline);
    p->cmdline = cmd;
    p->cmdline_len = cmdlen;
    lx_ptimers_clear(p);                      /* execve deletes its POSIX timers */
    return LX_NOREPLY;
}

LX_SYS(execve) { return lx_execve(t, t->a[0], t->a[1], t->a[2], LX_AT_FDCWD, 0); }
LX_SYS(execveat) { return lx_execve(t, t->a[1], t->a[2], t->a[3], (int)t->a[0], (int)t->a[4]); }
