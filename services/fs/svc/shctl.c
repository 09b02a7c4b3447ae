/*
 * shctl.c — the control block at the end of a client's buffer
 * (FS_ATTACH_F_CTL, struct fs_shctl in aerie/proto/fs.h; docs/FS.md,
 * "Client caches"). Two things cross it without a message:
 *
 *   - the session's count of changes, which we write after every request
 *     or admin operation that may have changed what the session sees, so
 *     a client can keep what it read (file data, stats) and know, by one
 *     load, whether it still holds;
 *   - operations the client queued without waiting for them (closes, a
 *     position to set, small writes and unlinks: docs/FS.md, "Write-behind";
 *     creates with reserved handles: "Creates that do not wait"),
 *     which we run in order before its next request, leaving each one's
 *     result in the block — or at once, when the admin asks
 *     (FS_ADMIN_RUN_QUEUED: a fork of the stopped container copies its
 *     files next, and must see what its program saw written).
 *
 * The block is the client's own memory: what it writes there reaches only
 * its own session, and what we write there is its session's own count.
 * A buffer that stops being the session's (replaced, session closed, the
 * service restarted) gets FS_SHCTL_DETACHED, so no client trusts a count
 * nobody keeps any more. For the restart, the buffer's capability is kept
 * by root's keeper (persist.h) in a record of the persistent heap, which
 * the next instance uses to write that mark with MEM_WRITE (no mapping,
 * so no fault even if the client's memory is gone).
 */
#include <stddef.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

struct shctl_keep {
    uint64_t mem;                     /* kept by root (p_keep): the buffer's Memory */
    uint64_t ctl_off;                 /* where its block is */
};

void shctl_publish(struct fs_service *svc, struct svc_session *s)
{
    pthread_mutex_lock(&svc->table_lock);
    uint64_t n = ++s->changes;
    if (n == FS_SHCTL_DETACHED)
        n = s->changes = 0;          /* never: 2^64 changes */
    if (s->buf && s->buf->ctl)
        s->buf->ctl->changes = n;     /* under the lock: the block never goes back */
    pthread_mutex_unlock(&svc->table_lock);
}

/* One queued WRITE or UNLINK, through the protocol's own decoding (its
 * range checks, the path copied out byte by byte): what a request with
 * these words would do. */
static int64_t run_request(struct fs_session *fs, struct shbuf *b, struct fs_request *req,
                           uint64_t label, const uint64_t *w, uint32_t n)
{
    struct fs_shbuf sb = { b->base, b->bytes };
    struct fs_reply rep;
    fs_serve(fs, label, w, n, &sb, req, &rep);
    if (rep.status)
        return rep.status;
    if (label == FS_OP_CREATE_RESERVED)
        return 0;
    return (int64_t)rep.w[label == FS_OP_WRITE ? 0 : FS_R_UNLINK_TYPE];   /* bytes; what an unlink removed */
}

/* Queued operation i of c, run on fs; *moved counts the batch's write
 * bytes (at most the buffer's). Its result goes into res[i]. */
