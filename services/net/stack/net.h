/*
 * net.h — the net service's protocol stack (the papers' LUNA): Ethernet,
 * ARP, IPv4, ICMP echo and UDP, with UDP ports multiplexed between
 * clients that each hold a grant of port ranges. Everything here is
 * independent of the OS: frames come in through net_rx() (or a device's
 * rx_batch via net_poll()), frames go out through the device's tx_batch,
 * datagrams reach clients through shared-memory rings (lib/netring), and
 * the OS glue is told which client to wake through a hook. See docs/NET.md.
 *
 * The whole state is one plain structure the caller allocates (statically
 * in the service; it is about 1.2 MiB): no allocator, no libc beyond
 * memcpy/memset/memcmp. Not thread-safe: one service thread drives it.
 * Addresses and ports in this interface are in host byte order.
 */
#ifndef AERIE_NET_H
#define AERIE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/errors.h>
#include "netring.h"
#include <aerie/nettcp.h>

#define NET_MTU             1500
#define NET_ETH_HLEN        14
#define NET_FRAME_MAX       (NET_ETH_HLEN + NET_MTU)  /* 1514: no FCS, no VLAN tag */
#define NET_UDP_PAYLOAD_MAX 1472                      /* NET_MTU - IPv4 header - UDP header */
#define NET_UDP_DGRAM_MAX   NETRING_DGRAM_MAX         /* longer ones go in IPv4 fragments */
#define NET_REASM_MAX       (NET_UDP_DGRAM_MAX + 8)   /* IP payload of a datagram we reassemble */
#define NET_REASM_SLOTS     8       /* datagrams being reassembled, all sources */
#define NET_REASM_PER_SRC   2       /* ... from one source address */
#define NET_REASM_TIMEOUT_NS (15ull * 1000000000ull)  /* RFC 791's example timer */
#define NET_TX_BATCH        32      /* frames staged before one device tx_batch call */
#define NET_RX_BATCH        32      /* frames taken from the device per poll */
#define NET_TX_BUDGET       64      /* datagrams taken from one client's TX ring per poll */
#define NET_MAX_CLIENTS     256
#define NET_MAX_GRANTS      8       /* port ranges per client */
#define NET_ARP_CACHE_SIZE  64
#define NET_ARP_PENDING_MAX 32      /* frames waiting for ARP resolution, all entries */
#define NET_ARP_PENDING_PER_ENTRY  4
#define NET_ARP_PENDING_PER_CLIENT 8
#define NET_ARP_TTL_NS      (60ull * 1000000000ull)   /* a resolved entry lives this long */
#define NET_ARP_RETRY_NS    (1000000000ull)           /* between requests for a pending entry */
#define NET_ARP_TRIES       3                         /* requests before giving up */
#define NET_ARP_IN_USE_NS   (10ull * 1000000000ull)   /* an entry we sent through this recently is kept */
#define NET_UNREACH_MAX_RATE 1000000u                 /* cap on net_config.unreach_per_sec */
#define NET_TCP_MAX         1024    /* connections (TCBs) of all clients */
#define NET_TCP_HASH        1024    /* buckets of the connection table */
#define NET_TCP_TW_MAX      1024    /* connections in TIME-WAIT, the oldest recycled first */
#define NET_TCP_OOO_MAX     4       /* out-of-order ranges kept per connection */
#define NET_TCP_CONNS_DEFAULT 32    /* a client's connections when its grant names no number */
#define NET_TCP_AREA_PAGES  4096    /* a client's area: at most 16 MiB of buffers */
/* Loopback (loop.c): packets to our own address or 127/8 wait here, in
 * order, for the next poll's input. Each packet takes a descriptor and a
 * buffer: a small one (pure ACKs, SYNs, RSTs) or a full-size one. */
#define NET_LO_DESC         1024    /* packets queued, all clients */
#define NET_LO_BIG          128     /* full-size buffers (data segments) */
#define NET_LO_SMALL        1024    /* buffers for packets of at most NET_LO_SMALL_LEN */
#define NET_LO_SMALL_LEN    64
#define NET_LO_BIG_PER_CLIENT   64  /* full-size buffers one client's segments may hold */
#define NET_LO_SMALL_PER_CLIENT 256 /* small ones (the stack's own RSTs are not limited) */
#define NET_LO_LOOPBACK_SRC 0x7f000001u   /* our source address toward 127/8 */

_Static_assert(NET_UDP_PAYLOAD_MAX == NETRING_PAYLOAD_MAX, "a ring slot holds a full datagram");

