/*
 * file.c — files of the container's fs session (docs/FS.md) as Linux
 * sees them: open and the *at family, stat, getdents64, the calls that
 * change the tree, the working directory, and the open file's ops
 * (read, write, seek, truncate) over libaerie's fs client. The program's
 * buffers are handed to the client directly (the personality's view of
 * them), so file data moves once, from the service's shared buffer into
 * the program's memory.
 *
 * Paths are made absolute here (the working directory, or a directory
 * fd); /dev and /proc are answered by the personality (dev.c, procfs.c),
 * everything else goes to the fs session. A container without an fs
 * grant has an empty, read-only root: lookups find nothing (ENOENT) and
 * changes fail with EROFS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <libaerie/fs.h>
#include "lx.h"
#include "flock.h"
#include "sys.h"

#define DIR_BUF 4096u
#define COPY_BUF (64u << 10)      /* copy_file_range and sendfile's bounce buffer */

struct fsfile {
    uint64_t handle;
    uint64_t ino;               /* its node's (from the open): writes drop only its kept stats */
    bool dir;
    /* directories: "." and ".." first, then the service's records */
    int phase;                  /* 0: ".", 1: "..", 2: records */
    uint64_t cookie;
    bool eof;
};

static struct ae_fs *fs_conn(void)
{
    return ae_fs_default();
}

/* ---- paths ----
 * Every call that names a file passes through lx_path_at, then where()
 * (and so lx_path_normalize): about 6,000 times a run of issue 13's tree
 * workload. The paths are short and nearly always in their final form
 * already, so each routine first looks once at the path's components and
 * copies it as it is when there is nothing to change (byte loops and a
 * libc call per component were some 1,300 guest instructions a call). */

/* What one look at an absolute path's components found. */
enum { PATH_NORMAL, PATH_DOTS, PATH_DOTDOT, PATH_TRAILING };

/* PATH_NORMAL: "/" or "/a/b", no empty, "." or ".." component;
 * PATH_TRAILING: ends with "/" or "/." (not "/" itself) and has no ".."
 * component; PATH_DOTDOT: has a ".." component; PATH_DOTS: none of
 * those, but an empty or "." component inside. *len: strlen(p). */
static int path_shape(const char *p, size_t *len)
{
    int shape = PATH_NORMAL;
    const char *s = p;                    /* at a '/' */
    for (;;) {
        const char *e = s + 1;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s - 1);
        if (n == 2 && s[1] == '.' && s[2] == '.')
            return *len = strlen(e) + (size_t)(e - p), PATH_DOTDOT;
        if (!n || (n == 1 && s[1] == '.')) {
            if (!*e) {
                *len = (size_t)(e - p);
                return s == p && !n ? shape : PATH_TRAILING;   /* "/" itself is normal */
            }
            shape = PATH_DOTS;
        }
        if (!*e) {
            *len = (size_t)(e - p);
            return shape;
        }
        s = e;
    }
}

/* Lexically normalised copy of an absolute path: no ".", "..", "//". */
void lx_path_normalize(const char *in, char *out, size_t cap)
{
    size_t whole;
    if (in[0] == '/' && path_shape(in, &whole) == PATH_NORMAL && whole + 2 <= cap) {
        memcpy(out, in, whole + 1);       /* what the loop below would make of it */
        return;
    }
    size_t n = 0;
    out[n++] = '/';
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - s);
        if (!len || (len == 1 && s[0] == '.'))
            continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--;
            continue;
        }
        if (n + len + 2 > cap)
            break;
        if (n > 1)
            out[n++] = '/';
        memcpy(out + n, s, len);
        n += len;
    }
    out[n] = 0;
}

/* Spells p the one way the fs client's stat table knows it ("/a/b", as
 * getdents' directory paths are kept), where that changes nothing the fs
 * service would do: it drops "//" and "." components itself, but a ".."
 * depends on the links walked (physical), and a final "/" or "." means
 * "a directory", so such paths stay as they are. */
static void path_tidy(char *p)
{
    size_t n;
    if (p[0] != '/' || path_shape(p, &n) != PATH_DOTS)
        return;                                   /* nothing to drop, or a ".." or final "/" or "." */
    char *w = p;
    const char *r = p;
    while (*r) {
        while (*r == '/')
            r++;
        const char *s = r;
        while (*r && *r != '/')
            r++;
        size_t len = (size_t)(r - s);
        if (!len || (len == 1 && s[0] == '.'))
            continue;
        *w++ = '/';
        memmove(w, s, len);
        w += len;
    }
    *w = 0;
}

int64_t lx_path_at(struct lx_thread *t, int dirfd, uint64_t addr, char *out, bool empty_ok)
{
    char rel[LX_PATH_MAX];
    int64_t n = lx_copy_str(t->proc->mm, rel, addr, sizeof rel);
    if (n < 0)
        return n;
    if (!n && !empty_ok)
        return -LX_ENOENT;
    const char *base = t->proc->fs->cwd;
    if (rel[0] != '/' && dirfd != LX_AT_FDCWD) {
        struct lx_file *d = lx_fd_get(t->proc, dirfd);
        if (!d)
            return -LX_EBADF;
        if (n && !(d->flags & LX_FILE_DIR))
            return -LX_ENOTDIR;
        base = d->path;
    }
    if (rel[0] == '/')
        base = "";
    size_t bl = strlen(base);
    if (bl + 1 + (size_t)n + 1 > LX_PATH_MAX)
        return -LX_ENAMETOOLONG;
    memcpy(out, base, bl);
    out[bl] = '/';
    memcpy(out + bl + 1, rel, (size_t)n + 1);
    path_tidy(out);
    return 0;
}

/* Where a path leads: the fs session, /dev, or /proc. */
enum { IN_FS, IN_DEV, IN_PROC };

/* /dev/fd is Linux's symbolic link to /proc/self/fd, and /dev/stdin,
 * /dev/stdout and /dev/stderr are links to its 0, 1 and 2: bash's process
 * substitution (`<(cmd)`) hands its command /dev/fd/63. They are answered
 * as the /proc names they lead to (norm is rewritten), so a stat or an
 * open sees the file the descriptor holds. */
static bool dev_fd_alias(char *norm)
{
    static const char *const std[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(norm, std[i])) {
            snprintf(norm, LX_PATH_MAX, "/proc/self/fd/%u", i);
            return true;
        }
    if (strncmp(norm, "/dev/fd", 7) || (norm[7] && norm[7] != '/'))
        return false;
    char rest[LX_PATH_MAX];
    snprintf(rest, sizeof rest, "%s", norm + 7);
    snprintf(norm, LX_PATH_MAX, "/proc/self/fd%s", rest);
    return true;
}

/* /dev/shm, where shm_open and sem_open keep their objects (glibc and
 * musl name "/dev/shm/NAME" themselves; Python's multiprocessing locks,
 * PostgreSQL's shared memory), is a directory of the container's own
 * files: the first path that leads there makes /dev and /dev/shm (sticky,
 * everyone's) in the container's root if they are not there yet. Its
 * objects are files of the container's fs, so they are charged to its fs
 * quota as any file is and no other container sees them; a MAP_SHARED
 * mapping of one is a shared file mapping (shm.c). Linux mounts a tmpfs
 * there; here its files stay until they are unlinked or the container is
 * removed, and rmdir or rename of /dev/shm itself is EBUSY, as of a mount
 * point. */
static bool dev_shm_made;

static bool is_dev_shm(const char *norm)
{
    return !strncmp(norm, "/dev/shm", 8) && (!norm[8] || norm[8] == '/');
}

static void dev_shm_make(void)
{
    struct ae_fs *fs = fs_conn();
    if (dev_shm_made || !fs)
        return;
    struct ae_fs_stat st;
    if (ae_fs_stat(fs, "/dev/shm", &st)) {
        ae_fs_mkdir(fs, "/dev", 0755);           /* an image without /dev: EEXIST otherwise */
        if (ae_fs_mkdir(fs, "/dev/shm", 01777))
            return;                               /* no room: the path's own call says so */
        ae_fs_chmod(fs, "/dev/shm", 01777);      /* as Linux's tmpfs, whatever the fs made of the mode */
    }
    dev_shm_made = true;
}

