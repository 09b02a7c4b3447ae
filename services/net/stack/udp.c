/*
 * udp.c — UDP (RFC 768): input checks and delivery to the client that
 * bound the destination port; output from a port the sending client bound.
 *
 * Unbound-port policy: the datagram is dropped and counted (udp_no_port);
 * if net_config.unreach_per_sec is non-zero and the datagram was unicast
 * to us, an ICMP port unreachable goes back, at most unreach_per_sec per
 * second (a token bucket). With 0 the drop is silent. docs/NET.md says why.
 */
#include "proto.h"

void udp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len,
               bool to_broadcast)
{
    if (len < UDP_HLEN) {
        s->stats.udp_truncated++;
        return;
    }
    size_t ulen = get16(p + 4);
    if (ulen < UDP_HLEN || ulen > len) {
        s->stats.udp_bad_length++;
        return;
    }
    uint32_t src = get32(ip + 12), dst = get32(ip + 16);
    if (get16(p + 6) != 0) {                      /* 0: the sender computed none */
        uint32_t sum = csum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)ulen);
        if (csum_fold(csum_add(sum, p, ulen)) != 0) {
            s->stats.udp_bad_checksum++;
            return;
        }
    }
    uint16_t sport = get16(p), dport = get16(p + 2);
    if (dport == 0) {
        s->stats.udp_bad_port++;
        return;
    }
    uint16_t owner = s->port_owner[dport];
    if (!owner) {
        s->stats.udp_no_port++;
        if (!to_broadcast && s->cfg.unreach_per_sec)
            icmp_port_unreachable(s, ip, (size_t)(p - ip) + len);
        return;
    }
    client_deliver(s, owner, src, sport, dport, p + UDP_HLEN, ulen - UDP_HLEN);
}

/* Builds the datagram in the staging buffer, checksum over our copy of
 * the payload (the client may change its ring slot meanwhile). */
static int udp_output(struct net_stack *s, uint16_t owner, uint16_t sport, uint32_t dst,
                      uint16_t dport, const uint8_t *data, size_t len)
{
    bool whole = len <= NET_UDP_PAYLOAD_MAX;      /* else built aside, sent in fragments */
    uint8_t *frame = whole ? eth_tx_begin(s) : NULL;
    uint8_t *u = whole ? frame + NET_ETH_HLEN + IP_HLEN : s->dgram;
    uint16_t ulen = (uint16_t)(UDP_HLEN + len);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, ulen);
    put16(u + 6, 0);
    uint32_t sum = csum_add(csum_pseudo(s->cfg.ip, dst, IP_PROTO_UDP, ulen), u, UDP_HLEN);
    if (u + UDP_HLEN != data)                     /* copied and summed in one pass */
        sum = csum_copy(sum, u + UDP_HLEN, data, len);
    else                                          /* a gathered client datagram is there already */
        sum = csum_add(sum, data, len);
    uint16_t c = csum_fold(sum);
    put16(u + 6, c ? c : 0xffff);                 /* 0 would mean "no checksum" */
    if (!whole)
        return ipfrag_output(s, u, ulen, dst, IP_PROTO_UDP, owner);
    return ipv4_output(s, frame, ulen, dst, IP_PROTO_UDP, owner);
}

/* Checks, then sends or delivers locally. Each refusal is counted once. */
int udp_send(struct net_stack *s, uint16_t owner, uint16_t sport, uint32_t dst,
             uint16_t dport, const uint8_t *data, size_t len)
{
    if (sport == 0 || s->port_owner[sport] != owner || ipv4_is_broadcast(s, dst)) {
        s->stats.client_tx_denied++;
        return AE_EACCES;
    }
    int r = 0;
    if (len > NET_UDP_DGRAM_MAX)
        r = AE_EMSGSIZE;
    else if (dport == 0)
        r = AE_EINVAL;
    else if (dst == 0)
        r = AE_EDESTADDRREQ;
    else if (ipv4_is_multicast_or_reserved(dst))
        r = AE_EADDRNOTAVAIL;
    if (r) {
        s->stats.client_tx_invalid++;
        return r;
    }
    if (dst == s->cfg.ip || ipv4_is_loopback(dst)) {
        uint16_t to = s->port_owner[dport];
        if (!to) {
            s->stats.udp_no_port++;
            return AE_ECONNREFUSED;
        }
        s->stats.udp_sent++;
        client_deliver(s, to, dst, sport, dport, data, len);
        return 0;
    }
    r = udp_output(s, owner, sport, dst, dport, data, len);
    if (r == 0)
        s->stats.udp_sent++;
    return r;
}
