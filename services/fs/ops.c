/*
 * ops.c — the file-system operations on open files and on whole paths:
 * open, close, read, write, seek, truncate, stat, readdir, statfs, with
 * POSIX semantics. (names.c changes names; attr.c changes attributes.)
 * Each first checks everything that can fail with a user error, then
 * changes the tree; where a change needs memory, it is reserved before
 * anything visible changes, so a failed operation leaves the tree as it
 * was (copy-ups it made on the way are invisible: same contents).
 *
 * Locking: a path operation takes the session lock and every mounted
 * volume's (a walk may cross them all); a handle operation takes the
 * session lock and the lock of the layer its handle lies in.
 */
#include "fs_impl.h"

int handle_enter(struct fs_session *s, uint64_t h, struct fs_handle **hd, struct fs_layer **L)
{
    s->env.lock(s->layer.lock);
    int r = s->dead || s->lost ? AE_EDEAD : (*hd = handle_get(s, h)) ? 0 : AE_EBADF;
    if (r) {
        s->env.unlock(s->layer.lock);
        return r;
    }
    *L = handle_layer(s, *hd);
    if (*L != &s->layer)
        s->env.lock((*L)->lock);
    return 0;
}

static struct fs_ref handle_ref(const struct fs_handle *hd)
{
    return hd->kind == FS_H_UPPER ? (struct fs_ref){ hd->u, NULL } : (struct fs_ref){ NULL, hd->l };
}

int create_at(struct fs_session *s, struct fs_walk *w, uint8_t type, uint32_t mode,
              struct fs_unode **out)
{
    if (!w->named)
        return AE_EEXIST;                        /* "" or "..": a directory that exists */
    if (!pos_writable(s, &w->dir))
        return AE_EROFS;
    int r = pos_materialize(s, &w->dir);
    if (r)
        return r;
    struct fs_unode *parent = w->dir.r.u, *n;
    if (!parent->links)
        return AE_ENOENT;                        /* the directory was removed */
    if ((r = unode_new(parent->layer, type, mode, &n)))
        return r;
    if ((r = dir_link(parent, w->last, w->last_len, n))) {
        unode_release(n);
        return r;
    }
    parent->mtime = parent->ctime = n->ctime;    /* the same instant: one clock read */
    *out = n;
    return 0;
}

/* Open's checks and effects once the path is walked; w->node gets the node. */
static int open_locked(struct fs_session *s, struct fs_walk *w, uint32_t flags, uint32_t mode)
{
    uint32_t acc = flags & FS_O_ACCMODE;
    bool writes = acc != FS_O_RDONLY || (flags & FS_O_TRUNC);
    if (!w->found) {
        if (!(flags & FS_O_CREAT))
            return AE_ENOENT;
        if (w->must_dir || (flags & FS_O_DIRECTORY))
            return AE_EISDIR;                    /* O_CREAT makes files only */
        w->node = (struct fs_pos){ .dev = w->dir.dev };
        return create_at(s, w, FS_TYPE_FILE, mode, &w->node.r.u);
    }
    if ((flags & FS_O_CREAT) && (flags & FS_O_EXCL))
        return AE_EEXIST;
    uint32_t type = ref_type(w->node.r);
    if (type == FS_TYPE_SYMLINK)
        return AE_ELOOP;                         /* not followed: O_NOFOLLOW */
    if (type == FS_TYPE_DIR)
        return writes ? AE_EISDIR : 0;
    if (w->must_dir || (flags & FS_O_DIRECTORY))
        return AE_ENOTDIR;
    if (type == FS_TYPE_FIFO)
        return 0;                                /* no data: O_TRUNC means nothing (POSIX) */
    if (!writes)
        return 0;
    if (!pos_writable(s, &w->node))
        return AE_EROFS;
    int r = pos_materialize(s, &w->node);
    if (r || !(flags & FS_O_TRUNC))
        return r;
    if ((r = file_truncate(w->node.r.u, 0)) == 0)
        unode_touch(w->node.r.u, true);
    return r;
}

/* Fills a reserved handle with the node w found. */
void handle_fill(struct fs_handle *hd, const struct fs_pos *p, uint32_t flags)
{
    uint32_t acc = flags & FS_O_ACCMODE;
    hd->kind = p->r.u ? FS_H_UPPER : FS_H_LOWER;
    if (p->r.u) {
        hd->u = p->r.u;
        p->r.u->opens++;
    } else {
        hd->l = p->r.l;
        hd->anchor = p->anchor;
        p->anchor->opens++;
    }
    bool data = ref_type(p->r) != FS_TYPE_FIFO;  /* a FIFO's pipe is the client's */
    hd->can_read = data && acc != FS_O_WRONLY;
    hd->can_write = data && acc != FS_O_RDONLY;
    hd->append = !!(flags & FS_O_APPEND);
    hd->dev = p->dev;
}

int fs_open(struct fs_session *s, const struct fs_path *p, uint32_t flags, uint32_t mode,
            uint64_t *handle, struct fs_stat *st)
{
    uint64_t made_in;
    return fs_open_made(s, p, flags, mode, handle, st, &made_in);
}

