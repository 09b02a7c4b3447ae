/*
 * ipv4.c — IPv4 input checks (RFC 791, RFC 1122 3.2.1) and output with a
 * one-rule routing table: the local subnet directly, everything else
 * through the gateway. We are a host: no forwarding; fragments go to
 * ipfrag.c for reassembly; options accepted and ignored.
 */
#include "proto.h"

bool ipv4_on_subnet(const struct net_stack *s, uint32_t ip)
{
    return ((ip ^ s->cfg.ip) & s->cfg.netmask) == 0;
}

/* The limited broadcast, or the directed broadcast of our subnet (a /31
 * or /32 has none, RFC 3021). */
bool ipv4_is_broadcast(const struct net_stack *s, uint32_t ip)
{
    if (ip == 0xffffffffu)
        return true;
    uint32_t host = ~s->cfg.netmask;
    return host > 1 && ipv4_on_subnet(s, ip) && (ip & host) == host;
}

bool ipv4_is_multicast_or_reserved(uint32_t ip)
{
    return (ip >> 28) >= 0xe;                 /* 224/4 multicast, 240/4 reserved */
}

bool ipv4_is_loopback(uint32_t ip)
{
    return (ip >> 24) == 127;
}

/* A host on our subnet we could exchange unicast with: not zero, not a
 * broadcast, not us. */
bool ipv4_is_unicast_neighbour(const struct net_stack *s, uint32_t ip)
{
    uint32_t host = ~s->cfg.netmask;
    if (!ipv4_on_subnet(s, ip) || ip == s->cfg.ip || ipv4_is_broadcast(s, ip))
        return false;
    if (host > 1 && (ip & host) == 0)
        return false;                          /* the subnet's own address */
    return !ipv4_is_multicast_or_reserved(ip) && !ipv4_is_loopback(ip) && ip != 0;
}

/* RFC 1122 3.2.1.3: a source that cannot be a single host is discarded. */
static bool source_valid(const struct net_stack *s, uint32_t src)
{
    return src != 0 && src != s->cfg.ip && !ipv4_is_broadcast(s, src) &&
           !ipv4_is_multicast_or_reserved(src) && !ipv4_is_loopback(src);
}

/* The checks of RFC 791/1122 in order, each with its own counter; one
 * screenful on purpose, so the order is visible. looped: the packet came
 * from our own output (loop.c), where source and destination must both
 * be ours (our address or 127/8) — and off the wire neither may be a
 * loopback address nor the source ours, so nothing from outside reaches
 * a loopback connection. */
static void input(struct net_stack *s, const uint8_t *p, size_t len, bool looped, bool link_bcast)
{
    if (len < IP_HLEN) {
        s->stats.ip_truncated++;
        return;
    }
    if (p[0] >> 4 != 4) {
        s->stats.ip_bad_version++;
        return;
    }
    size_t ihl = (size_t)(p[0] & 15) * 4;
    if (ihl < IP_HLEN) {
        s->stats.ip_bad_ihl++;
        return;
    }
    if (ihl > len) {
        s->stats.ip_truncated++;
        return;
    }
    if (csum_fold(csum_add(0, p, ihl)) != 0) {
        s->stats.ip_bad_checksum++;
        return;
    }
    size_t total = get16(p + 2);
    if (total < ihl || total > len) {          /* shorter is Ethernet padding: trimmed */
        s->stats.ip_bad_length++;
        return;
    }
    if (p[8] == 0) {
        s->stats.ip_ttl_zero++;
        return;
    }
    uint32_t src = get32(p + 12), dst = get32(p + 16);
    if (looped ? !ipv4_is_local(s, src) : !source_valid(s, src)) {
        s->stats.ip_bad_src++;
        return;
    }
    bool bcast = !looped && ipv4_is_broadcast(s, dst);
    if (looped ? !ipv4_is_local(s, dst) : dst != s->cfg.ip && !bcast) {
        s->stats.ip_not_ours++;
        return;
    }
    /* Our address in a frame sent to the Ethernet broadcast: taken as a
     * broadcast, so it is never answered — no port unreachable (RFC 1122
     * 3.2.2: no ICMP error for a link-layer broadcast), no echo reply, no
     * RST or SYN-ACK (Linux: not PACKET_HOST). One frame every host on
     * the link reads would otherwise draw an answer from each; a UDP port
     * that is bound still gets the datagram. */
    if (link_bcast && !bcast) {
        s->stats.ip_link_bcast++;
        bcast = true;
    }
    if (get16(p + 6) & 0x3fff) {               /* MF, or a fragment offset */
        size_t whole;
        p = ipfrag_input(s, p, ihl, total, &whole);
        if (!p)
            return;
        ihl = IP_HLEN;
        total = whole;
    }
    switch (p[9]) {
    case IP_PROTO_ICMP:
        icmp_input(s, p, p + ihl, total - ihl, bcast);
        break;
    case IP_PROTO_UDP:
        udp_input(s, p, p + ihl, total - ihl, bcast);
        break;
    case IP_PROTO_TCP:
        tcp_input(s, p, p + ihl, total - ihl, bcast);
        break;
    default:
        s->stats.ip_unknown_proto++;
    }
}

