/*
 * env.c — the parts of struct fs_env on Aerie that every session shares:
 * locks are futex mutexes (pthread_mutex_t) — a holder may copy a whole
 * buffer, so waiters sleep instead of spinning — and times come from the
 * realtime clock. Memory is per session: acct.c fills it in.
 */
#include <stdlib.h>
#include <time.h>
#include "service.h"

static void *lock_new(void *ctx)
{
    (void)ctx;
    pthread_mutex_t *m = malloc(sizeof *m);
    if (m && p_mutex_init(m)) {
        free(m);
        m = NULL;
    }
    return m;
}

static void lock_free(void *ctx, void *lock)
{
    (void)ctx;
    p_mutex_destroy(lock);
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
        .lock_new = lock_new, .lock_free = lock_free, .lock = lock, .unlock = unlock, .now = now,
    };
}
