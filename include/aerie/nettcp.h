/*
 * aerie/nettcp.h — the shared-memory socket area of TCP between the net
 * service and one client (docs/NET.md, "TCP sockets").
 *
 * A client that may use TCP attaches, beside its datagram rings and in the
 * same Memory object (from its own quota), an area of `nsocks` socket
 * blocks followed by buffer pages. The service places each connection's
 * receive and send buffers in those pages, so every byte a connection
 * buffers is the client's memory. Per socket:
 *   rx buffer: a byte ring the service fills with in-order data (rx_prod)
 *              and the client empties (rx_cons). Out-of-order data waits
 *              beyond rx_prod, inside the advertised window.
 *   tx buffer: a byte ring the client fills (tx_prod) and the service
 *              releases once the peer acknowledged the bytes (tx_cons).
 * A listening socket's rx buffer is its accept queue: 32-bit socket
 * indices of connections ready to be taken (rx_prod/rx_cons count bytes).
 * Indices are free-running 32-bit byte counts; byte i of a ring of size S
 * is at offset i % S (S a power of two).
 *
 * News travels as bits: the client sets bit i of `cnews` after changing
 * socket i's client line (and signals the service if it asked,
 * svc_wants_kick); the service sets bit i of `snews` after changing its
 * line (and signals the client if it asked, client_wants_wake). Both take
 * bits with an atomic exchange. The Dekker handshake of the datagram
 * rings (aerie/netring.h) keeps wake-ups from being lost.
 *
 * Trust: the service keeps every geometry and index it needs in private
 * memory; what it reads here (tx_prod, rx_cons, cflags) is checked each
 * time, and a bad value hurts only the client that wrote it.
 */
#ifndef AERIE_NETTCP_H
#define AERIE_NETTCP_H

#include <stddef.h>
#include <stdint.h>

#define NETTCP_MAGIC      0x50435454u   /* "TTCP" in memory */
#define NETTCP_MAX_SOCKS  256u
#define NETTCP_PAGE       4096u
#define NETTCP_BUF_MIN    4096u         /* a buffer is a power of two, whole pages */
#define NETTCP_BUF_MAX    (1u << 20)
#define NETTCP_BUF_DEFAULT 32768u
#define NETTCP_BACKLOG_MAX 128u

/* Socket states as the client sees them (the service's finer states map
 * onto these). */
enum nettcp_state {
    NETTCP_FREE = 0,          /* no socket in this block */
    NETTCP_BOUND = 1,         /* has a local port, nothing more */
    NETTCP_LISTEN = 2,
    NETTCP_CONNECTING = 3,    /* SYN sent or received, not yet established */
    NETTCP_OPEN = 4,          /* established: data may flow (see flags for each half) */
    NETTCP_DONE = 5,          /* the connection is over; `error` says why (0: closed cleanly) */
};

/* flags (service line) */
#define NETTCP_F_RX_FIN   0x1u   /* the peer sent FIN: no data after rx_prod */
#define NETTCP_F_TX_DONE  0x2u   /* no more sending: our FIN was acknowledged, or the connection died */
/* cflags (client line) */
#define NETTCP_C_SHUT_WR  0x1u   /* send FIN after the buffered data */
#define NETTCP_C_CLOSE    0x2u   /* the client let go of the socket */

struct nettcp_sock {
    /* written by the service */
    uint32_t gen;             /* counts uses of this block */
    uint32_t state;           /* enum nettcp_state */
    uint32_t rx_prod;         /* bytes of in-order data (or accept-queue bytes) published */
    uint32_t tx_cons;         /* bytes of the tx ring released (acknowledged) */
    int32_t  error;           /* AE_* once DONE (AE_ECONNRESET, AE_ECONNREFUSED, AE_ETIMEOUT), else 0 */
    uint32_t flags;           /* NETTCP_F_* */
    uint32_t rx_off, rx_size; /* where the buffers are in the area (bytes) */
    uint32_t tx_off, tx_size;
    uint32_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
    uint32_t pad0[3];
    /* written by the client */
    uint32_t rx_cons;         /* bytes taken from the rx ring */
    uint32_t tx_prod;         /* bytes put into the tx ring */
    uint32_t cflags;          /* NETTCP_C_* */
    uint32_t pad1[13];
};

struct nettcp_area {
    uint64_t cnews[NETTCP_MAX_SOCKS / 64];    /* client -> service: socket i changed */
    uint8_t  pad0[32];
    uint64_t snews[NETTCP_MAX_SOCKS / 64];    /* service -> client */
    uint8_t  pad1[32];
    /* written by the service */
    uint32_t magic;
    uint32_t nsocks;
    uint32_t bytes;                            /* the whole area */
    uint32_t buf_off;                          /* first buffer page */
    uint32_t svc_wants_kick;                   /* the service sleeps: signal it after cnews */
    uint8_t  pad2[44];
    /* written by the client */
    uint32_t client_wants_wake;                /* the client sleeps: signal it after snews */
    uint8_t  pad3[60];
    struct nettcp_sock socks[];
};

/* Bytes an area of n sockets needs before its buffer pages. */
#define NETTCP_HDR_BYTES(n) ((sizeof(struct nettcp_area) + (size_t)(n) * sizeof(struct nettcp_sock) + \
                              NETTCP_PAGE - 1) & ~(size_t)(NETTCP_PAGE - 1))
#define NETTCP_AREA_MAX   (64u << 20)

_Static_assert(sizeof(struct nettcp_sock) == 128, "a socket block is two cache lines");
_Static_assert(offsetof(struct nettcp_sock, rx_cons) == 64, "client line on its own cache line");
_Static_assert(sizeof(struct nettcp_area) == 256, "area header is four cache lines");
_Static_assert(offsetof(struct nettcp_area, magic) == 128, "service line");
_Static_assert(offsetof(struct nettcp_area, client_wants_wake) == 192, "client line");

#endif
