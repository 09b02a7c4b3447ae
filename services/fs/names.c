/*
 * names.c — the operations on names: mkdir, unlink, rmdir, rename,
 * symlink, readlink and link, with POSIX semantics. None of them follows
 * a symbolic link at the end of a path (except link with FS_AT_FOLLOW):
 * they act on the name itself. Checks come first; the only steps that
 * can fail after them (copy-ups, reserving an entry) change nothing
 * visible. Callers of these hold nothing; each takes session_lock_all.
 */
#include "fs_impl.h"

/* Walks p without following a final link, under the session's locks. */
static int enter_name(struct fs_session *s, const struct fs_path *p, unsigned flags,
                      struct fs_walk *w)
{
    int r = session_lock_all(s);
    if (r)
        return r;
    if ((r = walk_path(s, p, flags, w))) {
        walk_done(s, w);
        session_unlock_all(s);
    }
    return r;
}

static int leave_name(struct fs_session *s, struct fs_walk *w, int r)
{
    walk_done(s, w);
    session_unlock_all(s);
    return r;
}

int fs_mkdir(struct fs_session *s, const struct fs_path *p, uint32_t mode)
{
    uint64_t ino, parent;
    return fs_mkdir_ino(s, p, mode, &ino, &parent);
}

/* A new name of the given type (a directory or a FIFO): walk to it, make
 * the node, leave; its numbers go to ino/parent when asked for. */
static int make_node(struct fs_session *s, const struct fs_path *p, uint32_t type, uint32_t mode,
                     uint64_t *ino, uint64_t *parent)
{
    if (mode & ~FS_MODE_MASK)
        return AE_EINVAL;
    struct fs_walk w;
    int r = enter_name(s, p, WALK_LITERAL, &w);
    if (r)
        return r;
    struct fs_unode *n;
    r = w.found ? AE_EEXIST : create_at(s, &w, type, mode, &n);
    if (!r && ino) {
        *ino = w.dir.dev ? 0 : n->ino;            /* (a volume's numbers are its own) */
        *parent = w.dir.dev ? 0 : w.dir.r.u->ino;
    }
    return leave_name(s, &w, r);
}

int fs_mkdir_ino(struct fs_session *s, const struct fs_path *p, uint32_t mode, uint64_t *ino,
                 uint64_t *parent)
{
    return make_node(s, p, FS_TYPE_DIR, mode, ino, parent);
}

int fs_mknod(struct fs_session *s, const struct fs_path *p, uint32_t type, uint32_t mode)
{
    if (type != FS_TYPE_FIFO)
        return AE_EINVAL;
    return make_node(s, p, type, mode, NULL, NULL);
}

/* unlink and rmdir once the checks passed: take the name away. */
static int remove_name(struct fs_session *s, struct fs_walk *w)
{
    int r = pos_materialize(s, &w->dir);
    if (r)
        return r;
    struct fs_unode *parent = w->dir.r.u;
    struct fs_dirent *e;
    if ((r = dir_reserve(parent, w->last, w->last_len, &e)))   /* the image's name: a whiteout */
        return r;
    struct fs_unode *victim = e->node;
    dir_unlink(parent, e);
    unode_touch(parent, true);
    if (victim) {
        unode_touch(victim, false);
        unode_release(victim);
    }
    return 0;
}

static uint64_t ref_children(struct fs_ref r)
{
    return r.u ? dir_visible(r.u) : r.l->nchildren;
}

int fs_unlink(struct fs_session *s, const struct fs_path *p)
{
    return fs_unlink_ino(s, p, NULL, NULL);
}

int fs_unlink_ino(struct fs_session *s, const struct fs_path *p, uint64_t *ino, uint32_t *type)
{
    struct fs_walk w;
    int r = enter_name(s, p, WALK_LITERAL, &w);
    if (r)
        return r;
    if (w.found && ino)
        *ino = w.node.r.u ? w.node.r.u->ino : w.node.r.l->ino;
    if (w.found && type)
        *type = ref_type(w.node.r);
    if (!w.found)
        r = AE_ENOENT;
    else if (!w.named || ref_type(w.node.r) == FS_TYPE_DIR)
        r = AE_EISDIR;
    else if (w.must_dir)
        r = AE_ENOTDIR;
    else if (!pos_writable(s, &w.dir))
        r = AE_EROFS;
    else
        r = remove_name(s, &w);
    return leave_name(s, &w, r);
}

