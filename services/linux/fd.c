/*
 * fd.c — open file descriptions, per-process fd tables (shared by
 * CLONE_FILES, copied by fork), and the system calls that only move
 * bytes through an fd: read, write and their vector and positioned
 * forms, close, dup, fcntl, ioctl, lseek, fstat. What an fd is — a file
 * of the fs session, a pipe, a device, a socket — is its ops table.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "flock.h"
#include "sys.h"

struct lx_file *lx_file_new(const struct lx_file_ops *ops, unsigned flags, void *obj)
{
    struct lx_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->obj = obj;
    return f;
}

void lx_file_get(struct lx_file *f)
{
    f->refs++;
}

void lx_file_put(struct lx_file *f)
{
    if (!f || --f->refs)
        return;
    if (f->epitems)
        lx_epoll_forget(f);
    if (f->fasync)
        lx_fasync_forget(f);
    lx_locks_file_gone(f);
    if (f->ops->release)
        f->ops->release(f);
    free(f);
}

/* ---- tables ---- */

struct lx_files *lx_files_new(void)
{
    struct lx_files *fs = calloc(1, sizeof *fs);
    if (fs)
        fs->refs = 1;
    return fs;
}

struct lx_files *lx_files_copy(struct lx_files *src)
{
    struct lx_files *fs = lx_files_new();
    if (!fs)
        return NULL;
    fs->fds = calloc(src->n ? src->n : 1, sizeof *fs->fds);
    if (!fs->fds) {
        free(fs);
        return NULL;
    }
    fs->n = src->n;
    for (unsigned i = 0; i < src->n; i++) {
        fs->fds[i] = src->fds[i];
        if (fs->fds[i].file)
            lx_file_get(fs->fds[i].file);
    }
    return fs;
}

void lx_files_put(struct lx_files *fs)
{
    if (!fs || --fs->refs)
        return;
    for (unsigned i = 0; i < fs->n; i++)
        lx_file_put(fs->fds[i].file);
    free(fs->fds);
    free(fs);
}

void lx_files_cloexec(struct lx_files *fs)
{
    for (unsigned i = 0; i < fs->n; i++)
        if (fs->fds[i].file && fs->fds[i].cloexec) {
            lx_file_put(fs->fds[i].file);
            fs->fds[i] = (struct lx_fd){ 0 };
        }
}

struct lx_file *lx_fd_get(struct lx_proc *p, int fd)
{
    struct lx_files *fs = p->files;
    if (fd < 0 || !fs || (unsigned)fd >= fs->n)
        return NULL;
    return fs->fds[fd].file;
}

static int grow(struct lx_files *fs, unsigned need)
{
    if (need <= fs->n)
        return 0;
    unsigned n = fs->n ? fs->n : 16;
    while (n < need)
        n *= 2;
    struct lx_fd *fds = realloc(fs->fds, n * sizeof *fds);
    if (!fds)
        return -LX_ENOMEM;
    memset(fds + fs->n, 0, (n - fs->n) * sizeof *fds);
    fs->fds = fds;
    fs->n = n;
    return 0;
}

static unsigned fd_limit(struct lx_proc *p)
{
    uint64_t lim = p->rlim[LX_RLIMIT_NOFILE].cur;
    return lim > LX_FD_MAX ? LX_FD_MAX : (unsigned)lim;
}

int lx_fd_install(struct lx_proc *p, struct lx_file *f, int min, bool cloexec)
{
    struct lx_files *fs = p->files;
    unsigned lim = fd_limit(p);
    for (unsigned fd = (unsigned)(min < 0 ? 0 : min); fd < lim; fd++) {
        if (fd >= fs->n && grow(fs, fd + 1)) {
            lx_file_put(f);
            return -LX_ENOMEM;
        }
        if (!fs->fds[fd].file) {
            fs->fds[fd] = (struct lx_fd){ f, cloexec };
            return (int)fd;
        }
    }
    lx_file_put(f);
    return -LX_EMFILE;
}

/* Puts f at exactly fd, closing what was there. */
static int fd_install_at(struct lx_proc *p, struct lx_file *f, int fd, bool cloexec)
{
    struct lx_files *fs = p->files;
    if (fd < 0 || (unsigned)fd >= fd_limit(p)) {
        lx_file_put(f);
        return -LX_EBADF;
    }
    if (grow(fs, (unsigned)fd + 1)) {
        lx_file_put(f);
        return -LX_ENOMEM;
    }
    struct lx_file *old = fs->fds[fd].file;
    if (old)
        lx_locks_closing(p, old);
    fs->fds[fd] = (struct lx_fd){ f, cloexec };
    lx_file_put(old);
    return fd;
}

