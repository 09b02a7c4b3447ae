/*
 * fd_file.c — the FILE backend over a file descriptor (read, write,
 * lseek, close through the fd table), __file_new for any backend, and
 * POSIX fdopen and fileno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "stdio_impl.h"

static ssize_t fd_read(FILE *f, unsigned char *buf, size_t n)
{
    return read(f->fd, buf, n);
}

static ssize_t fd_write(FILE *f, const unsigned char *buf, size_t n)
{
    return write(f->fd, buf, n);
}

static off_t fd_seek(FILE *f, off_t off, int whence)
{
    return lseek(f->fd, off, whence);
}

static int fd_close(FILE *f)
{
    return close(f->fd);
}

const struct file_ops __fd_file_ops = {
    .read = fd_read,
    .write = fd_write,
    .seek = fd_seek,
    .close = fd_close,
};

/* Parses an fopen mode (C11 7.21.5.3): r, w or a, then any of + b x. */
static int mode_flags(const char *mode, unsigned *flags)
{
    switch (*mode) {
    case 'r': *flags = F_NOWR; break;
    case 'w': case 'a': *flags = F_NORD; break;
    default: return -1;
    }
    if (strchr(mode, '+'))
        *flags = 0;
    return 0;
}

FILE *__file_new(const struct file_ops *ops, void *cookie, int fd, const char *mode)
{
    unsigned flags;
    if (mode_flags(mode, &flags) < 0) {
        errno = EINVAL;
        return NULL;
    }
    FILE *f = calloc(1, sizeof *f + BUFSIZ);
    if (!f)
        return NULL;
    f->ops = ops;
    f->cookie = cookie;
    f->fd = fd;
    f->flags = flags | F_FREE_FILE;
    f->mode = _IOFBF;
    f->buf = (unsigned char *)(f + 1);
    f->size = BUFSIZ;
    f->ungot = EOF;
    __file_link(f);
    return f;
}

FILE *fdopen(int fd, const char *mode)
{
    struct stat st = { 0 };
    if (fstat(fd, &st) < 0 && errno == EBADF)
        return NULL;
    FILE *f = __file_new(&__fd_file_ops, NULL, fd, mode);
    if (f && S_ISCHR(st.st_mode))
        f->mode = _IOLBF;       /* a terminal-like device is interactive */
    return f;
}

int fileno(FILE *f)
{
    if (f->fd < 0) {
        errno = EBADF;
        return -1;
    }
    return f->fd;
}
