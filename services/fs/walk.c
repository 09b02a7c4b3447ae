/*
 * walk.c — resolving paths through the overlay, across mount points and
 * symbolic links, and copying image nodes up when a change needs them.
 *
 * A name is looked up in the upper directory first: an entry naming a
 * node wins, a whiteout hides the name; with no entry, the image directory
 * below is asked. Once a walk steps into an image directory with no upper
 * copy, nothing below it was ever changed, so it continues in the image
 * alone — and remembers the upper directory it left (the anchor), which is
 * where ".." returns to and where a copy-up starts. A mount point stands
 * for the root of its volume; the parent of a volume's root is the mount
 * point's parent, and the parent of the session's root is the root itself.
 * A symbolic link in the middle of a path is always followed, at its end
 * when the caller says; its target replaces it in the text still to walk
 * (an absolute one restarts at the session's root), at most
 * FS_SYMLOOP_MAX times per walk. Callers hold the session lock and every
 * mounted volume's (session_lock_all).
 */
#include "fs_impl.h"

#define WALK_HALF (FS_PATH_MAX + 1)     /* a link expansion; the walk keeps two */

struct fs_layer *pos_layer(struct fs_session *s, const struct fs_pos *p)
{
    return p->r.u ? p->r.u->layer : &s->layer;
}

bool pos_writable(const struct fs_session *s, const struct fs_pos *p)
{
    return !s->rdonly && (p->dev == 0 || s->mounts[p->dev - 1].writable);
}

bool pos_is_root(struct fs_session *s, const struct fs_pos *p)
{
    (void)s;
    return p->r.u && p->r.u == p->r.u->layer->root;
}

static struct fs_pos root_pos(struct fs_session *s)
{
    return (struct fs_pos){ .r = { s->layer.root, NULL } };
}

int lookup_in(const struct fs_layer *L, struct fs_unode *dir, const char *name, size_t len,
              struct fs_ref *out, struct fs_dirent **ent, uint32_t *lidx)
{
    struct fs_dirent *e = dir_find(dir, name, len);
    *ent = e;
    out->u = NULL;
    out->l = NULL;
    if (e) {
        out->u = e->node;
        return e->node ? 0 : AE_ENOENT;          /* a whiteout hides the image's entry */
    }
    if (dir->d.lower)
        out->l = lower_child(L->image, dir->d.lower, name, len, lidx);
    return out->l ? 0 : AE_ENOENT;
}

/* The entry called name in directory position d. */
static int pos_child(struct fs_session *s, const struct fs_pos *d, const char *name, size_t len,
                     struct fs_pos *out)
{
    uint32_t idx;
    *out = (struct fs_pos){ .dev = d->dev, .anchor = d->anchor };
    if (d->r.u) {
        struct fs_dirent *e;
        int r = lookup_in(d->r.u->layer, d->r.u, name, len, &out->r, &e, &idx);
        out->anchor = out->r.l ? d->r.u : NULL;
        return r;
    }
    out->r.l = lower_child(s->layer.image, d->r.l, name, len, &idx);
    return out->r.l ? 0 : AE_ENOENT;
}

/* A mount point stands for the root of the volume mounted on it. */
static void pos_cross(struct fs_session *s, struct fs_pos *p)
{
    if (p->r.u && p->r.u->mount) {
        unsigned i = p->r.u->mount - 1u;
        *p = (struct fs_pos){ .r = { s->mounts[i].vol->layer.root, NULL }, .dev = i + 1 };
    }
}

/* ".." of p. AE_ENOENT if p is a directory that was removed. */
static int pos_parent(struct fs_session *s, const struct fs_pos *p, struct fs_pos *out)
{
    if (p->r.l) {
        const struct fs_lnode *up = lower_parent(s->layer.image, p->r.l);
        if (up == p->anchor->d.lower)
            *out = (struct fs_pos){ .r = { p->anchor, NULL } };
        else
            *out = (struct fs_pos){ .r = { NULL, up }, .anchor = p->anchor };
        return 0;
    }
    struct fs_unode *u = p->r.u;
    if (u == u->layer->root) {
        if (p->dev)                               /* a volume's root: back where it is mounted */
            *out = (struct fs_pos){ .r = { s->mounts[p->dev - 1].point->d.parent, NULL } };
        else
            *out = *p;                            /* the session's root is its own parent */
        return 0;
    }
    if (!u->d.parent)
        return AE_ENOENT;
    *out = (struct fs_pos){ .r = { u->d.parent, NULL }, .dev = p->dev };
    return 0;
}

