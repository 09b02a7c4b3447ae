/* flockfile.c — a FILE's recursive lock (stdio_impl.h): the holder may
 * take it again (printf inside a function called with it held). */
#include "lock.h"
#include "pthread_impl.h"
#include "stdio_impl.h"

void __flockfile(FILE *f)
{
    struct __pthread *self = __pthread_self();
    if (f->owner == self) {
        f->depth++;
        return;
    }
    __lock(&f->lock);
    f->owner = self;
    f->depth = 1;
}

void __funlockfile(FILE *f)
{
    if (--f->depth == 0) {
        f->owner = NULL;
        __unlock(&f->lock);
    }
}
