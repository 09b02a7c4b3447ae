/*
 * pthread_once.c — POSIX pthread_once: 0 not run, 1 running, 2 done. The
 * first caller runs fn; others sleep on the word until it is done. (No
 * cancellation, so fn always finishes.)
 */
#include "atomic.h"
#include "pthread_impl.h"
#include "sys.h"

int pthread_once(pthread_once_t *once, void (*fn)(void))
{
    volatile uint32_t *s = (volatile uint32_t *)once;
    if (a_load32(s) == 2)
        return 0;
    if (a_cas32(s, 0, 1) == 0) {
        fn();
        a_store32(s, 2);
        __sys_futex_wake(s, ~0u);
        return 0;
    }
    uint32_t v;
    while ((v = a_load32(s)) != 2)
        __sys_futex_wait(s, v, ~0ull);
    return 0;
}
