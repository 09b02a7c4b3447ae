/*
 * tcp_client.c — TCP sockets on the client side (libaerie/net.h, "TCP";
 * the area's layout and rules are aerie/nettcp.h). Creating sockets and
 * options are IPC requests; everything else reads and writes the socket
 * area and tells the service through cnews (signalling it only when it
 * said it sleeps), so bulk data costs no system call per send or receive.
 *
 * Not thread-safe, like the rest of the session: callers serialize
 * (libc's sockets hold one lock).
 */
#include <string.h>
#include <libaerie/net.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include "net_session.h"

#define sess ae__net

static volatile struct nettcp_sock *blk(uint32_t sock)
{
    if (!sess.tcp || sock >= sess.tcp_socks)
        return 0;
    return &sess.tcp->socks[sock];
}

/* Socket sock's client line changed: flag it, wake the service if it sleeps. */
static void kick(uint32_t sock)
{
    __atomic_fetch_or(&sess.tcp->cnews[sock / 64], 1ull << (sock % 64), __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&sess.tcp->svc_wants_kick, __ATOMIC_RELAXED))
        ae_signal(sess.kick, NET_WAKE_SERVICE);
}

bool ae__tcp_arm(void)
{
    __atomic_store_n(&sess.tcp->client_wants_wake, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool quiet = true;
    for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++)
        if (__atomic_exchange_n(&sess.tcp->snews[w], 0, __ATOMIC_ACQ_REL))
            quiet = false;                       /* news since we last looked: look again */
    return quiet;
}

int ae_tcp_available(void)
{
    uint64_t info[5] = { 0 };
    int r = ae__net_call(NET_INFO, 0, 0, info, 5);
    if (r)
        return r == AE_EPERM ? AE_EACCES : r;
    return info[4] ? 0 : AE_EACCES;
}

/* The session with its socket area; AE_EACCES without TCP. */
static int open_tcp(void)
{
    int r = ae_net_open();
    if (r)
        return r;
    if (sess.dead)
        return AE_EDEAD;
    return sess.tcp ? 0 : AE_EACCES;
}

int ae_tcp_bind(uint16_t port, unsigned opts, uint32_t *sock, uint16_t *bound)
{
    int r = open_tcp();
    uint64_t out[2];
    if (!r)
        r = ae__net_call(NET_TCP_BIND, (uint64_t[]){ port, opts }, 2, out, 2);
    if (r)
        return r;
    *sock = (uint32_t)out[0];
    if (bound)
        *bound = (uint16_t)out[1];
    return 0;
}

int ae_tcp_listen(uint32_t sock, unsigned backlog, uint32_t rcvbuf, uint32_t sndbuf, unsigned opts)
{
    int r = open_tcp();
    return r ? r : ae__net_call(NET_TCP_LISTEN, (uint64_t[]){ sock, backlog, rcvbuf, sndbuf, opts }, 5, 0, 0);
}

int ae_tcp_connect(uint32_t sock, uint32_t ip, uint16_t port, uint32_t rcvbuf, uint32_t sndbuf,
                   unsigned opts, uint32_t *sock_out, uint16_t *lport)
{
    int r = open_tcp();
    uint64_t out[2];
    if (!r)
        r = ae__net_call(NET_TCP_CONNECT, (uint64_t[]){ sock, ip, port, rcvbuf, sndbuf, opts }, 6, out, 2);
    if (r)
        return r;
    *sock_out = (uint32_t)out[0];
    if (lport)
        *lport = (uint16_t)out[1];
    return 0;
}

int ae_tcp_setopt(uint32_t sock, unsigned opt, uint32_t value)
{
    int r = open_tcp();
    return r ? r : ae__net_call(NET_TCP_SETOPT, (uint64_t[]){ sock, opt, value }, 3, 0, 0);
}

int ae_tcp_info(uint32_t sock, struct ae_tcp_info *o)
{
    volatile struct nettcp_sock *b = blk(sock);
    if (!b)
        return AE_EBADF;
    o->state = __atomic_load_n(&((struct nettcp_sock *)b)->state, __ATOMIC_ACQUIRE);
    uint32_t rx_prod = __atomic_load_n(&((struct nettcp_sock *)b)->rx_prod, __ATOMIC_ACQUIRE);
    uint32_t tx_cons = __atomic_load_n(&((struct nettcp_sock *)b)->tx_cons, __ATOMIC_ACQUIRE);
    uint32_t flags = b->flags;
    o->error = b->error;
    o->rx_fin = flags & NETTCP_F_RX_FIN;
    o->tx_done = (flags & NETTCP_F_TX_DONE) || (b->cflags & (NETTCP_C_SHUT_WR | NETTCP_C_CLOSE));
    uint32_t ready = rx_prod - b->rx_cons;
    o->rx_ready = o->state == NETTCP_LISTEN ? ready / 4 : ready;
    uint32_t used = b->tx_prod - tx_cons;
    o->tx_room = o->state == NETTCP_OPEN && !o->tx_done && used <= b->tx_size ? b->tx_size - used : 0;
    o->local_ip = b->local_ip;
    o->local_port = b->local_port;
    o->remote_ip = b->remote_ip;
    o->remote_port = b->remote_port;
    return 0;
}

