/*
 * fread.c — the input path: fgetc, getc, getchar, fgets, fread, ungetc.
 * The buffer is refilled from the backend when empty; an unbuffered
 * stream reads one byte at a time so it never takes more than it hands
 * out. One byte of ungetc push-back is kept apart from the buffer (C11
 * 7.21.7.10 guarantees one). Every readable FILE has a buffer (only
 * stderr, write-only, has none).
 */
#include <errno.h>
#include <string.h>
#include "stdio_impl.h"

/* Reads up to n bytes from the backend into dst, setting the indicators
 * at end of file or error; returns the count (0: nothing). */
static size_t backend_read(FILE *f, unsigned char *dst, size_t n)
{
    if ((f->flags & F_NORD) || !f->buf) {
        f->flags |= F_ERR;
        errno = EBADF;
        return 0;
    }
    if (f->wpos && __fflush_unlocked(f) < 0)
        return 0;
    ssize_t r = f->ops->read(f, dst, n);
    if (r > 0)
        return (size_t)r;
    f->flags |= r == 0 ? F_EOF : F_ERR;
    return 0;
}

/* Refills the empty buffer; returns the bytes now in it. */
static size_t fill(FILE *f)
{
    size_t n = backend_read(f, f->buf, f->mode == _IONBF ? 1 : f->size);
    f->rpos = 0;
    f->rend = n;
    return n;
}

int __fgetc_unlocked(FILE *f)
{
    if (f->ungot != EOF) {
        int c = f->ungot;
        f->ungot = EOF;
        return c;
    }
    if (f->rpos == f->rend && !fill(f))
        return EOF;
    return f->buf[f->rpos++];
}

int fgetc(FILE *f)
{
    __flockfile(f);
    int c = __fgetc_unlocked(f);
    __funlockfile(f);
    return c;
}

int getc(FILE *f)
{
    return fgetc(f);
}

int getchar(void)
{
    return fgetc(stdin);
}

/* C11 7.21.7.2: NULL if end of file came before any byte, or on an error. */
char *fgets(char *restrict s, int n, FILE *restrict f)
{
    if (n <= 0)
        return NULL;
    __flockfile(f);
    int i = 0, c = 0;
    while (i < n - 1 && (c = __fgetc_unlocked(f)) != EOF) {
        s[i++] = (char)c;
        if (c == '\n')
            break;
    }
    bool failed = c == EOF && (i == 0 || (f->flags & F_ERR));
    __funlockfile(f);
    if (failed)
        return NULL;
    s[i] = 0;
    return s;
}

size_t fread(void *restrict p, size_t size, size_t n, FILE *restrict f)
{
    size_t total;
    if (__builtin_mul_overflow(size, n, &total) || !total)
        return 0;
    unsigned char *d = p;
    size_t done = 0;
    __flockfile(f);
    if (f->ungot != EOF) {
        d[done++] = (unsigned char)f->ungot;
        f->ungot = EOF;
    }
    while (done < total) {
        size_t avail = f->rend - f->rpos;
        if (avail) {
            size_t k = avail < total - done ? avail : total - done;
            memcpy(d + done, f->buf + f->rpos, k);
            f->rpos += k;
            done += k;
        } else if (f->mode != _IONBF && total - done >= f->size) {
            size_t k = backend_read(f, d + done, total - done);     /* skip the buffer */
            if (!k)
                break;
            done += k;
        } else if (!fill(f)) {
            break;
        }
    }
    __funlockfile(f);
    return done / size;
}

int ungetc(int c, FILE *f)
{
    if (c == EOF)
        return EOF;
    __flockfile(f);
    int r = EOF;
    if (f->ungot == EOF) {
        f->ungot = (unsigned char)c;
        f->flags &= ~(unsigned)F_EOF;
        r = f->ungot;
    }
    __funlockfile(f);
    return r;
}

int __drop_input(FILE *f)
{
    off_t unread = (off_t)(f->rend - f->rpos) + (f->ungot != EOF);
    f->rpos = f->rend = 0;
    f->ungot = EOF;
    if (unread && f->ops->seek) {
        int saved = errno;
        if (f->ops->seek(f, -unread, SEEK_CUR) < 0)
            errno = saved;      /* not seekable (a console): the read-ahead is lost */
    }
    return 0;
}
