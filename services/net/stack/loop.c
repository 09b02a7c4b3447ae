/*
 * loop.c — loopback: IPv4 packets to our own address or to 127/8 never
 * reach the NIC. ipv4_output hands them here; they wait in a bounded
 * queue, in order, and the next poll puts each through ipv4_input's
 * checks and on to TCP like a packet off the wire (lo_input_all). Never
 * recursively: what a looped packet makes us send waits for the poll
 * after. (UDP to ourselves is delivered at once by udp_send and never
 * comes here.)
 *
 * Bounds: NET_LO_DESC packets in all, each in a full-size or a small
 * buffer; a client's own segments hold at most NET_LO_BIG_PER_CLIENT
 * full-size and NET_LO_SMALL_PER_CLIENT small buffers, so one client
 * cannot fill the queue for the others. TCP output asks lo_room before
 * it sends toward a local peer and waits a poll rather than lose a
 * segment; what still finds no room (an answer made during input) is
 * dropped and counted (lo_full), as a full device queue drops, and TCP
 * sends it again. The stack's own packets (owner 0: RSTs for segments
 * nobody owns, for connections of a client that is gone) are limited
 * only by the whole queue.
 */
#include "proto.h"

bool ipv4_is_local(const struct net_stack *s, uint32_t ip)
{
    return ip == s->cfg.ip || ipv4_is_loopback(ip);
}

/* Our source address toward dst: 127.0.0.1 toward 127/8, as Linux's
 * loopback route says, else the service's address. */
uint32_t ipv4_source_for(const struct net_stack *s, uint32_t dst)
{
    return ipv4_is_loopback(dst) ? NET_LO_LOOPBACK_SRC : s->cfg.ip;
}

/* Full-size buffers owner may still fill this round (segments of up to
 * an MSS); small answers have room of their own. */
unsigned lo_room(const struct net_stack *s, uint16_t owner)
{
    unsigned room = NET_LO_BIG - s->lo_big_count;
    unsigned descs = NET_LO_DESC - s->lo_count;
    if (descs < room)
        room = descs;
    if (owner) {
        const struct net_client *c = &s->clients[owner - 1];
        unsigned mine = c->lo_big < NET_LO_BIG_PER_CLIENT ? NET_LO_BIG_PER_CLIENT - c->lo_big : 0;
        if (mine < room)
            room = mine;
    }
    return room;
}

/* Queues the IPv4 packet ip (len bytes, header built) for input. 0 or
 * AE_EAGAIN (no room: dropped and counted). */
int lo_output(struct net_stack *s, const uint8_t *ip, size_t len, uint16_t owner)
{
    bool big = len > NET_LO_SMALL_LEN;
    struct net_client *c = owner ? &s->clients[owner - 1] : NULL;
    bool room = s->lo_count < NET_LO_DESC && len <= NET_MTU &&
                (big ? s->lo_big_count < NET_LO_BIG && (!c || c->lo_big < NET_LO_BIG_PER_CLIENT)
                     : s->lo_small_count < NET_LO_SMALL && (!c || c->lo_small < NET_LO_SMALL_PER_CLIENT));
    if (!room) {
        s->stats.lo_full++;
        return AE_EAGAIN;
    }
    struct net_lo_desc *d = &s->lo_desc[(s->lo_head + s->lo_count++) % NET_LO_DESC];
    d->len = (uint16_t)len;
    d->owner = owner;
    d->big = big;
    if (big) {
        memcpy(s->lo_big[(s->lo_big_head + s->lo_big_count++) % NET_LO_BIG], ip, len);
        if (c)
            c->lo_big++;
    } else {
        memcpy(s->lo_small[(s->lo_small_head + s->lo_small_count++) % NET_LO_SMALL], ip, len);
        if (c)
            c->lo_small++;
    }
    return 0;
}

/* Puts the packets queued before this call through input, oldest first.
 * Each is read in place and its buffer given back only afterwards, so
 * what its input sends cannot land on it. Returns how many. */
unsigned lo_input_all(struct net_stack *s)
{
    unsigned n = s->lo_count;
    for (unsigned i = 0; i < n; i++) {
        struct net_lo_desc d = s->lo_desc[s->lo_head];
        const uint8_t *p = d.big ? s->lo_big[s->lo_big_head] : s->lo_small[s->lo_small_head];
        s->stats.lo_packets++;
        ipv4_input_looped(s, p, d.len);
        s->lo_head = (s->lo_head + 1) % NET_LO_DESC;
        s->lo_count--;
        struct net_client *c = d.owner ? &s->clients[d.owner - 1] : NULL;
        if (d.big) {
            s->lo_big_head = (s->lo_big_head + 1) % NET_LO_BIG;
            s->lo_big_count--;
            if (c && c->lo_big)
                c->lo_big--;
        } else {
            s->lo_small_head = (s->lo_small_head + 1) % NET_LO_SMALL;
            s->lo_small_count--;
            if (c && c->lo_small)
                c->lo_small--;
        }
    }
    return n;
}

/* A client is removed: its packets already queued still arrive (the RSTs
 * its end of each connection sent are among them), as the stack's own. */
void lo_drop_owner(struct net_stack *s, uint16_t owner)
{
    for (unsigned i = 0; i < s->lo_count; i++) {
        struct net_lo_desc *d = &s->lo_desc[(s->lo_head + i) % NET_LO_DESC];
        if (d->owner == owner)
            d->owner = 0;
    }
    s->clients[owner - 1].lo_big = s->clients[owner - 1].lo_small = 0;
}
