/*
 * tcp_input.c — a TCP segment arrives (RFC 9293 3.10.7): header and
 * checksum checks, then the connection, a TIME-WAIT entry, a listener,
 * or nobody (RST). In a connection, in RFC 9293's order: PAWS (RFC 7323
 * 5), the sequence number's acceptability, RST (exactly at RCV.NXT, else
 * a challenge ACK: RFC 5961 3), SYN (challenge ACK, RFC 5961 4), the ACK
 * (window, RTT, NewReno: RFC 5681 3.2 and RFC 6582), the data (into the
 * client's receive ring, out-of-order ranges kept in place past RCV.NXT),
 * and the FIN.
 *
 * Listeners keep a bounded half-open queue (their backlog, and their
 * client's connection budget); past it the SYN is answered with a SYN
 * cookie, so a flood costs the service nothing and the listener still
 * takes real clients. The cookie carries the MSS (3 bits) and a time
 * slot, and the peer's window scale rides in our timestamp's low bits.
 */
#include "tcp.h"

static const uint16_t cookie_mss[8] = { 216, 536, 1024, 1200, 1360, 1400, 1440, 1460 };
#define COOKIE_SLOT_NS (64ull * NS_PER_SEC)

/* ---- parsing ---------------------------------------------------------------- */

static void parse_options(const uint8_t *o, size_t n, struct tcp_seg *g)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = o[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
            break;                                  /* a malformed length ends the list */
        uint8_t len = o[i + 1];
        if (kind == 2 && len == 4) {
            g->has_mss = true;
            g->mss = get16(o + i + 2);
        } else if (kind == 3 && len == 3) {
            g->has_ws = true;
            g->ws = o[i + 2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[i + 2];
        } else if (kind == 8 && len == 10) {
            g->has_ts = true;
            g->tsval = get32(o + i + 2);
            g->tsecr = get32(o + i + 6);
        }
        i += len;
    }
}

/* Header checks; false (counted) if the segment is dropped. */
static bool parse(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len, struct tcp_seg *g)
{
    if (len < TCP_HLEN) {
        s->stats.tcp_truncated++;
        return false;
    }
    size_t off = (size_t)(p[12] >> 4) * 4;
    if (off < TCP_HLEN || off > len) {
        s->stats.tcp_truncated++;
        return false;
    }
    memset(g, 0, sizeof *g);
    g->src = get32(ip + 12);
    g->dst = get32(ip + 16);
    if (csum_fold(csum_add(csum_pseudo(g->src, g->dst, IP_PROTO_TCP, (uint16_t)len), p, len)) != 0) {
        s->stats.tcp_bad_checksum++;
        return false;
    }
    g->sport = get16(p);
    g->dport = get16(p + 2);
    g->seq = get32(p + 4);
    g->ack = get32(p + 8);
    g->flags = p[13] & 0x3f;
    g->win = get16(p + 14);
    g->data = p + off;
    g->len = (uint32_t)(len - off);
    parse_options(p + TCP_HLEN, off - TCP_HLEN, g);
    if ((g->flags & TCP_SYN) && (g->flags & (TCP_FIN | TCP_RST))) {
        s->stats.tcp_bad_flags++;
        return false;
    }
    return true;
}

/* ---- connections made from a listener ------------------------------------------ */

static uint8_t wscale_for(uint32_t bytes)
{
    uint8_t w = 0;
    while (w < TCP_WSCALE_MAX && (0xffffu << w) < bytes)
        w++;
    return w;
}

static uint16_t eff_mss(uint16_t peer, bool ts)
{
    uint16_t m = peer < TCP_MSS_OURS ? peer : TCP_MSS_OURS;
    if (m < 64)
        m = 64;
    return (uint16_t)(m - (ts ? TCP_TS_LEN : 0));
}

static uint32_t ts_offset_for(struct net_stack *s, const struct tcp_seg *g)
{
    return (uint32_t)tcp_hash64(s, (uint64_t)g->src << 16 | g->sport, (uint64_t)g->dport << 40 | 0x75);
}

/* A child of listener l for the SYN g: its TCB and buffers, in SYN-RCVD.
 * NULL if its client has no connection, block or buffer left. */
