/* closedir.c — POSIX closedir, rewinddir and dirfd. */
#include <stdlib.h>
#include <unistd.h>
#include "dirent_impl.h"

int closedir(DIR *d)
{
    int r = close(d->fd);
    free(d);
    return r;
}

void rewinddir(DIR *d)
{
    lseek(d->fd, 0, SEEK_SET);
}

int dirfd(DIR *d)
{
    return d->fd;
}