int fs_rmdir(struct fs_session *s, const struct fs_path *p)
{
    struct fs_walk w;
    int r = enter_name(s, p, WALK_LITERAL, &w);
    if (r)
        return r;
    if (!w.found)
        r = AE_ENOENT;
    else if (ref_type(w.node.r) != FS_TYPE_DIR)
        r = AE_ENOTDIR;
    else if (!w.named || pos_is_root(s, &w.node))
        r = AE_EBUSY;                            /* ".", "..", a root or a mount point */
    else if (ref_children(w.node.r))
        r = AE_ENOTEMPTY;
    else if (!pos_writable(s, &w.dir))
        r = AE_EROFS;
    else
        r = remove_name(s, &w);
    return leave_name(s, &w, r);
}

static bool same_node(const struct fs_pos *a, const struct fs_pos *b)
{
    return a->r.u == b->r.u && a->r.l == b->r.l;
}

/* Rename's checks: the source exists and may move, the target may be
 * replaced by it. Returns 1 if there is nothing to do. */
static int rename_check(struct fs_session *s, const struct fs_walk *f, const struct fs_walk *t,
                        uint32_t flags)
{
    if (!f->found)
        return AE_ENOENT;
    if (!f->named || !t->named || pos_is_root(s, &f->node) ||
        (t->found && pos_is_root(s, &t->node)) ||
        (f->node.r.u && f->node.r.u->type == FS_TYPE_DIR && holds_mount(s, f->node.r.u)))
        return AE_EBUSY;                         /* roots and mount points stay put */
    bool dir = ref_type(f->node.r) == FS_TYPE_DIR;
    if (!dir && (f->must_dir || t->must_dir))
        return AE_ENOTDIR;
    if (pos_layer(s, &f->dir) != pos_layer(s, &t->dir))
        return AE_EXDEV;
    if (t->found && same_node(&f->node, &t->node))
        return 1;                                /* two names of one file, or one name */
    if (t->found && (flags & FS_RENAME_NOREPLACE))
        return AE_EEXIST;
    if (dir && pos_within(s, &t->dir, &f->node))
        return AE_EINVAL;                        /* into its own subtree */
    if (t->found) {
        bool tdir = ref_type(t->node.r) == FS_TYPE_DIR;
        if (dir && !tdir)
            return AE_ENOTDIR;
        if (!dir && tdir)
            return AE_EISDIR;
        if (tdir && ref_children(t->node.r))
            return AE_ENOTEMPTY;
    }
    return pos_writable(s, &f->dir) && pos_writable(s, &t->dir) ? 0 : AE_EROFS;
}

/* Rename's effect; the only steps that can fail come before any visible change. */
static int rename_apply(struct fs_session *s, struct fs_walk *f, struct fs_walk *t)
{
    int r = pos_materialize(s, &f->dir);
    if (r)
        return r;
    struct fs_unode *sp = f->dir.r.u, *dp;
    struct fs_ref src;
    struct fs_dirent *se, *de;
    uint32_t idx;
    if ((r = lookup_in(sp->layer, sp, f->last, f->last_len, &src, &se, &idx)) ||
        (src.l && (r = copy_up(s, sp, src.l, &src.u))) ||
        (r = pos_materialize(s, &t->dir)))
        return r;
    dp = t->dir.r.u;
    if (!dp->links)
        return AE_ENOENT;                        /* the target's directory was removed */
    if ((r = dir_reserve(dp, t->last, t->last_len, &de)))
        return r;
    struct fs_unode *victim = de->node ? dir_detach(dp, de) : NULL;
    dir_unlink(sp, dir_find(sp, f->last, f->last_len));
    dir_attach(dp, de, src.u);
    unode_touch(src.u, false);
    unode_touch(sp, true);
    unode_touch(dp, true);
    if (victim)
        unode_release(victim);
    return 0;
}

int fs_rename(struct fs_session *s, const struct fs_path *from, const struct fs_path *to,
              uint32_t flags)
{
    if (flags & ~FS_RENAME_NOREPLACE)
        return AE_EINVAL;
    struct fs_walk f, t;
    int r = enter_name(s, from, WALK_LITERAL, &f);
    if (r)
        return r;
    if (!(r = walk_path(s, to, WALK_LITERAL, &t)) && !(r = rename_check(s, &f, &t, flags)))
        r = rename_apply(s, &f, &t);
    walk_done(s, &t);
    return leave_name(s, &f, r < 0 ? r : 0);
}

