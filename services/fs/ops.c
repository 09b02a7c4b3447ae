/*
 * ops.c — the file-system operations on a session, with POSIX semantics.
 * Each first checks everything that can fail with a user error, then
 * changes the tree; where a change needs memory, it is reserved before
 * anything visible changes, so a failed operation leaves the tree as it
 * was (copy-ups it made on the way are invisible: same contents).
 *
 * Locking: every operation takes the session lock, then the lock of the
 * volume its path or handle lies in, if any (session.c: session_lock).
 */
#include "fs_impl.h"

/* Locks the session and the layer p lies in; fails on a dead session. */
static int enter_path(struct fs_session *s, const struct fs_path *p, struct fs_where *w)
{
    s->env.lock(s->layer.lock);
    if (s->dead) {
        s->env.unlock(s->layer.lock);
        return AE_EDEAD;
    }
    where_is(s, p, w);
    if (w->layer != &s->layer)
        s->env.lock(w->layer->lock);
    return 0;
}

/* Locks the session and the layer of handle h, which must be open. */
static int enter_handle(struct fs_session *s, uint64_t h, struct fs_handle **hd,
                        struct fs_layer **L)
{
    s->env.lock(s->layer.lock);
    int r = s->dead ? AE_EDEAD : (*hd = handle_get(s, h)) ? 0 : AE_EBADF;
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

/* The node at w as an upper node, copying it (and its parents) up. */
static int materialize(struct fs_session *s, const struct fs_where *w, struct fs_ref *r)
{
    if (r->u)
        return 0;
    struct fs_unode *parent;
    const char *name;
    size_t len;
    int err = walk_parent(s, w, &parent, &name, &len);
    if (err)
        return err;
    struct fs_dirent *e;
    uint32_t idx;
    if ((err = lookup_in(w->layer, parent, name, len, r, &e, &idx)))
        return err;
    return r->l ? copy_up(s, parent, r->l, &r->u) : 0;
}

/* Creates a node called by the last component of w. */
static int create_at(struct fs_session *s, const struct fs_where *w, uint8_t type, uint32_t mode,
                     struct fs_unode **out)
{
    struct fs_unode *parent, *n;
    const char *name;
    size_t len;
    int r = walk_parent(s, w, &parent, &name, &len);
    if (r || (r = unode_new(w->layer, type, mode, &n)))
        return r;
    if ((r = dir_link(parent, name, len, n))) {
        unode_release(n);
        return r;
    }
    *out = n;
    return 0;
}

/* Open's checks and effects once the path is locked; *r gets the node. */
static int open_locked(struct fs_session *s, const struct fs_path *p, const struct fs_where *w,
                       uint32_t flags, uint32_t mode, struct fs_ref *r)
{
    uint32_t acc = flags & FS_O_ACCMODE;
    bool writes = acc != FS_O_RDONLY || (flags & FS_O_TRUNC);
    int err = walk(w, r);
    if (err == AE_ENOENT && (flags & FS_O_CREAT)) {
        if (p->must_dir || (flags & FS_O_DIRECTORY))
            return AE_EISDIR;                    /* O_CREAT makes files only */
        if (!w->writable)
            return AE_EROFS;
        r->l = NULL;
        return create_at(s, w, FS_TYPE_FILE, mode, &r->u);
    }
    if (err)
        return err;
    if ((flags & FS_O_CREAT) && (flags & FS_O_EXCL))
        return AE_EEXIST;
    if (ref_type(*r) == FS_TYPE_DIR) {
        if (writes)
            return AE_EISDIR;
        return 0;
    }
    if (p->must_dir || (flags & FS_O_DIRECTORY))
        return AE_ENOTDIR;
    if (!writes)
        return 0;
    if (!w->writable)
        return AE_EROFS;
    if ((err = materialize(s, w, r)))
        return err;
    return (flags & FS_O_TRUNC) ? file_truncate(r->u, 0) : 0;
}

int fs_open(struct fs_session *s, const struct fs_path *p, uint32_t flags, uint32_t mode,
            uint64_t *handle, struct fs_stat *st)
{
    if ((flags & ~FS_O_ALL) || (flags & FS_O_ACCMODE) == FS_O_ACCMODE || (mode & ~FS_MODE_MASK))
        return AE_EINVAL;
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_handle *hd;
    struct fs_ref ref;
    uint64_t h;
    if ((r = handle_new(s, &h, &hd)) == 0 && (r = open_locked(s, p, &w, flags, mode, &ref))) {
        handle_unreserve(s, hd);                 /* never handed out */
    } else if (r == 0) {
        uint32_t acc = flags & FS_O_ACCMODE;
        hd->kind = ref.u ? FS_H_UPPER : FS_H_LOWER;
        if (ref.u) {
            hd->u = ref.u;
            ref.u->opens++;
        } else {
            hd->l = ref.l;
        }
        hd->can_read = acc != FS_O_WRONLY;
        hd->can_write = acc != FS_O_RDONLY;
        hd->append = !!(flags & FS_O_APPEND);
        hd->dev = w.dev;
        *handle = h;
        if (st)
            ref_stat(ref, w.dev, st);
    }
    session_unlock(s, w.layer);
    return r;
}

int fs_close(struct fs_session *s, uint64_t h)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = enter_handle(s, h, &hd, &L);
    if (r)
        return r;
    handle_drop(s, hd);
    session_unlock(s, L);
    return 0;
}