int fs_open_made(struct fs_session *s, const struct fs_path *p, uint32_t flags, uint32_t mode,
                 uint64_t *handle, struct fs_stat *st, uint64_t *made_in)
{
    *made_in = 0;
    if ((flags & ~FS_O_ALL) || (flags & FS_O_ACCMODE) == FS_O_ACCMODE || (mode & ~FS_MODE_MASK))
        return AE_EINVAL;
    int r = session_lock_all(s);
    if (r)
        return r;
    bool excl = (flags & FS_O_CREAT) && (flags & FS_O_EXCL);
    unsigned follow = (flags & FS_O_NOFOLLOW) || excl ? 0 : WALK_FOLLOW;
    struct fs_handle *hd;
    struct fs_walk w;
    uint64_t h;
    if ((r = handle_new(s, &h, &hd)) == 0) {
        bool made = false;
        if ((r = walk_path(s, p, follow, &w)) == 0) {
            made = !w.found;
            r = open_locked(s, &w, flags, mode);
        }
        if (r) {
            handle_unreserve(s, hd);             /* never handed out */
        } else {
            if (made && w.dir.dev == 0)
                *made_in = w.dir.r.u->ino;       /* where a name came: a client's proofs */
            handle_fill(hd, &w.node, flags);
            *handle = h;
            if (st)
                ref_stat(w.node.r, w.node.dev, st);
        }
        walk_done(s, &w);
    }
    session_unlock_all(s);
    return r;
}

int fs_close(struct fs_session *s, uint64_t h)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    handle_drop(s, hd);
    session_unlock(s, L);
    return 0;
}

int64_t fs_read(struct fs_session *s, uint64_t h, uint64_t off, void *buf, uint64_t len)
{
    uint64_t at;
    return fs_read_at(s, h, off, buf, len, &at);
}

int64_t fs_read_at(struct fs_session *s, uint64_t h, uint64_t off, void *buf, uint64_t len,
                   uint64_t *at_out)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int64_t r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    struct fs_ref ref = handle_ref(hd);
    uint64_t at = off == FS_OFF_CURRENT ? hd->pos : off;
    *at_out = at;
    if (!hd->can_read)
        r = AE_EBADF;
    else if (ref_type(ref) == FS_TYPE_DIR)
        r = AE_EISDIR;
    else
        r = ref.u ? file_read(ref.u, at, buf, len) : lower_read(ref.l, at, buf, len);
    if (r > 0 && off == FS_OFF_CURRENT)
        hd->pos = at + (uint64_t)r;
    session_unlock(s, L);
    return r;
}

int64_t fs_write(struct fs_session *s, uint64_t h, uint64_t off, const void *buf, uint64_t len)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int64_t r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    if (!hd->can_write) {
        session_unlock(s, L);
        return AE_EBADF;                         /* (directories are never writable) */
    }
    bool moves = hd->append || off == FS_OFF_CURRENT;
    uint64_t at = hd->append ? hd->u->f.size : off == FS_OFF_CURRENT ? hd->pos : off;
    r = len ? file_write(hd->u, at, buf, len) : 0;
    if (r > 0 && moves)
        hd->pos = at + (uint64_t)r;
    if (r > 0)
        unode_touch(hd->u, true);
    session_unlock(s, L);
    return r;
}

int64_t fs_seek(struct fs_session *s, uint64_t h, int64_t off, uint32_t whence)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int64_t r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    struct fs_stat st;
    ref_stat(handle_ref(hd), 0, &st);
    uint64_t base = whence == FS_SEEK_SET ? 0 : whence == FS_SEEK_CUR ? hd->pos : st.size;
    if (whence > FS_SEEK_END || (off < 0 && (uint64_t)-(off + 1) >= base) ||
        (off > 0 && (uint64_t)off > FS_FILE_MAX - base) || base > FS_FILE_MAX) {
        r = AE_EINVAL;                           /* before 0, past FS_FILE_MAX, bad whence */
    } else {
        hd->pos = base + (uint64_t)off;
        r = (int64_t)hd->pos;
    }
    session_unlock(s, L);
    return r;
}

static int truncate_node(struct fs_unode *n, uint64_t size)
{
    int r = file_truncate(n, size);
    if (!r)
        unode_touch(n, true);
    return r;
}

int fs_ftruncate(struct fs_session *s, uint64_t h, uint64_t size)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    r = hd->can_write ? truncate_node(hd->u, size) : AE_EBADF;
    session_unlock(s, L);
    return r;
}

int fs_truncate(struct fs_session *s, const struct fs_path *p, uint64_t size)
{
    int r = session_lock_all(s);
    if (r)
        return r;
    struct fs_walk w;
    if (!(r = walk_path(s, p, WALK_FOLLOW, &w))) {
        uint32_t type = w.found ? ref_type(w.node.r) : 0;
        if (!w.found)
            r = AE_ENOENT;
        else if (type == FS_TYPE_DIR)
            r = AE_EISDIR;
        else if (w.must_dir)
            r = AE_ENOTDIR;
        else if (type != FS_TYPE_FILE)
            r = AE_EINVAL;                       /* a FIFO: Linux's answer */
        else if (size > FS_FILE_MAX)
            r = AE_EFBIG;
        else if (!pos_writable(s, &w.node))
            r = AE_EROFS;
        else if (!(r = pos_materialize(s, &w.node)))
            r = truncate_node(w.node.r.u, size);
    }
    walk_done(s, &w);
    session_unlock_all(s);
    return r;
}

