/*
 * fs.h — the core of the fs service: in-memory files and directories
 * served to sessions, independent of how requests arrive. The IPC glue
 * supplies memory and locks through struct fs_env, keeps one fs_session
 * per client container, and feeds it requests decoded by fs_decode
 * (decode.h). docs/FS.md describes the design; every function returns 0
 * (or a count) or a negative AE_* code.
 *
 * Thread safety: every function may be called from several threads at
 * once, except that an image, a volume or a session must not be used after
 * the call that drops its last reference. See docs/FS.md, "Locks".
 */
#ifndef AERIE_FS_H
#define AERIE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/proto/fs.h>
#include "path.h"
#include "image/img.h"

/*
 * What the environment provides. All callbacks may be called with fs
 * locks held and must not call back into the fs core.
 *   page_alloc  one 4096-byte, 4096-aligned page (contents undefined) into
 *               *page: 0, or AE_ENOSPC (the memory this session's pages come
 *               from is full: its client's quota), AE_ENOMEM, or AE_EDEAD
 *               (that memory is gone); file data, its index and link targets
 *               live in these (in Aerie: pages of the client's quota)
 *   page_free   returns such a page
 *   mem_alloc   size bytes, aligned for any object, or NULL (metadata:
 *               nodes, names, tables); mem_free gets the same size back
 *   lock_new    a new unlocked mutual-exclusion lock, or NULL; lock_free
 *               destroys it; lock/unlock: not recursive; a holder may
 *               sleep (copying up to a buffer's length), so in Aerie these
 *               should block rather than spin for long
 *   now         the time in nanoseconds since 1970 (UTC), for timestamps;
 *               may be NULL (times then stay 0)
 *   pages_share may be NULL: gives this session's memory (empty: it holds
 *               no page) a copy-on-write image of every page src_ctx's
 *               has, at the same offsets, each side's later writes its own
 *               (a session fork, clone.c); *delta is what to add to the
 *               address of a page of src_ctx's to name its image here.
 *               0, AE_ENOTSUP (cannot: the caller copies the pages), or
 *               the error of the memory (AE_ENOSPC, AE_EDEAD)
 *   page_adopt  after pages_share: page (an image) becomes one of this
 *               session's pages, as if page_alloc had handed it out;
 *               images never adopted are free pages
 *   page_own    may be NULL: page, one of this session's, is about to be
 *               written: if it may still be shared with another session's
 *               memory (pages_share), it becomes this session's alone now
 *               (the copy-on-write break, done before the write so a lack
 *               of memory is an error, not a fault). 0, or AE_ENOSPC (no
 *               memory for the copy) or AE_EDEAD, with nothing changed.
 *               page_alloc hands out pages that are already its own
 */
struct fs_env {
    void *ctx;
    int   (*page_alloc)(void *ctx, void **page);
    void  (*page_free)(void *ctx, void *page);
    void *(*mem_alloc)(void *ctx, size_t size);
    void  (*mem_free)(void *ctx, void *p, size_t size);
    void *(*lock_new)(void *ctx);
    void  (*lock_free)(void *ctx, void *lock);
    void  (*lock)(void *lock);
    void  (*unlock)(void *lock);
    uint64_t (*now)(void *ctx);
    int   (*pages_share)(void *ctx, void *src_ctx, intptr_t *delta);
    void  (*page_adopt)(void *ctx, void *page);
    int   (*page_own)(void *ctx, void *page);
};

/* Limits of one session's private layer or of one volume. */
struct fs_limits {
    uint64_t data_bytes;      /* pages of file data and of its index, in bytes */
    uint32_t inodes;          /* files and directories, created or copied up */
    uint32_t handles;         /* open handles (sessions only; at most FS_HANDLES_MAX) */
};

#define FS_HANDLES_MAX  65536u
#define FS_MOUNTS_MAX   8u
#define FS_SESSION_RDONLY 0x1u    /* every change fails with AE_EROFS */

