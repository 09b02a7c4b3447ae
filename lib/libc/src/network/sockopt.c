/*
 * sockopt.c — setsockopt() and getsockopt(). SOL_SOCKET: SO_RCVBUF (UDP:
 * how many payload bytes may wait in this socket's own queue, more are
 * dropped; TCP: the receive buffer, fixed when the connection or
 * listener is made), SO_SNDBUF (TCP's send buffer, likewise),
 * SO_RCVTIMEO (how long a receive or accept waits), SO_REUSEADDR (TCP:
 * binding a port whose old connections linger in TIME-WAIT always works
 * here; the flag is kept and reported), SO_KEEPALIVE, and, to read,
 * SO_TYPE and SO_ERROR. IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT. Anything else is ENOPROTOOPT.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <errno.h>
#include <string.h>
#include <aerie/errors.h>
#include "socket_impl.h"

static int opt_error(int e)
{
    errno = e;
    return -1;
}

/* A TCP option given as an int: kept, and passed on if the socket exists. */
static int tcp_int_option(struct sock *s, int level, int name, int v)
{
    unsigned opt = 0, flag = 0;
    if (level == SOL_SOCKET && name == SO_REUSEADDR) {
        flag = __SYS_TCP_O_REUSEADDR;
    } else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
        flag = __SYS_TCP_O_KEEPALIVE;
        opt = __SYS_TCP_OPT_KEEPALIVE;
    } else if (level == IPPROTO_TCP && name == TCP_NODELAY) {
        flag = __SYS_TCP_O_NODELAY;
        opt = __SYS_TCP_OPT_NODELAY;
    } else if (level == IPPROTO_TCP && (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT)) {
        if (v < 1 || v > 86400)
            return AE_EINVAL;
        opt = name == TCP_KEEPIDLE ? __SYS_TCP_OPT_KEEPIDLE : name == TCP_KEEPINTVL ? __SYS_TCP_OPT_KEEPINTVL
            : __SYS_TCP_OPT_KEEPCNT;
        *(name == TCP_KEEPIDLE ? &s->keep_idle : name == TCP_KEEPINTVL ? &s->keep_intvl : &s->keep_cnt) =
            (uint32_t)v;
    } else if (level == SOL_SOCKET && name == SO_SNDBUF) {
        s->sndbuf = v < 1 ? 1 : v > SOCK_RCVBUF_MAX ? SOCK_RCVBUF_MAX : v;
        return 0;
    } else {
        return AE_ENOSYS;
    }
    if (flag)
        s->topts = v ? s->topts | flag : s->topts & ~flag;
    return opt && s->has_tsock ? __sys_tcp_setopt(s->tsock, opt, flag ? v != 0 : (uint32_t)v) : 0;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
    if (s->type == SOCK_STREAM && name != SO_RCVBUF && name != SO_RCVTIMEO) {
        int v;
        if (!val || len < sizeof v)
            return opt_error(EINVAL);
        memcpy(&v, val, sizeof v);
        __net_lock();
        r = tcp_int_option(s, level, name, v);
        __net_unlock();
        if (r == AE_ENOSYS)
            return opt_error(ENOPROTOOPT);
        return r ? (int)__sock_fail(r) : 0;
    }
    if (level != SOL_SOCKET || (name != SO_RCVBUF && name != SO_RCVTIMEO))
        return opt_error(ENOPROTOOPT);
    if (name == SO_RCVBUF) {
        int v;
        if (!val || len < sizeof v)
            return opt_error(EINVAL);
        memcpy(&v, val, sizeof v);
        v = v < 1 ? 1 : v > SOCK_RCVBUF_MAX ? SOCK_RCVBUF_MAX : v;
        __net_lock();
        s->rcvbuf = v;
        __net_unlock();
        return 0;
    }
    struct timeval tv;
    if (!val || len < sizeof tv)
        return opt_error(EINVAL);
    memcpy(&tv, val, sizeof tv);
    if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return opt_error(EDOM);
    uint64_t ns = (uint64_t)tv.tv_sec > UINT64_MAX / 2000000000u ? UINT64_MAX / 2
                : (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
    __net_lock();
    s->rcvtimeo_ns = ns;
    __net_unlock();
    return 0;
}

int getsockopt(int fd, int level, int name, void *restrict val, socklen_t *restrict len)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
    if (!val || !len)
        return opt_error(EINVAL);
    if (level != SOL_SOCKET && (level != IPPROTO_TCP || s->type != SOCK_STREAM))
        return opt_error(ENOPROTOOPT);
    int v;
    struct timeval tv;
    const void *src = &v;
    socklen_t n = sizeof v;
    __net_lock();
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: v = (s->topts & __SYS_TCP_O_NODELAY) != 0; break;
        case TCP_KEEPIDLE: v = s->keep_idle ? (int)s->keep_idle : 7200; break;
        case TCP_KEEPINTVL: v = s->keep_intvl ? (int)s->keep_intvl : 75; break;
        case TCP_KEEPCNT: v = s->keep_cnt ? (int)s->keep_cnt : 9; break;
        default:
            __net_unlock();
            return opt_error(ENOPROTOOPT);
        }
        __net_unlock();
        memcpy(val, &v, *len < sizeof v ? *len : sizeof v);
        *len = sizeof v;
        return 0;
    }
    switch (name) {
    case SO_RCVBUF: v = s->type == SOCK_STREAM && !s->rcvbuf ? 32768 : s->rcvbuf; break;
    case SO_SNDBUF: v = s->sndbuf ? s->sndbuf : 32768; break;
    case SO_REUSEADDR: v = (s->topts & __SYS_TCP_O_REUSEADDR) != 0; break;
    case SO_KEEPALIVE: v = (s->topts & __SYS_TCP_O_KEEPALIVE) != 0; break;
    case SO_TYPE: v = s->type; break;
    case SO_ERROR: v = __tcp_so_error(s); break;
    case SO_RCVTIMEO:
        tv.tv_sec = (time_t)(s->rcvtimeo_ns / 1000000000u);
        tv.tv_usec = (suseconds_t)(s->rcvtimeo_ns % 1000000000u / 1000u);
        src = &tv;
        n = sizeof tv;
        break;
    default:
        __net_unlock();
        return opt_error(ENOPROTOOPT);
    }
    __net_unlock();
    memcpy(val, src, *len < n ? *len : n);
    *len = n;
    return 0;
}
