/* open.c — POSIX open and creat: the file system opens the file
 * (__sys_open) and the fd table names it. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include "fd.h"
#include "libc.h"
#include "sys.h"

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    const struct fd_ops *ops;
    void *obj;
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    if (!r)
        r = __sys_open(path, flags, mode, &ops, &obj);
    if (r < 0)
        return (int)__ae_ret(r);
    int fd = __fd_install(ops, obj);
    if (fd < 0 && ops->close)
        ops->close(obj);
    return (int)__ae_ret(fd);
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}