static struct net_tcb *new_child(struct net_stack *s, struct net_tcb *l, const struct tcp_seg *g)
{
    struct net_tcb *t = tcb_alloc(s, l->owner);
    if (!t)
        return NULL;
    uint32_t rx = (l->child_bufs & 0xffff) * NETTCP_PAGE, tx = (l->child_bufs >> 16) * NETTCP_PAGE;
    if (tcb_buffers(s, t, rx, tx)) {
        tcb_free(s, t);
        return NULL;
    }
    t->state = TCP_SYN_RCVD;
    t->lip = g->dst;
    t->lport = g->dport;
    t->rip = g->src;
    t->rport = g->sport;
    t->listener = (int16_t)tcb_index(s, l);
    t->irs = g->seq;
    t->rcv_nxt = g->seq + 1;
    /* Last.ACK.sent (RFC 7323 4.3) is our SYN-ACK's (or the cookie's)
     * ACK from now on: left at 0, the peer's first segments updated
     * TS.Recent only for half of all ISNs (PAWS then let older TSvals in). */
    t->last_ack_sent = t->rcv_nxt;
    t->iss = tcp_isn(s, t->lip, t->lport, t->rip, t->rport);
    t->snd_una = t->snd_nxt = t->snd_max = t->iss;
    t->recover = t->iss;
    t->ws_ok = g->has_ws;
    t->snd_wscale = g->has_ws ? g->ws : 0;
    t->rcv_wscale = g->has_ws ? wscale_for(t->rx_size) : 0;
    t->ts_ok = g->has_ts;
    t->ts_recent = g->tsval;
    t->ts_offset = ts_offset_for(s, g) + 16;
    t->peer_mss = g->has_mss ? g->mss : TCP_MSS_DEFAULT;
    t->mss = eff_mss(t->peer_mss, t->ts_ok);
    t->snd_wnd = t->max_snd_wnd = g->win;
    t->snd_wl1 = g->seq;
    t->snd_wl2 = t->iss;
    t->nodelay = l->child_opts & NET_TCP_O_NODELAY;
    t->keepalive = l->child_opts & NET_TCP_O_KEEPALIVE;
    t->keep_idle_s = l->keep_idle_s;
    t->keep_intvl_s = l->keep_intvl_s;
    t->keep_cnt = l->keep_cnt;
    tcp_cc_init(t);
    tcb_hash_insert(s, t);
    l->nchild++;
    return t;
}

static uint32_t cookie_make(struct net_stack *s, const struct tcp_seg *g, uint64_t slot, unsigned mss_idx)
{
    uint64_t h = tcp_hash64(s, (uint64_t)g->src << 32 | g->dst, (uint64_t)g->sport << 48 |
                            (uint64_t)g->dport << 32 | (uint32_t)(g->seq)) ^ slot * 0x9e3779b97f4a7c15ull;
    return ((uint32_t)(h >> 16) & 0xffffff00u) | (uint32_t)(slot & 31) << 3 | mss_idx;
}

/* Answers a SYN without keeping anything (the listener is full). */
static void cookie_send(struct net_stack *s, struct net_tcb *l, const struct tcp_seg *g)
{
    unsigned idx = 0;
    uint16_t peer = g->has_mss ? g->mss : TCP_MSS_DEFAULT;
    while (idx < 7 && cookie_mss[idx + 1] <= peer)
        idx++;
    uint32_t iss = cookie_make(s, g, s->now / COOKIE_SLOT_NS, idx);
    uint8_t o[20];
    size_t n = 0;
    o[n++] = 2;
    o[n++] = 4;
    put16(o + n, TCP_MSS_OURS);
    n += 2;
    if (g->has_ts) {
        /* Window scale in the timestamp's low 4 bits (15: none); ours is
         * recomputed from the listener's buffers. */
        uint32_t code = g->has_ws ? g->ws : 15;
        uint32_t val = ((tcp_now_ms(s) + ts_offset_for(s, g)) & ~15u) | code;
        if (g->has_ws) {
            o[n++] = 1;
            o[n++] = 3;
            o[n++] = 3;
            o[n++] = wscale_for((l->child_bufs & 0xffff) * NETTCP_PAGE);
        }
        o[n++] = 1;
        o[n++] = 1;
        o[n++] = 8;
        o[n++] = 10;
        put32(o + n, val);
        put32(o + n + 4, g->tsval);
        n += 8;
    }
    tcp_send_raw(s, g->dst, g->dport, g->src, g->sport, iss, g->seq + 1, TCP_SYN | TCP_ACK, 0xffff, o, n,
                 l->owner);
    s->stats.tcp_cookie_tx++;
}

