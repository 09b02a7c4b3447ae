/*
 * t_malloc.c — libc's allocator under load, run as a static executable
 * and on the host under ASan (which the allocator tells which bytes are
 * live, so overruns past the requested size and use after free inside
 * libc's heap are reported). Every block is filled with a pattern derived
 * from its identity and checked before it is freed or moved.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktest_host.h"
#include "malloc_impl.h"

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned char pattern(uintptr_t id, size_t i)
{
    return (unsigned char)(id * 131 + i * 7 + (i >> 8));
}

static void fill(unsigned char *p, size_t n, uintptr_t id)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(id, i);
}

static int intact(const unsigned char *p, size_t n, uintptr_t id)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(id, i))
            return 0;
    return 1;
}

/* Mostly small, sometimes medium, rarely large (past the class limit). */
static size_t random_size(uint64_t (*r)(void))
{
    uint64_t x = r();
    switch (x % 16) {
    case 0: return (size_t)(r() % (3 * SMALL_MAX));
    case 1: case 2: return (size_t)(r() % 4096);
    default: return (size_t)(r() % 256);
    }
}

static void size_classes_cover_every_size(void)
{
    for (size_t n = 0; n <= SMALL_MAX; n++) {
        unsigned c = __malloc_class_of(n);
        size_t size = __malloc_class_size(c);
        CHECK(c < NCLASSES);
        CHECK(size >= n);
        CHECK(size % MALLOC_ALIGN == 0);
        CHECK(size <= n + n / 4 + 16);
        CHECK(c == 0 || __malloc_class_size(c - 1) < n || n == 0);
    }
    CHECK_EQ(__malloc_class_size(NCLASSES - 1), SMALL_MAX);
}

static void blocks_are_aligned_and_disjoint(void)
{
    enum { N = 600 };
    static unsigned char *p[N];
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)i * 37 % 5000;
        p[i] = malloc(n);
        CHECK(p[i] != NULL);
        CHECK_EQ((uintptr_t)p[i] % MALLOC_ALIGN, 0);
        fill(p[i], n, (uintptr_t)i);
    }
    for (int i = 0; i < N; i++) {
        CHECK(intact(p[i], (size_t)i * 37 % 5000, (uintptr_t)i));
        free(p[i]);
    }
    free(NULL);
}

struct slot {
    unsigned char *p;
    size_t n;
    uintptr_t id;
};

/* Random malloc, realloc and free over a table of live blocks. */
static int churn(struct slot *slots, int nslots, int rounds, uint64_t (*r)(void))
{
    int ok = 1;
    for (int round = 0; round < rounds; round++) {
        struct slot *s = &slots[r() % (uint64_t)nslots];
        if (s->p && !intact(s->p, s->n, s->id))
            ok = 0;
        switch (r() % 3) {
        case 0:
            free(s->p);
            s->p = NULL;
            s->n = 0;
            break;
        case 1: {
            size_t n = random_size(r);
            unsigned char *q = realloc(s->p, n);
            if (!q && n)
                return 0;
            if (q && s->p && !intact(q, n < s->n ? n : s->n, s->id))
                ok = 0;
            s->p = q;
            s->n = n;
            s->id = (uintptr_t)r();
            if (q)
                fill(q, n, s->id);
            break;
        }
        default:
            free(s->p);
            s->n = random_size(r);
            s->p = malloc(s->n);
            s->id = (uintptr_t)r();
            if (!s->p)
                return 0;
            fill(s->p, s->n, s->id);
            break;
        }
    }
    for (int i = 0; i < nslots; i++) {
        if (slots[i].p && !intact(slots[i].p, slots[i].n, slots[i].id))
            ok = 0;
        free(slots[i].p);
        slots[i].p = NULL;
    }
    return ok;
}

static void random_churn_keeps_every_byte(void)
{
    static struct slot slots[256];
    CHECK(churn(slots, 256, 20000, rng));
}

