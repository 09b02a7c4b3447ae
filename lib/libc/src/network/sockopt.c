/*
 * sockopt.c — setsockopt() and getsockopt() at SOL_SOCKET: SO_RCVBUF (how
 * many payload bytes may wait in this socket's own queue; more are
 * dropped), SO_RCVTIMEO (how long a receive waits), and, to read,
 * SO_TYPE and SO_ERROR. Anything else is ENOPROTOOPT.
 */
#include <sys/socket.h>
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

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct sock *s;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
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
    if (level != SOL_SOCKET)
        return opt_error(ENOPROTOOPT);
    int v;
    struct timeval tv;
    const void *src = &v;
    socklen_t n = sizeof v;
    __net_lock();
    switch (name) {
    case SO_RCVBUF: v = s->rcvbuf; break;
    case SO_TYPE: v = SOCK_DGRAM; break;
    case SO_ERROR: v = 0; break;
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
