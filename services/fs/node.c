/*
 * node.c — upper-layer nodes: their birth (charged to the layer's inode
 * limit), their death (when no directory entry names them and no handle
 * holds them), their attributes and times, the teardown of a whole layer,
 * and the accounting of the layer's limits. Callers hold the layer's lock.
 */
#include "fs_impl.h"

#define SESSION_INO_BASE (1ull << 40)   /* above every image's inode numbers */

int layer_charge_pages(struct fs_layer *L, uint64_t n)
{
    if (n > (L->bytes_max - L->bytes_used) / FS_PAGE)
        return AE_ENOSPC;
    L->bytes_used += n * FS_PAGE;
    return 0;
}

void layer_uncharge_pages(struct fs_layer *L, uint64_t n)
{
    L->bytes_used -= n * FS_PAGE;
}

static void unode_init_dir(struct fs_unode *n, const struct fs_lnode *lower)
{
    n->d.lower = lower;
    n->d.nlower = lower ? lower->nchildren : 0;
    n->d.next_cookie = (uint64_t)n->d.nlower + 1;
}

uint64_t layer_now(const struct fs_layer *L)
{
    return L->env->now ? L->env->now(L->env->ctx) : 0;
}

void unode_touch(struct fs_unode *n, bool content)
{
    n->ctime = layer_now(n->layer);
    if (content)
        n->mtime = n->ctime;
}

static struct fs_unode *unode_alloc(struct fs_layer *L, uint8_t type, uint32_t mode)
{
    struct fs_unode *n = L->env->mem_alloc(L->env->ctx, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->type = type;
    n->mode = mode & FS_MODE_MASK;
    n->layer = L;
    if (type == FS_TYPE_DIR)
        unode_init_dir(n, NULL);
    return n;
}

/* A link's page goes back to the layer. */
static void symlink_free(struct fs_unode *n)
{
    struct fs_layer *L = n->layer;
    if (n->sl.owned) {
        if (!L->pages_lost)
            L->env->page_free(L->env->ctx, (void *)n->sl.target);
        layer_uncharge_pages(L, 1);
    }
    n->sl.target = NULL;
    n->sl.owned = false;
}

int unode_new(struct fs_layer *L, uint8_t type, uint32_t mode, struct fs_unode **out)
{
    if (L->inodes_used >= L->inodes_max)
        return AE_ENOSPC;
    struct fs_unode *n = unode_alloc(L, type, mode);
    if (!n)
        return AE_ENOMEM;
    n->ino = L->next_ino++;
    n->atime = n->mtime = n->ctime = layer_now(L);
    L->inodes_used++;
    *out = n;
    return 0;
}

/* Frees a node nothing refers to. Directories may only hold whiteouts. */
static void unode_free(struct fs_unode *n, struct fs_unode **pending)
{
    struct fs_layer *L = n->layer;
    if (n->type == FS_TYPE_FILE)
        file_free_pages(n);
    else if (n->type == FS_TYPE_SYMLINK)
        symlink_free(n);
    else if (n->type == FS_TYPE_DIR)
        dir_free_entries(n, pending);
    if (n != L->root)
        L->inodes_used--;
    L->env->mem_free(L->env->ctx, n, sizeof *n);
}

void unode_release(struct fs_unode *n)
{
    if (n->links || n->opens)
        return;
    struct fs_unode *none = NULL;
    unode_free(n, &none);
}

void unode_free_tree(struct fs_unode *root)
{
    /* Iterative, so a deep tree cannot exhaust the stack: directories wait
     * on a list linked through d.parent, which dies with them anyway. */
    struct fs_unode *pending = root;
    root->d.parent = NULL;
    while (pending) {
        struct fs_unode *d = pending;
        pending = d->d.parent;
        d->links = 0;
        unode_free(d, &pending);
    }
}

int layer_init(struct fs_layer *L, const struct fs_env *env, const struct fs_image *img,
               const struct fs_limits *lim)
{
    memset(L, 0, sizeof *L);
    L->env = env;
    L->image = img;
    L->bytes_max = lim->data_bytes;
    L->inodes_max = lim->inodes;
    L->next_ino = img ? SESSION_INO_BASE : 2;
    L->lock = env->lock_new(env->ctx);
    if (!L->lock)
        return AE_ENOMEM;
    L->root = unode_alloc(L, FS_TYPE_DIR, 0755);
    if (!L->root) {
        env->lock_free(env->ctx, L->lock);
        return AE_ENOMEM;
    }
    L->root->ino = 1;
    L->root->links = 1;
    L->root->atime = L->root->mtime = L->root->ctime = layer_now(L);
    if (img) {
        unode_init_dir(L->root, &img->nodes[0]);
        L->root->mode = img->nodes[0].mode;
    }
    return 0;
}

void layer_fini(struct fs_layer *L)
{
    unode_free_tree(L->root);
    L->env->lock_free(L->env->ctx, L->lock);
}

uint32_t ref_type(struct fs_ref r)
{
    return r.u ? r.u->type : r.l->type;
}

void ref_stat(struct fs_ref r, uint32_t dev, struct fs_stat *st)
{
    memset(st, 0, sizeof *st);
    st->dev = dev;
    if (r.l) {
        st->ino = r.l->ino;
        st->type = r.l->type;
        st->mode = r.l->mode;
        st->size = r.l->type == FS_TYPE_DIR ? r.l->nchildren : r.l->size;
        st->nlink = 1;
        /* An image file's pages are the image's, but du and ls -s show what a
         * file occupies: the pages its bytes fill, as a read-only fs reports. */
        if (r.l->type == FS_TYPE_FILE)
            st->blocks = (r.l->size + FS_PAGE - 1) / FS_PAGE * (FS_PAGE / 512);
        return;
    }
    struct fs_unode *n = r.u;
    st->ino = n->ino;
    st->type = n->type;
    st->mode = n->mode;
    st->nlink = n->type == FS_TYPE_DIR ? 1 : n->links;
    st->uid = n->uid;
    st->gid = n->gid;
    st->atime = n->atime;
    st->mtime = n->mtime;
    st->ctime = n->ctime;
    if (n->type == FS_TYPE_FILE) {
        st->size = n->f.size;
        /* Bytes still read from the image occupy its pages: count them as if
         * private, so a file's blocks do not drop to 0 when its mode changes. */
        uint64_t lower = (n->f.lower_len + FS_PAGE - 1) / FS_PAGE;
        st->blocks = (n->f.npages > lower ? n->f.npages : lower) * (FS_PAGE / 512);
    } else if (n->type == FS_TYPE_SYMLINK) {
        st->size = n->sl.len;
        st->blocks = n->sl.owned ? FS_PAGE / 512 : 0;
    } else if (n->type == FS_TYPE_DIR) {
        st->size = dir_visible(n);
    }
}

void ref_target(struct fs_ref r, const char **target, size_t *len)
{
    if (r.l) {
        *target = (const char *)r.l->data;
        *len = r.l->size;
    } else {
        *target = r.u->sl.target;
        *len = r.u->sl.len;
    }
}