static void realloc_keeps_contents_both_ways(void)
{
    unsigned char *p = NULL;
    size_t sizes[] = { 1, 16, 17, 100, 4000, 40000, 200000, 33000, 500, 3, 0 };
    size_t have = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *q = realloc(p, sizes[i]);
        if (sizes[i] == 0) {
            CHECK(q == NULL);           /* realloc(p, 0) frees p */
            break;
        }
        CHECK(q != NULL);
        size_t keep = have < sizes[i] ? have : sizes[i];
        CHECK(intact(q, keep, 5));
        fill(q, sizes[i], 5);
        p = q;
        have = sizes[i];
    }
}

static void calloc_zeroes_and_checks_overflow(void)
{
    for (int i = 0; i < 50; i++) {
        unsigned char *dirty = malloc(200);
        memset(dirty, 0xa5, 200);
        free(dirty);
        unsigned char *z = calloc(25, 8);
        CHECK(z != NULL);
        for (int k = 0; k < 200; k++)
            CHECK_EQ(z[k], 0);
        free(z);
    }
    errno = 0;
    CHECK(calloc(SIZE_MAX / 2, 4) == NULL);
    CHECK_EQ(errno, ENOMEM);
    unsigned char *big = calloc(1, 300000);
    CHECK(big && big[299999] == 0 && big[0] == 0);
    free(big);
}

static void aligned_allocations_honour_alignment(void)
{
    for (size_t align = 1; align <= 65536; align *= 2)
        for (size_t n = 1; n < 70000; n = n * 3 + 1) {
            unsigned char *p = aligned_alloc(align, n);
            CHECK(p != NULL);
            CHECK_EQ((uintptr_t)p % align, 0);
            fill(p, n, align);
            void *q = NULL;
            CHECK_EQ(posix_memalign(&q, align < sizeof(void *) ? sizeof(void *) : align, n), 0);
            CHECK_EQ((uintptr_t)q % align, 0);
            CHECK(intact(p, n, align));
            q = realloc(q, n + 100);        /* an aligned block can be resized */
            CHECK(q != NULL);
            free(q);
            free(p);
        }
    errno = 0;
    CHECK(aligned_alloc(24, 100) == NULL);
    CHECK_EQ(errno, EINVAL);
    void *q = (void *)1;
    CHECK_EQ(posix_memalign(&q, 4, 100), EINVAL);
    CHECK_EQ(posix_memalign(&q, 48, 100), EINVAL);
    CHECK(q == (void *)1);
}

static void impossible_sizes_fail_with_enomem(void)
{
    errno = 0;
    CHECK(malloc(SIZE_MAX) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(malloc(SIZE_MAX - 4096) == NULL);
    CHECK_EQ(errno, ENOMEM);
    void *p = malloc(8);
    CHECK(realloc(p, SIZE_MAX - 100) == NULL);
    free(p);                                /* still ours after a failed realloc */
}

/* Each thread churns its own table and frees blocks other threads made. */
#define NTHREADS 4
static unsigned char *volatile handoff[NTHREADS];

static uint64_t thread_rng(void)
{
    static __thread uint64_t s;
    if (!s)
        s = (uint64_t)(uintptr_t)&s | 1;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static void *malloc_worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct slot slots[64] = { { 0 } };
    int ok = churn(slots, 64, 8000, thread_rng);
    for (int i = 0; i < 500; i++) {
        unsigned char *mine = malloc(64);
        fill(mine, 64, 9);
        unsigned char *theirs = __atomic_exchange_n(&handoff[(me + 1) % NTHREADS], mine,
                                                    __ATOMIC_SEQ_CST);
        if (theirs && !intact(theirs, 64, 9))
            ok = 0;
        free(theirs);
    }
    return (void *)(intptr_t)ok;
}

static void threads_allocate_and_free_concurrently(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, malloc_worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        CHECK_EQ((intptr_t)ok, 1);
    }
    for (int i = 0; i < NTHREADS; i++)
        free(handoff[i]);
}

int main(void)
{
    RUN(size_classes_cover_every_size);
    RUN(blocks_are_aligned_and_disjoint);
    RUN(random_churn_keeps_every_byte);
    RUN(realloc_keeps_contents_both_ways);
    RUN(calloc_zeroes_and_checks_overflow);
    RUN(aligned_allocations_honour_alignment);
    RUN(impossible_sizes_fail_with_enomem);
    RUN(threads_allocate_and_free_concurrently);
    return TESTS_DONE();
}
