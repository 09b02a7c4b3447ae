/*
 * meta.h — what one session may hold of the fs service's metadata heap
 * (docs/FS.md, "Metadata: a promise and an overdraft"; SECURITY.md 46j).
 *
 * Every session's nodes, names, directory tables and handle table live in
 * the service's one persistent heap (svc/persist.c). Each session is
 * promised FS_META_PROMISE bytes of it (the first FS_META_PROMISED_MAX
 * sessions at once; the heap holds all their promises whether or not they
 * are used), and may go past its promise by drawing on one shared pool
 * (the heap less the promises and a reserve for the service's own tables)
 * while the pool has room — never past its own cap, from its limits. So a
 * session filling metadata as fast as it can stops at its cap or at the
 * pool's end, and a neighbour's promise is still there: its creates, and
 * the next new session, work. Counted in the heap's block sizes (what a
 * request really takes of it). Shared by the service (svc/acct.c) and the
 * host tests, which drive the core with the same counting.
 */
#ifndef AERIE_FS_META_H
#define AERIE_FS_META_H

#include <stdbool.h>
#include <stdint.h>
#include "fs.h"

/* The heap's block for n bytes: a power of two from 32 holding n and the
 * 16-byte header (svc/persist.c's classes). */
static inline uint64_t fs_meta_block(uint64_t n)
{
    uint64_t b = 32;
    while (b < n + 16 && b < (1ull << 62))
        b <<= 1;
    return b;
}

/* What every session is sure of: its records, its root, its handle table
 * and about a hundred files with short names (a default container's use). */
#define FS_META_PROMISE      (48u << 10)
/* Sessions holding a promise at once; later ones draw on the pool alone
 * until a promise is free (SVC_SESSIONS_MAX promises would not fit). */
#define FS_META_PROMISED_MAX 64u
/* Kept for the service itself: the session table's records, image indexes,
 * volumes, mapping records, and what scattered free blocks cannot serve. */
#define FS_META_RESERVE      (1ull << 20)

/* A session's cap: per inode its node (a 256-byte block), a name of up to
 * 64 bytes (128) and its share of a directory table (64); per handle 128
 * (a slot in a table that doubles); 24 KiB for its records; at most
 * FS_META_SESSION_MAX, never less than the promise. A session with longer
 * names meets its cap before its inode limit. */
#define FS_META_PER_INODE    448u
#define FS_META_PER_HANDLE   128u
#define FS_META_BASE         (24u << 10)
#define FS_META_SESSION_MAX  (2ull << 20)

static inline uint64_t fs_meta_cap(const struct fs_limits *l)
{
    uint64_t b = FS_META_BASE + (uint64_t)l->inodes * FS_META_PER_INODE +
                 (uint64_t)l->handles * FS_META_PER_HANDLE;
    b = b < FS_META_SESSION_MAX ? b : FS_META_SESSION_MAX;
    return b > FS_META_PROMISE ? b : FS_META_PROMISE;
}

/* The shared pool: the heap less the reserve and every promise there can
 * be. used is Σ over sessions of what each holds past its promise. */
struct fs_meta_pool {
    uint64_t used;                    /* atomic */
    uint64_t size;
    uint32_t promised;                /* the caller's lock: promises handed out */
};

static inline void fs_meta_pool_init(struct fs_meta_pool *p, uint64_t heap_bytes)
{
    uint64_t keep = FS_META_RESERVE + (uint64_t)FS_META_PROMISED_MAX * FS_META_PROMISE;
    p->used = 0;
    p->size = heap_bytes > keep ? heap_bytes - keep : 0;
    p->promised = 0;
}

/* One session's count (under a lock of the caller's: one per session). */
struct fs_meta {
    uint64_t used;                    /* block bytes it holds */
    uint64_t promise;                 /* FS_META_PROMISE, or 0: beyond FS_META_PROMISED_MAX */
    uint64_t cap;                     /* fs_meta_cap */
};

static inline uint64_t fs_meta_over(const struct fs_meta *m, uint64_t used)
{
    return used > m->promise ? used - m->promise : 0;
}

/* Takes b block bytes for m: within its promise always, past it only
 * while the pool has room and never past its cap. */
static inline bool fs_meta_take(struct fs_meta *m, struct fs_meta_pool *p, uint64_t b)
{
    uint64_t next = m->used + b;
    if (next > m->cap || next < m->used)
        return false;
    uint64_t more = fs_meta_over(m, next) - fs_meta_over(m, m->used);
    if (more) {
        uint64_t u = __atomic_load_n(&p->used, __ATOMIC_RELAXED);
        do {
            if (u + more > p->size)
                return false;
        } while (!__atomic_compare_exchange_n(&p->used, &u, u + more, true, __ATOMIC_RELAXED,
                                              __ATOMIC_RELAXED));
    }
    m->used = next;
    return true;
}

static inline void fs_meta_give(struct fs_meta *m, struct fs_meta_pool *p, uint64_t b)
{
    uint64_t next = m->used > b ? m->used - b : 0;
    uint64_t less = fs_meta_over(m, m->used) - fs_meta_over(m, next);
    if (less)
        __atomic_fetch_sub(&p->used, less, __ATOMIC_RELAXED);
    m->used = next;
}

/* The count set to used (a restart's recount), the pool following it. */
static inline void fs_meta_set(struct fs_meta *m, struct fs_meta_pool *p, uint64_t used)
{
    uint64_t was = fs_meta_over(m, m->used), now = fs_meta_over(m, used);
    if (now > was)
        __atomic_fetch_add(&p->used, now - was, __ATOMIC_RELAXED);
    else
        __atomic_fetch_sub(&p->used, was - now, __ATOMIC_RELAXED);
    m->used = used;
}

#endif