int fs_fstat(struct fs_session *s, uint64_t h, struct fs_stat *st)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    ref_stat(handle_ref(hd), hd->dev, st);
    session_unlock(s, L);
    return 0;
}

static int stat_path(struct fs_session *s, const struct fs_path *p, unsigned flags,
                     struct fs_stat *st)
{
    int r = session_lock_all(s);
    if (r)
        return r;
    struct fs_walk w;
    if (!(r = walk_path(s, p, flags, &w))) {
        if (!w.found)
            r = AE_ENOENT;
        else if (w.must_dir && ref_type(w.node.r) != FS_TYPE_DIR)
            r = AE_ENOTDIR;
        else
            ref_stat(w.node.r, w.node.dev, st);
    }
    walk_done(s, &w);
    session_unlock_all(s);
    return r;
}

int fs_stat(struct fs_session *s, const struct fs_path *p, struct fs_stat *st)
{
    return stat_path(s, p, WALK_FOLLOW, st);
}

int fs_lstat(struct fs_session *s, const struct fs_path *p, struct fs_stat *st)
{
    return stat_path(s, p, 0, st);
}

/* Lists a lower directory from position `from`. */
static int readdir_lower(const struct fs_image *img, const struct fs_lnode *d, uint64_t from,
                         uint32_t dev, fs_emit_fn emit, void *ctx, bool *eof)
{
    struct fs_stat st;
    for (uint64_t i = from; i < d->nchildren; i++) {
        const struct fs_lnode *c = lower_child_at(img, d, (uint32_t)i);
        ref_stat((struct fs_ref){ NULL, c }, dev, &st);
        if (emit(ctx, c->name, c->name_len, c->type, c->ino, i + 1, &st))
            return 0;
    }
    *eof = true;
    return 0;
}

/* Lists an upper directory: image positions (as overlaid), then fresh entries. */
static int readdir_upper(const struct fs_unode *d, uint64_t cookie, uint32_t dev, fs_emit_fn emit,
                         void *ctx, bool *eof)
{
    const struct fs_image *img = d->layer->image;
    struct fs_stat st;
    for (uint64_t i = cookie; i < d->d.nlower; i++) {
        const struct fs_lnode *c = lower_child_at(img, d->d.lower, (uint32_t)i);
        struct fs_dirent *e = dir_find(d, c->name, c->name_len);
        if (e && !e->node)
            continue;                            /* whited out */
        uint32_t type = e ? e->node->type : c->type;
        uint64_t ino = e ? e->node->ino : c->ino;
        ref_stat(e ? (struct fs_ref){ e->node, NULL } : (struct fs_ref){ NULL, c }, dev, &st);
        if (emit(ctx, c->name, c->name_len, type, ino, i + 1, &st))
            return 0;
    }
    for (struct fs_dirent *e = d->d.fresh_head; e; e = e->next) {
        if (e->cookie <= cookie || !e->node)
            continue;
        ref_stat((struct fs_ref){ e->node, NULL }, dev, &st);
        if (emit(ctx, e->name, e->name_len, e->node->type, e->node->ino, e->cookie, &st))
            return 0;
    }
    *eof = true;
    return 0;
}

bool fs_session_mounts_none(struct fs_session *s)
{
    return __atomic_load_n(&s->nmounts, __ATOMIC_RELAXED) == 0;
}

int fs_readdir(struct fs_session *s, uint64_t h, uint64_t cookie, fs_emit_fn emit, void *ctx,
               bool *eof)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    struct fs_ref ref = handle_ref(hd);
    *eof = false;
    if (!hd->can_read)
        r = AE_EBADF;
    else if (ref_type(ref) != FS_TYPE_DIR)
        r = AE_ENOTDIR;
    else if (ref.l)
        r = readdir_lower(s->layer.image, ref.l, cookie, hd->dev, emit, ctx, eof);
    else
        r = readdir_upper(ref.u, cookie, hd->dev, emit, ctx, eof);
    session_unlock(s, L);
    return r;
}

int fs_statfs(struct fs_session *s, struct fs_usage *u)
{
    s->env.lock(s->layer.lock);
    int r = s->dead || s->lost ? AE_EDEAD : 0;
    if (!r)
        *u = (struct fs_usage){
            .bytes_used = s->layer.bytes_used, .bytes_max = s->layer.bytes_max,
            .inodes_used = s->layer.inodes_used, .inodes_max = s->layer.inodes_max,
            .handles_used = s->handles_open, .handles_max = s->handles_max,
        };
    s->env.unlock(s->layer.lock);
    return r;
}