/* A peer that completed a cookie handshake has shown it is real; a
 * half-open child (the kind a SYN flood makes) has not: it gives way
 * (tcb_prune_half_open), so half-open connections can never lock
 * completed ones out. */
static bool prune_half_open(struct net_stack *s, struct net_tcb *l)
{
    return tcb_prune_half_open(s, l->owner, tcb_index(s, l));
}

/* The ACK of a cookie: a child straight into SYN-RCVD, ready for the
 * ordinary processing of this ACK. NULL if the cookie is not ours (*ours
 * false: the caller resets), or if there is no room for the connection
 * now (*ours true: dropped; the peer will send again). */
static struct net_tcb *cookie_accept(struct net_stack *s, struct net_tcb *l, const struct tcp_seg *g, bool *ours)
{
    uint32_t iss = g->ack - 1;
    struct tcp_seg syn = *g;
    syn.seq = g->seq - 1;
    uint64_t now = s->now / COOKIE_SLOT_NS;
    bool ok = false;
    for (uint64_t k = 0; k < 2 && !ok && k <= now; k++)
        ok = cookie_make(s, &syn, now - k, iss & 7) == iss;
    *ours = ok;
    if (!ok) {
        s->stats.tcp_cookie_bad++;
        return NULL;
    }
    if (l->nchild >= l->backlog && !prune_half_open(s, l)) {
        s->stats.tcp_syn_dropped++;
        return NULL;
    }
    syn.has_mss = true;
    syn.mss = cookie_mss[iss & 7];
    syn.has_ts = g->has_ts;
    syn.tsval = g->tsval;
    syn.has_ws = g->has_ts && (g->tsecr & 15) != 15;
    syn.ws = (uint8_t)(g->tsecr & 15);
    syn.win = g->win;
    struct net_tcb *t = new_child(s, l, &syn);
    while (!t && tcb_prune_half_open(s, l->owner, -1))   /* no TCB or buffers: a half-open one makes room */
        t = new_child(s, l, &syn);
    if (!t) {
        s->stats.tcp_syn_dropped++;
        return NULL;
    }
    t->iss = iss;
    t->snd_una = iss;
    t->snd_nxt = t->snd_max = iss + 1;
    t->recover = iss;
    t->cookie = true;
    s->stats.tcp_cookie_ok++;
    return t;
}

static void segment_arrives(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g);

/* RFC 9293 3.10.7.2. */
static void listen_input(struct net_stack *s, struct net_tcb *l, const struct tcp_seg *g)
{
    if (g->flags & TCP_RST) {
        s->stats.tcp_rst_ignored++;
        return;
    }
    if (!(g->flags & TCP_SYN)) {
        bool ours = false;
        struct net_tcb *t = (g->flags & TCP_ACK) ? cookie_accept(s, l, g, &ours) : NULL;
        if (t) {
            segment_arrives(s, t, g);
            return;
        }
        if (ours)
            return;                              /* counted in tcp_syn_dropped */
        if (g->flags & TCP_ACK)
            tcp_send_rst_for(s, g);
        s->stats.tcp_bad_ack++;
        return;
    }
    if (g->flags & TCP_ACK) {
        tcp_send_rst_for(s, g);
        s->stats.tcp_bad_ack++;
        return;
    }
    struct net_tcb *t = l->nchild < l->backlog ? new_child(s, l, g) : NULL;
    if (!t) {
        s->stats.tcp_backlog_full++;
        cookie_send(s, l, g);
        return;
    }
    tcp_send_syn(s, t);
    tcp_rto_restart(s, t);
    tcb_publish(s, t);
}

/* ---- a synchronized connection ---------------------------------------------------- */

void tcp_established(struct net_stack *s, struct net_tcb *t)
{
    t->state = TCP_ESTABLISHED;
    t->retries = 0;
    t->backoff = 0;
    if (t->listener >= 0) {
        s->stats.tcp_passive_open++;
        tcp_accept_queue_push(s, t);
    } else {
        s->stats.tcp_active_open++;
    }
    tcp_keep_reset(s, t);
    struct nettcp_area *a = tcb_client(s, t)->tcp_area;
    if (a && t->sock != TCP_ORPHAN)              /* look at the client's line again: a shutdown may wait */
        __atomic_fetch_or(&a->cnews[t->sock / 64], 1ull << (t->sock % 64), __ATOMIC_RELAXED);
}

