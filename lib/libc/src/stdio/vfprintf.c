/*
 * vfprintf.c — the printf family that writes to a FILE: vfprintf,
 * fprintf, printf, vprintf. The fmt engine (with libc's hook for floating
 * point and %n) produces pieces; they go into the FILE's buffer, and a
 * line-buffered stream is flushed once at the end of the call if a
 * newline went by, so one printf is one write. An unbuffered stream
 * (stderr) gets a stack buffer for the call, for the same reason. The
 * FILE stays locked for the whole call: one printf's text is never split
 * by another thread's.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "stdio_impl.h"

#define STAGE_SIZE 256

struct file_sink {
    FILE *f;
    bool newline;               /* a '\n' went by (line buffering) */
    bool failed;
    size_t staged;              /* unbuffered streams: bytes in stage[] */
    unsigned char stage[STAGE_SIZE];
};

static void flush_stage(struct file_sink *s)
{
    if (s->staged && __write_through(s->f, s->stage, s->staged) < s->staged)
        s->failed = true;
    s->staged = 0;
}

static void file_sink_write(void *ctx, const char *p, size_t n)
{
    struct file_sink *s = ctx;
    if (s->failed)
        return;
    if (s->f->mode == _IONBF) {
        if (s->staged + n > sizeof s->stage)
            flush_stage(s);
        if (n >= sizeof s->stage) {
            if (__write_through(s->f, (const unsigned char *)p, n) < n)
                s->failed = true;
            return;
        }
        memcpy(s->stage + s->staged, p, n);
        s->staged += n;
        return;
    }
    if (__fwrite_buffered(p, n, s->f) < n)
        s->failed = true;
    else if (!s->newline && memchr(p, '\n', n))
        s->newline = true;
}

int __vfprintf_unlocked(FILE *f, const char *fmt, va_list ap)
{
    if (f->flags & F_NOWR) {
        f->flags |= F_ERR;
        errno = EBADF;
        return -1;
    }
    struct file_sink s = { .f = f };
    int n = fmt_vformat_hook(file_sink_write, &s, __fmt_hook, fmt, ap);
    flush_stage(&s);
    if (!s.failed && s.newline && f->mode == _IOLBF && __fflush_unlocked(f) < 0)
        s.failed = true;
    return s.failed ? -1 : n;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
    __flockfile(f);
    int n = __vfprintf_unlocked(f, fmt, ap);
    __funlockfile(f);
    return n;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}
