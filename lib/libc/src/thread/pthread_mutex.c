/*
 * pthread_mutex.c — POSIX mutexes on libc's futex lock (lock.h). A normal
 * mutex is just the lock word; recursive and error-checking mutexes also
 * record their owner (its TCB) and, for recursive ones, the depth. Timed
 * locks use CLOCK_REALTIME, as POSIX specifies.
 */
#include <errno.h>
#include <limits.h>
#include "lock.h"
#include "pthread_impl.h"

int pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a)
{
    *m = (pthread_mutex_t){ .__type = a ? a->__type : PTHREAD_MUTEX_NORMAL };
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    return m->__state ? EBUSY : 0;
}

/* For an owned mutex already held by the caller: recursion or EDEADLK. */
static int relock_owned(pthread_mutex_t *m)
{
    if (m->__type != PTHREAD_MUTEX_RECURSIVE)
        return EDEADLK;
    if (m->__count == UINT_MAX)
        return EAGAIN;
    m->__count++;
    return 0;
}

static int lock_until(pthread_mutex_t *m, const struct timespec *abs)
{
    if (m->__type == PTHREAD_MUTEX_NORMAL)
        return __lock_until(&m->__state, CLOCK_REALTIME, abs);
    struct __pthread *self = __pthread_self();
    if (m->__owner == self)
        return relock_owned(m);
    int r = __lock_until(&m->__state, CLOCK_REALTIME, abs);
    if (r == 0) {
        m->__owner = self;
        m->__count = 1;
    }
    return r;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    return lock_until(m, NULL);
}

int pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict abs)
{
    return lock_until(m, abs);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (m->__type == PTHREAD_MUTEX_NORMAL)
        return __trylock(&m->__state);
    struct __pthread *self = __pthread_self();
    if (m->__owner == self)
        return m->__type == PTHREAD_MUTEX_RECURSIVE ? relock_owned(m) : EBUSY;
    if (__trylock(&m->__state))
        return EBUSY;
    m->__owner = self;
    m->__count = 1;
    return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (m->__type != PTHREAD_MUTEX_NORMAL) {
        if (m->__owner != __pthread_self())
            return EPERM;
        if (--m->__count)
            return 0;
        m->__owner = NULL;
    }
    __unlock(&m->__state);
    return 0;
}

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    a->__type = PTHREAD_MUTEX_DEFAULT;
    return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    (void)a;
    return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_RECURSIVE &&
        type != PTHREAD_MUTEX_ERRORCHECK)
        return EINVAL;
    a->__type = type;
    return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *restrict a, int *restrict type)
{
    *type = a->__type;
    return 0;
}
