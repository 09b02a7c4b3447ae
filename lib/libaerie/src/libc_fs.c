/*
 * libc_fs.c — libc's files on Aerie (lib/libc/internal/sys.h, "Files by
 * name"): paths go to the session of the program's "fs" grant through
 * the fs client (libaerie/fs.h); an open file is an fd-table object that
 * holds its connection and handle, so it keeps working if the program
 * later switches its default connection. A directory also keeps a page
 * of records fetched ahead for readdir. Without an "fs" grant every call
 * fails with AE_EACCES: the program was given no file system.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libaerie/fs.h>
#include <aerie/errors.h>
#include "fd.h"
#include "sys.h"

#define DIR_RECS 4096u

struct fs_file {
    struct ae_fs *fs;
    uint64_t handle;
    bool dir;
    bool writes;                  /* open for writing: its small writes may be queued */
    char *path;                   /* a directory's, for fchdir */
    /* directories: records fetched and not yet returned */
    uint8_t *recs;
    uint64_t len, pos, cookie;
    bool eof;
};

/* The connection for a path operation: none without a grant, and POSIX
 * finds nothing at "". */
static int conn(const char *path, struct ae_fs **fs)
{
    *fs = ae_fs_default();
    if (!*fs)
        return AE_EACCES;
    return path[0] ? 0 : AE_ENOENT;
}

static struct timespec to_timespec(uint64_t ns)
{
    return (struct timespec){ (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
}

static void to_stat(const struct ae_fs_stat *a, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = a->dev;
    st->st_ino = a->ino;
    st->st_nlink = a->nlink;
    st->st_mode = (a->type == FS_TYPE_DIR ? S_IFDIR : a->type == FS_TYPE_SYMLINK ? S_IFLNK : S_IFREG) |
                  (a->mode & 07777);
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_size = (off_t)a->size;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)a->blocks;
    st->st_atim = to_timespec(a->atime);
    st->st_mtim = to_timespec(a->mtime);
    st->st_ctim = to_timespec(a->ctime);
}

/* ---- the descriptor's ops ------------------------------------------- */

static long file_read(void *obj, void *buf, size_t n)
{
    struct fs_file *f = obj;
    return ae_fs_read(f->fs, f->handle, FS_OFF_CURRENT, buf, n);
}

static long file_write(void *obj, const void *buf, size_t n)
{
    struct fs_file *f = obj;
    return f->writes ? ae_fs_write_behind(f->fs, f->handle, FS_OFF_CURRENT, buf, n)
                     : ae_fs_write(f->fs, f->handle, FS_OFF_CURRENT, buf, n);   /* EBADF now */
}

static long file_pread(void *obj, void *buf, size_t n, long off)
{
    struct fs_file *f = obj;
    return ae_fs_read(f->fs, f->handle, (uint64_t)off, buf, n);
}

static long file_pwrite(void *obj, const void *buf, size_t n, long off)
{
    struct fs_file *f = obj;
    return f->writes ? ae_fs_write_behind(f->fs, f->handle, (uint64_t)off, buf, n)
                     : ae_fs_write(f->fs, f->handle, (uint64_t)off, buf, n);
}

/* A directory can only be rewound (rewinddir). */
static long file_lseek(void *obj, long off, int whence)
{
    struct fs_file *f = obj;
    if (!f->dir)
        return ae_fs_seek(f->fs, f->handle, off, (uint32_t)whence);
    if (off != 0 || whence != SEEK_SET)
        return AE_EINVAL;
    f->len = f->pos = f->cookie = 0;
    f->eof = false;
    return 0;
}

static int file_fstat(void *obj, struct stat *st)
{
    struct fs_file *f = obj;
    struct ae_fs_stat a;
    int r = ae_fs_fstat(f->fs, f->handle, &a);
    if (!r)
        to_stat(&a, st);
    return r;
}

static int file_ftruncate(void *obj, long size)
{
    struct fs_file *f = obj;
    return ae_fs_ftruncate(f->fs, f->handle, (uint64_t)size);
}

/* The handle is ours and open, so the close itself cannot fail: it rides
 * on the connection's next request instead of costing one of its own —
 * unless writes to it are still queued (write-behind): then it is made
 * now, with them, and an error one of them got is close's (as NFS does). */
static int file_close(void *obj)
{
    struct fs_file *f = obj;
    int r = ae_fs_close_deferred(f->fs, f->handle);
    free(f->recs);
    free(f->path);
    free(f);
    return r;
}

/* The next record, fetching a page of them when those held ran out. */
static int file_readdir(void *obj, struct dirent *ent)
{
    struct fs_file *f = obj;
    if (!f->dir)
        return AE_ENOTDIR;
    if (f->pos >= f->len) {
        if (f->eof)
            return 0;
        if (!f->recs && !(f->recs = malloc(DIR_RECS)))
            return AE_ENOMEM;
        uint64_t next;
        int64_t n = ae_fs_readdir(f->fs, f->handle, f->cookie, f->recs, DIR_RECS, &next, &f->eof);
        if (n < 0)
            return (int)n;
        f->len = (uint64_t)n;
        f->pos = 0;
        if (n == 0)
            return 0;
    }
    struct fs_dirent_rec h;
    memcpy(&h, f->recs + f->pos, sizeof h);
    if (h.rec_len < sizeof h + h.name_len + 1 || h.rec_len > f->len - f->pos)
        return AE_EPROTO;                     /* the service sent nonsense */
    memset(ent, 0, sizeof *ent);
    ent->d_ino = h.ino;
    ent->d_off = (off_t)h.cookie;
    ent->d_reclen = sizeof *ent;
    ent->d_type = h.type == FS_TYPE_DIR ? DT_DIR : h.type == FS_TYPE_SYMLINK ? DT_LNK : DT_REG;
    memcpy(ent->d_name, f->recs + f->pos + sizeof h, h.name_len);
    f->pos += h.rec_len;
    f->cookie = h.cookie;
    return 1;
}

static const char *file_path(void *obj)
{
    return ((struct fs_file *)obj)->path;
}

static const struct fd_ops fs_file_ops = {
    .read = file_read, .write = file_write, .lseek = file_lseek, .fstat = file_fstat,
    .close = file_close, .pread = file_pread, .pwrite = file_pwrite,
    .ftruncate = file_ftruncate, .readdir = file_readdir, .path = file_path,
};

/* ---- by name ---------------------------------------------------------- */

/* <fcntl.h> flags to the protocol's; flags with no meaning here are ignored. */
static int open_flags(int flags, uint32_t *out)
{
    int acc = flags & O_ACCMODE;
    if (acc == O_ACCMODE)
        return AE_EINVAL;
    *out = acc == O_WRONLY ? FS_O_WRONLY : acc == O_RDWR ? FS_O_RDWR : FS_O_RDONLY;
    *out |= (flags & O_CREAT ? FS_O_CREAT : 0) | (flags & O_EXCL ? FS_O_EXCL : 0) |
            (flags & O_TRUNC ? FS_O_TRUNC : 0) | (flags & O_APPEND ? FS_O_APPEND : 0) |
            (flags & O_DIRECTORY ? FS_O_DIRECTORY : 0) | (flags & O_NOFOLLOW ? FS_O_NOFOLLOW : 0);
    return 0;
}

int __sys_open(const char *path, int flags, unsigned mode, const struct fd_ops **ops,
               void **obj)
{
    struct ae_fs *fs;
    uint32_t fl;
    int r = conn(path, &fs);
    if (!r)
        r = open_flags(flags, &fl);
    struct fs_file *f = r ? NULL : calloc(1, sizeof *f);
    if (!r && !f)
        r = AE_ENOMEM;
    struct ae_fs_stat st;
    if (!r && (r = ae_fs_open(fs, path, fl, mode & 07777, &f->handle, &st)))
        free(f);
    if (r)
        return r;
    f->fs = fs;
    f->dir = st.type == FS_TYPE_DIR;
    f->writes = (fl & (FS_O_WRONLY | FS_O_RDWR)) != 0;
    f->path = f->dir && path[0] == '/' ? strdup(path) : NULL;   /* none: fchdir says ENOTDIR */
    *ops = &fs_file_ops;
    *obj = f;
    return 0;
}

static int stat_at(const char *path, struct stat *st, uint32_t flags)
{
    struct ae_fs *fs;
    struct ae_fs_stat a;
    int r = conn(path, &fs);
    if (!r && !(r = ae_fs_statat(fs, 0, path, flags, &a)))
        to_stat(&a, st);
    return r;
}

int __sys_stat(const char *path, struct stat *st)
{
    return stat_at(path, st, 0);
}

int __sys_lstat(const char *path, struct stat *st)
{
    return stat_at(path, st, FS_AT_NOFOLLOW);
}

int __sys_truncate(const char *path, long size)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_truncate(fs, path, (uint64_t)size);
}

