/* unlink.c — POSIX unlink (a directory gives EISDIR, as on Linux). */
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int unlink(const char *path)
{
    return (int)__ae_ret(__sys_unlink(path));
}
