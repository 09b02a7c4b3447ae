/*
 * dirent.h — POSIX directory streams. Entries come in the file system's
 * order; "." and ".." are not listed (POSIX allows leaving them out).
 * struct dirent has Linux's layout.
 */
#ifndef _DIRENT_H
#define _DIRENT_H

#define __NEED_off_t
#define __NEED_id_t
#include <bits/alltypes.h>

struct dirent {
    ino_t d_ino;
    off_t d_off;                /* where the next entry starts (an opaque cookie) */
    unsigned short d_reclen;
    unsigned char d_type;       /* DT_* */
    char d_name[256];
};

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

typedef struct __dirstream DIR;

DIR *opendir(const char *path);
DIR *fdopendir(int fd);
struct dirent *readdir(DIR *d);
void rewinddir(DIR *d);
int closedir(DIR *d);
int dirfd(DIR *d);

#endif
