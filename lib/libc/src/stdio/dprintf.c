/* dprintf.c — POSIX dprintf and vdprintf: printf straight to a file
 * descriptor, in blocks of up to 256 bytes, without any FILE. */
#include <string.h>
#include <unistd.h>
#include "stdio_impl.h"

struct fd_sink {
    int fd;
    bool failed;
    size_t n;
    char buf[256];
};

static void fd_sink_flush(struct fd_sink *s)
{
    for (size_t done = 0; done < s->n && !s->failed;) {
        ssize_t r = write(s->fd, s->buf + done, s->n - done);
        if (r <= 0)
            s->failed = true;
        else
            done += (size_t)r;
    }
    s->n = 0;
}

static void fd_sink_write(void *ctx, const char *p, size_t n)
{
    struct fd_sink *s = ctx;
    while (n && !s->failed) {
        size_t k = sizeof s->buf - s->n;
        if (k > n)
            k = n;
        memcpy(s->buf + s->n, p, k);
        s->n += k;
        p += k;
        n -= k;
        if (s->n == sizeof s->buf)
            fd_sink_flush(s);
    }
}

int vdprintf(int fd, const char *restrict fmt, va_list ap)
{
    struct fd_sink s = { .fd = fd };
    int n = fmt_vformat_hook(fd_sink_write, &s, __fmt_hook, fmt, ap);
    fd_sink_flush(&s);
    return s.failed ? -1 : n;
}

int dprintf(int fd, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}
