/*
 * ipfrag.c — IPv4 fragments (RFC 791 3.2, RFC 815): reassembly of what
 * arrives, fragmentation of the long UDP datagrams clients send.
 *
 * Reassembly is bounded three ways:
 *   memory   NET_REASM_SLOTS datagrams at once (static, ~66 KiB), at most
 *            NET_REASM_PER_SRC of them from one source address, each at
 *            most NET_REASM_MAX bytes of payload. A new datagram when its
 *            source has its share, or when all slots are taken, replaces
 *            the oldest (of that source, else of all): a flood of
 *            fragments churns its own slots, never grows anything.
 *   time     NET_REASM_TIMEOUT_NS after its first fragment a datagram is
 *            given up (checked on every fragment and every poll).
 *   shape    every fragment but the last is a positive multiple of 8
 *            bytes; the datagram's end is set once, by the fragment
 *            without MF, and nothing may lie past it.
 * Overlaps: a fragment that covers exactly blocks already all received
 * is a duplicate and ignored (the first copy stays). Any other overlap
 * gives the whole datagram up (as Linux does since 2018 and RFC 5722
 * asks for IPv6): there is never a question of which bytes win.
 * Every fragment discarded, held ones included, counts in ip_frag_dropped.
 */
#include "proto.h"

static bool block_has(const struct net_reasm *r, unsigned b)
{
    return r->blocks[b / 8] >> (b % 8) & 1;
}

static void reasm_drop(struct net_stack *s, struct net_reasm *r, uint64_t *why)
{
    (*why)++;
    s->stats.ip_frag_dropped += r->nfrags;
    r->used = false;
}

/* Gives up datagrams past their deadline; returns the next deadline. */
uint64_t ipfrag_timers(struct net_stack *s)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < NET_REASM_SLOTS; i++) {
        struct net_reasm *r = &s->reasm[i];
        if (!r->used)
            continue;
        if (s->now >= r->deadline)
            reasm_drop(s, r, &s->stats.ip_reasm_timeout);
        else if (r->deadline < next)
            next = r->deadline;
    }
    return next;
}

/* The slot for (src, dst, proto, id), a new one, or NULL (fragment dropped). */
static struct net_reasm *reasm_find(struct net_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
                                    uint16_t id)
{
    struct net_reasm *free_slot = NULL, *oldest = NULL, *oldest_src = NULL;
    unsigned from_src = 0;
    for (unsigned i = 0; i < NET_REASM_SLOTS; i++) {
        struct net_reasm *r = &s->reasm[i];
        if (r->used && s->now >= r->deadline)
            reasm_drop(s, r, &s->stats.ip_reasm_timeout);
        if (!r->used) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        if (r->src == src && r->dst == dst && r->proto == proto && r->id == id)
            return r;
        if (!oldest || r->deadline < oldest->deadline)
            oldest = r;
        if (r->src == src) {
            from_src++;
            if (!oldest_src || r->deadline < oldest_src->deadline)
                oldest_src = r;
        }
    }
    struct net_reasm *r = free_slot;
    if (from_src >= NET_REASM_PER_SRC)
        r = oldest_src;                        /* this source has its share: replace its oldest */
    else if (!r)
        r = oldest;
    if (r->used)
        reasm_drop(s, r, &s->stats.ip_reasm_evicted);
    memset(r->blocks, 0, sizeof r->blocks);
    r->used = true;
    r->src = src;
    r->dst = dst;
    r->proto = proto;
    r->id = id;
    r->total = r->have = r->end = r->nfrags = 0;
    r->ttl = 0;
    r->deadline = s->now + NET_REASM_TIMEOUT_NS;
    return r;
}

/* A fragment that passed ipv4_input's header checks: ip its header (ihl
 * bytes), total its total length. Returns the reassembled packet (a
 * 20-byte header and the payload; *len its length) when this fragment
 * completes one, else NULL. The packet stays valid until the next call. */
