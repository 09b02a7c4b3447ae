/*
 * check.c — fs_session_check: walks a session's private layer and its
 * volumes and verifies every invariant the core keeps (directory
 * counters, link and open counts against the handle table, page and inode
 * accounting, the radix trees). Tests and fuzzers call it after every
 * step; the service never needs to. It recurses once per directory level,
 * so it is meant for host stacks (and trees at most CHECK_DEPTH deep).
 */
#include "fs_impl.h"

#define CHECK_DEPTH 100000u

struct tally {
    uint64_t nodes, pages;
    uint64_t names;               /* entries naming a file or a link */
    uint64_t named;               /* distinct files and links they name */
};

/* Handles on n, and image handles hanging from it. */
static uint32_t handles_on(const struct fs_session *s, const struct fs_unode *n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->nslots; i++) {
        const struct fs_handle *hd = &s->handles[i];
        k += (hd->kind == FS_H_UPPER && hd->u == n) || (hd->kind == FS_H_LOWER && hd->anchor == n);
    }
    return k;
}

static int check_node(const struct fs_session *s, const struct fs_unode *n, bool own,
                      struct tally *t, const char **why)
{
    if (own && n->opens != handles_on(s, n))
        return *why = "a node's open count disagrees with the handle table", AE_EINVAL;
    if (n->type == FS_TYPE_SYMLINK) {
        t->pages += n->sl.owned;
        if (!n->sl.target || n->sl.len == 0 || n->sl.len >= FS_PATH_MAX)
            return *why = "a link has no target or one too long", AE_EINVAL;
    }
    if (n->type == FS_TYPE_FILE) {
        t->pages += n->f.npages;
        return file_check(n, why);
    }
    return 0;
}

static _Thread_local bool recount;        /* fs_session_recount: counters follow the nodes */
static _Thread_local uint64_t (*meta_cost)(size_t);   /* fs_session_recount_meta: what it adds up */
static _Thread_local uint64_t meta_sum;
static _Thread_local void (*meta_done)(void *, uint64_t);
static _Thread_local void *meta_ctx;

/* A block of metadata of n bytes, counted when a recount adds them up. */
static void meta_add(size_t n)
{
    if (meta_cost)
        meta_sum += meta_cost(n);
}

/* Pass 1 counts each node once (a file may have several names) and its
 * names in check_seen; pass 2 compares them with its link count and
 * clears the scratch. */
static int check_entry(const struct fs_session *s, struct fs_unode *n, bool own, struct tally *t,
                       int pass, const char **why)
{
    if (n->type == FS_TYPE_DIR) {
        t->nodes += pass == 1;
        if (pass == 1 && own)
            meta_add(sizeof *n);
        return pass == 1 ? check_node(s, n, own, t, why) : 0;
    }
    if (pass == 2) {
        if (recount && n->check_seen)
            n->links = n->check_seen;     /* a link or unlink cut off between its two steps */
        if (n->check_seen && n->check_seen != n->links)
            return *why = "a file's link count disagrees with its names", AE_EINVAL;
        n->check_seen = 0;
        return 0;
    }
    t->names++;
    if (n->check_seen++)
        return 0;
    if (own)
        meta_add(sizeof *n);
    t->nodes++;
    t->named++;
    return check_node(s, n, own, t, why);
}

static int check_dir(const struct fs_session *s, const struct fs_unode *d, bool own,
                     struct tally *t, unsigned depth, int pass, const char **why)
{
    if (depth > CHECK_DEPTH)
        return *why = "the tree is deeper than the check can follow", AE_EINVAL;
    int r = pass == 1 ? dir_check(d, why) : 0;
    if (pass == 1 && own && d->d.nbuckets)
        meta_add(d->d.nbuckets * sizeof *d->d.buckets);
    for (uint32_t i = 0; !r && i < d->d.nbuckets; i++) {
        for (struct fs_dirent *e = d->d.buckets[i]; !r && e; e = e->hnext) {
            if (pass == 1 && own)
                meta_add(sizeof *e + e->name_len);
            if (!e->node)
                continue;
            r = check_entry(s, e->node, own, t, pass, why);
            if (!r && e->node->type == FS_TYPE_DIR)
                r = check_dir(s, e->node, own, t, depth + 1, pass, why);
        }
    }
    return r;
}

