/*
 * sys/socket.h — POSIX sockets: the types, the constants (numbered as
 * Linux numbers them) and the functions libc implements. Aerie has UDP
 * and TCP over IPv4 (AF_INET, SOCK_DGRAM and SOCK_STREAM); see docs/LIBC.md.
 */
#ifndef _SYS_SOCKET_H
#define _SYS_SOCKET_H

#define __NEED_size_t
#define __NEED_ssize_t
#include <bits/alltypes.h>

typedef unsigned socklen_t;
typedef unsigned short sa_family_t;

struct sockaddr {
    sa_family_t sa_family;
    char sa_data[14];
};

struct sockaddr_storage {
    sa_family_t ss_family;
    char __ss_padding[128 - sizeof(sa_family_t) - sizeof(unsigned long)];
    unsigned long __ss_align;
};

#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_SEQPACKET 5
#define SOCK_NONBLOCK  04000
#define SOCK_CLOEXEC   02000000

#define AF_UNSPEC      0
#define AF_UNIX        1
#define AF_INET        2
#define AF_INET6       10
#define PF_UNSPEC      AF_UNSPEC
#define PF_INET        AF_INET

#define SOL_SOCKET     1
#define SO_REUSEADDR   2
#define SO_TYPE        3
#define SO_ERROR       4
#define SO_SNDBUF      7
#define SO_RCVBUF      8
#define SO_KEEPALIVE   9
#define SO_RCVTIMEO    20
#define SOMAXCONN      128

#define MSG_OOB        0x0001
#define MSG_PEEK       0x0002
#define MSG_TRUNC      0x0020
#define MSG_DONTWAIT   0x0040
#define MSG_EOR        0x0080
#define MSG_WAITALL    0x0100
#define MSG_NOSIGNAL   0x4000

#define SHUT_RD        0
#define SHUT_WR        1
#define SHUT_RDWR      2

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int connect(int fd, const struct sockaddr *addr, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr *restrict addr, socklen_t *restrict len);
int accept4(int fd, struct sockaddr *restrict addr, socklen_t *restrict len, int flags);
int shutdown(int fd, int how);
int getsockname(int fd, struct sockaddr *restrict addr, socklen_t *restrict len);
int getpeername(int fd, struct sockaddr *restrict addr, socklen_t *restrict len);
ssize_t send(int fd, const void *buf, size_t len, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen);
ssize_t recv(int fd, void *buf, size_t len, int flags);
ssize_t recvfrom(int fd, void *restrict buf, size_t len, int flags, struct sockaddr *restrict addr,
                 socklen_t *restrict alen);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int getsockopt(int fd, int level, int name, void *restrict val, socklen_t *restrict len);

#endif
