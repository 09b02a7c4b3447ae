/* truncate.c — POSIX truncate: a file's size by name. */
#include <errno.h>
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int truncate(const char *path, off_t size)
{
    if (size < 0) {
        errno = EINVAL;
        return -1;
    }
    return (int)__ae_ret(__sys_truncate(path, size));
}
