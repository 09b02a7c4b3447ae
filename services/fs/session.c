/*
 * session.c — sessions, volumes and handles.
 *
 * A session is one client's view: its private layer over an image, the
 * volumes mounted in it, and a handle table. A handle value is
 * (generation << 32 | slot); a slot's generation changes each time it is
 * freed, so a stale or forged value finds no handle (AE_EBADF) rather
 * than another file. A slot whose generation would wrap is retired.
 */
#include "fs_impl.h"

#define HANDLE_SLOT(h) ((uint32_t)(h))
#define HANDLE_GEN(h)  ((uint32_t)((h) >> 32))

void session_lock(struct fs_session *s, struct fs_layer *L)
{
    s->env.lock(s->layer.lock);
    if (L && L != &s->layer)
        s->env.lock(L->lock);
}

void session_unlock(struct fs_session *s, struct fs_layer *L)
{
    if (L && L != &s->layer)
        s->env.unlock(L->lock);
    s->env.unlock(s->layer.lock);
}

/* The locks of the session's volumes, each once, in ascending address order. */
static unsigned volume_locks(const struct fs_session *s, void *locks[FS_MOUNTS_MAX])
{
    unsigned n = 0;
    for (uint32_t i = 0; i < s->nmounts; i++) {
        void *l = s->mounts[i].vol->layer.lock;
        unsigned j = n;
        while (j > 0 && (uintptr_t)locks[j - 1] > (uintptr_t)l)
            j--;
        if (j > 0 && locks[j - 1] == l)
            continue;                            /* one volume mounted twice */
        for (unsigned k = n; k > j; k--)
            locks[k] = locks[k - 1];
        locks[j] = l;
        n++;
    }
    return n;
}

int session_lock_all(struct fs_session *s)
{
    s->env.lock(s->layer.lock);
    if (s->dead || s->lost) {
        s->env.unlock(s->layer.lock);
        return AE_EDEAD;
    }
    void *locks[FS_MOUNTS_MAX];
    unsigned n = volume_locks(s, locks);
    for (unsigned i = 0; i < n; i++)
        s->env.lock(locks[i]);
    return 0;
}

void session_unlock_all(struct fs_session *s)
{
    void *locks[FS_MOUNTS_MAX];
    unsigned n = volume_locks(s, locks);
    while (n > 0)
        s->env.unlock(locks[--n]);
    s->env.unlock(s->layer.lock);
}

/* ---- volumes --------------------------------------------------------- */

int fs_volume_create(const struct fs_env *env, const struct fs_limits *lim,
                     struct fs_volume **out)
{
    struct fs_volume *v = env->mem_alloc(env->ctx, sizeof *v);
    if (!v)
        return AE_ENOMEM;
    memset(v, 0, sizeof *v);
    v->env = *env;
    v->refs = 1;
    int r = layer_init(&v->layer, &v->env, NULL, lim);
    if (r) {
        env->mem_free(env->ctx, v, sizeof *v);
        return r;
    }
    *out = v;
    return 0;
}

void fs_volume_put(struct fs_volume *v)
{
    if (!v || !ref_dec(&v->refs))
        return;
    struct fs_env env = v->env;
    layer_fini(&v->layer);
    env.mem_free(env.ctx, v, sizeof *v);
}

void fs_volume_statfs(struct fs_volume *v, struct fs_usage *u)
{
    v->env.lock(v->layer.lock);
    *u = (struct fs_usage){
        .bytes_used = v->layer.bytes_used, .bytes_max = v->layer.bytes_max,
        .inodes_used = v->layer.inodes_used, .inodes_max = v->layer.inodes_max,
    };
    v->env.unlock(v->layer.lock);
}

/* ---- handles (caller holds the session lock) ------------------------- */

struct fs_handle *handle_get(struct fs_session *s, uint64_t h)
{
    uint32_t slot = HANDLE_SLOT(h);
    if (slot >= s->nslots)
        return NULL;
    struct fs_handle *hd = &s->handles[slot];
    /* A reserved slot (FS_H_RESV) is no handle to any request but
     * CREATE_RESERVED: AE_EBADF, as for a closed value. */
    return (hd->kind == FS_H_UPPER || hd->kind == FS_H_LOWER) && hd->gen == HANDLE_GEN(h) ? hd : NULL;
}

static int handles_grow(struct fs_session *s)
{
    uint32_t n = s->nslots ? s->nslots * 2 : 16;
    if (n > s->handles_max)
        n = s->handles_max;
    if (n <= s->nslots)
        return AE_EMFILE;                        /* every slot open or retired */
    struct fs_handle *t = s->env.mem_alloc(s->env.ctx, n * sizeof *t);
    if (!t)
        return AE_ENOMEM;
    if (s->nslots)
        memcpy(t, s->handles, s->nslots * sizeof *t);
    for (uint32_t i = s->nslots; i < n; i++) {
        t[i] = (struct fs_handle){ .gen = 1, .kind = FS_H_FREE };
        t[i].next_free = i + 1 < n ? i + 1 : s->free_head;
    }
    s->free_head = s->nslots;
    if (s->handles)
        s->env.mem_free(s->env.ctx, s->handles, s->nslots * sizeof *t);
    s->handles = t;
    s->nslots = n;
    return 0;
}

