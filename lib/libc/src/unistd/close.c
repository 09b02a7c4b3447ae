/* close.c — POSIX close: frees the slot, then lets the ops release the
 * object. The descriptor is closed even if that reports an error (POSIX
 * leaves it unspecified; Linux does the same). */
#include <unistd.h>
#include "fd.h"
#include "libc.h"

int close(int fd)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_remove(fd, &ops, &obj);
    if (r < 0)
        return (int)__ae_ret(r);
    return (int)__ae_ret(ops->close ? ops->close(obj) : 0);
}
