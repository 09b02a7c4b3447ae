/*
 * fflush.c — C11 7.21.5.2: writes out pending output; on an input stream
 * (a POSIX extension) drops read-ahead, moving the backend back to the
 * position the program has read to. fflush(NULL) flushes every stream.
 */
#include "stdio_impl.h"

int __fflush_unlocked(FILE *f)
{
    if (f->wpos) {
        size_t n = f->wpos;
        size_t done = __write_through(f, f->buf, n);
        f->wpos = 0;                /* what failed is dropped, as its error is reported */
        if (done < n)
            return EOF;
    }
    if (f->rend > f->rpos || f->ungot != EOF)
        return __drop_input(f) < 0 ? EOF : 0;
    return 0;
}

int fflush(FILE *f)
{
    if (!f)
        return __fflush_all();
    __flockfile(f);
    int r = __fflush_unlocked(f);
    __funlockfile(f);
    return r;
}
