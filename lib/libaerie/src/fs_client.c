/*
 * fs_client.c — the file-system client (libaerie/fs.h): requests on a
 * session with paths and data in the shared buffer. The buffer is made
 * from the program's own quota and attached on first use, so a program
 * that never touches a file pays nothing for it. A connection's lock is
 * held from filling the buffer to copying the reply out of it.
 *
 * Small operations avoid the round trip where the answer is already here
 * (docs/FS.md, "Client caches"): small reads are served from a read-ahead
 * kept in the buffer, stats from a table of recent ones, and libc's closes
 * ride on the next request. The buffer's control block tells, by one
 * load, whether anything changed since (struct fs_shctl): the caches are
 * kept only while its count of changes is the one they were made at, or
 * has moved by exactly our own request.
 */
#include <libaerie/fs.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include <stdlib.h>
#include <string.h>
#include "lock.h"
#include "fs_proof.h"
#include "sys.h"                          /* __sys_clock_realtime_ns */

/* Queued writes a dying service cut off are sent again, for as long as
 * a restart could take: dropping them would lose what write() said it
 * wrote (a program retrying its own EIO would not know). */
#define EIO_TRIES    500
#define EIO_PAUSE_NS 1000000ull
#define RA_READ_MAX (16u << 10)   /* reads up to this size go through the read-ahead */
#define RA_FIRST    (16u << 10)   /* the first read-ahead of a run; doubles while sequential */
#define SC_SETS     128u          /* stats kept: sets by the path's hash, */
#define SC_WAYS     4u            /* each holding this many (the oldest replaced) */
#define SC_SLOTS    (SC_SETS * SC_WAYS)
#define SC_PATH     32u           /* longest path kept */

struct sc_entry {
    uint32_t gen;                 /* valid while it is the table's */
    uint8_t len, nofollow;
    char path[SC_PATH];
    struct ae_fs_stat st;
};

#define SC_CLASSES  32u           /* node classes (inode mod this) of the index below */
#define SC_WORDS    (SC_SLOTS / 64)

/* Besides the entries, which slots hold a directory and which a node of
 * each class: a write, create, unlink, mkdir or rmdir of ours drops a
 * node's or the directories' entries, and a pass over all 512 slots (72
 * KiB) for each cost thousands of instructions, and under emulation a
 * dozen TLB refills, per call. A slot's bits follow what it holds (set
 * and cleared only in sc_insert), whether or not its entry is valid. */
struct ae_fs_scache {
    uint32_t gen;
    uint8_t next[SC_SETS];        /* the way each set replaces next */
    struct sc_entry e[SC_SLOTS];
    uint64_t max_ino;             /* no entry ever held a higher inode number */
    uint64_t dirs[SC_WORDS];      /* bit i: e[i] is a directory's */
    uint64_t node[SC_CLASSES][SC_WORDS];   /* bit i: e[i].st.ino % SC_CLASSES is the class */
};

/* ---- the caches; connection lock held ---------------------------------- */

static void sc_clear(struct ae_fs *fs)
{
    if (fs->sc && ++fs->sc->gen == 0) {
        memset(fs->sc, 0, sizeof *fs->sc);
        fs->sc->gen = 1;
    }
}

/* Invalidates the valid entries among the slots of bits that drop
 * says to drop. */
static void sc_drop_among(struct ae_fs *fs, const uint64_t *bits, uint64_t ino, bool dirs, bool node)
{
    for (unsigned w = 0; w < SC_WORDS; w++)
        for (uint64_t m = bits[w]; m; m &= m - 1) {
            struct sc_entry *e = &fs->sc->e[w * 64 + (unsigned)__builtin_ctzll(m)];
            bool dir = e->st.type == FS_TYPE_DIR;
            if (e->gen == fs->sc->gen && ((dirs && dir) || (node && !dir && e->st.ino == ino)))
                e->gen = 0;
        }
}

/* Entries our own create or truncation may have changed: every directory
 * (a name came or went) and every name of the node it opened. A node
 * numbered above every entry's (a create: inode numbers only grow and
 * are never reused) has none: only the directories go. */
static void sc_drop_touched(struct ae_fs *fs, uint64_t ino)
{
    if (!fs->sc)
        return;
    sc_drop_among(fs, fs->sc->dirs, ino, true, false);
    if (ino <= fs->sc->max_ino)
        sc_drop_among(fs, fs->sc->node[ino % SC_CLASSES], ino, true, true);
}

/* Entries of one node under any name: what a write to it changes (its
 * size, times and blocks; no directory's). */
static void sc_drop_node(struct ae_fs *fs, uint64_t ino)
{
    if (fs->sc && ino <= fs->sc->max_ino)
        sc_drop_among(fs, fs->sc->node[ino % SC_CLASSES], ino, false, true);
}

/* Every directory's entry: what a mkdir or rmdir of ours changes (a
 * parent's times and link count; the directory made or removed). Names
 * that are not directories stay: a directory made holds none, and one
 * removed held none. */
static void sc_drop_dirs(struct ae_fs *fs)
{
    if (fs->sc)
        sc_drop_among(fs, fs->sc->dirs, 0, true, false);
}

/* The set path's entry lives in: its first way. */
static struct sc_entry *sc_set(struct ae_fs *fs, const char *path, size_t len, bool nofollow,
                               uint32_t *set)
{
    uint32_t h = 2166136261u ^ (nofollow ? 0x9e3779b9u : 0);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)path[i]) * 16777619u;
    *set = (h ^ (h >> 16)) % SC_SETS;
    return &fs->sc->e[*set * SC_WAYS];
}

static struct sc_entry *sc_find(struct ae_fs *fs, const char *path, size_t len, bool nofollow)
{
    uint32_t set;
    struct sc_entry *e = sc_set(fs, path, len, nofollow, &set);
    for (unsigned i = 0; i < SC_WAYS; i++)
        if (e[i].gen == fs->sc->gen && e[i].len == len && e[i].nofollow == nofollow &&
            !memcmp(e[i].path, path, len))
            return &e[i];
    return NULL;
}

static bool sc_usable(struct ae_fs *fs, uint64_t dir, const char *path, size_t *len)
{
    *len = strlen(path);
    return fs->ctl && fs->priv && dir == 0 && *len < SC_PATH;
}

static bool sc_lookup(struct ae_fs *fs, uint64_t dir, const char *path, bool nofollow,
                      struct ae_fs_stat *st)
{
    size_t len;
    if (!fs->sc || !sc_usable(fs, dir, path, &len) || fs->ctl->changes != fs->seen ||
        fs->clone_gen != ae_clone_generation())
        return false;
    struct sc_entry *e = sc_find(fs, path, len, nofollow);
    if (!e)
        return false;
    if (st)
        *st = e->st;
    return true;
}

/* Keeps what a request of ours just said about path, if nothing else
 * changed meanwhile and nothing else can change it but us and the admin
 * (the session's own tree: dev 0, no volumes). The table is made by the
 * first stat worth keeping (make): a program that never stats pays
 * nothing for it; after that, opens keep what they learn too. */
static void sc_insert(struct ae_fs *fs, uint64_t dir, const char *path, bool nofollow,
                      const struct ae_fs_stat *st, bool make)
{
    size_t len;
    if (!fs->fresh || st->dev != 0 || !sc_usable(fs, dir, path, &len))
        return;
    if (!fs->sc) {
        if (!make || !(fs->sc = calloc(1, sizeof *fs->sc)))
            return;
        fs->sc->gen = 1;
    }
    struct sc_entry *e = sc_find(fs, path, len, nofollow);
    if (!e) {
        uint32_t set;
        e = sc_set(fs, path, len, nofollow, &set);
        unsigned way = 0;
        while (way < SC_WAYS && e[way].gen == fs->sc->gen)
            way++;                               /* a free way first */
        if (way == SC_WAYS)
            way = fs->sc->next[set]++ % SC_WAYS;
        e += way;
    }
    unsigned i = (unsigned)(e - fs->sc->e);
    uint64_t bit = 1ull << (i % 64);
    fs->sc->node[e->st.ino % SC_CLASSES][i / 64] &= ~bit;    /* what the slot held */
    fs->sc->dirs[i / 64] &= ~bit;
    e->gen = fs->sc->gen;
    e->len = (uint8_t)len;
    e->nofollow = nofollow;
    memcpy(e->path, path, len);
    e->st = *st;
    if (st->ino > fs->sc->max_ino)
        fs->sc->max_ino = st->ino;
    fs->sc->node[st->ino % SC_CLASSES][i / 64] |= bit;
    if (st->type == FS_TYPE_DIR)
        fs->sc->dirs[i / 64] |= bit;
}

/* Queues an operation for the next request; false if the queue is full.
 * One place stays free for the read-ahead's position (ra_drop). */
static void show_queue(struct ae_fs *fs);

static bool defer(struct ae_fs *fs, uint64_t op, uint64_t a, uint64_t b, uint64_t c,
                  bool last_place)
{
    if (fs->ndefer >= FS_SHCTL_OPS_MAX - (last_place ? 0 : 1))
        return false;
    fs->defer[fs->ndefer][0] = op;
    fs->defer[fs->ndefer][1] = a;
    fs->defer[fs->ndefer][2] = b;
    fs->defer[fs->ndefer][3] = c;
    fs->ndefer++;
    show_queue(fs);                       /* in the block at once: a fork may run it (below) */
    return true;
}

/* ---- write-behind's bookkeeping; connection lock held ------------------ */

/* Queued operations whose bytes are staged in the buffer (a write's data,
 * an unlink's or a create's path): fs->nbehind counts them. */
static bool staged_op(uint64_t op)
{
    return op == FS_DEFER_WRITE || op == FS_DEFER_UNLINK || op == FS_DEFER_CREATE;
}