/* The ACK that answers a segment we refuse: outside the window, an old
 * timestamp (PAWS), an unacceptable ACK field, or (challenge) a RST or
 * SYN in the window. A refused segment with data or a FIN is always
 * answered (its sender waits for that ACK); one without — a bare ACK, a
 * RST, a SYN — at most once per TCP_INVALID_ACK_NS per connection (RFC
 * 5961 7's throttling; Linux's tcp_invalid_ratelimit, 500 ms, per
 * socket). So spoofed RSTs and SYNs cannot make us send at their rate,
 * and two ends that each find the other's bare ACKs unacceptable cannot
 * ACK each other in a loop at line rate. */
#define TCP_INVALID_ACK_NS (500ull * 1000000ull)

static void refuse_ack(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g, bool challenge)
{
    if (!g->len && !(g->flags & TCP_FIN)) {
        if (t->invalid_ack_at && s->now - t->invalid_ack_at < TCP_INVALID_ACK_NS) {
            s->stats.tcp_ack_limited++;
            return;
        }
        t->invalid_ack_at = s->now ? s->now : 1;
    }
    if (challenge)
        s->stats.tcp_challenge_ack++;
    t->ack_now = true;
    tcp_want_output(s, t);
}

static void challenge_ack(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    refuse_ack(s, t, g, true);
}

/* RST accepted (RFC 9293 3.10.7.4, second). */
static void reset(struct net_stack *s, struct net_tcb *t)
{
    s->stats.tcp_rst_rx++;
    if (t->state == TCP_SYN_RCVD && t->listener >= 0) {
        tcb_free(s, t);                         /* back to the listener: nobody saw it */
        return;
    }
    int err = t->state == TCP_SYN_RCVD ? AE_ECONNREFUSED
            : t->state == TCP_CLOSING || t->state == TCP_LAST_ACK ? 0 : AE_ECONNRESET;
    tcb_finish(s, t, err);
}

static void syn_sent_input(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    bool ack = g->flags & TCP_ACK;
    if (ack && (SEQ_LEQ(g->ack, t->iss) || SEQ_GT(g->ack, t->snd_max))) {
        if (!(g->flags & TCP_RST))
            tcp_send_rst_for(s, g);
        s->stats.tcp_bad_ack++;
        return;
    }
    if (g->flags & TCP_RST) {
        if (ack) {
            s->stats.tcp_rst_rx++;
            tcb_finish(s, t, AE_ECONNREFUSED);
        } else {
            s->stats.tcp_rst_ignored++;
        }
        return;
    }
    if (!(g->flags & TCP_SYN)) {
        s->stats.tcp_bad_flags++;
        return;
    }
    t->irs = g->seq;
    t->rcv_nxt = g->seq + 1;
    t->last_ack_sent = t->rcv_nxt;               /* what our ACK (or SYN-ACK) of this SYN says */
    t->ws_ok = g->has_ws;
    t->snd_wscale = g->has_ws ? g->ws : 0;
    if (!t->ws_ok)
        t->rcv_wscale = 0;
    t->ts_ok = g->has_ts;
    t->ts_recent = g->tsval;
    t->peer_mss = g->has_mss ? g->mss : TCP_MSS_DEFAULT;
    t->mss = eff_mss(t->peer_mss, t->ts_ok);
    tcp_cc_init(t);
    t->snd_wnd = t->max_snd_wnd = g->win;        /* never scaled in a SYN (RFC 7323 2.2) */
    t->snd_wl1 = g->seq;
    t->snd_wl2 = g->ack;
    if (!ack) {                                  /* simultaneous open */
        t->state = TCP_SYN_RCVD;
        tcp_send_syn(s, t);
        tcb_publish(s, t);
        return;
    }
    if (t->retries == 0)
        tcp_rtt_sample(t, (uint32_t)((s->now - t->rtt_start) / 1000u));
    t->snd_una = g->ack;
    t->rto_at = 0;
    tcp_established(s, t);
    t->ack_now = true;
    tcp_want_output(s, t);
    tcb_publish(s, t);
}

