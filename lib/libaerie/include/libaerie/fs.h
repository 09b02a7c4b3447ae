/*
 * libaerie/fs.h — the file-system client (aerie/proto/fs.h, docs/FS.md).
 *
 * A struct ae_fs is one connection to an fs session: the session's
 * capability and a buffer shared with the service, made from the
 * program's own quota and attached on first use. Paths and file data move
 * through that buffer; one request at a time uses it (a lock per
 * connection), so threads of a program share a connection safely.
 *
 * ae_fs_default() is the connection of the program's "fs" grant, which
 * libc's open(), stat(), fopen() and friends use; a program without that
 * grant has none (libc then fails with EACCES). Every function returns 0,
 * a count, or a negative AE_* error; a session that was closed (or whose
 * service died) gives AE_EDEAD.
 *
 * The ae_fs_admin_* calls are the admin protocol, for the holder of
 * "fs.admin" (the container manager).
 */
#ifndef LIBAERIE_FS_H
#define LIBAERIE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/proto/fs.h>

#define AE_FS_BUF_DEFAULT (64u << 10)   /* request bytes of the buffer libc's connection
                                           attaches (a page more holds its control block) */

#define AE_FS_BEHIND_MAX  (16u << 10)  /* writes up to this size may be queued */
#define AE_FS_STAGE       (2u * FS_PATH_MAX)   /* queued data starts here: requests' paths
                                                  below it ride with the queue */
#define AE_FS_ERRS_MAX    32u

struct ae_fs_scache;               /* fs_client.c: stats kept between requests */
struct ae_fs_proof;                /* fs_proof.c: names proven absent */

struct ae_fs {
    uint64_t cap;                 /* the session capability */
    uint64_t want;                /* buffer bytes to attach */
    volatile uint32_t lock;       /* one request at a time: it guards the rest */
    uint8_t *buf;                 /* NULL until attached */
    uint64_t buf_bytes;           /* what requests may use of it */
    uint64_t buf_mem;             /* our capability to the buffer's memory */
    /* Caches (docs/FS.md, "Client caches"): valid while the control
     * block's count of changes is the one they were made at. */
    struct fs_shctl *ctl;         /* the buffer's control block, or NULL */
    bool priv;                    /* the session mounts no volume (FS_ATTACH_R_PRIVATE) */
    bool fresh;                   /* the last request saw no change but its own */
    uint64_t seen;                /* the count the caches hold for */
    uint64_t clone_gen;           /* ae_clone_generation() when the buffer was attached */
    uint32_t ndefer;              /* operations queued for the next request */
    uint32_t shown;               /* of them, those the control block shows (its nops) */
    uint64_t defer[FS_SHCTL_OPS_MAX][4];
    /* Write-behind (docs/FS.md, "Write-behind"): the queued writes and
     * unlinks among them, their data and paths in buf[AE_FS_STAGE, +staged). */
    uint32_t nbehind;
    uint64_t staged;
    uint64_t room;                /* data bytes the session had left at the last look ... */
    uint64_t reserved;            /* ... and what the queued writes may take of it */
    bool stale;                   /* the session lost our buffer: attach again, keeping them */
    bool link_gone;               /* a queued unlink removed a symbolic link: drop the stats */
    uint32_t nerr;                /* errors of queued operations, for the next call on ... */
    struct { uint64_t handle; int err; } err[AE_FS_ERRS_MAX];   /* ... that handle */
    int unlink_err;               /* ... or the next unlink (a queued one failed) */
    uint64_t ra_handle, ra_at, ra_len, ra_pos;   /* read-ahead: buf[0, ra_len) is the
                                     file's [ra_at, ...); ra_pos our position in it */
    uint64_t ra_end, ra_next;     /* where the last one ended; the next one's size */
    bool ra_cur;                  /* filled at the handle's position, which the service
                                     moved to ra_at + ra_len */
    bool ra_eof;                  /* it got less than it asked: the file ends at its end */
    struct ae_fs_scache *sc;      /* NULL until the first stat worth keeping */
    /* Creates that do not wait (docs/FS.md): directories whose names we
     * know (fs_proof.c), and the handle slots RESERVE gave us: values
     * resv_h[resv_used..resv_n), inode numbers resv_ino + their index. */
    struct ae_fs_proof *pf;
    uint32_t resv_n, resv_used;
    uint64_t resv_ino;
    uint64_t resv_h[FS_RESERVE_MAX];
};

struct ae_fs_stat {
    uint64_t ino, size, blocks;   /* blocks: 512-byte units of private memory */
    uint32_t type, mode;          /* FS_TYPE_*, permission bits */
    uint32_t nlink, dev;
    uint32_t uid, gid;
    uint64_t atime, mtime, ctime; /* ns since 1970 */
};

