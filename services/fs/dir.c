/*
 * dir.c — the entries of an upper directory: a hash table by name, plus a
 * cookie for each entry that readdir iterates by.
 *
 * Cookies make listing stable while entries change. A name that also
 * exists in the image directory below takes that lower entry's cookie
 * (its position + 1), so copying it up or hiding it with a whiteout keeps
 * its place; every other name gets the next cookie above them and joins
 * the "fresh" list, kept in cookie order. readdir walks the lower
 * positions first, then the fresh list. Callers hold the layer's lock.
 */
#include "fs_impl.h"

static uint64_t name_hash(const char *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;          /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
    return h;
}

/* The entry of name in d, given the name's hash. */
static struct fs_dirent *find_hashed(const struct fs_unode *d, const char *name, size_t len,
                                     uint64_t h)
{
    if (d->d.nbuckets == 0)
        return NULL;
    struct fs_dirent *e = d->d.buckets[h & (d->d.nbuckets - 1)];
    for (; e; e = e->hnext)
        if (e->name_len == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}

struct fs_dirent *dir_find(const struct fs_unode *d, const char *name, size_t len)
{
    return find_hashed(d, name, len, name_hash(name, len));
}

static void bucket_insert_hashed(struct fs_dirent **buckets, uint32_t nbuckets,
                                 struct fs_dirent *e, uint64_t h)
{
    struct fs_dirent **b = &buckets[h & (nbuckets - 1)];
    e->hnext = *b;
    *b = e;
}

static void bucket_insert(struct fs_dirent **buckets, uint32_t nbuckets, struct fs_dirent *e)
{
    bucket_insert_hashed(buckets, nbuckets, e, name_hash(e->name, e->name_len));
}

/* Makes room for one more entry; keeps the load at most one per bucket. */
static int dir_grow(struct fs_unode *d)
{
    if (d->d.nents < d->d.nbuckets)
        return 0;
    const struct fs_env *env = d->layer->env;
    uint32_t nb = d->d.nbuckets ? d->d.nbuckets * 2 : 8;
    struct fs_dirent **b = env->mem_alloc(env->ctx, nb * sizeof *b);
    if (!b)
        return AE_ENOMEM;
    memset(b, 0, nb * sizeof *b);
    for (uint32_t i = 0; i < d->d.nbuckets; i++) {
        struct fs_dirent *e = d->d.buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            bucket_insert(b, nb, e);
        }
    }
    if (d->d.buckets)
        env->mem_free(env->ctx, d->d.buckets, d->d.nbuckets * sizeof *b);
    d->d.buckets = b;
    d->d.nbuckets = nb;
    return 0;
}

/* Halves the table of a directory at most a quarter full (keeps it if no
 * memory comes). Without it a table kept its largest size for good: a
 * container that filled and emptied one directory after another held
 * kilobytes of the service's heap per directory, one inode each — about
 * 4 MiB of fs's 8 MiB heap with the default 1024 inodes (attack11). */
static void dir_shrink(struct fs_unode *d)
{
    if (d->d.nbuckets <= 8 || d->d.nents * 4 >= d->d.nbuckets)
        return;
    const struct fs_env *env = d->layer->env;
    uint32_t nb = d->d.nbuckets / 2;
    struct fs_dirent **b = env->mem_alloc(env->ctx, nb * sizeof *b);
    if (!b)
        return;
    memset(b, 0, nb * sizeof *b);
    for (uint32_t i = 0; i < d->d.nbuckets; i++) {
        struct fs_dirent *e = d->d.buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            bucket_insert(b, nb, e);
        }
    }
    env->mem_free(env->ctx, d->d.buckets, d->d.nbuckets * sizeof *b);
    d->d.buckets = b;
    d->d.nbuckets = nb;
}

int dir_reserve(struct fs_unode *d, const char *name, size_t len, struct fs_dirent **out)
{
    uint64_t h = name_hash(name, len);           /* once: the look-up and the insert */
    struct fs_dirent *e = find_hashed(d, name, len, h);
    if (e) {
        *out = e;
        return 0;
    }
    const struct fs_env *env = d->layer->env;
    if (dir_grow(d))
        return AE_ENOMEM;
    e = env->mem_alloc(env->ctx, sizeof *e + len);
    if (!e)
        return AE_ENOMEM;
    memset(e, 0, sizeof *e);
    memcpy(e->name, name, len);
    e->name_len = (uint16_t)len;
    uint32_t idx;
    if (d->d.lower && lower_child(d->layer->image, d->d.lower, name, len, &idx)) {
        e->cookie = (uint64_t)idx + 1;
        d->d.n_masking++;
    } else {
        e->cookie = d->d.next_cookie++;
        e->prev = d->d.fresh_tail;
        if (d->d.fresh_tail)
            d->d.fresh_tail->next = e;
        else
            d->d.fresh_head = e;
        d->d.fresh_tail = e;
    }
    bucket_insert_hashed(d->d.buckets, d->d.nbuckets, e, h);
    d->d.nents++;
    *out = e;
    return 0;
}

