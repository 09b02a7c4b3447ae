/* pthread_self.c — POSIX pthread_self and pthread_equal; a pthread_t is
 * the thread's TCB. */
#include "pthread_impl.h"

pthread_t pthread_self(void)
{
    return __pthread_self();
}

int pthread_equal(pthread_t a, pthread_t b)
{
    return a == b;
}
