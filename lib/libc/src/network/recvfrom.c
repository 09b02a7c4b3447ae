/*
 * recvfrom.c — recvfrom() and recv() for UDP sockets. A datagram longer
 * than the buffer is cut to it and the rest discarded; the call returns
 * the bytes stored, or with MSG_TRUNC the datagram's real length (as
 * Linux does). MSG_PEEK leaves the datagram queued. Without data the
 * call waits, at most SO_RCVTIMEO (then EAGAIN).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "socket_impl.h"

static size_t copy_out(void *buf, size_t len, const void *data, size_t n)
{
    size_t k = n < len ? n : len;
    if (k)
        memcpy(buf, data, k);
    return k;
}

/* Takes (or peeks at) the first parked datagram. */
static long take_parked(struct sock *s, void *buf, size_t len, int flags, uint32_t *ip, uint16_t *port)
{
    struct dgram *d = s->head;
    size_t k = copy_out(buf, len, d->data, d->len);
    long n = flags & MSG_TRUNC ? (long)d->len : (long)k;
    *ip = d->ip;
    *port = d->port;
    if (!(flags & MSG_PEEK)) {
        s->head = d->next;
        if (!s->head)
            s->tail = NULL;
        s->queued -= d->len;
        free(d);
    }
    return n;
}

/* Takes (or peeks at) the datagram at the head of the program's queue. */
static long take_head(void *buf, size_t len, int flags, uint32_t *ip, uint16_t *port)
{
    struct __sys_dgram d;
    __sys_net_peek(&d);
    size_t k = copy_out(buf, len, d.data, d.len);
    long n = flags & MSG_TRUNC ? (long)d.len : (long)k;
    *ip = d.ip;
    *port = d.port;
    if (!(flags & MSG_PEEK))
        __sys_net_consume();
    return n;
}

long __sock_recv(struct sock *s, void *buf, size_t len, int flags, uint32_t *ip, uint16_t *port)
{
    uint32_t sip = 0;
    uint16_t sport = 0;
    long n;
    if (flags & ~(MSG_PEEK | MSG_TRUNC))
        return AE_ENOTSUP;
    __net_lock();
    uint64_t deadline = s->rcvtimeo_ns ? __net_deadline(s->rcvtimeo_ns) : UINT64_MAX;
    for (;;) {
        if (s->head) {
            n = take_parked(s, buf, len, flags, &sip, &sport);
            break;
        }
        if (s->port && __net_pump(s)) {
            n = take_head(buf, len, flags, &sip, &sport);
            break;
        }
        int r = __net_wait(deadline, true, false);
        if (r) {
            n = r == AE_ETIMEOUT ? AE_EAGAIN : r;
            break;
        }
    }
    __net_unlock();
    if (n >= 0 && ip) {
        *ip = sip;
        *port = sport;
    }
    return n;
}

ssize_t recvfrom(int fd, void *restrict buf, size_t len, int flags, struct sockaddr *restrict addr,
                 socklen_t *restrict alen)
{
    struct sock *s;
    uint32_t ip;
    uint16_t port;
    int r = __sock_get(fd, &s);
    if (r)
        return __sock_fail(r);
    if (s->type == SOCK_STREAM) {
        long n = __tcp_recv(s, buf, len, flags);
        if (n == AE_ENOTSUP) {
            errno = EOPNOTSUPP;
            return -1;
        }
        return n < 0 ? __sock_fail((int)n) : n;   /* a stream has no sender address to give */
    }
    long n = __sock_recv(s, buf, len, flags, &ip, &port);
    if (n == AE_ENOTSUP) {
        errno = EOPNOTSUPP;
        return -1;
    }
    if (n < 0)
        return __sock_fail((int)n);
    __sockaddr_put(addr, alen, ip, port);
    return n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return recvfrom(fd, buf, len, flags, NULL, NULL);
}
