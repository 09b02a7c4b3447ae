/* link.c — POSIX link, symlink and readlink. */
#include <limits.h>
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int link(const char *old, const char *new_name)
{
    char a[PATH_MAX], b[PATH_MAX];
    int r, s;
    old = __cwd_path(old, a, sizeof a, &r);
    new_name = __cwd_path(new_name, b, sizeof b, &s);
    return (int)__ae_ret(r ? r : s ? s : __sys_link(old, new_name));
}

/* The target is stored as given: a relative one is resolved from the
 * link's directory when it is followed, not from ours. */
int symlink(const char *target, const char *link_path)
{
    char buf[PATH_MAX];
    int r;
    link_path = __cwd_path(link_path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_symlink(target, link_path));
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t cap)
{
    char joined[PATH_MAX];
    int r;
    path = __cwd_path(path, joined, sizeof joined, &r);
    long n = r ? r : __sys_readlink(path, buf, cap);
    return n < 0 ? (ssize_t)__ae_ret(n) : (ssize_t)((size_t)n < cap ? (size_t)n : cap);
}