/* Keeps err for the next call on handle (the first error it got wins). */
static void keep_err(struct ae_fs *fs, uint64_t handle, int err)
{
    for (uint32_t i = 0; i < fs->nerr; i++)
        if (fs->err[i].handle == handle)
            return;
    if (fs->nerr < AE_FS_ERRS_MAX) {
        fs->err[fs->nerr].handle = handle;
        fs->err[fs->nerr].err = err;
        fs->nerr++;
    }
}

static int take_err(struct ae_fs *fs, uint64_t handle)
{
    for (uint32_t i = 0; i < fs->nerr; i++)
        if (fs->err[i].handle == handle) {
            int e = fs->err[i].err;
            fs->err[i] = fs->err[--fs->nerr];
            return e;
        }
    return 0;
}

static bool behind_on(const struct ae_fs *fs, uint64_t handle)
{
    for (uint32_t i = 0; i < fs->ndefer; i++)
        if (fs->defer[i][0] == FS_DEFER_WRITE && fs->defer[i][1] == handle)
            return true;
    return false;
}

/* What a queued operation that ran got: a write that did not write all
 * its bytes, or an unlink that failed, leaves its error for later. */
static void settle(struct ae_fs *fs, const uint64_t *op, int64_t res)
{
    uint64_t at = FS_DEFER_OFF(op[1]), len = FS_DEFER_LEN(op[1]);
    if (op[0] == FS_DEFER_UNLINK && res >= 0 && fs->pf && fs->buf && at <= fs->buf_bytes &&
        len <= fs->buf_bytes - at)
        pf_remove(fs->pf, (const char *)fs->buf + at, len);   /* its path, still staged: gone */
    if (op[0] == FS_DEFER_WRITE && res != (int64_t)FS_DEFER_LEN(op[3]))
        keep_err(fs, op[1], res < 0 ? (int)res : AE_ENOSPC);
    else if (op[0] == FS_DEFER_UNLINK && res < 0 && !fs->unlink_err)
        fs->unlink_err = (int)res;
    else if (op[0] == FS_DEFER_UNLINK && res == FS_TYPE_SYMLINK) {
        fs->link_gone = true;             /* other spellings of its name may be kept */
        pf_forget(fs->pf);                /* (queue_unlink forgot them already) */
    }
    else if (op[0] == FS_DEFER_CREATE && res < 0) {
        keep_err(fs, op[2], (int)res);    /* the next call on its handle tells it */
        sc_clear(fs);                     /* the stat its open kept names no file (attack11) */
    }
}

/* Drops the queued writes and unlinks (they can no longer be sent),
 * leaving err for each written handle. */
static void unshow(struct ae_fs *fs);

static void drop_behind(struct ae_fs *fs, int err)
{
    unshow(fs);                           /* the block's copy would no longer match */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < fs->ndefer; i++) {
        uint64_t *op = fs->defer[i];
        if (staged_op(op[0])) {
            settle(fs, op, err);
            continue;
        }
        if (kept != i)
            memcpy(fs->defer[kept], op, sizeof fs->defer[0]);
        kept++;
    }
    fs->ndefer = kept;
    fs->nbehind = 0;
    fs->staged = 0;
    fs->reserved = 0;
}

/* The batch our last request carried, after the service died with it
 * (AE_EIO): res[] tells which ran. The first not marked may have run in
 * part; it is sent again only if doing it twice is harmless (a write at
 * an offset, a close, a seek, an unlink whose second try finds nothing);
 * a write at the handle's position is dropped with AE_EIO for its handle.
 * Those that did not run are kept, and go with the next request. */
static void after_eio(struct ae_fs *fs, struct fs_shctl *c)
{
    uint32_t kept = 0, n = fs->ndefer;
    bool first = true;
    fs->nbehind = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t *op = fs->defer[i];
        int64_t res = c->res[i];
        if (res != FS_DEFER_NOT_RUN) {
            settle(fs, op, res);
            continue;
        }
        if (first && op[0] == FS_DEFER_WRITE && op[2] == FS_OFF_CURRENT) {
            keep_err(fs, op[1], AE_EIO);
            first = false;
            continue;
        }
        if (first && op[0] == FS_DEFER_UNLINK)
            op[3] = 1;                        /* a retry: ENOENT means the first try did it */
        first = false;
        if (kept != i)
            memcpy(fs->defer[kept], op, sizeof fs->defer[0]);
        if (staged_op(op[0]))
            fs->nbehind++;
        kept++;
    }
    fs->ndefer = kept;
    if (!fs->nbehind)
        fs->staged = 0;
    fs->room = 0;                         /* look again before queueing more */
}

/* ---- the queue in the control block; connection lock held ------------ */

/* The block shows defer[0..shown): nops == shown. Besides us only the
 * service writes nops, and only to 0, once it ran what nops counted —
 * before a request of ours, or at the admin's FS_ADMIN_RUN_QUEUED while
 * the program was stopped for a fork (docs/FORK.md), between any two of
 * our instructions. So every store of ours to nops is a compare-and-swap
 * from shown: one that fails, or nops 0 where we showed some, means the
 * first `shown` ran, with their results in res[]. */

/* The first n queued operations ran: settled from res[] and dropped. */
static void took(struct ae_fs *fs, uint32_t n)
{
    struct fs_shctl *c = fs->ctl;
    for (uint32_t i = 0; i < n; i++) {
        int64_t res = c->res[i];
        if (fs->defer[i][0] == FS_DEFER_UNLINK && fs->defer[i][3] && res == AE_ENOENT)
            res = 0;                      /* a retry after AE_EIO: the first try did it */
        settle(fs, fs->defer[i], res);
        if (fs->defer[i][0] == FS_DEFER_CLOSE)
            (void)take_err(fs, fs->defer[i][1]);   /* closed: no call can ask for it */
    }
    if (n >= fs->ndefer) {
        fs->room = fs->room > fs->reserved ? fs->room - fs->reserved : 0;
        fs->reserved = 0;
    } else {
        fs->room = 0;                     /* look again before queueing more */
    }
    memmove(fs->defer, fs->defer + n, (fs->ndefer - n) * sizeof fs->defer[0]);
    fs->ndefer -= n;
    fs->nbehind = 0;
    for (uint32_t i = 0; i < fs->ndefer; i++)
        if (staged_op(fs->defer[i][0]))
            fs->nbehind++;
    if (!fs->nbehind)
        fs->staged = 0;
    fs->shown = 0;
}

/* Makes the block show every queued operation (after settling what the
 * service ran meanwhile). Each is written before nops counts it. */