/* A frame: Ethernet header onward, without FCS. */
struct net_frame {
    const uint8_t *data;
    uint16_t len;
};

/*
 * The NIC, Ixy-shaped: receive a batch, send a batch. The stack calls
 * these from net_poll()/net_flush() only.
 *   rx_batch:   up to max received frames; they stay valid until rx_release.
 *   rx_release: the stack is done with the frames of the last rx_batch.
 *   tx_batch:   sends n frames (the device copies them before returning);
 *               returns how many it took, the rest are dropped and counted.
 *   tx_room:    how many frames tx_batch would take now (may be NULL:
 *               unlimited); the stack drains client rings only that far.
 */
struct net_dev_ops {
    unsigned (*rx_batch)(void *dev, struct net_frame *frames, unsigned max);
    void     (*rx_release)(void *dev);
    unsigned (*tx_batch)(void *dev, const struct net_frame *frames, unsigned n);
    unsigned (*tx_room)(void *dev);
    /* Optional: a device buffer (at least NET_FRAME_MAX bytes) to build
     * the frame of staging index i (0..NET_TX_BATCH-1) in, or NULL (the
     * stack then builds it in its own txbuf[i]). The same buffer until a
     * tx_batch takes a frame built in it, which the device then sends
     * without copying it. */
    uint8_t *(*tx_frame)(void *dev, unsigned i);
};

/* What the OS glue learns from the stack. wake_client: the client asked
 * for a signal (its RX ring got datagrams while it slept, or its TX ring
 * got room while it waited). May be NULL. */
struct net_hooks {
    void (*wake_client)(void *ctx, uint32_t client_id);
    void *ctx;
};

/* Static configuration. The MAC comes from the device. */
struct net_config {
    uint8_t  mac[6];
    uint32_t ip;
    uint32_t netmask;            /* contiguous, e.g. 0xffffff00 */
    uint32_t gateway;            /* 0: no gateway, off-subnet destinations are unreachable */
    uint32_t unreach_per_sec;    /* ICMP port unreachable budget (also the burst);
                                    0: datagrams to unbound ports are dropped silently */
    uint64_t secret[2];          /* random per start: TCP initial sequence numbers, SYN cookies */
};

/* A client may bind ports lo..hi (inclusive) of each of its grants: UDP
 * ports, TCP ports to bind and listen on, or TCP destination ports it may
 * connect to. */
enum net_grant_kind { NET_GRANT_UDP = 0, NET_GRANT_TCP = 1, NET_GRANT_TCP_OUT = 2 };

struct net_grant {
    uint16_t lo, hi;
    uint8_t  kind;               /* enum net_grant_kind */
};

/* Counters, all monotonic. Every dropped frame or datagram is counted in
 * exactly one of the fields marked "drop". docs/NET.md lists them. */
