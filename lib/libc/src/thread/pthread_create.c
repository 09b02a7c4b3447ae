/*
 * pthread_create.c — POSIX pthread_create: one page run per thread holding
 * its stack, TLS block and TCB (pthread_impl.h), then __sys_thread_create
 * with the thread pointer as its FS base. Memory of detached threads that
 * have exited is reclaimed here, before asking for more.
 */
#include <aerie/errors.h>
#include <errno.h>
#include "atomic.h"
#include "libc.h"
#include "pthread_impl.h"
#include "sys.h"

#define PAGE 4096

volatile int __thread_count = 1;        /* the main thread */

static void thread_entry(void *arg)
{
    struct __pthread *self = arg;
    pthread_exit(self->start(self->arg));
}

int pthread_create(pthread_t *restrict res, const pthread_attr_t *restrict attr,
                   void *(*start)(void *), void *restrict arg)
{
    size_t stack = attr && attr->__stacksize ? attr->__stacksize : DEFAULT_STACK_SIZE;
    __reap_zombies();
    size_t size = (stack + __tls_area_size() + PAGE - 1) & ~(size_t)(PAGE - 1);
    void *map = __sys_pages_alloc(size);
    if (!map)
        return EAGAIN;
    struct __pthread *t = __tls_install(map, size);
    t->map = map;
    t->map_size = size;
    t->start = start;
    t->arg = arg;
    t->state = attr && attr->__detached ? THREAD_DETACHED : THREAD_JOINABLE;
    uintptr_t stack_top = ((uintptr_t)t - __libc.tls_block) & ~(uintptr_t)15;

    a_fetch_add(&__thread_count, 1);
    *res = t;               /* before it runs, so the thread may read its own id there */
    uint64_t handle;        /* not kept: t may be gone by the time we return */
    int r = __sys_thread_create(thread_entry, t, (void *)stack_top, t, &handle);
    if (r < 0) {
        a_fetch_add(&__thread_count, -1);
        __sys_pages_free(map, size);
        return r == AE_ENOMEM || r == AE_ELIMIT ? EAGAIN : __errno_from_ae(r);
    }
    return 0;
}