static void show_queue(struct ae_fs *fs)
{
    struct fs_shctl *c = fs->ctl;
    while (c) {
        uint64_t expect = fs->shown;
        if (expect && __atomic_load_n(&c->nops, __ATOMIC_ACQUIRE) != expect) {
            took(fs, fs->shown);          /* run unasked */
            continue;
        }
        if (fs->shown == fs->ndefer)
            return;
        for (uint32_t i = fs->shown; i < fs->ndefer; i++) {
            for (unsigned j = 0; j < 4; j++)
                c->ops[i][j] = fs->defer[i][j];
            if (fs->defer[i][0] == FS_DEFER_UNLINK)
                c->ops[i][3] = 0;         /* our retry mark is not the service's */
            c->res[i] = FS_DEFER_NOT_RUN;
        }
        if (__atomic_compare_exchange_n(&c->nops, &expect, fs->ndefer, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            fs->shown = fs->ndefer;
            return;
        }
        if (fs->shown)
            took(fs, fs->shown);          /* they ran between our look and our swap */
        else
            __atomic_store_n(&c->nops, 0, __ATOMIC_RELEASE);   /* not ours: nothing was shown */
    }
}

/* Takes the queue back from the block (nops 0), settling first what the
 * service ran: before the queue changes other than at its end. */
static void unshow(struct ae_fs *fs)
{
    if (fs->ctl && fs->shown &&
        __atomic_exchange_n(&fs->ctl->nops, 0, __ATOMIC_ACQ_REL) != fs->shown)
        took(fs, fs->shown);
    fs->shown = 0;
}

/* Forgets the read-ahead. The service moved the handle's position past
 * all of it; if we gave out less, the next request first sets it back to
 * where our reader is. */
static void ra_drop(struct ae_fs *fs)
{
    if (fs->ra_len && fs->ra_cur && fs->ra_pos != fs->ra_at + fs->ra_len)
        (void)defer(fs, FS_DEFER_SEEK, fs->ra_handle, fs->ra_pos, 0, true);
    fs->ra_len = 0;
}

/* Called before using a cache: drops them all if anything changed. */
static void caches_check(struct ae_fs *fs)
{
    if (fs->ctl && fs->ctl->changes != fs->seen) {
        ra_drop(fs);
        sc_clear(fs);
        pf_forget(fs->pf);                /* a change we did not make: names we cannot know */
        fs->seen = fs->ctl->changes;
    }
}

/* What our request did to the names we know (fs_proof.c), once it
 * returned: own, it may have changed something; fs->fresh, nothing else
 * did; rep, its reply words. A MKDIR's reply says which directory it made
 * and in which (a plain path from the root starts a kept one); an unlink
 * that worked takes its name away; an OPEN's says in which directory it
 * made a file (0: none). What may make names otherwise (rename, link,
 * symlink, rmdir, a request we cannot read) forgets them all. */
static void pf_after(struct ae_fs *fs, uint64_t label, const uint64_t *w, unsigned n,
                     int status, bool own, const uint64_t *rep, unsigned nrep)
{
    if (!own)
        return;
    if (!status && ((label == FS_OP_MKDIR && nrep <= FS_R_MKDIR_PARENT) ||
                    (label == FS_OP_OPEN && nrep <= FS_R_OPEN_MADE_IN))) {
        pf_forget(fs->pf);                /* a reply without the words we need */
        return;
    }
    if (!fs->fresh) {
        pf_forget(fs->pf);
        return;
    }
    bool based = n > FS_W_BASE && w[FS_W_BASE];
    const char *path = NULL;
    size_t len = 0;
    if (n >= 2 && w[0] <= fs->buf_bytes && w[1] <= fs->buf_bytes - w[0]) {
        path = (const char *)fs->buf + w[0];      /* (MKDIR and UNLINK do not write the buffer) */
        len = (size_t)w[1];
    }
    switch (label) {
    case FS_OP_MKDIR:
        if (status)
            return;                       /* nothing changed */
        if (!path)
            pf_forget(fs->pf);
        else if (fs->priv)
            pf_made_dir(&fs->pf, path, len, !based, rep[FS_R_MKDIR_INO], rep[FS_R_MKDIR_PARENT]);
        return;
    case FS_OP_UNLINK:
        if (!status && (nrep <= FS_R_UNLINK_TYPE || rep[FS_R_UNLINK_TYPE] == FS_TYPE_SYMLINK))
            pf_forget(fs->pf);            /* a link: a kept directory's spelling may pass it */
        else if (!status && path && !based)
            pf_remove(fs->pf, path, len); /* spelt otherwise: its count stays, which is safe */
        return;
    case FS_OP_OPEN:
        /* A file made is empty: the read that may ride with the open read
         * nothing over the path. */
        if (!status && rep[FS_R_OPEN_MADE_IN])
            pf_made_file(fs->pf, path, path ? len : 0, !based, rep[FS_R_OPEN_MADE_IN]);
        return;
    case FS_OP_WRITE: case FS_OP_TRUNCATE: case FS_OP_FTRUNCATE: case FS_OP_CHMOD:
    case FS_OP_CHOWN: case FS_OP_UTIMENS: case FS_OP_FCHMOD: case FS_OP_FCHOWN:
    case FS_OP_FUTIMENS:
        return;                           /* no name comes or goes (OPEN: above) */
    default:
        pf_forget(fs->pf);
        return;
    }
}

/* One call with words w[0..n) and ncaps capabilities already in the UTCB;
 * reply words into out[0..nout). IPC errors on the session capability
 * mean the session is gone (AE_EDEAD), or that the service died while it
 * had the request (the kernel says EDEAD or ECANCELED to a caller whose
 * server thread died): that is AE_EIO — the operation may or may not have happened, and
 * the restarted service answers the next one (docs/RESTART.md).
 *
 * Around it the caches: the read-ahead ends (the buffer is about to be
 * used), queued operations go into the control block, and the count of
 * changes before and after says whether the stats kept still hold
 * (fs->fresh: nothing but this request changed anything). */
static int64_t call(struct ae_fs *fs, uint64_t label, const uint64_t *w, unsigned n,
                    unsigned ncaps, uint64_t *out, unsigned nout)
{
    struct aerie_utcb *u = ae_utcb();
    struct fs_shctl *c = fs->ctl;
    uint64_t before = 0;
    bool batch = false;                   /* writes or unlinks go with it: one change more */
    if (c) {
        caches_check(fs);
        ra_drop(fs);
        show_queue(fs);                   /* (each was shown as it was queued) */
        batch = fs->nbehind != 0;
        before = fs->seen;
    }
    for (unsigned i = 0; i < n; i++)
        u->mr[i] = w[i];
    int64_t r = ae_call(fs->cap, AERIE_INFO(label, n, ncaps), AERIE_TIMEOUT_FOREVER);
    int status = r < 0 ? (r == AE_EDEAD || r == AE_ECANCELED ? AE_EIO : r == AE_ECAP ? AE_EDEAD : (int)r)
                       : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
    /* We are a clone, and the request was the original's, in the fs
     * service's hands when cm forked the container (ECANCELED in a new
     * generation: docs/FORK.md, "A fork during a call"). It went to the
     * original's session. One that changes nothing is asked again of our
     * own session (AE_ENOTCONN: end() has the caller make it again, after
     * begin() attached a new buffer); one that changes something may or
     * may not be in the copy of the files we got: AE_EIO. A CLOSE is
     * done: the handle was the original session's and names nothing in
     * ours (docs/FORK.md, "Files"). */
    if (r == AE_ECANCELED && fs->clone_gen != ae_clone_generation() && label != FS_OP_ATTACH &&
        !fs_op_changes_things(label, w, n))
        status = label == FS_OP_CLOSE ? 0 : AE_ENOTCONN;
    if (c) {
        /* Taken back whole: nothing can run them behind us now. */
        if (__atomic_exchange_n(&c->nops, 0, __ATOMIC_ACQ_REL) == 0)
            took(fs, fs->shown);          /* the service ran them */
        else if (status == AE_EIO)
            after_eio(fs, c);             /* some may have run */
        fs->shown = 0;
        uint64_t after = c->changes;
        bool own = label != FS_OP_ATTACH && fs_op_changes_things(label, w, n);
        fs->fresh = r >= 0 && before != FS_SHCTL_DETACHED &&
                    after == before + (own ? 1 : 0) + (batch && !fs->ndefer ? 1 : 0);
        bool unlinked = label == FS_OP_UNLINK && r >= 0 && !status &&
                        AERIE_INFO_NWORDS((uint64_t)r) > FS_R_UNLINK_TYPE && n <= FS_W_BASE;
        bool dirs_only = (label == FS_OP_MKDIR || label == FS_OP_RMDIR) && n <= FS_W_BASE;
        if (!fs->fresh || fs->link_gone ||
            (own && ((label != FS_OP_OPEN && !unlinked && !dirs_only) || status)))
            sc_clear(fs);                 /* an OPEN that worked: its caller drops what it touched */
        else if (own && dirs_only)
            sc_drop_dirs(fs);
        else if (unlinked && u->mr[FS_R_UNLINK_TYPE] == FS_TYPE_SYMLINK)
            sc_clear(fs);                 /* a link: names of it spelt otherwise may be kept */
        else if (unlinked)
            sc_drop_touched(fs, u->mr[FS_R_UNLINK_INO]);   /* every name of the node, every directory */
        fs->link_gone = false;
        fs->seen = after;
        pf_after(fs, label, w, n, status, own || label == FS_OP_ATTACH, u->mr,
                 r >= 0 ? (unsigned)AERIE_INFO_NWORDS((uint64_t)r) : 0);
    }
    if (status)
        return status;
    unsigned got = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
    for (unsigned i = 0; i < nout; i++)
        out[i] = i < got ? u->mr[i] : 0;
    return 0;
}

/* Makes and attaches the buffer, with a control block when it has room
 * for one; lock held. */
static int attach(struct ae_fs *fs)
{
    uint64_t slot, used[2];
    uint8_t *p = ae_mem_map_new(fs->want, &slot);
    if (!p)
        return AE_ENOMEM;
    uint64_t flags = fs->want >= FS_SHBUF_MIN + FS_SHCTL_BYTES ? FS_ATTACH_F_CTL : 0;
    ae_utcb()->caps[0] = (uint32_t)slot;
    int64_t r = call(fs, FS_OP_ATTACH, &flags, 1, 1, used, 2);
    if (r) {
        ae_mem_unmap_delete(p, fs->want, slot);
        return (int)r;
    }
    fs->buf = p;
    fs->clone_gen = ae_clone_generation();
    fs->buf_bytes = used[0] < fs->want ? used[0] : fs->want;
    fs->buf_mem = slot;
    fs->shown = 0;                        /* the old block's count is no longer ours */
    if ((used[1] & FS_ATTACH_R_CTL) && fs->buf_bytes + FS_SHCTL_BYTES <= fs->want) {
        fs->ctl = (struct fs_shctl *)(p + fs->buf_bytes);
        fs->priv = used[1] & FS_ATTACH_R_PRIVATE;
        fs->seen = fs->ctl->changes;
        fs->ra_len = 0;
        sc_clear(fs);
    }
    pf_forget(fs->pf);                    /* a new buffer: the names we knew may have moved */
    fs->resv_n = fs->resv_used = 0;       /* the session's next RESERVE gives them back */
    return 0;
}

/* Forgets the buffer and what lived in it; lock held (or no one else
 * uses fs). The queue goes too: a clone's buffer is zeroed and its
 * handles are not its session's. */
static void drop_buffer(struct ae_fs *fs)
{
    if (fs->buf)
        ae_mem_unmap_delete(fs->buf, fs->want, fs->buf_mem);
    fs->buf = NULL;
    fs->ctl = NULL;                   /* the caches lived in it, or depend on it */
    fs->shown = 0;
    fs->stale = false;
    ra_drop(fs);
    free(fs->sc);
    fs->sc = NULL;
    pf_free(fs->pf);
    fs->pf = NULL;
    fs->resv_n = fs->resv_used = 0;       /* a clone's were the original session's */
    drop_behind(fs, AE_EIO);
}

/* Attaches a new buffer in place of one the session no longer has (the
 * service restarted, or another connection attached), moving the queued
 * writes' data and unlinks' paths over: they were not sent, so they are
 * still to do. Lock held. */
static int reattach(struct ae_fs *fs)
{
    unshow(fs);                           /* what ran through the old block is settled */
    uint8_t *old = fs->buf;
    uint64_t old_mem = fs->buf_mem;
    struct fs_shctl *old_ctl = fs->ctl;
    fs->buf = NULL;
    fs->ctl = NULL;
    fs->stale = false;
    ra_drop(fs);
    free(fs->sc);
    fs->sc = NULL;
    int r = attach(fs);
    if (r) {
        /* The service died again meanwhile (AE_EIO), say: keep the old
         * buffer and what it holds, to try again at the next begin. */
        fs->buf = old;
        fs->buf_mem = old_mem;
        fs->ctl = old_ctl;
        fs->stale = true;
        return r;
    }
    if (fs->staged)
        memcpy(fs->buf + AE_FS_STAGE, old + AE_FS_STAGE, fs->staged);
    ae_mem_unmap_delete(old, fs->want, old_mem);
    return 0;
}

/* Takes the connection for one request, attaching first if needed: also
 * when the block says our buffer is no longer the session's (another
 * connection attached one, or the service restarted), since a request
 * would otherwise be read from a buffer that is not ours. */
static int begin(struct ae_fs *fs)
{
    __lock(&fs->lock);
    /* A clone (docs/FORK.md) has zeroed memory where the buffer was and a
     * new session: its block does not say DETACHED, so the generation
     * does. Its caches go with the buffer (review3 F7), and its queue:
     * the original sends its own. */
    int r = 0;
    if (fs->buf && fs->clone_gen != ae_clone_generation()) {
        drop_buffer(fs);
        /* What is left queued (closes, seeks) and the errors kept were
         * about the original session's handles, whose values the new
         * session hands out again: a close would end a handle of ours. */
        fs->ndefer = 0;
        fs->nerr = 0;
        fs->unlink_err = 0;
    }
    else if (fs->buf && (fs->stale || (fs->ctl && fs->ctl->changes == FS_SHCTL_DETACHED)))
        r = reattach(fs);
    if (!r && !fs->buf)
        r = attach(fs);
    if (r)
        __unlock(&fs->lock);
    return r;
}

/* Ends a request. A session without our buffer (the service restarted:
 * it took the session over but not our buffer, or gave a boot service a
 * new session) answers AE_ENOTCONN: the buffer is replaced at the next
 * begin, and true tells the caller to try again — a few times, as the
 * service may restart again meanwhile (docs/RESTART.md). Queued
 * operations wait for the new buffer. */
static bool end(struct ae_fs *fs, int64_t r, int *tries)
{
    bool again = r == AE_ENOTCONN && (*tries)++ < 4;
    if (again)
        fs->stale = true;
    __unlock(&fs->lock);
    return again;
}

/* Sends what is queued (a STATFS carries it; always: also to learn the
 * room left). A batch cut off by the service's death is sent again, the
 * part that did not run; whatever still cannot go is dropped with its
 * error kept. Lock not held. */
static int flush(struct ae_fs *fs, bool always)
{
    int64_t r = 0;
    int tries = 0, eio = 0;
    uint64_t out[FS_R_STATFS_ROOM + 1];
    if (!always && !__atomic_load_n(&fs->nbehind, __ATOMIC_RELAXED))
        return 0;                         /* (exit's call: no buffer made for nothing) */
    for (;;) {
        if ((r = begin(fs))) {
            if (r == AE_EIO && __atomic_load_n(&fs->nbehind, __ATOMIC_RELAXED) &&
                eio++ < EIO_TRIES) {
                (void)ae_sleep_ns(EIO_PAUSE_NS);   /* attaching again met the next death */
                continue;
            }
            return (int)r;
        }
        if (!fs->nbehind && !always) {
            __unlock(&fs->lock);
            return 0;
        }
        r = call(fs, FS_OP_STATFS, NULL, 0, 0, out, FS_R_STATFS_ROOM + 1);
        if (!r)
            fs->room = out[FS_R_STATFS_ROOM];   /* 0 from a service without it: no queueing */
        if (r == AE_EIO && fs->nbehind && eio++ < EIO_TRIES) {
            __unlock(&fs->lock);          /* the service died: the rest goes to the next one, */
            (void)ae_sleep_ns(EIO_PAUSE_NS);   /* once it is back (a restart takes ms) */
            continue;
        }
        if (r && r != AE_ENOTCONN && fs->nbehind)
            drop_behind(fs, (int)r);
        if (end(fs, r, &tries))
            continue;
        return (int)r;
    }
}

int ae_fs_flush(struct ae_fs *fs)
{
    return flush(fs, false);
}

/* begin(), after sending the queue first when the request would see it
 * wrongly: any queued data (clean: the caller fills the buffer past the
 * paths' place), or writes queued to handle h. Then an error a queued
 * write to h got is h's call's answer. Lock held on 0. */
static int begin_for(struct ae_fs *fs, uint64_t h, bool clean)
{
    for (int i = 0;; i++) {
        int r = begin(fs);
        if (r)
            return r;
        if (i < 8 && ((clean && fs->nbehind) || (h && behind_on(fs, h)))) {
            __unlock(&fs->lock);
            (void)ae_fs_flush(fs);        /* its failures are kept as errors of their handles */
            continue;
        }
        if (clean && fs->nbehind)
            drop_behind(fs, AE_EIO);      /* never sent after all those tries */
        int e = h ? take_err(fs, h) : 0;
        if (e) {
            __unlock(&fs->lock);
            return e;
        }
        return 0;
    }
}

/* Copies a NUL-terminated path to buffer offset at; its length into *len. */
static int put_path(struct ae_fs *fs, uint64_t at, const char *path, uint64_t *len)
{
    size_t n = strlen(path);
    if (n > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    memcpy(fs->buf + at, path, n);
    *len = n;
    return 0;
}

void ae_fs_init(struct ae_fs *fs, uint64_t cap, uint64_t buf_bytes)
{
    /* The default: AE_FS_BUF_DEFAULT for requests, a page more for the
     * control block (so a 64 KiB read or write is still one request). */
    *fs = (struct ae_fs){ .cap = cap, .want = buf_bytes ? buf_bytes : AE_FS_BUF_DEFAULT + 4096 };
    if (fs->want < FS_SHBUF_MIN)
        fs->want = FS_SHBUF_MIN;
    fs->want = (fs->want + 4095) & ~4095ull;
}

void ae_fs_fini(struct ae_fs *fs)
{
    if (fs->nbehind && fs->buf && fs->clone_gen == ae_clone_generation())
        (void)ae_fs_flush(fs);            /* what write() said it wrote */
    drop_buffer(fs);
}

/* What exit() reads (ae_fs_default_made) lives in .data, not .bss: .data
 * pages are loaded with the program, while a .bss page is only charged
 * when first touched, and a program that ends because its mem= limit is
 * used up must still be able to end (cli_run_mem_option_limits_it). */
static struct ae_fs default_conn;
static struct ae_fs *default_fs __attribute__((section(".data")));
static volatile uint32_t default_lock __attribute__((section(".data")));
static bool default_done __attribute__((section(".data")));

struct ae_fs *ae_fs_default(void)
{
    __lock(&default_lock);
    if (!default_done) {
        uint64_t cap = ae_capenv_lookup("fs");
        if (cap) {
            ae_fs_init(&default_conn, cap, 0);
            default_fs = &default_conn;
        }
        default_done = true;
    }
    struct ae_fs *fs = default_fs;
    __unlock(&default_lock);
    return fs;
}

struct ae_fs *ae_fs_default_made(void)
{
    __lock(&default_lock);
    struct ae_fs *fs = default_done ? default_fs : NULL;
    __unlock(&default_lock);
    return fs;
}

void ae_fs_set_default(struct ae_fs *fs)
{
    __lock(&default_lock);
    default_fs = fs;
    default_done = true;
    __unlock(&default_lock);
}

uint8_t *ae_fs_buffer(struct ae_fs *fs, uint64_t *bytes)
{
    *bytes = fs->buf_bytes;
    return fs->buf;
}

int64_t ae_fs_request(struct ae_fs *fs, uint64_t label, const uint64_t *w, unsigned n,
                      uint64_t *out, unsigned nout)
{
    int64_t r;
    int tries = 0;
    do {
        if ((r = begin_for(fs, 0, true)))   /* the caller may fill the buffer anywhere */
            return r;
        r = call(fs, label, w, n, 0, out, nout);
    } while (end(fs, r, &tries));
    return r;
}

/* A request on handle h that uses no buffer. A change through h (seek,
 * truncation, ...) waits for the writes queued to h and reports their
 * error instead; a look or an end (fstat, fsync, close: after) carries
 * them and then reports it (the close is done anyway). */
static int64_t handle_request(struct ae_fs *fs, uint64_t h, uint64_t label, const uint64_t *w,
                              unsigned n, uint64_t *out, unsigned nout, bool after)
{
    int64_t r;
    int tries = 0, eio = 0, e = 0;
    for (;;) {
        if ((r = after ? begin(fs) : begin_for(fs, h, false)))
            return r;
        r = call(fs, label, w, n, 0, out, nout);
        /* A close the service died with may or may not have happened,
         * and writes queued to the handle went with it: it is made again
         * (the writes that did not run go first; a handle value is never
         * reused, so AE_EBADF then means the first try closed it). A
         * program that ignores close's answer keeps its data. */
        bool again = label == FS_OP_CLOSE && r == AE_EIO && eio < EIO_TRIES;
        if (label == FS_OP_CLOSE && eio && r == AE_EBADF)
            r = 0;
        if (after && r != AE_ENOTCONN && !e)
            e = take_err(fs, h);
        if (end(fs, r, &tries))
            continue;
        if (again) {
            eio++;
            (void)ae_sleep_ns(EIO_PAUSE_NS);
            continue;
        }
        break;
    }
    /* A queued create that failed left its handle unopened: the service's
     * AE_EBADF is that failure, which the kept error tells (attack11). */
    if (e && (r == 0 || r == AE_EBADF || label == FS_OP_CLOSE))
        r = e;
    return r;
}

/* Gives back the reservations we hold unused (RESERVE 0): a request met
 * AE_ENOSPC or AE_EMFILE, which it would not have met without them, and
 * is made once more. True if there were some. Lock held. */
static bool give_back(struct ae_fs *fs)
{
    if (fs->resv_used >= fs->resv_n)
        return false;
    uint64_t zero = 0, out[FS_R_RESERVE_H];
    fs->resv_n = fs->resv_used = 0;
    return call(fs, FS_OP_RESERVE, &zero, 1, 0, out, FS_R_RESERVE_H) == 0;
}

/* A request whose words 0,1 are a path — resolved from directory handle
 * dir unless absolute — and maybe 2,3 a second one at FS_PATH_MAX in the
 * buffer (a path from dir2, or SYMLINK's target); the other words from w. */
struct paths {
    const char *path, *path2;
    uint64_t dir, dir2;
};

static int path_request(struct ae_fs *fs, uint64_t label, const struct paths *pp, uint64_t *w,
                        unsigned n, uint64_t *out, unsigned nout)
{
    int64_t r;
    int tries = 0;
    if (pp->dir || pp->dir2) {                   /* the directory handles ride at the end */
        for (unsigned i = n; i < FS_W_BASE; i++)
            w[i] = 0;
        w[FS_W_BASE] = pp->dir;
        w[FS_W_BASE2] = pp->dir2;
        n = FS_REQ_WORDS_MAX;
    }
    bool again, gave = false;
    do {
        again = false;
        if ((r = begin(fs)))
            return (int)r;
        w[0] = 0;
        r = put_path(fs, 0, pp->path, &w[1]);
        if (!r && pp->path2) {
            w[2] = FS_PATH_MAX;
            r = put_path(fs, FS_PATH_MAX, pp->path2, &w[3]);
        }
        if (!r)
            r = call(fs, label, w, n, 0, out, nout);
        if ((r == AE_ENOSPC || r == AE_EMFILE) && !gave)
            again = gave = give_back(fs);  /* met at the count it would be met without them */
    } while (end(fs, r, &tries) || again);
    return (int)r;
}

static void stat_from(const uint64_t *w, struct ae_fs_stat *st)
{
    if (!st)
        return;
    *st = (struct ae_fs_stat){
        .ino = w[FS_R_STAT_INO], .type = (uint32_t)w[FS_R_STAT_TYPE],
        .mode = (uint32_t)w[FS_R_STAT_MODE], .size = w[FS_R_STAT_SIZE],
        .blocks = w[FS_R_STAT_BLOCKS], .nlink = (uint32_t)w[FS_R_STAT_NLINK],
        .dev = (uint32_t)w[FS_R_STAT_DEV], .uid = (uint32_t)w[FS_R_STAT_UID],
        .gid = (uint32_t)w[FS_R_STAT_GID], .atime = w[FS_R_STAT_ATIME],
        .mtime = w[FS_R_STAT_MTIME], .ctime = w[FS_R_STAT_CTIME],
    };
}


/* Up to FS_RESERVE_MAX more reserved handles (RESERVE, carrying the
 * queue, which uses every one we hold: the service gives back none of
 * ours in use). False if none came. Lock held. */
static bool get_reservations(struct ae_fs *fs)
{
    uint64_t n = FS_RESERVE_MAX, out[FS_REPLY_WORDS_MAX];
    fs->resv_n = fs->resv_used = 0;
    if (call(fs, FS_OP_RESERVE, &n, 1, 0, out, FS_REPLY_WORDS_MAX) ||
        out[FS_R_RESERVE_COUNT] > FS_RESERVE_MAX)
        return false;
    fs->resv_n = (uint32_t)out[FS_R_RESERVE_COUNT];
    fs->resv_ino = out[FS_R_RESERVE_INO];
    for (uint32_t i = 0; i < fs->resv_n; i++)
        fs->resv_h[i] = out[FS_R_RESERVE_H + i];
    return fs->resv_n != 0;
}

/* Queues a create of path (FS_DEFER_CREATE) when it is proven to work:
 * a session only we and the admin change, a plain path from the root
 * whose directory we made and whose name we know is absent there, a
 * reserved handle (fetched here, with the queue, when none is left).
 * Then *handle and *st are what the service will make. Lock held.
 * 1: queued; 0: not provable (the caller makes the round trip); -1: the
 * queue is full (send it, then ask again). */
static int queue_create(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
                        uint64_t *handle, struct ae_fs_stat *st)
{
    if (!fs->ctl || !fs->priv || fs->clone_gen != ae_clone_generation() || !fs->pf)
        return 0;
    caches_check(fs);                     /* a change not ours forgets the proofs */
    size_t len = strlen(path);
    if (len > FS_PATH_MAX || !pf_plain(path, len) || !pf_absent(fs->pf, path, len))
        return 0;
    if (fs->staged + len > fs->buf_bytes - AE_FS_STAGE || fs->ndefer + 2 > FS_SHCTL_OPS_MAX)
        return -1;
    if (fs->resv_used >= fs->resv_n &&
        (!get_reservations(fs) || !fs->fresh || !pf_absent(fs->pf, path, len)))
        return 0;                         /* (the RESERVE's reply showed a change not ours) */
    if (fs->staged + len > fs->buf_bytes - AE_FS_STAGE || fs->ndefer + 2 > FS_SHCTL_OPS_MAX)
        return -1;
    uint64_t h = fs->resv_h[fs->resv_used], ino = fs->resv_ino + fs->resv_used;
    uint64_t now = __sys_clock_realtime_ns();    /* the service stamps the file with it */
    fs->resv_used++;
    uint64_t at = AE_FS_STAGE + fs->staged;
    memcpy(fs->buf + at, path, len);
    fs->staged += (len + 7) & ~7ull;      /* before defer(), as in queue_write */
    fs->nbehind++;
    (void)defer(fs, FS_DEFER_CREATE, FS_DEFER_C_A(at, len, flags, mode), h, now, false);
    pf_add(fs->pf, path, len);
    sc_drop_touched(fs, ino);             /* its directory's times and size change */
    /* What STAT will say of it once the queue ran (which any request
     * that could see it makes first): kept, as a round trip's open is. */
    struct ae_fs_stat got = { .ino = ino, .type = FS_TYPE_FILE, .mode = mode, .nlink = 1,
                              .atime = now, .mtime = now, .ctime = now };
    sc_insert(fs, 0, path, false, &got, false);
    *handle = h;
    if (st)
        *st = got;
    return 1;
}

/* The queued create when it can be (queue_create); AE_EAGAIN: not. */
static int open_queued(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
                       uint64_t *handle, struct ae_fs_stat *st)
{
    for (int i = 0; i < 2; i++) {
        if (begin(fs))
            return AE_EAGAIN;             /* the round trip tells the error */
        int q = queue_create(fs, path, flags, mode, handle, st);
        __unlock(&fs->lock);
        if (q > 0)
            return 0;
        if (q == 0)
            break;
        (void)ae_fs_flush(fs);            /* the queue is full: send it, then queue */
    }
    return AE_EAGAIN;
}

/* OPEN, keeping the opened node's stat as path's (an open follows a final
 * link as stat does, and O_NOFOLLOW opens only what lstat would show).
 * ra: a reader's open, whose first read-ahead (from offset 0) the service
 * makes with it when it opens a file for reading. A create whose success
 * is proven is queued instead (docs/FS.md, "Creates that do not wait");
 * any other is made now, so its error is the open's. */
static int open_keeping(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t flags,
                        uint32_t mode, uint64_t *handle, struct ae_fs_stat *st, bool ra)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, flags, mode }, out[FS_REPLY_WORDS_MAX];
    struct paths pp = { path, NULL, dir, 0 };
    struct ae_fs_stat got;
    int64_t r;
    int tries = 0;
    bool again, gave = false;
    if (!dir && (flags & FS_O_CREAT) && !(flags & ~FS_RESERVED_O_ALL) &&
        (flags & FS_O_ACCMODE) != FS_O_ACCMODE && !(mode & ~FS_MODE_MASK) &&
        open_queued(fs, path, flags, mode, handle, st) == 0)
        return 0;
    if (dir) {
        for (unsigned i = 4; i < FS_W_BASE; i++)
            w[i] = 0;
        w[FS_W_BASE] = dir;
        w[FS_W_BASE2] = 0;
    }
    ra = ra && (flags & FS_O_ACCMODE) != FS_O_WRONLY && !(flags & FS_O_DIRECTORY);
    do {
        again = false;
        if ((r = begin(fs)))
            return (int)r;
        w[0] = 0;
        bool ra_now = ra && fs->ctl && fs->priv;  /* as read_ahead: only where data stays */
        w[FS_W_OPEN_READ] = ra_now ? (RA_FIRST < fs->buf_bytes ? RA_FIRST : fs->buf_bytes) : 0;
        r = put_path(fs, 0, pp.path, &w[1]);
        if (!r)
            r = call(fs, FS_OP_OPEN, w, dir ? FS_REQ_WORDS_MAX : ra_now ? 5 : 4, 0, out,
                     FS_REPLY_WORDS_MAX);
        if ((r == AE_EMFILE || r == AE_ENOSPC) && !gave)
            again = gave = give_back(fs);  /* met at the count it would be met without them */
        if (!r && ra_now && fs->fresh && out[FS_R_OPEN_READ]) {
            uint64_t got_bytes = out[FS_R_OPEN_READ] < w[FS_W_OPEN_READ] ? out[FS_R_OPEN_READ]
                                                                         : w[FS_W_OPEN_READ];
            fs->ra_handle = out[FS_R_OPEN_HANDLE];
            fs->ra_at = 0;
            fs->ra_len = got_bytes;
            fs->ra_end = got_bytes;
            fs->ra_pos = 0;
            fs->ra_cur = false;                   /* the handle's position did not move */
            fs->ra_eof = got_bytes < w[FS_W_OPEN_READ];
            fs->ra_next = w[FS_W_OPEN_READ] * 2 > fs->buf_bytes ? fs->buf_bytes : w[FS_W_OPEN_READ] * 2;
        }
        if (!r) {
            stat_from(out + FS_R_OPEN_STAT, &got);
            if (fs_op_changes_things(FS_OP_OPEN, w, 4))
                sc_drop_touched(fs, got.ino);    /* the rest stays: only we changed anything */
            sc_insert(fs, dir, path, false, &got, false);
        }
    } while (end(fs, r, &tries) || again);
    if (r)
        return (int)r;
    *handle = out[FS_R_OPEN_HANDLE];
    if (st)
        *st = got;
    return 0;
}

