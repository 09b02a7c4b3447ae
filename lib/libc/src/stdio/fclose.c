/*
 * fclose.c — C11 7.21.5.1: flushes, releases the backend (closing its
 * descriptor) and frees what stdio allocated. The standard streams are
 * static: closing one closes its descriptor and leaves the object.
 */
#include <stdlib.h>
#include "stdio_impl.h"

int fclose(FILE *f)
{
    __file_unlink(f);           /* first: the list lock is never taken under a FILE lock */
    __flockfile(f);
    int r = __fflush_unlocked(f);
    if (f->ops->close && f->ops->close(f) < 0)
        r = EOF;
    if (f->flags & F_FREE_BUF)
        free(f->buf);
    f->buf = NULL;
    f->flags |= F_NORD | F_NOWR;
    __funlockfile(f);
    if (f->flags & F_FREE_FILE)
        free(f);
    return r;
}
