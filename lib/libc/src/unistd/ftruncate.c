/* ftruncate.c — POSIX ftruncate; EINVAL for a negative size or a
 * descriptor that is not a regular file. */
#include <errno.h>
#include <unistd.h>
#include "fd.h"
#include "libc.h"

int ftruncate(int fd, off_t size)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r < 0)
        return (int)__ae_ret(r);
    if (!ops->ftruncate || size < 0) {
        errno = EINVAL;
        return -1;
    }
    return (int)__ae_ret(ops->ftruncate(obj, size));
}
