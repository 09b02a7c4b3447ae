/*
 * libaerie/net.h — the client side of the net service (aerie/proto/net.h):
 * one session per program, opened on first use with the capability
 * granted as "net". The session is a pair of shared rings (TX: we
 * produce, RX: the service produces) in memory from the program's own
 * quota, and two notifications: ours, which the service signals when we
 * asked to be woken, and the service's, which we signal when it asked.
 *
 * Not thread-safe: callers serialize every call except ae_net_wait (libc's
 * sockets hold one lock). Addresses and ports are in host byte order.
 *
 * The admin calls at the end are for the container manager and root: they
 * take the admin capability ("net.admin") explicitly.
 */
#ifndef LIBAERIE_NET_H
#define LIBAERIE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/proto/net.h>
#include <aerie/netring.h>

struct netring;

/* A received datagram, as ae_net_peek shows it: data stays valid until
 * ae_net_consume. */
struct ae_net_dgram {
    uint32_t remote_ip;
    uint16_t remote_port;
    uint16_t local_port;
    uint16_t len;
    const uint8_t *data;
};

/* 0 if the program holds a net capability, else AE_EACCES. */
int ae_net_available(void);
/* Opens the session (rings, notifications, NET_ATTACH) if not yet open.
 * Ring slots: $AERIE_NET_SLOTS if set (a power of two, 2..256), else
 * NET_RING_SLOTS_DEFAULT. 0, AE_EACCES (no grant), AE_ENOMEM, or the
 * service's error. */
int ae_net_open(void);

/* IPC requests. bind: port 0 picks a free granted port; *bound gets it. */
int ae_net_bind(uint16_t port, uint16_t *bound);
int ae_net_unbind(uint16_t port);
/* rx_delivered, rx_dropped, tx_sent, tx_refused */
int ae_net_client_stats(uint64_t out[4]);
/* our address, netmask, gateway, MAC */
int ae_net_info(uint64_t out[4]);

/* Queues one datagram from bound port lport in the TX ring and lets the
 * service know if it sleeps. Up to NETRING_DGRAM_MAX bytes: a datagram
 * longer than a slot (NETRING_PAYLOAD_MAX) takes several and leaves in IP
 * fragments. 0, AE_EAGAIN (the ring lacks the room), AE_EMSGSIZE, or the
 * error of opening the session. */
int ae_net_send(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len);
/* Signals the service as if it had asked to be woken (a client that
 * suspects a lost wakeup: harmless when it was not). */
void ae_net_kick(void);
/* How many ring slots are free now (0 before the session is open): a
 * datagram of len bytes needs ae_net_slots(len) of them. */