/* The sequence-number test of RFC 9293 3.10.7.4 (the four cases), with
 * the window as far as we advertised it (we never shrink it). */
static bool acceptable(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g, bool *data_ok)
{
    uint32_t space = tcp_rcv_space(s, t);
    uint32_t adv = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    uint32_t wnd = space > adv ? space : adv;
    uint32_t len = seg_space(g);
    *data_ok = true;
    if (wnd == 0) {
        *data_ok = false;                        /* ACKs, RSTs and FINs still count (3.10.7.4) */
        return g->seq == t->rcv_nxt;
    }
    bool first = SEQ_GEQ(g->seq, t->rcv_nxt) && SEQ_LT(g->seq, t->rcv_nxt + wnd);
    if (len == 0)
        return first;
    uint32_t last = g->seq + len - 1;
    return first || (SEQ_GEQ(last, t->rcv_nxt) && SEQ_LT(last, t->rcv_nxt + wnd));
}

/* A new ACK during NewReno fast recovery (RFC 6582 3.2, steps 3 and 4). */
static void recovery_ack(struct net_stack *s, struct net_tcb *t, uint32_t ack, uint32_t acked)
{
    if (SEQ_GEQ(ack, t->recover)) {              /* full ACK */
        uint32_t fl = tcp_flight(t) > t->mss ? tcp_flight(t) : t->mss;
        t->cwnd = t->ssthresh < fl + t->mss ? t->ssthresh : fl + t->mss;
        t->in_recovery = false;
        return;
    }
    tcp_retransmit_first(s, t);                  /* partial ACK: the next hole, and deflate */
    t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
    if (acked >= t->mss)
        t->cwnd += t->mss;
    if (t->cwnd < t->mss)
        t->cwnd = t->mss;
}

/* Three duplicate ACKs start fast retransmit (RFC 5681 3.2); more of
 * them inflate the window by one segment each. */
static void dup_ack(struct net_stack *s, struct net_tcb *t, uint32_t ack)
{
    t->dupacks++;
    if (t->dupacks == 3 && !t->in_recovery && SEQ_GEQ(ack, t->recover)) {
        uint32_t half = tcp_flight(t) / 2, two = 2u * t->mss;
        t->ssthresh = half > two ? half : two;
        t->recover = t->snd_max;
        t->in_recovery = true;
        s->stats.tcp_fast_retrans++;
        tcp_retransmit_first(s, t);
        t->cwnd = t->ssthresh + 3u * t->mss;
        tcp_rto_restart(s, t);
    } else if (t->in_recovery) {
        t->cwnd += t->mss;
        tcp_want_output(s, t);
    }
}

/* Our FIN acknowledged: the state it leads to. false if t is gone. */
static bool fin_acked(struct net_stack *s, struct net_tcb *t)
{
    tcb_orphan_sent(s, t);
    if (t->state == TCP_FIN_WAIT_1) {
        t->state = TCP_FIN_WAIT_2;
        tcp_keep_reset(s, t);
    } else if (t->state == TCP_CLOSING) {
        tw_enter(s, t);
        return false;
    } else if (t->state == TCP_LAST_ACK) {
        tcb_finish(s, t, 0);
        return false;
    }
    return true;
}

/* Whether a synchronized connection takes the segment's ACK field at
 * all (RFC 5961 5.2): SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (our
 * snd_max). An ACK of what we never sent gets an ACK (RFC 9293); one
 * older than any window the peer ever offered gets a challenge ACK; both
 * are dropped with their data, FIN and timestamp, so a blind injector
 * must guess the ACK number too, not only a sequence number in the
 * window (Linux: tcp_ack's "too old" case). */
static bool ack_plausible(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    if (SEQ_GT(g->ack, t->snd_max)) {
        s->stats.tcp_bad_ack++;
        refuse_ack(s, t, g, false);
        return false;
    }
    if (SEQ_LT(g->ack, t->snd_una - t->max_snd_wnd)) {
        s->stats.tcp_bad_ack++;
        challenge_ack(s, t, g);
        return false;
    }
    return true;
}

/* The ACK field (RFC 9293 3.10.7.4 fifth, RFC 5681, RFC 6582). Returns
 * false if t is gone or the segment is to be dropped. */