int lx_fd_close(struct lx_proc *p, int fd)
{
    struct lx_file *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    lx_locks_closing(p, f);
    p->files->fds[fd] = (struct lx_fd){ 0 };
    lx_file_put(f);
    return 0;
}

/* ---- fsinfo ---- */

struct lx_fsinfo *lx_fsinfo_new(void)
{
    struct lx_fsinfo *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->refs = 1;
    fs->umask = 022;
    strcpy(fs->cwd, "/");
    return fs;
}

struct lx_fsinfo *lx_fsinfo_copy(struct lx_fsinfo *src)
{
    struct lx_fsinfo *fs = malloc(sizeof *fs);
    if (!fs)
        return NULL;
    *fs = *src;
    fs->refs = 1;
    return fs;
}

void lx_fsinfo_put(struct lx_fsinfo *fs)
{
    if (fs && !--fs->refs)
        free(fs);
}

/* ---- moving bytes ---- */

static bool readable(const struct lx_file *f) { return (f->flags & LX_O_ACCMODE) != LX_O_WRONLY; }
static bool writable(const struct lx_file *f) { return (f->flags & LX_O_ACCMODE) != LX_O_RDONLY; }

#define FD_ARG(i) ((int)(int32_t)t->a[i])

static int64_t do_read(struct lx_thread *t, int fd, uint64_t addr, uint64_t n, int64_t off)
{
    struct lx_file *f = lx_fd_get(t->proc, fd);
    if (!f || !readable(f) || (f->flags & LX_O_PATH))
        return -LX_EBADF;
    if (!f->ops->read)
        return -LX_EINVAL;
    if ((int64_t)n < 0)
        return -LX_EINVAL;
    void *buf = lx_user(t->proc->mm, addr, n, LX_PROT_WRITE);
    if (!buf)
        return -LX_EFAULT;
    return f->ops->read(t, f, buf, n, off);
}

static int64_t do_write(struct lx_thread *t, int fd, uint64_t addr, uint64_t n, int64_t off)
{
    struct lx_file *f = lx_fd_get(t->proc, fd);
    if (!f || !writable(f) || (f->flags & LX_O_PATH))
        return -LX_EBADF;
    if (!f->ops->write)
        return -LX_EINVAL;
    if ((int64_t)n < 0)
        return -LX_EINVAL;
    const void *buf = lx_user(t->proc->mm, addr, n, LX_PROT_READ);
    if (!buf)
        return -LX_EFAULT;
    return f->ops->write(t, f, buf, n, off);
}

LX_SYS(read) { return do_read(t, FD_ARG(0), t->a[1], t->a[2], -1); }
LX_SYS(write) { return do_write(t, FD_ARG(0), t->a[1], t->a[2], -1); }

LX_SYS(pread64)
{
    if ((int64_t)t->a[3] < 0)
        return -LX_EINVAL;
    return do_read(t, FD_ARG(0), t->a[1], t->a[2], (int64_t)t->a[3]);
}

LX_SYS(pwrite64)
{
    if ((int64_t)t->a[3] < 0)
        return -LX_EINVAL;
    return do_write(t, FD_ARG(0), t->a[1], t->a[2], (int64_t)t->a[3]);
}

/* readv/writev and their positioned forms: piece by piece; a piece that
 * would wait ends the call with what was moved (or waits if nothing was). */
static int64_t vector(struct lx_thread *t, bool wr, int64_t off)
{
    uint64_t iovcnt = t->a[2];
    if (iovcnt > 1024)
        return -LX_EINVAL;
    int64_t total = 0;
    for (uint64_t i = 0; i < iovcnt; i++) {
        struct lx_iovec iov;
        if (lx_copy_in(t->proc->mm, &iov, t->a[1] + i * sizeof iov, sizeof iov))
            return total ? total : -LX_EFAULT;
        if (!iov.len)
            continue;
        int64_t r = wr ? do_write(t, FD_ARG(0), iov.base, iov.len, off < 0 ? -1 : off + total)
                       : do_read(t, FD_ARG(0), iov.base, iov.len, off < 0 ? -1 : off + total);
        if (r < 0 || r == LX_BLOCK)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < iov.len)
            break;
    }
    return total;
}