struct fs_stat {
    uint64_t ino;
    uint32_t type;            /* FS_TYPE_* */
    uint32_t mode;
    uint64_t size;
    uint64_t blocks;          /* private memory in 512-byte units */
    uint32_t nlink;           /* names of a file or link; 1 for a directory */
    uint32_t dev;             /* 0: the session's tree; 1 + i: mount i */
    uint32_t uid, gid;        /* kept for the client; nothing checks them */
    uint64_t atime, mtime, ctime;   /* ns since 1970; 0 for image files */
};

struct fs_usage {
    uint64_t bytes_used, bytes_max;
    uint32_t inodes_used, inodes_max;
    uint32_t handles_used, handles_max;
};

struct fs_image;
struct fs_volume;
struct fs_session;

/* Parses a container image archive (left in place: file data is read from
 * it, never copied, so it must stay mapped and unchanged until the image's
 * last reference is dropped). Returns with one reference. */
int fs_image_create(const struct fs_env *env, const void *archive, uint64_t len,
                    struct fs_image **out, struct img_error *err);
/* The same for the subtree below directory prefix[0..prefix_len) of the
 * archive (a normalized archive path; "" is the whole archive), which
 * becomes the image's root: a container image inside the boot image.
 * AE_ENOENT or AE_ENOTDIR (and *err says so) if prefix names no directory. */
int fs_image_create_at(const struct fs_env *env, const void *archive, uint64_t len,
                       const char *prefix, size_t prefix_len, struct fs_image **out,
                       struct img_error *err);
void fs_image_put(struct fs_image *img);

/* A named volume: a tree shared by the sessions it is mounted in. */
int fs_volume_create(const struct fs_env *env, const struct fs_limits *lim,
                     struct fs_volume **out);
void fs_volume_put(struct fs_volume *vol);
/* A volume's usage and limits (handles: 0). */
void fs_volume_statfs(struct fs_volume *vol, struct fs_usage *u);

/* A session: the image's files (img may be NULL: an empty root) under a
 * private writable layer. Takes its own image reference. Returns with one
 * reference, which fs_session_destroy drops. */
int fs_session_create(const struct fs_env *env, struct fs_image *img,
                      const struct fs_limits *lim, uint32_t flags, struct fs_session **out);
/* Mounts vol at path (created as a directory if missing) read-only or
 * read-write. Mount points may not nest; at most FS_MOUNTS_MAX. */
/* How many volumes s mounts (fixed once its opener has mounted them). */
unsigned fs_session_mounts(const struct fs_session *s);
int fs_session_mount(struct fs_session *s, const struct fs_path *path, struct fs_volume *vol,
                     bool writable);
/* Closes every handle and frees the private layer; later calls on the
 * session fail with AE_EDEAD. Drops the creator's reference. */
void fs_session_destroy(struct fs_session *s);
/* The memory the session's pages live in is gone (its client's quota was
 * destroyed): waits for the operation in flight, then every later call
 * fails with AE_EDEAD and nothing ever reads, writes or frees those pages
 * again; fs_session_destroy still frees the rest. */
void fs_session_lose_pages(struct fs_session *s);
/* Extra references for callers in flight while another thread destroys. */
void fs_session_get(struct fs_session *s);
/* A new instance of the service took the session over from one that died
 * (docs/RESTART.md): only the creator's reference is left; the caller has
 * reset its locks. */
void fs_session_recover(struct fs_session *s);
void fs_session_put(struct fs_session *s);

/* The operations, POSIX semantics (docs/FS.md lists the exceptions).
 * A path is resolved from p->base (a directory handle) unless it is
 * absolute or base is 0; symbolic links are followed in the middle of a
 * path always, and at its end where POSIX says (open and stat follow, the
 * calls that act on a name do not; FS_AT_* flags choose where offered). */
int fs_open(struct fs_session *s, const struct fs_path *p, uint32_t flags, uint32_t mode,
            uint64_t *handle, struct fs_stat *st);