/* A connection over session capability cap, with a buf_bytes buffer (0:
 * AE_FS_BUF_DEFAULT) attached on first use. ae_fs_fini frees the buffer. */
void ae_fs_init(struct ae_fs *fs, uint64_t cap, uint64_t buf_bytes);
void ae_fs_fini(struct ae_fs *fs);

/* The connection of the "fs" grant (NULL without one), and a way to make
 * libc use another (files already open keep their connection). */
struct ae_fs *ae_fs_default(void);
/* The default connection if ae_fs_default or ae_fs_set_default made one,
 * NULL otherwise; it makes none (exit's flush uses it). */
struct ae_fs *ae_fs_default_made(void);
void ae_fs_set_default(struct ae_fs *fs);

/* Paths: a path not starting with '/' is resolved from the directory
 * handle dir of the *at calls (0: the session's root, as the plain calls
 * do). FS_AT_NOFOLLOW makes statat/chmodat/chownat/utimensat act on a
 * final symbolic link itself; linkat follows one only with FS_AT_FOLLOW. */
int ae_fs_open(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
               uint64_t *handle, struct ae_fs_stat *st);
int ae_fs_openat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t flags, uint32_t mode,
                 uint64_t *handle, struct ae_fs_stat *st);
/* ae_fs_open for a caller about to read from offset 0 (the Linux
 * personality: it reads at offsets it keeps): when the session keeps
 * caches, the service makes the first read-ahead with the open, so the
 * first small reads ask nothing. */
int ae_fs_open_reading(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
                       uint64_t *handle, struct ae_fs_stat *st);
int ae_fs_close(struct ae_fs *fs, uint64_t handle);
/* Closes a handle this connection opened without waiting: the close rides
 * on the connection's next request (which sees it done), or is made now
 * if too many wait, or if writes to it are queued: then it returns what
 * they got (an error of a queued write: the close happened anyway). For
 * callers that know the handle is open (libc). */
int ae_fs_close_deferred(struct ae_fs *fs, uint64_t handle);
/* The same for a caller that ignores close's answer (the Linux
 * personality: a file's last reference dropped by close, dup2 or exit):
 * queued also when writes to the handle are queued, whose errors are then
 * nobody's (a handle value is never reused). */
int ae_fs_close_behind(struct ae_fs *fs, uint64_t handle);
/* off: a file offset, or FS_OFF_CURRENT (the handle's position, advanced).
 * Moves len bytes in buffer-sized pieces; stops early at the end of the
 * file (read) or when space runs out (write). */
int64_t ae_fs_read(struct ae_fs *fs, uint64_t handle, uint64_t off, void *buf, uint64_t len);
int64_t ae_fs_write(struct ae_fs *fs, uint64_t handle, uint64_t off, const void *buf,
                    uint64_t len);
/* Write-behind (docs/FS.md, "Write-behind"), for libc: a write of at most
 * AE_FS_BEHIND_MAX bytes on a session that mounts no volume is copied into
 * the buffer and queued, and returns len at once; queued writes go to the
 * service in order, many to a request, before anything that could see
 * them. An error one of them gets is returned by the next call on that
 * handle (read, write, seek, fstat, fsync, close, ...). Otherwise as
 * ae_fs_write. ae_fs_flush sends whatever is queued now. */
int64_t ae_fs_write_behind(struct ae_fs *fs, uint64_t handle, uint64_t off, const void *buf,
                           uint64_t len);
/* The same, for a handle whose node's inode number the caller knows
 * (from its open): only that node's kept stats are dropped, not all. */
int64_t ae_fs_write_behind_node(struct ae_fs *fs, uint64_t handle, uint64_t ino, uint64_t off,
                                const void *buf, uint64_t len);
/* The same; *late (if not NULL) says whether an error returned is one an
 * earlier queued write of the handle got (nothing of this write was
 * done) rather than this write's own: a caller that would make a failed
 * write again (the Linux personality, once it freed room) must not then
 * hide the earlier write's loss. */
int64_t ae_fs_write_behind_late(struct ae_fs *fs, uint64_t handle, uint64_t ino, uint64_t off,
                                const void *buf, uint64_t len, bool *late);
/* The error a write queued to handle got (its queued writes sent first if
 * any are still queued), taken: the next call on the handle no longer
 * returns it; 0 if none. */
int ae_fs_late_error(struct ae_fs *fs, uint64_t handle);
int ae_fs_flush(struct ae_fs *fs);
/* An unlink queued as writes are, when the connection's kept stats show
 * path names something that is not a directory in its own layer (so the
 * unlink cannot fail); otherwise ae_fs_unlink. */
