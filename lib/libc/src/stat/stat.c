/* stat.c — POSIX stat, and lstat, which describes a symbolic link itself. */
#include <sys/stat.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int stat(const char *restrict path, struct stat *restrict st)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_stat(path, st));
}

int lstat(const char *restrict path, struct stat *restrict st)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_lstat(path, st));
}
