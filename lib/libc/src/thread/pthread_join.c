/*
 * pthread_join.c — POSIX pthread_join and pthread_detach. The joiner
 * sleeps on the thread's state word; THREAD_EXITING lasts only the few
 * instructions between the thread's wake-up call and its final store, so
 * it is waited out with yields.
 */
#include <errno.h>
#include "atomic.h"
#include "pthread_impl.h"
#include "sys.h"

int pthread_join(pthread_t t, void **result)
{
    if (t == __pthread_self())
        return EDEADLK;
    uint32_t s;
    while ((s = a_load32(&t->state)) != THREAD_EXITED) {
        if (s == THREAD_DETACHED)
            return EINVAL;
        if (s == THREAD_EXITING)
            __sys_yield();
        else
            __sys_futex_wait(&t->state, s, ~0ull);
    }
    if (result)
        *result = t->result;
    if (t->map)
        __sys_pages_free(t->map, t->map_size);
    return 0;
}

int pthread_detach(pthread_t t)
{
    uint32_t old = a_cas32(&t->state, THREAD_JOINABLE, THREAD_DETACHED);
    if (old == THREAD_JOINABLE)
        return 0;
    if (old == THREAD_DETACHED)
        return EINVAL;
    return pthread_join(t, NULL);   /* it is already exiting: reclaim it now */
}
