/* remove.c — C11 remove: unlink for a file, rmdir for a directory. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int remove(const char *path)
{
    int r = unlink(path);
    if (r < 0 && errno == EISDIR)
        r = rmdir(path);
    return r;
}
