/*
 * bind.c — bind() and connect() (TCP's own halves are in tcp.c). bind takes INADDR_ANY,
 * our own address or a loopback address, and a port the program was
 * granted (0: any free granted port). connect() names the only peer the
 * socket sends to by default and hears from; AF_UNSPEC undoes it. A
 * socket that sends or connects unbound is bound to a free granted port.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <aerie/errors.h>
#include "socket_impl.h"

static bool local_address(uint32_t ip)
{
    uint32_t ours;
    return ip == INADDR_ANY || (ip >> 24) == 127 || (__sys_net_addr(&ours) == 0 && ip == ours);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sock *s;
    uint32_t ip;
    uint16_t port;
    int r = __sock_get(fd, &s);
    if (!r)
        r = __sockaddr_get(addr, len, &ip, &port);
    if (!r && !local_address(ip))
        r = AE_EADDRNOTAVAIL;
    if (r)
        return (int)__sock_fail(r);
    if (s->type == SOCK_STREAM) {
        r = __tcp_bind(s, ip, port);
        return r ? (int)__sock_fail(r) : 0;
    }
    __net_lock();
    r = s->port ? AE_EINVAL : __sock_bind(s, port);
    if (!r)
        s->local_ip = ip;
    __net_unlock();
    return r ? (int)__sock_fail(r) : 0;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sock *s;
    uint32_t ip = 0;
    uint16_t port = 0;
    int r = __sock_get(fd, &s);
    if (r)
        return (int)__sock_fail(r);
    bool unspec = addr && len >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC;
    if (s->type == SOCK_STREAM) {
        if (unspec || (r = __sockaddr_get(addr, len, &ip, &port)))
            return (int)__sock_fail(unspec ? AE_EAFNOSUPPORT : r);
        return (r = __tcp_connect(s, ip, port)) ? (int)__sock_fail(r) : 0;
    }
    if (!unspec && (r = __sockaddr_get(addr, len, &ip, &port)))
        return (int)__sock_fail(r);
    if (!unspec && port == 0)
        return (int)__sock_fail(AE_EINVAL);
    __net_lock();
    if (!unspec && !s->port)
        r = __sock_bind(s, 0);
    if (!r) {
        s->peer_ip = ip == INADDR_ANY && !unspec ? INADDR_LOOPBACK : ip;
        s->peer_port = port;
    }
    __net_unlock();
    return r ? (int)__sock_fail(r) : 0;
}
