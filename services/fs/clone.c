/*
 * clone.c — a session's private layer copied into a new session of the
 * same image: what a fork of a container gives the clone (docs/FORK.md,
 * "Files"). Every node, name, whiteout (an image file the original
 * deleted stays deleted), symbolic link and hard link (a file of several
 * names stays one node) is copied with its inode number, mode, owner and
 * times, and every private page into the destination's own pages, charged
 * to its limits as the session's own writes would be: where the memory
 * can (env pages_share: fs's quota accounts, by Memory CLONE), as
 * copy-on-write images of the source's pages that the copy adopts, so
 * only what either side writes later is copied. Image data a file
 * still reads from stays shared (it is the image's). Cookies are kept, so
 * a listing reads in the same order; handle values the source has open
 * are never handed out by the copy.
 *
 * Callers hold neither layer's lock. Directories are copied from a work
 * list, not by recursion: a path of 4096 bytes nests 2048 directories.
 */
#include "fs_impl.h"

/* Files of several names, copied once: source node to copy, by address. */
struct node_map {
    const struct fs_env *env;
    struct fs_unode **from, **to;
    uint32_t cap;                 /* a power of two, above twice the entries */
};

/* A directory whose entries are still to copy. */
struct dir_pair {
    struct fs_unode *from, *to;
};

struct copy {
    struct fs_layer *L;           /* the destination's */
    bool images;                  /* its memory holds images of the source's pages */
    intptr_t delta;               /* from a source page to its image */
    struct node_map map;
    struct dir_pair *work;
    uint32_t nwork, capwork;
};

static int map_init(struct node_map *m, const struct fs_env *env, uint32_t nodes)
{
    m->env = env;
    m->cap = 16;
    while (m->cap < 2 * nodes + 2)
        m->cap *= 2;
    m->from = env->mem_alloc(env->ctx, m->cap * sizeof *m->from);
    m->to = env->mem_alloc(env->ctx, m->cap * sizeof *m->to);
    if (!m->from || !m->to)
        return AE_ENOMEM;
    memset(m->from, 0, m->cap * sizeof *m->from);
    return 0;
}

static void map_fini(struct node_map *m)
{
    if (m->from)
        m->env->mem_free(m->env->ctx, m->from, m->cap * sizeof *m->from);
    if (m->to)
        m->env->mem_free(m->env->ctx, m->to, m->cap * sizeof *m->to);
}