int64_t fs_read(struct fs_session *s, uint64_t h, uint64_t off, void *buf, uint64_t len)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int64_t r = enter_handle(s, h, &hd, &L);
    if (r)
        return r;
    struct fs_ref ref = handle_ref(hd);
    uint64_t at = off == FS_OFF_CURRENT ? hd->pos : off;
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
    int64_t r = enter_handle(s, h, &hd, &L);
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
    session_unlock(s, L);
    return r;
}

int64_t fs_seek(struct fs_session *s, uint64_t h, int64_t off, uint32_t whence)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int64_t r = enter_handle(s, h, &hd, &L);
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

int fs_ftruncate(struct fs_session *s, uint64_t h, uint64_t size)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = enter_handle(s, h, &hd, &L);
    if (r)
        return r;
    r = hd->can_write ? file_truncate(hd->u, size) : AE_EBADF;
    session_unlock(s, L);
    return r;
}

int fs_truncate(struct fs_session *s, const struct fs_path *p, uint64_t size)
{
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_ref ref;
    if (!(r = walk(&w, &ref))) {
        if (ref_type(ref) == FS_TYPE_DIR)
            r = AE_EISDIR;
        else if (p->must_dir)
            r = AE_ENOTDIR;
        else if (size > FS_FILE_MAX)
            r = AE_EFBIG;
        else if (!w.writable)
            r = AE_EROFS;
        else if (!(r = materialize(s, &w, &ref)))
            r = file_truncate(ref.u, size);
    }
    session_unlock(s, w.layer);
    return r;
}

int fs_fstat(struct fs_session *s, uint64_t h, struct fs_stat *st)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = enter_handle(s, h, &hd, &L);
    if (r)
        return r;
    ref_stat(handle_ref(hd), hd->dev, st);
    session_unlock(s, L);
    return 0;
}

int fs_stat(struct fs_session *s, const struct fs_path *p, struct fs_stat *st)
{
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_ref ref;
    if (!(r = walk(&w, &ref))) {
        if (p->must_dir && ref_type(ref) != FS_TYPE_DIR)
            r = AE_ENOTDIR;
        else
            ref_stat(ref, w.dev, st);
    }
    session_unlock(s, w.layer);
    return r;
}

int fs_mkdir(struct fs_session *s, const struct fs_path *p, uint32_t mode)
{
    if (mode & ~FS_MODE_MASK)
        return AE_EINVAL;
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_ref ref;
    struct fs_unode *n;
    r = walk(&w, &ref);
    if (r == 0)
        r = AE_EEXIST;
    else if (r == AE_ENOENT)
        r = w.writable ? create_at(s, &w, FS_TYPE_DIR, mode, &n) : AE_EROFS;
    session_unlock(s, w.layer);
    return r;
}

