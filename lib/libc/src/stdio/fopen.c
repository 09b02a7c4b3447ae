/*
 * fopen.c — C11 fopen (7.21.5.3) over open(): "r", "w" or "a", then any
 * of "+", "b" (no effect), "x" (exclusive create, C11) and "e" (close on
 * exec: no effect). New files get mode 0666.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "stdio_impl.h"

static int open_flags(const char *mode)
{
    int f;
    switch (mode[0]) {
    case 'r': f = O_RDONLY; break;
    case 'w': f = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': f = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
    }
    for (const char *m = mode + 1; *m; m++) {
        if (*m == '+')
            f = (f & ~O_ACCMODE) | O_RDWR;
        else if (*m == 'x' && mode[0] == 'w')
            f |= O_EXCL;
        else if (*m != 'b' && *m != 'e')
            return -1;
    }
    return f;
}

FILE *fopen(const char *restrict path, const char *restrict mode)
{
    int flags = open_flags(mode);
    if (flags < 0) {
        errno = EINVAL;
        return NULL;
    }
    int fd = open(path, flags, 0666);
    if (fd < 0)
        return NULL;
    FILE *f = __file_new(&__fd_file_ops, NULL, fd, mode);
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}