bool pos_within(struct fs_session *s, const struct fs_pos *d, const struct fs_pos *n)
{
    struct fs_pos cur = *d;
    for (;;) {
        if (cur.r.u == n->r.u && cur.r.l == n->r.l)
            return true;
        if (pos_is_root(s, &cur) || pos_parent(s, &cur, &cur))
            return false;
    }
}

/* Where a walk starts: the root, or the directory handle p->base. */
static int walk_start(struct fs_session *s, const struct fs_path *p, struct fs_pos *out)
{
    if (p->absolute || p->base == 0) {
        *out = root_pos(s);
        return 0;
    }
    struct fs_handle *hd = handle_get(s, p->base);
    if (!hd)
        return AE_EBADF;
    int r = handle_pos(s, hd, out);
    if (!r && ref_type(out->r) != FS_TYPE_DIR)
        r = AE_ENOTDIR;
    return r;
}

/* True if a link target names a directory by its form ("x/", "x/.."). */
static bool target_wants_dir(const char *t, size_t len)
{
    size_t start = len;
    while (start > 0 && t[start - 1] != '/')
        start--;
    return start == len || fs_path_is_dot(t + start, len - start) ||
           fs_path_is_dotdot(t + start, len - start);
}

/* Replaces the text still to walk (*str) by link's target, then rest. The
 * two halves of w->buf alternate, so rest may lie in the current one. */
