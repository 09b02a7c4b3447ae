/*
 * fwrite.c — the output path: fwrite, fputs, puts, fputc, putc, putchar.
 * Bytes collect in the buffer and go to the backend when it fills, when a
 * line-buffered stream sees a newline, or on fflush; an unbuffered
 * stream writes through at once. Requests larger than the buffer skip it.
 */
#include <errno.h>
#include <string.h>
#include "stdio_impl.h"

/* Hands n bytes to the backend, retrying short writes; returns how many
 * it took. Sets the error indicator on failure. */
size_t __write_through(FILE *f, const unsigned char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = f->ops->write(f, p + done, n - done);
        if (r <= 0) {
            f->flags |= F_ERR;
            break;
        }
        done += (size_t)r;
    }
    return done;
}

/* Prepares f for output: it must be writable, and unread input is
 * dropped (C11 7.21.5.3p7 asks programs to seek or flush in between; this
 * makes a forgotten one harmless). Returns 0 or EOF. */
static int to_writing(FILE *f)
{
    if (f->flags & F_NOWR) {
        f->flags |= F_ERR;
        errno = EBADF;
        return EOF;
    }
    if ((f->rend > f->rpos || f->ungot != EOF) && __drop_input(f) < 0)
        return EOF;
    return 0;
}

/* Buffers n bytes without the line-buffering rule (vfprintf applies it
 * once per call). */
size_t __fwrite_buffered(const void *p, size_t n, FILE *f)
{
    if (to_writing(f) < 0)
        return 0;
    if (f->mode == _IONBF || !f->buf)
        return __write_through(f, p, n);
    if (n > f->size - f->wpos && __fflush_unlocked(f) < 0)
        return 0;
    if (n >= f->size)
        return __write_through(f, p, n);
    memcpy(f->buf + f->wpos, p, n);
    f->wpos += n;
    return n;
}

size_t __fwrite_unlocked(const void *p, size_t n, FILE *f)
{
    size_t done = __fwrite_buffered(p, n, f);
    if (done == n && f->mode == _IOLBF && f->wpos && memchr(p, '\n', n) &&
        __fflush_unlocked(f) < 0)
        return 0;
    return done;
}

size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
    size_t total;
    if (__builtin_mul_overflow(size, n, &total)) {
        errno = EOVERFLOW;
        return 0;
    }
    if (!total)
        return 0;
    __flockfile(f);
    size_t done = __fwrite_unlocked(p, total, f);
    __funlockfile(f);
    return done == total ? n : done / size;
}

int fputs(const char *restrict s, FILE *restrict f)
{
    size_t n = strlen(s);
    return fwrite(s, 1, n, f) == n ? 0 : EOF;
}

int puts(const char *s)
{
    size_t n = strlen(s);
    __flockfile(stdout);
    int r = __fwrite_unlocked(s, n, stdout) == n && __fwrite_unlocked("\n", 1, stdout) == 1
            ? 0 : EOF;
    __funlockfile(stdout);
    return r;
}

int fputc(int c, FILE *f)
{
    unsigned char b = (unsigned char)c;
    __flockfile(f);
    size_t done = __fwrite_unlocked(&b, 1, f);
    __funlockfile(f);
    return done == 1 ? b : EOF;
}

int putc(int c, FILE *f)
{
    return fputc(c, f);
}

int putchar(int c)
{
    return fputc(c, stdout);
}
