/* read.c — POSIX read through the descriptor's ops. */
#include <aerie/errors.h>
#include <unistd.h>
#include "fd.h"
#include "libc.h"

ssize_t read(int fd, void *buf, size_t n)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r < 0)
        return __ae_ret(r);
    return __ae_ret(ops->read ? ops->read(obj, buf, n) : AE_EBADF);
}
