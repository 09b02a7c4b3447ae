/* mkdir.c — POSIX mkdir. */
#include <sys/stat.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int mkdir(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_mkdir(path, mode));
}
