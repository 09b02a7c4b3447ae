/*
 * walk.c — finding nodes by path through the overlay. A name is looked up
 * in the upper directory first: an entry naming a node wins, a whiteout
 * hides the name; with no entry, the image directory below is asked. Once
 * a walk steps into a lower directory that has no upper copy, nothing
 * below it was ever changed, so it continues in the image alone.
 * Changes need the parent as an upper directory: walk_parent copies the
 * chain of image directories up (a node each, no data) as it goes.
 * Callers hold the layer's lock (and the session's).
 */
#include "fs_impl.h"

void where_is(struct fs_session *s, const struct fs_path *p, struct fs_where *w)
{
    w->layer = &s->layer;
    w->dev = 0;
    w->writable = !s->rdonly;
    w->rest = p->name;
    w->rest_len = p->len;
    for (uint32_t i = 0; i < s->nmounts; i++) {
        const struct fs_mount *m = &s->mounts[i];
        if (!fs_path_within(p->name, p->len, m->path->name, m->path->len))
            continue;
        w->layer = &m->vol->layer;
        w->dev = i + 1;
        w->writable = m->writable && !s->rdonly;
        w->rest = p->name + m->path->len + (p->len > m->path->len);
        w->rest_len = p->len - m->path->len - (p->len > m->path->len);
        return;                                  /* mount points never nest */
    }
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

int walk(const struct fs_where *w, struct fs_ref *out)
{
    struct fs_ref cur = { w->layer->root, NULL };
    size_t pos = 0, clen;
    const char *c;
    while (fs_path_next(w->rest, w->rest_len, &pos, &c, &clen)) {
        if (ref_type(cur) != FS_TYPE_DIR)
            return AE_ENOTDIR;
        int r;
        if (cur.u) {
            struct fs_dirent *e;
            uint32_t idx;
            r = lookup_in(w->layer, cur.u, c, clen, &cur, &e, &idx);
        } else {
            uint32_t idx;
            cur.l = lower_child(w->layer->image, cur.l, c, clen, &idx);
            r = cur.l ? 0 : AE_ENOENT;
        }
        if (r)
            return r;
    }
    *out = cur;
    return 0;
}

int copy_up(struct fs_session *s, struct fs_unode *parent, const struct fs_lnode *l,
            struct fs_unode **out)
{
    struct fs_unode *n;
    int r = unode_new(parent->layer, l->type, l->mode, &n);
    if (r)
        return r;
    n->ino = l->ino;                             /* the same file, so the same number */
    if (l->type == FS_TYPE_DIR) {
        n->d.lower = l;
        n->d.nlower = l->nchildren;
        n->d.next_cookie = (uint64_t)l->nchildren + 1;
    } else {
        n->f.size = n->f.lower_len = l->size;
        n->f.lower = l->data;
    }
    r = dir_link(parent, l->name, l->name_len, n);
    if (r) {
        unode_release(n);
        return r;
    }
    handles_redirect(s, l, n);
    *out = n;
    return 0;
}

int walk_parent(struct fs_session *s, const struct fs_where *w, struct fs_unode **parent,
                const char **name, size_t *len)
{
    struct fs_unode *cur = w->layer->root;
    size_t pos = 0, clen;
    const char *c;
    if (!fs_path_next(w->rest, w->rest_len, &pos, &c, &clen))
        return AE_EBUSY;                         /* the root has no parent */
    for (;;) {
        size_t next = pos, nlen;
        const char *nc;
        if (!fs_path_next(w->rest, w->rest_len, &next, &nc, &nlen))
            break;                               /* c is the last component */
        struct fs_ref r;
        struct fs_dirent *e;
        uint32_t idx;
        int err = lookup_in(w->layer, cur, c, clen, &r, &e, &idx);
        if (err)
            return err;
        if (ref_type(r) != FS_TYPE_DIR)
            return AE_ENOTDIR;
        if (r.l && (err = copy_up(s, cur, r.l, &r.u)))
            return err;
        cur = r.u;
        c = nc;
        clen = nlen;
        pos = next;
    }
    *parent = cur;
    *name = c;
    *len = clen;
    return 0;
}
