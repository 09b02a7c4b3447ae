/*
 * icmp.c — ICMP (RFC 792): echo requests get replies, and datagrams to
 * unbound UDP ports may get a port unreachable, rate-limited by a token
 * bucket (net_config.unreach_per_sec; RFC 1812 4.3.2.8). Everything else
 * is counted and ignored. Nothing is sent in answer to a broadcast.
 */
#include "proto.h"

#define ICMP_ECHO_REPLY   0
#define ICMP_UNREACHABLE  3
#define ICMP_PORT_UNREACH 3
#define ICMP_ECHO_REQUEST 8

void icmp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len,
                bool to_broadcast)
{
    if (len < ICMP_HLEN) {
        s->stats.icmp_truncated++;
        return;
    }
    if (csum_fold(csum_add(0, p, len)) != 0) {      /* over the whole message */
        s->stats.icmp_bad_checksum++;
        return;
    }
    if (p[0] != ICMP_ECHO_REQUEST || p[1] != 0) {
        s->stats.icmp_other++;
        return;
    }
    s->stats.icmp_echo_rx++;
    if (to_broadcast) {                             /* RFC 1122 3.2.2.6 allows silence */
        s->stats.icmp_broadcast++;
        return;
    }
    /* The reply carries the request's identifier, sequence and data, in
     * one frame: a request longer than that (only reassembly could make
     * one, and it takes UDP only) is not answered. */
    if (len > NET_MTU - IP_HLEN) {
        s->stats.icmp_other++;
        return;
    }
    uint8_t *frame = eth_tx_begin(s);
    uint8_t *m = frame + NET_ETH_HLEN + IP_HLEN;
    memcpy(m, p, len);
    m[0] = ICMP_ECHO_REPLY;
    put16(m + 2, 0);
    put16(m + 2, csum_fold(csum_add(0, m, len)));
    if (ipv4_output(s, frame, len, get32(ip + 12), IP_PROTO_ICMP, 0) == 0)
        s->stats.icmp_echo_tx++;
}

/* Token bucket: unreach_per_sec tokens per second, at most that many
 * stored; tokens are kept in units of 1e-9 so time adds exactly. */
static bool unreach_take_token(struct net_stack *s)
{
    uint64_t rate = s->cfg.unreach_per_sec;
    uint64_t full = rate * NS_PER_SEC;
    uint64_t elapsed = s->now > s->unreach_last ? s->now - s->unreach_last : 0;
    if (s->now > s->unreach_last)
        s->unreach_last = s->now;
    if (elapsed >= NS_PER_SEC || s->unreach_tokens + elapsed * rate >= full)
        s->unreach_tokens = full;
    else
        s->unreach_tokens += elapsed * rate;
    if (s->unreach_tokens < NS_PER_SEC)
        return false;
    s->unreach_tokens -= NS_PER_SEC;
    return true;
}

/* ip: the offending datagram (ip_len bytes, header checked by ipv4_input).
 * The message quotes its IP header and the first 8 bytes of its data. */
void icmp_port_unreachable(struct net_stack *s, const uint8_t *ip, size_t ip_len)
{
    if (!unreach_take_token(s)) {
        s->stats.icmp_unreach_limited++;
        return;
    }
    size_t quote = (size_t)(ip[0] & 15) * 4 + 8;
    if (quote > ip_len)
        quote = ip_len;
    uint8_t *frame = eth_tx_begin(s);
    uint8_t *m = frame + NET_ETH_HLEN + IP_HLEN;
    m[0] = ICMP_UNREACHABLE;
    m[1] = ICMP_PORT_UNREACH;
    put16(m + 2, 0);
    put32(m + 4, 0);
    memcpy(m + ICMP_HLEN, ip, quote);
    put16(m + 2, csum_fold(csum_add(0, m, ICMP_HLEN + quote)));
    if (ipv4_output(s, frame, ICMP_HLEN + quote, get32(ip + 12), IP_PROTO_ICMP, 0) == 0)
        s->stats.icmp_unreach_tx++;
}
