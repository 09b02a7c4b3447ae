/*
 * aerie/proto/net.h — the net service protocol (docs/NET.md, "Protocol").
 *
 * The net service gives its clients UDP and TCP over IPv4. A client
 * (normally one container) is created by whoever holds the admin
 * capability (badge bit NET_ADMIN_BADGE: the container manager, and root
 * for programs its boot.conf starts) with NET_ADMIN_CLIENT_ADD, which
 * names the port ranges the client may use (UDP ports to bind, TCP ports
 * to listen on, TCP destination ports to connect to) and how many TCP
 * connections it may have, and returns a send capability badged for that
 * client. With it the client attaches its shared memory (the datagram
 * rings of aerie/netring.h and the TCP socket area of aerie/nettcp.h);
 * data then moves through that memory, never through message words.
 *
 * Requests are IPC calls: the label is the opcode, the words are laid out
 * per opcode below. A reply's label is 0 or a negated AE_* error
 * (aerie/proto/proto.h); its words mean something only on success.
 */
#ifndef AERIE_PROTO_NET_H
#define AERIE_PROTO_NET_H

#include <stdint.h>
#include "proto.h"
#include "../netring.h"
#include "../nettcp.h"
#include "../syscall.h"

#define NET_ADMIN_BADGE      (1ull << 62)   /* the console's CON_ADMIN_BADGE bit */
#define NET_MAX_RANGES       8              /* port ranges per client */
#define NET_RING_SLOTS_MIN   NETRING_MIN_SLOTS
#define NET_RING_SLOTS_MAX   256            /* per ring; bounds what the service maps */
#define NET_RING_SLOTS_DEFAULT 64

/* The ring memory a client attaches: the TX ring (client -> service) at
 * offset 0, the RX ring (service -> client) at the next page boundary. */
#define NET_RING_RX_OFFSET(n) ((NETRING_BYTES(n) + 4095) & ~(uint64_t)4095)
#define NET_RING_MEM_BYTES(n) (NET_RING_RX_OFFSET(n) + ((NETRING_BYTES(n) + 4095) & ~(uint64_t)4095))

/* A port range in a request word: lo | hi << 16 | kind << 32, 1 <= lo <= hi.
 * kind: NET_PORTS_UDP (0: what a bare range always meant), NET_PORTS_TCP
 * (bind and listen), NET_PORTS_TCP_OUT (destination ports to connect to). */
#define NET_PORTS_UDP        0u
#define NET_PORTS_TCP        1u
#define NET_PORTS_TCP_OUT    2u
#define NET_RANGE(lo, hi)    ((uint64_t)(uint16_t)(lo) | (uint64_t)(uint16_t)(hi) << 16)
#define NET_RANGE_K(lo, hi, kind) (NET_RANGE(lo, hi) | (uint64_t)(kind) << 32)
#define NET_RANGE_LO(w)      ((uint16_t)(w))
#define NET_RANGE_HI(w)      ((uint16_t)((w) >> 16))
#define NET_RANGE_KIND(w)    ((unsigned)((w) >> 32))
#define NET_CONNS_MAX        1024           /* TCP connections one client may be promised */

/* The TCP socket area sits in the attached memory right after the rings. */
#define NET_TCP_AREA_OFFSET(n) NET_RING_MEM_BYTES(n)

/* Notification bits. The client's notification is signalled with
 * NET_WAKE_CLIENT when its RX ring got datagrams or its TX ring got room
 * while it had asked to be woken (the rings' *_wants_wakeup flags). The
 * capability NET_ATTACH returns signals the service with NET_WAKE_SERVICE. */
#define NET_WAKE_CLIENT      0x1ull
#define NET_WAKE_SERVICE     0x2ull

