/* chown.c — POSIX chown and lchown: the ids are kept; nothing checks them. */
#include <limits.h>
#include <unistd.h>
#include "libc.h"
#include "sys.h"

static int chown_at(const char *path, uid_t uid, gid_t gid, int follow)
{
    char buf[PATH_MAX];
    int r;
    path = __cwd_path(path, buf, sizeof buf, &r);
    return (int)__ae_ret(r ? r : __sys_chown(path, uid, gid, follow));
}

int chown(const char *path, uid_t uid, gid_t gid)
{
    return chown_at(path, uid, gid, 1);
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
    return chown_at(path, uid, gid, 0);
}
