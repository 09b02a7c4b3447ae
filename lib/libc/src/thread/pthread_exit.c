/*
 * pthread_exit.c — how a thread ends, and who frees its memory.
 *
 * A thread stores its result, runs its TSD destructors, and then:
 *  - joinable: announces THREAD_EXITING and wakes its joiner, which waits
 *    for THREAD_EXITED and then frees the thread's pages;
 *  - detached: puts itself on the zombie list, whose entries are freed by
 *    __reap_zombies once they read THREAD_EXITED.
 * Either way THREAD_EXITED is the thread's very last store, made by
 * __thread_exit_final on its way into __sys_thread_exit, so nobody frees a
 * stack that is still in use. The last thread to exit ends the program
 * with exit(0), as POSIX asks.
 */
#include <stdlib.h>
#include "atomic.h"
#include "lock.h"
#include "pthread_impl.h"
#include "sys.h"

static volatile uint32_t zombie_lock;
static struct __pthread *zombies;       /* detached threads on their way out */

void __reap_zombies(void)
{
    __lock(&zombie_lock);
    for (struct __pthread **pp = &zombies; *pp;) {
        struct __pthread *t = *pp;
        if (a_load32(&t->state) == THREAD_EXITED) {
            *pp = t->zombie_next;
            __sys_pages_free(t->map, t->map_size);
        } else {
            pp = &t->zombie_next;
        }
    }
    __unlock(&zombie_lock);
}

_Noreturn void pthread_exit(void *result)
{
    struct __pthread *self = __pthread_self();
    self->result = result;
    __tsd_run_destructors(self);
    if (a_fetch_add(&__thread_count, -1) == 1)
        exit(0);
    uint32_t old = a_swap32(&self->state, THREAD_EXITING);
    if (old == THREAD_DETACHED && self->map) {
        __lock(&zombie_lock);
        self->zombie_next = zombies;
        zombies = self;
        __unlock(&zombie_lock);
    } else if (old != THREAD_DETACHED) {
        __sys_futex_wake(&self->state, ~0u);
    }
    __thread_exit_final(&self->state);
}
