/*
 * tcp_timer.c — TCP's clocks and its congestion controller.
 *
 * Timers: each TCB has deadlines (retransmission, delayed ACK, persist,
 * keepalive or FIN-WAIT-2) in ns; s->tcp_next_timer is a lower bound on
 * the earliest, so most polls cost one comparison. When it passes, every
 * TCB and TIME-WAIT entry is looked at once and the bound recomputed.
 *
 * RTO: RFC 6298 (SRTT, RTTVAR, Karn's rule through timing only new data,
 * or every ACK's timestamp echo with RFC 7323), in microseconds, at
 * least 200 ms (Linux's floor; RFC 6298 asks 1 s), doubled per
 * consecutive timeout, at most 60 s.
 * Congestion control: NewReno (RFC 5681 slow start and congestion
 * avoidance, byte counting with L = 1 SMSS; RFC 6582 fast recovery lives
 * in tcp_input.c). Initial window 10 segments (RFC 6928).
 */
#include "tcp.h"

void tcp_timer_note(struct net_stack *s, uint64_t at)
{
    if (at && at < s->tcp_next_timer)
        s->tcp_next_timer = at;
}

void tcp_rto_restart(struct net_stack *s, struct net_tcb *t)
{
    uint64_t rto = (uint64_t)t->rto << (t->backoff < 12 ? t->backoff : 12);
    if (rto > TCP_RTO_MAX_US)
        rto = TCP_RTO_MAX_US;
    t->rto_at = s->now + rto * 1000u;
    tcp_timer_note(s, t->rto_at);
}

/* RFC 6298 2.2 and 2.3, with G = 1 ms. */
void tcp_rtt_sample(struct net_tcb *t, uint32_t us)
{
    if (!us)
        us = 1;
    if (!t->srtt) {
        t->srtt = us;
        t->rttvar = us / 2;
    } else {
        uint32_t d = t->srtt > us ? t->srtt - us : us - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + us) / 8;
    }
    uint32_t var = 4 * t->rttvar > 1000 ? 4 * t->rttvar : 1000;
    uint32_t rto = t->srtt + var;
    t->rto = rto < TCP_RTO_MIN_US ? TCP_RTO_MIN_US : rto > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : rto;
}

uint32_t tcp_flight(const struct net_tcb *t)
{
    return t->snd_max - t->snd_una;
}

void tcp_cc_init(struct net_tcb *t)
{
    t->cwnd = TCP_IW_SEGS * (uint32_t)t->mss;
    t->ssthresh = 1u << 30;
}

/* New data acknowledged outside fast recovery: RFC 5681 3.1. */
void tcp_cc_ack(struct net_tcb *t, uint32_t acked)
{
    if (t->cwnd < t->ssthresh) {
        t->cwnd += acked < t->mss ? acked : t->mss;
    } else {
        uint32_t inc = (uint32_t)t->mss * t->mss / t->cwnd;
        t->cwnd += inc ? inc : 1;
    }
    if (t->cwnd > (1u << 30))
        t->cwnd = 1u << 30;
}