int ae_fs_unlink_behind(struct ae_fs *fs, const char *path);
int64_t ae_fs_seek(struct ae_fs *fs, uint64_t handle, int64_t off, uint32_t whence);
int ae_fs_ftruncate(struct ae_fs *fs, uint64_t handle, uint64_t size);
int ae_fs_truncate(struct ae_fs *fs, const char *path, uint64_t size);
int ae_fs_fstat(struct ae_fs *fs, uint64_t handle, struct ae_fs_stat *st);
int ae_fs_stat(struct ae_fs *fs, const char *path, struct ae_fs_stat *st);
int ae_fs_lstat(struct ae_fs *fs, const char *path, struct ae_fs_stat *st);
int ae_fs_statat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t flags,
                 struct ae_fs_stat *st);
int ae_fs_mkdir(struct ae_fs *fs, const char *path, uint32_t mode);
int ae_fs_mkdirat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode);
int ae_fs_unlink(struct ae_fs *fs, const char *path);
int ae_fs_unlinkat(struct ae_fs *fs, uint64_t dir, const char *path);
int ae_fs_rmdir(struct ae_fs *fs, const char *path);
int ae_fs_rmdirat(struct ae_fs *fs, uint64_t dir, const char *path);
int ae_fs_rename(struct ae_fs *fs, const char *from, const char *to);
/* flags: FS_RENAME_NOREPLACE */
int ae_fs_renameat(struct ae_fs *fs, uint64_t from_dir, const char *from, uint64_t to_dir,
                   const char *to, uint32_t flags);
/* A symbolic link at link holding target as given. */
int ae_fs_symlink(struct ae_fs *fs, const char *target, const char *link);
int ae_fs_symlinkat(struct ae_fs *fs, const char *target, uint64_t dir, const char *link);
/* A FIFO node at path (MKNOD, type FS_TYPE_FIFO): AE_EEXIST, AE_ENOENT, ... */
int ae_fs_mkfifoat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode);
/* Copies at most cap bytes of the link's target (no NUL added) into buf;
 * returns the target's whole length (more than cap: it was cut). */
int64_t ae_fs_readlink(struct ae_fs *fs, const char *path, char *buf, uint64_t cap);
int64_t ae_fs_readlinkat(struct ae_fs *fs, uint64_t dir, const char *path, char *buf,
                         uint64_t cap);
int ae_fs_link(struct ae_fs *fs, const char *old, const char *new_name);
int ae_fs_linkat(struct ae_fs *fs, uint64_t old_dir, const char *old, uint64_t new_dir,
                 const char *new_name, uint32_t flags);
int ae_fs_chmod(struct ae_fs *fs, const char *path, uint32_t mode);
int ae_fs_chmodat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode, uint32_t flags);
int ae_fs_fchmod(struct ae_fs *fs, uint64_t handle, uint32_t mode);
/* uid, gid: FS_ID_KEEP leaves one as it is. */
int ae_fs_chown(struct ae_fs *fs, const char *path, uint32_t uid, uint32_t gid);
int ae_fs_chownat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t uid, uint32_t gid,
                  uint32_t flags);
int ae_fs_fchown(struct ae_fs *fs, uint64_t handle, uint32_t uid, uint32_t gid);
/* Times in ns since 1970, or FS_TIME_NOW, FS_TIME_OMIT. */
int ae_fs_utimensat(struct ae_fs *fs, uint64_t dir, const char *path, uint64_t atime,
                    uint64_t mtime, uint32_t flags);
int ae_fs_futimens(struct ae_fs *fs, uint64_t handle, uint64_t atime, uint64_t mtime);
/* Files live in memory: checks the handle and returns. */
int ae_fs_fsync(struct ae_fs *fs, uint64_t handle);
/* Directory records (struct fs_dirent_rec) after cookie, copied into
 * recs[0..cap); returns their bytes, the cookie to continue from in
 * *next, and whether the listing ended in *eof. */
int64_t ae_fs_readdir(struct ae_fs *fs, uint64_t handle, uint64_t cookie, void *recs,
                      uint64_t cap, uint64_t *next, bool *eof);
/* The same for a caller that will stat what it lists: when the connection
 * keeps stats (docs/FS.md, "Client caches") and has dirpath (from the
 * root) kept as the directory handle lists (dir_ino, from its open), the
 * service adds each entry's stat to its record (*stats: true; then step
 * by rec_len) and they are kept as dirpath/NAME's. */
int64_t ae_fs_readdir_keep(struct ae_fs *fs, uint64_t handle, uint64_t cookie, void *recs,
                           uint64_t cap, uint64_t *next, bool *eof, const char *dirpath,
                           uint64_t dir_ino, bool *stats);