/* fs_open, telling in *made_in the inode number of the directory it
 * created the file in (0: it created nothing, or in a volume). */
int fs_open_made(struct fs_session *s, const struct fs_path *p, uint32_t flags, uint32_t mode,
                 uint64_t *handle, struct fs_stat *st, uint64_t *made_in);
int fs_close(struct fs_session *s, uint64_t handle);
int64_t fs_read(struct fs_session *s, uint64_t handle, uint64_t off, void *buf, uint64_t len);
/* fs_read that also says at which file offset the read began (*at: the
 * handle's position before it, for FS_OFF_CURRENT). */
int64_t fs_read_at(struct fs_session *s, uint64_t handle, uint64_t off, void *buf, uint64_t len,
                   uint64_t *at);
int64_t fs_write(struct fs_session *s, uint64_t handle, uint64_t off, const void *buf,
                 uint64_t len);
int64_t fs_seek(struct fs_session *s, uint64_t handle, int64_t off, uint32_t whence);
int fs_ftruncate(struct fs_session *s, uint64_t handle, uint64_t size);
int fs_truncate(struct fs_session *s, const struct fs_path *p, uint64_t size);
int fs_fstat(struct fs_session *s, uint64_t handle, struct fs_stat *st);
int fs_stat(struct fs_session *s, const struct fs_path *p, struct fs_stat *st);
int fs_lstat(struct fs_session *s, const struct fs_path *p, struct fs_stat *st);
int fs_mkdir(struct fs_session *s, const struct fs_path *p, uint32_t mode);
/* fs_mkdir, telling the inode numbers of the directory made and of its
 * parent (0 in a volume, whose numbers are its own). */
int fs_mkdir_ino(struct fs_session *s, const struct fs_path *p, uint32_t mode, uint64_t *ino,
                 uint64_t *parent);
/* A FIFO node at p (type: FS_TYPE_FIFO only, else AE_EINVAL): no data;
 * opened, a handle that neither reads nor writes. */
int fs_mknod(struct fs_session *s, const struct fs_path *p, uint32_t type, uint32_t mode);
int fs_unlink(struct fs_session *s, const struct fs_path *p);
/* fs_unlink, telling the inode number and type of what it removed (a
 * client's kept stats of that node, by any name, are then stale). */
int fs_unlink_ino(struct fs_session *s, const struct fs_path *p, uint64_t *ino, uint32_t *type);
int fs_rmdir(struct fs_session *s, const struct fs_path *p);
int fs_rename(struct fs_session *s, const struct fs_path *from, const struct fs_path *to,
              uint32_t flags);
/* A symbolic link at link holding target[0..len) as given. */
int fs_symlink(struct fs_session *s, const char *target, size_t len, const struct fs_path *link);
/* Copies up to cap bytes of the link's target into buf; returns its full length. */
int64_t fs_readlink(struct fs_session *s, const struct fs_path *p, void *buf, uint64_t cap);
/* A second name for a file (flags: FS_AT_FOLLOW). */
int fs_link(struct fs_session *s, const struct fs_path *old, const struct fs_path *new_name,
            uint32_t flags);
int fs_chmod(struct fs_session *s, const struct fs_path *p, uint32_t mode, uint32_t flags);
int fs_fchmod(struct fs_session *s, uint64_t handle, uint32_t mode);
int fs_chown(struct fs_session *s, const struct fs_path *p, uint32_t uid, uint32_t gid,
             uint32_t flags);
int fs_fchown(struct fs_session *s, uint64_t handle, uint32_t uid, uint32_t gid);
int fs_utimens(struct fs_session *s, const struct fs_path *p, uint64_t atime, uint64_t mtime,
               uint32_t flags);
int fs_futimens(struct fs_session *s, uint64_t handle, uint64_t atime, uint64_t mtime);
/* Creates that do not wait (reserve.c, docs/FS.md). fs_reserve gives back
 * every reservation s holds, then reserves up to n (<= FS_RESERVE_MAX)
 * handle slots, each with a file node charged now, into handles[];
 * returns how many (0 for a read-only session or one with mounts), the
 * first inode number in *first_ino (they are consecutive). */
