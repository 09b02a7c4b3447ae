/*
 * test_fs_meta.c — the metadata promise and overdraft (meta.h, docs/FS.md
 * "Metadata: a promise and an overdraft", SECURITY.md 46j) with the core
 * driven through an environment that meters metadata as the service's
 * account does (fs_meta_take / fs_meta_give in the heap's block sizes):
 * a filler stops at its cap or the pool's end while a neighbour's promise
 * still serves it; a session past the 64 kept promises holds one from the
 * pool, or is refused; every byte comes back; and fs_session_recount_meta
 * (a restart's recount) adds up exactly what the session holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_impl.h"
#include "meta.h"
#include "fs_test.h"
#include "check_more.h"

/* A test environment whose metadata is metered (t first: ctx is both). */
struct meter_env {
    struct test_env t;
    struct fs_meta m;
};

static struct fs_meta_pool pool;

static void *m_alloc(void *ctx, size_t size)
{
    struct meter_env *e = ctx;
    if (!fs_meta_take(&e->m, &pool, fs_meta_block(size)))
        return NULL;
    void *p = malloc(size);
    if (!p)
        fs_meta_give(&e->m, &pool, fs_meta_block(size));
    return p;
}

static void m_free(void *ctx, void *p, size_t size)
{
    struct meter_env *e = ctx;
    if (p)
        fs_meta_give(&e->m, &pool, fs_meta_block(size));
    free(p);
}

static struct meter_env E[3];

static struct fs_session *session(struct meter_env *e, uint32_t inodes, uint64_t promise)
{
    test_env_init(&e->t);
    e->t.env.mem_alloc = m_alloc;
    e->t.env.mem_free = m_free;
    struct fs_limits lim = big_limits();
    lim.inodes = inodes;
    lim.handles = 256;
    e->m = (struct fs_meta){ .promise = promise, .cap = fs_meta_cap(&lim) };
    struct fs_session *s;
    CHECK_RC(fs_session_create(&e->t.env, NULL, &lim, 0, &s), 0);
    return s;
}

static int create(struct fs_session *s, const char *path)
{
    uint64_t h;
    int r = fs_open(s, P(path), FS_O_CREAT | FS_O_EXCL | FS_O_WRONLY, 0600, &h, NULL);
    return r ? r : fs_close(s, h);
}

static const char *longname(const char *dir, int len, int i)
{
    static char buf[600];
    int n = snprintf(buf, sizeof buf, "%s/", dir);
    memset(buf + n, 'n', (size_t)len);
    snprintf(buf + n + len - 5, 6, "%05u", (unsigned)i % 100000u);
    return buf;
}

static void got_sum(void *ctx, uint64_t meta)
{
    *(uint64_t *)ctx = meta;
}

/* What a recount adds up: UINT64_MAX if it did not run to the end. */
static uint64_t recounted(struct fs_session *s)
{
    uint64_t sum = UINT64_MAX;
    const char *why = "ok";
    CHECK_RC(fs_session_recount_meta(s, fs_meta_block, got_sum, &sum, &why), 0);
    return sum;
}