int __sys_mkdir(const char *path, unsigned mode)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_mkdir(fs, path, mode & 07777);
}

int __sys_unlink(const char *path)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_unlink_behind(fs, path);
}

int __sys_rmdir(const char *path)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_rmdir(fs, path);
}

int __sys_rename(const char *from, const char *to)
{
    struct ae_fs *fs;
    int r = conn(from, &fs);
    if (!r && !to[0])
        r = AE_ENOENT;
    return r ? r : ae_fs_rename(fs, from, to);
}

int __sys_symlink(const char *target, const char *link)
{
    struct ae_fs *fs;
    int r = conn(link, &fs);
    return r ? r : ae_fs_symlink(fs, target, link);
}

long __sys_readlink(const char *path, char *buf, size_t cap)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_readlink(fs, path, buf, cap);
}

int __sys_link(const char *old, const char *new_name)
{
    struct ae_fs *fs;
    int r = conn(old, &fs);
    if (!r && !new_name[0])
        r = AE_ENOENT;
    return r ? r : ae_fs_link(fs, old, new_name);
}

int __sys_chmod(const char *path, unsigned mode)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_chmod(fs, path, mode & 07777);
}

int __sys_chown(const char *path, unsigned uid, unsigned gid, int follow)
{
    struct ae_fs *fs;
    int r = conn(path, &fs);
    return r ? r : ae_fs_chownat(fs, 0, path, uid, gid, follow ? 0 : FS_AT_NOFOLLOW);
}

/* exit() and _exit(): writes still queued by write-behind go to the
 * service before the program ends (docs/FS.md, "Write-behind"). */
void __sys_fs_flush(void)
{
    struct ae_fs *fs = ae_fs_default_made();   /* one never made has nothing queued */
    if (fs)
        (void)ae_fs_flush(fs);
}