int ae_tcp_accept(uint32_t listener, uint32_t *sock)
{
    volatile struct nettcp_sock *b = blk(listener);
    if (!b)
        return AE_EBADF;
    if (b->state != NETTCP_LISTEN)
        return AE_EINVAL;
    uint32_t prod = __atomic_load_n(&((struct nettcp_sock *)b)->rx_prod, __ATOMIC_ACQUIRE), cons = b->rx_cons;
    if (prod - cons < 4 || b->rx_size < 4)
        return AE_EAGAIN;
    const uint8_t *q = (const uint8_t *)sess.tcp + b->rx_off + (cons & (b->rx_size - 1));
    uint32_t id = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    __atomic_store_n(&((struct nettcp_sock *)b)->rx_cons, cons + 4, __ATOMIC_RELEASE);
    kick(listener);
    if (id >= sess.tcp_socks)
        return AE_EPROTO;
    *sock = id;
    return 0;
}

/* Copies n bytes of a ring of size (a power of two) from position pos. */
static void ring_copy_out(uint8_t *dst, const uint8_t *ring, uint32_t size, uint32_t pos, uint32_t n)
{
    uint32_t at = pos & (size - 1), first = size - at < n ? size - at : n;
    memcpy(dst, ring + at, first);
    memcpy(dst + first, ring, n - first);
}

long ae_tcp_recv(uint32_t sock, void *buf, size_t len, bool peek)
{
    volatile struct nettcp_sock *b = blk(sock);
    if (!b)
        return AE_EBADF;
    uint32_t state = __atomic_load_n(&((struct nettcp_sock *)b)->state, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&((struct nettcp_sock *)b)->rx_prod, __ATOMIC_ACQUIRE), cons = b->rx_cons;
    uint32_t avail = prod - cons, size = b->rx_size;
    if (state == NETTCP_BOUND || state == NETTCP_LISTEN || state == NETTCP_FREE)
        return AE_ENOTCONN;
    if (avail && avail <= size && size) {
        uint32_t n = avail < len ? avail : (uint32_t)len;
        ring_copy_out(buf, (const uint8_t *)sess.tcp + b->rx_off, size, cons, n);
        if (!peek) {
            __atomic_store_n(&((struct nettcp_sock *)b)->rx_cons, cons + n, __ATOMIC_RELEASE);
            kick(sock);
        }
        return n;
    }
    if (state == NETTCP_DONE && b->error)
        return b->error;
    if (b->flags & NETTCP_F_RX_FIN)
        return 0;
    return AE_EAGAIN;
}

long ae_tcp_send(uint32_t sock, const void *buf, size_t len)
{
    volatile struct nettcp_sock *b = blk(sock);
    if (!b)
        return AE_EBADF;
    uint32_t state = __atomic_load_n(&((struct nettcp_sock *)b)->state, __ATOMIC_ACQUIRE);
    if (state == NETTCP_DONE)
        return b->error ? b->error : AE_EDEAD;
    if (state == NETTCP_CONNECTING)
        return AE_EAGAIN;
    if (state != NETTCP_OPEN)
        return AE_ENOTCONN;
    if ((b->flags & NETTCP_F_TX_DONE) || (b->cflags & (NETTCP_C_SHUT_WR | NETTCP_C_CLOSE)))
        return AE_EDEAD;
    uint32_t cons = __atomic_load_n(&((struct nettcp_sock *)b)->tx_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = b->tx_prod, size = b->tx_size, used = prod - cons;
    if (!size || used > size)
        return AE_EPROTO;
    uint32_t n = size - used < len ? size - used : (uint32_t)len;
    if (!n)
        return AE_EAGAIN;
    uint8_t *ring = (uint8_t *)sess.tcp + b->tx_off;
    const uint8_t *src = buf;
    uint32_t at = prod & (size - 1), first = size - at < n ? size - at : n;
    memcpy(ring + at, src, first);
    memcpy(ring, src + first, n - first);
    __atomic_store_n(&((struct nettcp_sock *)b)->tx_prod, prod + n, __ATOMIC_RELEASE);
    kick(sock);
    return n;
}

static int set_cflag(uint32_t sock, uint32_t flag)
{
    volatile struct nettcp_sock *b = blk(sock);
    if (!b)
        return AE_EBADF;
    __atomic_fetch_or(&((struct nettcp_sock *)b)->cflags, flag, __ATOMIC_RELEASE);
    kick(sock);
    return 0;
}

int ae_tcp_shutdown(uint32_t sock)
{
    return set_cflag(sock, NETTCP_C_SHUT_WR);
}

int ae_tcp_close(uint32_t sock)
{
    return set_cflag(sock, NETTCP_C_CLOSE);
}

struct nettcp_area *ae_tcp_area(void)
{
    return sess.open ? sess.tcp : 0;
}
