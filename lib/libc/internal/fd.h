/*
 * fd.h — the file-descriptor table. A descriptor is an index naming an
 * object and the ops that serve it; the console sits at 0, 1 and 2 from
 * the start, and the file system and sockets install their own objects
 * here (__fd_install). read(), write(), close(), lseek(), fstat(),
 * pread(), pwrite(), ftruncate() and readdir() look the descriptor up and
 * call its ops (src/unistd/, src/dirent/).
 */
#ifndef LIBC_FD_H
#define LIBC_FD_H

#include <stddef.h>
#include <sys/stat.h>

struct dirent;

/*
 * Each op returns its result (>= 0) or a negative AE_* error; the
 * dispatcher turns errors into errno. A NULL op means "not supported":
 * read and write then fail with EBADF, lseek, pread and pwrite with
 * ESPIPE, fstat with ENOSYS, ftruncate with EINVAL, readdir with ENOTDIR;
 * a NULL close just releases the slot. ops->close is called once, when
 * the descriptor is closed, after the slot is free again. readdir gives
 * a directory's next entry: 1, or 0 at its end; lseek(0, SEEK_SET) on a
 * directory starts the listing over.
 */
struct fd_ops {
    long (*read)(void *obj, void *buf, size_t n);
    long (*write)(void *obj, const void *buf, size_t n);
    long (*lseek)(void *obj, long off, int whence);
    int (*fstat)(void *obj, struct stat *st);
    int (*close)(void *obj);
    long (*pread)(void *obj, void *buf, size_t n, long off);
    long (*pwrite)(void *obj, const void *buf, size_t n, long off);
    int (*ftruncate)(void *obj, long size);
    int (*readdir)(void *obj, struct dirent *ent);
    const char *(*path)(void *obj);   /* a directory's absolute path (fchdir), or NULL */
};

#define FD_MAX 1024

/* Puts (ops, obj) in the lowest free slot; returns the descriptor, or
 * AE_EMFILE (all FD_MAX in use) or AE_ENOMEM. */
int __fd_install(const struct fd_ops *ops, void *obj);

/* Looks fd up. Returns 0 and fills *ops and *obj, or AE_EBADF. */
int __fd_get(int fd, const struct fd_ops **ops, void **obj);

/* Frees fd's slot and returns what it held, like __fd_get. */
int __fd_remove(int fd, const struct fd_ops **ops, void **obj);

/* The console's ops (src/unistd/console.c), installed at 0, 1 and 2. */
extern const struct fd_ops __console_fd_ops;

#endif
