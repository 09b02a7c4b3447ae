/*
 * sendto.c — sendto() and send() for UDP sockets. A datagram goes into
 * the program's send queue and the call returns; if the queue is full it
 * waits for room. What the network service refuses later (a port the
 * program did not bind, say) is counted there, not reported here: UDP
 * promises no delivery. Sending to INADDR_ANY means this host, as on
 * Linux; to a broadcast address needs a right nobody has yet (EACCES).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <aerie/errors.h>
#include <aerie/netring.h>
#include "socket_impl.h"

/* Up to 8192 bytes; one longer than a ring slot takes several slots and
 * leaves in IP fragments (docs/NET.md). */
#define UDP_PAYLOAD_MAX NETRING_DGRAM_MAX

/* Queues the datagram, net.mu held; waits for room, leaving room for
 * those who waited first (socket_impl.h). */
static int send_fairly(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    bool waiting = false;
    int r;
    unsigned need = len <= NETRING_PAYLOAD_MAX ? 1u : (unsigned)((len + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX);
    for (;;) {
        unsigned room = __sys_net_tx_room();
        if (room >= need + (waiting ? 0 : __net.tx_waiting)) {
            r = __sys_net_send(lport, ip, port, buf, len);
            if (r != AE_EAGAIN)
                break;
        }
        if (!waiting) {
            waiting = true;
            __net.tx_waiting++;
            if (room >= need) {                  /* left for the others: wait for a turn */
                pthread_cond_wait(&__net.cv, &__net.mu);
                continue;
            }
        }
        if ((r = __net_wait(UINT64_MAX, false, true)))
            break;
    }
    if (waiting) {
        __net.tx_waiting--;
        pthread_cond_broadcast(&__net.cv);
    }
    return r;
}

long __sock_send(struct sock *s, const void *buf, size_t len, int flags, const uint32_t *ip,
                 const uint16_t *port)
{
    if (flags & ~MSG_NOSIGNAL)
        return AE_ENOTSUP;
    __net_lock();
    uint32_t dip = ip ? *ip : s->peer_ip;
    uint16_t dport = port ? *port : s->peer_port;
    int r = 0;
    if (!ip && !s->peer_port)
        r = AE_EDESTADDRREQ;
    else if (len > UDP_PAYLOAD_MAX)
        r = AE_EMSGSIZE;
    else if (dport == 0)
        r = AE_EINVAL;
    else if (dip == INADDR_BROADCAST)
        r = AE_EACCES;
    else if (!s->port)
        r = __sock_bind(s, 0);
    if (dip == INADDR_ANY)
        dip = INADDR_LOOPBACK;
    if (!r)
        r = send_fairly(s->port, dip, dport, buf, len);
    __net_unlock();
    return r ? r : (long)len;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen)
{
    struct sock *s;
    uint32_t ip;
    uint16_t port;
    int r = __sock_get(fd, &s);
    if (!r && addr)
        r = __sockaddr_get(addr, alen, &ip, &port);
    if (r)
        return __sock_fail(r);
    long n = s->type == SOCK_STREAM ? __tcp_send(s, buf, len, flags)
           : __sock_send(s, buf, len, flags, addr ? &ip : NULL, addr ? &port : NULL);
    if (n == AE_ENOTSUP) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return n < 0 ? __sock_fail((int)n) : n;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return sendto(fd, buf, len, flags, NULL, 0);
}
