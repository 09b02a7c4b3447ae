/*
 * sys/select.h — POSIX select, on top of poll (src/network/select.c).
 */
#ifndef _SYS_SELECT_H
#define _SYS_SELECT_H

#include <sys/time.h>

#define FD_SETSIZE 1024

typedef struct {
    unsigned long fds_bits[FD_SETSIZE / (8 * sizeof(unsigned long))];
} fd_set;

#define __FD_WORD(fd) ((fd) / (8 * sizeof(unsigned long)))
#define __FD_BIT(fd)  (1ul << ((fd) % (8 * sizeof(unsigned long))))
#define FD_ZERO(s)     do { for (unsigned __i = 0; __i < sizeof(fd_set) / sizeof(unsigned long); __i++) \
                                (s)->fds_bits[__i] = 0; } while (0)
#define FD_SET(fd, s)   ((s)->fds_bits[__FD_WORD(fd)] |= __FD_BIT(fd))
#define FD_CLR(fd, s)   ((s)->fds_bits[__FD_WORD(fd)] &= ~__FD_BIT(fd))
#define FD_ISSET(fd, s) (((s)->fds_bits[__FD_WORD(fd)] & __FD_BIT(fd)) != 0)

int select(int nfds, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e, struct timeval *restrict timeout);

#endif