static void take_and_give_follow_the_promise(void)
{
    struct fs_meta_pool p;
    fs_meta_pool_init(&p, 8ull << 20);
    CHECK_RC(p.size, (8ull << 20) - FS_META_RESERVE - FS_META_PROMISED_MAX * FS_META_PROMISE);
    p.size = 1000;
    struct fs_meta a = { .promise = 500, .cap = 2000 }, b = { .promise = 0, .cap = 2000 };
    CHECK(fs_meta_take(&a, &p, 400));                /* in its promise: no pool */
    CHECK_RC(p.used, 0);
    CHECK(fs_meta_take(&a, &p, 300));                /* 200 past it */
    CHECK_RC(p.used, 200);
    CHECK(fs_meta_take(&b, &p, 800));                /* no promise: all from the pool */
    CHECK_RC(p.used, 1000);
    CHECK(!fs_meta_take(&b, &p, 1));                 /* the pool is spent */
    CHECK(!fs_meta_take(&a, &p, 1));
    fs_meta_give(&a, &p, 300);                       /* back to 400: 200 to the pool */
    CHECK_RC(p.used, 800);
    CHECK(fs_meta_take(&a, &p, 100));                /* in its promise again */
    CHECK_RC(p.used, 800);
    CHECK(!fs_meta_take(&b, &p, 1300));              /* past its cap, whatever the pool */
    fs_meta_set(&a, &p, 900);                        /* a recount: 400 past */
    CHECK_RC(p.used, 1200);
    fs_meta_set(&a, &p, 0);
    fs_meta_give(&b, &p, 800);
    CHECK_RC(p.used, 0);
    CHECK_RC(fs_meta_block(0), 32);
    CHECK_RC(fs_meta_block(16), 32);
    CHECK_RC(fs_meta_block(17), 64);
    CHECK_RC(fs_meta_block(sizeof(struct fs_unode)), 256);
    struct fs_limits def = { .inodes = 1024, .handles = 256 }, small = { .inodes = 1, .handles = 1 };
    CHECK(fs_meta_cap(&def) > FS_META_PROMISE && fs_meta_cap(&def) <= FS_META_SESSION_MAX);
    CHECK_RC(fs_meta_cap(&small), FS_META_PROMISE);
}

/* Fillers with 255-byte names in one directory, in many, and deep: each
 * stops with AE_ENOMEM, its tree whole; the pool is spent; a neighbour's
 * promise still holds its mkdir and a hundred creates. */
static void fillers_leave_the_neighbour_its_promise(void)
{
    fs_meta_pool_init(&pool, 8ull << 20);
    pool.size = 1u << 20;                            /* a small pool: two fillers spend it */
    struct fs_session *f = session(&E[0], 40000, FS_META_PROMISE);
    struct fs_session *g = session(&E[1], 40000, 0);
    struct fs_session *v = session(&E[2], 1024, FS_META_PROMISE);
    CHECK_RC(fs_mkdir(f, P("d"), 0755), 0);
    int n = 0, r = 0;
    while (!(r = create(f, longname("d", 255, n))))
        n++;
    CHECK_RC(r, AE_ENOMEM);
    char d[600];
    int k = 0;
    for (;; k++) {
        snprintf(d, sizeof d, "%s", longname("", 255, k) + 1);
        if ((r = fs_mkdir(g, P(d), 0755)) || (r = create(g, longname(d, 200, k))))
            break;
    }
    CHECK_RC(r, AE_ENOMEM);
    printf("  filler: %d names (%llu bytes); the other: %d directories (%llu); the pool %llu of %llu\n", n,
           (unsigned long long)E[0].m.used, k, (unsigned long long)E[1].m.used, (unsigned long long)pool.used,
           (unsigned long long)pool.size);
    CHECK(E[0].m.used <= E[0].m.cap && E[1].m.used <= E[1].m.cap);
    CHECK_RC(pool.used, (E[0].m.used - FS_META_PROMISE) + E[1].m.used);
    CHECK(pool.used + 1024 > pool.size);
    const char *why = "ok";
    CHECK_RC(fs_session_check(f, &why), 0);
    CHECK_RC(fs_session_check(g, &why), 0);
    /* The neighbour. */
    CHECK_RC(fs_mkdir(v, P("x"), 0755), 0);
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "x/f%03d", i);
        CHECK_RC(create(v, name), 0);
    }
    CHECK(E[2].m.used <= FS_META_PROMISE);
    CHECK_RC(recounted(v), E[2].m.used);
    CHECK_RC(recounted(f), E[0].m.used);
    CHECK_RC(recounted(g), E[1].m.used);
    fs_session_destroy(f);
    fs_session_destroy(g);
    fs_session_destroy(v);
    for (int i = 0; i < 3; i++)
        CHECK_RC(E[i].m.used, 0);
    CHECK_RC(pool.used, 0);
}