const uint8_t *ipfrag_input(struct net_stack *s, const uint8_t *ip, size_t ihl, size_t total,
                            size_t *len)
{
    s->stats.ip_fragment++;
    uint16_t ff = get16(ip + 6);
    bool more = ff & 0x2000;
    size_t off = (size_t)(ff & 0x1fff) * 8, n = total - ihl;
    uint32_t src = get32(ip + 12), dst = get32(ip + 16);
    if (n == 0 || (more && n % 8) || off + n > NET_REASM_MAX) {
        s->stats.ip_frag_dropped++;            /* can never fit a datagram we take */
        s->stats.ip_reasm_bad++;
        return NULL;
    }
    struct net_reasm *r = reasm_find(s, src, dst, ip[9], get16(ip + 4));
    size_t end = off + n;
    /* The end: set once, by the fragment without MF; nothing may pass it,
     * and a fragment with MF must end before it. */
    if ((!more && ((r->total && r->total != end) || end < r->end)) ||
        (more && r->total && end >= r->total)) {
        s->stats.ip_frag_dropped++;
        reasm_drop(s, r, &s->stats.ip_reasm_bad);
        return NULL;
    }
    unsigned b0 = (unsigned)(off / 8), b1 = (unsigned)((end + 7) / 8), held = 0;
    for (unsigned b = b0; b < b1; b++)
        held += block_has(r, b);
    if (held == b1 - b0) {                     /* a duplicate: keep the first copy */
        s->stats.ip_frag_dropped++;
        return NULL;
    }
    if (held) {
        s->stats.ip_frag_dropped++;
        reasm_drop(s, r, &s->stats.ip_reasm_overlap);
        return NULL;
    }
    for (unsigned b = b0; b < b1; b++)
        r->blocks[b / 8] |= (uint8_t)(1u << (b % 8));
    memcpy(r->pkt + IP_HLEN + off, ip + ihl, n);
    r->have = (uint16_t)(r->have + n);
    r->nfrags++;
    if (end > r->end)
        r->end = (uint16_t)end;
    if (!more)
        r->total = (uint16_t)end;
    if (off == 0 || !r->ttl)
        r->ttl = ip[8];
    if (!r->total || r->have != r->total)
        return NULL;
    /* Complete: a plain header (options are not kept: we ignore them anyway). */
    uint8_t *h = r->pkt;
    size_t tot = IP_HLEN + r->total;
    h[0] = 0x45;
    h[1] = 0;
    put16(h + 2, (uint16_t)tot);
    put16(h + 4, r->id);
    put16(h + 6, 0);
    h[8] = r->ttl;
    h[9] = r->proto;
    put16(h + 10, 0);
    put32(h + 12, r->src);
    put32(h + 16, r->dst);
    put16(h + 10, csum_fold(csum_add(0, h, IP_HLEN)));
    r->used = false;
    s->stats.ip_reasm_ok++;
    *len = tot;
    return r->pkt;
}

/* Sends payload (len bytes, the transport header first) to dst in
 * fragments of at most NET_MTU - IP_HLEN bytes, all under one id. The
 * first refusal (no route) stops it; a fragment the ARP queue cannot
 * hold is lost like any frame, and so is the datagram. */
int ipfrag_output(struct net_stack *s, const uint8_t *payload, size_t len, uint32_t dst, uint8_t proto,
                  uint16_t owner)
{
    const size_t step = (NET_MTU - IP_HLEN) & ~(size_t)7;
    uint16_t id = s->ip_id++;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        uint8_t *frame = eth_tx_begin(s);
        memcpy(frame + NET_ETH_HLEN + IP_HLEN, payload + off, n);
        uint16_t ff = (uint16_t)(off / 8) | (off + n < len ? 0x2000 : 0);
        int r = ipv4_output_frag(s, frame, n, dst, proto, owner, id, ff);
        if (r)
            return r;
        s->stats.ip_frag_tx++;
    }
    return 0;
}