LX_SYS(readv) { return vector(t, false, -1); }
LX_SYS(writev) { return vector(t, true, -1); }
LX_SYS(preadv) { return (int64_t)t->a[3] < 0 ? -LX_EINVAL : vector(t, false, (int64_t)t->a[3]); }
LX_SYS(pwritev) { return (int64_t)t->a[3] < 0 ? -LX_EINVAL : vector(t, true, (int64_t)t->a[3]); }

/* preadv2/pwritev2 (preadv2(2)): offset -1 is the file's position, as
 * readv/writev. RWF_HIPRI, RWF_DSYNC and RWF_SYNC ask nothing of a file
 * system held in memory; RWF_NOWAIT and RWF_APPEND are EOPNOTSUPP, which
 * programs take for "do it without" (Linux's answer where a file has no
 * support for them), as are unknown flags. */
#define RWF_HIPRI 1u
#define RWF_DSYNC 2u
#define RWF_SYNC 4u
static int64_t vector2(struct lx_thread *t, bool wr)
{
    int64_t off = (int64_t)t->a[3];
    if ((uint32_t)t->a[5] != t->a[5] || (t->a[5] & ~(uint64_t)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC)))
        return -LX_EOPNOTSUPP;
    if (off < -1)
        return -LX_EINVAL;
    return vector(t, wr, off);
}
LX_SYS(preadv2) { return vector2(t, false); }
LX_SYS(pwritev2) { return vector2(t, true); }

LX_SYS(close) { return lx_fd_close(t->proc, FD_ARG(0)); }

static int64_t dup_to(struct lx_thread *t, int oldfd, int newfd, unsigned flags)
{
    struct lx_file *f = lx_fd_get(t->proc, oldfd);
    if (!f)
        return -LX_EBADF;
    if (flags & ~LX_O_CLOEXEC)
        return -LX_EINVAL;
    if (oldfd == newfd)
        return -LX_EINVAL;
    lx_file_get(f);
    return fd_install_at(t->proc, f, newfd, flags & LX_O_CLOEXEC);
}

LX_SYS(dup)
{
    struct lx_file *f = lx_fd_get(t->proc, FD_ARG(0));
    if (!f)
        return -LX_EBADF;
    lx_file_get(f);
    return lx_fd_install(t->proc, f, 0, false);
}

LX_SYS(dup2)
{
    if (FD_ARG(0) == FD_ARG(1))
        return lx_fd_get(t->proc, FD_ARG(0)) ? FD_ARG(1) : -LX_EBADF;
    return dup_to(t, FD_ARG(0), FD_ARG(1), 0);
}

LX_SYS(dup3) { return dup_to(t, FD_ARG(0), FD_ARG(1), (unsigned)t->a[2]); }

#define SETFL_MASK (LX_O_APPEND | LX_O_NONBLOCK | LX_O_DIRECT | LX_O_NOATIME)