int ae_fs_openat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t flags, uint32_t mode,
                 uint64_t *handle, struct ae_fs_stat *st)
{
    return open_keeping(fs, dir, path, flags, mode, handle, st, false);
}

int ae_fs_open_reading(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
                       uint64_t *handle, struct ae_fs_stat *st)
{
    return open_keeping(fs, 0, path, flags, mode, handle, st, true);
}

int ae_fs_open(struct ae_fs *fs, const char *path, uint32_t flags, uint32_t mode,
               uint64_t *handle, struct ae_fs_stat *st)
{
    return ae_fs_openat(fs, 0, path, flags, mode, handle, st);
}

int ae_fs_close(struct ae_fs *fs, uint64_t handle)
{
    return (int)handle_request(fs, handle, FS_OP_CLOSE, &handle, 1, NULL, 0, true);
}

int ae_fs_close_deferred(struct ae_fs *fs, uint64_t handle)
{
    __lock(&fs->lock);
    if (fs->ra_len && fs->ra_handle == handle)
        fs->ra_len = 0;                   /* its position no longer matters */
    bool mine = behind_on(fs, handle);    /* its writes' errors are the close's to tell */
    for (uint32_t i = 0; i < fs->nerr && !mine; i++)
        mine = fs->err[i].handle == handle;
    bool queued = !mine && fs->ctl && fs->clone_gen == ae_clone_generation() &&
                  defer(fs, FS_DEFER_CLOSE, handle, 0, 0, false);   /* a clone's block is not its session's */
    __unlock(&fs->lock);
    return queued ? 0 : ae_fs_close(fs, handle);
}