void tcp_keep_reset(struct net_stack *s, struct net_tcb *t)
{
    t->keep_probes = 0;
    if (t->state == TCP_FIN_WAIT_2 && t->closed) {
        t->keep_at = s->now + TCP_FIN_WAIT2_NS;
    } else if (t->keepalive && t->state >= TCP_ESTABLISHED && t->state != TCP_DONE) {
        t->keep_at = s->now + (uint64_t)t->keep_idle_s * NS_PER_SEC;
    } else {
        t->keep_at = 0;
        return;
    }
    tcp_timer_note(s, t->keep_at);
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1 (loss window of one segment). */
static void on_rto(struct net_stack *s, struct net_tcb *t)
{
    t->rto_at = 0;
    bool syn = t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD;
    if (!syn && t->snd_una == t->snd_max)
        return;                                       /* everything was acknowledged meanwhile */
    s->stats.tcp_rto++;
    if (++t->retries > (syn ? TCP_SYN_RETRIES : TCP_DATA_RETRIES)) {
        s->stats.tcp_timeout++;
        if (t->state == TCP_SYN_RCVD && t->listener >= 0) {
            tcb_free(s, t);                           /* a half-open child nobody saw */
            return;
        }
        if (!syn)
            tcp_send_rst(s, t);
        tcb_finish(s, t, AE_ETIMEOUT);
        return;
    }
    if (!syn) {
        uint32_t half = tcp_flight(t) / 2, two = 2u * t->mss;
        t->ssthresh = half > two ? half : two;
        t->cwnd = t->mss;
        t->in_recovery = false;
        t->dupacks = 0;
        t->recover = t->snd_max;
        t->snd_nxt = t->snd_una;
        t->rtt_timing = false;
    }
    t->backoff++;
    tcp_retransmit_first(s, t);
    tcp_rto_restart(s, t);
    tcp_want_output(s, t);
}

static void on_persist(struct net_stack *s, struct net_tcb *t)
{
    t->persist_at = 0;
    if (t->snd_wnd) {
        tcp_want_output(s, t);
        return;
    }
    /* A window kept shut holds our data (and with it the TCB and the send
     * buffer) for as long as the peer likes. A connection the client let
     * go gives up after TCP_ORPHAN_PROBES probes, answered or not (the
     * backoff grows until the window opens and data is acknowledged); any
     * other after TCP_DATA_RETRIES probes the peer did not answer. Linux
     * does both (tcp_probe_timer: tcp_orphan_retries, tcp_retries2). */
    if ((t->closed && t->backoff >= TCP_ORPHAN_PROBES) || t->persist_probes >= TCP_DATA_RETRIES) {
        s->stats.tcp_timeout++;
        tcp_send_rst(s, t);
        tcb_finish(s, t, AE_ETIMEOUT);
        return;
    }
    tcp_send_probe(s, t);
    t->persist_probes++;
    s->stats.tcp_window_probe++;
    if (t->backoff < 12)
        t->backoff++;
    uint64_t d = (uint64_t)t->rto << t->backoff;
    t->persist_at = s->now + (d > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : d) * 1000u;
    tcp_timer_note(s, t->persist_at);
}

static void on_keep(struct net_stack *s, struct net_tcb *t)
{
    t->keep_at = 0;
    if (t->state == TCP_FIN_WAIT_2 && t->closed) {
        tcb_finish(s, t, 0);                          /* the peer never closed its half */
        return;
    }
    if (t->keep_probes >= t->keep_cnt) {
        s->stats.tcp_timeout++;
        tcp_send_rst(s, t);
        tcb_finish(s, t, AE_ETIMEOUT);
        return;
    }
    tcp_send_probe(s, t);
    s->stats.tcp_keepalive++;
    t->keep_probes++;
    t->keep_at = s->now + (uint64_t)t->keep_intvl_s * NS_PER_SEC;
    tcp_timer_note(s, t->keep_at);
}

static void tcb_timers(struct net_stack *s, struct net_tcb *t)
{
    if (t->rto_at && t->rto_at <= s->now)
        on_rto(s, t);
    if (t->state == TCP_FREE)
        return;
    if (t->delack_at && t->delack_at <= s->now) {
        t->delack_at = 0;
        t->ack_now = true;
        tcp_want_output(s, t);
    }
    if (t->persist_at && t->persist_at <= s->now)
        on_persist(s, t);
    if (t->keep_at && t->keep_at <= s->now)
        on_keep(s, t);
    if (t->state == TCP_FREE)
        return;
    tcp_timer_note(s, t->rto_at);
    tcp_timer_note(s, t->delack_at);
    tcp_timer_note(s, t->persist_at);
    tcp_timer_note(s, t->keep_at);
}

uint64_t tcp_timers(struct net_stack *s)
{
    if (s->now < s->tcp_next_timer)
        return s->tcp_next_timer;
    s->tcp_next_timer = UINT64_MAX;
    for (unsigned i = 0; i < NET_TCP_MAX; i++)
        if (s->tcb[i].state != TCP_FREE)
            tcb_timers(s, &s->tcb[i]);
    for (unsigned i = 0; i < NET_TCP_TW_MAX; i++) {
        struct net_tcp_tw *w = &s->tw[i];
        if (!w->in_use)
            continue;
        if (w->expire <= s->now)
            tw_remove(s, w);
        else
            tcp_timer_note(s, w->expire);
    }
    return s->tcp_next_timer;
}
