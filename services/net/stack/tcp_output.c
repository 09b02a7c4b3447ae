/*
 * tcp_output.c — what TCP sends and when: segments built in the staging
 * batch straight from the client's send ring (one copy, checksummed in
 * the frame, so a client changing its ring meanwhile changes nothing we
 * vouch for), within the peer's window and the congestion window, with
 * Nagle's rule (RFC 896, RFC 1122 4.2.3.4) unless TCP_NODELAY, sender
 * and receiver silly-window avoidance (RFC 1122 4.2.3.3), options of
 * RFC 7323 (window scale, timestamps) and MSS; RSTs for segments that
 * have no connection (RFC 9293 3.10.7.1); window probes.
 *
 * Connections with something to send sit on one list (tcp_want_output);
 * each poll calls tcp_output_all after input, so all ACKs a batch of
 * frames calls for go out as one.
 */
#include "tcp.h"

uint32_t tcp_now_ms(const struct net_stack *s)
{
    return (uint32_t)(s->now / 1000000u);
}

void tcp_want_output(struct net_stack *s, struct net_tcb *t)
{
    if (t->queued_out)
        return;
    t->queued_out = true;
    t->onext = s->tcp_out;
    s->tcp_out = (int16_t)tcb_index(s, t);
}

/* The window field for a segment of t, and rcv_adv moved to match: never
 * left of what we advertised, and grown only by a useful amount. */
uint16_t tcp_window_field(struct net_stack *s, struct net_tcb *t)
{
    uint32_t space = tcp_rcv_space(s, t);
    uint32_t edge = t->rcv_nxt + space;
    uint32_t step = t->rx_size / 2 < t->mss ? t->rx_size / 2 : t->mss;
    if (SEQ_LT(edge, t->rcv_adv) || (SEQ_GT(edge, t->rcv_adv) && edge - t->rcv_adv < step &&
                                      SEQ_GEQ(t->rcv_adv, t->rcv_nxt) && space < t->rx_size))
        edge = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv : t->rcv_nxt;
    uint32_t win = (edge - t->rcv_nxt) >> t->rcv_wscale;
    if (win > 0xffff)
        win = 0xffff;
    t->rcv_adv = t->rcv_nxt + (win << t->rcv_wscale);
    return (uint16_t)win;
}

static size_t put_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
    o[0] = 1;
    o[1] = 1;
    o[2] = 8;
    o[3] = 10;
    put32(o + 4, val);
    put32(o + 8, ecr);
    return TCP_TS_LEN;
}

/* Builds a segment in the staging batch and sends it. With t, n bytes of
 * its send ring from ring_pos follow the header. 0 or AE_* from IPv4. */
static int build(struct net_stack *s, const struct net_tcb *t, uint32_t lip, uint16_t lport, uint32_t rip,
                 uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                 const uint8_t *opts, size_t optlen, uint32_t ring_pos, uint32_t n, uint16_t owner)
{
    uint8_t *frame = eth_tx_begin(s);
    uint8_t *h = frame + NET_ETH_HLEN + IP_HLEN;
    size_t hlen = TCP_HLEN + optlen;
    put16(h, lport);
    put16(h + 2, rport);
    put32(h + 4, seq);
    put32(h + 8, ack);
    h[12] = (uint8_t)(hlen / 4) << 4;
    h[13] = flags;
    put16(h + 14, win);
    put16(h + 16, 0);
    put16(h + 18, 0);
    if (optlen)
        memcpy(h + TCP_HLEN, opts, optlen);
    if (n)
        tcb_tx_read(s, t, ring_pos, h + hlen, n);
    uint16_t len = (uint16_t)(hlen + n);
    put16(h + 16, csum_fold(csum_add(csum_pseudo(lip, rip, IP_PROTO_TCP, len), h, len)));
    s->stats.tcp_segs_tx++;
    if (owner)
        s->clients[owner - 1].stats.tx_sent++;   /* aerie stats: its packets out, TCP's too */
    return ipv4_output_from(s, frame, len, lip, rip, IP_PROTO_TCP, owner);
}

int tcp_send_raw(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
                 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen,
                 uint16_t owner)
{
    return build(s, NULL, lip, lport, rip, rport, seq, ack, flags, win, opts, optlen, 0, 0, owner);
}

/* One segment of t from seq with n bytes of the send ring (and FIN if
 * asked); ACK and our window always, timestamps if agreed. */
