/* unlink.c — POSIX unlink (a directory gives EISDIR, as on Linux). */
#include <unistd.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int unlink(const char *path)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_unlink(path));
}