int handle_new(struct fs_session *s, uint64_t *h, struct fs_handle **out)
{
    if (s->handles_open >= s->handles_max)
        return AE_EMFILE;
    int r;
    if (s->free_head == FS_NO_SLOT && (r = handles_grow(s)))
        return r;
    uint32_t slot = s->free_head;
    struct fs_handle *hd = &s->handles[slot];
    s->free_head = hd->next_free;
    uint32_t gen = hd->gen;
    *hd = (struct fs_handle){ .gen = gen };
    s->handles_open++;
    *h = (uint64_t)gen << 32 | slot;
    *out = hd;
    return 0;
}

struct fs_layer *handle_layer(struct fs_session *s, const struct fs_handle *hd)
{
    return hd->kind == FS_H_UPPER ? hd->u->layer : &s->layer;
}

/* An image handle lets go of the directory it hangs from. */
static void anchor_drop(struct fs_handle *hd)
{
    struct fs_unode *a = hd->anchor;
    hd->anchor = NULL;
    a->opens--;
    unode_release(a);
}

/* Frees the handle; caller also holds the lock of handle_layer(). */
void handle_drop(struct fs_session *s, struct fs_handle *hd)
{
    if (hd->kind == FS_H_UPPER) {
        hd->u->opens--;
        unode_release(hd->u);
    } else if (hd->kind == FS_H_RESV) {
        unode_release(hd->u);                    /* named by nothing: freed, its inode uncharged */
    } else {
        anchor_drop(hd);
    }
    hd->kind = FS_H_FREE;
    s->handles_open--;
    if (++hd->gen == UINT32_MAX)
        return;                                  /* retired: never handed out again */
    uint32_t slot = (uint32_t)(hd - s->handles);
    hd->next_free = s->free_head;
    s->free_head = slot;
}

void handle_unreserve(struct fs_session *s, struct fs_handle *hd)
{
    uint32_t slot = (uint32_t)(hd - s->handles);
    hd->kind = FS_H_FREE;
    s->handles_open--;
    hd->next_free = s->free_head;                /* never handed out: same generation */
    s->free_head = slot;
}

static void handle_to_upper(struct fs_handle *hd, struct fs_unode *u)
{
    anchor_drop(hd);
    hd->kind = FS_H_UPPER;
    hd->u = u;
    u->opens++;
}

void handles_redirect(struct fs_session *s, const struct fs_lnode *l, struct fs_unode *u)
{
    for (uint32_t i = 0; i < s->nslots; i++) {
        struct fs_handle *hd = &s->handles[i];
        if (hd->kind == FS_H_LOWER && hd->l == l)
            handle_to_upper(hd, u);
    }
}

int handle_pos(struct fs_session *s, struct fs_handle *hd, struct fs_pos *p)
{
    if (hd->kind == FS_H_UPPER) {
        *p = (struct fs_pos){ .r = { hd->u, NULL }, .dev = hd->dev };
        return 0;
    }
    *p = (struct fs_pos){ .r = { NULL, hd->l }, .anchor = hd->anchor };
    int r = pos_refresh(s, p);
    if (r || p->anchor == hd->anchor)
        return r;
    if (p->r.u) {                                /* (copy-ups redirect handles: not expected) */
        handle_to_upper(hd, p->r.u);
        return 0;
    }
    p->anchor->opens++;                          /* hang from the deeper copy from now on */
    anchor_drop(hd);
    hd->anchor = p->anchor;
    return 0;
}

int handle_materialize(struct fs_session *s, struct fs_handle *hd)
{
    if (hd->kind == FS_H_UPPER)
        return 0;
    struct fs_pos p = { .r = { NULL, hd->l }, .anchor = hd->anchor };
    int r = pos_materialize(s, &p);              /* its copy-up redirects hd */
    if (r == AE_ENOENT)
        r = copy_orphan(s, hd->l);               /* no longer visible: a copy only handles see */
    return r;
}

bool holds_mount(const struct fs_session *s, const struct fs_unode *d)
{
    for (uint32_t i = 0; i < s->nmounts; i++)
        for (const struct fs_unode *u = s->mounts[i].point; u; u = u->d.parent)
            if (u == d)
                return true;
    return false;
}

/* ---- sessions -------------------------------------------------------- */

int fs_session_create(const struct fs_env *env, struct fs_image *img,
                      const struct fs_limits *lim, uint32_t flags, struct fs_session **out)
{
    if ((flags & ~FS_SESSION_RDONLY) || lim->handles > FS_HANDLES_MAX)
        return AE_EINVAL;
    struct fs_session *s = env->mem_alloc(env->ctx, sizeof *s);
    if (!s)
        return AE_ENOMEM;
    memset(s, 0, sizeof *s);
    s->env = *env;
    s->refs = 1;
    s->rdonly = flags & FS_SESSION_RDONLY;
    s->handles_max = lim->handles;
    s->free_head = FS_NO_SLOT;
    int r = layer_init(&s->layer, &s->env, img, lim);
    if (r) {
        env->mem_free(env->ctx, s, sizeof *s);
        return r;
    }
    if (img)
        ref_inc(&img->refs);
    s->image = img;
    *out = s;
    return 0;
}

