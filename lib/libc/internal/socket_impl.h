/*
 * socket_impl.h — sockets inside libc (src/network/). A socket is a
 * descriptor (__socket_fd_ops) whose object is a struct sock, UDP or TCP.
 *
 * TCP (tcp.c): the socket is a number of the platform's (sys.h,
 * __sys_tcp_*); its data sits in memory shared with the network service,
 * so a send or receive is a copy, and waiting is the same net_wait as
 * UDP's. Blocking calls loop: try, and if AE_EAGAIN, wait and try again.
 *
 * UDP: the program
 * has one queue of received datagrams from the OS (sys.h, __sys_net_*),
 * in arrival order for all its ports; a reader takes the datagram at the
 * head if it is for its socket, and otherwise moves it into the queue of
 * the socket it is for ("parking"), up to that socket's SO_RCVBUF.
 *
 * Locking: net.mu guards everything here and serializes the __sys_net_*
 * calls. Waiting: the first thread to wait sleeps in __sys_net_wait (the
 * "leader"); others wait on net.cv; the leader broadcasts when it wakes,
 * and everyone looks again (net_wait). While senders wait for room in
 * the send queue, a sender that did not wait leaves one free slot for
 * each of them: otherwise the threads that happen to run would refill
 * the queue every time it drains and starve the ones that sleep. (Strict
 * turns are fair too, but every hand-over then waits for the next thread
 * to be scheduled: a third of the throughput with 8 senders.)
 */
#ifndef LIBC_SOCKET_IMPL_H
#define LIBC_SOCKET_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fd.h"
#include "sys.h"

#define SOCK_RCVBUF_DEFAULT (64 * 1024)
#define SOCK_RCVBUF_MAX     (4 * 1024 * 1024)

struct dgram {                      /* a parked datagram */
    struct dgram *next;
    uint32_t ip;
    uint16_t port;
    uint16_t len;
    unsigned char data[];
};

struct sock {
    int type;                       /* SOCK_DGRAM or SOCK_STREAM */
    bool nonblock;                  /* O_NONBLOCK */
    /* TCP */
    bool has_tsock;                 /* tsock names a platform socket */
    bool listening;
    bool rd_shut;                   /* shutdown(SHUT_RD): reads give 0 */
    bool connect_reported;          /* a non-blocking connect's outcome was returned once */
    uint32_t tsock;
    unsigned topts;                 /* __SYS_TCP_O_* */
    int sndbuf;                     /* SO_SNDBUF (TCP; 0: the default) */
    uint32_t keep_idle, keep_intvl, keep_cnt;   /* 0: the default */
    /* UDP */
    uint16_t port;                  /* bound local port, 0: not bound */
    uint32_t local_ip;              /* the address bind() named (host order), 0: any */
    uint32_t peer_ip;               /* connect()ed peer (host order), 0: none */
    uint16_t peer_port;
    struct dgram *head, *tail;      /* parked datagrams */
    size_t queued;                  /* their payload bytes */
    int rcvbuf;                     /* SO_RCVBUF */
    uint64_t rcvtimeo_ns;           /* SO_RCVTIMEO, 0: none */
    unsigned long dropped;          /* parked datagrams that found no room */
    struct sock *next;              /* net.bound list */
};

struct net_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cv_ready;
    bool leader;                    /* a thread sleeps in __sys_net_wait */
    unsigned waiters;
    struct sock *bound;             /* sockets with a port, for sorting datagrams */
    unsigned tx_waiting;            /* senders waiting for room in the send queue */
};
extern struct net_state __net;

extern const struct fd_ops __socket_fd_ops;

/* The socket behind fd: 0 and *s, AE_EBADF, or AE_ENOTSUP (fd is not a
 * socket; the caller reports ENOTSOCK). */
int __sock_get(int fd, struct sock **s);

/* Locks net.mu (and sets up net.cv on first use). */
void __net_lock(void);
void __net_unlock(void);

/* A socket's send and receive (NULL address: the connected peer), for
 * sendto/recvfrom and the descriptor's write/read. The length, or AE_*;
 * AE_ENOTSUP for flags we do not have. */
long __sock_send(struct sock *s, const void *buf, size_t len, int flags, const uint32_t *ip,
                 const uint16_t *port);
long __sock_recv(struct sock *s, void *buf, size_t len, int flags, uint32_t *ip, uint16_t *port);

/* With net.mu held: binds s to port (0: any granted port). 0 or AE_*. */
int __sock_bind(struct sock *s, uint16_t port);

/* With net.mu held: moves datagrams from the OS queue into their
 * sockets' queues until it is empty or its head is for `want` (then
 * true, and the head is left where it is). want may be NULL. */
bool __net_pump(struct sock *want);

/* With net.mu held: waits for a datagram (rx) or room to send (tx) until
 * the monotonic time deadline (UINT64_MAX: forever). 0 (look again) or
 * AE_ETIMEOUT (the deadline passed). */
int __net_wait(uint64_t deadline, bool rx, bool tx);

/* An AF_INET address from the caller: 0 and host-order ip/port, or
 * AE_EINVAL (too short), AE_EAFNOSUPPORT (another family). */
struct sockaddr;
int __sockaddr_get(const struct sockaddr *a, unsigned len, uint32_t *ip, uint16_t *port);
/* Writes an AF_INET address to the caller's buffer, truncated to *len,
 * and sets *len to the full size (POSIX). Either may be NULL. */
void __sockaddr_put(struct sockaddr *a, unsigned *len, uint32_t ip, uint16_t port);

/* Errors with no AE_* of their own, for __sock_fail. */
#define SOCK_EPIPE       (-1001)    /* sending is over (shut down, or the connection ended) */
#define SOCK_EINPROGRESS (-1002)    /* a non-blocking connect started */
#define SOCK_EALREADY    (-1003)    /* ... and is still going */
#define SOCK_EOPNOTSUPP  (-1004)    /* not on this kind of socket */

/* Sets errno for a failed socket call (ENOTSOCK for AE_ENOTSUP, and the
 * SOCK_E* above) and returns -1. */
long __sock_fail(int ae);

/* tcp.c, all with net.mu NOT held (they take it). */
long __tcp_send(struct sock *s, const void *buf, size_t len, int flags);
long __tcp_recv(struct sock *s, void *buf, size_t len, int flags);
int __tcp_bind(struct sock *s, uint32_t ip, uint16_t port);
int __tcp_connect(struct sock *s, uint32_t ip, uint16_t port);
int __tcp_close(struct sock *s);
/* poll's view of a TCP socket: POLLIN, POLLOUT, POLLHUP, POLLERR bits (net.mu held). */
short __tcp_poll(struct sock *s);
/* SO_ERROR: a connect's failure, once (net.mu held). */
int __tcp_so_error(struct sock *s);
/* A socket for an accepted connection or socket(): fd or AE_*. */
int __sock_new(int type, bool nonblock, struct sock **out);

/* The monotonic clock in ns, and now + ns without overflow. */
uint64_t __net_now(void);
uint64_t __net_deadline(uint64_t ns);

#endif
