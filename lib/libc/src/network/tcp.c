/*
 * tcp.c — TCP sockets (SOCK_STREAM) over the platform's TCP (sys.h,
 * __sys_tcp_*): bind, listen, accept, connect (blocking, or EINPROGRESS
 * when non-blocking), send and recv (whole buffers when blocking, as
 * Linux does), shutdown, close. The platform never blocks; a call that
 * must wait loops over __net_wait, which sleeps until anything of the
 * program's network changed.
 *
 * A program that was granted no TCP port gets EACCES from socket(); one
 * that binds or listens outside its grant gets EACCES there; connect()
 * needs its destination port granted ("out:" ports in a container spec).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <aerie/errors.h>
#include "libc.h"
#include "socket_impl.h"

/* Addresses a TCP socket may bind: any, 127/8 (the net service's
 * loopback) and our own. A listener takes connections for all of them. */
static bool local_address(uint32_t ip)
{
    uint32_t ours;
    return ip == INADDR_ANY || (ip >> 24) == 127 || (__sys_net_addr(&ours) == 0 && ip == ours);
}

static uint32_t buf_bytes(int v)
{
    return v > 0 ? (uint32_t)v : 0;
}

static int info(struct sock *s, struct __sys_tcp_info *i)
{
    if (!s->has_tsock)
        return AE_ENOTCONN;
    return __sys_tcp_info(s->tsock, i);
}

/* Options set before there was a platform socket go to it now. */
static void apply_keep(struct sock *s)
{
    if (s->keep_idle)
        __sys_tcp_setopt(s->tsock, __SYS_TCP_OPT_KEEPIDLE, s->keep_idle);
    if (s->keep_intvl)
        __sys_tcp_setopt(s->tsock, __SYS_TCP_OPT_KEEPINTVL, s->keep_intvl);
    if (s->keep_cnt)
        __sys_tcp_setopt(s->tsock, __SYS_TCP_OPT_KEEPCNT, s->keep_cnt);
}

int __tcp_bind(struct sock *s, uint32_t ip, uint16_t port)
{
    if (!local_address(ip))
        return AE_EADDRNOTAVAIL;
    __net_lock();
    int r = s->has_tsock ? AE_EINVAL : __sys_tcp_bind(port, s->topts, &s->tsock, &s->port);
    if (!r) {
        s->has_tsock = true;
        s->local_ip = ip;
        apply_keep(s);
    }
    __net_unlock();
    return r;
}

int listen(int fd, int backlog)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (!r && s->type != SOCK_STREAM)
        r = SOCK_EOPNOTSUPP;
    if (r)
        return (int)__sock_fail(r);
    __net_lock();
    if (!s->has_tsock && !(r = __sys_tcp_bind(0, s->topts, &s->tsock, &s->port))) {
        s->has_tsock = true;                     /* any granted port, as Linux picks an ephemeral one */
        apply_keep(s);
    }
    if (!r) {
        unsigned b = backlog < 1 ? 1 : backlog > SOMAXCONN ? SOMAXCONN : (unsigned)backlog;
        r = __sys_tcp_listen(s->tsock, b, buf_bytes(s->rcvbuf), buf_bytes(s->sndbuf), s->topts);
    }
    if (!r)
        s->listening = true;
    __net_unlock();
    return r ? (int)__sock_fail(r) : 0;
}

/* A descriptor for the accepted connection child (net.mu held). */
static int adopt(struct sock *l, uint32_t child, bool nonblock, struct __sys_tcp_info *ti)
{
    struct sock *c;
    int fd = __sock_new(SOCK_STREAM, nonblock, &c);
    if (fd < 0) {
        __sys_tcp_close(child);                  /* no descriptor for it: let it go */
        return fd;
    }
    c->has_tsock = true;
    c->tsock = child;
    c->topts = l->topts;
    c->rcvbuf = l->rcvbuf;
    c->sndbuf = l->sndbuf;
    __sys_tcp_info(child, ti);
    c->port = ti->local_port;
    c->local_ip = ti->local_ip;
    return fd;
}

int accept4(int fd, struct sockaddr *restrict addr, socklen_t *restrict len, int flags)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (!r && (s->type != SOCK_STREAM || !s->listening))
        r = AE_EINVAL;
    if (!r && (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)))
        r = AE_EINVAL;
    if (r)
        return (int)__sock_fail(r);
    uint32_t child;
    struct __sys_tcp_info ti = { 0 };
    __net_lock();
    uint64_t deadline = s->rcvtimeo_ns ? __net_deadline(s->rcvtimeo_ns) : UINT64_MAX;
    while ((r = __sys_tcp_accept(s->tsock, &child)) == AE_EAGAIN && !s->nonblock)
        if ((r = __net_wait(deadline, false, false)))
            break;
    if (r == AE_ETIMEOUT)
        r = AE_EAGAIN;
    int cfd = r ? r : adopt(s, child, (flags & SOCK_NONBLOCK) != 0, &ti);
    __net_unlock();
    if (cfd < 0)
        return (int)__sock_fail(cfd);
    __sockaddr_put(addr, len, ti.remote_ip, ti.remote_port);
    return cfd;
}

int accept(int fd, struct sockaddr *restrict addr, socklen_t *restrict len)
{
    return accept4(fd, addr, len, 0);
}

/* How a connection attempt ended: 0 (open), AE_EAGAIN (still going), or
 * its error (net.mu held). */
static int connect_outcome(struct sock *s)
{
    struct __sys_tcp_info i;
    int r = info(s, &i);
    if (r)
        return r;
    if (i.state == __SYS_TCP_CONNECTING)
        return AE_EAGAIN;
    if (i.state == __SYS_TCP_DONE)
        return i.error ? i.error : AE_ECONNREFUSED;
    return 0;
}

