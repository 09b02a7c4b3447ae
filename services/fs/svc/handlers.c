/*
 * handlers.c — the fs service's operations (aerie/proto/fs.h): the core's
 * requests on the caller's session and its shared buffer, ATTACH, and the
 * admin operations of the container manager. Each handler decodes and
 * checks every word before it changes anything; ae_serve replies with its
 * status and reply words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include "service.h"

#define HANDLES_DEFAULT 256u

_Static_assert(FS_SESSION_HANDLES_MAX == FS_HANDLES_MAX, "the protocol states the core's limit");

/* The bytes packed into words from..nwords-1, and how many there are. */
static const char *word_bytes(const struct ae_request *rq, unsigned from, uint64_t *avail)
{
    *avail = rq->nwords > from ? (uint64_t)(rq->nwords - from) * 8 : 0;
    return (const char *)&rq->w[from];
}

/* ---- the core's requests --------------------------------------------- */

static int h_file(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    struct fs_service *svc = wk->svc;
    struct svc_session *s;
    struct shbuf *b;
    int r = session_acquire(svc, rq->badge, &s, &b);
    if (r)
        return r;
    __atomic_fetch_add(&svc->requests, 1, __ATOMIC_RELAXED);
    if (!b) {
        r = AE_ENOTCONN;             /* attach a buffer first */
    } else if (b->lost) {
        r = AE_EDEAD;                /* its memory is gone: so is its client */
    } else {
        struct fs_shbuf sb = { b->base, b->bytes };
        struct fs_reply rep;
        uint64_t behind = 0;
        if (shctl_run_deferred(s->fs, b, &wk->req, NULL, &behind))
            shctl_publish(svc, s);     /* the queued writes and unlinks: one change */
        if (behind)
            __atomic_fetch_add(&s->write_bytes, behind, __ATOMIC_RELAXED);
        fs_serve(s->fs, rq->label, rq->w, rq->nwords, &sb, &wk->req, &rep);
        if (fs_op_changes_things(rq->label, rq->w, rq->nwords))
            shctl_publish(svc, s);     /* before the reply: its client reads it after */
        if (rq->label == FS_OP_STATFS && rep.status == 0 && rep.nwords == FS_R_STATFS_ROOM) {
            /* The room a write may still use: the data limit's, or less
             * when the memory the pages come from has less. */
            uint64_t left = rep.w[1] > rep.w[0] ? rep.w[1] - rep.w[0] : 0, room = acct_room(s->acct);
            rep.w[FS_R_STATFS_ROOM] = left < room ? left : room;
            rep.nwords = FS_R_STATFS_ROOM + 1;
        }
        for (unsigned i = 0; i < rep.nwords; i++)
            rq->reply[i] = rep.w[i];
        rq->nreply = rep.nwords;
        r = (int)rep.status;
        if (r == 0 && rep.nwords && (rq->label == FS_OP_READ || rq->label == FS_OP_WRITE))
            __atomic_fetch_add(rq->label == FS_OP_READ ? &s->read_bytes : &s->write_bytes, rep.w[0],
                               __ATOMIC_RELAXED);
        else if (r == 0 && rq->label == FS_OP_OPEN && rep.nwords > FS_R_OPEN_READ)
            __atomic_fetch_add(&s->read_bytes, rep.w[FS_R_OPEN_READ], __ATOMIC_RELAXED);   /* its read */
    }
    session_release(svc, s, b);
    return r;
}

static int h_attach(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    if (rq->ncaps != 1)
        return AE_EPROTO;
    struct svc_session *s;
    int r = session_acquire(svc, rq->badge, &s, NULL);
    if (r)
        return r;
    struct shbuf *b;
    uint64_t flags = rq->nwords ? rq->w[0] : 0;
    r = shbuf_attach(svc, rq->caps[0], flags, &b);   /* the mapping keeps the memory */
    if (!r) {
        /* A block a restarted instance must mark (shctl.c): the record
         * takes the capability over; otherwise the loop drops it. */
        struct shctl_keep *keep = b->ctl ? shctl_keep_new(rq->caps[0], b->bytes) : NULL;
        if (keep)
            rq->caps_kept |= 1;
        rq->reply[0] = b->bytes;
        rq->reply[1] = (b->ctl ? FS_ATTACH_R_CTL : 0) |
                       (fs_session_mounts(s->fs) ? 0 : FS_ATTACH_R_PRIVATE);
        rq->nreply = 2;
        session_set_buffer(svc, s, b, keep);
    }
    session_release(svc, s, NULL);
    return r;
}