static void send_seg(struct net_stack *s, struct net_tcb *t, uint32_t seq, uint32_t n, uint8_t flags)
{
    uint8_t opts[TCP_TS_LEN];
    size_t optlen = t->ts_ok ? put_ts(opts, tcp_now_ms(s) + t->ts_offset, t->ts_recent) : 0;
    uint16_t win = tcp_window_field(s, t);
    t->last_ack_sent = t->rcv_nxt;
    build(s, t, t->lip, t->lport, t->rip, t->rport, seq, t->rcv_nxt, flags | TCP_ACK, win, opts, optlen,
          seq - t->iss - 1, n, t->owner);
    t->ack_now = t->ack_delayed = false;
    t->delack_at = 0;
    t->segs_unacked = 0;
}

void tcp_send_ack(struct net_stack *s, struct net_tcb *t)
{
    send_seg(s, t, t->snd_max, 0, 0);
}

/* Zero-window and keepalive probe: an old sequence number the peer must
 * answer with an ACK showing its window (as Linux does). */
void tcp_send_probe(struct net_stack *s, struct net_tcb *t)
{
    send_seg(s, t, t->snd_una - 1, 0, 0);
}

void tcp_send_syn(struct net_stack *s, struct net_tcb *t)
{
    uint8_t o[20];
    size_t n = 0;
    o[n++] = 2;
    o[n++] = 4;
    put16(o + n, TCP_MSS_OURS);
    n += 2;
    bool active = t->state == TCP_SYN_SENT;
    if (active || t->ws_ok) {
        o[n++] = 1;
        o[n++] = 3;
        o[n++] = 3;
        o[n++] = t->rcv_wscale;
    }
    if (active || t->ts_ok)
        n += put_ts(o + n, tcp_now_ms(s) + t->ts_offset, active ? 0 : t->ts_recent);
    uint8_t flags = active ? TCP_SYN : TCP_SYN | TCP_ACK;
    uint16_t win = (uint16_t)(t->rx_size < 0xffff ? t->rx_size : 0xffff);   /* never scaled in a SYN */
    build(s, NULL, t->lip, t->lport, t->rip, t->rport, t->iss, active ? 0 : t->rcv_nxt, flags, win, o, n,
          0, 0, t->owner);
    t->rcv_adv = t->rcv_nxt + win;
    t->snd_nxt = t->iss + 1;
    if (SEQ_GT(t->snd_nxt, t->snd_max))
        t->snd_max = t->snd_nxt;
}

void tcp_send_rst(struct net_stack *s, struct net_tcb *t)
{
    tcp_send_raw(s, t->lip, t->lport, t->rip, t->rport, t->snd_nxt, t->rcv_nxt, TCP_RST | TCP_ACK, 0,
                 NULL, 0, t->owner);
    s->stats.tcp_rst_tx++;
}

/* RFC 9293 3.10.7.1: the answer to a segment nobody owns. Never to a RST. */
void tcp_send_rst_for(struct net_stack *s, const struct tcp_seg *g)
{
    if (g->flags & TCP_RST)
        return;
    if (g->flags & TCP_ACK)
        tcp_send_raw(s, g->dst, g->dport, g->src, g->sport, g->ack, 0, TCP_RST, 0, NULL, 0, 0);
    else
        tcp_send_raw(s, g->dst, g->dport, g->src, g->sport, 0, g->seq + seg_space(g), TCP_RST | TCP_ACK, 0,
                     NULL, 0, 0);
    s->stats.tcp_rst_tx++;
}

/* End of the client's data in sequence space. */
static uint32_t data_end(const struct net_tcb *t)
{
    return t->iss + 1 + t->tx_prod_seen;
}

/* The first unacknowledged segment again (fast retransmit, RTO): up to
 * an MSS of what was sent, or of what the peer's window takes. Never
 * past both: bytes beyond the window would be refused, and each refusal
 * doubles the RTO (a receiver that read nothing for a while left its
 * sender backed off for tens of seconds once it read again). snd_max
 * follows what goes out, so the peer's ACK of it is not taken for an
 * ACK of unsent data. */
void tcp_retransmit_first(struct net_stack *s, struct net_tcb *t)
{
    if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD) {
        tcp_send_syn(s, t);
        s->stats.tcp_retrans++;
        return;
    }
    uint32_t end = t->fin_queued ? t->fin_seq : data_end(t);
    uint32_t n = SEQ_GT(end, t->snd_una) ? end - t->snd_una : 0;
    uint32_t sent = t->snd_max - t->snd_una, lim = sent > t->snd_wnd ? sent : t->snd_wnd;
    if (n > lim)
        n = lim;
    if (n > t->mss)
        n = t->mss;
    bool fin = t->fin_queued && t->snd_una + n == t->fin_seq && SEQ_GT(t->snd_max, t->fin_seq);
    if (!n && !fin)
        return;
    send_seg(s, t, t->snd_una, n, fin ? TCP_FIN : 0);
    s->stats.tcp_retrans++;
    if (SEQ_GT(t->snd_una + n + fin, t->snd_nxt))
        t->snd_nxt = t->snd_una + n + fin;
    if (SEQ_GT(t->snd_nxt, t->snd_max))
        t->snd_max = t->snd_nxt;
}

