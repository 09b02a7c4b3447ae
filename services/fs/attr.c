/*
 * attr.c — changing a node's attributes: its mode, its owner (uid and gid
 * are kept for the client; the service checks no permission), its times,
 * by path or through a handle; and fsync, which has nothing to write to.
 * An image node is copied up first (a change needs a node of the
 * session's own): through a handle whose image file is no longer visible,
 * the copy is one only that session's handles see.
 */
#include "fs_impl.h"

enum { ATTR_MODE = 1, ATTR_OWNER = 2, ATTR_TIMES = 4 };

struct attr_change {
    unsigned what;                /* ATTR_* */
    uint32_t mode, uid, gid;
    uint64_t atime, mtime;        /* ns, FS_TIME_NOW or FS_TIME_OMIT */
};

static uint64_t time_value(uint64_t t, uint64_t now, uint64_t old)
{
    return t == FS_TIME_OMIT ? old : t == FS_TIME_NOW ? now : t;
}

static void attr_apply(struct fs_unode *n, const struct attr_change *c)
{
    uint64_t now = layer_now(n->layer);
    if (c->what & ATTR_MODE)
        n->mode = c->mode;
    if (c->what & ATTR_OWNER) {
        if (c->uid != FS_ID_KEEP)
            n->uid = c->uid;
        if (c->gid != FS_ID_KEEP)
            n->gid = c->gid;
        if (n->type == FS_TYPE_FILE && (c->uid != FS_ID_KEEP || c->gid != FS_ID_KEEP))
            n->mode &= (n->mode & 010) ? ~06000u : ~04000u;   /* as Linux: set-id bits go */
    }
    if (c->what & ATTR_TIMES) {
        if (c->atime == FS_TIME_OMIT && c->mtime == FS_TIME_OMIT)
            return;                              /* nothing changes, not even ctime */
        n->atime = time_value(c->atime, now, n->atime);
        n->mtime = time_value(c->mtime, now, n->mtime);
    }
    n->ctime = now;
}

static int attr_path(struct fs_session *s, const struct fs_path *p, uint32_t flags,
                     const struct attr_change *c)
{
    if (flags & ~FS_AT_NOFOLLOW)
        return AE_EINVAL;
    int r = session_lock_all(s);
    if (r)
        return r;
    struct fs_walk w;
    if (!(r = walk_path(s, p, (flags & FS_AT_NOFOLLOW) ? 0 : WALK_FOLLOW, &w))) {
        uint32_t type = w.found ? ref_type(w.node.r) : 0;
        if (!w.found)
            r = AE_ENOENT;
        else if (w.must_dir && type != FS_TYPE_DIR)
            r = AE_ENOTDIR;
        else if ((c->what & ATTR_MODE) && type == FS_TYPE_SYMLINK)
            r = AE_ENOTSUP;                      /* a link's mode is 0777, as on Linux */
        else if (!pos_writable(s, &w.node))
            r = AE_EROFS;
        else if (!(r = pos_materialize(s, &w.node)))
            attr_apply(w.node.r.u, c);
    }
    walk_done(s, &w);
    session_unlock_all(s);
    return r;
}

static int attr_handle(struct fs_session *s, uint64_t h, const struct attr_change *c)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (r)
        return r;
    if (s->rdonly || (hd->dev && !s->mounts[hd->dev - 1].writable))
        r = AE_EROFS;
    else if (!(r = handle_materialize(s, hd)))
        attr_apply(hd->u, c);
    session_unlock(s, L);
    return r;
}

int fs_chmod(struct fs_session *s, const struct fs_path *p, uint32_t mode, uint32_t flags)
{
    if (mode & ~FS_MODE_MASK)
        return AE_EINVAL;
    return attr_path(s, p, flags, &(struct attr_change){ .what = ATTR_MODE, .mode = mode });
}

int fs_fchmod(struct fs_session *s, uint64_t h, uint32_t mode)
{
    if (mode & ~FS_MODE_MASK)
        return AE_EINVAL;
    return attr_handle(s, h, &(struct attr_change){ .what = ATTR_MODE, .mode = mode });
}

int fs_chown(struct fs_session *s, const struct fs_path *p, uint32_t uid, uint32_t gid,
             uint32_t flags)
{
    return attr_path(s, p, flags, &(struct attr_change){ .what = ATTR_OWNER, .uid = uid, .gid = gid });
}

int fs_fchown(struct fs_session *s, uint64_t h, uint32_t uid, uint32_t gid)
{
    return attr_handle(s, h, &(struct attr_change){ .what = ATTR_OWNER, .uid = uid, .gid = gid });
}

int fs_utimens(struct fs_session *s, const struct fs_path *p, uint64_t atime, uint64_t mtime,
               uint32_t flags)
{
    return attr_path(s, p, flags,
                     &(struct attr_change){ .what = ATTR_TIMES, .atime = atime, .mtime = mtime });
}

int fs_futimens(struct fs_session *s, uint64_t h, uint64_t atime, uint64_t mtime)
{
    return attr_handle(s, h, &(struct attr_change){ .what = ATTR_TIMES, .atime = atime, .mtime = mtime });
}

int fs_fsync(struct fs_session *s, uint64_t h)
{
    struct fs_handle *hd;
    struct fs_layer *L;
    int r = handle_enter(s, h, &hd, &L);
    if (!r)
        session_unlock(s, L);
    return r;
}