/* The slot of from: its own, or the empty one it would take. */
static uint32_t map_slot(const struct node_map *m, const struct fs_unode *from)
{
    uint64_t h = (uint64_t)(uintptr_t)from * 0x9e3779b97f4a7c15ull;
    uint32_t i = (uint32_t)(h >> 32) & (m->cap - 1);
    while (m->from[i] && m->from[i] != from)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int push_dir(struct copy *c, struct fs_unode *from, struct fs_unode *to)
{
    if (c->nwork == c->capwork) {
        const struct fs_env *env = c->L->env;
        uint32_t cap = c->capwork ? c->capwork * 2 : 64;
        struct dir_pair *w = env->mem_alloc(env->ctx, cap * sizeof *w);
        if (!w)
            return AE_ENOMEM;
        if (c->work) {
            memcpy(w, c->work, c->nwork * sizeof *w);
            env->mem_free(env->ctx, c->work, c->capwork * sizeof *w);
        }
        c->work = w;
        c->capwork = cap;
    }
    c->work[c->nwork++] = (struct dir_pair){ from, to };
    return 0;
}

/* A symbolic link's target: a page of the destination's if it had one
 * (the image of its page, or a copy). */
static int target_copy(const struct copy *c, struct fs_unode *n, const struct fs_unode *from)
{
    n->sl.len = from->sl.len;
    n->sl.target = from->sl.target;      /* the image's bytes: shared */
    if (!from->sl.owned)
        return 0;
    struct fs_layer *L = n->layer;
    void *page;
    int r = layer_charge_pages(L, 1);
    if (r)
        return r;
    if (c->images) {
        page = (char *)from->sl.target + c->delta;
        L->env->page_adopt(L->env->ctx, page);
    } else if ((r = L->env->page_alloc(L->env->ctx, &page))) {
        layer_uncharge_pages(L, 1);
        n->sl.target = NULL;
        return r;
    } else {
        memcpy(page, from->sl.target, from->sl.len);
    }
    n->sl.target = page;
    n->sl.owned = true;
    return 0;
}

/* A copy of node from in the destination layer, with nothing naming it
 * yet (a directory: with no entries yet). */
static int node_copy(struct copy *c, const struct fs_unode *from, struct fs_unode **out)
{
    struct fs_unode *n;
    int r = unode_new(c->L, from->type, from->mode, &n);
    if (r)
        return r;
    n->ino = from->ino;
    n->uid = from->uid;
    n->gid = from->gid;
    if (from->type == FS_TYPE_FILE) {
        n->f.size = from->f.size;
        n->f.lower = from->f.lower;      /* the image's bytes: shared */
        n->f.lower_len = from->f.lower_len;
        r = c->images ? file_adopt_pages(n, from, c->delta) : file_copy_pages(n, from);
    } else if (from->type == FS_TYPE_SYMLINK) {
        r = target_copy(c, n, from);
    } else if (from->type == FS_TYPE_DIR) {
        n->d.lower = from->d.lower;      /* the same image: the same node */
        n->d.nlower = from->d.nlower;
        n->d.next_cookie = from->d.next_cookie;
    }
    n->atime = from->atime;
    n->mtime = from->mtime;
    n->ctime = from->ctime;
    if (r) {
        unode_release(n);                /* its pages too */
        return r;
    }
    *out = n;
    return 0;
}

/* Entry e of directory from, made in directory to: a whiteout, or a name
 * of the node's copy (made now, or the one made for an earlier name). */
static int entry_copy(struct copy *c, const struct fs_unode *from, struct fs_unode *to,
                      const struct fs_dirent *e)
{
    struct fs_dirent *ne;
    struct fs_unode *child = NULL;
    bool made = false;
    int r = 0;
    if (e->node) {
        uint32_t slot = 0;
        bool shared = (e->node->type == FS_TYPE_FILE || e->node->type == FS_TYPE_FIFO) &&
                      e->node->links > 1;
        if (shared) {
            slot = map_slot(&c->map, e->node);
            child = c->map.from[slot] ? c->map.to[slot] : NULL;
            if (child && c->L->inodes_used >= c->L->inodes_max)
                return AE_ENOSPC;        /* a further name costs an inode (dir_attach) */
        }
        if (!child) {
            if ((r = node_copy(c, e->node, &child)))
                return r;
            made = true;
            if (shared) {
                c->map.from[slot] = e->node;
                c->map.to[slot] = child;
            }
        }
    }
    if (e->cookie > from->d.nlower)
        to->d.next_cookie = e->cookie;   /* a fresh name: dir_reserve gives it this cookie */
    r = dir_reserve(to, e->name, e->name_len, &ne);
    if (r) {
        if (made)
            unode_release(child);        /* (a map entry left names a freed node: we stop) */
        return r;
    }
    if (!child)
        return 0;                        /* a whiteout over the image's name */
    dir_attach(to, ne, child);
    return child->type == FS_TYPE_DIR ? push_dir(c, e->node, child) : 0;
}

/* Every entry of from into to: those over image names (any order: their
 * cookies are the image's), then the fresh ones in cookie order. */
static int dir_copy(struct copy *c, const struct fs_unode *from, struct fs_unode *to)
{
    int r = 0;
    for (uint32_t i = 0; !r && i < from->d.nbuckets; i++)
        for (const struct fs_dirent *e = from->d.buckets[i]; !r && e; e = e->hnext)
            if (e->cookie <= from->d.nlower)
                r = entry_copy(c, from, to, e);
    for (const struct fs_dirent *e = from->d.fresh_head; !r && e; e = e->next)
        r = entry_copy(c, from, to, e);
    to->d.next_cookie = from->d.next_cookie;
    return r;
}

/* Whether dst's memory took images of src's pages (env pages_share):
 * then the copy adopts them instead of copying each page. */
static int share_pages(struct copy *c, const struct fs_layer *src)
{
    const struct fs_env *env = c->L->env;
    if (!env->pages_share || !env->page_adopt || src->env->pages_share != env->pages_share)
        return 0;
    int r = env->pages_share(env->ctx, src->env->ctx, &c->delta);
    c->images = r == 0;
    return r == AE_ENOTSUP ? 0 : r;
}

static int layer_copy(struct fs_layer *dst, const struct fs_layer *src)
{
    struct copy c = { .L = dst };
    int r = share_pages(&c, src);
    if (!r)
        r = map_init(&c.map, dst->env, src->inodes_used);
    struct fs_unode *root = dst->root;
    root->mode = src->root->mode;
    root->uid = src->root->uid;
    root->gid = src->root->gid;
    if (!r)
        r = push_dir(&c, src->root, root);
    while (!r && c.nwork) {
        struct dir_pair p = c.work[--c.nwork];
        r = dir_copy(&c, p.from, p.to);
    }
    root->atime = src->root->atime;
    root->mtime = src->root->mtime;
    root->ctime = src->root->ctime;
    if (dst->next_ino < src->next_ino)
        dst->next_ino = src->next_ino;   /* the copies keep their numbers: new ones go above */
    if (c.work)
        dst->env->mem_free(dst->env->ctx, c.work, c.capwork * sizeof *c.work);
    map_fini(&c.map);
    return r;
}

/* dst hands out no handle value src's handles have now: a clone's
 * program still holds the original's (in its descriptors), and one that
 * named a handle the clone opened since would reach another file than
 * it opened. Each slot starts one generation past src's (a slot at its
 * last generation is retired). dst has no handle open. */
static int handles_follow(struct fs_session *dst, const struct fs_session *src)
{
    if (!src->nslots)
        return 0;
    size_t one = sizeof *dst->handles;
    struct fs_handle *t = dst->env.mem_alloc(dst->env.ctx, src->nslots * one);
    if (!t)
        return AE_ENOMEM;
    uint32_t head = FS_NO_SLOT;
    for (uint32_t i = src->nslots; i-- > 0;) {
        uint32_t gen = src->handles[i].gen;
        t[i] = (struct fs_handle){ .gen = gen >= UINT32_MAX - 1 ? UINT32_MAX : gen + 1, .kind = FS_H_FREE };
        if (t[i].gen == UINT32_MAX)
            continue;                            /* retired */
        t[i].next_free = head;
        head = i;
    }
    if (dst->handles)
        dst->env.mem_free(dst->env.ctx, dst->handles, dst->nslots * one);
    dst->handles = t;
    dst->nslots = src->nslots;
    dst->free_head = head;
    return 0;
}

int fs_session_fork(struct fs_session *src, struct fs_session *dst)
{
    if (src == dst)
        return AE_EINVAL;
    struct fs_session *first = src < dst ? src : dst, *second = src < dst ? dst : src;
    first->env.lock(first->layer.lock);          /* two sessions: by address */
    second->env.lock(second->layer.lock);
    int r = 0;
    if (src->dead || src->lost || dst->dead || dst->lost)
        r = AE_EDEAD;
    else if (src->image != dst->image)
        r = AE_EINVAL;                           /* an image name means the same node only in its image */
    else if (dst->layer.inodes_used || dst->layer.root->d.nents || dst->rdonly)
        r = dst->rdonly ? AE_EROFS : AE_ENOTEMPTY;
    else if (dst->handles_open)
        r = AE_EBUSY;
    else if (!(r = handles_follow(dst, src)))
        r = layer_copy(&dst->layer, &src->layer);
    second->env.unlock(second->layer.lock);
    first->env.unlock(first->layer.lock);
    return r;
}