struct net_stats {
    /* traffic that got through */
    uint64_t rx_frames, rx_bytes;            /* frames handed to net_rx */
    uint64_t tx_frames, tx_bytes;            /* frames the device took */
    /* Ethernet (drop) */
    uint64_t eth_runt;                       /* shorter than an Ethernet header */
    uint64_t eth_oversize;                   /* longer than NET_FRAME_MAX */
    uint64_t eth_not_ours;                   /* unicast to another MAC */
    uint64_t eth_multicast;                  /* multicast destination: no group joined */
    uint64_t eth_bad_src;                    /* source MAC multicast, zero or ours */
    uint64_t eth_unknown_type;               /* not IPv4 or ARP (IPv6, VLAN tags, ...) */
    /* ARP */
    uint64_t arp_malformed;                  /* drop: short, wrong types/lengths, bad op */
    uint64_t arp_spoof;                      /* drop: claims our IP or our MAC */
    uint64_t arp_bad_addr;                   /* drop: sender not a unicast host on our subnet */
    uint64_t arp_not_for_us;                 /* drop: request for another address */
    uint64_t arp_unsolicited;                /* drop: reply nobody asked for */
    uint64_t arp_requests_rx, arp_replies_rx;
    uint64_t arp_requests_tx, arp_replies_tx;
    uint64_t arp_cache_evict;                /* a live entry made room for a new one */
    uint64_t arp_cache_full;                 /* drop: no entry could be had (all static) */
    uint64_t arp_pending_full;               /* drop: the resolution queue is full */
    uint64_t arp_unresolved;                 /* drop: queued frame whose resolution failed */
    uint64_t arp_expired;                    /* resolved entries that timed out */
    /* IPv4 (drop) */
    uint64_t ip_truncated;                   /* shorter than its header, or than IHL says */
    uint64_t ip_bad_version;
    uint64_t ip_bad_ihl;                     /* IHL < 5 */
    uint64_t ip_bad_checksum;
    uint64_t ip_bad_length;                  /* total length < IHL*4 or > the frame */
    uint64_t ip_fragment;                    /* not a drop: fragments received (MF or offset) */
    uint64_t ip_frag_dropped;                /* drop: fragments discarded, held ones included */
    uint64_t ip_reasm_ok;                    /* datagrams reassembled */
    uint64_t ip_reasm_timeout;               /* datagrams given up: incomplete after the timer */
    uint64_t ip_reasm_evicted;               /* datagrams given up to make room (per source or all) */
    uint64_t ip_reasm_overlap;               /* datagrams given up: a fragment overlapped another */
    uint64_t ip_reasm_bad;                   /* datagrams given up: bad length, too big, inconsistent end */
    uint64_t ip_frag_tx;                     /* fragments sent (datagrams longer than a frame) */
    uint64_t ip_ttl_zero;
    uint64_t ip_bad_src;                     /* source zero, broadcast, multicast, loopback, ours */
    uint64_t ip_not_ours;                    /* destination neither us nor a broadcast */
    uint64_t ip_link_bcast;                  /* not a drop: our address in an Ethernet broadcast, taken as a broadcast */
    uint64_t ip_unknown_proto;               /* not ICMP, UDP or TCP */
    uint64_t ip_no_route;                    /* output: off-subnet and no gateway */
    /* ICMP */
    uint64_t icmp_truncated;                 /* drop */
    uint64_t icmp_bad_checksum;              /* drop */
    uint64_t icmp_broadcast;                 /* drop: echo request to a broadcast address */
    uint64_t icmp_other;                     /* drop: not an echo request */
    uint64_t icmp_echo_rx, icmp_echo_tx;
    uint64_t icmp_unreach_tx;                /* port unreachable sent */
    uint64_t icmp_unreach_limited;           /* port unreachable not sent: rate limit */
    /* UDP */
    uint64_t udp_truncated;                  /* drop: shorter than a UDP header */
    uint64_t udp_bad_length;                 /* drop: length field < 8 or > the IP payload */
    uint64_t udp_bad_checksum;               /* drop */
    uint64_t udp_bad_port;                   /* drop: destination port 0 */
    uint64_t udp_no_port;                    /* drop: nobody bound the port (see unreach_per_sec) */
    uint64_t udp_delivered;                  /* placed in a client's RX ring */
    uint64_t udp_sent;                       /* datagrams sent by clients (incl. local delivery) */
    /* clients */
    uint64_t client_ring_full;               /* drop: the owner's RX ring is full */
    uint64_t client_no_ring;                 /* drop: the owner has no RX ring attached */
    uint64_t client_ring_corrupt;            /* a ring index written by a client was bogus */
    uint64_t client_tx_denied;               /* drop: TX slot from a port the client did not bind */
    uint64_t client_tx_invalid;              /* drop: TX slot with bad length, port or address */
    /* transmit */
    uint64_t tx_dev_full;                    /* drop: frames the device did not take */
    uint64_t tx_oversize;                    /* drop: a frame longer than a slot (a bug if ever seen) */
    /* TCP input (drops) */
    uint64_t tcp_truncated;                  /* shorter than its header or its data offset */
    uint64_t tcp_bad_checksum;
    uint64_t tcp_no_port;                    /* no connection, no listener: answered with RST */
    uint64_t tcp_bad_seq;                    /* outside the receive window: answered with ACK */
    uint64_t tcp_bad_ack;                    /* acknowledges what we never sent */
    uint64_t tcp_bad_flags;                  /* SYN+FIN, no ACK where one is due, ... */
    uint64_t tcp_paws;                       /* old timestamp (RFC 7323 PAWS) */
    uint64_t tcp_rst_ignored;                /* RST not exactly at rcv_nxt (RFC 5961) */
    uint64_t tcp_syn_dropped;                /* handshake for a listener with no room: the peer sends again */
    uint64_t tcp_syn_pruned;                 /* a half-open child given up for a completed cookie handshake */
    uint64_t tcp_ooo_dropped;                /* out-of-order data with no range left to keep it */
    uint64_t tcp_dup;                        /* data we had already: answered with ACK */
    uint64_t tcp_after_close;                /* data for a socket the client closed: RST */
    /* TCP events */
    uint64_t tcp_segs_rx, tcp_segs_tx;
    uint64_t tcp_active_open, tcp_passive_open;
    uint64_t tcp_ooo;                        /* segments kept out of order */
    uint64_t tcp_retrans;                    /* segments sent again (RTO or fast retransmit) */
    uint64_t tcp_rto;                        /* retransmission timeouts */
    uint64_t tcp_fast_retrans;               /* fast retransmits (three duplicate ACKs) */
    uint64_t tcp_rst_rx, tcp_rst_tx;
    uint64_t tcp_challenge_ack;              /* RFC 5961 */
    uint64_t tcp_ack_limited;                /* not sent: an answer to a refused bare segment within 500 ms of the last (RFC 5961 7) */
    uint64_t tcp_window_probe;               /* zero-window probes sent */
    uint64_t tcp_keepalive;                  /* keepalive probes sent */
    uint64_t tcp_timeout;                    /* connections ended by too many retransmissions */
    uint64_t tcp_backlog_full;               /* SYNs to a listener with no room for another half-open */
    uint64_t tcp_cookie_tx, tcp_cookie_ok, tcp_cookie_bad;   /* SYN cookies */
    uint64_t tcp_tw_recycled;                /* TIME-WAIT entries reused before they expired */
    uint64_t tcp_no_buffer;                  /* connections refused: the client's area was full */
    /* loopback */
    uint64_t lo_packets;                     /* packets to ourselves, put through input again */
    uint64_t lo_full;                        /* drop (output): the loopback queue had no room */
};

