/* rename.c — C11/POSIX rename: atomic replacement of the target. */
#include <stdio.h>
#include <limits.h>
#include "libc.h"
#include "sys.h"

int rename(const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    int r, s;
    from = __cwd_path(from, a, sizeof a, &r);
    to = __cwd_path(to, b, sizeof b, &s);
    return (int)__ae_ret(r ? r : s ? s : __sys_rename(from, to));
}