/* Usage and limits: the STATFS reply words. */
int ae_fs_statfs(struct ae_fs *fs, uint64_t out[6]);
/* Any request, as is (tests use it to send bad ones): the reply's status,
 * its words into out[0..nout). The buffer is attached first. */
int64_t ae_fs_request(struct ae_fs *fs, uint64_t label, const uint64_t *w, unsigned n,
                      uint64_t *out, unsigned nout);
/* The attached buffer, for requests made with ae_fs_request (NULL if none). */
uint8_t *ae_fs_buffer(struct ae_fs *fs, uint64_t *bytes);

/* ---- admin ------------------------------------------------------------ */

struct ae_fs_grant {
    const char *volume;           /* a volume made with ae_fs_admin_volume_create */
    const char *mount;            /* where the session sees it, e.g. "/data" */
    bool writable;
};

struct ae_fs_session_spec {
    const char *image;            /* a boot-image directory, e.g. "images/hello/files"; NULL: empty */
    uint64_t data_bytes;          /* private file data and index pages */
    uint32_t inodes;              /* files and directories created or copied up */
    uint32_t handles;             /* open files; 0: 256 */
    bool read_only;
    const struct ae_fs_grant *grants;
    unsigned ngrants;             /* <= FS_ADMIN_VOLUMES_MAX */
    uint64_t quota;               /* a Quota capability (MANAGE) its pages are charged to;
                                     0: the service's own pool */
};

/* Opens a session; its capability lands in a new slot *cap (the caller's
 * to grant, e.g. as "fs" to a container) and its id in *id. */
int ae_fs_admin_open_session(uint64_t admin, const struct ae_fs_session_spec *spec,
                             uint64_t *cap, uint32_t *id);
int ae_fs_admin_close_session(uint64_t admin, uint32_t id);
/* Reads len bytes of path at off in session id (in FS_ADMIN_READ_MAX
 * pieces); *size gets the file's size. Returns the bytes read. */
int64_t ae_fs_admin_read(uint64_t admin, uint32_t id, const char *path, uint64_t off,
                         void *buf, uint64_t len, uint64_t *size);
/* Writes len bytes at off; flags FS_ADMIN_W_CREATE, FS_ADMIN_W_TRUNC (the
 * truncation happens once, before the first piece). Returns the bytes written. */
int64_t ae_fs_admin_write(uint64_t admin, uint32_t id, const char *path, uint64_t off,
                          const void *buf, uint64_t len, uint32_t flags, uint32_t mode);
/* The type (FS_TYPE_*), size and mode of path in session id. */
int ae_fs_admin_stat(uint64_t admin, uint32_t id, const char *path, uint32_t *type,
                     uint64_t *size, uint32_t *mode);
int ae_fs_admin_mkdir(uint64_t admin, uint32_t id, const char *path, uint32_t mode);
/* Entries of directory path after *cookie, as records (type byte, name
 * length byte, name) copied into recs[0..cap) (FS_ADMIN_LIST_MAX fits
 * any reply); *cookie advances, *eof tells the listing ended, *count the
 * records. Returns the record bytes or an error. */
int ae_fs_admin_list(uint64_t admin, uint32_t id, const char *path, uint64_t *cookie,
                     bool *eof, void *recs, size_t cap, unsigned *count);
int ae_fs_admin_stats(uint64_t admin, uint64_t out[FS_STAT_WORDS]);
/* What session id costs (FS_SSTAT_* words). */
int ae_fs_admin_session_stats(uint64_t admin, uint32_t id, uint64_t out[FS_SSTAT_WORDS]);
int ae_fs_admin_check(uint64_t admin, uint32_t id);
/* Runs what session id's client queued in its buffer and did not send
 * yet (write-behind, deferred closes): before copying a stopped
 * container's files. *ran (may be NULL): how many ran. */
int ae_fs_admin_run_queued(uint64_t admin, uint32_t id, uint64_t *ran);
/* Copies session from's private files into session to (same image, no
 * private file yet): a fork's files, inside the service. */
int ae_fs_admin_fork_session(uint64_t admin, uint32_t from, uint32_t to);
int ae_fs_admin_volume_create(uint64_t admin, const char *name, uint64_t data_bytes,
                              uint32_t inodes);
int ae_fs_admin_volume_delete(uint64_t admin, const char *name);
/* An image archive (a Memory capability the service may read) by name:
 * sessions whose image is "@NAME/DIR" are rooted in its DIR. */
int ae_fs_admin_archive_add(uint64_t admin, const char *name, uint64_t mem);
int ae_fs_admin_archive_drop(uint64_t admin, const char *name);

#endif