static bool ack_input(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    t->persist_probes = 0;                       /* the peer is there */
    uint32_t wnd = (uint32_t)g->win << t->snd_wscale;
    bool win_same = wnd == t->snd_wnd;
    if (SEQ_LT(t->snd_wl1, g->seq) || (t->snd_wl1 == g->seq && SEQ_LEQ(t->snd_wl2, g->ack))) {
        if (wnd > t->snd_wnd)
            tcp_want_output(s, t);
        t->snd_wnd = wnd;
        if (wnd > t->max_snd_wnd)
            t->max_snd_wnd = wnd;
        t->snd_wl1 = g->seq;
        t->snd_wl2 = g->ack;
    }
    if (SEQ_GT(g->ack, t->snd_una)) {
        uint32_t acked = g->ack - t->snd_una;
        if (t->ts_ok && g->has_ts && g->tsecr)
            tcp_rtt_sample(t, (tcp_now_ms(s) + t->ts_offset - g->tsecr) * 1000u);
        else if (t->rtt_timing && SEQ_GEQ(g->ack, t->rtt_seq)) {
            t->rtt_timing = false;
            tcp_rtt_sample(t, (uint32_t)((s->now - t->rtt_start) / 1000u));
        }
        t->snd_una = g->ack;
        if (SEQ_LT(t->snd_nxt, t->snd_una))
            t->snd_nxt = t->snd_una;
        if (t->in_recovery)
            recovery_ack(s, t, g->ack, acked);
        else
            tcp_cc_ack(t, acked);
        t->dupacks = 0;
        t->backoff = 0;
        t->retries = 0;
        t->persist_at = 0;
        if (t->snd_una == t->snd_max)
            t->rto_at = 0;
        else
            tcp_rto_restart(s, t);
        tcp_want_output(s, t);
        if (t->fin_queued && SEQ_GT(t->snd_una, t->fin_seq) && !fin_acked(s, t))
            return false;
        tcb_publish(s, t);
    } else if (g->ack == t->snd_una && !g->len && !(g->flags & (TCP_SYN | TCP_FIN)) && win_same &&
               t->snd_max != t->snd_una) {
        dup_ack(s, t, g->ack);
    }
    return true;
}

/* Keeps [lo, hi) as received past rcv_nxt; false if no range is left. */
static bool ooo_add(struct net_tcb *t, uint32_t lo, uint32_t hi)
{
    for (unsigned i = 0; i < t->nooo; i++) {
        if (SEQ_LEQ(lo, t->ooo_hi[i]) && SEQ_GEQ(hi, t->ooo_lo[i])) {
            if (SEQ_LT(lo, t->ooo_lo[i]))
                t->ooo_lo[i] = lo;
            if (SEQ_GT(hi, t->ooo_hi[i]))
                t->ooo_hi[i] = hi;
            return true;
        }
    }
    if (t->nooo == NET_TCP_OOO_MAX)
        return false;
    t->ooo_lo[t->nooo] = lo;
    t->ooo_hi[t->nooo] = hi;
    t->nooo++;
    return true;
}

/* rcv_nxt moved: ranges it reached join the in-order data. */
static bool ooo_merge(struct net_tcb *t)
{
    bool merged = false;
    for (unsigned i = 0; i < t->nooo;) {
        if (SEQ_LEQ(t->ooo_lo[i], t->rcv_nxt)) {
            if (SEQ_GT(t->ooo_hi[i], t->rcv_nxt)) {
                t->rx_prod += t->ooo_hi[i] - t->rcv_nxt;
                t->rcv_nxt = t->ooo_hi[i];
            }
            t->ooo_lo[i] = t->ooo_lo[t->nooo - 1];
            t->ooo_hi[i] = t->ooo_hi[t->nooo - 1];
            t->nooo--;
            merged = true;
            i = 0;
            continue;
        }
        i++;
    }
    return merged;
}

/* The segment's text (RFC 9293 3.10.7.4 seventh): into the receive ring
 * at its place. Returns true if it all landed and ended at rcv_nxt. */