enum net_op {
    /* Client operations: the caller's badge names the client. */
    NET_BIND          = 1,   /* 0: port (0: any free granted port), 1 (optional): NET_BIND_AGAIN
                                -> 0: port bound */
    NET_UNBIND        = 2,   /* 0: port                                     -> () */
    NET_ATTACH        = 3,   /* 0: nslots (a power of two, 2..NET_RING_SLOTS_MAX),
                                1: TCP area bytes (0: none; a multiple of 4096), 2: its sockets (1..256);
                                caps: [0] Memory, read-write, >= NET_RING_MEM_BYTES(nslots) + area;
                                      [1] Notification (write) the service signals
                                -> caps: [0] send capability to the service's notification */
    NET_CLIENT_STATS  = 4,   /* -> 0: rx_delivered 1: rx_dropped 2: tx_sent 3: tx_refused */
    NET_INFO          = 5,   /* -> 0: our IPv4 address 1: netmask 2: gateway 3: MAC (low 48 bits)
                                   4: the caller's TCP connections (0: no TCP) */
    /* TCP (docs/NET.md, "TCP sockets"); sockets are indices in the area. */
    NET_TCP_BIND      = 6,   /* 0: port (0: a free granted one) 1: NET_TCP_O_* -> 0: socket 1: port */
    NET_TCP_LISTEN    = 7,   /* 0: socket 1: backlog 2: children's rcvbuf 3: sndbuf 4: NET_TCP_O_* */
    NET_TCP_CONNECT   = 8,   /* 0: socket (a bound one, or NET_TCP_SOCK_NEW) 1: IPv4 address 2: port
                                3: rcvbuf 4: sndbuf 5: NET_TCP_O_* -> 0: socket 1: local port */
    NET_TCP_SETOPT    = 9,   /* 0: socket 1: option (NET_TCP_OPT_*) 2: value */
    /* Admin operations: only with a badge that has NET_ADMIN_BADGE set. */
    NET_ADMIN_CLIENT_ADD    = 16, /* 0: n ranges (1..NET_MAX_RANGES) | TCP connections << 16
                                     (0: a default if a TCP range is given), 1..n: NET_RANGE_K(lo, hi, kind)
                                     -> 0: client id; caps: [0] send capability for the client */
    NET_ADMIN_CLIENT_REMOVE = 17, /* 0: client id -> (): its ports, rings and capability are gone */
    NET_ADMIN_STATS         = 18, /* 0: first counter -> 0: counters in all, 1: n in this reply,
                                     then n records of NET_STAT_WORDS: value, name (NUL-padded) */
    NET_ADMIN_CLIENT_STATS  = 19, /* 0: client id -> as NET_CLIENT_STATS */
    NET_OP_COUNT
};

/* NET_BIND word 1: this is a bind sent again because the first try's
 * service died with it (AE_EDEAD); a port this client already holds is
 * then its own bind, done before the restart, and succeeds. */
#define NET_BIND_AGAIN       0x1ull

#define NET_TCP_SOCK_NEW     0xffffffffu
#define NET_TCP_O_NODELAY    0x1u
#define NET_TCP_O_KEEPALIVE  0x2u
#define NET_TCP_O_REUSEADDR  0x4u
#define NET_TCP_OPT_NODELAY   1u
#define NET_TCP_OPT_KEEPALIVE 2u
#define NET_TCP_OPT_KEEPIDLE  3u          /* seconds */
#define NET_TCP_OPT_KEEPINTVL 4u
#define NET_TCP_OPT_KEEPCNT   5u

#define NET_STAT_NAME_BYTES  24
#define NET_STAT_WORDS       (1 + NET_STAT_NAME_BYTES / 8)
#define NET_STATS_PER_REPLY  ((AERIE_MSG_WORDS - 2) / NET_STAT_WORDS)

_Static_assert(2 + NET_STATS_PER_REPLY * NET_STAT_WORDS <= AERIE_MSG_WORDS, "a stats reply fits");
_Static_assert(1 + NET_MAX_RANGES <= AERIE_MSG_WORDS, "a client-add request fits");
_Static_assert(6 <= AERIE_MSG_WORDS, "a connect request fits");

#endif
