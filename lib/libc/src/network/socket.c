/*
 * socket.c — socket() and the socket as a descriptor: read and write are
 * recv and send, close unbinds the port and frees what was parked (UDP)
 * or lets go of the connection (TCP), fstat says S_IFSOCK. UDP and TCP
 * over IPv4 (AF_INET; SOCK_DGRAM, SOCK_STREAM).
 *
 * A program that was not granted the network gets EACCES from socket():
 * the family is supported, the program is not allowed to use it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "libc.h"
#include "socket_impl.h"

struct net_state __net = { .mu = PTHREAD_MUTEX_INITIALIZER };

void __net_lock(void)
{
    pthread_mutex_lock(&__net.mu);
    if (!__net.cv_ready) {                     /* timed waits are on the monotonic clock */
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&__net.cv, &a);
        __net.cv_ready = true;
    }
}

void __net_unlock(void)
{
    pthread_mutex_unlock(&__net.mu);
}

long __sock_fail(int ae)
{
    switch (ae) {
    case AE_ENOTSUP: errno = ENOTSOCK; break;
    case AE_EDEAD: errno = ENETDOWN; break;
    case SOCK_EPIPE: errno = EPIPE; break;
    case SOCK_EINPROGRESS: errno = EINPROGRESS; break;
    case SOCK_EALREADY: errno = EALREADY; break;
    case SOCK_EOPNOTSUPP: errno = EOPNOTSUPP; break;
    default: errno = __errno_from_ae(ae);
    }
    return -1;
}

int __sock_get(int fd, struct sock **s)
{
    const struct fd_ops *ops;
    void *obj;
    int r = __fd_get(fd, &ops, &obj);
    if (r)
        return r;
    if (ops != &__socket_fd_ops)
        return AE_ENOTSUP;
    *s = obj;
    return 0;
}

int __sock_bind(struct sock *s, uint16_t port)
{
    uint16_t bound;
    int r = __sys_net_bind(port, &bound);
    if (r)
        return r;
    s->port = bound;
    s->next = __net.bound;
    __net.bound = s;
    return 0;
}

static void sock_free_parked(struct sock *s)
{
    while (s->head) {
        struct dgram *d = s->head;
        s->head = d->next;
        free(d);
    }
    s->tail = NULL;
    s->queued = 0;
}

static int sock_close(void *obj)
{
    struct sock *s = obj;
    int r = 0;
    if (s->type == SOCK_STREAM) {
        r = __tcp_close(s);
        free(s);
        return r;
    }
    __net_lock();
    if (s->port) {
        for (struct sock **pp = &__net.bound; *pp; pp = &(*pp)->next) {
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        }
        r = __sys_net_unbind(s->port);
    }
    sock_free_parked(s);
    __net_unlock();
    free(s);
    return r == AE_ESRCH || r == AE_EPERM ? 0 : r;   /* the service forgot us already: closed anyway */
}

static long sock_read(void *obj, void *buf, size_t n)
{
    struct sock *s = obj;
    return s->type == SOCK_STREAM ? __tcp_recv(s, buf, n, 0) : __sock_recv(s, buf, n, 0, NULL, NULL);
}

static long sock_write(void *obj, const void *buf, size_t n)
{
    struct sock *s = obj;
    long r = s->type == SOCK_STREAM ? __tcp_send(s, buf, n, 0) : __sock_send(s, buf, n, 0, NULL, NULL);
    return r == SOCK_EPIPE ? AE_EDEAD : r;       /* the descriptor layer says EPIPE for it */
}

static int sock_fstat(void *obj, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFSOCK | 0777;
    return 0;
}

const struct fd_ops __socket_fd_ops = {
    .read = sock_read,
    .write = sock_write,
    .fstat = sock_fstat,
    .close = sock_close,
};

int __sock_new(int type, bool nonblock, struct sock **out)
{
    struct sock *s = calloc(1, sizeof *s);
    if (!s)
        return AE_ENOMEM;
    s->type = type;
    s->nonblock = nonblock;
    s->rcvbuf = type == SOCK_DGRAM ? SOCK_RCVBUF_DEFAULT : 0;
    int fd = __fd_install(&__socket_fd_ops, s);
    if (fd < 0) {
        free(s);
        return fd;
    }
    *out = s;
    return fd;
}

int socket(int domain, int type, int protocol)
{
    int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (kind != SOCK_DGRAM && kind != SOCK_STREAM) {
        errno = kind == SOCK_RAW || kind == SOCK_SEQPACKET ? EPROTONOSUPPORT : EINVAL;
        return -1;
    }
    if (protocol != 0 && protocol != (kind == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP)) {
        errno = EPROTONOSUPPORT;
        return -1;
    }
    int r = kind == SOCK_DGRAM ? __sys_net_available() : __sys_tcp_available();
    if (r)
        return (int)__sock_fail(r);
    struct sock *s;
    int fd = __sock_new(kind, (type & SOCK_NONBLOCK) != 0, &s);
    return fd < 0 ? (int)__sock_fail(fd) : fd;
}

int __sockaddr_get(const struct sockaddr *a, unsigned len, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in sin;
    if (!a || len < sizeof sin)
        return a && len >= sizeof(sa_family_t) && a->sa_family != AF_INET ? AE_EAFNOSUPPORT : AE_EINVAL;
    memcpy(&sin, a, sizeof sin);
    if (sin.sin_family != AF_INET)
        return AE_EAFNOSUPPORT;
    *ip = ntohl(sin.sin_addr.s_addr);
    *port = ntohs(sin.sin_port);
    return 0;
}

void __sockaddr_put(struct sockaddr *a, unsigned *len, uint32_t ip, uint16_t port)
{
    if (!a || !len)
        return;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr = { htonl(ip) } };
    memcpy(a, &sin, *len < sizeof sin ? *len : sizeof sin);
    *len = sizeof sin;
}

int getsockname(int fd, struct sockaddr *restrict addr, socklen_t *restrict len)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
    if (!addr || !len)
        return (int)__sock_fail(AE_EINVAL);
    __net_lock();
    uint32_t ip = s->local_ip;
    uint16_t port = s->port;
    struct __sys_tcp_info ti;
    if (s->type == SOCK_STREAM && s->has_tsock && !__sys_tcp_info(s->tsock, &ti)) {
        /* A listener (or a socket only bound) has no address of its own
         * at the service, which binds ports (and reports its own address
         * for them): it says the address bind named — 127.0.0.1 for one
         * bound there, as Linux (and the Linux personality) say. A
         * connection says the one it uses. */
        if (ti.state != __SYS_TCP_BOUND && ti.state != __SYS_TCP_LISTEN)
            ip = ti.local_ip;
        port = ti.local_port;
    }
    __net_unlock();
    __sockaddr_put(addr, len, ip, port);
    return 0;
}

int getpeername(int fd, struct sockaddr *restrict addr, socklen_t *restrict len)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
    if (!addr || !len)
        return (int)__sock_fail(AE_EINVAL);
    __net_lock();
    uint32_t ip = s->peer_ip;
    uint16_t port = s->peer_port;
    struct __sys_tcp_info ti;
    if (s->type == SOCK_STREAM) {
        port = 0;
        if (s->has_tsock && !__sys_tcp_info(s->tsock, &ti) && ti.state == __SYS_TCP_OPEN) {
            ip = ti.remote_ip;
            port = ti.remote_port;
        }
    }
    __net_unlock();
    if (!port)
        return (int)__sock_fail(AE_ENOTCONN);
    __sockaddr_put(addr, len, ip, port);
    return 0;
}