static bool data_input(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    uint32_t seq = g->seq, n = g->len;
    const uint8_t *d = g->data;
    if (SEQ_LT(seq, t->rcv_nxt)) {
        uint32_t old = t->rcv_nxt - seq;
        if (old >= n) {
            s->stats.tcp_dup++;
            t->ack_now = true;
            return n == old;
        }
        d += old;
        n -= old;
        seq = t->rcv_nxt;
    }
    uint32_t space = tcp_rcv_space(s, t), ahead = seq - t->rcv_nxt;
    if (ahead >= space) {
        s->stats.tcp_bad_seq++;
        t->ack_now = true;
        return false;
    }
    bool whole = n <= space - ahead;
    if (!whole) {
        n = space - ahead;
        t->ack_now = true;                       /* the window is full: say so now */
    }
    tcb_rx_write(s, t, t->rx_prod + ahead, d, n);
    if (ahead == 0) {
        t->rcv_nxt += n;
        t->rx_prod += n;
        if (ooo_merge(t) || t->nooo)
            t->ack_now = true;                   /* a gap filled: tell the sender at once (RFC 5681 4.2) */
        else if (++t->segs_unacked >= 2)
            t->ack_now = true;
        else if (!t->delack_at) {
            t->delack_at = s->now + TCP_DELACK_NS;
            tcp_timer_note(s, t->delack_at);
        }
        return whole;
    }
    if (ooo_add(t, seq, seq + n))
        s->stats.tcp_ooo++;
    else
        s->stats.tcp_ooo_dropped++;
    t->ack_now = true;                           /* the duplicate ACK fast retransmit needs */
    return false;
}

/* FIN in order (RFC 9293 3.10.7.4 eighth). Returns false if t is gone. */
static bool fin_input(struct net_stack *s, struct net_tcb *t)
{
    t->rcv_nxt++;
    t->fin_rcvd = true;
    t->ack_now = true;
    switch (t->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        t->state = TCP_CLOSE_WAIT;
        break;
    case TCP_FIN_WAIT_1:
        t->state = TCP_CLOSING;
        break;
    case TCP_FIN_WAIT_2:
        tcp_send_ack(s, t);
        tw_enter(s, t);
        return false;
    default:
        break;
    }
    return true;
}

/* Text and FIN of an acceptable segment whose ACK went through. */
static void text_input(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g, bool data_ok)
{
    bool in_order = true;
    bool takes_data = t->state == TCP_ESTABLISHED || t->state == TCP_FIN_WAIT_1 || t->state == TCP_FIN_WAIT_2;
    if (g->len && takes_data) {
        if (t->closed) {                         /* nobody will read it: RFC 2525 2.17 */
            s->stats.tcp_after_close++;
            tcp_send_rst(s, t);
            tcb_finish(s, t, AE_ECONNRESET);
            return;
        }
        in_order = data_ok && data_input(s, t, g);
        if (!data_ok)
            t->ack_now = true;                   /* a zero window: say so again */
        tcp_want_output(s, t);
    }
    if ((g->flags & TCP_FIN) && in_order && takes_data && !t->fin_rcvd && g->seq + g->len == t->rcv_nxt) {
        tcp_want_output(s, t);
        if (!fin_input(s, t))
            return;
    }
    if (t->keepalive)
        tcp_keep_reset(s, t);
    tcb_publish(s, t);
}

