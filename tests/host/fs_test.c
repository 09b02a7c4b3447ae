/*
 * fs_test.c — the host environment for the fs core's tests (fs_test.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "fs_test.h"
#include "imgbuild.h"

struct test_env T;

static uint8_t *archives[256];
static unsigned narchives;
static uint64_t narchive_len;                   /* the last one's length */

uint8_t *test_last_archive(uint64_t *len)
{
    *len = narchive_len;
    return narchives ? archives[(narchives - 1) % 256] : NULL;
}

void test_archives_free(void)
{
    for (unsigned i = 0; i < narchives && i < 256; i++)
        free(archives[i]);
    narchives = 0;
}

/* Live pages and their environments, for test_env_vanish_pages. */
static struct { void *page; struct test_env *env; } *live;
static size_t nlive, live_cap;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static void live_add(struct test_env *t, void *p)
{
    pthread_mutex_lock(&live_lock);
    if (nlive == live_cap) {
        live_cap = live_cap ? 2 * live_cap : 1024;
        live = realloc(live, live_cap * sizeof *live);
    }
    live[nlive].page = p;
    live[nlive++].env = t;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(void *p)
{
    pthread_mutex_lock(&live_lock);
    for (size_t i = nlive; i-- > 0;) {
        if (live[i].page == p) {
            live[i] = live[--nlive];
            break;
        }
    }
    pthread_mutex_unlock(&live_lock);
}

void test_env_vanish_pages(struct test_env *t)
{
    pthread_mutex_lock(&live_lock);
    for (size_t i = nlive; i-- > 0;) {
        if (live[i].env == t) {
            free(live[i].page);
            live[i] = live[--nlive];
        }
    }
    t->pages_live = 0;
    pthread_mutex_unlock(&live_lock);
}

static bool may_alloc(long *budget)
{
    for (;;) {
        long b = __atomic_load_n(budget, __ATOMIC_RELAXED);
        if (b < 0)
            return true;
        if (b == 0)
            return false;
        if (__atomic_compare_exchange_n(budget, &b, b - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return true;
    }
}

static int t_page_alloc(void *ctx, void **page)
{
    struct test_env *t = ctx;
    __atomic_add_fetch(&t->page_calls, 1, __ATOMIC_RELAXED);
    if (!may_alloc(&t->fail_pages_after))
        return t->fail_pages_error ? t->fail_pages_error : AE_ENOMEM;
    void *p = aligned_alloc(4096, 4096);
    if (!p)
        return AE_ENOMEM;
    memset(p, 0xee, 4096);                       /* the core must not rely on zeroed pages */
    __atomic_add_fetch(&t->pages_live, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&t->pages_total, 1, __ATOMIC_RELAXED);
    live_add(t, p);
    *page = p;
    return 0;
}

static void t_page_free(void *ctx, void *page)
{
    struct test_env *t = ctx;
    __atomic_add_fetch(&t->page_calls, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&t->pages_live, 1, __ATOMIC_RELAXED);
    live_remove(page);
    free(page);
}

static void *t_mem_alloc(void *ctx, size_t size)
{
    struct test_env *t = ctx;
    if (!may_alloc(&t->fail_mem_after))
        return NULL;
    void *p = malloc(size);
    if (p)
        __atomic_add_fetch(&t->mem_live, (long)size, __ATOMIC_RELAXED);
    return p;
}

static void t_mem_free(void *ctx, void *p, size_t size)
{
    struct test_env *t = ctx;
    __atomic_sub_fetch(&t->mem_live, (long)size, __ATOMIC_RELAXED);
    free(p);
}

static void *t_lock_new(void *ctx)
{
    struct test_env *t = ctx;
    if (!may_alloc(&t->fail_mem_after))
        return NULL;                             /* locks fail like metadata */
    pthread_mutex_t *m = malloc(sizeof *m);
    if (m)
        pthread_mutex_init(m, NULL);
    return m;
}

static void t_lock_free(void *ctx, void *lock)
{
    pthread_mutex_destroy(lock);
    free(lock);
}

static uint64_t t_now(void *ctx)
{
    return __atomic_load_n(&((struct test_env *)ctx)->clock, __ATOMIC_RELAXED);
}

static void t_lock(void *lock) { pthread_mutex_lock(lock); }
static void t_unlock(void *lock) { pthread_mutex_unlock(lock); }

void test_env_init(struct test_env *t)
{
    pthread_mutex_lock(&live_lock);
    for (size_t i = nlive; i-- > 0;)             /* the last test freed its pages */
        if (live[i].env == t)
            live[i] = live[--nlive];
    pthread_mutex_unlock(&live_lock);
    memset(t, 0, sizeof *t);
    t->env = (struct fs_env){
        .ctx = t, .page_alloc = t_page_alloc, .page_free = t_page_free,
        .mem_alloc = t_mem_alloc, .mem_free = t_mem_free,
        .lock_new = t_lock_new, .lock_free = t_lock_free, .lock = t_lock, .unlock = t_unlock,
        .now = t_now,
    };
    t->fail_pages_after = -1;
    t->fail_mem_after = -1;
}

const struct fs_path *P(const char *path)
{
    static __thread struct fs_path ring[16];     /* per thread: tests call from several */
    static __thread unsigned next;
    struct fs_path *p = &ring[next++ % 16];
    int r = fs_path_parse(path, strlen(path), p);
    if (r) {
        fprintf(stderr, "P(\"%s\"): %d\n", path, r);
        abort();
    }
    return p;
}

struct fs_limits big_limits(void)
{
    return (struct fs_limits){ .data_bytes = 1ull << 36, .inodes = 100000, .handles = 1024 };
}

struct fs_image *make_image(const char *first, ...)
{
    struct imgb *b = imgb_new();
    char why[256];
    va_list ap;
    va_start(ap, first);
    for (const char *path = first; path; path = va_arg(ap, const char *)) {
        const char *data = va_arg(ap, const char *);
        size_t n = strlen(path);
        int r = path[0] == '@' ? imgb_add_link(b, path + 1, data, strlen(data), why, sizeof why)
              : n && path[n - 1] == '/' ? imgb_add_dir(b, path, 0755, why, sizeof why)
                                        : imgb_add_file(b, path, 0644, data, strlen(data), why, sizeof why);
        if (r) {
            fprintf(stderr, "make_image: %s\n", why);
            abort();
        }
    }
    va_end(ap);
    uint8_t *buf;
    uint64_t len;
    if (imgb_finish(b, &buf, &len, why, sizeof why)) {
        fprintf(stderr, "make_image: %s\n", why);
        abort();
    }
    imgb_free(b);
    struct fs_image *img;
    struct img_error err;
    if (fs_image_create(&T.env, buf, len, &img, &err)) {
        fprintf(stderr, "make_image: %s %s\n", err.field, err.reason);
        abort();
    }
    /* The archive must outlive the image: kept until test_archives_free. */
    archives[narchives++ % 256] = buf;
    narchive_len = len;
    return img;
}

int64_t put_file(struct fs_session *s, const char *path, const void *data, uint64_t len)
{
    uint64_t h;
    int r = fs_open(s, P(path), FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644, &h, NULL);
    if (r)
        return r;
    int64_t n = fs_write(s, h, 0, data, len);
    fs_close(s, h);
    return n;
}

int64_t get_file(struct fs_session *s, const char *path, void *buf, uint64_t cap)
{
    uint64_t h;
    int r = fs_open(s, P(path), FS_O_RDONLY, 0, &h, NULL);
    if (r)
        return r;
    int64_t n = fs_read(s, h, 0, buf, cap);
    fs_close(s, h);
    return n;
}

struct names {
    char *list[4096];
    int n;
};

static int collect(void *ctx, const char *name, size_t len, uint32_t type, uint64_t ino,
                   uint64_t cookie, const struct fs_stat *st)
{
    (void)st;
    struct names *ns = ctx;
    if (ns->n < 4096)
        ns->list[ns->n++] = strndup(name, len);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dir(struct fs_session *s, const char *path, char *out, size_t cap)
{
    uint64_t h;
    int r = fs_open(s, P(path), FS_O_RDONLY | FS_O_DIRECTORY, 0, &h, NULL);
    if (r)
        return r;
    static __thread struct names ns;
    ns.n = 0;
    bool eof;
    r = fs_readdir(s, h, 0, collect, &ns, &eof);
    fs_close(s, h);
    if (r)
        return r;
    qsort(ns.list, ns.n, sizeof ns.list[0], cmp_str);
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < ns.n; i++) {
        o += snprintf(out + o, o < cap ? cap - o : 0, "%s%s", i ? " " : "", ns.list[i]);
        free(ns.list[i]);
    }
    return ns.n;
}
