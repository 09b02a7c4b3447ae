/* pwrite.c — POSIX pwrite: a write at an offset that leaves the file
 * position alone; a descriptor that cannot seek gives ESPIPE. */
#include <errno.h>
#include <unistd.h>
#include "fd.h"
#include "libc.h"

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r < 0)
        return __ae_ret(r);
    if (!ops->pwrite) {
        errno = ESPIPE;
        return -1;
    }
    if (off < 0) {
        errno = EINVAL;
        return -1;
    }
    return __ae_ret(ops->pwrite(obj, buf, n, off));
}