/* Per-client counters (net_client_stats). */
struct net_client_stats {
    uint64_t rx_delivered;       /* datagrams placed in its RX ring, TCP segments its connections took in */
    uint64_t rx_dropped;         /* datagrams for it dropped: ring full or absent */
    uint64_t tx_sent;            /* datagrams it sent, TCP segments sent for it */
    uint64_t tx_refused;         /* datagrams it tried to send that were refused */
};

/* ---- internal state: in plain sight, but only the stack's files touch it */

enum net_arp_state { NET_ARP_FREE, NET_ARP_PENDING, NET_ARP_RESOLVED, NET_ARP_STATIC };

struct net_arp_entry {
    uint32_t ip;
    uint8_t  mac[6];
    uint8_t  state;              /* enum net_arp_state */
    uint8_t  tries;              /* requests sent while PENDING */
    uint64_t deadline;           /* RESOLVED: expiry; PENDING: next request */
    uint32_t stamp;              /* when last created or refreshed: eviction order */
    uint64_t used_at;            /* when we last sent a frame through it (ns), 0: never */
    int16_t  queue;              /* first waiting frame (index into pending[]), -1: none */
    uint16_t nqueued;
};

struct net_pending {
    int16_t  next;               /* next frame of the same entry, or of the free list */
    uint16_t owner;              /* client slot + 1, or 0 for the stack's own replies */
    uint16_t len;
    uint8_t  frame[NET_FRAME_MAX];
};

/* TCP (tcp_*.c). The states of RFC 9293 3.3.2; TIME-WAIT lives in a
 * table of its own (struct net_tcp_tw) so that it holds no socket. */
enum tcp_state {
    TCP_FREE = 0, TCP_BOUND, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
    TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK, TCP_DONE,
};