static int splice(struct fs_session *s, struct fs_walk *w, struct fs_ref link, const char *rest,
                  size_t rest_len, const char **str, size_t *len, bool *must_dir)
{
    const char *t;
    size_t tlen;
    ref_target(link, &t, &tlen);
    if (tlen == 0)
        return AE_ENOENT;
    while (rest_len && rest[0] == '/')
        rest++, rest_len--;
    if (tlen + 1 + rest_len > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    if (!w->buf && !(w->buf = s->env.mem_alloc(s->env.ctx, 2 * WALK_HALF)))
        return AE_ENOMEM;
    char *out = *str == w->buf ? w->buf + WALK_HALF : w->buf;
    memcpy(out, t, tlen);
    size_t n = tlen;
    if (rest_len) {
        out[n++] = '/';
        memcpy(out + n, rest, rest_len);
        n += rest_len;
    } else {
        *must_dir |= target_wants_dir(out, tlen);
    }
    *str = out;
    *len = n;
    return 0;
}

static bool should_follow(unsigned flags, bool more, bool must_dir)
{
    return more || (flags & WALK_FOLLOW) || (must_dir && !(flags & WALK_LITERAL));
}

int walk_path(struct fs_session *s, const struct fs_path *p, unsigned flags, struct fs_walk *w)
{
    memset(w, 0, sizeof *w);
    struct fs_pos cur;
    int r = walk_start(s, p, &cur);
    if (r)
        return r;
    const char *str = p->name, *c, *nc;
    size_t len = p->len, at = 0, clen, nlen;
    bool must_dir = p->must_dir;
    unsigned links = 0;
    w->node = cur;                                /* "" names where the walk starts */
    w->found = true;
    while (fs_path_next(str, len, &at, &c, &clen)) {
        size_t next = at;
        bool more = fs_path_next(str, len, &next, &nc, &nlen);
        if (clen > FS_NAME_MAX)
            return AE_ENAMETOOLONG;               /* (only a link's target can hold one) */
        if (ref_type(cur.r) != FS_TYPE_DIR)
            return AE_ENOTDIR;
        if (fs_path_is_dot(c, clen) || fs_path_is_dotdot(c, clen)) {
            if (clen == 2 && (r = pos_parent(s, &cur, &cur)))
                return r;
            w->node = cur;
            w->named = false;
            continue;
        }
        struct fs_pos child;
        r = pos_child(s, &cur, c, clen, &child);
        if (r == AE_ENOENT && !more) {
            *w = (struct fs_walk){ .dir = cur, .named = true, .last = c, .last_len = clen,
                                   .must_dir = must_dir, .buf = w->buf };
            return 0;
        }
        if (r)
            return r;
        if (ref_type(child.r) == FS_TYPE_SYMLINK && should_follow(flags, more, must_dir)) {
            if (++links > FS_SYMLOOP_MAX)
                return AE_ELOOP;
            if ((r = splice(s, w, child.r, str + at, len - at, &str, &len, &must_dir)))
                return r;
            at = 0;
            if (str[0] == '/')
                cur = root_pos(s);
            w->node = cur;
            w->named = false;
            continue;
        }
        pos_cross(s, &child);
        if (!more) {
            *w = (struct fs_walk){ .dir = cur, .node = child, .found = true, .named = true,
                                   .last = c, .last_len = clen, .must_dir = must_dir,
                                   .buf = w->buf };
            return 0;
        }
        cur = child;
    }
    w->must_dir = must_dir;
    return 0;
}

void walk_done(struct fs_session *s, struct fs_walk *w)
{
    if (w->buf)
        s->env.mem_free(s->env.ctx, w->buf, 2 * WALK_HALF);
    w->buf = NULL;
}

/* ---- copy-up --------------------------------------------------------- */

/* An upper node with the image node's attributes; nothing names it yet. */
static int copy_node(struct fs_session *s, const struct fs_lnode *l, struct fs_unode **out)
{
    struct fs_unode *n;
    int r = unode_new(&s->layer, l->type, l->mode, &n);
    if (r)
        return r;
    n->ino = l->ino;                             /* the same file, so the same number */
    n->atime = n->mtime = n->ctime = 0;          /* and the same times: a copy-up is invisible */
    if (l->type == FS_TYPE_DIR) {
        n->d.lower = l;
        n->d.nlower = l->nchildren;
        n->d.next_cookie = (uint64_t)l->nchildren + 1;
    } else if (l->type == FS_TYPE_SYMLINK) {
        n->sl.target = (const char *)l->data;
        n->sl.len = (uint16_t)l->size;
    } else {
        n->f.size = n->f.lower_len = l->size;
        n->f.lower = l->data;
    }
    *out = n;
    return 0;
}

int copy_up(struct fs_session *s, struct fs_unode *parent, const struct fs_lnode *l,
            struct fs_unode **out)
{
    struct fs_unode *n;
    int r = copy_node(s, l, &n);
    if (r)
        return r;
    r = dir_link(parent, l->name, l->name_len, n);
    if (r) {
        unode_release(n);
        return r;
    }
    handles_redirect(s, l, n);
    *out = n;
    return 0;
}

int copy_orphan(struct fs_session *s, const struct fs_lnode *l)
{
    struct fs_unode *n;
    int r = copy_node(s, l, &n);
    if (r)
        return r;
    handles_redirect(s, l, n);
    unode_release(n);                            /* freed at once if no handle took it */
    return 0;
}

/* The image node on l's chain whose parent is top (l itself if top is
 * its parent), or NULL if top is not above l. */
static const struct fs_lnode *lower_below(const struct fs_image *img, const struct fs_lnode *l,
                                          const struct fs_lnode *top)
{
    while (lower_parent(img, l) != top) {
        if (l == &img->nodes[0])
            return NULL;
        l = lower_parent(img, l);
    }
    return l;
}

static bool is_copy_of(const struct fs_unode *u, const struct fs_lnode *l)
{
    return u->ino == l->ino && u->type == l->type && (u->type != FS_TYPE_DIR || u->d.lower == l);
}

/* Moves image position p one level down its chain: to the upper copy of
 * the node just below its anchor, made if copy is set and it is missing.
 * Returns 1 when there is nothing left to do, 0 to go on, or an error:
 * AE_ENOENT if that node is hidden or replaced (or the anchor removed). */
static int pos_step(struct fs_session *s, struct fs_pos *p, bool copy)
{
    struct fs_unode *U = p->anchor;
    const struct fs_lnode *x = U->links ? lower_below(s->layer.image, p->r.l, U->d.lower) : NULL;
    if (!x)
        return AE_ENOENT;
    struct fs_dirent *e = dir_find(U, x->name, x->name_len);
    struct fs_unode *n;
    if (e && !(e->node && is_copy_of(e->node, x)))
        return AE_ENOENT;
    if (e) {
        n = e->node;
    } else if (!copy) {
        return 1;                                /* x and all below it are the image's alone */
    } else {
        int r = copy_up(s, U, x, &n);
        if (r)
            return r;
    }
    if (x == p->r.l) {
        *p = (struct fs_pos){ .r = { n, NULL }, .dev = p->dev };
        return 1;
    }
    p->anchor = n;
    return 0;
}

int pos_materialize(struct fs_session *s, struct fs_pos *p)
{
    int r = 0;
    while (p->r.l && (r = pos_step(s, p, true)) == 0)
        ;
    return r < 0 ? r : 0;
}

int pos_refresh(struct fs_session *s, struct fs_pos *p)
{
    int r = 0;
    while (p->r.l && (r = pos_step(s, p, false)) == 0)
        ;
    return r < 0 ? r : 0;
}
