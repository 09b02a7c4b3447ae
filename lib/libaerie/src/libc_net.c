/*
 * libc_net.c — the network part of libc's OS interface (lib/libc/
 * internal/sys.h, __sys_net_*), on the net service session of
 * libaerie/net.h.
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