struct net_tcb {
    uint8_t  state;              /* enum tcp_state */
    bool     ts_ok, ws_ok;       /* timestamps, window scaling agreed (RFC 7323) */
    bool     nodelay, keepalive, reuse;
    bool     closed;             /* the client let go: free when the protocol is done */
    bool     fin_queued;         /* the client shut down writing: FIN after the data */
    bool     fin_rcvd;           /* the peer's FIN is in (rcv_nxt counts it) */
    bool     ack_now, ack_delayed;
    bool     in_recovery;        /* NewReno fast recovery (RFC 6582) */
    bool     rtt_timing;
    bool     accepted;           /* a passive child the client has taken from the queue */
    bool     cookie;             /* made from a SYN cookie */
    bool     queued_out;         /* on the output list */
    uint8_t  snd_wscale, rcv_wscale;
    uint8_t  dupacks, backoff, retries, keep_probes, nooo;
    uint8_t  persist_probes;     /* zero-window probes since the peer last sent an ACK */
    uint16_t owner;              /* client slot + 1 */
    uint16_t sock;               /* its block in the owner's area */
    int16_t  hnext;              /* next in the same hash bucket, -1 */
    int16_t  listener;           /* passive child: its listener, -1 */
    uint16_t mss;                /* largest segment we send (payload, options excluded) */
    uint16_t peer_mss;
    uint16_t backlog, nchild;    /* listener: queue limit, children not yet taken */
    uint16_t lport, rport;
    uint32_t lip, rip;
    uint32_t gen;                /* the socket block's generation when this TCB took it */
    /* send sequence space (RFC 9293 3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;        /* the largest window the peer offered: RFC 5961 5.2's MAX.SND.WND */
    uint32_t fin_seq;            /* sequence number of our FIN once queued */
    /* receive sequence space */
    uint32_t irs, rcv_nxt, rcv_adv;              /* rcv_adv: right edge we advertised */
    uint32_t ts_recent, last_ack_sent, ts_offset;
    /* congestion control: NewReno (RFC 5681, RFC 6582) */
    uint32_t cwnd, ssthresh, recover;
    /* RTT (RFC 6298), microseconds */
    uint32_t srtt, rttvar, rto, rtt_seq;
    uint64_t rtt_start;
    /* timers, ns; 0 = off */
    uint64_t rto_at, delack_at, persist_at, keep_at;
    uint64_t last_rx;            /* for keepalive */
    uint64_t invalid_ack_at;     /* when we last answered a refused segment without data (ns), 0: never */
    uint32_t keep_idle_s, keep_intvl_s;
    uint8_t  keep_cnt;
    uint8_t  segs_unacked;       /* full segments received since our last ACK */
    /* buffers in the client's area: private copies of the geometry */
    uint32_t rx_off, rx_size, tx_off, tx_size;
    uint32_t rx_prod;            /* in-order bytes published (accept queue: bytes of ids) */
    uint32_t rx_cons_seen;       /* the client's rx_cons as last validated */
    uint32_t tx_prod_seen;       /* the client's tx_prod as last validated */
    uint32_t child_bufs;         /* listener: rcvbuf | sndbuf of children, in pages (16 bits each) */
    uint32_t qpos;               /* passive child: its place in the listener's accept queue */
    uint8_t  child_opts;
    uint32_t ooo_lo[NET_TCP_OOO_MAX], ooo_hi[NET_TCP_OOO_MAX];  /* sequence ranges held past rcv_nxt */
    int32_t  error;              /* AE_* to report once DONE */
    int16_t  onext;              /* output list */
};

/* A connection in TIME-WAIT: what it takes to answer a retransmitted FIN
 * and to keep old duplicates out, and nothing of the client's. */
struct net_tcp_tw {
    uint32_t lip, rip;
    uint16_t lport, rport;
    uint32_t snd_nxt, rcv_nxt, ts_recent, ts_offset;
    bool     ts_ok, in_use;
    uint8_t  rcv_wscale;
    int16_t  hnext;
    uint64_t expire;
};

/* One datagram being reassembled (ipfrag.c). pkt holds a rebuilt 20-byte
 * header, then the payload at its offsets; blocks marks the 8-byte
 * blocks received. */
struct net_reasm {
    bool     used;
    uint8_t  proto, ttl;
    uint16_t id;
    uint16_t total;              /* payload bytes; 0 until the last fragment came */
    uint16_t have;               /* payload bytes received (fragments never overlap) */
    uint16_t end;                /* highest offset + length seen */
    uint16_t nfrags;             /* fragments held */
    uint32_t src, dst;
    uint64_t deadline;
    uint8_t  blocks[(NET_REASM_MAX / 8 + 8) / 8];
    uint8_t  pkt[20 + NET_REASM_MAX];
};

/* The loopback queue (loop.c): descriptors in order; the buffers of
 * each size are taken and given back in order too, so each is a ring. */
struct net_lo_desc {
    uint16_t len;
    uint16_t owner;              /* client slot + 1, or 0 for the stack's own */
    bool     big;
};