/* A second connect on a socket that has one (net.mu held): how it stands. */
static int connect_again(struct sock *s)
{
    int o = connect_outcome(s);
    if (o == AE_EAGAIN)
        return s->nonblock ? SOCK_EALREADY : AE_EAGAIN;
    return o ? o : AE_EISCONN;
}

int __tcp_connect(struct sock *s, uint32_t ip, uint16_t port)
{
    if (port == 0)
        return AE_EINVAL;
    __net_lock();
    struct __sys_tcp_info i;
    int r = s->listening ? AE_EINVAL : 0;
    if (!r && s->has_tsock && !info(s, &i) && i.state != __SYS_TCP_BOUND) {
        r = connect_again(s);
        __net_unlock();
        return r;
    }
    if (!r) {
        bool fresh = !s->has_tsock;
        r = __sys_tcp_connect(fresh ? __SYS_TCP_NEW : s->tsock, ip == INADDR_ANY ? INADDR_LOOPBACK : ip, port,
                              buf_bytes(s->rcvbuf), buf_bytes(s->sndbuf), s->topts, &s->tsock, &s->port);
        if (!r) {
            s->has_tsock = true;
            if (fresh)
                apply_keep(s);
            s->peer_ip = ip;
            s->peer_port = port;
        }
    }
    if (!r && s->nonblock) {
        __net_unlock();
        return SOCK_EINPROGRESS;
    }
    while (!r && (r = connect_outcome(s)) == AE_EAGAIN)
        r = __net_wait(UINT64_MAX, false, false);
    s->connect_reported = true;
    __net_unlock();
    return r;
}

int __tcp_so_error(struct sock *s)
{
    if (s->type != SOCK_STREAM || !s->has_tsock || s->connect_reported || s->listening)
        return 0;
    int r = connect_outcome(s);
    if (r == AE_EAGAIN)
        return 0;
    s->connect_reported = true;
    return r ? __errno_from_ae(r) : 0;
}

long __tcp_send(struct sock *s, const void *buf, size_t len, int flags)
{
    if (flags & ~(MSG_NOSIGNAL | MSG_DONTWAIT))
        return AE_ENOTSUP;
    if (!len)
        return 0;
    bool wait = !s->nonblock && !(flags & MSG_DONTWAIT);
    size_t done = 0;
    long r = 0;
    __net_lock();
    if (!s->has_tsock)
        r = AE_ENOTCONN;
    while (!r && done < len) {
        long n = __sys_tcp_send(s->tsock, (const char *)buf + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n != AE_EAGAIN || !wait) {
            r = n == AE_EAGAIN && done ? 0 : n;
            break;
        }
        r = __net_wait(UINT64_MAX, false, false);
    }
    __net_unlock();
    if (done)
        return (long)done;
    return r == AE_EDEAD ? SOCK_EPIPE : r;
}

long __tcp_recv(struct sock *s, void *buf, size_t len, int flags)
{
    if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL))
        return AE_ENOTSUP;
    bool wait = !s->nonblock && !(flags & MSG_DONTWAIT);
    bool all = (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
    size_t done = 0;
    long r = 0;
    __net_lock();
    uint64_t deadline = s->rcvtimeo_ns ? __net_deadline(s->rcvtimeo_ns) : UINT64_MAX;
    if (!s->has_tsock || s->listening)
        r = AE_ENOTCONN;
    else if (s->rd_shut)
        len = 0;
    while (!r && done < len) {
        long n = __sys_tcp_recv(s->tsock, (char *)buf + done, len - done, flags & MSG_PEEK);
        if (n > 0) {
            done += (size_t)n;
            if (!all)
                break;
            continue;
        }
        if (n == 0 || done || n != AE_EAGAIN || !wait) {
            r = n == 0 || done ? 0 : n;
            break;
        }
        r = __net_wait(deadline, false, false);
        if (r == AE_ETIMEOUT)
            r = AE_EAGAIN;
    }
    __net_unlock();
    return done ? (long)done : r;
}

int shutdown(int fd, int how)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (!r && how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        r = AE_EINVAL;
    if (r)
        return (int)__sock_fail(r);
    __net_lock();
    struct __sys_tcp_info i;
    if (s->type != SOCK_STREAM || info(s, &i) || (i.state != __SYS_TCP_OPEN && i.state != __SYS_TCP_DONE))
        r = AE_ENOTCONN;
    if (!r && how != SHUT_WR)
        s->rd_shut = true;
    if (!r && how != SHUT_RD)
        r = __sys_tcp_shutdown(s->tsock);
    __net_unlock();
    return r ? (int)__sock_fail(r) : 0;
}

int __tcp_close(struct sock *s)
{
    __net_lock();
    int r = s->has_tsock ? __sys_tcp_close(s->tsock) : 0;
    __net_unlock();
    return r == AE_ESRCH || r == AE_EPERM ? 0 : r;
}

short __tcp_poll(struct sock *s)
{
    struct __sys_tcp_info i;
    if (info(s, &i))
        return 0;
    short ev = 0;
    switch (i.state) {
    case __SYS_TCP_LISTEN:
        return i.rx_ready ? POLLIN : 0;
    case __SYS_TCP_CONNECTING:
    case __SYS_TCP_BOUND:
        return 0;
    case __SYS_TCP_DONE:
        ev = POLLIN | POLLHUP | (i.error ? POLLERR : 0);
        if (!s->connect_reported)
            ev |= POLLOUT;                       /* a failed non-blocking connect is "writable" */
        return ev;
    default:
        if (i.rx_ready || i.rx_fin || s->rd_shut)
            ev |= POLLIN;
        if (i.tx_room)
            ev |= POLLOUT;
        if (i.rx_fin && i.tx_done)
            ev |= POLLHUP;
        return ev;
    }
}
