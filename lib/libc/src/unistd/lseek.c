/* lseek.c — POSIX lseek through the descriptor's ops; a descriptor with
 * no lseek op is a pipe or a terminal to POSIX: ESPIPE. */
#include <errno.h>
#include <unistd.h>
#include "fd.h"
#include "libc.h"

off_t lseek(int fd, off_t off, int whence)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r < 0)
        return __ae_ret(r);
    if (!ops->lseek) {
        errno = ESPIPE;
        return -1;
    }
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) {
        errno = EINVAL;
        return -1;
    }
    return __ae_ret(ops->lseek(obj, off, whence));
}
