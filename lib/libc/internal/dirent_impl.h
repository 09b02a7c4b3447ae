/*
 * dirent_impl.h — a directory stream: the descriptor and the entry
 * readdir() returns (valid until the next readdir on the same stream).
 */
#ifndef LIBC_DIRENT_IMPL_H
#define LIBC_DIRENT_IMPL_H

#include <dirent.h>

struct __dirstream {
    int fd;
    struct dirent ent;
};

#endif