static bool may_send_data(uint8_t st)
{
    return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_1 || st == TCP_CLOSING ||
           st == TCP_LAST_ACK;
}

/* Sends what t may send now: data within min(window, cwnd), the FIN, or
 * the ACK it owes. budget: frames the device still takes this round. */
void tcp_output(struct net_stack *s, struct net_tcb *t, unsigned *budget)
{
    if (!may_send_data(t->state)) {
        if (t->ack_now && *budget) {
            tcp_send_ack(s, t);
            (*budget)--;
        }
        return;
    }
    bool sent = false;
    uint32_t end = t->fin_queued ? t->fin_seq : data_end(t);
    while (*budget) {
        uint32_t wnd = t->snd_wnd < t->cwnd ? t->snd_wnd : t->cwnd;
        uint32_t flight = t->snd_nxt - t->snd_una;
        uint32_t usable = wnd > flight ? wnd - flight : 0;
        uint32_t avail = SEQ_GT(end, t->snd_nxt) ? end - t->snd_nxt : 0;
        uint32_t n = avail < t->mss ? avail : t->mss;
        if (n > usable)
            n = usable;
        bool fin = t->fin_queued && t->snd_nxt + n == t->fin_seq && SEQ_LEQ(t->snd_nxt, t->fin_seq);
        if (!n && !fin)
            break;
        if (n && n < t->mss) {
            bool all = n == avail;
            bool nagle_ok = t->nodelay || flight == 0 || fin;
            if (!(all && nagle_ok) && n < t->snd_wnd / 2)
                break;                                    /* wait for a fuller segment or an ACK */
        }
        bool retrans = SEQ_LT(t->snd_nxt, t->snd_max);
        send_seg(s, t, t->snd_nxt, n, (fin ? TCP_FIN : 0) | (n && n == avail ? TCP_PSH : 0));
        if (retrans)
            s->stats.tcp_retrans++;
        else if (!t->rtt_timing && !t->ts_ok && n) {
            t->rtt_timing = true;                         /* Karn: time only new data */
            t->rtt_seq = t->snd_nxt + n;
            t->rtt_start = s->now;
        }
        t->snd_nxt += n + fin;
        if (SEQ_GT(t->snd_nxt, t->snd_max))
            t->snd_max = t->snd_nxt;
        if (!t->rto_at)
            tcp_rto_restart(s, t);
        t->persist_at = 0;
        (*budget)--;
        sent = true;
        if (fin)
            break;
    }
    if (!sent && t->ack_now && *budget) {
        tcp_send_ack(s, t);
        (*budget)--;
    }
    uint32_t avail = SEQ_GT(end, t->snd_nxt) ? end - t->snd_nxt : 0;
    if (t->snd_wnd == 0 && avail && t->snd_nxt == t->snd_una && !t->rto_at && !t->persist_at) {
        t->persist_at = s->now + (uint64_t)t->rto * 1000u;
        tcp_timer_note(s, t->persist_at);
    }
}

/* Runs the output list within budget frames for the device and, toward
 * a peer of our own (loop.c), within the room the loopback queue leaves
 * the TCB's client; what is left stays listed for the next round. */
unsigned tcp_output_all(struct net_stack *s, unsigned budget)
{
    unsigned start = budget, looped = 0;
    int16_t later = -1;
    while (s->tcp_out >= 0) {
        struct net_tcb *t = &s->tcb[s->tcp_out];
        s->tcp_out = t->onext;
        t->queued_out = false;
        t->onext = -1;
        if (t->state == TCP_FREE)
            continue;
        bool lo = ipv4_is_local(s, t->rip);
        unsigned room = lo ? lo_room(s, t->owner) : budget, before = room;
        if (room)
            tcp_output(s, t, &room);
        if (lo)
            looped += before - room;
        else
            budget = room;
        if (!room && t->state != TCP_FREE && !t->queued_out) {
            t->queued_out = true;                         /* perhaps more: next round */
            t->onext = later;
            later = (int16_t)tcb_index(s, t);
        }
    }
    s->tcp_out = later;
    return start - budget + looped;
}