struct net_client {
    uint16_t gen;                /* the id is gen << 16 | slot; gen != 0 */
    bool     in_use;
    bool     has_rings;
    bool     rx_dirty;           /* RX slots committed, not yet published */
    bool     tcp_dirty;          /* socket blocks changed since the last wake-up check */
    bool     listed;             /* on the stack's dirty list */
    uint8_t  ngrants;
    uint16_t nports;             /* ports bound */
    uint16_t npending;           /* frames of its in the ARP queue */
    uint16_t lo_big, lo_small;   /* its packets in the loopback queue, by buffer size */
    struct net_grant grants[NET_MAX_GRANTS];
    struct netring tx, rx;
    uint32_t tx_corrupt_seen, rx_corrupt_seen;   /* ring corrupt counts already in stats */
    struct net_client_stats stats;
    /* TCP: its connection budget, its area, and which TCB each socket block holds */
    uint16_t tcp_conns;          /* TCBs reserved for it (net_client_add_tcp) */
    uint16_t tcp_used;
    uint32_t tcp_nsocks;
    struct nettcp_area *tcp_area;
    uint32_t tcp_bytes;          /* the area, private copy */
    uint32_t tcp_buf_off, tcp_npages;
    int16_t  sock_tcb[NETTCP_MAX_SOCKS];         /* TCB index, -1 */
    uint64_t page_used[NET_TCP_AREA_PAGES / 64]; /* buffer pages handed out */
};

struct net_stack {
    struct net_config cfg;
    const struct net_dev_ops *ops;
    void *dev;
    struct net_hooks hooks;
    uint64_t now;                /* ns, from the last net_rx/net_poll/net_timers */
    uint16_t ip_id;
    bool     idle_armed;         /* wakeup flags set on client TX rings */
    uint64_t unreach_tokens;     /* token bucket, in 1/1e9 tokens */
    uint64_t unreach_last;
    struct net_stats stats;

    struct net_arp_entry arp[NET_ARP_CACHE_SIZE];
    unsigned arp_hint;           /* index of the last entry found */
    uint32_t arp_clock;          /* stamps entries; counts updates, not time */
    struct net_pending pending[NET_ARP_PENDING_MAX];
    int16_t  pending_free;

    /* frames staged for the device */
    unsigned ntx;
    struct net_frame txframes[NET_TX_BATCH];
    uint8_t  txbuf[NET_TX_BATCH][NET_FRAME_MAX];

    struct net_frame rxframes[NET_RX_BATCH];

    /* IPv4 fragments: reassembly in, fragmentation out */
    struct net_reasm reasm[NET_REASM_SLOTS];
    uint8_t  dgram[8 + NET_UDP_DGRAM_MAX];   /* a long datagram: a client's, or one we fragment */

    /* TCP */
    struct net_tcb tcb[NET_TCP_MAX];
    int16_t  tcb_free;                  /* free list through hnext */
    int16_t  tcp_hash[NET_TCP_HASH];    /* connections and listeners by their ports */
    int16_t  tcp_out;                   /* TCBs with something to send */
    unsigned tcp_reserved;              /* connections promised to clients, at most NET_TCP_MAX */
    struct net_tcp_tw tw[NET_TCP_TW_MAX];
    int16_t  tw_hash[NET_TCP_HASH];
    unsigned tw_next;                   /* the next TIME-WAIT entry to take (round robin: the oldest) */
    uint64_t tcp_next_timer;            /* earliest TCP timer, UINT64_MAX: none */
    uint64_t tcp_secret[2];             /* SYN cookies and initial sequence numbers */
    uint16_t tcp_ephemeral;             /* next local port to try for connect */

    /* loopback */
    struct net_lo_desc lo_desc[NET_LO_DESC];
    unsigned lo_head, lo_count;                     /* descriptors */
    unsigned lo_big_head, lo_big_count, lo_small_head, lo_small_count;
    uint8_t  lo_big[NET_LO_BIG][NET_MTU];
    uint8_t  lo_small[NET_LO_SMALL][NET_LO_SMALL_LEN];

    struct net_client clients[NET_MAX_CLIENTS];
    uint16_t active[NET_MAX_CLIENTS];   /* slots with rings, drained round robin */
    unsigned nactive, rr;
    uint16_t dirty[NET_MAX_CLIENTS];    /* slots with unpublished RX slots */
    unsigned ndirty;
    uint16_t port_owner[65536];         /* client slot + 1; 0: unbound */
};

/* ---- the interface --------------------------------------------------- */

/* Sets up the stack (cfg copied). Returns 0 or AE_EINVAL (no IP, bad
 * netmask, gateway off-subnet, MAC not unicast, missing tx_batch). */
int net_init(struct net_stack *s, const struct net_config *cfg,
             const struct net_dev_ops *ops, void *dev, const struct net_hooks *hooks);

/* Handles one received frame. Replies and deliveries are staged; they go
 * out at the next net_flush() (or when a batch fills). */
