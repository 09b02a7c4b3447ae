/*
 * procfs.c — a minimal /proc: self and the container's pids (exe, fd,
 * cwd, cmdline, comm, stat, status), and meminfo, cpuinfo, uptime,
 * loadavg, version, mounts, filesystems. Memory and CPUs are the
 * container's own: MemTotal is its quota's limit, the processors are the
 * CPUs it may run on. Files are made when opened, as text; directories
 * are listings made when opened.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/kip.h>
#include <libaerie/invoke.h>
#include "lx.h"
#include "sys.h"

/* ---- files made of text ---- */

struct memfile {
    char *data;
    size_t len, cap;
};

static void mf_printf(struct memfile *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mf_printf(struct memfile *m, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(m->data ? m->data + m->len : NULL, m->data ? m->cap - m->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (m->data && m->len + (size_t)n < m->cap) {
            m->len += (size_t)n;
            return;
        }
        size_t cap = (m->cap ? m->cap * 2 : 512) + (size_t)n;
        char *d = realloc(m->data, cap);
        if (!d)
            return;
        m->data = d;
        m->cap = cap;
    }
}

static int64_t mf_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t;
    struct memfile *m = f->obj;
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    if (pos >= m->len)
        return 0;
    if (n > m->len - pos)
        n = m->len - pos;
    memcpy(buf, m->data + pos, n);
    if (off < 0)
        f->pos += n;
    return (int64_t)n;
}

static int mf_stat(struct lx_file *f, struct lx_stat *st)
{
    (void)f;
    st->mode = LX_S_IFREG | 0444;
    st->dev = 0x4;
    st->ino = 0x1000;
    return 0;
}

