/* rmdir.c — POSIX rmdir. */
#include <unistd.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int rmdir(const char *path)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_rmdir(path));
}