void ipv4_input(struct net_stack *s, const uint8_t *p, size_t len, bool link_bcast)
{
    input(s, p, len, false, link_bcast);
}

void ipv4_input_looped(struct net_stack *s, const uint8_t *p, size_t len)
{
    input(s, p, len, true, false);
}

/* Next hop for dst: 1 for a broadcast, 0 with *hop set, or AE_EADDRNOTAVAIL.
 * (Nothing sends to a broadcast today — clients may not, replies never do —
 * but routing says what one means, so a broadcast right needs no change here.) */
static int route(const struct net_stack *s, uint32_t dst, uint32_t *hop)
{
    if (ipv4_is_broadcast(s, dst))
        return 1;
    if (ipv4_on_subnet(s, dst)) {
        *hop = dst;
        return 0;
    }
    if (!s->cfg.gateway)
        return AE_EADDRNOTAVAIL;
    *hop = s->cfg.gateway;
    return 0;
}

static int build(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t src, uint32_t dst,
                 uint8_t proto, uint16_t owner, uint16_t id, uint16_t frag);

int ipv4_output(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                uint8_t proto, uint16_t owner)
{
    return ipv4_output_from(s, frame, payload_len, s->cfg.ip, dst, proto, owner);
}

/* ipv4_output from a source address of ours (TCP: its connection's, which
 * is 127.0.0.1 toward 127/8). A loopback source never goes on the wire. */
int ipv4_output_from(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t src, uint32_t dst,
                     uint8_t proto, uint16_t owner)
{
    if (!ipv4_is_local(s, src) || (ipv4_is_loopback(src) && !ipv4_is_local(s, dst)))
        src = s->cfg.ip;
    return build(s, frame, payload_len, src, dst, proto, owner, s->ip_id++, 0);
}

/* ipv4_output with the id and the flags/offset word given (ipfrag.c). */
int ipv4_output_frag(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t dst,
                     uint8_t proto, uint16_t owner, uint16_t id, uint16_t frag)
{
    return build(s, frame, payload_len, s->cfg.ip, dst, proto, owner, id, frag);
}

/* The header, then the loopback queue for a destination of ours, else
 * routing and ARP. */
static int build(struct net_stack *s, uint8_t *frame, size_t payload_len, uint32_t src, uint32_t dst,
                 uint8_t proto, uint16_t owner, uint16_t id, uint16_t frag)
{
    uint32_t hop = 0;
    bool local = ipv4_is_local(s, dst);
    int r = local ? 0 : route(s, dst, &hop);
    if (r < 0) {
        s->stats.ip_no_route++;
        return r;
    }
    uint8_t *ip = frame + NET_ETH_HLEN;
    size_t total = IP_HLEN + payload_len;
    ip[0] = 0x45;                              /* version 4, 5 words */
    ip[1] = 0;
    put16(ip + 2, (uint16_t)total);
    put16(ip + 4, id);
    put16(ip + 6, frag);                       /* DF never set: may fragment */
    ip[8] = IP_TTL_OUT;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
    if (local)
        return lo_output(s, ip, total, owner);
    if (r == 1) {
        eth_tx_commit(s, frame, eth_broadcast, ETH_TYPE_IPV4, NET_ETH_HLEN + total);
        return 0;
    }
    return arp_output(s, hop, frame, NET_ETH_HLEN + total, owner);
}
