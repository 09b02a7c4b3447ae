/* link.c — POSIX link, symlink and readlink. */
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int link(const char *old, const char *new_name)
{
    return (int)__ae_ret(__sys_link(old, new_name));
}

int symlink(const char *target, const char *link_path)
{
    return (int)__ae_ret(__sys_symlink(target, link_path));
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t cap)
{
    long n = __sys_readlink(path, buf, cap);
    return n < 0 ? (ssize_t)__ae_ret(n) : (ssize_t)((size_t)n < cap ? (size_t)n : cap);
}