int ae_fs_close_behind(struct ae_fs *fs, uint64_t handle)
{
    __lock(&fs->lock);
    if (fs->ra_len && fs->ra_handle == handle)
        fs->ra_len = 0;
    (void)take_err(fs, handle);           /* the caller does not ask */
    bool queued = fs->ctl && fs->clone_gen == ae_clone_generation() &&
                  defer(fs, FS_DEFER_CLOSE, handle, 0, 0, false);   /* a clone's block is not its session's */
    __unlock(&fs->lock);
    return queued ? 0 : ae_fs_close(fs, handle);
}

/* READ or WRITE of len bytes in buffer-sized pieces. */
static int64_t transfer(struct ae_fs *fs, uint64_t op, uint64_t handle, uint64_t off,
                        uint8_t *rd, const uint8_t *wr, uint64_t len)
{
    uint64_t done = 0;
    int tries = 0;
    do {
        int64_t r = begin_for(fs, handle, wr != NULL);   /* a write fills the buffer */
        if (r)
            return done ? (int64_t)done : r;
        uint64_t n = len - done < fs->buf_bytes ? len - done : fs->buf_bytes, got = 0;
        uint64_t w[4] = { handle, off == FS_OFF_CURRENT ? off : off + done, 0, n };
        if (wr)
            memcpy(fs->buf, wr + done, n);
        r = call(fs, op, w, 4, 0, &got, 1);
        if (!r && rd)
            memcpy(rd + done, fs->buf, got < n ? got : n);
        if (end(fs, r, &tries))
            continue;
        if (r)
            return done ? (int64_t)done : r;
        done += got;
        if (got < n)
            break;
    } while (done < len);
    return (int64_t)done;
}

