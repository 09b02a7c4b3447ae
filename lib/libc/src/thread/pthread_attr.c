/* pthread_attr.c — POSIX thread attributes: stack size and detach state. */
#include <errno.h>
#include <limits.h>
#include "pthread_impl.h"

int pthread_attr_init(pthread_attr_t *a)
{
    *a = (pthread_attr_t){ .__stacksize = DEFAULT_STACK_SIZE };
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
    (void)a;
    return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
    if (size < PTHREAD_STACK_MIN || size > SIZE_MAX / 4)
        return EINVAL;
    a->__stacksize = size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *restrict a, size_t *restrict size)
{
    *size = a->__stacksize;
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int state)
{
    if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    a->__detached = state == PTHREAD_CREATE_DETACHED;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state)
{
    *state = a->__detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE;
    return 0;
}
