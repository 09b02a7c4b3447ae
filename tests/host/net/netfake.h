/*
 * netfake.h — helpers for the net stack's host tests and fuzzer: a fake
 * NIC behind struct net_dev_ops that records what the stack sends and
 * hands it frames to receive, builders for handcrafted frames, parsers
 * that check what came out, and a client with rings in plain memory.
 */
#ifndef AERIE_NETFAKE_H
#define AERIE_NETFAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net.h"
#include "netring.h"

#define FAKE_TX_MAX 256
#define FAKE_RX_MAX 64

struct fake_dev {
    unsigned ntx;                              /* frames recorded (at most FAKE_TX_MAX) */
    unsigned tx_total;                         /* frames taken in all */
    unsigned tx_calls;                         /* tx_batch calls */
    unsigned room;                             /* tx_room's answer */
    unsigned accept;                           /* frames tx_batch takes per call */
    uint16_t txlen[FAKE_TX_MAX];
    uint8_t  tx[FAKE_TX_MAX][NET_FRAME_MAX];
    unsigned nrx, rx_released;                 /* frames queued for rx_batch */
    uint16_t rxlen[FAKE_RX_MAX];
    uint8_t  rx[FAKE_RX_MAX][2048];
    unsigned wakes;                            /* wake_client calls */
    uint32_t last_woken;
};

extern const struct net_dev_ops fake_dev_ops;

/* Addresses of the test network: we are 10.0.2.15/24, the gateway 10.0.2.2. */
extern const uint8_t MAC_US[6], MAC_PEER[6], MAC_OTHER[6], MAC_BCAST[6];
#define IP_US    0x0a00020fu
#define IP_PEER  0x0a000202u          /* also the gateway */
#define IP_PEER2 0x0a000203u
#define IP_BCAST 0x0a0002ffu
#define IP_FAR   0x08080808u

/* A stack on a fresh fake device: unreach_per_sec as given. */
struct net_stack *fake_stack(struct fake_dev **dev, uint32_t unreach_per_sec);
void fake_stack_free(struct net_stack *s, struct fake_dev *dev);
/* Feeds one frame and flushes, at time now. */
void fake_rx(struct net_stack *s, const uint8_t *f, size_t len, uint64_t now);
void fake_clear_tx(struct fake_dev *d);

/* ---- building frames ---------------------------------------------------- */

struct pkt {
    uint8_t  eth_dst[6], eth_src[6];
    uint16_t eth_type;
    uint32_t src, dst;                 /* IPv4 */
    uint8_t  ttl, proto, opt_words;    /* opt_words: IHL - 5, filled with NOP options */
    uint16_t frag;                     /* flags + offset field */
    int      total_adjust;             /* added to the correct total length */
    bool     bad_ip_csum;
    uint16_t sport, dport;
    int      udp_len_adjust;           /* added to the correct UDP length */
    bool     no_udp_csum, bad_udp_csum;
    const uint8_t *payload;
    size_t   len;
};

struct pkt pkt_default(void);          /* peer -> us, UDP 7777 -> 5000, no payload */
size_t pkt_udp(uint8_t *f, const struct pkt *p);
size_t pkt_icmp(uint8_t *f, const struct pkt *p, uint8_t type, uint16_t id, uint16_t seq);
/* A TCP segment from p's addresses and ports; opts padded by the caller to
 * a multiple of 4. */
struct tcpf {
    uint32_t seq, ack;
    uint8_t  flags;
    uint16_t win;
    const uint8_t *opts;
    size_t   optlen;
    bool     bad_csum;
};
size_t pkt_tcp(uint8_t *f, const struct pkt *p, const struct tcpf *t);
size_t pkt_arp(uint8_t *f, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint16_t op,
               const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/* ---- reading frames ----------------------------------------------------- */

struct parsed {
    uint8_t  eth_dst[6], eth_src[6];
    uint16_t eth_type;
    uint32_t src, dst;
    uint8_t  proto, ttl;
    uint16_t frag;                     /* flags + offset; a fragment's l4 fields stay unparsed */
    const uint8_t *l4;                 /* ICMP/UDP header */
    size_t   l4_len;
    bool     ip_csum_ok, l4_csum_ok;
    uint16_t sport, dport;             /* UDP */
    const uint8_t *data;               /* UDP payload */
    size_t   data_len;
    uint32_t tcp_seq, tcp_ack;         /* TCP (sport, dport, data as for UDP) */
    uint8_t  tcp_flags;
    uint16_t tcp_win;
    bool     tcp_has_mss, tcp_has_ws, tcp_has_ts;
    uint16_t tcp_mss;
    uint8_t  tcp_ws;
    uint32_t tcp_tsval, tcp_tsecr;
    uint16_t arp_op;                   /* ARP */
    uint8_t  sha[6], tha[6];
    uint32_t spa, tpa;
};

/* Parses an Ethernet frame with an IPv4 or ARP payload; false if it is
 * neither or is inconsistent. */
bool parse_frame(const uint8_t *f, size_t len, struct parsed *out);
uint16_t be16(const uint8_t *p);
uint32_t be32(const uint8_t *p);

/* ---- a client with rings in plain memory -------------------------------- */

struct fake_client {
    uint32_t id;
    void *txmem, *rxmem;
    size_t size;
    struct netring tx, rx;             /* the client's own views */
};

/* Adds a client with one grant lo..hi and rings of nslots (0: no rings). */
int fake_client_add(struct net_stack *s, struct fake_client *c, uint16_t lo, uint16_t hi,
                    uint32_t nslots);
void fake_client_free(struct fake_client *c);
/* Queues one datagram in the client's TX ring and publishes it. */
bool fake_client_send(struct fake_client *c, uint16_t sport, uint32_t ip, uint16_t dport,
                      const void *data, uint16_t len);
/* Takes the next datagram from the client's RX ring; false if empty. */
bool fake_client_recv(struct fake_client *c, struct netring_meta *m, uint8_t *buf);
unsigned fake_client_pending(struct fake_client *c);

/* A TCP client: grants and an area of nsocks sockets over bytes, in
 * plain memory (with small datagram rings, as the service always has). */
struct fake_tcp {
    uint32_t id;
    struct nettcp_area *area;
    size_t bytes;
    void *rings;
};
int fake_tcp_add(struct net_stack *s, struct fake_tcp *c, const struct net_grant *g, unsigned n,
                 unsigned conns, uint32_t nsocks, size_t bytes);
void fake_tcp_free(struct fake_tcp *c);

/* Sum of all counters marked "drop" in struct net_stats. */
uint64_t stats_drops(const struct net_stats *st);

#endif
