/* stat.c — POSIX stat, and lstat, which describes a symbolic link itself. */
#include <sys/stat.h>
#include "libc.h"
#include "sys.h"

int stat(const char *restrict path, struct stat *restrict st)
{
    return (int)__ae_ret(__sys_stat(path, st));
}

int lstat(const char *restrict path, struct stat *restrict st)
{
    return (int)__ae_ret(__sys_lstat(path, st));
}