/* Sessions past the FS_META_PROMISED_MAX kept promises: each takes a late
 * promise from the pool at its open, or is refused (AE_ENOMEM at the
 * service) — none is accepted with nothing. A filler then spends the
 * pool, and the late session's promise still holds its creates; the
 * next session is refused; every byte comes back. */
static void late_sessions_hold_a_promise_from_the_pool(void)
{
    fs_meta_pool_init(&pool, 8ull << 20);
    pool.size = 1u << 20;
    struct fs_meta kept[FS_META_PROMISED_MAX];
    for (unsigned i = 0; i < FS_META_PROMISED_MAX; i++) {
        kept[i] = (struct fs_meta){ .cap = FS_META_PROMISE };
        CHECK(fs_meta_promise_take(&kept[i], &pool));
        CHECK(kept[i].promise == FS_META_PROMISE && !kept[i].pooled);
    }
    CHECK_RC(pool.promised, FS_META_PROMISED_MAX);
    CHECK_RC(pool.used, 0);
    /* the 65th: a late promise, from the pool */
    struct fs_session *v;
    test_env_init(&E[2].t);
    E[2].t.env.mem_alloc = m_alloc;
    E[2].t.env.mem_free = m_free;
    struct fs_limits lim = big_limits();
    lim.inodes = 1024;
    lim.handles = 256;
    E[2].m = (struct fs_meta){ .cap = fs_meta_cap(&lim) };
    CHECK(fs_meta_promise_take(&E[2].m, &pool));
    CHECK(E[2].m.pooled && E[2].m.promise == FS_META_PROMISE_LATE);
    CHECK_RC(pool.used, FS_META_PROMISE_LATE);
    CHECK_RC(fs_session_create(&E[2].t.env, NULL, &lim, 0, &v), 0);
    CHECK_RC(pool.used, FS_META_PROMISE_LATE);         /* its records are in its promise */
    /* a filler with no promise spends the rest */
    struct fs_session *f = session(&E[0], 40000, 0);
    CHECK_RC(fs_mkdir(f, P("d"), 0755), 0);
    int n = 0, r;
    while (!(r = create(f, longname("d", 255, n))))
        n++;
    CHECK_RC(r, AE_ENOMEM);
    CHECK(pool.used + 1024 > pool.size);
    /* the late session still makes what its promise holds */
    char name[32];
    int made = 0;
    for (; made < 10; made++) {
        snprintf(name, sizeof name, "f%d", made);
        if (create(v, name))
            break;
    }
    printf("  late session: %llu of its %u bytes after %d creates; the pool %llu of %llu\n",
           (unsigned long long)E[2].m.used, FS_META_PROMISE_LATE, made, (unsigned long long)pool.used,
           (unsigned long long)pool.size);
    CHECK_RC(made, 10);
    CHECK(E[2].m.used <= FS_META_PROMISE_LATE);
    /* the next session: no kept promise free and no room in the pool */
    struct fs_meta next = { .cap = FS_META_PROMISE };
    CHECK(!fs_meta_promise_take(&next, &pool));
    CHECK(!next.promise && !next.pooled);
    /* a recount adds the late promise to the pool */
    struct fs_meta_pool again = { .size = pool.size };
    for (unsigned i = 0; i < FS_META_PROMISED_MAX; i++)
        fs_meta_recount(&kept[i], &again);
    fs_meta_recount(&E[0].m, &again);
    fs_meta_recount(&E[2].m, &again);
    CHECK_RC(again.used, pool.used);
    CHECK_RC(again.promised, pool.promised);
    /* everything back */
    fs_session_destroy(f);
    fs_session_destroy(v);
    CHECK_RC(E[0].m.used, 0);
    CHECK_RC(E[2].m.used, 0);
    fs_meta_promise_give(&E[2].m, &pool);
    CHECK_RC(pool.used, 0);
    CHECK(fs_meta_promise_take(&next, &pool) && next.pooled);    /* room again */
    fs_meta_promise_give(&next, &pool);
    fs_meta_promise_give(&kept[0], &pool);
    CHECK(fs_meta_promise_take(&next, &pool) && !next.pooled && next.promise == FS_META_PROMISE);
    fs_meta_promise_give(&next, &pool);
    for (unsigned i = 1; i < FS_META_PROMISED_MAX; i++)
        fs_meta_promise_give(&kept[i], &pool);
    CHECK_RC(pool.promised, 0);
    CHECK_RC(pool.used, 0);
}