void net_rx(struct net_stack *s, const uint8_t *frame, size_t len, uint64_t now_ns);

/* Sends the staged frames in one tx_batch and publishes client RX rings,
 * waking the clients that asked for it. */
void net_flush(struct net_stack *s);

/* One round of the service loop: runs timers, takes a batch from the
 * device, drains the clients' TX rings, flushes. Returns how much work it
 * found (frames + datagrams); 0 means the caller may go idle. */
unsigned net_poll(struct net_stack *s, uint64_t now_ns);

/* Before sleeping: asks every client to signal on its next TX publish and
 * checks once more. Returns true if there is no work (sleep), false if a
 * TX ring got work meanwhile (poll again). net_poll clears the flags. */
bool net_idle_prepare(struct net_stack *s);

/* Runs ARP timers (retries, expiry). Returns the time of the next timer
 * event, UINT64_MAX if none. */
uint64_t net_timers(struct net_stack *s, uint64_t now_ns);

void net_get_stats(const struct net_stack *s, struct net_stats *out);

/* Counter names and offsets into struct net_stats, for printing. */
struct net_stat_name {
    const char *name;
    size_t offset;
};
extern const struct net_stat_name net_stat_names[];
extern const unsigned net_stat_count;

/* A permanent ARP entry (e.g. the gateway). 0, AE_EINVAL (not a unicast
 * host on our subnet, or our own IP), AE_ENOSPC (the cache is all static). */
int net_arp_add_static(struct net_stack *s, uint32_t ip, const uint8_t mac[6]);
/* Looks up a resolved or static entry: 0 and the MAC, or AE_ENOENT. */
int net_arp_lookup(struct net_stack *s, uint32_t ip, uint8_t mac_out[6]);

/* ---- clients --------------------------------------------------------- */

/* Adds a client with n grants (copied; lo <= hi, port 0 excluded).
 * 0 and *id, AE_EINVAL, AE_ELIMIT (no free client slot). A client with a
 * TCP grant gets NET_TCP_CONNS_DEFAULT connections (net_client_add_tcp:
 * conns of them; AE_ENOMEM if the service cannot promise that many). */
int net_client_add(struct net_stack *s, const struct net_grant *grants, unsigned n,
                   uint32_t *id);
int net_client_add_tcp(struct net_stack *s, const struct net_grant *grants, unsigned n,
                       unsigned conns, uint32_t *id);
/* A client an earlier instance of the service made, in the same slot and
 * generation (id), after a restart (docs/RESTART.md). 0, AE_EINVAL,
 * AE_EBUSY (slot taken), AE_ENOMEM (TCP budget). */
int net_client_restore(struct net_stack *s, uint32_t id, const struct net_grant *grants, unsigned n,
                       unsigned conns);
/* The TCP connections the client may have at once (0: no TCP). */
unsigned net_client_tcp_conns(const struct net_stack *s, uint32_t id);
/* Removes a client: unbinds all its ports, drops its frames waiting for
 * ARP, forgets its rings. 0 or AE_ESRCH. */
int net_client_remove(struct net_stack *s, uint32_t id);
/* Formats and attaches the client's TX and RX rings (memory shared with
 * the client, 64-byte aligned, each NETRING_BYTES(nslots)). Replaces any
 * earlier rings. 0, AE_ESRCH, AE_EINVAL. */
int net_client_attach(struct net_stack *s, uint32_t id, void *tx_mem, size_t tx_size,
                      void *rx_mem, size_t rx_size, uint32_t nslots);
/* The same for rings an earlier instance formatted: not formatted again,
 * each side's index read back from the shared header. */
int net_client_resume(struct net_stack *s, uint32_t id, void *tx_mem, size_t tx_size,
                      void *rx_mem, size_t rx_size, uint32_t nslots);
/* Forgets the rings (before the glue unmaps them). 0 or AE_ESRCH. */
int net_client_detach(struct net_stack *s, uint32_t id);
int net_client_stats(const struct net_stack *s, uint32_t id, struct net_client_stats *out);

/* Binds a UDP port to the client. port 0 picks a free port from its
 * grants. 0 and *bound; AE_ESRCH, AE_EACCES (outside its grants),
 * AE_EADDRINUSE (bound by anyone, itself included), AE_EADDRNOTAVAIL
 * (port 0 and every granted port taken). */
int net_bind(struct net_stack *s, uint32_t id, uint16_t port, uint16_t *bound);
/* 0, AE_ESRCH, AE_ENOENT (the client has not bound that port). */
int net_unbind(struct net_stack *s, uint32_t id, uint16_t port);