/* Unlinked nodes still open in this session: counted once each. */
static int check_orphans(const struct fs_session *s, struct tally *t, const char **why)
{
    for (uint32_t i = 0; i < s->nslots; i++) {
        const struct fs_handle *hd = &s->handles[i];
        if (hd->kind == FS_H_RESV) {              /* a reserved node: charged, named by nothing */
            if (hd->u->links > 1 || hd->u->opens || hd->u->type != FS_TYPE_FILE || hd->u->f.npages)
                return *why = "a reserved node is in use", AE_EINVAL;
            t->nodes += !hd->u->links;            /* (one name: a create cut off before its
                                                     handle opened, counted in the tree) */
            if (!hd->u->links)
                meta_add(sizeof *hd->u);
            continue;
        }
        if (hd->kind != FS_H_UPPER || hd->u->links || hd->u->layer != &s->layer)
            continue;
        bool first = true;
        for (uint32_t j = 0; j < i; j++)
            first &= !(s->handles[j].kind == FS_H_UPPER && s->handles[j].u == hd->u);
        if (!first)
            continue;
        t->nodes++;
        meta_add(sizeof *hd->u);
        int r = check_node(s, hd->u, true, t, why);
        if (r)
            return r;
    }
    return 0;
}

static int check_layer(const struct fs_session *s, const struct fs_layer *L, bool own,
                       const char **why)
{
    struct tally t = { 0 };
    if (own)
        meta_add(sizeof *L->root);
    int r = check_node(s, L->root, own, &t, why);
    if (!r)
        r = check_dir(s, L->root, own, &t, 0, 1, why);
    int r2 = check_dir(s, L->root, own, &t, 0, 2, why);   /* clears the scratch, always */
    if (!r)
        r = r2;
    if (!r && own)
        r = check_orphans(s, &t, why);
    if (r)
        return r;
    uint64_t inodes = t.nodes + (t.names - t.named);      /* a name past a file's first costs one */
    if (recount && own) {
        ((struct fs_layer *)L)->inodes_used = inodes;
        ((struct fs_layer *)L)->bytes_used = t.pages * FS_PAGE;
    }
    if (own ? inodes != L->inodes_used || t.pages * FS_PAGE != L->bytes_used
            : inodes > L->inodes_used || t.pages * FS_PAGE > L->bytes_used)
        return *why = "the layer's inode or byte count disagrees with its nodes", AE_EINVAL;
    if (L->inodes_used > L->inodes_max || L->bytes_used > L->bytes_max)
        return *why = "the layer is over its limits", AE_EINVAL;
    return 0;
}

int fs_session_recount(struct fs_session *s, const char **why)
{
    recount = true;                       /* (one caller: the service's start, before any worker) */
    int r = fs_session_check(s, why);
    recount = false;
    return r;
}

int fs_session_recount_meta(struct fs_session *s, uint64_t (*cost)(size_t),
                            void (*done)(void *ctx, uint64_t meta), void *ctx, const char **why)
{
    meta_cost = cost;
    meta_done = done;
    meta_ctx = ctx;
    meta_sum = 0;
    int r = fs_session_recount(s, why);
    meta_cost = NULL;
    meta_done = NULL;
    return r;
}

int fs_session_check(struct fs_session *s, const char **why)
{
    s->env.lock(s->layer.lock);
    int r = 0;
    if (!s->dead && !s->lost) {
        uint32_t open = 0;
        for (uint32_t i = 0; i < s->nslots; i++)
            open += s->handles[i].kind != FS_H_FREE;
        if (recount)
            s->handles_open = open;       /* an open or close cut off between its two steps */
        if (open != s->handles_open || open > s->handles_max)
            r = (*why = "the handle count disagrees with the table", AE_EINVAL);
        uint32_t resv = 0;
        for (uint32_t i = 0; !r && i < s->nslots; i++)
            resv += s->handles[i].kind == FS_H_RESV;
        if (recount)
            fs_reserve_recount(s);        /* the list follows the table */
        else if (!r && resv != s->nresv)
            r = (*why = "the reserved handles disagree with their list", AE_EINVAL);
        meta_add(sizeof *s);
        if (s->nslots)
            meta_add(s->nslots * sizeof *s->handles);
        for (uint32_t i = 0; i < s->nmounts; i++)
            meta_add(sizeof *s->mounts[i].path);
        if (!r)
            r = check_layer(s, &s->layer, true, why);
        for (uint32_t i = 0; !r && i < s->nmounts; i++) {
            struct fs_layer *L = &s->mounts[i].vol->layer;
            s->env.lock(L->lock);
            r = check_layer(s, L, false, why);
            s->env.unlock(L->lock);
        }
        if (meta_done && !r)
            meta_done(meta_ctx, meta_sum);   /* under the lock: no allocation of its comes between */
    }
    s->env.unlock(s->layer.lock);
    return r;
}