/* Serves what it can of a read from the read-ahead; lock held. The
 * position a read at FS_OFF_CURRENT starts from is ours only if the
 * read-ahead was filled at the handle's position. */
static uint64_t ra_copy(struct ae_fs *fs, uint64_t handle, uint64_t off, uint8_t *buf,
                        uint64_t len)
{
    if (!fs->ra_len || fs->ra_handle != handle || (off == FS_OFF_CURRENT && !fs->ra_cur))
        return 0;
    uint64_t at = off == FS_OFF_CURRENT ? fs->ra_pos : off;
    if (at < fs->ra_at || at - fs->ra_at >= fs->ra_len)
        return 0;
    uint64_t n = fs->ra_len - (at - fs->ra_at);
    if (n > len)
        n = len;
    memcpy(buf, fs->buf + (at - fs->ra_at), n);
    if (off == FS_OFF_CURRENT)
        fs->ra_pos = at + n;
    return n;
}

static uint64_t ra_serve(struct ae_fs *fs, uint64_t handle, uint64_t off, uint8_t *buf,
                         uint64_t len)
{
    caches_check(fs);
    return ra_copy(fs, handle, off, buf, len);
}

/* A read at off finds the end of the file, as the read-ahead (still
 * valid: ra_serve checked) saw it: nothing to ask. */
static bool ra_at_end(const struct ae_fs *fs, uint64_t handle, uint64_t off)
{
    if (!fs->ra_len || !fs->ra_eof || fs->ra_handle != handle || (off == FS_OFF_CURRENT && !fs->ra_cur))
        return false;
    return (off == FS_OFF_CURRENT ? fs->ra_pos : off) >= fs->ra_at + fs->ra_len;
}

/* A small read: from the read-ahead, refilled as needed with one READ of
 * ra_next bytes (twice more each time the reader keeps on). */
static int64_t read_ahead(struct ae_fs *fs, uint64_t handle, uint64_t off, uint8_t *buf,
                          uint64_t len)
{
    uint64_t done = 0;
    int tries = 0;
    while (done < len) {
        int64_t r = begin_for(fs, handle, false);
        if (r)
            return done ? (int64_t)done : r;
        uint64_t at = off == FS_OFF_CURRENT ? off : off + done;
        uint64_t n = ra_serve(fs, handle, at, buf + done, len - done);
        if (n) {
            done += n;
            __unlock(&fs->lock);
            continue;
        }
        if (ra_at_end(fs, handle, at)) {
            __unlock(&fs->lock);
            break;                            /* a short read at the end, as a file gives */
        }
        if (!fs->ctl || !fs->priv) {       /* no way to know the data stays: plain reads */
            __unlock(&fs->lock);
            r = transfer(fs, FS_OP_READ, handle, at, buf + done, NULL, len - done);
            return r < 0 ? (done ? (int64_t)done : r) : (int64_t)(done + (uint64_t)r);
        }
        bool sequential = fs->ra_handle == handle &&
                          (at == FS_OFF_CURRENT ? fs->ra_cur : !fs->ra_cur && at == fs->ra_end);
        uint64_t want = sequential && fs->ra_next ? fs->ra_next : RA_FIRST;
        if (want < len - done)
            want = len - done;
        if (want > fs->buf_bytes)
            want = fs->buf_bytes;
        uint64_t w[4] = { handle, at, 0, want }, out[2];
        r = call(fs, FS_OP_READ, w, 4, 0, out, 2);
        if (!r) {
            uint64_t got = out[FS_R_READ_BYTES] < want ? out[FS_R_READ_BYTES] : want;
            fs->ra_handle = handle;
            fs->ra_at = out[FS_R_READ_AT];
            fs->ra_len = got;
            fs->ra_end = fs->ra_at + got;
            fs->ra_pos = fs->ra_at;
            fs->ra_cur = off == FS_OFF_CURRENT;
            fs->ra_eof = got < want;
            fs->ra_next = want * 2 > fs->buf_bytes ? fs->buf_bytes : want * 2;
            n = ra_copy(fs, handle, at, buf + done, len - done);
            if (!fs->fresh)
                ra_drop(fs);                  /* this read's bytes are right; the rest may not stay so */
            done += n;
        }
        if (end(fs, r, &tries))
            continue;
        if (r)
            return done ? (int64_t)done : r;
        if (!n)
            break;                            /* the end of the file */
    }
    return (int64_t)done;
}

int64_t ae_fs_read(struct ae_fs *fs, uint64_t handle, uint64_t off, void *buf, uint64_t len)
{
    if (len && len <= RA_READ_MAX)
        return read_ahead(fs, handle, off, buf, len);
    return transfer(fs, FS_OP_READ, handle, off, buf, NULL, len);
}

int64_t ae_fs_write(struct ae_fs *fs, uint64_t handle, uint64_t off, const void *buf,
                    uint64_t len)
{
    return transfer(fs, FS_OP_WRITE, handle, off, NULL, buf, len);
}

/* Queues a write (ae_fs_write_behind); lock held. False: not now (the
 * queue is full, or the session may not have room for it: the caller
 * looks again, or writes at once so that AE_ENOSPC is this write's). A
 * write is counted at two pages more than its bytes (unaligned ends, an
 * index page), and a batch at four more (the index's upper levels). */
