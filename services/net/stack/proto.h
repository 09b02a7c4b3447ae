/*
 * proto.h — what the stack's files offer each other (not the service's
 * interface: that is net.h). Headers are parsed and built byte by byte
 * in network order with get16/put16 and friends, so no structure is ever
 * cast onto packet bytes and no alignment is assumed.
 */
#ifndef AERIE_NET_PROTO_H
#define AERIE_NET_PROTO_H

#include <string.h>
#include <aerie/errors.h>
#include "net.h"

#define ETH_TYPE_IPV4  0x0800
#define ETH_TYPE_ARP   0x0806
#define ETH_MIN_FRAME  60            /* shorter frames are padded on output */
#define IP_HLEN        20            /* without options; we never send options */
#define IP_PROTO_ICMP  1
#define IP_PROTO_UDP   17
#define IP_PROTO_TCP   6
#define IP_TTL_OUT     64
#define UDP_HLEN       8
#define ICMP_HLEN      8
#define ARP_LEN        28            /* Ethernet/IPv4 ARP packet */
#define NS_PER_SEC     1000000000ull

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline bool mac_is_group(const uint8_t *m)     /* multicast or broadcast */
{
    return m[0] & 1;
}

static inline bool mac_is_zero(const uint8_t *m)
{
    return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

static inline bool mac_is_broadcast(const uint8_t *m)
{
    return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

/* csum.c: the Internet checksum (RFC 1071). csum_add accumulates bytes as
 * big-endian 16-bit words (an odd final byte padded with zero); only the
 * last piece of a checksummed sequence may have an odd length. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Copies src to dst (not overlapping) and returns csum_add(sum, dst, len). */
uint32_t csum_copy(uint32_t sum, uint8_t *dst, const uint8_t *src, size_t len);
uint16_t csum_fold(uint32_t sum);     /* one's complement of the folded sum */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* eth.c: the staging batch. eth_tx_begin returns the buffer for the next
 * frame (flushing a full batch first); the frame becomes part of the
 * batch only at eth_tx_commit, which writes the Ethernet header. Nothing
 * else may call eth_tx_begin between the two. */
uint8_t *eth_tx_begin(struct net_stack *s);
void eth_tx_commit(struct net_stack *s, uint8_t *frame, const uint8_t dst[6], uint16_t type,
                   size_t len);
void eth_tx_flush(struct net_stack *s);
extern const uint8_t eth_broadcast[6];

/* arp.c */
void arp_init(struct net_stack *s);
void arp_input(struct net_stack *s, const uint8_t *p, size_t len);
/* Sends an IPv4 frame (built in the staging buffer) to next hop `hop`,
 * or queues a copy until hop is resolved. owner: client slot + 1, or 0. */
int arp_output(struct net_stack *s, uint32_t hop, uint8_t *frame, size_t len, uint16_t owner);
uint64_t arp_timers(struct net_stack *s);
void arp_drop_owner(struct net_stack *s, uint16_t owner);

/* ipv4.c */
bool ipv4_is_broadcast(const struct net_stack *s, uint32_t ip);
bool ipv4_is_multicast_or_reserved(uint32_t ip);
bool ipv4_is_loopback(uint32_t ip);
bool ipv4_on_subnet(const struct net_stack *s, uint32_t ip);
bool ipv4_is_unicast_neighbour(const struct net_stack *s, uint32_t ip);
bool ipv4_is_local(const struct net_stack *s, uint32_t ip);     /* ours or 127/8 (loop.c) */
uint32_t ipv4_source_for(const struct net_stack *s, uint32_t dst);
void ipv4_input(struct net_stack *s, const uint8_t *p, size_t len, bool link_bcast);
void ipv4_input_looped(struct net_stack *s, const uint8_t *p, size_t len);
/* Builds the IPv4 header in front of the payload_len bytes at
 * frame + NET_ETH_HLEN + IP_HLEN, routes and sends. 0 or AE_*. */
int ipv4_output(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                uint8_t proto, uint16_t owner);
int ipv4_output_from(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t src, uint32_t dst,
                     uint8_t proto, uint16_t owner);
int ipv4_output_frag(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                     uint8_t proto, uint16_t owner, uint16_t id, uint16_t frag);

/* loop.c: packets to ourselves, through input at the next poll */
int lo_output(struct net_stack *s, const uint8_t *ip, size_t len, uint16_t owner);
unsigned lo_input_all(struct net_stack *s);
unsigned lo_room(const struct net_stack *s, uint16_t owner);
void lo_drop_owner(struct net_stack *s, uint16_t owner);

/* ipfrag.c: reassembly (bounded, docs/NET.md) and fragmentation. */
const uint8_t *ipfrag_input(struct net_stack *s, const uint8_t *ip, size_t ihl, size_t total,
                            size_t *len);
uint64_t ipfrag_timers(struct net_stack *s);
int ipfrag_output(struct net_stack *s, const uint8_t *payload, size_t len, uint32_t dst, uint8_t proto,
                  uint16_t owner);

/* icmp.c: ip is the whole IPv4 packet (total length ip_len), p/len its
 * ICMP message. */
void icmp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len,
                bool to_broadcast);
void icmp_port_unreachable(struct net_stack *s, const uint8_t *ip, size_t ip_len);

/* udp.c */
void udp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len,
               bool to_broadcast);
int udp_send(struct net_stack *s, uint16_t owner, uint16_t sport, uint32_t dst,
             uint16_t dport, const uint8_t *data, size_t len);

/* tcp_*.c (tcp.h has what they share among themselves) */
void tcp_init(struct net_stack *s);
void tcp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len, bool to_broadcast);
uint64_t tcp_timers(struct net_stack *s);
void tcp_poll_news(struct net_stack *s, unsigned *work);
unsigned tcp_output_all(struct net_stack *s, unsigned budget);
bool tcp_idle_prepare(struct net_stack *s);
void tcp_idle_end(struct net_stack *s);
void tcp_client_gone(struct net_stack *s, uint16_t owner);
void tcp_publish_client(struct net_stack *s, struct net_client *c, uint16_t slot, bool *wake);

/* client.c */
void client_mark_dirty(struct net_stack *s, struct net_client *c, uint16_t slot);
void client_deliver(struct net_stack *s, uint16_t owner, uint32_t src, uint16_t sport,
                    uint16_t dport, const uint8_t *data, size_t len);
void client_publish_all(struct net_stack *s);
unsigned client_drain_all(struct net_stack *s, unsigned budget);
void client_idle_end(struct net_stack *s);
uint32_t client_id(const struct net_stack *s, unsigned slot);

#endif
