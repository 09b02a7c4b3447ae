/*
 * reserve.c — creates that do not wait (docs/FS.md, "Creates that do not
 * wait"). RESERVE hands a session up to FS_RESERVE_MAX handle slots, each
 * holding a file node made now (its inode number taken and charged to the
 * session's inode limit, its handle counted among the session's open
 * ones), so that a create the client queued (FS_DEFER_CREATE, run as
 * CREATE_RESERVED) finds its handle and node already paid for: the client
 * can tell its program the handle value and inode number at once.
 *
 * A reserved slot is a handle no other request finds (handle_get skips
 * FS_H_RESV: AE_EBADF). CREATE_RESERVED runs only on a slot of the
 * caller's own session that is still reserved, only where the name is
 * absent and its directory is a directory of the session's own layer:
 * whatever a client sends, it can only make files in its own tree, with
 * nodes it already paid for. Giving reservations back (the next RESERVE,
 * the session's end) frees the nodes and uncharges them.
 */
#include "fs_impl.h"

#define HANDLE_SLOT(h) ((uint32_t)(h))
#define HANDLE_GEN(h)  ((uint32_t)((h) >> 32))

/* Gives back every reservation still held. Session lock held. */
static void give_back(struct fs_session *s)
{
    for (uint32_t i = 0; i < s->nresv; i++) {
        struct fs_handle *hd = &s->handles[s->resv[i]];
        if (hd->kind == FS_H_RESV)
            handle_drop(s, hd);                  /* frees the node; the value goes stale */
    }
    s->nresv = 0;
}

static void resv_forget(struct fs_session *s, uint32_t slot)
{
    for (uint32_t i = 0; i < s->nresv; i++)
        if (s->resv[i] == slot) {
            s->resv[i] = s->resv[--s->nresv];
            return;
        }
}

void fs_reserve_recount(struct fs_session *s)
{
    s->nresv = 0;
    for (uint32_t i = 0; i < s->nslots; i++)
        if (s->handles[i].kind == FS_H_RESV) {
            if (s->nresv < FS_RESERVE_MAX)
                s->resv[s->nresv++] = i;
            else
                handle_drop(s, &s->handles[i]);  /* never: more than were ever granted */
        }
}

uint32_t fs_session_reserved(struct fs_session *s)
{
    return __atomic_load_n(&s->nresv, __ATOMIC_RELAXED);
}

int fs_reserve(struct fs_session *s, uint32_t n, uint64_t *handles, uint64_t *first_ino)
{
    session_lock(s, NULL);
    if (s->dead || s->lost) {
        session_unlock(s, NULL);
        return AE_EDEAD;
    }
    give_back(s);
    *first_ino = 0;
    /* Nothing for a read-only session or one that mounts a volume (others
     * see its files at once there); and n only while 2n of each limit is
     * left, so reservations never bring a session near its limits. */
    struct fs_layer *L = &s->layer;
    uint32_t k = n < FS_RESERVE_MAX ? n : FS_RESERVE_MAX;
    uint32_t room_i = (L->inodes_max - L->inodes_used) / 2;
    uint32_t room_h = (s->handles_max - s->handles_open) / 2;
    if (s->rdonly || s->nmounts)
        k = 0;
    if (k > room_i)
        k = room_i;
    if (k > room_h)
        k = room_h;
    uint32_t got = 0;
    for (; got < k; got++) {
        struct fs_unode *u;
        struct fs_handle *hd;
        uint64_t h;
        if (unode_new(L, FS_TYPE_FILE, 0, &u))
            break;                               /* (AE_ENOMEM only: the room was checked) */
        if (handle_new(s, &h, &hd)) {
            unode_release(u);
            break;
        }
        hd->kind = FS_H_RESV;
        hd->u = u;
        handles[got] = h;
        s->resv[s->nresv++] = HANDLE_SLOT(h);
        if (got == 0)
            *first_ino = u->ino;
    }
    session_unlock(s, NULL);
    return (int)got;
}

/* The create ran once already (the service died with its batch, and the
 * client sent it again): the handle is open on the node p names. */
static int already_made(struct fs_session *s, const struct fs_handle *hd, const struct fs_walk *w)
{
    return hd->kind == FS_H_UPPER && w->found && w->node.r.u == hd->u ? 0 : AE_EBADF;
}

/* The reserved slot becomes an open handle on its node, now named. The
 * service dying between the link and this leaves a reserved node that
 * has a name: fs_session_check accepts it and the client's retry (the
 * same create) ends here. */
static void open_made(struct fs_session *s, struct fs_handle *hd, uint32_t slot, uint32_t flags)
{
    resv_forget(s, slot);
    struct fs_pos pos = { .r = { .u = hd->u }, .dev = 0 };
    handle_fill(hd, &pos, flags);                /* FS_H_UPPER now: an open handle */
    hd->pos = 0;
}

int fs_create_reserved(struct fs_session *s, const struct fs_path *p, uint32_t flags,
                       uint32_t mode, uint64_t h, uint64_t time, struct fs_stat *st)
{
    if ((flags & ~FS_RESERVED_O_ALL) || !(flags & FS_O_CREAT) ||
        (flags & FS_O_ACCMODE) == FS_O_ACCMODE || (mode & ~FS_MODE_MASK))
        return AE_EINVAL;
    int r = session_lock_all(s);
    if (r)
        return r;
    uint32_t slot = HANDLE_SLOT(h);
    struct fs_handle *hd = slot < s->nslots ? &s->handles[slot] : NULL;
    if (!hd || hd->gen != HANDLE_GEN(h) || (hd->kind != FS_H_RESV && hd->kind != FS_H_UPPER)) {
        session_unlock_all(s);
        return AE_EBADF;                         /* never reserved, given back, another's */
    }
    struct fs_walk w;
    if ((r = walk_path(s, p, 0, &w)) == 0) {
        struct fs_unode *parent = w.dir.r.u, *n = hd->u;
        if (hd->kind != FS_H_RESV)
            r = already_made(s, hd, &w);
        else if (w.found && w.node.r.u == n)
            open_made(s, hd, slot, flags);       /* a first try cut off after its link (a restart) */
        else if (!w.named || w.found)
            r = AE_EEXIST;
        else if (w.must_dir)
            r = AE_EISDIR;
        else if (w.dir.dev != 0 || !parent)
            r = AE_EINVAL;                       /* only in a directory of its own layer */
        else if (!parent->links)
            r = AE_ENOENT;                       /* the directory was removed */
        else if ((r = dir_link(parent, w.last, w.last_len, n)) == 0) {
            n->mode = mode;
            /* The instant the client's open read the clock: the stat it
             * told its program. Nothing new: utimens sets any time. */
            bool now = time == 0 || time == FS_TIME_NOW || time == FS_TIME_OMIT;
            n->atime = n->mtime = n->ctime = now ? layer_now(&s->layer) : time;
            parent->mtime = parent->ctime = n->ctime;
            open_made(s, hd, slot, flags);
        }
        if (!r && st)
            ref_stat((struct fs_ref){ .u = hd->u }, 0, st);
    }
    walk_done(s, &w);
    session_unlock_all(s);
    return r;
}