LX_SYS(fcntl)
{
    int fd = FD_ARG(0);
    struct lx_file *f = lx_fd_get(t->proc, fd);
    if (!f)
        return -LX_EBADF;
    struct lx_fd *e = &t->proc->files->fds[fd];
    if ((f->flags & LX_O_PATH) && t->a[1] != LX_F_DUPFD && t->a[1] != LX_F_DUPFD_CLOEXEC &&
        t->a[1] != LX_F_GETFD && t->a[1] != LX_F_SETFD && t->a[1] != LX_F_GETFL)
        return -LX_EBADF;                        /* an O_PATH fd: Linux's check_fcntl_cmd */
    switch (t->a[1]) {
    case LX_F_DUPFD:
    case LX_F_DUPFD_CLOEXEC:
        if ((int64_t)t->a[2] < 0 || t->a[2] >= LX_FD_MAX)
            return -LX_EINVAL;
        lx_file_get(f);
        return lx_fd_install(t->proc, f, (int)t->a[2], t->a[1] == LX_F_DUPFD_CLOEXEC);
    case LX_F_GETFD:
        return e->cloexec ? LX_FD_CLOEXEC : 0;
    case LX_F_SETFD:
        e->cloexec = t->a[2] & LX_FD_CLOEXEC;
        return 0;
    case LX_F_GETFL:
        return f->flags & ~(LX_O_CLOEXEC | LX_FILE_DIR);
    case LX_F_SETFL:
        if (((unsigned)t->a[2] ^ f->flags) & LX_O_ASYNC) {
            /* lx_fasync_set sets the flag; a file without O_ASYNC is
             * left without it and the call succeeds, as on Linux */
            int r = lx_fasync_set(f, fd, t->a[2] & LX_O_ASYNC);
            if (r && r != -LX_ENOTTY)
                return r;
        }
        f->flags = (f->flags & ~SETFL_MASK) | ((unsigned)t->a[2] & SETFL_MASK);
        return 0;
    case LX_F_GETLK:
    case LX_F_SETLK:
    case LX_F_SETLKW:
    case LX_F_OFD_GETLK:
    case LX_F_OFD_SETLK:
    case LX_F_OFD_SETLKW:
        return lx_posix_lock(t, f, (int)t->a[1], t->a[2]);   /* flock.c */
    case LX_F_GETOWN:
        return f->owner_type == LX_F_OWNER_PGRP ? -f->owner : f->owner;
    case LX_F_SETOWN: {
        int id = (int)(int32_t)t->a[2];
        if (id == INT32_MIN)
            return -LX_EINVAL;                   /* no group -INT_MIN (Linux's check; -id would overflow) */
        return lx_fasync_setown(f, id < 0 ? LX_F_OWNER_PGRP : LX_F_OWNER_PID, id < 0 ? -id : id);
    }
    case LX_F_GETOWN_EX: {
        int32_t ex[2] = { f->owner_type, f->owner };
        return lx_copy_out(t->proc->mm, t->a[2], ex, sizeof ex);
    }
    case LX_F_SETOWN_EX: {
        int32_t ex[2];
        if (lx_copy_in(t->proc->mm, ex, t->a[2], sizeof ex))
            return -LX_EFAULT;
        return lx_fasync_setown(f, ex[0], ex[1]);
    }
    case LX_F_GETSIG:
        return f->sigio;
    case LX_F_SETSIG:
        if (t->a[2] > LX_NSIG)
            return -LX_EINVAL;
        f->sigio = (int)t->a[2];
        return 0;
    case LX_F_GETPIPE_SZ:
        return 65536;
    case LX_F_ADD_SEALS:
    case LX_F_GET_SEALS:
        return lx_memfd_seals(f, t->a[1] == LX_F_ADD_SEALS, (uint32_t)t->a[2]);   /* an int, as Linux reads it */
    default:
        return -LX_EINVAL;
    }
}

LX_SYS(ioctl)
{
    struct lx_file *f = lx_fd_io(t->proc, FD_ARG(0));
    if (!f)
        return -LX_EBADF;
    struct lx_files *fs = t->proc->files;
    switch (t->a[1]) {
    case LX_FIOCLEX:
    case LX_FIONCLEX:
        fs->fds[FD_ARG(0)].cloexec = t->a[1] == LX_FIOCLEX;
        return 0;
    case LX_FIONBIO: {
        int on;
        if (lx_copy_in(t->proc->mm, &on, t->a[2], sizeof on))
            return -LX_EFAULT;
        f->flags = on ? f->flags | LX_O_NONBLOCK : f->flags & ~LX_O_NONBLOCK;
        return 0;
    }
    case LX_FIOASYNC: {
        int on;
        if (lx_copy_in(t->proc->mm, &on, t->a[2], sizeof on))
            return -LX_EFAULT;
        if (!on == !(f->flags & LX_O_ASYNC))
            return 0;
        return lx_fasync_set(f, FD_ARG(0), on != 0);
    }
    default:
        return f->ops->ioctl ? f->ops->ioctl(t, f, t->a[1], t->a[2]) : -LX_ENOTTY;
    }
}

LX_SYS(lseek)
{
    struct lx_file *f = lx_fd_io(t->proc, FD_ARG(0));
    if (!f)
        return -LX_EBADF;
    if (!f->ops->seek)
        return -LX_ESPIPE;
    if (t->a[2] > LX_SEEK_HOLE)
        return -LX_EINVAL;
    return f->ops->seek(f, (int64_t)t->a[1], (int)t->a[2]);
}

int lx_file_stat(struct lx_file *f, struct lx_stat *st)
{
    memset(st, 0, sizeof *st);
    st->blksize = 4096;
    st->nlink = 1;
    return f->ops->stat ? f->ops->stat(f, st) : -LX_EINVAL;
}

LX_SYS(fstat)
{
    struct lx_file *f = lx_fd_get(t->proc, FD_ARG(0));
    if (!f)
        return -LX_EBADF;
    struct lx_stat st;
    int r = lx_file_stat(f, &st);
    return r ? r : lx_copy_out(t->proc->mm, t->a[1], &st, sizeof st);
}
