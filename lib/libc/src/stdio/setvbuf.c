/*
 * setvbuf.c — C11 7.21.5.6: chooses the buffering mode, and optionally
 * the buffer, before the first operation on the stream. A NULL buf keeps
 * the current buffer (or allocates one of size bytes if there is none).
 * Called later than C allows, it first flushes, so no output is lost or
 * reordered.
 */
#include <stdlib.h>
#include "stdio_impl.h"

int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
        return EOF;
    __flockfile(f);
    int r = __fflush_unlocked(f);
    if (r == 0 && buf && size) {
        if (f->flags & F_FREE_BUF)
            free(f->buf);
        f->flags &= ~(unsigned)F_FREE_BUF;
        f->buf = (unsigned char *)buf;
        f->size = size;
    } else if (r == 0 && !f->buf && mode != _IONBF) {
        size_t n = size ? size : BUFSIZ;
        f->buf = malloc(n);
        if (f->buf) {
            f->size = n;
            f->flags |= F_FREE_BUF;
        } else {
            r = EOF;
        }
    }
    if (r == 0)
        f->mode = mode;
    __funlockfile(f);
    return r;
}

void setbuf(FILE *restrict f, char *restrict buf)
{
    setvbuf(f, buf, buf ? _IOFBF : _IONBF, BUFSIZ);
}
