/*
 * xfer.c — bulk file transfers for `aerie cp`, through the container's
 * own fs session (cm hands ctl a copy of its capability, CM_FS_SESSION)
 * and a shared buffer of CTL_XFER_BUF bytes, so file bytes never travel
 * in message words:
 *
 *   put ID PATH SIZE MODE  + SIZE raw bytes  -> ok SIZE   (creates or truncates PATH)
 *   get ID PATH            -> data N + N bytes, ..., ok SIZE
 *   symlink ID PATH TARGET -> ok      (makes PATH a link to TARGET; replaces a link there)
 *   readlink ID PATH       -> ok TARGET
 *
 * A put's bytes are gathered and written a buffer at a time as they
 * arrive; once a write fails the rest is read and dropped, and the
 * request is answered with the first error. A get sends a piece each
 * round while its session's output has room, so a slow client only slows
 * itself. Connections to sessions are kept per container for the next
 * transfer (CTL_XFERS of them, the least recently used replaced).
 * Links go through the same session, so making one is checked and
 * charged exactly as when the container makes it itself (its root, its
 * fs.bytes and fs.inodes, a read-only volume) and needs no admin path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include "ctl.h"

#define GET_PIECE (256u << 10)

struct fsconn {
    uint64_t cid;                    /* 0: unused */
    uint64_t cap;
    struct ae_fs fs;
    unsigned users;
    uint64_t used;                   /* when last taken (a counter) */
};

struct xfer {
    bool active, get;
    struct ctl_session *s;
    char id[CTL_ID_MAX + 1];
    char path[FS_PATH_MAX + 1];
    uint64_t cid;
    struct fsconn *conn;
    uint64_t handle;
    uint64_t off, size;              /* bytes done; bytes in all */
    int err;                         /* put: the first error */
    uint8_t *buf;                    /* put: bytes gathered; get: a piece */
    size_t fill;
};

static struct fsconn conns[CTL_XFERS];
static struct xfer xfers[CTL_XFERS];
static uint64_t clock_ticks;

static void conn_drop(struct fsconn *c)
{
    ae_fs_fini(&c->fs);
    if (c->cap) {
        ae_cap_delete(c->cap);
        ae_slot_free(c->cap);
    }
    memset(c, 0, sizeof *c);
}

/* A connection to container cid's session, kept or made; NULL with *r. */
static struct fsconn *conn_take(struct ctl *ctl, uint64_t cid, int *r)
{
    struct fsconn *best = NULL;
    for (unsigned i = 0; i < CTL_XFERS; i++) {
        struct fsconn *c = &conns[i];
        if (c->cid == cid) {
            c->users++;
            c->used = ++clock_ticks;
            return c;
        }
        if (!c->users && (!best || c->used < best->used))
            best = c;
    }
    if (!best) {
        *r = AE_EBUSY;
        return NULL;
    }
    conn_drop(best);
    uint64_t cap;
    *r = ae_cm_fs_session(ctl->cm, cid, &cap, NULL, 0);
    if (*r)
        return NULL;
    best->cid = cid;
    best->cap = cap;
    ae_fs_init(&best->fs, cap, CTL_XFER_BUF);
    best->users = 1;
    best->used = ++clock_ticks;
    return best;
}

/* Ends a transfer; a connection whose session is gone is not kept. */
static void xfer_end(struct xfer *x)
{
    if (x->conn) {
        if (x->handle)
            ae_fs_close(&x->conn->fs, x->handle);
        x->conn->users--;
        if (x->err == AE_EDEAD && !x->conn->users)
            conn_drop(x->conn);
    }
    free(x->buf);
    if (x->s && x->s->put == x)
        x->s->put = NULL;
    memset(x, 0, sizeof *x);
}

static struct xfer *xfer_new(void)
{
    for (unsigned i = 0; i < CTL_XFERS; i++)
        if (!xfers[i].active)
            return &xfers[i];
    return NULL;
}

/* The text fs_err would answer, for answers given later. */
static void err_text(char *out, size_t cap, uint64_t cid, const char *path, int r)
{
    switch (r) {
    case AE_ESRCH:   snprintf(out, cap, "no such container %lu", cid); break;
    case AE_EACCES:  snprintf(out, cap, "the container was not granted fs: it has no files"); break;
    case AE_ENOENT:  snprintf(out, cap, "%.200s: no such file or directory", path); break;
    case AE_EISDIR:  snprintf(out, cap, "%.200s: is a directory", path); break;
    case AE_ENOTDIR: snprintf(out, cap, "%.200s: a path component is not a directory", path); break;
    case AE_ENOSPC:  snprintf(out, cap, "%.200s: the container's fs.bytes or fs.inodes limit is reached", path); break;
    case AE_EEXIST:  snprintf(out, cap, "%.200s: exists and is not a symbolic link", path); break;
    case AE_ENAMETOOLONG: snprintf(out, cap, "%.200s: a name in it, or a link's target, is too long (a "
                                   "target: at most %d bytes)", path, FS_PATH_MAX - 1); break;
    case AE_EROFS:   snprintf(out, cap, "%.200s: read-only", path); break;
    case AE_EBUSY:   snprintf(out, cap, "%d transfers are under way: try again", CTL_XFERS); break;
    default:         snprintf(out, cap, "%.200s: the fs service said error %d", path, r); break;
    }
}

