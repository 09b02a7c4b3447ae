/*
 * unistd.h — the POSIX subset libc serves: the fd calls that go through
 * the fd table (read, write, pread, pwrite, close, lseek, ftruncate),
 * files by name (unlink, rmdir, truncate, link, symlink, readlink, chown,
 * lchown), sleeping and _exit. See
 * docs/LIBC.md for what is missing.
 */
#ifndef _UNISTD_H
#define _UNISTD_H

#define __NEED_size_t
#define __NEED_ssize_t
#define __NEED_off_t
#define __NEED_useconds_t
#define __NEED_pid_t
#define __NEED_id_t
#include <bits/alltypes.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
ssize_t pread(int fd, void *buf, size_t n, off_t off);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
int ftruncate(int fd, off_t size);
int truncate(const char *path, off_t size);
int unlink(const char *path);
int rmdir(const char *path);
int link(const char *old, const char *new_name);
int symlink(const char *target, const char *link_path);
ssize_t readlink(const char *restrict path, char *restrict buf, size_t cap);
int chown(const char *path, uid_t uid, gid_t gid);
int lchown(const char *path, uid_t uid, gid_t gid);

unsigned sleep(unsigned seconds);
int usleep(useconds_t usec);
_Noreturn void _exit(int status);

extern char **environ;

#endif