/* Makes the link w names: its target goes in a page of its own, charged
 * (and allocated) before the node, so a failure leaves nothing behind. */
static int symlink_make(struct fs_session *s, struct fs_walk *w, const char *target, size_t len)
{
    struct fs_layer *L = pos_layer(s, &w->dir);
    int r = layer_charge_pages(L, 1);
    if (r)
        return r;
    void *page = NULL;
    struct fs_unode *n;
    if ((r = L->env->page_alloc(L->env->ctx, &page))) {
        page = NULL;
    } else if (!(r = create_at(s, w, FS_TYPE_SYMLINK, 0777, &n))) {
        memcpy(page, target, len);
        n->sl.target = page;
        n->sl.len = (uint16_t)len;
        n->sl.owned = true;
        return 0;
    }
    if (page)
        L->env->page_free(L->env->ctx, page);
    layer_uncharge_pages(L, 1);
    return r;
}

int fs_symlink(struct fs_session *s, const char *target, size_t len, const struct fs_path *link)
{
    if (len == 0)
        return AE_ENOENT;                        /* as POSIX has it for "" */
    if (len >= FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    for (size_t i = 0; i < len; i++)
        if (target[i] == 0)
            return AE_EINVAL;
    struct fs_walk w;
    int r = enter_name(s, link, WALK_LITERAL, &w);
    if (r)
        return r;
    if (w.found)
        r = AE_EEXIST;
    else if (!pos_writable(s, &w.dir))
        r = AE_EROFS;
    else
        r = symlink_make(s, &w, target, len);
    return leave_name(s, &w, r);
}

int64_t fs_readlink(struct fs_session *s, const struct fs_path *p, void *buf, uint64_t cap)
{
    struct fs_walk w;
    int r = enter_name(s, p, WALK_LITERAL, &w);
    if (r)
        return r;
    int64_t len = 0;
    if (!w.found)
        r = AE_ENOENT;
    else if (ref_type(w.node.r) != FS_TYPE_SYMLINK || w.must_dir)
        r = AE_EINVAL;                           /* not a link (with a '/', what it names) */
    else {
        const char *t;
        size_t n;
        ref_target(w.node.r, &t, &n);
        memcpy(buf, t, n < cap ? n : cap);
        len = (int64_t)n;
    }
    r = leave_name(s, &w, r);
    return r ? r : len;
}

static int link_check(struct fs_session *s, const struct fs_walk *o, const struct fs_walk *n)
{
    if (!o->found)
        return AE_ENOENT;
    if (ref_type(o->node.r) == FS_TYPE_DIR)
        return AE_EPERM;                         /* directories have one name */
    if (o->must_dir)
        return AE_ENOTDIR;
    if (n->found || !n->named)
        return AE_EEXIST;
    if (n->must_dir)
        return AE_ENOENT;
    if (pos_layer(s, &o->node) != pos_layer(s, &n->dir))
        return AE_EXDEV;
    if (!pos_writable(s, &n->dir))
        return AE_EROFS;
    if (o->node.r.u && o->node.r.u->links >= FS_LINK_MAX)
        return AE_ELIMIT;
    return 0;
}

/* The new name costs an inode of the limit: checked once the copy-ups
 * that give the file and the directory upper nodes are done. */
static int link_apply(struct fs_session *s, struct fs_walk *o, struct fs_walk *n)
{
    int r = pos_materialize(s, &o->node);
    if (r || (r = pos_materialize(s, &n->dir)))
        return r;
    struct fs_unode *f = o->node.r.u, *d = n->dir.r.u;
    if (!d->links)
        return AE_ENOENT;
    if (d->layer->inodes_used >= d->layer->inodes_max)
        return AE_ENOSPC;
    if ((r = dir_link(d, n->last, n->last_len, f)))
        return r;
    unode_touch(f, false);
    unode_touch(d, true);
    return 0;
}

int fs_link(struct fs_session *s, const struct fs_path *old, const struct fs_path *new_name,
            uint32_t flags)
{
    if (flags & ~FS_AT_FOLLOW)
        return AE_EINVAL;
    struct fs_walk o, n;
    int r = enter_name(s, old, (flags & FS_AT_FOLLOW) ? WALK_FOLLOW : WALK_LITERAL, &o);
    if (r)
        return r;
    if (!(r = walk_path(s, new_name, WALK_LITERAL, &n)) && !(r = link_check(s, &o, &n)))
        r = link_apply(s, &o, &n);
    walk_done(s, &n);
    return leave_name(s, &o, r);
}
