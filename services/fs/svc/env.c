/*
 * env.c — struct fs_env on Aerie. File data pages come from a pool that
 * grows in POOL_CHUNK steps of memory from the service's own quota (one
 * Memory object per chunk, so a large file costs few kernel objects);
 * freed pages return to the pool, not to the quota. Metadata comes from
 * malloc. Locks are futex mutexes (pthread_mutex_t): a holder may copy a
 * whole buffer, so waiters sleep instead of spinning. Times come from the
 * realtime clock.
 */
#include <stdlib.h>
#include <time.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

#define PAGE       4096u
#define POOL_CHUNK (256u << 10)

/* pool_lock guards everything below; it is a leaf (taken under core locks). */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *free_pages;              /* a list threaded through the pages */
static uint8_t *chunk_next, *chunk_end;
static uint64_t pages_in_use, pages_pooled;

static void *page_alloc(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&pool_lock);
    void *p = free_pages;
    if (p) {
        free_pages = *(void **)p;
    } else {
        if (chunk_next == chunk_end) {
            uint64_t slot;
            uint8_t *c = ae_mem_map_new(POOL_CHUNK, &slot);
            if (c) {
                ae_cap_delete(slot);  /* the mapping keeps it */
                ae_slot_free(slot);
                chunk_next = c;
                chunk_end = c + POOL_CHUNK;
                pages_pooled += POOL_CHUNK / PAGE;
            }
        }
        if (chunk_next != chunk_end) {
            p = chunk_next;
            chunk_next += PAGE;
        }
    }
    if (p)
        pages_in_use++;
    pthread_mutex_unlock(&pool_lock);
    return p;
}

static void page_free(void *ctx, void *page)
{
    (void)ctx;
    pthread_mutex_lock(&pool_lock);
    *(void **)page = free_pages;
    free_pages = page;
    pages_in_use--;
    pthread_mutex_unlock(&pool_lock);
}

uint64_t env_pages_in_use(void)
{
    pthread_mutex_lock(&pool_lock);
    uint64_t n = pages_in_use;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

uint64_t env_pages_pooled(void)
{
    pthread_mutex_lock(&pool_lock);
    uint64_t n = pages_pooled;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

static void *mem_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void mem_free(void *ctx, void *p, size_t size)
{
    (void)ctx, (void)size;
    free(p);
}

static void *lock_new(void *ctx)
{
    (void)ctx;
    pthread_mutex_t *m = malloc(sizeof *m);
    if (m && pthread_mutex_init(m, NULL)) {
        free(m);
        m = NULL;
    }
    return m;
}

static void lock_free(void *ctx, void *lock)
{
    (void)ctx;
    pthread_mutex_destroy(lock);
    free(lock);
}

static uint64_t now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lock(void *l) { pthread_mutex_lock(l); }
static void unlock(void *l) { pthread_mutex_unlock(l); }

void env_init(struct fs_env *env)
{
    *env = (struct fs_env){
        .page_alloc = page_alloc, .page_free = page_free,
        .mem_alloc = mem_alloc, .mem_free = mem_free,
        .lock_new = lock_new, .lock_free = lock_free, .lock = lock, .unlock = unlock,
        .now = now,
    };
}