/* unlink and rmdir once the checks passed: take the name away. */
static int remove_name(struct fs_session *s, const struct fs_where *w)
{
    struct fs_unode *parent;
    const char *name;
    size_t len;
    int r = walk_parent(s, w, &parent, &name, &len);
    if (r)
        return r;
    struct fs_dirent *e;
    if ((r = dir_reserve(parent, name, len, &e)))    /* the image's name: a whiteout */
        return r;
    struct fs_unode *victim = e->node;
    dir_unlink(parent, e);
    if (victim)
        unode_release(victim);
    return 0;
}

static uint64_t ref_children(struct fs_ref r)
{
    return r.u ? dir_visible(r.u) : r.l->nchildren;
}

int fs_unlink(struct fs_session *s, const struct fs_path *p)
{
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_ref ref;
    if (!(r = walk(&w, &ref))) {
        if (ref_type(ref) == FS_TYPE_DIR)
            r = AE_EISDIR;
        else if (p->must_dir)
            r = AE_ENOTDIR;
        else if (!w.writable)
            r = AE_EROFS;
        else
            r = remove_name(s, &w);
    }
    session_unlock(s, w.layer);
    return r;
}

int fs_rmdir(struct fs_session *s, const struct fs_path *p)
{
    struct fs_where w;
    int r = enter_path(s, p, &w);
    if (r)
        return r;
    struct fs_ref ref;
    if (!(r = walk(&w, &ref))) {
        if (ref_type(ref) != FS_TYPE_DIR)
            r = AE_ENOTDIR;
        else if (w.rest_len == 0 || path_is_mount_or_holds_one(s, p))
            r = AE_EBUSY;                        /* a root or a mount point */
        else if (ref_children(ref))
            r = AE_ENOTEMPTY;
        else if (!w.writable)
            r = AE_EROFS;
        else
            r = remove_name(s, &w);
    }
    session_unlock(s, w.layer);
    return r;
}

static bool same_path(const struct fs_path *a, const struct fs_path *b)
{
    return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
}

/* Rename's checks: the source exists, the target may be replaced by it. */
static int rename_check(const struct fs_path *from, const struct fs_path *to,
                        const struct fs_where *wf, const struct fs_where *wt)
{
    struct fs_ref src, dst;
    int r = walk(wf, &src);
    if (r)
        return r;
    bool dir = ref_type(src) == FS_TYPE_DIR;
    if (!dir && (from->must_dir || to->must_dir))
        return AE_ENOTDIR;
    if (same_path(from, to))
        return 0;                                /* renaming a name to itself: nothing to do */
    if (dir && fs_path_within(to->name, to->len, from->name, from->len))
        return AE_EINVAL;                        /* into its own subtree */
    r = walk(wt, &dst);
    if (r == AE_ENOENT)
        return wt->writable ? 0 : AE_EROFS;
    if (r)
        return r;
    if (dir && ref_type(dst) != FS_TYPE_DIR)
        return AE_ENOTDIR;
    if (!dir && ref_type(dst) == FS_TYPE_DIR)
        return AE_EISDIR;
    if (dir && ref_children(dst))
        return AE_ENOTEMPTY;
    return wt->writable ? 0 : AE_EROFS;
}

/* Rename's effect; the only step that can fail comes before any change. */
static int rename_apply(struct fs_session *s, const struct fs_where *wf, const struct fs_where *wt)
{
    struct fs_unode *sp, *dp;
    const char *sname, *dname;
    size_t slen, dlen;
    struct fs_ref src;
    struct fs_dirent *se, *de;
    uint32_t idx;
    int r;
    if ((r = walk_parent(s, wf, &sp, &sname, &slen)) ||
        (r = lookup_in(wf->layer, sp, sname, slen, &src, &se, &idx)) ||
        (src.l && (r = copy_up(s, sp, src.l, &src.u))) ||
        (r = walk_parent(s, wt, &dp, &dname, &dlen)) ||
        (r = dir_reserve(dp, dname, dlen, &de)))
        return r;
    struct fs_unode *victim = de->node ? dir_detach(dp, de) : NULL;
    dir_unlink(sp, dir_find(sp, sname, slen));
    dir_attach(dp, de, src.u);
    if (victim)
        unode_release(victim);
    return 0;
}

