/* rmdir.c — POSIX rmdir. */
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int rmdir(const char *path)
{
    return (int)__ae_ret(__sys_rmdir(path));
}