/* Parses "ID PATH" (and for put "SIZE MODE"); answers nothing itself. */
static bool parse(const struct ctl_request *rq, uint64_t *cid, uint64_t *mode, char *why, size_t cap)
{
    char *end;
    *cid = strtoull(rq->args[0], &end, 10);
    if (*end || !rq->args[0][0] || rq->args[0][0] < '0' || rq->args[0][0] > '9' || *cid == 0) {
        snprintf(why, cap, "'%.40s' is not a container id (a number, as 'ps' lists)", rq->args[0]);
        return false;
    }
    if (strlen(rq->args[1]) > FS_PATH_MAX || rq->args[1][0] != '/') {
        snprintf(why, cap, "the path must be absolute and at most %d bytes", FS_PATH_MAX);
        return false;
    }
    if (mode) {
        *mode = strtoull(rq->args[3], &end, 8);
        if (*end || !rq->args[3][0] || *mode > 07777) {
            snprintf(why, cap, "MODE must be octal permission bits, e.g. 644");
            return false;
        }
    }
    return true;
}

/* Opens path in container cid for a transfer; 0 or an error (why set). */
static int xfer_open(struct ctl *ctl, struct xfer *x, uint32_t flags, uint32_t mode, char *why, size_t cap)
{
    int r = 0;
    struct ae_fs_stat st;
    x->conn = conn_take(ctl, x->cid, &r);
    if (!r)
        r = ae_fs_open(&x->conn->fs, x->path, flags, mode, &x->handle, &st);
    if (!r && st.type == FS_TYPE_FIFO) {
        /* a container's named pipe: no bytes to copy either way (its pipe
         * is its Linux personality's), and an fs handle to one reads and
         * writes nothing (attack22) */
        x->err = AE_EINVAL;
        snprintf(why, cap, "%.200s: a FIFO (named pipe): only files, directories and symbolic links are copied",
                 x->path);
        return AE_EINVAL;
    }
    if (!r && x->get && st.type != FS_TYPE_FILE)
        r = AE_EISDIR;
    if (r) {
        x->err = r;
        err_text(why, cap, x->cid, x->path, r);
        return r;
    }
    x->size = x->get ? st.size : x->size;
    return 0;
}

/* ---- put ---- */

void xfer_put_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size)
{
    char why[300];
    uint64_t cid, mode;
    struct xfer *x = xfer_new();
    if (!parse(rq, &cid, &mode, why, sizeof why)) {
        session_discard(s, rq->id, size, "%s", why);
        return;
    }
    if (!x) {
        err_text(why, sizeof why, cid, rq->args[1], AE_EBUSY);
        session_discard(s, rq->id, size, "%s", why);
        return;
    }
    *x = (struct xfer){ .active = true, .s = s, .cid = cid, .size = size };
    snprintf(x->id, sizeof x->id, "%s", rq->id);
    snprintf(x->path, sizeof x->path, "%s", rq->args[1]);
    x->buf = malloc(CTL_XFER_BUF);
    if (!x->buf || xfer_open(s->ctl, x, FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, (uint32_t)mode, why, sizeof why)) {
        if (!x->buf)
            snprintf(why, sizeof why, "ctl is out of memory");
        xfer_end(x);
        session_discard(s, rq->id, size, "%s", why);
        return;
    }
    s->put = x;
    session_payload(s, PAY_PUT, rq->id, size);
}

static void put_flush(struct xfer *x)
{
    if (!x->fill || x->err) {
        x->fill = 0;
        return;
    }
    int64_t n = ae_fs_write(&x->conn->fs, x->handle, x->off, x->buf, x->fill);
    if (n < 0)
        x->err = (int)n;
    else if ((size_t)n < x->fill)
        x->err = AE_ENOSPC;
    else
        x->off += (uint64_t)n;
    x->fill = 0;
}

void xfer_put_data(struct ctl_session *s, const uint8_t *p, size_t n)
{
    struct xfer *x = s->put;
    while (x && n) {
        size_t k = CTL_XFER_BUF - x->fill < n ? CTL_XFER_BUF - x->fill : n;
        if (!x->err)
            memcpy(x->buf + x->fill, p, k);
        x->fill += k;
        p += k;
        n -= k;
        if (x->fill == CTL_XFER_BUF)
            put_flush(x);
    }
}

void xfer_put_end(struct ctl_session *s)
{
    struct xfer *x = s->put;
    if (!x)
        return;
    put_flush(x);
    if (x->err) {
        char why[300];
        err_text(why, sizeof why, x->cid, x->path, x->err);
        reply_err(s, x->id, "%s", why);
    } else {
        reply_ok(s, x->id, "%lu", x->off);
    }
    xfer_end(x);
}

/* ---- get ---- */

