/*
 * meta.h — what one session may hold of the fs service's metadata heap
 * (docs/FS.md, "Metadata: a promise and an overdraft"; SECURITY.md 46j).
 *
 * Every session's nodes, names, directory tables and handle table live in
 * the service's one persistent heap (svc/persist.c). Each session is
 * promised FS_META_PROMISE bytes of it (the first FS_META_PROMISED_MAX
 * sessions at once; the heap holds all their promises whether or not they
 * are used); a session opened while those are all held is promised
 * FS_META_PROMISE_LATE, taken from the pool when it opens, or is refused:
 * every session the service accepts holds a promise. A session may go past
 * its promise by drawing on one shared pool (the heap less the kept
 * promises and a reserve for the service's own tables) while the pool has
 * room — never past its own cap, from its limits. So a
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
/* Sessions holding a promise kept in the heap at once (SVC_SESSIONS_MAX
 * such promises would not fit). */
#define FS_META_PROMISED_MAX 64u
/* The promise of a session opened while FS_META_PROMISED_MAX hold theirs:
 * taken from the pool at its open (refused if the pool lacks it), given
 * back at its end. Its records, root and handle table (about 2 KiB), the
 * tables its first file grows (1.5 KiB) and about a dozen files of short
 * names (384 bytes each); so while nobody overdraws, about five hundred
 * such sessions fit beside the 64 (docs/FS.md). */
#define FS_META_PROMISE_LATE (8u << 10)
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

/* The shared pool: the heap less the reserve and the promises kept in it.
 * used is Σ over sessions of what each holds past its promise, plus the
 * late promises (FS_META_PROMISE_LATE) taken from it. */
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
    uint64_t promise;                 /* FS_META_PROMISE, or FS_META_PROMISE_LATE (pooled) */
    uint64_t cap;                     /* fs_meta_cap */
    bool pooled;                      /* the promise was taken from the pool */
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

/* A promise for a new session m (its count still 0): one kept in the heap
 * if fewer than FS_META_PROMISED_MAX are held, else FS_META_PROMISE_LATE
 * from the pool; false if neither is there: the session is refused, so
 * that every session holds one (SECURITY.md 46j). */
static inline bool fs_meta_promise_take(struct fs_meta *m, struct fs_meta_pool *p)
{
    uint32_t n = __atomic_load_n(&p->promised, __ATOMIC_RELAXED);
    while (n < FS_META_PROMISED_MAX) {
        if (__atomic_compare_exchange_n(&p->promised, &n, n + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            m->promise = FS_META_PROMISE;
            m->pooled = false;
            return true;
        }
    }
    uint64_t u = __atomic_load_n(&p->used, __ATOMIC_RELAXED);
    do {
        if (u + FS_META_PROMISE_LATE > p->size)
            return false;
    } while (!__atomic_compare_exchange_n(&p->used, &u, u + FS_META_PROMISE_LATE, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    m->promise = FS_META_PROMISE_LATE;
    m->pooled = true;
    return true;
}

/* m's promise given back (its count already 0: fs_meta_set). */
static inline void fs_meta_promise_give(struct fs_meta *m, struct fs_meta_pool *p)
{
    if (m->pooled)
        __atomic_fetch_sub(&p->used, m->promise, __ATOMIC_RELAXED);
    else if (m->promise)
        __atomic_fetch_sub(&p->promised, 1, __ATOMIC_RELAXED);
    m->promise = 0;
    m->pooled = false;
}

/* What m holds of the pool and the kept promises (a restart's recount). */
static inline void fs_meta_recount(const struct fs_meta *m, struct fs_meta_pool *p)
{
    p->promised += m->promise && !m->pooled;
    p->used += fs_meta_over(m, m->used) + (m->pooled ? m->promise : 0);
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
