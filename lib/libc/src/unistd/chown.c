/* chown.c — POSIX chown and lchown: the ids are kept; nothing checks them. */
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int chown(const char *path, uid_t uid, gid_t gid)
{
    return (int)__ae_ret(__sys_chown(path, uid, gid, 1));
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
    return (int)__ae_ret(__sys_chown(path, uid, gid, 0));
}
