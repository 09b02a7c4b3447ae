/*
 * tcp.h — what the TCP files of the stack share among themselves
 * (tcp_conn.c: connections, lookup, buffers, publishing to the client's
 * area; tcp_input.c: segment arrival, RFC 9293 3.10.7; tcp_output.c:
 * what goes out and when; tcp_timer.c: RTO, delayed ACK, persist,
 * keepalive, TIME-WAIT, RTT and congestion control; tcp_socket.c: the
 * client's calls and its news). docs/NET.md, "TCP", is the overview.
 */
#ifndef AERIE_NET_TCP_H
#define AERIE_NET_TCP_H

#include "proto.h"

#define TCP_HLEN        20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_MSS_DEFAULT  536          /* RFC 9293 3.7.1: without an MSS option */
#define TCP_MSS_OURS     (NET_MTU - IP_HLEN - TCP_HLEN)   /* 1460 */
#define TCP_TS_LEN       12           /* the timestamp option, padded: NOP NOP TS */
#define TCP_IW_SEGS      10           /* initial window (RFC 6928) */
#define TCP_RTO_INIT_US  1000000u     /* RFC 6298 2.1 */
#define TCP_RTO_MIN_US   200000u      /* below RFC 6298's 1 s, as Linux: LAN round trips */
#define TCP_RTO_MAX_US   60000000u
#define TCP_SYN_RETRIES  5
#define TCP_DATA_RETRIES 12
#define TCP_ORPHAN_PROBES 8           /* zero-window probes a connection the client let go gets (Linux's tcp_orphan_retries) */
#define TCP_DELACK_NS    (40ull * 1000000ull)
#define TCP_MSL_NS       (30ull * 1000000000ull)
#define TCP_FIN_WAIT2_NS (60ull * 1000000000ull)  /* a closed socket waits this long for the peer's FIN */
#define TCP_KEEP_IDLE_S  7200u        /* RFC 1122 4.2.3.6 */
#define TCP_KEEP_INTVL_S 75u
#define TCP_KEEP_CNT     9u
#define TCP_WSCALE_MAX   14
#define TCP_ORPHAN       0xffffu      /* tcb.sock of a connection the client let go */

#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* A parsed segment; options only as far as we use them. */
struct tcp_seg {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t  flags;
    uint16_t win;                /* unscaled */
    const uint8_t *data;
    uint32_t len;                /* data bytes */
    bool     has_mss, has_ws, has_ts;
    uint16_t mss;
    uint8_t  ws;
    uint32_t tsval, tsecr;
};

static inline uint32_t seg_space(const struct tcp_seg *g)  /* SEG.LEN of RFC 9293 */
{
    return g->len + !!(g->flags & TCP_SYN) + !!(g->flags & TCP_FIN);
}

static inline int tcb_index(const struct net_stack *s, const struct net_tcb *t) { return (int)(t - s->tcb); }
static inline struct net_client *tcb_client(struct net_stack *s, const struct net_tcb *t)
{
    return &s->clients[t->owner - 1];
}

/* tcp_conn.c */
struct net_tcb *tcb_alloc(struct net_stack *s, uint16_t owner);
void tcb_free(struct net_stack *s, struct net_tcb *t);
void tcb_hash_insert(struct net_stack *s, struct net_tcb *t);
void tcb_hash_remove(struct net_stack *s, struct net_tcb *t);
struct net_tcb *tcb_lookup(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
struct net_tcb *tcb_listener(struct net_stack *s, uint16_t lport);
bool tcp_port_in_use(struct net_stack *s, uint16_t lport);
int tcb_buffers(struct net_stack *s, struct net_tcb *t, uint32_t rx_bytes, uint32_t tx_bytes);
/* Half-open passive children give way to completed handshakes and to
 * their client's own calls (the _own variants: bind, listen, connect). */
bool tcb_prune_half_open(struct net_stack *s, uint16_t owner, int listener);
struct net_tcb *tcb_alloc_own(struct net_stack *s, uint16_t owner);
int tcb_buffers_own(struct net_stack *s, struct net_tcb *t, uint32_t rx_bytes, uint32_t tx_bytes);
void tcb_publish(struct net_stack *s, struct net_tcb *t);
void tcb_set_state(struct net_stack *s, struct net_tcb *t, uint8_t state);
/* The connection is over (err 0: cleanly); frees it if the client let go. */
void tcb_finish(struct net_stack *s, struct net_tcb *t, int err);
/* The client let go of a connection the protocol still needs: its socket
 * block and receive buffer go back now, its send buffer once our FIN is
 * acknowledged (tcb_orphan_sent). */
void tcb_orphan(struct net_stack *s, struct net_tcb *t);
void tcb_orphan_sent(struct net_stack *s, struct net_tcb *t);
volatile struct nettcp_sock *tcb_shared(struct net_stack *s, const struct net_tcb *t);
uint8_t *tcb_area(struct net_stack *s, const struct net_tcb *t);
void tcb_rx_write(struct net_stack *s, struct net_tcb *t, uint32_t pos, const uint8_t *p, uint32_t n);
void tcb_tx_read(struct net_stack *s, const struct net_tcb *t, uint32_t pos, uint8_t *out, uint32_t n);
uint32_t tcp_rcv_space(struct net_stack *s, struct net_tcb *t);
uint32_t tcp_isn(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
uint64_t tcp_hash64(const struct net_stack *s, uint64_t a, uint64_t b);
/* TIME-WAIT */
void tw_enter(struct net_stack *s, struct net_tcb *t);
struct net_tcp_tw *tw_lookup(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
void tw_remove(struct net_stack *s, struct net_tcp_tw *w);

/* tcp_output.c */
void tcp_want_output(struct net_stack *s, struct net_tcb *t);
void tcp_output(struct net_stack *s, struct net_tcb *t, unsigned *budget);
void tcp_send_syn(struct net_stack *s, struct net_tcb *t);
void tcp_send_ack(struct net_stack *s, struct net_tcb *t);
void tcp_send_probe(struct net_stack *s, struct net_tcb *t);
void tcp_retransmit_first(struct net_stack *s, struct net_tcb *t);
void tcp_send_rst_for(struct net_stack *s, const struct tcp_seg *g);
void tcp_send_rst(struct net_stack *s, struct net_tcb *t);
int tcp_send_raw(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
                 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen,
                 uint16_t owner);
uint32_t tcp_now_ms(const struct net_stack *s);
uint16_t tcp_window_field(struct net_stack *s, struct net_tcb *t);

/* tcp_timer.c */
void tcp_timer_note(struct net_stack *s, uint64_t at);
void tcp_rto_restart(struct net_stack *s, struct net_tcb *t);
void tcp_rtt_sample(struct net_tcb *t, uint32_t us);
void tcp_cc_ack(struct net_tcb *t, uint32_t acked);
void tcp_cc_init(struct net_tcb *t);
uint32_t tcp_flight(const struct net_tcb *t);
void tcp_keep_reset(struct net_stack *s, struct net_tcb *t);

/* tcp_input.c */
void tcp_established(struct net_stack *s, struct net_tcb *t);

/* tcp_socket.c */
void tcp_accept_queue_push(struct net_stack *s, struct net_tcb *child);

#endif
