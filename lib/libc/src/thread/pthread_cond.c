/*
 * pthread_cond.c — POSIX condition variables as a sequence counter and a
 * futex. A waiter notes the counter, releases the mutex, and sleeps until
 * the counter moves; signal and broadcast move it and wake one or all.
 * __waiters lets them skip the wake-up call when nobody waits: a waiter
 * counts itself before reading the counter, so a signaller that sees no
 * waiters came before any wait it could have ended. Spurious wake-ups
 * happen (POSIX allows them; callers loop on their predicate).
 */
#include <aerie/errors.h>
#include <errno.h>
#include "atomic.h"
#include "libc.h"
#include "lock.h"
#include "pthread_impl.h"
#include "sys.h"

int pthread_cond_init(pthread_cond_t *restrict c, const pthread_condattr_t *restrict a)
{
    *c = (pthread_cond_t){ .__clock = a ? a->__clock : CLOCK_REALTIME };
    return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
    return c->__waiters ? EBUSY : 0;
}

/* Releases m completely, remembering its depth for reacquire_mutex. */
static unsigned release_mutex(pthread_mutex_t *m)
{
    unsigned depth = m->__count;
    if (m->__type != PTHREAD_MUTEX_NORMAL) {
        m->__count = 0;
        m->__owner = NULL;
    }
    __unlock(&m->__state);
    return depth;
}

static void reacquire_mutex(pthread_mutex_t *m, unsigned depth)
{
    __lock(&m->__state);
    if (m->__type != PTHREAD_MUTEX_NORMAL) {
        m->__owner = __pthread_self();
        m->__count = depth;
    }
}

int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                           const struct timespec *restrict abs)
{
    if (m->__type != PTHREAD_MUTEX_NORMAL && m->__owner != __pthread_self())
        return EPERM;
    if (abs && (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L))
        return EINVAL;
    a_fetch_add((volatile int *)&c->__waiters, 1);
    uint32_t seq = a_load32(&c->__seq);
    unsigned depth = release_mutex(m);
    int r = 0;
    uint64_t ns = ~0ull;
    if (abs)
        r = __ns_until(c->__clock, abs, &ns);
    if (r == 0 && __sys_futex_wait(&c->__seq, seq, ns) == AE_ETIMEOUT)
        r = ETIMEDOUT;
    a_fetch_add((volatile int *)&c->__waiters, -1);
    reacquire_mutex(m, depth);
    return r;
}

int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    return pthread_cond_timedwait(c, m, NULL);
}

static int wake(pthread_cond_t *c, unsigned count)
{
    a_fetch_add((volatile int *)&c->__seq, 1);
    if (a_load32(&c->__waiters))
        __sys_futex_wake(&c->__seq, count);
    return 0;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    return wake(c, 1);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    return wake(c, ~0u);
}

int pthread_condattr_init(pthread_condattr_t *a)
{
    a->__clock = CLOCK_REALTIME;
    return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
    (void)a;
    return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clk)
{
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
        return EINVAL;
    a->__clock = clk;
    return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *restrict a, clockid_t *restrict clk)
{
    *clk = a->__clock;
    return 0;
}