/* Sends a datagram from a port the client bound. 0 (sent, staged or
 * waiting for ARP); AE_ESRCH; AE_EACCES (port not bound by this client,
 * or a broadcast destination); AE_EMSGSIZE (> NET_UDP_PAYLOAD_MAX);
 * AE_EINVAL (destination port 0); AE_EDESTADDRREQ (address 0);
 * AE_EADDRNOTAVAIL (multicast or no route); AE_ECONNREFUSED (our own
 * address and the port is unbound); AE_EAGAIN (ARP queue full).
 * Every refusal is also counted once in net_stats (client_tx_denied,
 * client_tx_invalid, ip_no_route, udp_no_port, arp_pending_full). */
int net_send(struct net_stack *s, uint32_t id, uint16_t src_port, uint32_t dst_ip,
             uint16_t dst_port, const void *data, size_t len);

/* ---- TCP sockets (tcp_socket.c; the area layout is aerie/nettcp.h) ------ */

/* The values are those of aerie/proto/net.h (NET_TCP_SOCK_NEW, NET_TCP_O_*,
 * NET_TCP_OPT_*), so the glue passes them through. */
#define NET_TCP_NEW       0xffffffffu   /* sock argument: make a new socket */
#define NET_TCP_O_NODELAY   0x1u
#define NET_TCP_O_KEEPALIVE 0x2u
#define NET_TCP_O_REUSEADDR 0x4u

enum net_tcp_opt { NET_TCPOPT_NODELAY = 1, NET_TCPOPT_KEEPALIVE, NET_TCPOPT_KEEPIDLE,
                   NET_TCPOPT_KEEPINTVL, NET_TCPOPT_KEEPCNT };

/* Formats and attaches the client's socket area (bytes at mem, 4 KiB
 * aligned, nsocks blocks); a live area is replaced, its connections
 * reset. 0, AE_ESRCH, AE_EACCES (no TCP), AE_EINVAL. */
int net_tcp_attach(struct net_stack *s, uint32_t id, void *mem, size_t bytes, uint32_t nsocks);
/* After a restart: takes over an area an earlier instance formatted. Its
 * connections and listeners are gone with that instance: every socket in
 * use is shown DONE with AE_ECONNRESET (its buffers stay the client's until
 * it closes the socket), and the client opens new ones. */
int net_tcp_resume(struct net_stack *s, uint32_t id, void *mem, size_t bytes, uint32_t nsocks);
/* Forgets the area: every connection is reset and its TCB freed. */
void net_tcp_detach(struct net_stack *s, uint32_t id);
/* Binds a TCP port (0: a free granted one) to a new socket block. 0 and
 * *sock, *bound; AE_EACCES (not granted), AE_EADDRINUSE, AE_EADDRNOTAVAIL,
 * AE_ENOMEM (no block or connection left), AE_ENOTCONN (no area). */
int net_tcp_bind(struct net_stack *s, uint32_t id, uint16_t port, uint32_t opts, uint32_t *sock,
                 uint16_t *bound);
/* Listens on a bound socket; children get buffers of rcvbuf/sndbuf bytes. */
int net_tcp_listen(struct net_stack *s, uint32_t id, uint32_t sock, unsigned backlog,
                   uint32_t rcvbuf, uint32_t sndbuf, uint32_t opts);
/* Starts a connection (sock: a bound socket, or NET_TCP_NEW). The SYN goes
 * out at once; the block's state says how it ends. 0 and *sock, *lport;
 * AE_EACCES (destination port not granted), AE_EADDRNOTAVAIL (no route,
 * no free local port), AE_EINVAL, AE_ENOMEM, AE_EISCONN. */
int net_tcp_connect(struct net_stack *s, uint32_t id, uint32_t sock, uint32_t ip, uint16_t port,
                    uint32_t rcvbuf, uint32_t sndbuf, uint32_t opts, uint32_t *sock_out,
                    uint16_t *lport);
int net_tcp_setopt(struct net_stack *s, uint32_t id, uint32_t sock, uint32_t opt, uint32_t val);

/* TCP's gauges (not counters: they go down too): connections by state,
 * TIME-WAIT entries, connections promised to clients. */
#define NET_TCP_GAUGES 10
extern const char *const net_tcp_gauge_names[NET_TCP_GAUGES];
void net_tcp_gauges(const struct net_stack *s, uint64_t out[NET_TCP_GAUGES]);

#endif