static bool queue_write(struct ae_fs *fs, uint64_t handle, uint64_t ino, uint64_t off,
                        const void *buf, uint64_t len)
{
    uint64_t need = ((len + 4095) / 4096 + 2) * 4096 + (fs->reserved ? 0 : 4 * 4096);
    if (fs->staged + len > fs->buf_bytes - AE_FS_STAGE || fs->ndefer + 2 > FS_SHCTL_OPS_MAX ||
        fs->reserved + need > fs->room)
        return false;
    ra_drop(fs);                          /* its bytes are where the data goes */
    if (ino)
        sc_drop_node(fs, ino);            /* its size and times will change */
    else
        sc_clear(fs);                     /* a size or a time will change: whose, unknown */
    uint64_t at = AE_FS_STAGE + fs->staged;
    memcpy(fs->buf + at, buf, len);
    fs->staged += (len + 7) & ~7ull;      /* counted before defer(), which may settle */
    fs->nbehind++;                        /* a run made unasked (took: it counts again) */
    fs->reserved += need;
    (void)defer(fs, FS_DEFER_WRITE, handle, off, FS_DEFER_RANGE_OF(at, len), false);
    return true;
}

int64_t ae_fs_write_behind(struct ae_fs *fs, uint64_t handle, uint64_t off, const void *buf,
                           uint64_t len)
{
    return ae_fs_write_behind_node(fs, handle, 0, off, buf, len);
}

int ae_fs_late_error(struct ae_fs *fs, uint64_t handle)
{
    int r = begin_for(fs, handle, false);  /* sends writes queued to it; takes their error */
    if (!r)
        __unlock(&fs->lock);
    return r;
}

int64_t ae_fs_write_behind_node(struct ae_fs *fs, uint64_t handle, uint64_t ino, uint64_t off,
                                const void *buf, uint64_t len)
{
    return ae_fs_write_behind_late(fs, handle, ino, off, buf, len, NULL);
}

int64_t ae_fs_write_behind_late(struct ae_fs *fs, uint64_t handle, uint64_t ino, uint64_t off,
                                const void *buf, uint64_t len, bool *late)
{
    if (late)
        *late = false;
    for (int i = 0; len && len <= AE_FS_BEHIND_MAX && i < 2; i++) {
        int r = begin(fs);
        if (r)
            return r;
        if (!fs->ctl || !fs->priv || fs->buf_bytes < AE_FS_STAGE + AE_FS_BEHIND_MAX) {
            __unlock(&fs->lock);
            break;                        /* others see the files: no write-behind */
        }
        int e = take_err(fs, handle);
        bool queued = !e && queue_write(fs, handle, ino, off, buf, len);
        __unlock(&fs->lock);
        if (e && late)
            *late = true;                 /* an earlier queued write's: nothing of this one done */
        if (e)
            return e;
        if (queued)
            return (int64_t)len;
        (void)flush(fs, true);            /* send the queue, learn the room; then again */
    }
    int e = ae_fs_late_error(fs, handle);
    if (e && late)
        *late = true;
    if (e)
        return e;
    int64_t r = ae_fs_write(fs, handle, off, buf, len);
    __lock(&fs->lock);
    fs->room = 0;                         /* unknown: the next write looks first */
    __unlock(&fs->lock);
    return r;
}

int64_t ae_fs_seek(struct ae_fs *fs, uint64_t handle, int64_t off, uint32_t whence)
{
    uint64_t w[3] = { handle, (uint64_t)off, whence }, pos;
    int64_t r = handle_request(fs, handle, FS_OP_SEEK, w, 3, &pos, 1, false);
    return r ? r : (int64_t)pos;
}

int ae_fs_ftruncate(struct ae_fs *fs, uint64_t handle, uint64_t size)
{
    uint64_t w[2] = { handle, size };
    return (int)handle_request(fs, handle, FS_OP_FTRUNCATE, w, 2, NULL, 0, false);
}

int ae_fs_truncate(struct ae_fs *fs, const char *path, uint64_t size)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, size };
    return path_request(fs, FS_OP_TRUNCATE, &(struct paths){ path, NULL, 0, 0 }, w, 3, NULL, 0);
}

int ae_fs_fstat(struct ae_fs *fs, uint64_t handle, struct ae_fs_stat *st)
{
    uint64_t out[FS_R_STAT_WORDS];
    int r = (int)handle_request(fs, handle, FS_OP_FSTAT, &handle, 1, out, FS_R_STAT_WORDS, true);
    if (!r)
        stat_from(out, st);
    return r;
}

int ae_fs_statat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t flags,
                 struct ae_fs_stat *st)
{
    bool nofollow = flags & FS_AT_NOFOLLOW, hit = false;
    if (flags == (flags & FS_AT_NOFOLLOW)) {
        __lock(&fs->lock);
        hit = fs->buf && sc_lookup(fs, dir, path, nofollow, st);
        __unlock(&fs->lock);
    }
    if (hit)
        return 0;
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, flags }, out[FS_R_STAT_WORDS];
    struct paths pp = { path, NULL, dir, 0 };
    struct ae_fs_stat got;
    int64_t r;
    int tries = 0;
    if (dir) {
        for (unsigned i = 3; i < FS_W_BASE; i++)
            w[i] = 0;
        w[FS_W_BASE] = dir;
        w[FS_W_BASE2] = 0;
    }
    do {
        if ((r = begin(fs)))
            return (int)r;
        w[0] = 0;
        r = put_path(fs, 0, pp.path, &w[1]);
        if (!r)
            r = call(fs, FS_OP_STAT, w, dir ? FS_REQ_WORDS_MAX : 3, 0, out, FS_R_STAT_WORDS);
        if (!r) {
            stat_from(out, &got);
            if (flags == (flags & FS_AT_NOFOLLOW))
                sc_insert(fs, dir, path, nofollow, &got, true);
        }
    } while (end(fs, r, &tries));
    if (!r && st)
        *st = got;
    return (int)r;
}

int ae_fs_stat(struct ae_fs *fs, const char *path, struct ae_fs_stat *st)
{
    return ae_fs_statat(fs, 0, path, 0, st);
}

int ae_fs_lstat(struct ae_fs *fs, const char *path, struct ae_fs_stat *st)
{
    return ae_fs_statat(fs, 0, path, FS_AT_NOFOLLOW, st);
}

int ae_fs_mkdirat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, mode };
    return path_request(fs, FS_OP_MKDIR, &(struct paths){ path, NULL, dir, 0 }, w, 3, NULL, 0);
}

int ae_fs_mkdir(struct ae_fs *fs, const char *path, uint32_t mode)
{
    return ae_fs_mkdirat(fs, 0, path, mode);
}

int ae_fs_mkfifoat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, FS_TYPE_FIFO, mode };
    return path_request(fs, FS_OP_MKNOD, &(struct paths){ path, NULL, dir, 0 }, w, 4, NULL, 0);
}

int ae_fs_unlinkat(struct ae_fs *fs, uint64_t dir, const char *path)
{
    uint64_t w[FS_REQ_WORDS_MAX];
    return path_request(fs, FS_OP_UNLINK, &(struct paths){ path, NULL, dir, 0 }, w, 2, NULL, 0);
}

int ae_fs_unlink(struct ae_fs *fs, const char *path)
{
    return ae_fs_unlinkat(fs, 0, path);
}

/* Queues an unlink of path if the kept stats prove it will work; lock
 * held. 1: queued; 0: not (the caller unlinks at once); -1: the queue is
 * full. */
static int queue_unlink(struct ae_fs *fs, const char *path)
{
    size_t len;
    if (!fs->sc || !sc_usable(fs, 0, path, &len) || fs->clone_gen != ae_clone_generation())
        return 0;
    caches_check(fs);
    struct sc_entry *e = sc_find(fs, path, len, true);
    if (!e)
        e = sc_find(fs, path, len, false);
    /* A name that resolves to something other than a directory, with
     * times: a node of our own layer, not an image name (whose unlink
     * needs a whiteout, which can fail). Neither a final link nor the
     * node it names can be a directory here, or the entry would say so. */
    if (!e || e->st.type == FS_TYPE_DIR || e->st.ctime == 0)
        return 0;
    if (fs->staged + len > fs->buf_bytes - AE_FS_STAGE || fs->ndefer + 2 > FS_SHCTL_OPS_MAX)
        return -1;
    /* A link (to a directory, maybe): the spelling of a kept directory
     * may go through it, so nothing queued after it may be proven there
     * (attack11: a create queued behind it named a directory gone). A name
     * that resolves to a file is on no directory's path. */
    if (e->st.type == FS_TYPE_SYMLINK)
        pf_forget(fs->pf);
    uint64_t ino = e->st.ino, at = AE_FS_STAGE + fs->staged;
    memcpy(fs->buf + at, path, len);
    fs->staged += (len + 7) & ~7ull;      /* before defer(), as in queue_write */
    fs->nbehind++;
    (void)defer(fs, FS_DEFER_UNLINK, FS_DEFER_RANGE_OF(at, len), 0, 0, false);
    sc_drop_touched(fs, ino);             /* its directory, its node's other names */
    for (int nf = 0; nf < 2; nf++)
        if ((e = sc_find(fs, path, len, nf)))
            e->gen = 0;
    return 1;
}

int ae_fs_unlink_behind(struct ae_fs *fs, const char *path)
{
    for (int i = 0; i < 2; i++) {
        int r = begin(fs);
        if (r)
            return r;
        int e = fs->unlink_err, q = 0;
        fs->unlink_err = 0;
        if (!e && fs->ctl && fs->priv)
            q = queue_unlink(fs, path);
        __unlock(&fs->lock);
        if (e)
            return e;
        if (q >= 0) {
            if (q)
                return 0;
            break;
        }
        (void)ae_fs_flush(fs);            /* the queue is full: send it, then queue */
    }
    return ae_fs_unlink(fs, path);
}

