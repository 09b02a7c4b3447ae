/*
 * fcntl.c — POSIX fcntl, as far as Aerie's descriptors have flags:
 * F_GETFL/F_SETFL carry O_NONBLOCK for sockets (other descriptors accept
 * it and stay as they are: files and the console never block long);
 * F_GETFD/F_SETFD accept FD_CLOEXEC (there is no exec to close at).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <errno.h>
#include "fd.h"
#include "libc.h"
#include "socket_impl.h"

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = cmd == F_SETFL || cmd == F_SETFD ? va_arg(ap, long) : 0;
    va_end(ap);
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r)
        return (int)__ae_ret(r);
    struct sock *s = ops == &__socket_fd_ops ? obj : NULL;
    switch (cmd) {
    case F_GETFD:
    case F_SETFD:
        return 0;
    case F_GETFL:
        return O_RDWR | (s && s->nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
        if (s) {
            __net_lock();
            s->nonblock = (arg & O_NONBLOCK) != 0;
            __net_unlock();
        }
        return 0;
    default:
        errno = EINVAL;
        return -1;
    }
}
