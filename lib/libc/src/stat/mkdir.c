/* mkdir.c — POSIX mkdir. */
#include <sys/stat.h>
#include "libc.h"
#include "sys.h"

int mkdir(const char *path, mode_t mode)
{
    return (int)__ae_ret(__sys_mkdir(path, mode));
}