int fs_reserve(struct fs_session *s, uint32_t n, uint64_t *handles, uint64_t *first_ino);
/* Creates the file p names with reserved handle h's node and opens it as h
 * (flags: FS_RESERVED_O_ALL), its times and its directory's mtime and ctime
 * time (0, FS_TIME_NOW, FS_TIME_OMIT: now). AE_EBADF (h is no reserved slot of s),
 * AE_EEXIST (the name exists), AE_EINVAL (its directory is not of s's own
 * layer), or a walk's error; 0 too when h is already open on p's node. */
int fs_create_reserved(struct fs_session *s, const struct fs_path *p, uint32_t flags,
                       uint32_t mode, uint64_t h, uint64_t time, struct fs_stat *st);
/* How many reservations s holds (a hint: they change under the caller). */
uint32_t fs_session_reserved(struct fs_session *s);
/* Memory is all there is: checks the handle. */
int fs_fsync(struct fs_session *s, uint64_t handle);
int fs_statfs(struct fs_session *s, struct fs_usage *u);

/* Lists a directory handle's entries with cookies greater than cookie, in
 * cookie order, calling emit for each until it returns non-zero (then that
 * entry is not consumed: the caller continues from the cookie it last
 * accepted). *eof is set when the listing ended. */
/* st: the entry's stat, as STAT with FS_AT_NOFOLLOW of its name gives it
 * (valid for the call only). */
typedef int (*fs_emit_fn)(void *ctx, const char *name, size_t len, uint32_t type,
                          uint64_t ino, uint64_t cookie, const struct fs_stat *st);
/* True when the session mounts no volume (then no entry of its tree is a
 * mount point, and readdir's stats are STAT's; checked as volumes are
 * mounted only when the session is made). */
bool fs_session_mounts_none(struct fs_session *s);
int fs_readdir(struct fs_session *s, uint64_t handle, uint64_t cookie, fs_emit_fn emit,
               void *ctx, bool *eof);

/* Copies src's private layer into dst, a session of the same image whose
 * own layer is still empty (a fork: docs/FORK.md): every node with its
 * inode number, attributes and pages (copied, charged to dst's limits),
 * every name, whiteout, symbolic and hard link; dst never hands out a
 * handle value src has open. Mounted volumes are not copied. AE_EINVAL:
 * the same session, or another image; AE_ENOTEMPTY: dst has files;
 * AE_EBUSY: dst has handles open; AE_EROFS; AE_EDEAD; AE_ENOSPC / AE_ENOMEM with dst
 * holding part of the copy (its opener closes it). */
int fs_session_fork(struct fs_session *src, struct fs_session *dst);

/* Checks every invariant of the session's private layer (and its mounted
 * volumes): counters, accounting, hash chains. Returns 0 or AE_EINVAL with
 * a static description in *why. For tests and fuzzers. */
int fs_session_check(struct fs_session *s, const char **why);
/* The same, but first sets the session's handle count and its own
 * layer's inode and byte counts to what its table and nodes hold: after the service died inside an
 * operation that had counted a page or an inode it had not linked yet
 * (docs/RESTART.md). */
int fs_session_recount(struct fs_session *s, const char **why);
/* fs_session_recount, and what the session's metadata holds now (the
 * session, its handle table, mount paths, its private layer's nodes,
 * names and directory tables: what it allocated through env mem_alloc and
 * has not freed), each allocation of n bytes costing cost(n), given to
 * done(ctx, sum) under the session's lock if every check passed: the
 * service's count made exact again after a restart (docs/FS.md). */
int fs_session_recount_meta(struct fs_session *s, uint64_t (*cost)(size_t),
                            void (*done)(void *ctx, uint64_t meta), void *ctx, const char **why);

#endif