/* ---- admin: sessions ------------------------------------------------- */

/* Decodes OPEN_SESSION's grants into a; the mount paths are parsed into
 * mounts[]. Returns 0 or the error of the first bad word. */
static int decode_grants(const struct ae_request *rq, unsigned nv, const char *bytes,
                         uint64_t avail, uint64_t used, struct session_args *a,
                         struct fs_path *mounts)
{
    for (unsigned i = 0; i < nv; i++) {
        uint64_t g = rq->w[FS_ADMIN_OPEN_WORDS + i];
        uint32_t nlen = FS_GRANT_NAME_LEN(g), mlen = FS_GRANT_MOUNT_LEN(g);
        if (g >> 32 || (FS_GRANT_FLAGS(g) & ~FS_GRANT_RW) || nlen == 0 ||
            nlen > FS_VOLUME_NAME_MAX)
            return AE_EINVAL;
        if (nlen + mlen > avail - used)
            return AE_EPROTO;
        a->volumes[i].name = bytes + used;
        a->volumes[i].name_len = nlen;
        int r = fs_path_parse(bytes + used + nlen, mlen, &mounts[i]);
        if (r)
            return r;
        a->volumes[i].mount = &mounts[i];
        a->volumes[i].rw = FS_GRANT_FLAGS(g) & FS_GRANT_RW;
        used += nlen + mlen;
    }
    a->nvolumes = nv;
    return 0;
}

/* OPEN_SESSION's quota (caps[0]), checked and kept in *quota (0: none). */
static int take_quota(struct ae_request *rq, uint64_t *quota)
{
    *quota = 0;
    if (rq->ncaps == 0)
        return 0;
    if (rq->ncaps != 1)
        return AE_EPROTO;
    uint64_t badge;
    int64_t t = ae_cap_info(rq->caps[0], &badge);
    if (t < 0)
        return (int)t;
    if ((t & 0xFF) != AERIE_OBJ_QUOTA)
        return AE_ETYPE;
    if (!((t >> 8) & AERIE_R_MANAGE))
        return AE_ERIGHTS;                /* we make Memory objects from it */
    rq->caps_kept |= 1;                   /* ours now: the session's account deletes it */
    *quota = rq->caps[0];
    return 0;
}

/* OPEN_SESSION's words. Once they are checked the session takes *quota
 * over (and sets it to 0), whether it opens or not. */
