/* truncate.c — POSIX truncate: a file's size by name. */
#include <errno.h>
#include <unistd.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int truncate(const char *path, off_t size)
{
    if (size < 0) {
        errno = EINVAL;
        return -1;
    }
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_truncate(path, size));
}