static int64_t mf_seek(struct lx_file *f, int64_t off, int whence)
{
    struct memfile *m = f->obj;
    int64_t base = whence == LX_SEEK_CUR ? (int64_t)f->pos : whence == LX_SEEK_END ? (int64_t)m->len : 0;
    if (whence > LX_SEEK_END || base + off < 0)
        return -LX_EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

static unsigned mf_poll(struct lx_file *f, struct lx_thread *t)
{
    (void)f, (void)t;
    return LX_POLLIN | LX_POLLRDNORM;
}

static void mf_release(struct lx_file *f)
{
    struct memfile *m = f->obj;
    free(m->data);
    free(m);
}

static const struct lx_file_ops memfile_ops = {
    .kind = "proc", .read = mf_read, .stat = mf_stat, .seek = mf_seek, .poll = mf_poll, .release = mf_release,
};

/* ---- directories made of listings ---- */

struct memdir {
    struct memfile names;       /* "type name\0" records */
    uint64_t next;              /* offset of the next record */
    uint64_t ino;               /* what fstat says (0: /proc's listings' number) */
};

static void md_add(struct memdir *d, uint8_t type, const char *name)
{
    mf_printf(&d->names, "%c%s", (char)type, name);
    mf_printf(&d->names, "%c", 0);
    if (d->names.data && d->names.len)
        d->names.data[d->names.len - 1] = 0;
}

static int64_t md_getdents(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n)
{
    (void)t;
    struct memdir *d = f->obj;
    uint64_t at = 0;
    while (d->next < d->names.len) {
        const char *rec = d->names.data + d->next;
        size_t len = strlen(rec + 1);
        if (!lx_dirent_put(buf, n, &at, 0x2000 + d->next, (int64_t)(d->next + len + 2), (uint8_t)rec[0],
                           rec + 1, len))
            return at ? (int64_t)at : -LX_EINVAL;
        d->next += len + 2;
    }
    return (int64_t)at;
}

static int md_stat(struct lx_file *f, struct lx_stat *st)
{
    struct memdir *d = f->obj;
    return lx_dir_stat(st, d->ino ? d->ino : 0x2000);
}

static int64_t md_seek(struct lx_file *f, int64_t off, int whence)
{
    struct memdir *d = f->obj;
    if (off || whence != LX_SEEK_SET)
        return -LX_EINVAL;
    d->next = 0;
    return 0;
}

static void md_release(struct lx_file *f)
{
    struct memdir *d = f->obj;
    free(d->names.data);
    free(d);
}

static const struct lx_file_ops memdir_ops = {
    .kind = "procdir", .getdents = md_getdents, .stat = md_stat, .seek = md_seek, .release = md_release,
};

/* A directory of fixed names (/dev): what getdents lists of it. */
int lx_listing_open(const char *path, uint64_t ino, const struct lx_dirent_name *names, unsigned n,
                    unsigned flags, struct lx_file **out)
{
    if ((flags & LX_O_ACCMODE) != LX_O_RDONLY)
        return -LX_EISDIR;
    struct memdir *d = calloc(1, sizeof *d);
    struct lx_file *f = d ? lx_file_new(&memdir_ops, flags | LX_FILE_DIR, d) : NULL;
    if (!f) {
        free(d);
        return -LX_ENOMEM;
    }
    d->ino = ino;
    md_add(d, LX_DT_DIR, ".");
    md_add(d, LX_DT_DIR, "..");
    for (unsigned i = 0; i < n; i++)
        md_add(d, names[i].type, names[i].name);
    strncpy(f->path, path, sizeof f->path - 1);
    *out = f;
    return 0;
}

/* ---- names ---- */

/* Splits "/proc/..." into the process it names (or NULL) and the rest;
 * *rest is NULL when it names a process that does not exist. */
static struct lx_proc *proc_part(struct lx_thread *t, const char *norm, const char **rest)
{
    const char *p = norm + 5;                  /* after "/proc" */
    if (*p == '/')
        p++;
    if (!strncmp(p, "self", 4) && (p[4] == 0 || p[4] == '/')) {
        *rest = p + 4;
        return t->proc;
    }
    if (!strncmp(p, "thread-self", 11) && (p[11] == 0 || p[11] == '/')) {
        *rest = p + 11;
        return t->proc;
    }
    if (*p < '1' || *p > '9') {
        *rest = p;
        return NULL;
    }
    int pid = 0;
    while (*p >= '0' && *p <= '9' && pid < 100000000)
        pid = pid * 10 + (*p++ - '0');
    if (*p && *p != '/') {
        *rest = NULL;
        return NULL;
    }
    struct lx_proc *pr = lx_proc_of(pid);
    *rest = pr && pr->state == LX_ALIVE ? p : NULL;    /* no such process: nothing there */
    return *rest ? pr : NULL;
}

static void add_pid(struct lx_proc *p, void *arg)
{
    if (p->state == LX_ALIVE) {
        char n[16];
        snprintf(n, sizeof n, "%d", p->pid);
        md_add(arg, LX_DT_DIR, n);
    }
}

static void count_alive(struct lx_proc *p, void *arg)
{
    *(unsigned *)arg += p->state == LX_ALIVE;
}

static char state_of(const struct lx_proc *p)
{
    if (p->state != LX_ALIVE)
        return 'Z';
    for (const struct lx_thread *t = p->threads; t; t = t->next)
        if (!t->saved)
            return 'R';
    return 'S';
}

static uint64_t quota_word(unsigned i)
{
    uint64_t q[6] = { 0 };
    ae_quota_info(lx.quota, q);
    return q[i];
}

static void text_for(struct lx_thread *t, struct lx_proc *p, const char *rest, const char *norm, struct memfile *m,
                     int *err)
{
    *err = 0;
    if (p && !strcmp(rest, "/comm")) {
        mf_printf(m, "%s\n", p->comm);
    } else if (p && !strcmp(rest, "/cmdline")) {
        if (p->cmdline)
            for (size_t i = 0; i < p->cmdline_len; i++)
                mf_printf(m, "%c", p->cmdline[i] ? p->cmdline[i] : '\n');
        for (size_t i = 0; m->data && i < m->len; i++)
            if (m->data[i] == '\n')
                m->data[i] = 0;
    } else if (p && !strcmp(rest, "/stat")) {
        mf_printf(m, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %u 0 %lu %lu 0 0 0 0 0 0 0 0 0 0 0 0 "
                  "0 17 %d 0 0 0 0 0 0 0 0 0 0 0 0 0\n", p->pid, p->comm, state_of(p),
                  p->parent ? p->parent->pid : 0, p->pgid, p->sid, p->nthreads,
                  (unsigned long)(p->start_ns / 10000000ull), 0ul, p->threads ? p->threads->cpu : 0);
    } else if (p && !strcmp(rest, "/status")) {
        mf_printf(m, "Name:\t%s\nUmask:\t%04o\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
                  "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t%u\nSigBlk:\t%016lx\n", p->comm,
                  p->fs ? p->fs->umask : 022, state_of(p), p->pid, p->pid, p->parent ? p->parent->pid : 0,
                  p->nthreads, p->threads ? p->threads->sigmask : 0);
    } else if (!p && !strcmp(rest, "meminfo")) {
        uint64_t limit = quota_word(0) / 1024, used = quota_word(1) / 1024;
        mf_printf(m, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
                  "Buffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\n"
                  "SwapFree:              0 kB\n", limit, limit - used, limit - used);
    } else if (!p && !strcmp(rest, "cpuinfo")) {
        const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
        for (int cpu = 0, n = 0; cpu < 64; cpu++)
            if ((lx.cpus >> cpu) & 1)
                mf_printf(m, "processor\t: %d\nvendor_id\t: Aerie\nmodel name\t: x86-64 CPU of an Aerie container\n"
                          "cpu MHz\t\t: %lu.000\nflags\t\t: fpu sse sse2\n\n", n++, k->tsc_hz / 1000000);
    } else if (!p && !strcmp(rest, "stat")) {
        /* procps (ps -ef, top, vmstat) needs btime, the boot's wall-clock
         * second, to place each process's start (its stat's starttime,
         * ticks since the container's clock began, as uptime's); no CPU
         * time is counted here */
        uint64_t boot = (lx_realtime_ns() - lx_now_ns()) / 1000000000ull;
        unsigned alive = 0;
        lx_procs_foreach(count_alive, &alive);
        mf_printf(m, "cpu  0 0 0 0 0 0 0 0 0 0\n");
        for (int cpu = 0, n = 0; cpu < 64; cpu++)
            if ((lx.cpus >> cpu) & 1)
                mf_printf(m, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", n++);
        mf_printf(m, "intr 0\nctxt 0\nbtime %lu\nprocesses %u\nprocs_running 1\nprocs_blocked 0\n",
                  (unsigned long)boot, alive);
    } else if (!p && !strcmp(rest, "uptime")) {
        uint64_t ns = lx_now_ns();
        mf_printf(m, "%lu.%02lu 0.00\n", (unsigned long)(ns / 1000000000ull), (unsigned long)(ns / 10000000ull % 100));
    } else if (!p && !strcmp(rest, "loadavg")) {
        mf_printf(m, "0.00 0.00 0.00 1/1 %d\n", t->proc->pid);
    } else if (!p && !strcmp(rest, "version")) {
        mf_printf(m, "Linux version 6.1.0-aerie (Aerie Linux personality) #1 SMP\n");
    } else if (!p && (!strcmp(rest, "mounts") || !strcmp(norm, "/proc/self/mounts"))) {
        mf_printf(m, "aerie / tmpfs rw 0 0\nproc /proc proc rw 0 0\ndev /dev devtmpfs rw 0 0\n"
                     "shm /dev/shm tmpfs rw,nosuid,nodev 0 0\n");
    } else if (!p && !strcmp(rest, "filesystems")) {
        mf_printf(m, "nodev\ttmpfs\nnodev\tproc\n");
    } else {
        *err = -LX_ENOENT;
    }
}

static bool is_dir(struct lx_proc *p, const char *rest)
{
    return (!p && !*rest) || (p && (!*rest || !strcmp(rest, "/fd")));
}

static void listing(struct lx_thread *t, struct lx_proc *p, const char *rest, struct memdir *d)
{
    (void)t;
    md_add(d, LX_DT_DIR, ".");
    md_add(d, LX_DT_DIR, "..");
    if (!p) {
        md_add(d, LX_DT_LNK, "self");
        static const char *const files[] = { "meminfo", "cpuinfo", "stat", "uptime", "loadavg", "version",
                                             "mounts", "filesystems" };
        for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
            md_add(d, LX_DT_REG, files[i]);
        lx_procs_foreach(add_pid, d);
    } else if (!*rest) {
        static const char *const files[] = { "comm", "cmdline", "stat", "status" };
        md_add(d, LX_DT_LNK, "exe");
        md_add(d, LX_DT_LNK, "cwd");
        md_add(d, LX_DT_DIR, "fd");
        for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
            md_add(d, LX_DT_REG, files[i]);
    } else if (p->files) {
        for (unsigned fd = 0; fd < p->files->n; fd++)
            if (p->files->fds[fd].file) {
                char n[16];
                snprintf(n, sizeof n, "%u", fd);
                md_add(d, LX_DT_LNK, n);
            }
    }
}

/* /proc/PID/fd/N: the file itself */
static struct lx_file *fd_file(struct lx_proc *p, const char *rest)
{
    if (!p || strncmp(rest, "/fd/", 4) || !rest[4])
        return NULL;
    int fd = 0;
    for (const char *s = rest + 4; *s; s++) {
        if (*s < '0' || *s > '9' || fd > LX_FD_MAX)
            return NULL;
        fd = fd * 10 + (*s - '0');
    }
    return lx_fd_get(p, fd);
}

int lx_proc_open(struct lx_thread *t, const char *norm, unsigned flags, struct lx_file **out)
{
    const char *rest;
    struct lx_proc *p = proc_part(t, norm, &rest);
    if (!rest)
        return -LX_ENOENT;
    struct lx_file *target = fd_file(p, rest);
    if (target) {
        /* The descriptor's own file, shared (its offset too: Linux would
         * open a regular file anew); only in a direction it was opened
         * for, as Linux checks the reopened file's permissions. */
        unsigned want = flags & LX_O_ACCMODE, have = target->flags & LX_O_ACCMODE;
        if ((want != LX_O_RDONLY && have == LX_O_RDONLY) || (want != LX_O_WRONLY && have == LX_O_WRONLY))
            return -LX_EACCES;
        /* the name exists, and is a directory only if the file is one */
        if ((flags & (LX_O_CREAT | LX_O_EXCL)) == (LX_O_CREAT | LX_O_EXCL))
            return -LX_EEXIST;
        if ((flags & LX_O_DIRECTORY) && !(target->flags & LX_FILE_DIR))
            return -LX_ENOTDIR;
        lx_file_get(target);
        *out = target;
        return 0;
    }
    if ((flags & LX_O_ACCMODE) != LX_O_RDONLY)
        return -LX_EACCES;
    if (p && !strcmp(rest, "/exe"))
        return p->exe ? lx_exe_open(p->exe, out) : -LX_ENOENT;
    if (is_dir(p, rest)) {
        struct memdir *d = calloc(1, sizeof *d);
        struct lx_file *f = d ? lx_file_new(&memdir_ops, flags | LX_FILE_DIR, d) : NULL;
        if (!f) {
            free(d);
            return -LX_ENOMEM;
        }
        listing(t, p, rest, d);
        strncpy(f->path, norm, sizeof f->path - 1);
        *out = f;
        return 0;
    }
    if (flags & LX_O_DIRECTORY)
        return -LX_ENOTDIR;
    struct memfile *m = calloc(1, sizeof *m);
    if (!m)
        return -LX_ENOMEM;
    int err;
    text_for(t, p, rest, norm, m, &err);
    struct lx_file *f = err ? NULL : lx_file_new(&memfile_ops, flags, m);
    if (!f) {
        free(m->data);
        free(m);
        return err ? err : -LX_ENOMEM;
    }
    strncpy(f->path, norm, sizeof f->path - 1);
    *out = f;
    return 0;
}

int lx_proc_stat(const char *norm, struct lx_stat *st)
{
    struct lx_thread *t = lx_current;
    const char *rest;
    struct lx_proc *p = proc_part(t, norm, &rest);
    if (!rest)
        return -LX_ENOENT;
    struct lx_file *f = fd_file(p, rest);
    if (f)
        return lx_file_stat(f, st);
    if (is_dir(p, rest))
        return lx_dir_stat(st, 0x2000);
    if (p && (!strcmp(rest, "/exe") || !strcmp(rest, "/cwd"))) {
        if (!strcmp(rest, "/cwd"))
            return lx_stat_path(p->fs->cwd, st, true);
        memset(st, 0, sizeof *st);
        st->mode = LX_S_IFREG | 0755;
        st->size = p->exe ? (int64_t)p->exe->size : 0;
        st->nlink = 1;
        st->ino = 0x3000 + (uint64_t)p->pid;
        return 0;
    }
    struct lx_file *tmp;
    int r = lx_proc_open(t, norm, LX_O_RDONLY, &tmp);
    if (r)
        return r;
    memset(st, 0, sizeof *st);
    st->nlink = 1;
    r = lx_file_stat(tmp, st);
    lx_file_put(tmp);
    return r;
}

int64_t lx_proc_readlink(struct lx_thread *t, const char *norm, char *out, size_t cap)
{
    const char *rest;
    struct lx_proc *p = proc_part(t, norm, &rest);
    if (!rest)
        return -LX_ENOENT;
    if (!strcmp(norm, "/proc/self")) {
        snprintf(out, cap, "%d", t->proc->pid);
        return 0;
    }
    struct lx_file *f = fd_file(p, rest);
    if (f) {
        snprintf(out, cap, "%s", f->path[0] ? f->path : "anon_inode:[unknown]");
        return 0;
    }
    if (p && !strcmp(rest, "/exe") && p->exe) {
        snprintf(out, cap, "%s", p->exe->path);
        return 0;
    }
    if (p && !strcmp(rest, "/cwd") && p->fs) {
        snprintf(out, cap, "%s", p->fs->cwd);
        return 0;
    }
    return -LX_EINVAL;
}