void verb_get(struct ctl_session *s, const struct ctl_request *rq)
{
    char why[300];
    uint64_t cid;
    struct xfer *x = xfer_new();
    if (!parse(rq, &cid, NULL, why, sizeof why)) {
        reply_err(s, rq->id, "%s", why);
        return;
    }
    if (!x) {
        err_text(why, sizeof why, cid, rq->args[1], AE_EBUSY);
        reply_err(s, rq->id, "%s", why);
        return;
    }
    *x = (struct xfer){ .active = true, .get = true, .s = s, .cid = cid };
    snprintf(x->id, sizeof x->id, "%s", rq->id);
    snprintf(x->path, sizeof x->path, "%s", rq->args[1]);
    x->buf = malloc(GET_PIECE);
    if (!x->buf || xfer_open(s->ctl, x, FS_O_RDONLY, 0, why, sizeof why)) {
        reply_err(s, rq->id, "%s", x->buf ? why : "ctl is out of memory");
        xfer_end(x);
    }
}

/* One piece of a get; false when it has ended. */
static bool get_piece(struct xfer *x)
{
    uint64_t want = x->size - x->off < GET_PIECE ? x->size - x->off : GET_PIECE;
    int64_t n = want ? ae_fs_read(&x->conn->fs, x->handle, x->off, x->buf, want) : 0;
    if (n < 0) {
        char why[300];
        x->err = (int)n;
        err_text(why, sizeof why, x->cid, x->path, (int)n);
        reply_err(x->s, x->id, "%s", why);
        return false;
    }
    if (n > 0) {
        reply_data(x->s, x->id, x->buf, (size_t)n);
        x->off += (uint64_t)n;
    }
    if (n == 0 || x->off >= x->size) {        /* done, or the file shrank meanwhile */
        reply_ok(x->s, x->id, "%lu", x->off);
        return false;
    }
    return true;
}

bool xfer_poll(struct ctl *c)
{
    (void)c;
    bool more = false;
    for (unsigned i = 0; i < CTL_XFERS; i++) {
        struct xfer *x = &xfers[i];
        if (!x->active || !x->get || !session_has_room(x->s))
            continue;
        if (get_piece(x))
            more |= session_has_room(x->s);
        else
            xfer_end(x);
    }
    return more;
}

void xfer_drop(struct ctl_session *s)
{
    for (unsigned i = 0; i < CTL_XFERS; i++)
        if (xfers[i].active && xfers[i].s == s)
            xfer_end(&xfers[i]);
}

/* ---- links ---- */

/* A link's request: the session of rq's container or an answered error. */
static struct fsconn *link_conn(struct ctl_session *s, const struct ctl_request *rq, uint64_t *cid)
{
    char why[300];
    int r = 0;
    if (!parse(rq, cid, NULL, why, sizeof why)) {
        reply_err(s, rq->id, "%s", why);
        return NULL;
    }
    struct fsconn *c = conn_take(s->ctl, *cid, &r);
    if (!c) {
        err_text(why, sizeof why, *cid, rq->args[1], r);
        reply_err(s, rq->id, "%s", why);
    }
    return c;
}

static void link_done(struct fsconn *c, int r)
{
    c->users--;
    if (r == AE_EDEAD && !c->users)
        conn_drop(c);
}

void verb_symlink(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct fsconn *c = link_conn(s, rq, &cid);
    if (!c)
        return;
    const char *path = rq->args[1], *target = rq->args[2];
    int r = ae_fs_symlink(&c->fs, target, path);
    struct ae_fs_stat st;
    if (r == AE_EEXIST && !ae_fs_lstat(&c->fs, path, &st) && st.type == FS_TYPE_SYMLINK) {
        r = ae_fs_unlink(&c->fs, path);          /* a link there is replaced, as put replaces a file */
        if (!r)
            r = ae_fs_symlink(&c->fs, target, path);
    }
    link_done(c, r);
    if (r) {
        char why[300];
        err_text(why, sizeof why, cid, path, r);
        reply_err(s, rq->id, "%s", why);
    } else {
        reply_ok(s, rq->id, "%s", "");
    }
}

void verb_readlink(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct fsconn *c = link_conn(s, rq, &cid);
    if (!c)
        return;
    char target[FS_PATH_MAX + 1], w[2048];       /* w: what one reply line carries, escaped */
    int64_t n = ae_fs_readlink(&c->fs, rq->args[1], target, FS_PATH_MAX);
    link_done(c, n < 0 ? (int)n : 0);
    if (n >= 0 && n <= FS_PATH_MAX && n > 0 && ctl_escape(target, (size_t)n, w, sizeof w, true) == (size_t)n) {
        reply_ok(s, rq->id, "%s", w);
        return;
    }
    char why[300];
    if (n == AE_EINVAL)
        snprintf(why, sizeof why, "%.200s: not a symbolic link", rq->args[1]);
    else if (n < 0)
        err_text(why, sizeof why, cid, rq->args[1], (int)n);
    else
        snprintf(why, sizeof why, "%.200s: the link's target is longer than a reply line carries", rq->args[1]);
    reply_err(s, rq->id, "%s", why);
}