int ae_fs_rmdirat(struct ae_fs *fs, uint64_t dir, const char *path)
{
    uint64_t w[FS_REQ_WORDS_MAX];
    return path_request(fs, FS_OP_RMDIR, &(struct paths){ path, NULL, dir, 0 }, w, 2, NULL, 0);
}

int ae_fs_rmdir(struct ae_fs *fs, const char *path)
{
    return ae_fs_rmdirat(fs, 0, path);
}

int ae_fs_renameat(struct ae_fs *fs, uint64_t from_dir, const char *from, uint64_t to_dir,
                   const char *to, uint32_t flags)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, 0, 0, flags };
    return path_request(fs, FS_OP_RENAME, &(struct paths){ from, to, from_dir, to_dir }, w, 5,
                        NULL, 0);
}

int ae_fs_rename(struct ae_fs *fs, const char *from, const char *to)
{
    return ae_fs_renameat(fs, 0, from, 0, to, 0);
}

int ae_fs_symlinkat(struct ae_fs *fs, const char *target, uint64_t dir, const char *link)
{
    uint64_t w[FS_REQ_WORDS_MAX];
    if (strlen(target) >= FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    return path_request(fs, FS_OP_SYMLINK, &(struct paths){ link, target, dir, 0 }, w, 4, NULL, 0);
}

int ae_fs_symlink(struct ae_fs *fs, const char *target, const char *link)
{
    return ae_fs_symlinkat(fs, target, 0, link);
}

int64_t ae_fs_readlinkat(struct ae_fs *fs, uint64_t dir, const char *path, char *buf,
                         uint64_t cap)
{
    int64_t r;
    int tries = 0;
    struct paths pp = { path, NULL, dir, 0 };
    do {
        if ((r = begin(fs)))
            return r;
        uint64_t room = fs->buf_bytes - FS_PATH_MAX, len = 0;
        uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, FS_PATH_MAX, cap < room ? cap : room, 0, 0, dir, 0 };
        r = put_path(fs, 0, pp.path, &w[1]);
        if (!r)
            r = call(fs, FS_OP_READLINK, w, dir ? FS_REQ_WORDS_MAX : 4, 0, &len, 1);
        if (!r) {
            memcpy(buf, fs->buf + FS_PATH_MAX, len < w[3] ? len : w[3]);
            r = (int64_t)len;
        }
    } while (end(fs, r, &tries));
    return r;
}

int64_t ae_fs_readlink(struct ae_fs *fs, const char *path, char *buf, uint64_t cap)
{
    return ae_fs_readlinkat(fs, 0, path, buf, cap);
}

int ae_fs_linkat(struct ae_fs *fs, uint64_t old_dir, const char *old, uint64_t new_dir,
                 const char *new_name, uint32_t flags)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, 0, 0, flags };
    return path_request(fs, FS_OP_LINK, &(struct paths){ old, new_name, old_dir, new_dir }, w, 5,
                        NULL, 0);
}

int ae_fs_link(struct ae_fs *fs, const char *old, const char *new_name)
{
    return ae_fs_linkat(fs, 0, old, 0, new_name, 0);
}

int ae_fs_chmodat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t mode, uint32_t flags)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, mode, flags };
    return path_request(fs, FS_OP_CHMOD, &(struct paths){ path, NULL, dir, 0 }, w, 4, NULL, 0);
}

int ae_fs_chmod(struct ae_fs *fs, const char *path, uint32_t mode)
{
    return ae_fs_chmodat(fs, 0, path, mode, 0);
}

int ae_fs_chownat(struct ae_fs *fs, uint64_t dir, const char *path, uint32_t uid, uint32_t gid,
                  uint32_t flags)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, uid, gid, flags };
    return path_request(fs, FS_OP_CHOWN, &(struct paths){ path, NULL, dir, 0 }, w, 5, NULL, 0);
}

int ae_fs_chown(struct ae_fs *fs, const char *path, uint32_t uid, uint32_t gid)
{
    return ae_fs_chownat(fs, 0, path, uid, gid, 0);
}

int ae_fs_utimensat(struct ae_fs *fs, uint64_t dir, const char *path, uint64_t atime,
                    uint64_t mtime, uint32_t flags)
{
    uint64_t w[FS_REQ_WORDS_MAX] = { 0, 0, atime, mtime, flags };
    return path_request(fs, FS_OP_UTIMENS, &(struct paths){ path, NULL, dir, 0 }, w, 5, NULL, 0);
}

int ae_fs_fchmod(struct ae_fs *fs, uint64_t handle, uint32_t mode)
{
    uint64_t w[2] = { handle, mode };
    return (int)handle_request(fs, handle, FS_OP_FCHMOD, w, 2, NULL, 0, false);
}

int ae_fs_fchown(struct ae_fs *fs, uint64_t handle, uint32_t uid, uint32_t gid)
{
    uint64_t w[3] = { handle, uid, gid };
    return (int)handle_request(fs, handle, FS_OP_FCHOWN, w, 3, NULL, 0, false);
}

int ae_fs_futimens(struct ae_fs *fs, uint64_t handle, uint64_t atime, uint64_t mtime)
{
    uint64_t w[3] = { handle, atime, mtime };
    return (int)handle_request(fs, handle, FS_OP_FUTIMENS, w, 3, NULL, 0, false);
}

int ae_fs_fsync(struct ae_fs *fs, uint64_t handle)
{
    return (int)handle_request(fs, handle, FS_OP_FSYNC, &handle, 1, NULL, 0, true);
}

/* Keeps the stats a READDIR's records carry as dirpath/NAME's, when
 * dirpath is kept as the directory listed (dir_ino: a kept stat of it,
 * valid now, names that node, so dirpath/NAME names each entry) and
 * nothing but us changed anything. Lock held, right after the call. */
static void sc_keep_listing(struct ae_fs *fs, const char *dirpath, uint64_t dir_ino,
                            const uint8_t *recs, uint64_t bytes)
{
    size_t dl = strlen(dirpath), len;
    if (!fs->fresh || !sc_usable(fs, 0, dirpath, &len) || !fs->sc)
        return;
    struct sc_entry *d = sc_find(fs, dirpath, dl, false);
    if (!d)
        d = sc_find(fs, dirpath, dl, true);
    if (!d || d->st.type != FS_TYPE_DIR || d->st.ino != dir_ino)
        return;
    if (dl == 1)
        dl = 0;                                   /* "/" + NAME */
    char key[SC_PATH];
    for (uint64_t at = 0; at + sizeof(struct fs_dirent_rec) <= bytes;) {
        const struct fs_dirent_rec *r = (const struct fs_dirent_rec *)(recs + at);
        uint64_t bare = (sizeof *r + r->name_len + 1 + 7) & ~7ull;
        if (r->rec_len < bare + FS_R_STAT_WORDS * 8 || r->rec_len > bytes - at)
            return;
        if (dl + 1 + r->name_len < SC_PATH) {
            uint64_t w[FS_R_STAT_WORDS];
            struct ae_fs_stat st;
            memcpy(w, recs + at + bare, sizeof w);
            stat_from(w, &st);
            memcpy(key, dirpath, dl);
            key[dl] = '/';
            memcpy(key + dl + 1, r + 1, r->name_len);
            key[dl + 1 + r->name_len] = 0;
            sc_insert(fs, 0, key, true, &st, false);
            if (st.type != FS_TYPE_SYMLINK)
                sc_insert(fs, 0, key, false, &st, false);   /* stat follows nothing more */
        }
        at += r->rec_len;
    }
}

static int64_t readdir_req(struct ae_fs *fs, uint64_t handle, uint64_t cookie, void *recs,
                           uint64_t cap, uint64_t *next, bool *eof, const char *dirpath,
                           uint64_t dir_ino, bool *stats)
{
    int64_t r;
    int tries = 0;
    size_t len;
    do {
        if ((r = begin(fs)))
            return r;
        bool want = dirpath && fs->sc && sc_usable(fs, 0, dirpath, &len);
        uint64_t w[5] = { handle, cookie, 0, cap < fs->buf_bytes ? cap : fs->buf_bytes,
                          want ? FS_READDIR_STATS : 0 }, out[5];
        r = call(fs, FS_OP_READDIR, w, want ? 5 : 4, 0, out, 5);
        if (!r) {
            uint64_t n = out[FS_R_READDIR_BYTES] <= w[3] ? out[FS_R_READDIR_BYTES] : w[3];
            memcpy(recs, fs->buf, n);
            *next = out[FS_R_READDIR_NEXT];
            *eof = out[FS_R_READDIR_EOF] != 0;
            *stats = want && (out[FS_R_READDIR_FLAGS] & FS_READDIR_R_STATS);
            if (*stats)
                sc_keep_listing(fs, dirpath, dir_ino, recs, n);
            r = (int64_t)n;
        }
    } while (end(fs, r, &tries));
    return r;
}

int64_t ae_fs_readdir(struct ae_fs *fs, uint64_t handle, uint64_t cookie, void *recs,
                      uint64_t cap, uint64_t *next, bool *eof)
{
    bool stats;
    return readdir_req(fs, handle, cookie, recs, cap, next, eof, NULL, 0, &stats);
}

int64_t ae_fs_readdir_keep(struct ae_fs *fs, uint64_t handle, uint64_t cookie, void *recs,
                           uint64_t cap, uint64_t *next, bool *eof, const char *dirpath,
                           uint64_t dir_ino, bool *stats)
{
    return readdir_req(fs, handle, cookie, recs, cap, next, eof, dirpath, dir_ino, stats);
}

int ae_fs_statfs(struct ae_fs *fs, uint64_t out[6])
{
    return (int)handle_request(fs, 0, FS_OP_STATFS, NULL, 0, out, 6, true);
}