int fs_rename(struct fs_session *s, const struct fs_path *from, const struct fs_path *to)
{
    struct fs_where wf, wt;
    int r = enter_path(s, from, &wf);
    if (r)
        return r;
    where_is(s, to, &wt);
    if (wf.rest_len == 0 || wt.rest_len == 0 || path_is_mount_or_holds_one(s, from) ||
        path_is_mount_or_holds_one(s, to))
        r = AE_EBUSY;                            /* roots and mount points stay put */
    else if (wf.layer != wt.layer)
        r = AE_EXDEV;
    else if (!(r = rename_check(from, to, &wf, &wt)) && !same_path(from, to))
        r = rename_apply(s, &wf, &wt);
    session_unlock(s, wf.layer);
    return r;
}

/* Lists a lower directory from position `from`. */
static int readdir_lower(const struct fs_image *img, const struct fs_lnode *d, uint64_t from,
                         fs_emit_fn emit, void *ctx, bool *eof)
{
    for (uint64_t i = from; i < d->nchildren; i++) {
        const struct fs_lnode *c = lower_child_at(img, d, (uint32_t)i);
        if (emit(ctx, c->name, c->name_len, c->type, c->ino, i + 1))
            return 0;
    }
    *eof = true;
    return 0;
}

/* Lists an upper directory: image positions (as overlaid), then fresh entries. */
static int readdir_upper(const struct fs_unode *d, uint64_t cookie, fs_emit_fn emit, void *ctx,
                         bool *eof)
{
    const struct fs_image *img = d->layer->image;
    for (uint64_t i = cookie; i < d->d.nlower; i++) {
        const struct fs_lnode *c = lower_child_at(img, d->d.lower, (uint32_t)i);
        struct fs_dirent *e = dir_find(d, c->name, c->name_len);
        if (e && !e->node)
            continue;                            /* whited out */
        uint32_t type = e ? e->node->type : c->type;
        uint64_t ino = e ? e->node->ino : c->ino;
        if (emit(ctx, c->name, c->name_len, type, ino, i + 1))
            return 0;
    }
    for (struct fs_dirent *e = d->d.fresh_head; e; e = e->next) {
        if (e->cookie <= cookie || !e->node)
            continue;
        if (emit(ctx, e->name, e->name_len, e->node->type, e->node->ino, e->cookie))
            return 0;
    }
    *eof = true;
    return 0;
}

int fs_readdir(struct fs_session *s, uint64_t h, uint64_t cookie, fs_emit_fn emit, void *ctx,
               bool *eof)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = enter_handle(s, h, &hd, &L);
    if (r)
        return r;
    struct fs_ref ref = handle_ref(hd);
    *eof = false;
    if (!hd->can_read)
        r = AE_EBADF;
    else if (ref_type(ref) != FS_TYPE_DIR)
        r = AE_ENOTDIR;
    else if (ref.l)
        r = readdir_lower(s->layer.image, ref.l, cookie, emit, ctx, eof);
    else
        r = readdir_upper(ref.u, cookie, emit, ctx, eof);
    session_unlock(s, L);
    return r;
}

int fs_statfs(struct fs_session *s, struct fs_usage *u)
{
    s->env.lock(s->layer.lock);
    int r = s->dead ? AE_EDEAD : 0;
    if (!r)
        *u = (struct fs_usage){
            .bytes_used = s->layer.bytes_used, .bytes_max = s->layer.bytes_max,
            .inodes_used = s->layer.inodes_used, .inodes_max = s->layer.inodes_max,
            .handles_used = s->handles_open, .handles_max = s->handles_max,
        };
    s->env.unlock(s->layer.lock);
    return r;
}