unsigned ae_net_tx_room(void);
static inline unsigned ae_net_slots(size_t len)
{
    return len <= NETRING_PAYLOAD_MAX ? 1u : (unsigned)((len + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX);
}
/* The next datagram of the RX ring without taking it; AE_EAGAIN if none.
 * One of several slots is shown gathered in a buffer of the session. */
int ae_net_peek(struct ae_net_dgram *d);
/* Takes the datagram ae_net_peek showed. */
void ae_net_consume(void);

/* Sleeping: arm asks the service to signal us when the RX ring gets data
 * (rx) or the TX ring gets room (tx), and says whether the caller may
 * sleep (true: still nothing). wait sleeps on our notification for at
 * most timeout_ns (AERIE_TIMEOUT_FOREVER): 0 (signalled, perhaps
 * spuriously: look again) or AE_ETIMEOUT; a long wait asks the service
 * every second whether it still knows us, and returns AE_EDEAD once it
 * does not (it restarted: our rings are gone; ae_net_send then fails
 * with AE_EDEAD too). disarm clears both requests. */
bool ae_net_arm(bool rx, bool tx);
int ae_net_wait(uint64_t timeout_ns);
void ae_net_disarm(void);

/* ---- TCP (docs/NET.md, "TCP sockets") ----------------------------------------
 *
 * A TCP socket is an index into the session's socket area (aerie/nettcp.h).
 * Creating one (bind, connect) and setting options are IPC requests;
 * sending, receiving, accepting, shutting down and closing only touch
 * shared memory (and signal the service if it sleeps). None of these
 * block: AE_EAGAIN means "not now"; ae_net_arm/ae_net_wait sleep until
 * anything changes. A program may use TCP only if its grant has TCP
 * ports (ae_tcp_available). The session opens on first use with a socket
 * area of $AERIE_NET_TCP_MEM bytes of buffers (default 1 MiB) for
 * $AERIE_NET_TCP_SOCKS sockets (default: as many as it may have).
 */
#define AE_TCP_NEW NET_TCP_SOCK_NEW

/* What ae_tcp_info reads of a socket. */
struct ae_tcp_info {
    uint32_t state;              /* enum nettcp_state */
    int32_t  error;              /* once NETTCP_DONE: AE_ECONNRESET, AE_ECONNREFUSED, AE_ETIMEOUT, or 0 */
    bool     rx_fin;             /* the peer will send no more: ae_tcp_recv gives 0 once drained */
    bool     tx_done;            /* nothing more can be sent */
    uint32_t rx_ready;           /* bytes waiting (listener: connections waiting) */
    uint32_t tx_room;            /* bytes ae_tcp_send would take now */
    uint32_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
};

/* 0 if the program may use TCP (its grant names TCP ports), else AE_EACCES. */
int ae_tcp_available(void);
/* A socket bound to a TCP port (0: any granted one). opts: NET_TCP_O_*. */
int ae_tcp_bind(uint16_t port, unsigned opts, uint32_t *sock, uint16_t *bound);
/* Listens; accepted connections get buffers of rcvbuf/sndbuf bytes (0: 32 KiB). */
int ae_tcp_listen(uint32_t sock, unsigned backlog, uint32_t rcvbuf, uint32_t sndbuf, unsigned opts);
/* Starts a connection from sock (a bound socket, or AE_TCP_NEW) and returns
 * at once: ae_tcp_info's state says when it is OPEN or DONE. */
int ae_tcp_connect(uint32_t sock, uint32_t ip, uint16_t port, uint32_t rcvbuf, uint32_t sndbuf,
                   unsigned opts, uint32_t *sock_out, uint16_t *lport);
int ae_tcp_setopt(uint32_t sock, unsigned opt, uint32_t value);   /* NET_TCP_OPT_* */
int ae_tcp_info(uint32_t sock, struct ae_tcp_info *out);
/* A connection waiting on a listener: 0 and *sock, or AE_EAGAIN. */
int ae_tcp_accept(uint32_t listener, uint32_t *sock);
/* Copies up to len bytes out (peek: and leaves them): the count, 0 at the
 * end of the stream, AE_EAGAIN (nothing yet), or the connection's error. */
long ae_tcp_recv(uint32_t sock, void *buf, size_t len, bool peek);
/* Queues up to len bytes: the count taken (perhaps fewer), AE_EAGAIN (the
 * send buffer is full), AE_EDEAD (sending is over: shut down, or the
 * connection ended), AE_ENOTCONN, or the connection's error. */
long ae_tcp_send(uint32_t sock, const void *buf, size_t len);
/* No more sending: FIN after the queued data. */
int ae_tcp_shutdown(uint32_t sock);
/* Lets go of the socket (the service finishes the connection politely,
 * or resets it if received data was never read). */
int ae_tcp_close(uint32_t sock);

/* The rings and the socket area themselves, for tests that play a hostile
 * client; NULL before the session is open (or without TCP). */
struct nettcp_area *ae_tcp_area(void);
struct netring *ae_net_tx_ring(void);
struct netring *ae_net_rx_ring(void);

/* ---- admin (aerie/proto/net.h, NET_ADMIN_*) --------------------------------- */

struct ae_net_range {
    uint16_t lo, hi;
};

/* A new client that may bind the ports of ranges[0..n). On success *id is
 * its id and *cap a slot (allocated here) holding its send capability.
 * ranges are UDP ports; the _k form takes a kind per range (NET_PORTS_*)
 * and the TCP connections to promise (0: the service's default). */
int ae_net_admin_client_add(uint64_t admin, const struct ae_net_range *ranges, unsigned n,
                            uint64_t *id, uint64_t *cap);
int ae_net_admin_client_add_k(uint64_t admin, const struct ae_net_range *ranges, const uint8_t *kinds,
                              unsigned n, unsigned conns, uint64_t *id, uint64_t *cap);
int ae_net_admin_client_remove(uint64_t admin, uint64_t id);
/* Calls fn(name, value, arg) for every counter of the service. */
int ae_net_admin_stats(uint64_t admin, void (*fn)(const char *name, uint64_t value, void *arg), void *arg);

#endif