/* Every kind of metadata a session holds, counted by the recount exactly
 * as the meter counted it, and all of it back when it is undone. */
static void the_recount_adds_up_what_is_held(void)
{
    fs_meta_pool_init(&pool, 64ull << 20);
    struct fs_session *s = session(&E[0], 4000, FS_META_PROMISE);
    uint64_t u0 = E[0].m.used;
    CHECK_RC(recounted(s), u0);
    uint64_t h[100];
    CHECK_RC(create(s, "h"), 0);
    for (int i = 0; i < 100; i++)
        CHECK_RC(fs_open(s, P("h"), FS_O_RDONLY, 0, &h[i], NULL), 0);
    CHECK_RC(recounted(s), E[0].m.used);
    for (int i = 1; i < 100; i++)
        CHECK_RC(fs_close(s, h[i]), 0);
    CHECK_RC(fs_unlink(s, P("h")), 0);               /* open, named by nothing */
    CHECK_RC(recounted(s), E[0].m.used);
    CHECK_RC(fs_close(s, h[0]), 0);
    uint64_t u1 = E[0].m.used;                       /* (the handle table stays its size) */
    char dir[64], chain[512] = "c";
    for (int k = 0; k < 10; k++) {
        snprintf(dir, sizeof dir, "k%d", k);
        CHECK_RC(fs_mkdir(s, P(dir), 0755), 0);
        for (int i = 0; i < 50; i++)
            CHECK_RC(create(s, longname(dir, 10 + 20 * k, i)), 0);
    }
    CHECK_RC(fs_mkdir(s, P(chain), 0755), 0);
    for (int i = 0; i < 20; i++) {
        strcat(chain, "/c");
        CHECK_RC(fs_mkdir(s, P(chain), 0755), 0);
    }
    CHECK_RC(fs_link(s, P(longname("k1", 30, 1)), P("k2/hard"), 0), 0);
    CHECK_RC(fs_symlink(s, "k3", 2, P("link")), 0);
    CHECK_RC(fs_rename(s, P(longname("k9", 190, 3)), P("k0/s"), 0), 0);
    CHECK_RC(recounted(s), E[0].m.used);
    CHECK(E[0].m.used > u1 + 500 * 256);
    /* Undone. */
    CHECK_RC(fs_rename(s, P("k0/s"), P(longname("k9", 190, 3)), 0), 0);
    CHECK_RC(fs_unlink(s, P("link")), 0);
    CHECK_RC(fs_unlink(s, P("k2/hard")), 0);
    for (int k = 0; k < 10; k++) {
        snprintf(dir, sizeof dir, "k%d", k);
        for (int i = 0; i < 50; i++)
            CHECK_RC(fs_unlink(s, P(longname(dir, 10 + 20 * k, i))), 0);
        CHECK_RC(fs_rmdir(s, P(dir)), 0);
    }
    for (int i = 20; i >= 0; i--) {
        CHECK_RC(fs_rmdir(s, P(chain)), 0);
        chain[i ? 2 * i - 1 : 0] = 0;
    }
    CHECK_RC(E[0].m.used, u1);
    CHECK_RC(recounted(s), u1);
    fs_session_destroy(s);
    CHECK_RC(E[0].m.used, 0);
    CHECK_RC(pool.used, 0);
}

int main(void)
{
    RUN(take_and_give_follow_the_promise);
    RUN(fillers_leave_the_neighbour_its_promise);
    RUN(late_sessions_hold_a_promise_from_the_pool);
    RUN(the_recount_adds_up_what_is_held);
    return TESTS_DONE();
}