static int where(const char *abs, char *norm)
{
    lx_path_normalize(abs, norm, LX_PATH_MAX);
    if (norm[1] != 'd' && norm[1] != 'p')
        return IN_FS;                             /* neither /dev nor /proc (nor /dev/fd's aliases) */
    if (dev_fd_alias(norm))
        return IN_PROC;
    if (is_dev_shm(norm)) {
        dev_shm_make();
        return IN_FS;
    }
    if (!strncmp(norm, "/dev/", 5) || !strcmp(norm, "/dev"))
        return IN_DEV;
    if (!strncmp(norm, "/proc/", 6) || !strcmp(norm, "/proc"))
        return IN_PROC;
    return IN_FS;
}

/* ---- stat ---- */

static void to_lx_stat(const struct ae_fs_stat *a, struct lx_stat *st)
{
    memset(st, 0, sizeof *st);
    st->dev = 0x801 + a->dev;
    st->ino = a->ino;
    st->nlink = a->nlink ? a->nlink : 1;
    st->mode = (a->type == FS_TYPE_DIR ? LX_S_IFDIR : a->type == FS_TYPE_SYMLINK ? LX_S_IFLNK
                : a->type == FS_TYPE_FIFO ? LX_S_IFIFO : LX_S_IFREG) | (a->mode & 07777);
    st->uid = a->uid;
    st->gid = a->gid;
    st->size = (int64_t)a->size;
    st->blksize = 4096;
    st->blocks = (int64_t)a->blocks;
    const uint64_t *ts[3] = { &a->atime, &a->mtime, &a->ctime };
    struct lx_timespec *out[3] = { &st->atime, &st->mtime, &st->ctime };
    for (int i = 0; i < 3; i++) {
        uint64_t ns = *ts[i] ? *ts[i] : lx.start_realtime;   /* 0: a file from before the fs kept times */
        *out[i] = (struct lx_timespec){ (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull) };
    }
}

int lx_stat_path(const char *abs, struct lx_stat *st, bool follow)
{
    char norm[LX_PATH_MAX];
    switch (where(abs, norm)) {
    case IN_DEV: return !strcmp(norm, "/dev") ? lx_dir_stat(st, 0x10) : lx_dev_stat(norm, st);
    case IN_PROC: return lx_proc_stat(norm, st);
    }
    if (!lx_unix_path_stat(norm, st))            /* a bound AF_UNIX path (unix.c) */
        return 0;
    struct ae_fs *fs = fs_conn();
    if (!fs)
        return !strcmp(norm, "/") ? lx_dir_stat(st, 2) : -LX_ENOENT;
    struct ae_fs_stat a;
    int r = follow ? ae_fs_stat(fs, abs, &a) : ae_fs_lstat(fs, abs, &a);
    if (r)
        return lx_errno(r);
    to_lx_stat(&a, st);
    return 0;
}

int lx_dir_stat(struct lx_stat *st, uint64_t ino)
{
    memset(st, 0, sizeof *st);
    st->mode = LX_S_IFDIR | 0755;
    st->nlink = 2;
    st->ino = ino;
    st->dev = 0x11;
    st->blksize = 4096;
    return 0;
}

/* ---- the open file's ops ---- */

static int64_t file_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t;
    struct fsfile *ff = f->obj;
    if (ff->dir)
        return -LX_EISDIR;
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    int64_t r = ae_fs_read(fs_conn(), ff->handle, pos, buf, n);
    if (r < 0)
        return lx_errno((int)r);
    lx_shm_overlay(ff->ino, pos, buf, (uint64_t)r);   /* bytes written through a shared mapping */
    if (off < 0)
        f->pos += (uint64_t)r;
    return r;
}

