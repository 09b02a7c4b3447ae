/*
 * libc_net.c — the network part of libc's OS interface (lib/libc/
 * internal/sys.h, __sys_net_*), on the net service session of
 * libaerie/net.h (datagrams and TCP sockets).
 */
#include <libaerie/net.h>
#include <aerie/errors.h>
#include "sys.h"

int __sys_net_available(void)
{
    return ae_net_available();
}

int __sys_net_addr(uint32_t *ip)
{
    static uint32_t cached;
    uint64_t info[4];
    if (!cached) {
        int r = ae_net_info(info);
        if (r)
            return r;
        cached = (uint32_t)info[0];
    }
    *ip = cached;
    return 0;
}

int __sys_net_bind(uint16_t port, uint16_t *bound)
{
    int r = ae_net_open();               /* bound ports get datagrams: have rings first */
    return r ? r : ae_net_bind(port, bound);
}

int __sys_net_unbind(uint16_t port)
{
    return ae_net_unbind(port);
}

int __sys_net_send(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    return ae_net_send(lport, ip, port, buf, len);
}

unsigned __sys_net_tx_room(void)
{
    return ae_net_tx_room();
}

int __sys_net_peek(struct __sys_dgram *d)
{
    struct ae_net_dgram g;
    int r = ae_net_peek(&g);
    if (r)
        return r;
    *d = (struct __sys_dgram){ g.remote_ip, g.remote_port, g.local_port, g.len, g.data };
    return 0;
}

void __sys_net_consume(void)
{
    ae_net_consume();
}

int __sys_net_arm(int rx, int tx)
{
    return ae_net_arm(rx, tx);
}

int __sys_net_wait(uint64_t timeout_ns)
{
    return ae_net_wait(timeout_ns);
}

void __sys_net_disarm(void)
{
    ae_net_disarm();
}

/* ---- TCP ------------------------------------------------------------------ */

_Static_assert(__SYS_TCP_OPEN == NETTCP_OPEN && __SYS_TCP_DONE == NETTCP_DONE &&
               __SYS_TCP_LISTEN == NETTCP_LISTEN && __SYS_TCP_CONNECTING == NETTCP_CONNECTING,
               "libc's TCP states are the area's");
_Static_assert(__SYS_TCP_NEW == AE_TCP_NEW && __SYS_TCP_O_NODELAY == NET_TCP_O_NODELAY &&
               __SYS_TCP_OPT_KEEPCNT == NET_TCP_OPT_KEEPCNT, "libc's TCP numbers are the protocol's");

int __sys_tcp_available(void)
{
    return ae_tcp_available();
}

int __sys_tcp_bind(uint16_t port, unsigned opts, uint32_t *sock, uint16_t *bound)
{
    return ae_tcp_bind(port, opts, sock, bound);
}

int __sys_tcp_listen(uint32_t sock, unsigned backlog, uint32_t rcvbuf, uint32_t sndbuf, unsigned opts)
{
    return ae_tcp_listen(sock, backlog, rcvbuf, sndbuf, opts);
}

int __sys_tcp_connect(uint32_t sock, uint32_t ip, uint16_t port, uint32_t rcvbuf, uint32_t sndbuf,
                      unsigned opts, uint32_t *sock_out, uint16_t *lport)
{
    return ae_tcp_connect(sock, ip, port, rcvbuf, sndbuf, opts, sock_out, lport);
}

int __sys_tcp_setopt(uint32_t sock, unsigned opt, uint32_t value)
{
    return ae_tcp_setopt(sock, opt, value);
}

int __sys_tcp_info(uint32_t sock, struct __sys_tcp_info *o)
{
    struct ae_tcp_info i;
    int r = ae_tcp_info(sock, &i);
    if (r)
        return r;
    *o = (struct __sys_tcp_info){ i.state, i.error, i.rx_fin, i.tx_done, i.rx_ready, i.tx_room,
                                  i.local_ip, i.remote_ip, i.local_port, i.remote_port };
    return 0;
}

int __sys_tcp_accept(uint32_t listener, uint32_t *sock)
{
    return ae_tcp_accept(listener, sock);
}

long __sys_tcp_recv(uint32_t sock, void *buf, size_t len, int peek)
{
    return ae_tcp_recv(sock, buf, len, peek != 0);
}

long __sys_tcp_send(uint32_t sock, const void *buf, size_t len)
{
    return ae_tcp_send(sock, buf, len);
}

int __sys_tcp_shutdown(uint32_t sock)
{
    return ae_tcp_shutdown(sock);
}

int __sys_tcp_close(uint32_t sock)
{
    return ae_tcp_close(sock);
}