static void segment_arrives(struct net_stack *s, struct net_tcb *t, const struct tcp_seg *g)
{
    if (t->owner)
        tcb_client(s, t)->stats.rx_delivered++;  /* aerie stats: its packets in, TCP's too */
    if (t->state == TCP_SYN_SENT) {
        syn_sent_input(s, t, g);
        return;
    }
    if (t->state == TCP_SYN_RCVD && (g->flags & TCP_SYN) && !(g->flags & TCP_ACK) && g->seq == t->irs) {
        tcp_send_syn(s, t);                      /* our SYN-ACK was lost: the peer sent its SYN again */
        return;
    }
    if (t->ts_ok && g->has_ts && !(g->flags & TCP_RST) && (int32_t)(g->tsval - t->ts_recent) < 0) {
        s->stats.tcp_paws++;
        refuse_ack(s, t, g, false);
        return;
    }
    bool data_ok;
    if (!acceptable(s, t, g, &data_ok)) {
        if (!(g->flags & TCP_RST))
            refuse_ack(s, t, g, false);
        if (SEQ_LT(g->seq + seg_space(g), t->rcv_nxt) || (g->seq == t->rcv_nxt - 1 && !g->len))
            s->stats.tcp_dup++;
        else
            s->stats.tcp_bad_seq++;
        return;
    }
    if (g->flags & TCP_RST) {
        if (g->seq == t->rcv_nxt) {
            reset(s, t);
        } else {
            s->stats.tcp_rst_ignored++;
            challenge_ack(s, t, g);
        }
        return;
    }
    if (g->flags & TCP_SYN) {
        challenge_ack(s, t, g);
        return;
    }
    if (!(g->flags & TCP_ACK)) {
        s->stats.tcp_bad_flags++;
        return;
    }
    if (t->state == TCP_SYN_RCVD) {
        if (SEQ_LEQ(g->ack, t->snd_una) || SEQ_GT(g->ack, t->snd_max)) {
            tcp_send_rst_for(s, g);
            s->stats.tcp_bad_ack++;
            return;
        }
    } else if (!ack_plausible(s, t, g)) {
        return;
    }
    /* RFC 7323 4.3, once the ACK is known good (as Linux): a segment
     * dropped for its ACK leaves TS.Recent alone. */
    if (g->has_ts && t->ts_ok && SEQ_LEQ(g->seq, t->last_ack_sent))
        t->ts_recent = g->tsval;
    t->last_rx = s->now;
    if (t->state == TCP_SYN_RCVD)
        tcp_established(s, t);
    if (ack_input(s, t, g))
        text_input(s, t, g, data_ok);
}

/* ---- TIME-WAIT ------------------------------------------------------------------------ */

/* Returns true if the segment was handled here; false lets a new SYN
 * through to the listener (RFC 6191: its sequence number is past ours).
 * A RST ends TIME-WAIT (RFC 9293 3.10.7.4; Linux does the same), which
 * is how a peer that reuses its port gets a new connection at once: its
 * SYN meets our ACK, it answers RST, and its next SYN finds a listener.
 * (RFC 1337 would ignore the RST and keep that peer out for 2 MSL.) */
static bool tw_input(struct net_stack *s, struct net_tcp_tw *w, const struct tcp_seg *g)
{
    if (g->flags & TCP_RST) {
        if (g->seq != w->rcv_nxt) {
            s->stats.tcp_rst_ignored++;          /* not the peer's next byte: RFC 5961 */
            return true;
        }
        s->stats.tcp_rst_rx++;
        tw_remove(s, w);
        return true;
    }
    if ((g->flags & TCP_SYN) && !(g->flags & TCP_ACK) && SEQ_GT(g->seq, w->rcv_nxt)) {
        tw_remove(s, w);
        return false;
    }
    if (g->flags & TCP_FIN) {
        w->expire = s->now + 2 * TCP_MSL_NS;
        if (g->seq + g->len == w->rcv_nxt)
            w->rcv_nxt++;                        /* the peer's FIN after ours: a client that went after closing */
    }
    uint8_t o[TCP_TS_LEN];
    size_t n = 0;
    if (w->ts_ok) {
        o[0] = o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        put32(o + 4, tcp_now_ms(s) + w->ts_offset);
        put32(o + 8, g->has_ts ? g->tsval : w->ts_recent);
        n = TCP_TS_LEN;
    }
    tcp_send_raw(s, w->lip, w->lport, w->rip, w->rport, w->snd_nxt, w->rcv_nxt, TCP_ACK, 0, o, n, 0);
    return true;
}

/* ---- the entry ------------------------------------------------------------------------- */

void tcp_input(struct net_stack *s, const uint8_t *ip, const uint8_t *p, size_t len, bool to_broadcast)
{
    struct tcp_seg g;
    if (!parse(s, ip, p, len, &g))
        return;
    if (to_broadcast || g.dport == 0) {
        s->stats.tcp_no_port++;                  /* never answered */
        return;
    }
    s->stats.tcp_segs_rx++;
    struct net_tcb *t = tcb_lookup(s, g.dst, g.dport, g.src, g.sport);
    if (t) {
        segment_arrives(s, t, &g);
        return;
    }
    struct net_tcp_tw *w = tw_lookup(s, g.dst, g.dport, g.src, g.sport);
    if (w && tw_input(s, w, &g))
        return;
    struct net_tcb *l = tcb_listener(s, g.dport);
    if (l) {
        listen_input(s, l, &g);
        return;
    }
    s->stats.tcp_no_port++;
    tcp_send_rst_for(s, &g);
}
