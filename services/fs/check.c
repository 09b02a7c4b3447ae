/*
 * check.c — fs_session_check: walks a session's private layer and its
 * volumes and verifies every invariant the core keeps (directory
 * counters, link and open counts against the handle table, page and inode
 * accounting, the radix trees). Tests and fuzzers call it after every
 * step; the service never needs to. It recurses once per directory level
 * (at most FS_PATH_MAX / 2), so it is meant for host stacks.
 */
#include "fs_impl.h"

struct tally {
    uint64_t nodes, pages;
};

static uint32_t handles_on(const struct fs_session *s, const struct fs_unode *n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->nslots; i++)
        k += s->handles[i].kind == FS_H_UPPER && s->handles[i].u == n;
    return k;
}

static int check_node(const struct fs_session *s, const struct fs_unode *n, bool own,
                      struct tally *t, const char **why)
{
    if (own && n->opens != handles_on(s, n))
        return *why = "a node's open count disagrees with the handle table", AE_EINVAL;
    if (n->type == FS_TYPE_FILE) {
        t->pages += n->f.npages;
        return file_check(n, why);
    }
    return 0;
}

static int check_dir(const struct fs_session *s, const struct fs_unode *d, bool own,
                     struct tally *t, unsigned depth, const char **why)
{
    if (depth > FS_PATH_MAX / 2)
        return *why = "the tree is deeper than any path can reach", AE_EINVAL;
    int r = dir_check(d, why);
    for (uint32_t i = 0; !r && i < d->d.nbuckets; i++) {
        for (struct fs_dirent *e = d->d.buckets[i]; !r && e; e = e->hnext) {
            if (!e->node)
                continue;
            t->nodes++;
            r = check_node(s, e->node, own, t, why);
            if (!r && e->node->type == FS_TYPE_DIR)
                r = check_dir(s, e->node, own, t, depth + 1, why);
        }
    }
    return r;
}

/* Unlinked nodes still open in this session: counted once each. */
static int check_orphans(const struct fs_session *s, struct tally *t, const char **why)
{
    for (uint32_t i = 0; i < s->nslots; i++) {
        const struct fs_handle *hd = &s->handles[i];
        if (hd->kind != FS_H_UPPER || hd->u->links || hd->u->layer != &s->layer)
            continue;
        bool first = true;
        for (uint32_t j = 0; j < i; j++)
            first &= !(s->handles[j].kind == FS_H_UPPER && s->handles[j].u == hd->u);
        if (!first)
            continue;
        t->nodes++;
        int r = check_node(s, hd->u, true, t, why);
        if (r)
            return r;
    }
    return 0;
}

static int check_layer(const struct fs_session *s, const struct fs_layer *L, bool own,
                       const char **why)
{
    struct tally t = { 0, 0 };
    int r = check_node(s, L->root, own, &t, why);
    if (!r)
        r = check_dir(s, L->root, own, &t, 0, why);
    if (!r && own)
        r = check_orphans(s, &t, why);
    if (r)
        return r;
    if (own ? t.nodes != L->inodes_used || t.pages * FS_PAGE != L->bytes_used
            : t.nodes > L->inodes_used || t.pages * FS_PAGE > L->bytes_used)
        return *why = "the layer's inode or byte count disagrees with its nodes", AE_EINVAL;
    if (L->inodes_used > L->inodes_max || L->bytes_used > L->bytes_max)
        return *why = "the layer is over its limits", AE_EINVAL;
    return 0;
}

int fs_session_check(struct fs_session *s, const char **why)
{
    s->env.lock(s->layer.lock);
    int r = 0;
    if (!s->dead) {
        uint32_t open = 0;
        for (uint32_t i = 0; i < s->nslots; i++)
            open += s->handles[i].kind != FS_H_FREE;
        if (open != s->handles_open || open > s->handles_max)
            r = (*why = "the handle count disagrees with the table", AE_EINVAL);
        if (!r)
            r = check_layer(s, &s->layer, true, why);
        for (uint32_t i = 0; !r && i < s->nmounts; i++) {
            struct fs_layer *L = &s->mounts[i].vol->layer;
            s->env.lock(L->lock);
            r = check_layer(s, L, false, why);
            s->env.unlock(L->lock);
        }
    }
    s->env.unlock(s->layer.lock);
    return r;
}
