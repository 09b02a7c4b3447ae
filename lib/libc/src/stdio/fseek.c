/*
 * fseek.c — C11 7.21.9: fseek, ftell, rewind, fgetpos, fsetpos. The
 * position a program sees is the backend's minus unread input plus
 * unwritten output.
 */
#include <errno.h>
#include <limits.h>
#include "stdio_impl.h"

static int seek_unlocked(FILE *f, off_t off, int whence)
{
    if (!f->ops->seek) {
        errno = ESPIPE;
        return -1;
    }
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) {
        errno = EINVAL;
        return -1;
    }
    if (whence == SEEK_CUR)
        off -= (off_t)(f->rend - f->rpos) + (f->ungot != EOF);
    if (f->wpos && __fflush_unlocked(f) < 0)
        return -1;
    f->rpos = f->rend = 0;
    f->ungot = EOF;
    if (f->ops->seek(f, off, whence) < 0)
        return -1;
    f->flags &= ~(unsigned)F_EOF;
    return 0;
}

int fseek(FILE *f, long off, int whence)
{
    __flockfile(f);
    int r = seek_unlocked(f, off, whence);
    __funlockfile(f);
    return r;
}

static off_t tell_unlocked(FILE *f)
{
    if (!f->ops->seek) {
        errno = ESPIPE;
        return -1;
    }
    off_t pos = f->ops->seek(f, 0, SEEK_CUR);
    if (pos < 0)
        return -1;
    return pos - (off_t)(f->rend - f->rpos) - (f->ungot != EOF) + (off_t)f->wpos;
}

long ftell(FILE *f)
{
    __flockfile(f);
    off_t pos = tell_unlocked(f);
    __funlockfile(f);
    return pos;
}

void rewind(FILE *f)
{
    __flockfile(f);
    seek_unlocked(f, 0, SEEK_SET);
    f->flags &= ~(unsigned)F_ERR;
    __funlockfile(f);
}

int fgetpos(FILE *restrict f, fpos_t *restrict pos)
{
    long p = ftell(f);
    if (p < 0)
        return -1;
    pos->__pos = p;
    return 0;
}

int fsetpos(FILE *f, const fpos_t *pos)
{
    return fseek(f, (long)pos->__pos, SEEK_SET);
}