/* A name past a file's first costs an inode of the limit (it costs a
 * directory entry); callers that add one checked the limit first. */
void dir_attach(struct fs_unode *d, struct fs_dirent *e, struct fs_unode *child)
{
    e->node = child;
    if (child->links++ > 0)
        child->layer->inodes_used++;
    if (child->type == FS_TYPE_DIR)
        child->d.parent = d;
    d->d.n_nodes++;
}

struct fs_unode *dir_detach(struct fs_unode *d, struct fs_dirent *e)
{
    struct fs_unode *n = e->node;
    if (--n->links > 0)
        n->layer->inodes_used--;
    if (n->type == FS_TYPE_DIR)
        n->d.parent = NULL;                       /* ".." from it now finds nothing */
    e->node = NULL;
    d->d.n_nodes--;
    return n;
}

int dir_link(struct fs_unode *d, const char *name, size_t len, struct fs_unode *child)
{
    struct fs_dirent *e;
    int r = dir_reserve(d, name, len, &e);
    if (r)
        return r;
    dir_attach(d, e, child);
    return 0;
}

static void dirent_free(struct fs_unode *d, struct fs_dirent *e)
{
    d->layer->env->mem_free(d->layer->env->ctx, e, sizeof *e + e->name_len);
}

void dir_unlink(struct fs_unode *d, struct fs_dirent *e)
{
    if (e->node)
        dir_detach(d, e);
    if (e->cookie <= d->d.nlower)
        return;                                   /* stays as a whiteout */
    struct fs_dirent **b = &d->d.buckets[name_hash(e->name, e->name_len) & (d->d.nbuckets - 1)];
    while (*b != e)
        b = &(*b)->hnext;
    *b = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        d->d.fresh_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        d->d.fresh_tail = e->prev;
    d->d.nents--;
    dirent_free(d, e);
    dir_shrink(d);
}

uint64_t dir_visible(const struct fs_unode *d)
{
    return d->d.n_nodes + (uint64_t)(d->d.nlower - d->d.n_masking);
}

void dir_free_entries(struct fs_unode *d, struct fs_unode **pending)
{
    for (uint32_t i = 0; i < d->d.nbuckets; i++) {
        struct fs_dirent *e = d->d.buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            struct fs_unode *c = e->node;
            if (c && c->type == FS_TYPE_DIR) {
                c->links = 0;
                c->d.parent = *pending;
                *pending = c;
            } else if (c && --c->links == 0) {
                unode_release(c);                 /* its last name (a file may have several) */
            }
            dirent_free(d, e);
        }
    }
    if (d->d.buckets)
        d->layer->env->mem_free(d->layer->env->ctx, d->d.buckets,
                                d->d.nbuckets * sizeof *d->d.buckets);
    d->d.buckets = NULL;
    d->d.nbuckets = d->d.nents = d->d.n_nodes = d->d.n_masking = 0;
    d->d.fresh_head = d->d.fresh_tail = NULL;
}

/* Counts and links of one directory agree with its entries. */
int dir_check(const struct fs_unode *d, const char **why)
{
    uint32_t nents = 0, nodes = 0, masking = 0, fresh = 0;
    for (uint32_t i = 0; i < d->d.nbuckets; i++) {
        for (struct fs_dirent *e = d->d.buckets[i]; e; e = e->hnext) {
            nents++;
            uint32_t idx;
            bool below = d->d.lower &&
                         lower_child(d->layer->image, d->d.lower, e->name, e->name_len, &idx);
            if ((name_hash(e->name, e->name_len) & (d->d.nbuckets - 1)) != i)
                return *why = "entry in the wrong hash bucket", AE_EINVAL;
            if (below ? e->cookie != (uint64_t)idx + 1 : e->cookie <= d->d.nlower)
                return *why = "entry's cookie does not match the lower directory", AE_EINVAL;
            if (!e->node && !below)
                return *why = "whiteout with nothing below it", AE_EINVAL;
            masking += below;
            if (!e->node)
                continue;
            nodes++;
            bool dir = e->node->type == FS_TYPE_DIR;
            if ((dir ? e->node->links != 1 : e->node->links == 0) || e->node->layer != d->layer)
                return *why = "entry's node has a bad link count or layer", AE_EINVAL;
            if (e->node->type == FS_TYPE_DIR && e->node->d.parent != d)
                return *why = "child directory's parent pointer is wrong", AE_EINVAL;
        }
    }
    uint64_t last = d->d.nlower;
    for (struct fs_dirent *e = d->d.fresh_head; e; e = e->next, fresh++)
        if (e->cookie <= last || e->cookie >= d->d.next_cookie || (e->next && e->next->prev != e))
            return *why = "fresh list out of cookie order", AE_EINVAL;
        else
            last = e->cookie;
    if (nents != d->d.nents || nodes != d->d.n_nodes || masking != d->d.n_masking ||
        fresh != nents - masking || nents > d->d.nbuckets)
        return *why = "directory counters disagree with its entries", AE_EINVAL;
    return 0;
}