static int64_t file_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    struct fsfile *ff = f->obj;
    if ((f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EBADF;           /* now, not at a later call: a queued write's error would be late */
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    if ((f->flags & LX_O_APPEND) && off < 0) {
        struct ae_fs_stat a;
        int r = ae_fs_fstat(fs_conn(), ff->handle, &a);
        if (r)
            return lx_errno(r);
        pos = a.size;
    }
    uint64_t limit = t->proc->rlim[LX_RLIMIT_FSIZE].cur;
    if (pos >= limit) {
        struct lx_siginfo si = { .code = LX_SI_KERNEL };
        lx_signal_send(t->proc, t, LX_SIGXFSZ, &si);
        return -LX_EFBIG;
    }
    if (n > limit - pos)
        n = limit - pos;
    /* Small writes are queued (docs/FS.md, "Write-behind"): the next
     * request of the container's connection carries them, and anything
     * that could see them (a read, a stat, another open) goes after.
     * Not while the container maps a file MAP_SHARED: the bytes go into
     * the shared pages below only once the fs took them, so a write the
     * fs refuses later never shows in a mapping (or a private mapping
     * made from it) as if the file held it. */
    bool late = false;
    int64_t r;
    if (lx_shm_any()) {
        r = ae_fs_late_error(fs_conn(), ff->handle);
        late = r != 0;
        if (!late)
            r = ae_fs_write(fs_conn(), ff->handle, pos, buf, n);
    } else {
        r = ae_fs_write_behind_late(fs_conn(), ff->handle, ff->ino, pos, buf, n, &late);
    }
    /* the fs's pages come from the container's memory, as the programs'
     * cache's do: a full container first gets back what the cache alone
     * keeps. An earlier queued write's ENOSPC (late: nothing of this one
     * was done) is the program's to hear, not hidden by doing this one:
     * the cache is trimmed so that its next try has the room. */
    if (late && (r == AE_ENOSPC || r == AE_ENOMEM))
        lx_exe_cache_trim();
    else if ((r == AE_ENOSPC || r == AE_ENOMEM || (r >= 0 && (uint64_t)r < n)) && lx_exe_cache_trim()) {
        uint64_t done = r > 0 ? (uint64_t)r : 0;
        int64_t more = ae_fs_write_behind_node(fs_conn(), ff->handle, ff->ino, pos + done,
                                               (const uint8_t *)buf + done, n - done);
        r = more < 0 ? (done ? (int64_t)done : more) : (int64_t)done + more;
    }
    if (r < 0)
        return lx_errno((int)r);
    if (r == 0 && n)
        return -LX_ENOSPC;
    lx_shm_wrote(ff->ino, pos, buf, (uint64_t)r);     /* seen by its shared mappings at once */
    if (off < 0)
        f->pos = pos + (uint64_t)r;
    return r;
}

int lx_fs_handle_stat(uint64_t handle, struct lx_stat *st)
{
    struct ae_fs_stat a;
    int r = ae_fs_fstat(fs_conn(), handle, &a);
    if (r)
        return lx_errno(r);
    to_lx_stat(&a, st);
    return 0;
}

void lx_fs_handle_close(uint64_t handle)
{
    ae_fs_close_behind(fs_conn(), handle);
}

static int file_stat(struct lx_file *f, struct lx_stat *st)
{
    struct fsfile *ff = f->obj;
    struct ae_fs_stat a;
    int r = ae_fs_fstat(fs_conn(), ff->handle, &a);
    if (r)
        return lx_errno(r);
    to_lx_stat(&a, st);
    return 0;
}

static int64_t file_seek(struct lx_file *f, int64_t off, int whence)
{
    struct fsfile *ff = f->obj;
    int64_t base = 0;
    if (ff->dir) {
        if (off != 0 || whence != LX_SEEK_SET)
            return -LX_EINVAL;
        ff->phase = 0;
        ff->cookie = 0;
        ff->eof = false;
        f->pos = 0;
        return 0;
    }
    if (whence == LX_SEEK_CUR) {
        base = (int64_t)f->pos;
    } else if (whence != LX_SEEK_SET) {
        struct ae_fs_stat a;
        int r = ae_fs_fstat(fs_conn(), ff->handle, &a);
        if (r)
            return lx_errno(r);
        base = (int64_t)a.size;
        if (whence == LX_SEEK_DATA && off >= base)
            return -LX_ENXIO;
        if (whence == LX_SEEK_DATA)
            base = 0;
        if (whence == LX_SEEK_HOLE)
            return off > base ? -LX_ENXIO : base;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -LX_EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

static int file_truncate(struct lx_file *f, uint64_t size)
{
    struct fsfile *ff = f->obj;
    if (ff->dir)
        return -LX_EISDIR;
    int r = lx_errno(ae_fs_ftruncate(fs_conn(), ff->handle, size));
    if (!r)
        lx_shm_truncated(ff->ino, size);          /* shared pages past the end read zero again */
    return r;
}

static unsigned file_poll(struct lx_file *f, struct lx_thread *t)
{
    (void)f, (void)t;
    return LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM;
}

static int64_t file_ioctl(struct lx_thread *t, struct lx_file *f, uint64_t req, uint64_t arg)
{
    if (req != LX_FIONREAD)
        return -LX_ENOTTY;
    struct lx_stat st;
    int r = file_stat(f, &st);
    if (r)
        return r;
    int32_t avail = st.size > (int64_t)f->pos ? (int32_t)(st.size - (int64_t)f->pos) : 0;
    return lx_copy_out(t->proc->mm, arg, &avail, sizeof avail);
}

/* One linux_dirent64 record into buf at *at (false: no room). */
bool lx_dirent_put(uint8_t *buf, uint64_t cap, uint64_t *at, uint64_t ino, int64_t off, uint8_t type,
                   const char *name, size_t len)
{
    uint64_t rec = (sizeof(struct lx_dirent64) + len + 1 + 7) & ~7ull;
    if (*at + rec > cap)
        return false;
    struct lx_dirent64 *d = (struct lx_dirent64 *)(buf + *at);
    d->ino = ino;
    d->off = off;
    d->reclen = (uint16_t)rec;
    d->type = type;
    memcpy(d->name, name, len);
    memset(d->name + len, 0, rec - sizeof *d - len);
    *at += rec;
    return true;
}

static int64_t file_getdents(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n)
{
    (void)t;
    struct fsfile *ff = f->obj;
    if (!ff->dir)
        return -LX_ENOTDIR;
    uint64_t at = 0;
    while (ff->phase < 2) {
        /* "." is the directory itself, whose node the open named: no
         * stat (an fs round trip for every directory find or rm lists). */
        uint64_t ino = ff->ino;
        if (ff->phase) {
            struct lx_stat st;
            char parent[LX_PATH_MAX + 4];
            snprintf(parent, sizeof parent, "%s/..", f->path);
            ino = lx_stat_path(parent, &st, true) ? 1 : st.ino;
        }
        if (!lx_dirent_put(buf, n, &at, ino, ff->phase + 1, LX_DT_DIR, "..", (size_t)ff->phase + 1))
            return at ? (int64_t)at : -LX_EINVAL;
        ff->phase++;
    }
    /* Records with their entries' stats (kept by the fs client, so that
     * the lstat of each name that find or rm -r makes next is a copy) are
     * about 100 bytes longer than a Linux dirent: hence more room. */
    static uint8_t recs[DIR_BUF * 4];
    while (!ff->eof) {
        uint64_t next;
        bool eof, stats;
        uint64_t room = n - at;
        int64_t got = ae_fs_readdir_keep(fs_conn(), ff->handle, ff->cookie, recs,
                                         room < DIR_BUF ? room * 4 : sizeof recs, &next, &eof, f->path,
                                         ff->ino, &stats);
        if (got < 0)
            return at ? (int64_t)at : lx_errno((int)got);
        uint64_t used = 0, cookie = ff->cookie;
        while (used + sizeof(struct fs_dirent_rec) <= (uint64_t)got) {
            const struct fs_dirent_rec *r = (const struct fs_dirent_rec *)(recs + used);
            if (!r->rec_len || used + r->rec_len > (uint64_t)got)
                break;
            uint8_t type = r->type == FS_TYPE_DIR ? LX_DT_DIR : r->type == FS_TYPE_SYMLINK ? LX_DT_LNK
                           : r->type == FS_TYPE_FIFO ? LX_DT_FIFO : LX_DT_REG;
            if (!lx_dirent_put(buf, n, &at, r->ino, (int64_t)r->cookie + 3, type, (const char *)(r + 1),
                               r->name_len))
                break;
            cookie = r->cookie;
            used += r->rec_len;
        }
        if (used < (uint64_t)got) {             /* out of room: continue from the last one taken */
            ff->cookie = cookie;
            return at ? (int64_t)at : -LX_EINVAL;
        }
        ff->cookie = next;
        ff->eof = eof;
        if (!got)
            break;
    }
    return (int64_t)at;
}

static void file_release(struct lx_file *f)
{
    struct fsfile *ff = f->obj;
    ae_fs_close_behind(fs_conn(), ff->handle);   /* rides on the next request; no one asks its answer */
    free(ff);
}

static const struct lx_file_ops file_ops = {
    .kind = "file", .read = file_read, .write = file_write, .stat = file_stat, .seek = file_seek,
    .poll = file_poll, .ioctl = file_ioctl, .getdents = file_getdents, .truncate = file_truncate,
    .release = file_release,
};

/* ---- opening ---- */

static uint32_t fs_flags(unsigned o)
{
    uint32_t f = (o & LX_O_ACCMODE) == LX_O_WRONLY ? FS_O_WRONLY : (o & LX_O_ACCMODE) == LX_O_RDWR ? FS_O_RDWR
                                                                                                    : FS_O_RDONLY;
    if (o & LX_O_CREAT)
        f |= FS_O_CREAT;
    if (o & LX_O_EXCL)
        f |= FS_O_EXCL;
    if (o & LX_O_TRUNC)
        f |= FS_O_TRUNC;
    if (o & LX_O_APPEND)
        f |= FS_O_APPEND;
    if (o & LX_O_DIRECTORY)
        f |= FS_O_DIRECTORY;
    if (o & LX_O_NOFOLLOW)
        f |= FS_O_NOFOLLOW;
    return f;
}

/* An O_PATH|O_NOFOLLOW descriptor of a symbolic link: Linux gives the
 * link itself, which fstat, fstatat(AT_EMPTY_PATH) and readlinkat(fd, "")
 * describe and nothing reads or writes. The fs holds no handle on a link,
 * so the file keeps the link's whole path (its obj) and asks by path:
 * glibc's fchmodat(AT_SYMLINK_NOFOLLOW), which tar calls for every link
 * it extracts, opens one, fstats it and answers EOPNOTSUPP for a link. */
static int link_stat(struct lx_file *f, struct lx_stat *st)
{
    return lx_stat_path(f->obj, st, false);
}

static void link_release(struct lx_file *f)
{
    free(f->obj);
}

static const struct lx_file_ops link_ops = { .kind = "link", .stat = link_stat, .release = link_release };

/* The link abs that open(O_PATH|O_NOFOLLOW) met (ELOOP from the fs): a
 * link file, or the error Linux gives (ELOOP from a loop on the way). */
static int open_link(const char *abs, const char *norm, unsigned flags, struct lx_file **out)
{
    struct lx_stat st;
    int r = lx_stat_path(abs, &st, false);
    if (r)
        return r;
    if ((st.mode & LX_S_IFMT) != LX_S_IFLNK)
        return -LX_ELOOP;
    if (flags & LX_O_DIRECTORY)
        return -LX_ENOTDIR;
    char *path = strdup(abs);
    struct lx_file *f = path ? lx_file_new(&link_ops, flags & ~LX_O_CLOEXEC, path) : NULL;
    if (!f) {
        free(path);
        return -LX_ENOMEM;
    }
    memcpy(f->path, norm, strnlen(norm, sizeof f->path - 1));
    *out = f;
    return 0;
}

static bool is_link_file(const struct lx_file *f)
{
    return f && f->ops == &link_ops;
}

/* Set by open(2) alone: a FIFO it meets is opened as one (pipe.c), which
 * may wait; any other opener (exec's, which checked for a regular file
 * first) gets the node's handle, which reads nothing. */
static bool fifo_opens;

/* Opens abs in the fs session; *out gets the file (LX_BLOCK: a FIFO's
 * open waits for its partner). */
/* /etc/hosts when the image has none. A container runtime writes one
 * into each container (Docker: localhost and the container's name), so
 * images made from a registry's layers carry none, and without it glibc's
 * and musl's getaddrinfo("localhost") found nothing ("Temporary failure
 * in name resolution"). The first open that finds no /etc/hosts writes
 * one — localhost and the host name (uname's) — as a file of the
 * container's own: charged to its fs quota, its to change or remove (it
 * is written once a run). IPv4 only: the personality has no AF_INET6
 * sockets, and a ::1 line would make programs try one first. */
static bool etc_hosts_make(struct ae_fs *fs)
{
    static bool tried;
    if (tried)
        return false;
    tried = true;
    const char *h = lx_hostname();
    bool plain = *h && strcmp(h, "localhost");
    for (const char *c = h; *c; c++)             /* a name sethostname made odd: left out */
        plain = plain && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                          *c == '-' || *c == '.');
    char text[160];
    int n = snprintf(text, sizeof text, "127.0.0.1\tlocalhost\n%s%s%s", plain ? "127.0.1.1\t" : "",
                     plain ? h : "", plain ? "\n" : "");
    ae_fs_mkdir(fs, "/etc", 0755);              /* EEXIST in nearly every image */
    uint64_t handle;
    struct ae_fs_stat st;
    if (ae_fs_open(fs, "/etc/hosts", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644, &handle, &st))
        return false;
    int64_t w = ae_fs_write(fs, handle, 0, text, (uint64_t)n);
    ae_fs_close(fs, handle);
    return w == n;
}

static int64_t open_fs(struct lx_thread *t, const char *abs, const char *norm, unsigned flags, unsigned mode,
                   struct lx_file **out)
{
    struct ae_fs *fs = fs_conn();
    if (!fs && !strcmp(norm, "/")) {
        /* no fs grant: the root is empty and read-only, but there (stat
         * says a directory), so ls / and a walk from it work; it shows
         * the two trees this personality answers itself */
        static const struct lx_dirent_name names[] = { { LX_DT_DIR, "dev" }, { LX_DT_DIR, "proc" } };
        return lx_listing_open("/", 2, names, 2, flags & ~LX_O_CLOEXEC, out);
    }
    if (!fs)
        return flags & LX_O_CREAT ? -LX_EROFS : -LX_ENOENT;
    /* O_PATH keeps O_NOFOLLOW: Linux gives the link itself (open_link),
     * never its target (glibc's lchmod fstats the result to refuse a
     * link, else chmods through it) */
    if (flags & LX_O_PATH)
        flags = LX_O_RDONLY | (flags & (LX_O_DIRECTORY | LX_O_CLOEXEC | LX_O_PATH | LX_O_NOFOLLOW));
    uint64_t handle;
    struct ae_fs_stat st;
    int r = ae_fs_open_reading(fs, abs, fs_flags(flags), mode & ~t->proc->fs->umask & 07777, &handle, &st);
    if (r == AE_ELOOP && (flags & LX_O_PATH) && (flags & LX_O_NOFOLLOW))
        return open_link(abs, norm, flags, out);
    if (r == AE_EISDIR && !(flags & (LX_O_WRONLY | LX_O_RDWR)))
        r = ae_fs_open(fs, abs, FS_O_RDONLY | FS_O_DIRECTORY, 0, &handle, &st);
    if (r == AE_ENOENT && !strcmp(norm, "/etc/hosts") && etc_hosts_make(fs))
        r = ae_fs_open_reading(fs, abs, fs_flags(flags), mode & ~t->proc->fs->umask & 07777, &handle, &st);
    if (r)
        return lx_errno(r);
    if (st.type == FS_TYPE_FIFO && fifo_opens && !(flags & LX_O_PATH))
        return lx_fifo_open(t, (uint64_t)st.dev << 48 ^ st.ino, handle, flags, norm, out);
    struct fsfile *ff = calloc(1, sizeof *ff);
    struct lx_file *f = ff ? lx_file_new(&file_ops, flags & ~LX_O_CLOEXEC, ff) : NULL;
    if (!f) {
        free(ff);
        ae_fs_close(fs, handle);
        return -LX_ENOMEM;
    }
    ff->handle = handle;
    ff->ino = st.ino;
    ff->dir = st.type == FS_TYPE_DIR;
    if (ff->dir)
        f->flags |= LX_FILE_DIR;
    memcpy(f->path, norm, strnlen(norm, sizeof f->path - 1));   /* f came zeroed */
    *out = f;
    return 0;
}

int64_t lx_open_abs(struct lx_thread *t, const char *abs, unsigned flags, unsigned mode, struct lx_file **out)
{
    char norm[LX_PATH_MAX];
    switch (where(abs, norm)) {
    case IN_DEV:
        return lx_dev_open(norm, flags & ~LX_O_CLOEXEC, out);
    case IN_PROC:
        return lx_proc_open(t, norm, flags & ~LX_O_CLOEXEC, out);
    default: {
        struct lx_stat st;
        if (!lx_unix_path_stat(norm, &st))       /* a socket: Linux's open says ENXIO */
            return -LX_ENXIO;
        return open_fs(t, abs, norm, flags, mode, out);
    }
    }
}

static int64_t do_open(struct lx_thread *t, int dirfd, uint64_t path, unsigned flags, unsigned mode)
{
    char abs[LX_PATH_MAX];
    struct lx_file *f;
    int64_t r;
    if (t->fifo_wait) {                           /* a FIFO's open run again: still waiting? */
        if ((r = lx_fifo_resume(t, &f)))
            return r;
        return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
    }
    if ((r = lx_path_at(t, dirfd, path, abs, false)))
        return r;
    if ((flags & LX_O_TMPFILE) == LX_O_TMPFILE)
        return -LX_EOPNOTSUPP;
    fifo_opens = true;
    r = lx_open_abs(t, abs, flags, mode, &f);
    fifo_opens = false;
    if (r)
        return r;
    return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
}

LX_SYS(open) { return do_open(t, LX_AT_FDCWD, t->a[0], (unsigned)t->a[1], (unsigned)t->a[2]); }
LX_SYS(openat) { return do_open(t, (int)t->a[0], t->a[1], (unsigned)t->a[2], (unsigned)t->a[3]); }
LX_SYS(creat) { return do_open(t, LX_AT_FDCWD, t->a[0], LX_O_CREAT | LX_O_WRONLY | LX_O_TRUNC, (unsigned)t->a[1]); }

LX_SYS(openat2)
{
    struct { uint64_t flags, mode, resolve; } how = { 0 };
    if (t->a[3] < 24 || lx_copy_in(t->proc->mm, &how, t->a[2], 24))
        return -LX_EINVAL;
    if (how.resolve)
        return -LX_EOPNOTSUPP;
    return do_open(t, (int)t->a[0], t->a[1], (unsigned)how.flags, (unsigned)how.mode);
}

/* ---- stat family ---- */

static int64_t stat_at(struct lx_thread *t, int dirfd, uint64_t path, int flags, struct lx_stat *st)
{
    char abs[LX_PATH_MAX];
    int64_t r = lx_path_at(t, dirfd, path, abs, flags & LX_AT_EMPTY_PATH);
    if (r)
        return r;
    /* without AT_EMPTY_PATH lx_path_at refused an empty path */
    char rel0 = 1;
    if ((flags & LX_AT_EMPTY_PATH) && lx_copy_in(t->proc->mm, &rel0, path, 1))
        return -LX_EFAULT;
    if (!rel0) {                                  /* AT_EMPTY_PATH: the fd itself */
        struct lx_file *f = dirfd == LX_AT_FDCWD ? NULL : lx_fd_get(t->proc, dirfd);
        if (dirfd == LX_AT_FDCWD)
            return lx_stat_path(t->proc->fs->cwd, st, true);
        return f ? lx_file_stat(f, st) : -LX_EBADF;
    }
    return lx_stat_path(abs, st, !(flags & LX_AT_SYMLINK_NOFOLLOW));
}

static int64_t stat_out(struct lx_thread *t, int dirfd, uint64_t path, int flags, uint64_t buf)
{
    struct lx_stat st;
    int64_t r = stat_at(t, dirfd, path, flags, &st);
    return r ? r : lx_copy_out(t->proc->mm, buf, &st, sizeof st);
}

LX_SYS(stat) { return stat_out(t, LX_AT_FDCWD, t->a[0], 0, t->a[1]); }
LX_SYS(lstat) { return stat_out(t, LX_AT_FDCWD, t->a[0], LX_AT_SYMLINK_NOFOLLOW, t->a[1]); }
LX_SYS(newfstatat) { return stat_out(t, (int)t->a[0], t->a[1], (int)t->a[3], t->a[2]); }

LX_SYS(statx)
{
    struct lx_stat st;
    int64_t r = stat_at(t, (int)t->a[0], t->a[1], (int)t->a[2], &st);
    if (r)
        return r;
    struct lx_statx x;
    memset(&x, 0, sizeof x);
    x.mask = LX_STATX_BASIC_STATS;
    x.blksize = (uint32_t)st.blksize;
    x.nlink = (uint32_t)st.nlink;
    x.uid = st.uid;
    x.gid = st.gid;
    x.mode = (uint16_t)st.mode;
    x.ino = st.ino;
    x.size = (uint64_t)st.size;
    x.blocks = (uint64_t)st.blocks;
    x.atime.sec = st.atime.sec;
    x.mtime.sec = st.mtime.sec;
    x.ctime.sec = st.ctime.sec;
    x.rdev_major = (uint32_t)(st.rdev >> 8);
    x.rdev_minor = (uint32_t)(st.rdev & 0xff);
    x.dev_major = (uint32_t)(st.dev >> 8);
    x.dev_minor = (uint32_t)(st.dev & 0xff);
    return lx_copy_out(t->proc->mm, t->a[4], &x, sizeof x);
}

static int64_t access_at(struct lx_thread *t, int dirfd, uint64_t path, unsigned mode, int flags)
{
    if (mode & ~7u)
        return -LX_EINVAL;
    struct lx_stat st;
    int64_t r = stat_at(t, dirfd, path, flags, &st);
    if (r)
        return r;
    /* root reads and writes everything; it executes what has an x bit */
    if ((mode & 1) && !(st.mode & 0111) && (st.mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_EACCES;
    return 0;
}

LX_SYS(access) { return access_at(t, LX_AT_FDCWD, t->a[0], (unsigned)t->a[1], 0); }

/* Extended attributes: the fs keeps none. A file that exists has no
 * attribute to get (ENODATA) and an empty list, which is how ls, cp and
 * tar learn that it carries no ACL or security label; setting one is
 * EOPNOTSUPP, as on a Linux file system without them. */
static int64_t xattr_at(struct lx_thread *t, int fd, uint64_t path, int flags, bool list)
{
    struct lx_stat st;
    if (fd >= 0 && !lx_fd_get(t->proc, fd))
        return -LX_EBADF;
    int64_t r = fd >= 0 ? 0 : stat_at(t, LX_AT_FDCWD, path, flags, &st);
    return r ? r : list ? 0 : -LX_ENODATA;
}

/* Setting one: EOPNOTSUPP once the file and the arguments are checked,
 * as a Linux file system without extended attributes answers (sed -i and
 * cp -a copy a file's ACL this way, and take that answer as "none to
 * copy"); removing one: ENODATA, as getxattr says there is none. */
#define LX_XATTR_CREATE  1
#define LX_XATTR_REPLACE 2
#define LX_XATTR_NAME_MAX 255
#define LX_XATTR_SIZE_MAX 65536
static int64_t xattr_change(struct lx_thread *t, int fd, uint64_t path, int flags, uint64_t name,
                            uint64_t size, int how, bool remove)
{
    char nm[LX_XATTR_NAME_MAX + 2];
    if (!remove && (how & ~(LX_XATTR_CREATE | LX_XATTR_REPLACE)))
        return -LX_EINVAL;
    int64_t n = lx_copy_str(t->proc->mm, nm, name, sizeof nm);
    if (n < 0)
        return n == -LX_ENAMETOOLONG ? -LX_ERANGE : n;
    if (n == 0 || n > LX_XATTR_NAME_MAX)
        return -LX_ERANGE;
    if (!remove && size > LX_XATTR_SIZE_MAX)
        return -LX_E2BIG;
    int64_t r = xattr_at(t, fd, path, flags, true);
    if (r)
        return r;
    return remove ? -LX_ENODATA : -LX_EOPNOTSUPP;
}

LX_SYS(setxattr) { return xattr_change(t, -1, t->a[0], 0, t->a[1], t->a[3], (int)t->a[4], false); }
LX_SYS(lsetxattr) { return xattr_change(t, -1, t->a[0], LX_AT_SYMLINK_NOFOLLOW, t->a[1], t->a[3], (int)t->a[4], false); }
LX_SYS(fsetxattr) { return xattr_change(t, (int)t->a[0], 0, 0, t->a[1], t->a[3], (int)t->a[4], false); }
LX_SYS(removexattr) { return xattr_change(t, -1, t->a[0], 0, t->a[1], 0, 0, true); }
LX_SYS(lremovexattr) { return xattr_change(t, -1, t->a[0], LX_AT_SYMLINK_NOFOLLOW, t->a[1], 0, 0, true); }
LX_SYS(fremovexattr) { return xattr_change(t, (int)t->a[0], 0, 0, t->a[1], 0, 0, true); }
LX_SYS(getxattr) { return xattr_at(t, -1, t->a[0], 0, false); }
LX_SYS(lgetxattr) { return xattr_at(t, -1, t->a[0], LX_AT_SYMLINK_NOFOLLOW, false); }
LX_SYS(fgetxattr) { return xattr_at(t, (int)t->a[0], 0, 0, false); }
LX_SYS(listxattr) { return xattr_at(t, -1, t->a[0], 0, true); }
LX_SYS(llistxattr) { return xattr_at(t, -1, t->a[0], LX_AT_SYMLINK_NOFOLLOW, true); }
LX_SYS(flistxattr) { return xattr_at(t, (int)t->a[0], 0, 0, true); }
LX_SYS(faccessat) { return access_at(t, (int)t->a[0], t->a[1], (unsigned)t->a[2], 0); }
LX_SYS(faccessat2) { return access_at(t, (int)t->a[0], t->a[1], (unsigned)t->a[2], (int)t->a[3]); }

/* ---- changing the tree ---- */

/* Whether abs is /dev/shm itself (a mount point on Linux). */
static bool shm_root(const char *abs)
{
    char norm[LX_PATH_MAX];
    lx_path_normalize(abs, norm, LX_PATH_MAX);
    return !strcmp(norm, "/dev/shm");
}

/* The fs path of a program's path argument, refusing /dev and /proc
 * (but for /dev/shm, the container's own files). */
static int64_t fs_path(struct lx_thread *t, int dirfd, uint64_t addr, char *abs)
{
    int64_t r = lx_path_at(t, dirfd, addr, abs, false);
    if (r)
        return r;
    char norm[LX_PATH_MAX];
    if (where(abs, norm) != IN_FS)
        return -LX_EPERM;
    return fs_conn() ? 0 : -LX_EROFS;
}

static int64_t mkdir_at(struct lx_thread *t, int dirfd, uint64_t path, unsigned mode)
{
    char abs[LX_PATH_MAX];
    int64_t r = fs_path(t, dirfd, path, abs);
    return r ? r : lx_errno(ae_fs_mkdir(fs_conn(), abs, mode & ~t->proc->fs->umask & 07777));
}

/* mknod: FIFOs (an fs FIFO node; pipe.c opens it) and regular files
 * (an empty one, as Linux makes); a device is EPERM, as in a container
 * without CAP_MKNOD; a socket node EPERM too (the fs keeps none: bind
 * makes AF_UNIX names, unix.c); a directory EPERM and any other type
 * EINVAL, as Linux. */
static int64_t mknod_at(struct lx_thread *t, int dirfd, uint64_t path, unsigned mode)
{
    char abs[LX_PATH_MAX];
    unsigned type = mode & LX_S_IFMT;
    if (type != 0 && type != LX_S_IFREG && type != LX_S_IFIFO && type != LX_S_IFCHR && type != LX_S_IFBLK &&
        type != LX_S_IFSOCK && type != LX_S_IFDIR)
        return -LX_EINVAL;
    int64_t r = fs_path(t, dirfd, path, abs);
    if (r)
        return r;
    if (type == LX_S_IFCHR || type == LX_S_IFBLK || type == LX_S_IFSOCK || type == LX_S_IFDIR)
        return -LX_EPERM;
    unsigned perm = mode & ~t->proc->fs->umask & 07777;
    if (type == LX_S_IFIFO)
        return lx_errno(ae_fs_mkfifoat(fs_conn(), 0, abs, perm));
    uint64_t h;
    struct ae_fs_stat st;
    if ((r = ae_fs_open(fs_conn(), abs, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, perm, &h, &st)))
        return lx_errno((int)r);
    ae_fs_close_behind(fs_conn(), h);
    return 0;
}

LX_SYS(mknod) { return mknod_at(t, LX_AT_FDCWD, t->a[0], (unsigned)t->a[1]); }
LX_SYS(mknodat) { return mknod_at(t, (int)t->a[0], t->a[1], (unsigned)t->a[2]); }

LX_SYS(mkdir) { return mkdir_at(t, LX_AT_FDCWD, t->a[0], (unsigned)t->a[1]); }
LX_SYS(mkdirat) { return mkdir_at(t, (int)t->a[0], t->a[1], (unsigned)t->a[2]); }

static int64_t unlink_at(struct lx_thread *t, int dirfd, uint64_t path, int flags)
{
    char abs[LX_PATH_MAX];
    if (flags & ~LX_AT_REMOVEDIR)
        return -LX_EINVAL;
    if (!(flags & LX_AT_REMOVEDIR) && lx_unix_paths_bound() &&     /* a bound AF_UNIX path (unix.c), */
        !lx_path_at(t, dirfd, path, abs, false) && !lx_unix_path_unlink(abs))   /* with or without fs */
        return 0;
    int64_t r = fs_path(t, dirfd, path, abs);
    if (r)
        return r;
    if ((flags & LX_AT_REMOVEDIR) && shm_root(abs))
        return -LX_EBUSY;
    /* An unlink the connection's kept stats prove will work is queued. */
    return lx_errno(flags & LX_AT_REMOVEDIR ? ae_fs_rmdir(fs_conn(), abs) : ae_fs_unlink_behind(fs_conn(), abs));
}

LX_SYS(unlink) { return unlink_at(t, LX_AT_FDCWD, t->a[0], 0); }
LX_SYS(rmdir) { return unlink_at(t, LX_AT_FDCWD, t->a[0], LX_AT_REMOVEDIR); }
LX_SYS(unlinkat) { return unlink_at(t, (int)t->a[0], t->a[1], (int)t->a[2]); }

static int64_t rename_at(struct lx_thread *t, int olddir, uint64_t from, int newdir, uint64_t to, unsigned flags)
{
    char a[LX_PATH_MAX], b[LX_PATH_MAX];
    if (flags & ~1u)                              /* RENAME_NOREPLACE only */
        return -LX_EINVAL;
    int64_t r = fs_path(t, olddir, from, a);
    if (!r)
        r = fs_path(t, newdir, to, b);
    if (r)
        return r;
    if (shm_root(a) || shm_root(b))
        return -LX_EBUSY;
    if (flags) {
        struct lx_stat st;
        if (!lx_stat_path(b, &st, false))
            return -LX_EEXIST;
    }
    return lx_errno(ae_fs_rename(fs_conn(), a, b));
}

LX_SYS(rename) { return rename_at(t, LX_AT_FDCWD, t->a[0], LX_AT_FDCWD, t->a[1], 0); }
LX_SYS(renameat) { return rename_at(t, (int)t->a[0], t->a[1], (int)t->a[2], t->a[3], 0); }
LX_SYS(renameat2) { return rename_at(t, (int)t->a[0], t->a[1], (int)t->a[2], t->a[3], (unsigned)t->a[4]); }

LX_SYS(truncate)
{
    char abs[LX_PATH_MAX];
    if ((int64_t)t->a[1] < 0)
        return -LX_EINVAL;
    int64_t r = fs_path(t, LX_AT_FDCWD, t->a[0], abs);
    if (r)
        return r;
    struct lx_stat st;
    bool node = lx_shm_any() && !lx_stat_path(abs, &st, true);   /* its shared pages, if it has any */
    r = lx_errno(ae_fs_truncate(fs_conn(), abs, t->a[1]));
    if (!r && node)
        lx_shm_truncated(st.ino, t->a[1]);
    return r;
}

LX_SYS(ftruncate)
{
    struct lx_file *f = lx_fd_io(t->proc, (int)t->a[0]);
    if (!f || (f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return f ? -LX_EINVAL : -LX_EBADF;
    if ((int64_t)t->a[1] < 0)
        return -LX_EINVAL;
    return f->ops->truncate ? f->ops->truncate(f, t->a[1]) : -LX_EINVAL;
}

LX_SYS(fallocate)
{
    struct lx_file *f = lx_fd_io(t->proc, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    if (t->a[1] || !f->ops->truncate || !f->ops->stat)
        return -LX_EOPNOTSUPP;
    struct lx_stat st;
    int r = lx_file_stat(f, &st);
    uint64_t end = t->a[2] + t->a[3];
    return r ? r : (uint64_t)st.size < end ? f->ops->truncate(f, end) : 0;
}

/* Modes, owners and times go to the fs service (which keeps them); for
 * /dev and /proc they are accepted as long as the name is there. */
static int64_t exists_at(struct lx_thread *t, int dirfd, uint64_t path, int flags)
{
    struct lx_stat st;
    return stat_at(t, dirfd, path, flags, &st);
}

static struct fsfile *fs_file_of(struct lx_file *f)
{
    return f && f->ops == &file_ops ? f->obj : NULL;
}

bool lx_fs_node(struct lx_file *f, uint64_t *handle, uint64_t *ino)
{
    struct fsfile *ff = fs_file_of(f);
    if (!ff)
        return false;
    *handle = ff->handle;
    *ino = ff->ino;
    return true;
}

/* The fs path of (dirfd, path), 1 if it is /dev or /proc (or there is no
 * fs), or -errno. AT_EMPTY_PATH with an empty path: 2, *fp the fd's file. */
static int64_t meta_path(struct lx_thread *t, int dirfd, uint64_t path, int flags, char *abs, struct lx_file **fp)
{
    char c0;
    if (path && lx_copy_in(t->proc->mm, &c0, path, 1))
        return -LX_EFAULT;
    if (!path || (!c0 && (flags & LX_AT_EMPTY_PATH))) {
        /* fchmod, fchown, futimens take no O_PATH fd (EBADF); the *at
         * calls with AT_EMPTY_PATH do, as Linux's */
        *fp = path ? lx_fd_get(t->proc, dirfd) : lx_fd_io(t->proc, dirfd);
        return *fp ? 2 : -LX_EBADF;
    }
    int64_t r = lx_path_at(t, dirfd, path, abs, false);
    if (r)
        return r;
    char norm[LX_PATH_MAX];
    if (where(abs, norm) != IN_FS || !fs_conn()) {
        r = exists_at(t, dirfd, path, flags);
        return r ? r : 1;
    }
    return 0;
}

static int64_t chmod_at(struct lx_thread *t, int dirfd, uint64_t path, unsigned mode, int flags)
{
    char abs[LX_PATH_MAX];
    struct lx_file *f = NULL;
    int64_t r = meta_path(t, dirfd, path, flags, abs, &f);
    if (r == 2) {
        struct fsfile *ff = fs_file_of(f);
        return ff ? lx_errno(ae_fs_fchmod(fs_conn(), ff->handle, mode & 07777)) : 0;
    }
    if ((r == 0 || r == 1) && !lx_unix_path_chmod(abs, mode))   /* a bound AF_UNIX path (unix.c) */
        return 0;
    if (r)
        return r < 0 ? r : 0;
    return lx_errno(ae_fs_chmodat(fs_conn(), 0, abs, mode & 07777,
                                  flags & LX_AT_SYMLINK_NOFOLLOW ? FS_AT_NOFOLLOW : 0));
}

static int64_t chown_at(struct lx_thread *t, int dirfd, uint64_t path, uint64_t uid, uint64_t gid, int flags)
{
    char abs[LX_PATH_MAX];
    struct lx_file *f = NULL;
    uint32_t u = (uint32_t)uid == 0xFFFFFFFFu ? FS_ID_KEEP : (uint32_t)uid;
    uint32_t g = (uint32_t)gid == 0xFFFFFFFFu ? FS_ID_KEEP : (uint32_t)gid;
    int64_t r = meta_path(t, dirfd, path, flags, abs, &f);
    if (r == 2) {
        struct fsfile *ff = fs_file_of(f);
        return ff ? lx_errno(ae_fs_fchown(fs_conn(), ff->handle, u, g)) : 0;
    }
    if (r)
        return r < 0 ? r : 0;
    struct lx_stat st;
    if (!lx_unix_path_stat(abs, &st))            /* a bound AF_UNIX path: its owner stays root */
        return 0;
    return lx_errno(ae_fs_chownat(fs_conn(), 0, abs, u, g, flags & LX_AT_SYMLINK_NOFOLLOW ? FS_AT_NOFOLLOW : 0));
}

LX_SYS(chmod) { return chmod_at(t, LX_AT_FDCWD, t->a[0], (unsigned)t->a[1], 0); }
LX_SYS(fchmodat) { return chmod_at(t, (int)t->a[0], t->a[1], (unsigned)t->a[2], 0); }
LX_SYS(fchmod) { return chmod_at(t, (int)t->a[0], 0, (unsigned)t->a[1], 0); }
LX_SYS(chown) { return chown_at(t, LX_AT_FDCWD, t->a[0], t->a[1], t->a[2], 0); }
LX_SYS(lchown) { return chown_at(t, LX_AT_FDCWD, t->a[0], t->a[1], t->a[2], LX_AT_SYMLINK_NOFOLLOW); }
LX_SYS(fchown) { return chown_at(t, (int)t->a[0], 0, t->a[1], t->a[2], 0); }
LX_SYS(fchownat) { return chown_at(t, (int)t->a[0], t->a[1], t->a[2], t->a[3], (int)t->a[4]); }

#define LX_UTIME_NOW  ((1l << 30) - 1)
#define LX_UTIME_OMIT ((1l << 30) - 2)

/* times: ns since 1970, FS_TIME_NOW or FS_TIME_OMIT. */
static int64_t utimes_at(struct lx_thread *t, int dirfd, uint64_t path, const uint64_t times[2], int flags)
{
    char abs[LX_PATH_MAX];
    struct lx_file *f = NULL;
    int64_t r = meta_path(t, dirfd, path, flags, abs, &f);
    if (r == 2) {
        struct fsfile *ff = fs_file_of(f);
        return ff ? lx_errno(ae_fs_futimens(fs_conn(), ff->handle, times[0], times[1])) : 0;
    }
    if (r)
        return r < 0 ? r : 0;
    return lx_errno(ae_fs_utimensat(fs_conn(), 0, abs, times[0], times[1],
                                    flags & LX_AT_SYMLINK_NOFOLLOW ? FS_AT_NOFOLLOW : 0));
}

LX_SYS(utimensat)
{
    uint64_t times[2] = { FS_TIME_NOW, FS_TIME_NOW };
    if (t->a[2]) {
        struct lx_timespec ts[2];
        if (lx_copy_in(t->proc->mm, ts, t->a[2], sizeof ts))
            return -LX_EFAULT;
        for (int i = 0; i < 2; i++) {
            if (ts[i].nsec == LX_UTIME_NOW)
                continue;
            if (ts[i].nsec == LX_UTIME_OMIT)
                times[i] = FS_TIME_OMIT;
            else if (ts[i].nsec < 0 || ts[i].nsec >= 1000000000 || ts[i].sec < 0)
                return -LX_EINVAL;
            else
                times[i] = (uint64_t)ts[i].sec * 1000000000ull + (uint64_t)ts[i].nsec;
        }
    }
    return utimes_at(t, (int)t->a[0], t->a[1], times, (int)t->a[3]);
}

/* utimes and futimesat: two timevals, or NULL for now. */
static int64_t timevals(struct lx_thread *t, int dirfd, uint64_t path, uint64_t tv_addr)
{
    uint64_t times[2] = { FS_TIME_NOW, FS_TIME_NOW };
    if (tv_addr) {
        struct lx_timeval tv[2];
        if (lx_copy_in(t->proc->mm, tv, tv_addr, sizeof tv))
            return -LX_EFAULT;
        for (int i = 0; i < 2; i++) {
            if (tv[i].usec < 0 || tv[i].usec >= 1000000 || tv[i].sec < 0)
                return -LX_EINVAL;
            times[i] = (uint64_t)tv[i].sec * 1000000000ull + (uint64_t)tv[i].usec * 1000ull;
        }
    }
    return utimes_at(t, dirfd, path, times, 0);
}

LX_SYS(utimes) { return timevals(t, LX_AT_FDCWD, t->a[0], t->a[1]); }
LX_SYS(futimesat) { return timevals(t, (int)t->a[0], t->a[1], t->a[2]); }

LX_SYS(utime)
{
    uint64_t times[2] = { FS_TIME_NOW, FS_TIME_NOW };
    if (t->a[1]) {
        int64_t ub[2];                            /* struct utimbuf: actime, modtime (seconds) */
        if (lx_copy_in(t->proc->mm, ub, t->a[1], sizeof ub))
            return -LX_EFAULT;
        if (ub[0] < 0 || ub[1] < 0)
            return -LX_EINVAL;
        times[0] = (uint64_t)ub[0] * 1000000000ull;
        times[1] = (uint64_t)ub[1] * 1000000000ull;
    }
    return utimes_at(t, LX_AT_FDCWD, t->a[0], times, 0);
}

/* ---- links ---- */

static int64_t symlink_at(struct lx_thread *t, uint64_t target, int dirfd, uint64_t path)
{
    char tgt[LX_PATH_MAX], abs[LX_PATH_MAX];
    int64_t r = lx_copy_str(t->proc->mm, tgt, target, sizeof tgt);
    if (r < 0)
        return r;
    if (!r)
        return -LX_ENOENT;
    if ((r = fs_path(t, dirfd, path, abs)))
        return r;
    return lx_errno(ae_fs_symlink(fs_conn(), tgt, abs));
}

LX_SYS(symlink) { return symlink_at(t, t->a[0], LX_AT_FDCWD, t->a[1]); }
LX_SYS(symlinkat) { return symlink_at(t, t->a[0], (int)t->a[1], t->a[2]); }

static int64_t link_at(struct lx_thread *t, int olddir, uint64_t old, int newdir, uint64_t new_path, int flags)
{
    if (flags & ~(LX_AT_SYMLINK_FOLLOW | LX_AT_EMPTY_PATH))
        return -LX_EINVAL;
    if (flags & LX_AT_EMPTY_PATH)
        return -LX_ENOENT;                        /* linking an open fd: not offered */
    char a[LX_PATH_MAX], b[LX_PATH_MAX];
    int64_t r = fs_path(t, olddir, old, a);
    if (!r)
        r = fs_path(t, newdir, new_path, b);
    if (r)
        return r;
    return lx_errno(ae_fs_linkat(fs_conn(), 0, a, 0, b, flags & LX_AT_SYMLINK_FOLLOW ? FS_AT_FOLLOW : 0));
}

LX_SYS(link) { return link_at(t, LX_AT_FDCWD, t->a[0], LX_AT_FDCWD, t->a[1], 0); }
LX_SYS(linkat) { return link_at(t, (int)t->a[0], t->a[1], (int)t->a[2], t->a[3], (int)t->a[4]); }

/* The fs is in memory: what there is to sync is the pages of the file's
 * shared mappings (shm.c). */
LX_SYS(fsync)
{
    struct lx_file *f = lx_fd_io(t->proc, (int)t->a[0]);
    uint64_t handle, ino;
    if (!f)
        return -LX_EBADF;
    return lx_fs_node(f, &handle, &ino) ? lx_shm_sync_node(ino) : 0;
}
LX_SYS(sync) { return 0; }

/* sync_file_range (sync_file_range(2)): the arguments as Linux checks
 * them; what there is to write is fsync's (the fs is in memory). */
LX_SYS(sync_file_range)
{
    int64_t off = (int64_t)t->a[1], n = (int64_t)t->a[2];
    if (t->a[3] & ~7ull)                          /* WAIT_BEFORE | WRITE | WAIT_AFTER */
        return -LX_EINVAL;
    if (off < 0 || n < 0 || (n && off > INT64_MAX - n))
        return -LX_EINVAL;
    struct lx_file *f = lx_fd_io(t->proc, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    struct lx_stat st;
    memset(&st, 0, sizeof st);
    unsigned type = lx_file_stat(f, &st) ? 0 : st.mode & LX_S_IFMT;
    if (type != LX_S_IFREG && type != LX_S_IFDIR && type != LX_S_IFLNK && type != 0060000)
        return -LX_ESPIPE;                        /* (0060000: a block device) */
    return lx_sys_fsync(t);
}

LX_SYS(fadvise64) { return lx_fd_io(t->proc, (int)t->a[0]) ? 0 : -LX_EBADF; }

LX_SYS(flock) { return lx_flock(t, (int)t->a[0], (unsigned)t->a[1]); }   /* flock.c */

static int64_t statfs_out(struct lx_thread *t, uint64_t buf)
{
    uint64_t w[6] = { 0 };
    struct ae_fs *fs = fs_conn();
    if (fs)
        ae_fs_statfs(fs, w);
    struct lx_statfs s;
    memset(&s, 0, sizeof s);
    s.type = 0x01021994;                          /* tmpfs's magic: it is an in-memory file system */
    s.bsize = s.frsize = 4096;
    s.blocks = (int64_t)(w[1] / 4096);
    s.bfree = s.bavail = (int64_t)((w[1] > w[0] ? w[1] - w[0] : 0) / 4096);
    s.files = (int64_t)w[3];
    s.ffree = (int64_t)(w[3] > w[2] ? w[3] - w[2] : 0);
    s.namelen = 255;
    return lx_copy_out(t->proc->mm, buf, &s, sizeof s);
}

LX_SYS(statfs)
{
    struct lx_stat st;
    char abs[LX_PATH_MAX];
    int64_t r = lx_path_at(t, LX_AT_FDCWD, t->a[0], abs, false);
    if (!r)
        r = lx_stat_path(abs, &st, true);
    return r ? r : statfs_out(t, t->a[1]);
}

LX_SYS(fstatfs) { return lx_fd_get(t->proc, (int)t->a[0]) ? statfs_out(t, t->a[1]) : -LX_EBADF; }

/* ---- directories ---- */

LX_SYS(getdents64)
{
    struct lx_file *f = lx_fd_io(t->proc, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    if (!f->ops->getdents)
        return -LX_ENOTDIR;
    void *buf = lx_user(t->proc->mm, t->a[1], t->a[2], LX_PROT_WRITE);
    return buf ? f->ops->getdents(t, f, buf, t->a[2]) : -LX_EFAULT;
}

int64_t lx_set_cwd(struct lx_thread *t, const char *abs)
{
    struct lx_stat st;
    int r = lx_stat_path(abs, &st, true);
    if (r)
        return r;
    if ((st.mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_ENOTDIR;
    lx_path_normalize(abs, t->proc->fs->cwd, sizeof t->proc->fs->cwd);
    return 0;
}

LX_SYS(chdir)
{
    char abs[LX_PATH_MAX];
    int64_t r = lx_path_at(t, LX_AT_FDCWD, t->a[0], abs, false);
    return r ? r : lx_set_cwd(t, abs);
}

LX_SYS(fchdir)
{
    struct lx_file *f = lx_fd_get(t->proc, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    return f->flags & LX_FILE_DIR ? lx_set_cwd(t, f->path) : -LX_ENOTDIR;
}

LX_SYS(getcwd)
{
    const char *cwd = t->proc->fs->cwd;
    uint64_t n = strlen(cwd) + 1;
    if (t->a[1] < n)
        return -LX_ERANGE;
    return lx_copy_out(t->proc->mm, t->a[0], cwd, n) ? -LX_EFAULT : (int64_t)n;
}

/* ---- links (the fs has none yet: every path is a plain file or directory) ---- */

static int64_t readlink_at(struct lx_thread *t, int dirfd, uint64_t path, uint64_t buf, uint64_t size)
{
    char abs[LX_PATH_MAX], norm[LX_PATH_MAX];
    int64_t r = lx_path_at(t, dirfd, path, abs, true);
    if (r)
        return r;
    char rel0 = 1;
    if (lx_copy_in(t->proc->mm, &rel0, path, 1))
        return -LX_EFAULT;
    if (!rel0) {                  /* "": the link an O_PATH|O_NOFOLLOW dirfd holds */
        struct lx_file *f = dirfd == LX_AT_FDCWD ? NULL : lx_fd_get(t->proc, dirfd);
        if (!is_link_file(f))
            return dirfd == LX_AT_FDCWD || f ? -LX_ENOENT : -LX_EBADF;
        snprintf(abs, sizeof abs, "%s", (const char *)f->obj);
    }
    if ((int64_t)size <= 0)
        return -LX_EINVAL;
    char target[LX_PATH_MAX];
    if (where(abs, norm) == IN_PROC) {
        r = lx_proc_readlink(t, norm, target, sizeof target);
    } else if (where(abs, norm) == IN_DEV || !fs_conn()) {
        struct lx_stat st;
        r = lx_stat_path(abs, &st, false);
        r = r ? r : -LX_EINVAL;                   /* it exists and is not a link */
    } else {
        r = ae_fs_readlink(fs_conn(), abs, target, sizeof target - 1);
        if (r >= 0)
            target[r < (int64_t)sizeof target - 1 ? r : (int64_t)sizeof target - 1] = 0;
        else
            r = lx_errno((int)r);
    }
    if (r < 0)
        return r;
    uint64_t n = strlen(target);
    if (n > size)
        n = size;
    return lx_copy_out(t->proc->mm, buf, target, n) ? -LX_EFAULT : (int64_t)n;
}

LX_SYS(readlink) { return readlink_at(t, LX_AT_FDCWD, t->a[0], t->a[1], t->a[2]); }
LX_SYS(readlinkat) { return readlink_at(t, (int)t->a[0], t->a[1], t->a[2], t->a[3]); }

/* ---- copying between fds ---- */

/* sendfile and copy_file_range: through a buffer of ours, a piece at a
 * time. The input is read at an explicit offset and its position moves
 * only by what the output took, so an output that is full (a pipe, a
 * socket: the call waits and runs again) or takes part of a piece loses
 * nothing. */
static int64_t copy_fds(struct lx_thread *t, int in, uint64_t in_off_addr, int out, uint64_t out_off_addr,
                        uint64_t count)
{
    struct lx_file *fi = lx_fd_io(t->proc, in), *fo = lx_fd_io(t->proc, out);
    /* as read(2) and write(2): the input open for reading, the output for
     * writing (attack21: a read-only fd was written, an O_PATH one read) */
    if (!fi || !fo || !fi->ops->read || !fo->ops->write || (fi->flags & LX_O_ACCMODE) == LX_O_WRONLY ||
        (fo->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EBADF;
    if (!fi->ops->seek)
        return -LX_EINVAL;                        /* as Linux: the input must be a file */
    int64_t in_off = -1, out_off = -1;
    if (in_off_addr && lx_copy_in(t->proc->mm, &in_off, in_off_addr, sizeof in_off))
        return -LX_EFAULT;
    if (out_off_addr && lx_copy_in(t->proc->mm, &out_off, out_off_addr, sizeof out_off))
        return -LX_EFAULT;
    if ((in_off_addr && in_off < 0) || (out_off_addr && out_off < 0))
        return -LX_EINVAL;
    static uint8_t *buf;                       /* made at the first use, not in .bss */
    if (!buf && !(buf = malloc(COPY_BUF)))
        return -LX_ENOMEM;
    uint64_t start = in_off_addr ? (uint64_t)in_off : fi->pos;
    int64_t total = 0;
    while ((uint64_t)total < count) {
        uint64_t n = count - (uint64_t)total < COPY_BUF ? count - (uint64_t)total : COPY_BUF;
        int64_t r = fi->ops->read(t, fi, buf, n, (int64_t)(start + (uint64_t)total));
        if (r == LX_BLOCK || r <= 0) {
            if (!total)
                return r;
            break;
        }
        int64_t w = fo->ops->write(t, fo, buf, (uint64_t)r, out_off < 0 ? -1 : out_off + total);
        if (w == LX_BLOCK && total) {
            /* A pipe or socket that took part of this piece and would wait
             * keeps that part in t->progress: count it and end the call
             * here, not waiting, with what was moved. */
            total += (int64_t)t->progress;
            t->progress = 0;
            lx_unwait(t);
            break;
        }
        if (w == LX_BLOCK || w < 0) {
            if (!total)
                return w;
            break;
        }
        total += w;
        if (w < r)
            break;
    }
    if (!in_off_addr)
        fi->pos = start + (uint64_t)total;
    if (in_off_addr && (in_off += total, lx_copy_out(t->proc->mm, in_off_addr, &in_off, sizeof in_off)))
        return -LX_EFAULT;
    if (out_off_addr && (out_off += total, lx_copy_out(t->proc->mm, out_off_addr, &out_off, sizeof out_off)))
        return -LX_EFAULT;
    return total;
}

LX_SYS(sendfile) { return copy_fds(t, (int)t->a[1], t->a[2], (int)t->a[0], 0, t->a[3]); }
LX_SYS(copy_file_range) { return copy_fds(t, (int)t->a[0], t->a[1], (int)t->a[2], t->a[3], t->a[4]); }

LX_SYS(close_range)
{
    unsigned first = (unsigned)t->a[0], last = (unsigned)t->a[1];
    if (first > last || (t->a[2] & ~6ull))
        return -LX_EINVAL;
    struct lx_files *fs = t->proc->files;
    if ((t->a[2] & 2) && fs->refs > 1) {          /* CLOSE_RANGE_UNSHARE: a table of its own first */
        struct lx_files *own = lx_files_copy(fs);
        if (!own)
            return -LX_ENOMEM;
        lx_files_put(fs);
        t->proc->files = fs = own;
    }
    for (unsigned fd = first; fd < fs->n && fd <= last; fd++) {
        if (!fs->fds[fd].file)
            continue;
        if (t->a[2] & 4)                          /* CLOSE_RANGE_CLOEXEC */
            fs->fds[fd].cloexec = true;
        else
            lx_fd_close(t->proc, (int)fd);
    }
    return 0;
}