void fs_session_lose_pages(struct fs_session *s)
{
    session_lock(s, NULL);                       /* an operation in flight finishes first */
    s->lost = true;
    s->layer.pages_lost = true;
    session_unlock(s, NULL);
}

void fs_session_recover(struct fs_session *s)
{
    s->refs = 1;                                 /* the creator's: requests in flight died */
}

void fs_session_get(struct fs_session *s)
{
    ref_inc(&s->refs);
}

void fs_session_put(struct fs_session *s)
{
    if (!ref_dec(&s->refs))
        return;
    struct fs_env env = s->env;
    env.lock_free(env.ctx, s->layer.lock);
    env.mem_free(env.ctx, s, sizeof *s);
}

void fs_session_destroy(struct fs_session *s)
{
    session_lock(s, NULL);
    if (s->dead) {
        session_unlock(s, NULL);
        return;
    }
    s->dead = true;
    for (uint32_t i = 0; i < s->nslots; i++) {
        struct fs_handle *hd = &s->handles[i];
        if (hd->kind == FS_H_FREE)
            continue;
        struct fs_layer *L = handle_layer(s, hd);
        if (L != &s->layer)
            s->env.lock(L->lock);
        handle_drop(s, hd);
        if (L != &s->layer)
            s->env.unlock(L->lock);
    }
    for (uint32_t i = 0; i < s->nmounts; i++) {
        s->env.mem_free(s->env.ctx, s->mounts[i].path, sizeof *s->mounts[i].path);
        fs_volume_put(s->mounts[i].vol);
    }
    s->nmounts = 0;
    unode_free_tree(s->layer.root);
    s->layer.root = NULL;
    if (s->handles)
        s->env.mem_free(s->env.ctx, s->handles, s->nslots * sizeof *s->handles);
    s->handles = NULL;
    s->nslots = 0;
    fs_image_put(s->image);
    s->image = NULL;
    session_unlock(s, NULL);
    fs_session_put(s);
}

/* Makes every directory on path exist in the session layer (mkdir -p);
 * *out gets the last. */
static int make_dirs(struct fs_session *s, const struct fs_path *p, struct fs_unode **out)
{
    struct fs_unode *cur = s->layer.root;
    size_t pos = 0, clen;
    const char *c;
    while (fs_path_next(p->name, p->len, &pos, &c, &clen)) {
        if (fs_path_is_dotdot(c, clen))
            return AE_EINVAL;                    /* a mount path says where, plainly */
        struct fs_ref r;
        struct fs_dirent *e;
        uint32_t idx;
        int err = lookup_in(&s->layer, cur, c, clen, &r, &e, &idx);
        if (err == AE_ENOENT) {
            if ((err = unode_new(&s->layer, FS_TYPE_DIR, 0755, &r.u)))
                return err;
            if ((err = dir_link(cur, c, clen, r.u))) {
                unode_release(r.u);
                return err;
            }
        } else if (err) {
            return err;
        } else if (ref_type(r) != FS_TYPE_DIR) {
            return AE_ENOTDIR;
        } else if (r.l && (err = copy_up(s, cur, r.l, &r.u))) {
            return err;
        }
        cur = r.u;
    }
    *out = cur;
    return 0;
}

unsigned fs_session_mounts(const struct fs_session *s)
{
    return s->nmounts;
}

int fs_session_mount(struct fs_session *s, const struct fs_path *path, struct fs_volume *vol,
                     bool writable)
{
    if (path->len == 0)
        return AE_EINVAL;                        /* the root itself cannot be covered */
    session_lock(s, NULL);
    int r = s->dead ? AE_EDEAD : s->nmounts == FS_MOUNTS_MAX ? AE_ELIMIT : 0;
    for (uint32_t i = 0; !r && i < s->nmounts; i++) {
        const struct fs_path *m = s->mounts[i].path;
        if (fs_path_within(path->name, path->len, m->name, m->len) ||
            fs_path_within(m->name, m->len, path->name, path->len))
            r = AE_EBUSY;                        /* mount points may not nest */
    }
    struct fs_path *copy = NULL;
    struct fs_unode *point = NULL;
    if (!r && !(copy = s->env.mem_alloc(s->env.ctx, sizeof *copy)))
        r = AE_ENOMEM;
    if (!r)
        r = make_dirs(s, path, &point);
    if (r) {
        if (copy)
            s->env.mem_free(s->env.ctx, copy, sizeof *copy);
        session_unlock(s, NULL);
        return r;
    }
    *copy = *path;
    ref_inc(&vol->refs);
    point->mount = (uint8_t)(s->nmounts + 1);
    s->mounts[s->nmounts++] = (struct fs_mount){ copy, point, vol, writable };
    session_unlock(s, NULL);
    return 0;
}