static int open_session(struct fs_service *svc, struct ae_request *rq, uint64_t *quota)
{
    const uint64_t *w = rq->w;
    uint64_t nv = w[5], avail;
    if (nv > FS_ADMIN_VOLUMES_MAX || (w[0] & ~(uint64_t)FS_SESSION_F_RDONLY) ||
        w[2] > UINT32_MAX || w[3] > FS_SESSION_HANDLES_MAX)
        return AE_EINVAL;
    if (rq->nwords < FS_ADMIN_OPEN_WORDS + nv)
        return AE_EPROTO;
    const char *bytes = word_bytes(rq, FS_ADMIN_OPEN_WORDS + (unsigned)nv, &avail);
    if (w[4] > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    if (w[4] > avail)
        return AE_EPROTO;
    struct session_args a = {
        .image = bytes, .image_len = w[4],
        .limits = { .data_bytes = w[1], .inodes = (uint32_t)w[2],
                    .handles = w[3] ? (uint32_t)w[3] : HANDLES_DEFAULT },
        .flags = (w[0] & FS_SESSION_F_RDONLY) ? FS_SESSION_RDONLY : 0,
    };
    struct fs_path *mounts = nv ? malloc(nv * sizeof *mounts) : NULL;
    if (nv && !mounts)
        return AE_ENOMEM;
    int r = decode_grants(rq, (unsigned)nv, bytes, avail, w[4], &a, mounts);
    uint32_t id;
    uint64_t cap;
    a.quota = *quota;
    if (!r) {
        *quota = 0;
        r = session_open(svc, &a, &id, &cap);
    }
    free(mounts);
    if (r)
        return r;
    rq->reply[0] = id;
    rq->nreply = 1;
    rq->reply_caps[0] = (uint32_t)cap;
    rq->nreply_caps = 1;
    return 0;
}

static int h_open_session(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t quota;
    int r = take_quota(rq, &quota);
    if (r)
        return r;
    r = open_session(svc, rq, &quota);
    if (quota) {                          /* refused before the session took it */
        ae_cap_delete(quota);
        ae_slot_free(quota);
    }
    return r;
}

static int h_close_session(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    return rq->w[0] > UINT32_MAX ? AE_ENOENT : session_close(svc, (uint32_t)rq->w[0]);
}

/* ---- admin: files, for `aerie cp` ------------------------------------ */

/* The session (by id in word 0) and the path (length in word plen_word,
 * bytes from word from), parsed into *p. */
static int admin_target(struct fs_service *svc, const struct ae_request *rq, unsigned plen_word,
                        unsigned from, uint64_t extra, struct fs_path *p, struct svc_session **s)
{
    uint64_t avail, plen = rq->w[plen_word];
    const char *bytes = word_bytes(rq, from, &avail);
    if (plen > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    if (plen > avail || extra > avail - plen)
        return AE_EPROTO;
    int r = fs_path_parse(bytes, plen, p);
    if (r)
        return r;
    return rq->w[0] > UINT32_MAX ? AE_ENOENT : session_acquire_id(svc, (uint32_t)rq->w[0], s, NULL);
}

static int h_admin_read(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    uint64_t off = rq->w[1], len = rq->w[2];
    if (len > FS_ADMIN_READ_MAX)
        return AE_EINVAL;
    struct svc_session *s;
    int r = admin_target(wk->svc, rq, 3, 4, 0, &wk->req.path, &s);
    if (r)
        return r;
    uint64_t h;
    struct fs_stat st;
    int64_t n = fs_open(s->fs, &wk->req.path, FS_O_RDONLY, 0, &h, &st);
    if (!n) {
        n = fs_read(s->fs, h, off, &rq->reply[2], len);
        fs_close(s->fs, h);
    }
    session_release(wk->svc, s, NULL);
    if (n < 0)
        return (int)n;
    rq->reply[0] = (uint64_t)n;
    rq->reply[1] = st.size;
    rq->nreply = 2 + (unsigned)((n + 7) / 8);
    return 0;
}

/* Before an admin create (WRITE with FS_ADMIN_W_CREATE, MKDIR) in a
 * session that holds reservations: its client may have queued a create
 * of the very name, which it told its program had worked. Running its
 * queue first puts that create first, as the round trip would have
 * (docs/FS.md, "Creates that do not wait"). */
static void run_queue_first(struct svc_worker *wk, const struct ae_request *rq)
{
    struct svc_session *s;
    struct shbuf *b;
    if (rq->w[0] > UINT32_MAX || session_acquire_id(wk->svc, (uint32_t)rq->w[0], &s, &b))
        return;
    uint64_t behind = 0;
    if (b && !b->lost && fs_session_reserved(s->fs) &&
        shctl_run_deferred(s->fs, b, &wk->req, NULL, &behind))
        shctl_publish(wk->svc, s);
    if (behind)
        __atomic_fetch_add(&s->write_bytes, behind, __ATOMIC_RELAXED);
    session_release(wk->svc, s, b);
}

static int h_admin_write(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    uint64_t off = rq->w[1], len = rq->w[2], flags = rq->w[4], mode = rq->w[5];
    if ((flags & ~(uint64_t)(FS_ADMIN_W_CREATE | FS_ADMIN_W_TRUNC)) || (mode & ~(uint64_t)FS_MODE_MASK))
        return AE_EINVAL;
    if (flags & FS_ADMIN_W_CREATE)
        run_queue_first(wk, rq);
    struct svc_session *s;
    int r = admin_target(wk->svc, rq, 3, 6, len, &wk->req.path, &s);
    if (r)
        return r;
    uint32_t of = FS_O_WRONLY | (flags & FS_ADMIN_W_CREATE ? FS_O_CREAT : 0) |
                  (flags & FS_ADMIN_W_TRUNC ? FS_O_TRUNC : 0);
    uint64_t h;
    int64_t n = fs_open(s->fs, &wk->req.path, of, (uint32_t)mode, &h, NULL);
    if (!n) {
        n = len ? fs_write(s->fs, h, off, (const char *)&rq->w[6] + rq->w[3], len) : 0;
        fs_close(s->fs, h);
    }
    shctl_publish(wk->svc, s);           /* whatever happened: the client's caches may be stale */
    session_release(wk->svc, s, NULL);
    if (n < 0)
        return (int)n;
    rq->reply[0] = (uint64_t)n;
    rq->nreply = 1;
    return 0;
}

static int h_admin_stat(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    struct svc_session *s;
    int r = admin_target(wk->svc, rq, 1, 2, 0, &wk->req.path, &s);
    if (r)
        return r;
    struct fs_stat st;
    r = fs_stat(s->fs, &wk->req.path, &st);
    session_release(wk->svc, s, NULL);
    if (r)
        return r;
    rq->reply[0] = st.type;
    rq->reply[1] = st.size;
    rq->reply[2] = st.mode;
    rq->nreply = 3;
    return 0;
}

static int h_admin_mkdir(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    if (rq->w[1] & ~(uint64_t)FS_MODE_MASK)
        return AE_EINVAL;
    run_queue_first(wk, rq);
    struct svc_session *s;
    int r = admin_target(wk->svc, rq, 2, 3, 0, &wk->req.path, &s);
    if (r)
        return r;
    r = fs_mkdir(s->fs, &wk->req.path, (uint32_t)rq->w[1]);
    shctl_publish(wk->svc, s);
    session_release(wk->svc, s, NULL);
    return r;
}

/* Packs directory entries into LIST's reply bytes until they are full. */
struct list_out {
    char *bytes;
    uint64_t used, count, cookie;
};

static int list_emit(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                     uint64_t cookie, const struct fs_stat *st)
{
    struct list_out *o = ctx;
    (void)ino;
    (void)st;
    if (o->used + 2 + len > FS_ADMIN_LIST_MAX)
        return 1;                          /* full: the caller continues from o->cookie */
    o->bytes[o->used] = (char)type;
    o->bytes[o->used + 1] = (char)len;
    memcpy(o->bytes + o->used + 2, name, len);
    o->used += 2 + len;
    o->count++;
    o->cookie = cookie;
    return 0;
}

static int h_admin_list(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    struct svc_session *s;
    int r = admin_target(wk->svc, rq, 2, 3, 0, &wk->req.path, &s);
    if (r)
        return r;
    uint64_t h;
    struct list_out o = { (char *)&rq->reply[3], 0, 0, rq->w[1] };
    bool eof = false;
    r = fs_open(s->fs, &wk->req.path, FS_O_RDONLY | FS_O_DIRECTORY, 0, &h, NULL);
    if (!r) {
        r = fs_readdir(s->fs, h, rq->w[1], list_emit, &o, &eof);
        fs_close(s->fs, h);
    }
    session_release(wk->svc, s, NULL);
    if (r)
        return r;
    rq->reply[0] = o.cookie;
    rq->reply[1] = eof;
    rq->reply[2] = o.count;
    rq->nreply = 3 + (unsigned)((o.used + 7) / 8);
    return 0;
}

/* ---- admin: inspection, volumes -------------------------------------- */

static int h_stats(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t *o = rq->reply, q[6] = { 0 }, own;
    ae_quota_info(ae_self.quota, q);
    table_counts(svc, &o[FS_STAT_SESSIONS], &o[FS_STAT_IMAGES], &o[FS_STAT_VOLUMES]);
    acct_pool_counts(&own, &o[FS_STAT_POOL_PAGES], &o[FS_STAT_OWN_LIMIT], &o[FS_STAT_QUOTA_PAGES]);
    o[FS_STAT_DATA_PAGES] = own + o[FS_STAT_QUOTA_PAGES];
    o[FS_STAT_QUOTA_FAULTS] = __atomic_load_n(&svc->quota_faults, __ATOMIC_RELAXED);
    o[FS_STAT_QUOTA_LIMIT] = q[0];
    o[FS_STAT_QUOTA_USED] = q[1];
    o[FS_STAT_BUFFER_FAULTS] = __atomic_load_n(&svc->buffer_faults, __ATOMIC_RELAXED);
    o[FS_STAT_REQUESTS] = __atomic_load_n(&svc->requests, __ATOMIC_RELAXED);
    o[FS_STAT_META_HEAP] = p_heap_used();
    acct_meta_pool(&o[FS_STAT_META_POOL], &o[FS_STAT_META_POOL_SIZE], &o[FS_STAT_META_PROMISED]);
    rq->nreply = FS_STAT_WORDS;
    return 0;
}

static int h_session_stats(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    struct svc_session *s;
    int r = rq->w[0] > UINT32_MAX ? AE_ENOENT : session_acquire_id(svc, (uint32_t)rq->w[0], &s, NULL);
    if (r)
        return r;
    struct fs_usage u = { 0 };
    uint64_t *o = rq->reply, pages;
    bool lost = fs_statfs(s->fs, &u) == AE_EDEAD && acct_lost(s->acct);
    acct_usage(s->acct, &o[FS_SSTAT_QUOTA_BYTES], &o[FS_SSTAT_META_BYTES], &pages);
    o[FS_SSTAT_DATA_BYTES] = u.bytes_used;
    o[FS_SSTAT_DATA_LIMIT] = u.bytes_max;
    o[FS_SSTAT_READ_BYTES] = __atomic_load_n(&s->read_bytes, __ATOMIC_RELAXED);
    o[FS_SSTAT_WRITE_BYTES] = __atomic_load_n(&s->write_bytes, __ATOMIC_RELAXED);
    o[FS_SSTAT_INODES] = u.inodes_used;
    o[FS_SSTAT_INODE_LIMIT] = u.inodes_max;
    o[FS_SSTAT_HANDLES] = u.handles_used;
    o[FS_SSTAT_FLAGS] = (s->acct->quota ? FS_SSTAT_F_QUOTA : 0) | (lost ? FS_SSTAT_F_LOST : 0);
    acct_meta_limits(s->acct, &o[FS_SSTAT_META_PROMISE], &o[FS_SSTAT_META_LIMIT], &o[FS_SSTAT_META_DEPOSIT]);
    rq->nreply = FS_SSTAT_WORDS;
    session_release(svc, s, NULL);
    return 0;
}

static int h_check(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    struct svc_session *s;
    int r = rq->w[0] > UINT32_MAX ? AE_ENOENT : session_acquire_id(svc, (uint32_t)rq->w[0], &s, NULL);
    if (r)
        return r;
    const char *why = NULL;
    r = fs_session_check(s->fs, &why);
    if (r)
        printf("fs: session %u fails its check: %s\n", s->id, why);
    session_release(svc, s, NULL);
    return r;
}

static int h_volume_create(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t avail;
    const char *name = word_bytes(rq, 3, &avail);
    if (rq->w[1] > UINT32_MAX)
        return AE_EINVAL;
    if (rq->w[2] > avail)
        return AE_EPROTO;
    struct fs_limits lim = { .data_bytes = rq->w[0], .inodes = (uint32_t)rq->w[1] };
    return volume_create(svc, name, rq->w[2], &lim);
}

static int h_volume_delete(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t avail;
    const char *name = word_bytes(rq, 1, &avail);
    if (rq->w[0] > avail)
        return AE_EPROTO;
    return volume_delete(svc, name, rq->w[0]);
}

/* The container manager's imported images (archives.c). */
static int h_archive_add(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t avail;
    const char *name = word_bytes(rq, 1, &avail);
    if (rq->ncaps != 1 || rq->w[0] > avail)
        return AE_EPROTO;
    int r = archive_add(svc, name, rq->w[0], rq->caps[0]);
    if (!r)
        rq->caps_kept |= 1;               /* the archive keeps it, until dropped */
    return r;
}

static int h_archive_drop(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    uint64_t avail;
    const char *name = word_bytes(rq, 1, &avail);
    if (rq->w[0] > avail)
        return AE_EPROTO;
    return archive_drop(svc, name, rq->w[0]);
}

/* What the session's client queued in its block, run now (a fork: cm
 * stopped the container, and copies its files next). */
static int h_run_queued(void *ctx, struct ae_request *rq)
{
    struct svc_worker *wk = ctx;
    struct svc_session *s;
    struct shbuf *b;
    int r = rq->w[0] > UINT32_MAX ? AE_ENOENT : session_acquire_id(wk->svc, (uint32_t)rq->w[0], &s, &b);
    if (r)
        return r;
    uint64_t ran = 0, behind = 0;
    if (b && b->lost)
        r = AE_EDEAD;
    else if (b && shctl_run_deferred(s->fs, b, &wk->req, &ran, &behind))
        shctl_publish(wk->svc, s);      /* its client's caches must not keep the old sizes */
    if (behind)
        __atomic_fetch_add(&s->write_bytes, behind, __ATOMIC_RELAXED);
    session_release(wk->svc, s, b);
    if (r)
        return r;
    rq->reply[0] = ran;
    rq->nreply = 1;
    return 0;
}

/* A fork's files: the source session's private layer into the new one. */
static int h_fork_session(void *ctx, struct ae_request *rq)
{
    struct fs_service *svc = ((struct svc_worker *)ctx)->svc;
    if (rq->w[0] > UINT32_MAX || rq->w[1] > UINT32_MAX)
        return AE_ENOENT;
    if (rq->w[0] == rq->w[1])
        return AE_EINVAL;
    struct svc_session *src, *dst;
    int r = session_acquire_id(svc, (uint32_t)rq->w[0], &src, NULL);
    if (r)
        return r;
    r = session_acquire_id(svc, (uint32_t)rq->w[1], &dst, NULL);
    if (r) {
        session_release(svc, src, NULL);
        return r;
    }
    r = fs_session_fork(src->fs, dst->fs);
    shctl_publish(svc, dst);              /* whatever it holds now: a client's caches must look again */
    session_release(svc, dst, NULL);
    session_release(svc, src, NULL);
    return r;
}

const struct ae_op svc_ops[FS_SERVICE_OP_END] = {
    [FS_OP_OPEN] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_CLOSE] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_READ] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_WRITE] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_SEEK] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FTRUNCATE] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_TRUNCATE] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FSTAT] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_STAT] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_MKDIR] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_UNLINK] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_RMDIR] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_RENAME] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_READDIR] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_STATFS] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_SYMLINK] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_READLINK] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_LINK] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_CHMOD] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_CHOWN] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_UTIMENS] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FCHMOD] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FCHOWN] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FUTIMENS] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_FSYNC] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_CREATE_RESERVED] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_RESERVE] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_MKNOD] = { h_file, 0, AE_CALLER_CLIENT },
    [FS_OP_ATTACH] = { h_attach, 0, AE_CALLER_CLIENT },
    [FS_ADMIN_OPEN_SESSION] = { h_open_session, FS_ADMIN_OPEN_WORDS, AE_CALLER_ADMIN },
    [FS_ADMIN_CLOSE_SESSION] = { h_close_session, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_READ] = { h_admin_read, 4, AE_CALLER_ADMIN },
    [FS_ADMIN_WRITE] = { h_admin_write, 6, AE_CALLER_ADMIN },
    [FS_ADMIN_STATS] = { h_stats, 0, AE_CALLER_ADMIN },
    [FS_ADMIN_CHECK] = { h_check, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_VOLUME_CREATE] = { h_volume_create, 3, AE_CALLER_ADMIN },
    [FS_ADMIN_VOLUME_DELETE] = { h_volume_delete, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_STAT] = { h_admin_stat, 2, AE_CALLER_ADMIN },
    [FS_ADMIN_MKDIR] = { h_admin_mkdir, 3, AE_CALLER_ADMIN },
    [FS_ADMIN_LIST] = { h_admin_list, 3, AE_CALLER_ADMIN },
    [FS_ADMIN_SESSION_STATS] = { h_session_stats, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_ARCHIVE_ADD] = { h_archive_add, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_ARCHIVE_DROP] = { h_archive_drop, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_RUN_QUEUED] = { h_run_queued, 1, AE_CALLER_ADMIN },
    [FS_ADMIN_FORK_SESSION] = { h_fork_session, 2, AE_CALLER_ADMIN },
};
