/*
 * fcntl.h — POSIX file-open flags and open(). The values are Linux's, as
 * errno's are. O_NOCTTY, O_NONBLOCK, O_CLOEXEC, O_NOFOLLOW and the O_*SYNC
 * flags are accepted and change nothing here: there are no terminals to
 * adopt, no exec, no symbolic links, and nothing to sync.
 */
#ifndef _FCNTL_H
#define _FCNTL_H

#define __NEED_off_t
#define __NEED_id_t
#include <bits/alltypes.h>

#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_ACCMODE   03
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DSYNC     010000
#define O_SYNC      04010000
#define O_RSYNC     04010000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000

#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

#define F_GETFD     1
#define F_SETFD     2
#define F_GETFL     3
#define F_SETFL     4
#define FD_CLOEXEC  1

int open(const char *path, int flags, ...);
/* F_GETFL/F_SETFL (O_NONBLOCK, on sockets), F_GETFD/F_SETFD (accepted). */
int fcntl(int fd, int cmd, ...);
int creat(const char *path, mode_t mode);

#endif
