/* chmod.c — POSIX chmod (the mode is kept; nothing checks permissions). */
#include <limits.h>
#include <sys/stat.h>
#include "libc.h"
#include "sys.h"

int chmod(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_chmod(path, mode));
}