static bool run_one(struct fs_session *fs, struct shbuf *b, struct fs_request *req,
                    struct fs_shctl *c, uint64_t i, uint64_t *moved, uint64_t *wrote)
{
    uint64_t op = c->ops[i][0], a = c->ops[i][1], arg = c->ops[i][2], r3 = c->ops[i][3];
    int64_t res = AE_EINVAL;
    bool changed = false;
    if (op == FS_DEFER_CLOSE) {
        res = fs_close(fs, a);        /* a handle not open: AE_EBADF */
    } else if (op == FS_DEFER_SEEK) {
        if (arg <= FS_FILE_MAX)
            res = fs_seek(fs, a, (int64_t)arg, FS_SEEK_SET);
    } else if (op == FS_DEFER_WRITE) {
        uint64_t len = FS_DEFER_LEN(r3);
        if (len <= b->bytes - *moved) {
            *moved += len;
            uint64_t w[4] = { a, arg, FS_DEFER_OFF(r3), len };
            res = run_request(fs, b, req, FS_OP_WRITE, w, 4);
            if (res > 0)
                *wrote += (uint64_t)res;  /* counted as a WRITE's bytes are (aerie stats) */
            changed = true;
        }
    } else if (op == FS_DEFER_CREATE) {
        /* CREATE_RESERVED through the same decoding: a handle value that
         * is no reserved slot of this session, a name that exists, a
         * directory not its own, bad flags: this one alone fails. */
        uint64_t w[6] = { FS_DEFER_C_OFF(a), FS_DEFER_C_LEN(a), FS_DEFER_C_FLAGS(a),
                          FS_DEFER_C_MODE(a), arg, r3 };
        res = FS_DEFER_C_BAD(a) ? AE_EINVAL : run_request(fs, b, req, FS_OP_CREATE_RESERVED, w, 6);
        changed = true;
    } else if (op == FS_DEFER_UNLINK) {
        uint64_t w[FS_REQ_WORDS_MAX] = { FS_DEFER_OFF(a), FS_DEFER_LEN(a), 0, 0, 0, 0, arg, 0 };
        res = run_request(fs, b, req, FS_OP_UNLINK, w, arg ? FS_REQ_WORDS_MAX : 2);
        changed = true;
    }
    c->res[i] = res;                  /* done: a client that saw us die knows this one ran */
    return changed;
}

/* The queue is taken back by compare-and-swap from the count we ran: a
 * client that appended meanwhile (it shows each operation as it queues
 * it) gets those run too, so none is lost or run twice; at most
 * FS_SHCTL_OPS_MAX in all, each word read once (the client may change
 * them). */
bool shctl_run_deferred(struct fs_session *fs, struct shbuf *b, struct fs_request *req,
                        uint64_t *ran, uint64_t *wrote)
{
    struct fs_shctl *c = b->ctl;
    if (ran)
        *ran = 0;
    if (!c)
        return false;
    pthread_mutex_lock(&b->run_lock);
    bool changed = false;
    uint64_t moved = 0, i = 0;        /* moved: bytes the batch's writes named */
    for (unsigned tries = 0;; tries++) {
        uint64_t seen = __atomic_load_n(&c->nops, __ATOMIC_ACQUIRE);
        if (seen == 0)
            break;
        uint64_t n = seen < FS_SHCTL_OPS_MAX ? seen : FS_SHCTL_OPS_MAX;
        for (; i < n; i++)
            changed |= run_one(fs, b, req, c, i, &moved, wrote);
        if (__atomic_compare_exchange_n(&c->nops, &seen, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
        if (i >= FS_SHCTL_OPS_MAX || tries >= 8) {   /* a block that keeps changing: cut */
            __atomic_store_n(&c->nops, 0, __ATOMIC_RELEASE);
            break;
        }
    }
    pthread_mutex_unlock(&b->run_lock);
    if (ran)
        *ran = i;
    return changed;
}

struct shctl_keep *shctl_keep_new(uint64_t mem, uint64_t ctl_off)
{
    struct shctl_keep *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->mem = mem;
    k->ctl_off = ctl_off;
    if (p_keep(&k->mem)) {            /* no keeper: nothing outlives us, nothing to mark */
        free(k);
        return NULL;
    }
    return k;
}

void shctl_keep_free(struct shctl_keep *k)
{
    if (!k)
        return;
    p_unkeep(&k->mem);
    if (k->mem) {
        ae_cap_delete(k->mem);
        ae_slot_free(k->mem);
    }
    free(k);
}

void shctl_forget_slot(struct svc_session *s)
{
    if (s->ctl_keep)
        s->ctl_keep->mem = 0;
}

void shctl_recover(struct svc_session *s)
{
    struct shctl_keep *k = s->ctl_keep;
    if (!k)
        return;
    s->ctl_keep = NULL;
    /* 0: the keeper had it no more (the client's memory is gone). A
     * write to memory destroyed since fails harmlessly. */
    if (k->mem)
        (void)ae_invokev(k->mem, AERIE_MEM_WRITE, k->ctl_off + offsetof(struct fs_shctl, changes),
                         8, (uint64_t)FS_SHCTL_DETACHED);
    shctl_keep_free(k);
}
