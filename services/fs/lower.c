/*
 * lower.c — the image layer: a tree of immutable nodes built once from a
 * validated archive and shared by every session of the image. Names and
 * file data stay in the archive; only the small per-node index is
 * allocated. The archive's depth-first order makes each directory's
 * children a name-sorted run, searched by bisection. An image may be a
 * subtree of the archive (a container image inside the boot image): its
 * entries are one contiguous run, and paths are taken relative to it.
 * A symbolic link's node points at its target in the archive's string
 * table (data, size); the walk resolves it inside the session's root.
 */
#include "fs_impl.h"

static int image_fail(const struct fs_env *env, struct fs_image *im, int r)
{
    if (im->children)
        env->mem_free(env->ctx, im->children, im->count * sizeof *im->children);
    if (im->nodes)
        env->mem_free(env->ctx, im->nodes, im->count * sizeof *im->nodes);
    env->mem_free(env->ctx, im, sizeof *im);
    return r;
}

/* The node of archive entry i (inside the image's run), from 1 up. */
static uint32_t node_of(const struct fs_image *im, uint32_t i)
{
    return i - im->first + 1;
}

/* The node of archive entry i, its parent's index included. */
static void node_from_entry(struct fs_image *im, uint32_t i)
{
    struct img_file f;
    img_get(&im->img, i, &f);
    struct fs_lnode *n = &im->nodes[node_of(im, i)];
    size_t skip = im->prefix_len ? im->prefix_len + 1 : 0;    /* "prefix/" */
    size_t last = f.path_len;
    while (last > skip && f.path[last - 1] != '/')
        last--;
    *n = (struct fs_lnode){
        .type = f.type == AE_IMAGE_DIR ? FS_TYPE_DIR
              : f.type == AE_IMAGE_SYMLINK ? FS_TYPE_SYMLINK : FS_TYPE_FILE,
        .name = f.path + last, .name_len = (uint16_t)(f.path_len - last),
        .mode = f.mode, .ino = (uint64_t)node_of(im, i) + 1, .data = f.data, .size = f.size,
    };
    /* img_open checked that the parent exists and is a directory; one
     * below the prefix lies inside the run. */
    n->parent = last == skip ? 0 : node_of(im, (uint32_t)img_lookup(&im->img, f.path, last - 1));
}

/* Finds the run of entries below prefix; AE_ENOENT or AE_ENOTDIR if it
 * names no directory. */
static int find_subtree(struct fs_image *im, const char *prefix, size_t len,
                        struct img_error *err)
{
    uint32_t end;
    img_subtree(&im->img, prefix, len, &im->first, &end);
    im->count = end - im->first + 1;
    if (len == 0)
        return 0;
    int64_t at = img_lookup(&im->img, prefix, len);
    struct img_file f;
    if (at >= 0)
        img_get(&im->img, (uint32_t)at, &f);
    if (at >= 0 && f.type == AE_IMAGE_DIR)
        return 0;
    if (err)
        *err = (struct img_error){ at < 0 ? AE_ENOENT : AE_ENOTDIR, -1, "prefix",
                                   at < 0 ? "names nothing in the archive" : "names a file" };
    return at < 0 ? AE_ENOENT : AE_ENOTDIR;
}

int fs_image_create(const struct fs_env *env, const void *archive, uint64_t len,
                    struct fs_image **out, struct img_error *err)
{
    return fs_image_create_at(env, archive, len, "", 0, out, err);
}

int fs_image_create_at(const struct fs_env *env, const void *archive, uint64_t len,
                       const char *prefix, size_t prefix_len, struct fs_image **out,
                       struct img_error *err)
{
    struct fs_image *im = env->mem_alloc(env->ctx, sizeof *im);
    if (!im)
        return AE_ENOMEM;
    memset(im, 0, sizeof *im);
    im->env = *env;
    im->refs = 1;
    im->prefix_len = prefix_len;
    int r = img_open(&im->img, archive, len, err);
    if (!r)
        r = find_subtree(im, prefix, prefix_len, err);
    if (r)
        return image_fail(env, im, r);
    im->nodes = env->mem_alloc(env->ctx, im->count * sizeof *im->nodes);
    im->children = env->mem_alloc(env->ctx, im->count * sizeof *im->children);
    if (!im->nodes || !im->children)
        return image_fail(env, im, AE_ENOMEM);
    im->nodes[0] = (struct fs_lnode){ .type = FS_TYPE_DIR, .mode = 0755, .ino = 1, .name = "" };
    for (uint32_t n = 1; n < im->count; n++) {
        node_from_entry(im, im->first + n - 1);
        im->nodes[im->nodes[n].parent].nchildren++;
    }
    uint32_t next = 0;                       /* each directory's run, in node order */
    for (uint32_t i = 0; i < im->count; i++) {
        im->nodes[i].first_child = next;
        next += im->nodes[i].nchildren;
        im->nodes[i].nchildren = 0;
    }
    for (uint32_t i = 1; i < im->count; i++) {   /* archive order is name order */
        struct fs_lnode *p = &im->nodes[im->nodes[i].parent];
        im->children[p->first_child + p->nchildren++] = i;
    }
    *out = im;
    return 0;
}

void fs_image_put(struct fs_image *im)
{
    if (!im || !ref_dec(&im->refs))
        return;
    struct fs_env env = im->env;
    env.mem_free(env.ctx, im->children, im->count * sizeof *im->children);
    env.mem_free(env.ctx, im->nodes, im->count * sizeof *im->nodes);
    env.mem_free(env.ctx, im, sizeof *im);
}

const struct fs_lnode *lower_child_at(const struct fs_image *img, const struct fs_lnode *dir,
                                      uint32_t idx)
{
    return &img->nodes[img->children[dir->first_child + idx]];
}

const struct fs_lnode *lower_child(const struct fs_image *img, const struct fs_lnode *dir,
                                   const char *name, size_t len, uint32_t *idx)
{
    uint32_t lo = 0, hi = dir->nchildren;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct fs_lnode *c = lower_child_at(img, dir, mid);
        int cmp = img_path_cmp(c->name, c->name_len, name, len);
        if (cmp == 0) {
            *idx = mid;
            return c;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
