/* fstat.c — POSIX fstat through the descriptor's ops. */
#include <errno.h>
#include <sys/stat.h>
#include "fd.h"
#include "libc.h"

int fstat(int fd, struct stat *st)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r < 0)
        return (int)__ae_ret(r);
    if (!ops->fstat) {
        errno = ENOSYS;
        return -1;
    }
    return (int)__ae_ret(ops->fstat(obj, st));
}
