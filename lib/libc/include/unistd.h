/*
 * unistd.h — the POSIX subset libc serves today: the fd calls that go
 * through the fd table (read, write, close, lseek), sleeping and _exit.
 * open() and friends arrive with the file system; see docs/LIBC.md.
 */
#ifndef _UNISTD_H
#define _UNISTD_H

#define __NEED_size_t
#define __NEED_ssize_t
#define __NEED_off_t
#define __NEED_useconds_t
#define __NEED_pid_t
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

unsigned sleep(unsigned seconds);
int usleep(useconds_t usec);
_Noreturn void _exit(int status);

extern char **environ;

#endif
