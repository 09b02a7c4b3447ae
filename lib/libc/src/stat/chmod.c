/* chmod.c — POSIX chmod (the mode is kept; nothing checks permissions). */
#include <sys/stat.h>
#include "libc.h"
#include "sys.h"

int chmod(const char *path, mode_t mode)
{
    return (int)__ae_ret(__sys_chmod(path, mode));
}
