/*
 * test_tcp.c — host tests of the stack's TCP (services/net/stack/tcp_*.c)
 * against a peer played here with handcrafted segments: port grants,
 * the handshake both ways, data both ways through the client's area,
 * the close states, RST (exact, in-window, in TIME-WAIT), retransmission,
 * out-of-order data, zero window and its probes, SYN flood and cookies,
 * bad checksums and sequence numbers outside the window, and the client
 * budget.
 */
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "ktest_host.h"

#define T0   (100ull * 1000000000ull)
#define MS   1000000ull

static struct net_stack *s;
static struct fake_dev *dev;
static struct fake_tcp cl;
static uint64_t now;
static uint8_t f[2048];

static void setup(void)
{
    if (s) {
        fake_tcp_free(&cl);
        fake_stack_free(s, dev);
    }
    s = fake_stack(&dev, 0);
    net_arp_add_static(s, IP_PEER, MAC_PEER);
    now = T0;
}

static void client(const struct net_grant *g, unsigned n, unsigned conns)
{
    CHECK_EQ(fake_tcp_add(s, &cl, g, n, conns, 16, 16 * 4096 + 64 * 4096), 0);
}

static struct net_stats stats(void)
{
    struct net_stats st;
    net_get_stats(s, &st);
    return st;
}

static void poll_at(uint64_t t)
{
    now = t;
    net_poll(s, now);
}

/* Sends a segment from the peer (IP_PEER:pport) to our port, then polls. */
static void peer_send(uint16_t pport, uint16_t port, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                      const void *data, size_t len)
{
    struct pkt p = pkt_default();
    p.sport = pport;
    p.dport = port;
    p.payload = data;
    p.len = len;
    struct tcpf t = { seq, ack, flags, win, NULL, 0, false };
    size_t n = pkt_tcp(f, &p, &t);
    net_rx(s, f, n, now);
    net_poll(s, now);
}

static void peer_syn(uint16_t pport, uint16_t port, uint32_t seq)
{
    static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 2 };   /* MSS 1460, WS 2 */
    struct pkt p = pkt_default();
    p.sport = pport;
    p.dport = port;
    struct tcpf t = { seq, 0, 0x02, 65535, opts, sizeof opts, false };
    size_t n = pkt_tcp(f, &p, &t);
    net_rx(s, f, n, now);
    net_poll(s, now);
}

/* The last TCP segment the stack sent, parsed; false if none. */
static bool last_tcp(struct parsed *o)
{
    for (int i = (int)dev->ntx - 1; i >= 0; i--)
        if (parse_frame(dev->tx[i], dev->txlen[i], o) && o->proto == 6)
            return true;
    return false;
}

static unsigned count_tcp(uint8_t flags_mask, uint8_t flags)
{
    unsigned n = 0;
    struct parsed o;
    for (unsigned i = 0; i < dev->ntx; i++)
        if (parse_frame(dev->tx[i], dev->txlen[i], &o) && o.proto == 6 && (o.tcp_flags & flags_mask) == flags)
            n++;
    return n;
}

static volatile struct nettcp_sock *blk(uint32_t sock)
{
    return &cl.area->socks[sock];
}

static void kick(uint32_t sock)
{
    __atomic_fetch_or(&cl.area->cnews[sock / 64], 1ull << (sock % 64), __ATOMIC_RELEASE);
    net_poll(s, now);
}

/* Client side: writes bytes into its send ring. */
static void client_write(uint32_t sock, const void *data, uint32_t n)
{
    volatile struct nettcp_sock *b = blk(sock);
    uint8_t *ring = (uint8_t *)cl.area + b->tx_off;
    for (uint32_t i = 0; i < n; i++)
        ring[(b->tx_prod + i) & (b->tx_size - 1)] = ((const uint8_t *)data)[i];
    b->tx_prod += n;
    kick(sock);
}

/* Client side: reads what is in the receive ring. */
static uint32_t client_read(uint32_t sock, uint8_t *out, uint32_t max)
{
    volatile struct nettcp_sock *b = blk(sock);
    uint32_t n = b->rx_prod - b->rx_cons;
    if (n > max)
        n = max;
    const uint8_t *ring = (const uint8_t *)cl.area + b->rx_off;
    for (uint32_t i = 0; i < n; i++)
        out[i] = ring[(b->rx_cons + i) & (b->rx_size - 1)];
    b->rx_cons += n;
    kick(sock);
    return n;
}

static uint32_t listener;

/* One more connection from pport to the listener accepted() made. */
static uint32_t accept_more(uint16_t port, uint16_t pport, uint32_t peer_iss, uint32_t *snd)
{
    fake_clear_tx(dev);
    peer_syn(pport, port, peer_iss);
    struct parsed o;
    CHECK(last_tcp(&o));
    CHECK_EQ(o.tcp_flags, 0x12);
    *snd = o.tcp_seq + 1;
    peer_send(pport, port, peer_iss + 1, *snd, 0x10, 65535, NULL, 0);
    volatile struct nettcp_sock *l = blk(listener);
    CHECK_EQ(l->rx_prod - l->rx_cons, 4);
    uint32_t child;
    memcpy(&child, (uint8_t *)cl.area + l->rx_off + (l->rx_cons & (l->rx_size - 1)), 4);
    l->rx_cons += 4;
    kick(listener);
    CHECK_EQ(blk(child)->state, NETTCP_OPEN);
    return child;
}

/* A listener on port with one accepted connection from pport; returns the
 * connection's socket and our ISS + 1 in *snd. */
static uint32_t accepted(uint16_t port, uint16_t pport, uint32_t peer_iss, uint32_t *snd)
{
    static const struct net_grant g[] = { { 80, 80, NET_GRANT_TCP }, { 8000, 8010, NET_GRANT_TCP } };
    client(g, 2, 8);
    uint32_t ls;
    CHECK_EQ(net_tcp_bind(s, cl.id, port, 0, &ls, NULL), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, ls, 4, 8192, 8192, NET_TCP_O_NODELAY), 0);
    listener = ls;
    CHECK_EQ(blk(ls)->state, NETTCP_LISTEN);
    fake_clear_tx(dev);
    peer_syn(pport, port, peer_iss);
    struct parsed o;
    CHECK(last_tcp(&o));
    CHECK_EQ(o.tcp_flags, 0x12);                   /* SYN|ACK */
    CHECK_EQ(o.tcp_ack, peer_iss + 1);
    CHECK(o.tcp_has_mss && o.tcp_has_ws && o.l4_csum_ok);
    *snd = o.tcp_seq + 1;
    peer_send(pport, port, peer_iss + 1, *snd, 0x10, 65535, NULL, 0);
    volatile struct nettcp_sock *l = blk(ls);
    CHECK_EQ(l->rx_prod, 4);
    uint32_t child;
    memcpy(&child, (uint8_t *)cl.area + l->rx_off, 4);
    l->rx_cons = 4;
    kick(ls);
    CHECK_EQ(blk(child)->state, NETTCP_OPEN);
    CHECK_EQ(blk(child)->remote_port, pport);
    return child;
}

/* ---- the tests ------------------------------------------------------------------ */

static void bind_and_connect_need_grants(void)
{
    setup();
    static const struct net_grant g[] = { { 7, 7, NET_GRANT_UDP }, { 80, 80, NET_GRANT_TCP },
                                          { 9000, 9000, NET_GRANT_TCP_OUT } };
    client(g, 3, 4);
    uint32_t sock;
    uint16_t lport;
    CHECK_EQ(net_tcp_bind(s, cl.id, 7, 0, &sock, NULL), AE_EACCES);        /* a UDP grant is not TCP */
    CHECK_EQ(net_tcp_bind(s, cl.id, 81, 0, &sock, NULL), AE_EACCES);
    CHECK_EQ(net_bind(s, cl.id, 80, NULL), AE_EACCES);                     /* nor the other way */
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &sock, NULL), 0);
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &sock, NULL), AE_EADDRINUSE);
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9001, 0, 0, 0, &sock, &lport), AE_EACCES);
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 0, 0, 0, &sock, &lport), 0);
    CHECK(lport >= 49152);
    static const struct net_grant u[] = { { 7000, 7000, NET_GRANT_UDP } };
    uint32_t id;
    CHECK_EQ(net_client_add(s, u, 1, &id), 0);
    CHECK_EQ(net_tcp_bind(s, id, 7000, 0, &sock, NULL), AE_EACCES);       /* no TCP at all */
    CHECK_EQ(net_client_tcp_conns(s, id), 0);
    CHECK_EQ(net_tcp_bind(s, 0x12345, 80, 0, &sock, NULL), AE_ESRCH);     /* a forged id */
}

static void passive_open_data_both_ways_and_close(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40000, 1000, &snd);
    peer_send(40000, 80, 1001, snd, 0x18, 65535, "hello", 5);
    uint8_t buf[64];
    CHECK_EQ(client_read(c, buf, sizeof buf), 5);
    CHECK(!memcmp(buf, "hello", 5));
    fake_clear_tx(dev);
    client_write(c, "world!", 6);
    struct parsed o;
    CHECK(last_tcp(&o));
    CHECK_EQ(o.data_len, 6);
    CHECK(!memcmp(o.data, "world!", 6));
    CHECK_EQ(o.tcp_seq, snd);
    CHECK_EQ(o.tcp_ack, 1006);
    peer_send(40000, 80, 1006, snd + 6, 0x10, 65535, NULL, 0);
    CHECK_EQ(blk(c)->tx_cons, 6);
    /* the peer closes first: CLOSE-WAIT, then ours: LAST-ACK, then done */
    peer_send(40000, 80, 1006, snd + 6, 0x11, 65535, NULL, 0);
    CHECK(blk(c)->flags & NETTCP_F_RX_FIN);
    fake_clear_tx(dev);
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);
    CHECK(last_tcp(&o));
    CHECK_EQ(o.tcp_flags & 0x01, 0x01);
    CHECK_EQ(o.tcp_seq, snd + 6);
    peer_send(40000, 80, 1007, snd + 7, 0x10, 65535, NULL, 0);
    CHECK_EQ(cl.area->socks[c].state, NETTCP_FREE);       /* the block is free again */
    CHECK_EQ(stats().tcp_passive_open, 1);
    /* aerie stats counts a TCP client's segments, as a UDP one's datagrams:
     * in, the peer's data, ACK, FIN, last ACK (and its SYN's ACK); out, the
     * SYN-ACK, the data, our FIN at least */
    struct net_client_stats cs;
    CHECK_EQ(net_client_stats(s, cl.id, &cs), 0);
    CHECK(cs.rx_delivered >= 4);
    CHECK(cs.tx_sent >= 3);
}

static void active_close_goes_through_time_wait(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40001, 5000, &snd);
    fake_clear_tx(dev);
    blk(c)->cflags = NETTCP_C_SHUT_WR;
    kick(c);
    struct parsed o;
    CHECK(last_tcp(&o) && (o.tcp_flags & 0x01));
    peer_send(40001, 80, 5001, snd + 1, 0x10, 65535, NULL, 0);          /* FIN-WAIT-2 */
    peer_send(40001, 80, 5001, snd + 1, 0x11, 65535, NULL, 0);          /* TIME-WAIT */
    CHECK(blk(c)->flags & NETTCP_F_RX_FIN);
    CHECK_EQ(blk(c)->state, NETTCP_DONE);
    CHECK_EQ(blk(c)->error, 0);
    /* TIME-WAIT answers a retransmitted FIN, ignores a RST at the wrong
     * sequence number (RFC 5961) */
    fake_clear_tx(dev);
    peer_send(40001, 80, 5001, snd + 1, 0x11, 65535, NULL, 0);
    CHECK(last_tcp(&o) && o.tcp_flags == 0x10 && o.tcp_ack == 5002);
    uint64_t ign = stats().tcp_rst_ignored;
    peer_send(40001, 80, 5009, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(stats().tcp_rst_ignored, ign + 1);
    fake_clear_tx(dev);
    peer_send(40001, 80, 5001, snd + 1, 0x11, 65535, NULL, 0);
    CHECK_EQ(count_tcp(0xff, 0x10), 1);                                   /* still there */
    /* after 2 MSL it is gone: the same segment now meets a listener and gets RST */
    poll_at(now + 61ull * 1000 * MS);
    fake_clear_tx(dev);
    peer_send(40001, 80, 5001, snd + 1, 0x10, 65535, NULL, 0);
    CHECK(last_tcp(&o) && (o.tcp_flags & 0x04));
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);
    CHECK_EQ(cl.area->socks[c].state, NETTCP_FREE);
}

static void port_reuse_in_time_wait(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40011, 5000, &snd);
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);                                                              /* FIN-WAIT-1 */
    CHECK_EQ(cl.area->socks[c].state, NETTCP_FREE);      /* let go: the block is the client's again */
    uint64_t gauges[NET_TCP_GAUGES];
    net_tcp_gauges(s, gauges);
    CHECK_EQ(gauges[4], 1);                                               /* the orphan goes on */
    peer_send(40011, 80, 5001, snd + 1, 0x11, 65535, NULL, 0);          /* TIME-WAIT */
    net_tcp_gauges(s, gauges);
    CHECK_EQ(gauges[4], 0);
    CHECK_EQ(gauges[8], 1);
    /* the peer reuses its port with a lower ISN: our ACK, its RST ends
     * TIME-WAIT (RFC 9293, as Linux), and its next SYN gets in */
    fake_clear_tx(dev);
    peer_syn(40011, 80, 10);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x10 && o.tcp_ack == 5002);
    peer_send(40011, 80, 5002, 0, 0x04, 0, NULL, 0);
    fake_clear_tx(dev);
    peer_syn(40011, 80, 10);
    CHECK(last_tcp(&o) && o.tcp_flags == 0x12 && o.tcp_ack == 11);
    peer_send(40011, 80, 11, o.tcp_seq + 1, 0x10, 65535, NULL, 0);
    CHECK_EQ(stats().tcp_passive_open, 2);
}

static void rst_exact_resets_and_in_window_is_challenged(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40002, 7000, &snd);
    fake_clear_tx(dev);
    peer_send(40002, 80, 7001 + 100, 0, 0x04, 0, NULL, 0);              /* in the window, not exact */
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);
    CHECK_EQ(stats().tcp_challenge_ack, 1);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x10 && o.tcp_ack == 7001);
    peer_send(40002, 80, 7001 + 1000000, 0, 0x04, 0, NULL, 0);          /* outside: ignored */
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);
    peer_send(40002, 80, 7001, 0, 0x04, 0, NULL, 0);                     /* exact */
    CHECK_EQ(blk(c)->state, NETTCP_DONE);
    CHECK_EQ(blk(c)->error, AE_ECONNRESET);
    CHECK_EQ(stats().tcp_rst_rx, 1);
}

static uint64_t gauge(unsigned i)
{
    uint64_t g[NET_TCP_GAUGES];
    net_tcp_gauges(s, g);
    return g[i];
}

/* A RST at RCV.NXT ends the connection in every synchronized state and in
 * SYN-RECEIVED; one merely in the window gets a challenge ACK and
 * changes nothing (RFC 5961 3); in SYN-SENT only an acceptable RST|ACK
 * counts. (ESTABLISHED and TIME-WAIT: the tests above.) */
static void rst_in_every_state(void)
{
    setup();
    uint32_t snd;
    struct parsed o;
    /* SYN-RECEIVED: the half-open child goes, the listener stays */
    uint32_t c = accepted(80, 41000, 100, &snd);            /* one established, to keep */
    peer_syn(41001, 80, 500);
    CHECK_EQ(gauge(2), 1);
    peer_send(41001, 80, 501 + 50, 0, 0x04, 0, NULL, 0);    /* in the window: challenged */
    CHECK_EQ(gauge(2), 1);
    peer_send(41001, 80, 501, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(2), 0);
    CHECK_EQ(gauge(1), 1);
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);

    /* FIN-WAIT-1: our FIN unacknowledged */
    blk(c)->cflags = NETTCP_C_SHUT_WR;
    kick(c);
    CHECK_EQ(gauge(4), 1);
    uint64_t ch = stats().tcp_challenge_ack;
    peer_send(41000, 80, 101 + 10, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(stats().tcp_challenge_ack, ch + 1);
    CHECK_EQ(gauge(4), 1);
    peer_send(41000, 80, 101, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(4), 0);
    CHECK_EQ(blk(c)->state, NETTCP_DONE);
    CHECK_EQ(blk(c)->error, AE_ECONNRESET);

    /* FIN-WAIT-2: our FIN acknowledged, theirs not come */
    c = accept_more(80, 41002, 200, &snd);
    blk(c)->cflags = NETTCP_C_SHUT_WR;
    kick(c);
    peer_send(41002, 80, 201, snd + 1, 0x10, 65535, NULL, 0);
    CHECK_EQ(gauge(4), 1);
    peer_send(41002, 80, 201, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(4), 0);
    CHECK_EQ(blk(c)->error, AE_ECONNRESET);

    /* CLOSE-WAIT: their FIN in, ours not sent; RCV.NXT is past the FIN */
    c = accept_more(80, 41003, 300, &snd);
    peer_send(41003, 80, 301, snd, 0x11, 65535, NULL, 0);
    CHECK_EQ(gauge(5), 1);
    peer_send(41003, 80, 301, 0, 0x04, 0, NULL, 0);         /* one before RCV.NXT: outside, ignored */
    CHECK_EQ(gauge(5), 1);
    peer_send(41003, 80, 302, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(5), 0);
    CHECK_EQ(blk(c)->error, AE_ECONNRESET);

    /* CLOSING: both FINs sent, neither acknowledged */
    c = accept_more(80, 41004, 400, &snd);
    blk(c)->cflags = NETTCP_C_SHUT_WR;
    kick(c);
    peer_send(41004, 80, 401, snd, 0x11, 65535, NULL, 0);
    CHECK_EQ(gauge(6), 1);
    peer_send(41004, 80, 402, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(6), 0);
    CHECK_EQ(blk(c)->state, NETTCP_DONE);
    CHECK_EQ(blk(c)->error, 0);                              /* both sides had closed: no error to report */

    /* LAST-ACK: their FIN, then our close; the orphan goes at the RST */
    c = accept_more(80, 41005, 600, &snd);
    peer_send(41005, 80, 601, snd, 0x11, 65535, NULL, 0);
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);
    CHECK_EQ(gauge(6), 1);
    CHECK_EQ(cl.area->socks[c].state, NETTCP_FREE);
    peer_send(41005, 80, 602, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(gauge(6), 0);
    CHECK_EQ(gauge(0), 1 + 4);                               /* the listener and four DONE blocks */
    CHECK_EQ(gauge(7), 4);

    /* SYN-SENT: a RST without ACK, or with the wrong ACK, is ignored */
    setup();
    static const struct net_grant g2[] = { { 9000, 9000, NET_GRANT_TCP_OUT } };
    client(g2, 1, 4);
    uint32_t sock;
    uint16_t lport;
    fake_clear_tx(dev);
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 0, 0, 0, &sock, &lport), 0);
    net_poll(s, now);
    CHECK(last_tcp(&o) && o.tcp_flags == 0x02);
    peer_send(9000, lport, 0, 0, 0x04, 0, NULL, 0);                      /* no ACK */
    peer_send(9000, lport, 0, o.tcp_seq + 5, 0x14, 0, NULL, 0);         /* not our SYN's ACK */
    CHECK_EQ(blk(sock)->state, NETTCP_CONNECTING);
    peer_send(9000, lport, 0, o.tcp_seq + 1, 0x14, 0, NULL, 0);
    CHECK_EQ(blk(sock)->state, NETTCP_DONE);
    CHECK_EQ(blk(sock)->error, AE_ECONNREFUSED);
}

static void syn_in_established_gets_challenge_ack(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40003, 9000, &snd);
    peer_syn(40003, 80, 9001);
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);
    CHECK_EQ(stats().tcp_challenge_ack, 1);
}

static void data_is_retransmitted_after_rto(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40004, 100, &snd);
    fake_clear_tx(dev);
    client_write(c, "abcdef", 6);
    CHECK_EQ(count_tcp(0x08, 0x08), 1);
    fake_clear_tx(dev);
    poll_at(now + 300 * MS);                       /* no ACK: RTO (1 s before any sample) */
    CHECK_EQ(count_tcp(0x08, 0x08), 0);
    poll_at(now + 800 * MS);
    struct parsed o;
    CHECK(last_tcp(&o) && o.data_len == 6 && o.tcp_seq == snd);
    CHECK_EQ(stats().tcp_rto, 1);
    CHECK_EQ(stats().tcp_retrans, 1);
    peer_send(40004, 80, 101, snd + 6, 0x10, 65535, NULL, 0);
    CHECK_EQ(blk(c)->tx_cons, 6);
}

static void three_duplicate_acks_retransmit_at_once(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40010, 600, &snd);
    static uint8_t big[4000];
    memset(big, 'd', sizeof big);
    client_write(c, big, sizeof big);              /* three segments of 1460, 1460, 1080 */
    fake_clear_tx(dev);
    for (int i = 0; i < 3; i++)
        peer_send(40010, 80, 601, snd, 0x10, 65535, NULL, 0);           /* the first one was lost */
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_seq == snd && o.data_len == 1460);
    CHECK_EQ(stats().tcp_fast_retrans, 1);
    CHECK_EQ(stats().tcp_rto, 0);
    peer_send(40010, 80, 601, snd + 4000, 0x10, 65535, NULL, 0);
    CHECK_EQ(blk(c)->tx_cons, 4000);
}

static void out_of_order_data_waits_for_the_gap(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40005, 200, &snd);
    fake_clear_tx(dev);
    peer_send(40005, 80, 206, snd, 0x10, 65535, "WORLD", 5);
    CHECK_EQ(blk(c)->rx_prod, 0);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_ack == 201);                             /* a duplicate ACK */
    peer_send(40005, 80, 201, snd, 0x10, 65535, "HELLO", 5);
    CHECK_EQ(blk(c)->rx_prod, 10);
    CHECK(last_tcp(&o) && o.tcp_ack == 211);
    uint8_t buf[16];
    CHECK_EQ(client_read(c, buf, sizeof buf), 10);
    CHECK(!memcmp(buf, "HELLOWORLD", 10));
    CHECK_EQ(stats().tcp_ooo, 1);
}

static void zero_window_is_probed_then_data_flows(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40006, 300, &snd);
    peer_send(40006, 80, 301, snd, 0x10, 0, NULL, 0);                    /* window 0 */
    fake_clear_tx(dev);
    client_write(c, "xyz", 3);
    CHECK_EQ(count_tcp(0x08, 0x08), 0);                                    /* nothing may go */
    for (int i = 0; i < 6; i++)
        poll_at(now + 1000 * MS);
    CHECK(stats().tcp_window_probe >= 1);
    struct parsed o;
    CHECK(last_tcp(&o) && o.data_len == 0 && o.tcp_seq == snd - 1);
    peer_send(40006, 80, 301, snd, 0x10, 1000, NULL, 0);                 /* the window opens */
    CHECK(last_tcp(&o) && o.data_len == 3 && !memcmp(o.data, "xyz", 3));
}

/* A peer that answers every probe with a zero window, against a
 * connection its client closed with data unsent: the orphan gives up
 * after TCP_ORPHAN_PROBES probes with a RST (it held its TCB and send
 * buffer for as long as the peer liked: a remote peer could take a
 * server's whole budget this way). */
static void zero_window_orphan_is_not_held_forever(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40200, 1000, &snd);
    peer_send(40200, 80, 1001, snd, 0x10, 0, NULL, 0);                   /* window 0 */
    client_write(c, "pending", 7);
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);
    CHECK_EQ(cl.area->socks[c].state, NETTCP_FREE);                      /* an orphan now */
    CHECK_EQ(gauge(0), 2);
    fake_clear_tx(dev);
    for (int i = 0; i < 3600 && gauge(0) == 2; i++) {
        poll_at(now + 1000 * MS);
        peer_send(40200, 80, 1001, snd, 0x10, 0, NULL, 0);               /* still shut, and here */
    }
    CHECK_EQ(gauge(0), 1);                                   /* the listener only */
    CHECK_EQ(stats().tcp_timeout, 1);
    CHECK_EQ(stats().tcp_window_probe, 8);
    CHECK(count_tcp(0x04, 0x04) >= 1);
    CHECK(now - T0 < 400ull * 1000 * MS);
}

/* The same peer against a connection its client still holds: probed for
 * as long as it answers; once it stops answering, the connection ends
 * with ETIMEDOUT after TCP_DATA_RETRIES probes. */
static void zero_window_probes_end_when_the_peer_is_gone(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40201, 1000, &snd);
    peer_send(40201, 80, 1001, snd, 0x10, 0, NULL, 0);
    client_write(c, "pending", 7);
    for (int i = 0; i < 1800; i++) {                                     /* half an hour, answered */
        poll_at(now + 1000 * MS);
        peer_send(40201, 80, 1001, snd, 0x10, 0, NULL, 0);
    }
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);
    for (int i = 0; i < 3600 && blk(c)->state == NETTCP_OPEN; i++)        /* then silence */
        poll_at(now + 1000 * MS);
    CHECK_EQ(blk(c)->state, NETTCP_DONE);
    CHECK_EQ(blk(c)->error, AE_ETIMEOUT);
}

static void our_window_closes_when_the_client_does_not_read(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40007, 400, &snd);
    static uint8_t big[1000];
    memset(big, 'q', sizeof big);
    uint32_t seq = 401;
    for (int i = 0; i < 8; i++, seq += 1000)
        peer_send(40007, 80, seq, snd, 0x10, 65535, big, 1000);
    CHECK_EQ(blk(c)->rx_prod, 8000);
    fake_clear_tx(dev);
    peer_send(40007, 80, seq, snd, 0x10, 65535, big, 1000);              /* past the 8 KiB buffer */
    struct parsed o;
    CHECK(last_tcp(&o));
    CHECK(blk(c)->rx_prod <= 8192);
    CHECK(o.tcp_ack <= 401 + 8192);
    CHECK_EQ(o.tcp_win, 0);                                                /* scale 0: 8 KiB < 64 KiB */
    uint8_t buf[8192];
    fake_clear_tx(dev);
    CHECK(client_read(c, buf, sizeof buf) >= 8000);
    CHECK(last_tcp(&o) && o.tcp_win > 0);                                  /* the window update */
}

static void bad_checksum_and_window_dropped(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40008, 500, &snd);
    struct pkt p = pkt_default();
    p.sport = 40008;
    p.dport = 80;
    p.payload = (const uint8_t *)"bad";
    p.len = 3;
    struct tcpf t = { 501, snd, 0x18, 65535, NULL, 0, true };
    size_t n = pkt_tcp(f, &p, &t);
    net_rx(s, f, n, now);
    net_poll(s, now);
    CHECK_EQ(stats().tcp_bad_checksum, 1);
    CHECK_EQ(blk(c)->rx_prod, 0);
    peer_send(40008, 80, 501 + 5000000, snd, 0x18, 65535, "far", 3);
    CHECK_EQ(blk(c)->rx_prod, 0);
    CHECK_EQ(stats().tcp_bad_seq, 1);
    peer_send(40008, 80, 501, snd + 99999, 0x18, 65535, "ack", 3);     /* acks what we never sent */
    CHECK_EQ(stats().tcp_bad_ack, 1);
    CHECK_EQ(blk(c)->rx_prod, 0);
}

static void syn_flood_gets_cookies_and_a_real_client_gets_in(void)
{
    setup();
    static const struct net_grant g[] = { { 80, 80, NET_GRANT_TCP } };
    client(g, 1, 8);
    uint32_t ls;
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &ls, NULL), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, ls, 2, 4096, 4096, 0), 0);
    for (unsigned i = 0; i < 500; i++)
        peer_syn((uint16_t)(20000 + i), 80, i * 7919);
    struct net_stats st = stats();
    CHECK_EQ(st.tcp_backlog_full, 498);
    CHECK_EQ(st.tcp_cookie_tx, 498);
    /* a real client answers its cookie SYN-ACK: the queue is full of
     * half-open children, so the one that waited longest gives way and
     * the real one is in at once */
    fake_clear_tx(dev);
    peer_syn(30000, 80, 4242);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x12);
    fake_clear_tx(dev);
    peer_send(30000, 80, 4243, o.tcp_seq + 1, 0x10, 65535, "GET", 3);
    CHECK_EQ(stats().tcp_cookie_ok, 1);
    CHECK_EQ(stats().tcp_syn_pruned, 1);
    CHECK_EQ(stats().tcp_syn_dropped, 0);
    CHECK_EQ(count_tcp(0x04, 0x04), 0);
    CHECK_EQ(blk(ls)->rx_prod, 4);
    peer_syn(30001, 80, 777);                      /* and a second, in place of the other */
    CHECK(last_tcp(&o) && o.tcp_flags == 0x12);
    peer_send(30001, 80, 778, o.tcp_seq + 1, 0x10, 65535, "GET", 3);
    CHECK_EQ(blk(ls)->rx_prod, 8);
    CHECK_EQ(stats().tcp_syn_pruned, 2);
    /* no half-open child left to give way: a third is dropped, not reset
     * (it will send again), until the program accepts */
    fake_clear_tx(dev);
    peer_syn(30003, 80, 555);
    CHECK(last_tcp(&o) && o.tcp_flags == 0x12);
    fake_clear_tx(dev);
    peer_send(30003, 80, 556, o.tcp_seq + 1, 0x10, 65535, "GET", 3);
    CHECK_EQ(stats().tcp_syn_dropped, 1);
    CHECK_EQ(count_tcp(0x04, 0x04), 0);
    /* a forged cookie is refused */
    peer_send(30002, 80, 999, 123456, 0x10, 65535, NULL, 0);
    CHECK_EQ(stats().tcp_cookie_bad, 1);
}

/* A flood of SYNs at a listener whose backlog is larger than its
 * client's budget fills that budget with half-open children; the client's
 * own connect and bind still work: a half-open child gives way to them. */
static void syn_flood_leaves_the_owner_its_connections(void)
{
    setup();
    static const struct net_grant g[] = { { 80, 81, NET_GRANT_TCP }, { 9000, 9000, NET_GRANT_TCP_OUT } };
    client(g, 2, 8);
    uint32_t ls, sock = 0;
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &ls, NULL), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, ls, 128, 4096, 4096, 0), 0);
    for (unsigned i = 0; i < 500; i++)
        peer_syn((uint16_t)(20000 + i), 80, i * 7919);
    CHECK_EQ(stats().tcp_cookie_tx, 493);          /* 7 half-open children: the budget less the listener */
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 4096, 4096, 0, &sock, NULL), 0);
    CHECK_EQ(stats().tcp_syn_pruned, 1);
    CHECK_EQ(blk(sock)->state, NETTCP_CONNECTING);
    CHECK_EQ(net_tcp_bind(s, cl.id, 81, 0, &sock, NULL), 0);
    CHECK_EQ(stats().tcp_syn_pruned, 2);
    /* the flood ends: its children give up after their SYN-ACK retries and
     * a real client gets an ordinary handshake, no cookie */
    for (int i = 0; i < 120; i++)
        poll_at(now + 1000 * MS);
    uint64_t cookies = stats().tcp_cookie_tx;
    fake_clear_tx(dev);
    peer_syn(30000, 80, 4242);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x12);
    CHECK_EQ(stats().tcp_cookie_tx, cookies);
    peer_send(30000, 80, 4243, o.tcp_seq + 1, 0x10, 65535, NULL, 0);
    CHECK_EQ(blk(ls)->rx_prod, 4);
}

/* The same when the flood's children take the client's buffer pages
 * rather than its connections: the client's own connect gets buffers. */
static void syn_flood_leaves_the_owner_its_buffers(void)
{
    setup();
    static const struct net_grant g[] = { { 80, 80, NET_GRANT_TCP }, { 9000, 9000, NET_GRANT_TCP_OUT } };
    client(g, 2, 16);                              /* 64 pages of buffers */
    uint32_t ls, sock = 0;
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &ls, NULL), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, ls, 128, 32768, 32768, 0), 0);
    for (unsigned i = 0; i < 100; i++)
        peer_syn((uint16_t)(20000 + i), 80, i * 7919);
    CHECK(stats().tcp_no_buffer > 0);              /* the children ran out of pages, not of connections */
    uint64_t refused = stats().tcp_no_buffer;
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 32768, 32768, 0, &sock, NULL), 0);
    CHECK(stats().tcp_syn_pruned >= 1);
    CHECK_EQ(stats().tcp_no_buffer, refused);      /* the connect was not refused */
    CHECK_EQ(blk(sock)->rx_size, 32768);
}

/* RFC 5961 5.2: a segment whose ACK is older than any window the peer
 * offered is dropped with its data (a blind injector must guess the ACK
 * too) and gets a challenge ACK; an ACK merely behind SND.UNA within the
 * window (reordering) is fine; an ACK of unsent data is still dropped. */
static void ack_older_than_any_window_is_dropped(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40100, 1000, &snd);
    struct net_stats st0 = stats();
    fake_clear_tx(dev);
    peer_send(40100, 80, 1001, snd - 1000000, 0x18, 65535, "evil", 4);   /* the window is 65535 << 2 */
    CHECK_EQ(blk(c)->rx_prod, 0);
    CHECK_EQ(stats().tcp_bad_ack, st0.tcp_bad_ack + 1);
    CHECK_EQ(stats().tcp_challenge_ack, st0.tcp_challenge_ack + 1);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x10 && o.tcp_ack == 1001 && o.tcp_seq == snd && !o.data_len);
    peer_send(40100, 80, 1001, snd - 100000, 0x18, 65535, "good", 4);
    CHECK_EQ(blk(c)->rx_prod, 4);
    peer_send(40100, 80, 1005, snd + 100000, 0x18, 65535, "more", 4);
    CHECK_EQ(blk(c)->rx_prod, 4);
    CHECK_EQ(stats().tcp_bad_ack, st0.tcp_bad_ack + 2);
    peer_send(40100, 80, 1005, snd, 0x18, 65535, "more", 4);
    CHECK_EQ(blk(c)->rx_prod, 8);
    uint8_t buf[16];
    CHECK_EQ(client_read(c, buf, sizeof buf), 8);
    CHECK(!memcmp(buf, "goodmore", 8));
}

/* RFC 5961 7: floods of spoofed RSTs and SYNs in the window and of bare
 * ACKs outside it, at one connection, draw one ACK per 500 ms (was one
 * each); data outside the window is still answered every time; the
 * connection goes on. */
static void answers_to_refused_segments_are_limited(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40300, 1000, &snd);
    fake_clear_tx(dev);
    for (uint32_t i = 0; i < 300; i++) {
        peer_send(40300, 80, 1001 + 10 + i, 0, 0x04, 0, NULL, 0);                /* RST in the window */
        peer_send(40300, 80, 1001 + 20 + i, 0, 0x02, 65535, NULL, 0);            /* SYN in the window */
        peer_send(40300, 80, 1001 + 5000000 + i, snd, 0x10, 65535, NULL, 0);     /* bare ACK outside */
    }
    CHECK_EQ(count_tcp(0xff, 0x10), 1);
    CHECK_EQ(stats().tcp_ack_limited, 899);
    CHECK_EQ(blk(c)->state, NETTCP_OPEN);
    poll_at(now + 600 * MS);
    fake_clear_tx(dev);
    peer_send(40300, 80, 1001 + 10, 0, 0x04, 0, NULL, 0);
    CHECK_EQ(count_tcp(0xff, 0x10), 1);                                          /* 500 ms on: the next */
    fake_clear_tx(dev);
    for (int i = 0; i < 3; i++)
        peer_send(40300, 80, 1001 + 5000000, snd, 0x18, 65535, "far", 3);       /* data: answered each time */
    CHECK_EQ(count_tcp(0xff, 0x10), 3);
    peer_send(40300, 80, 1001, snd, 0x18, 65535, "ok", 2);
    CHECK_EQ(blk(c)->rx_prod, 2);
}

static void connections_are_bounded_per_client(void)
{
    setup();
    static const struct net_grant g[] = { { 9000, 9000, NET_GRANT_TCP_OUT } };
    client(g, 1, 3);
    uint32_t sock;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 4096, 4096, 0, &sock, NULL), 0);
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 4096, 4096, 0, &sock, NULL), AE_ENOMEM);
    uint32_t id;
    CHECK_EQ(net_client_add_tcp(s, g, 1, NET_TCP_MAX, &id), AE_ENOMEM);  /* cannot promise more than there is */
    CHECK_EQ(net_client_remove(s, cl.id), 0);
    CHECK_EQ(net_client_add_tcp(s, g, 1, NET_TCP_MAX, &id), 0);
}

static void active_open_and_refused(void)
{
    setup();
    static const struct net_grant g[] = { { 9000, 9001, NET_GRANT_TCP_OUT } };
    client(g, 1, 4);
    uint32_t sock;
    uint16_t lport;
    fake_clear_tx(dev);
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 0, 0, 0, &sock, &lport), 0);
    net_poll(s, now);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x02 && o.tcp_has_ts && o.tcp_has_ws);
    CHECK_EQ(blk(sock)->state, NETTCP_CONNECTING);
    uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 1, 0 };
    struct pkt p = pkt_default();
    p.sport = 9000;
    p.dport = lport;
    struct tcpf t = { 77, o.tcp_seq + 1, 0x12, 65535, opts, sizeof opts, false };
    size_t n = pkt_tcp(f, &p, &t);
    net_rx(s, f, n, now);
    net_poll(s, now);
    CHECK_EQ(blk(sock)->state, NETTCP_OPEN);
    CHECK_EQ(stats().tcp_active_open, 1);
    uint32_t s2;
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9001, 0, 0, 0, &s2, &lport), 0);
    net_poll(s, now);
    CHECK(last_tcp(&o) && o.tcp_flags == 0x02);
    peer_send(9001, lport, 0, o.tcp_seq + 1, 0x14, 0, NULL, 0);          /* RST|ACK: refused */
    CHECK_EQ(blk(s2)->state, NETTCP_DONE);
    CHECK_EQ(blk(s2)->error, AE_ECONNREFUSED);
}

/* A peer segment with NOP NOP TS(tsval, tsecr), then a poll. */
static void peer_send_ts(uint16_t pport, uint32_t seq, uint32_t ack, uint8_t flags, uint32_t tsval, uint32_t tsecr,
                         const void *data, size_t len)
{
    uint8_t opts[20] = { 1, 1, 8, 10 };
    size_t n = 12;
    if (flags & 0x02) {                           /* a SYN: MSS too */
        static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
        memcpy(opts + 12, mss, 4);
        n = 16;
    }
    opts[4] = (uint8_t)(tsval >> 24), opts[5] = (uint8_t)(tsval >> 16), opts[6] = (uint8_t)(tsval >> 8);
    opts[7] = (uint8_t)tsval;
    opts[8] = (uint8_t)(tsecr >> 24), opts[9] = (uint8_t)(tsecr >> 16), opts[10] = (uint8_t)(tsecr >> 8);
    opts[11] = (uint8_t)tsecr;
    struct pkt p = pkt_default();
    p.sport = pport;
    p.dport = 80;
    p.payload = data;
    p.len = len;
    struct tcpf t = { seq, ack, flags, 65535, opts, n, false };
    net_rx(s, f, pkt_tcp(f, &p, &t), now);
    net_poll(s, now);
}

/* RFC 7323 4.3: the first segment after a passive open updates TS.Recent,
 * so PAWS then refuses an older TSval. scapy found the TCB's Last.ACK.sent
 * left at 0 until our first data or ACK: for half of all peer ISNs the
 * first segments never updated TS.Recent, an older TSval got in and our
 * TSecr echoed the SYN's. */
static void timestamps_recorded_from_the_first_segment(void)
{
    setup();
    static const struct net_grant g[] = { { 80, 80, NET_GRANT_TCP } };
    client(g, 1, 8);
    uint32_t ls;
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &ls, NULL), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, ls, 4, 8192, 8192, NET_TCP_O_NODELAY), 0);
    fake_clear_tx(dev);
    peer_send_ts(40000, 1000, 0, 0x02, 100, 0, NULL, 0);    /* ISN 1000: 1001 is "after" 0 */
    struct parsed o;
    CHECK(last_tcp(&o));
    CHECK_EQ(o.tcp_flags, 0x12);
    CHECK(o.tcp_has_ts);
    uint32_t snd = o.tcp_seq + 1, ours = o.tcp_tsval;
    peer_send_ts(40000, 1001, snd, 0x10, 100, ours, NULL, 0);
    volatile struct nettcp_sock *l = blk(ls);
    CHECK_EQ(l->rx_prod, 4);
    uint32_t c;
    memcpy(&c, (uint8_t *)cl.area + l->rx_off, 4);
    l->rx_cons = 4;
    kick(ls);
    peer_send_ts(40000, 1001, snd, 0x18, 200, ours, "new1", 4);
    uint8_t buf[16];
    CHECK_EQ(client_read(c, buf, sizeof buf), 4);
    fake_clear_tx(dev);
    peer_send_ts(40000, 1005, snd, 0x18, 150, ours, "old!", 4);   /* new data, an older TSval */
    CHECK_EQ(stats().tcp_paws, 1);
    CHECK_EQ(client_read(c, buf, sizeof buf), 0);
    CHECK(last_tcp(&o));                          /* PAWS answers with an ACK ... */
    CHECK_EQ(o.tcp_ack, 1005);
    CHECK(o.tcp_has_ts);
    CHECK_EQ(o.tcp_tsecr, 200);                   /* ... echoing the newest TSval */
}

static void closed_port_answers_rst(void)
{
    setup();
    fake_clear_tx(dev);
    peer_syn(1234, 4444, 10);
    struct parsed o;
    CHECK(last_tcp(&o) && o.tcp_flags == 0x14 && o.tcp_ack == 11);
    CHECK_EQ(stats().tcp_no_port, 1);
    fake_clear_tx(dev);
    peer_send(1234, 4444, 10, 0, 0x04, 0, NULL, 0);                       /* never a RST to a RST */
    CHECK_EQ(dev->ntx, 0);
}

/* After a restart (docs/RESTART.md, "net"): the new instance takes the
 * client's area over; its connection and its listener show DONE with
 * ECONNRESET, their buffers stay theirs until the client closes them,
 * a new connection gets other buffers, and closing frees everything. */
static void resume_shows_sockets_reset_and_frees_them_on_close(void)
{
    setup();
    static const struct net_grant g[] = { { 9000, 9000, NET_GRANT_TCP_OUT }, { 80, 80, NET_GRANT_TCP } };
    client(g, 2, 4);
    uint32_t sock, lsock;
    uint16_t lport, bound;
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 0, 0, 0, &sock, &lport), 0);
    CHECK_EQ(net_tcp_bind(s, cl.id, 80, 0, &lsock, &bound), 0);
    CHECK_EQ(net_tcp_listen(s, cl.id, lsock, 4, 0, 0, 0), 0);
    net_poll(s, now);
    uint32_t rx_off = blk(sock)->rx_off, tx_off = blk(sock)->tx_off, gen = blk(sock)->gen;
    CHECK(rx_off && tx_off);
    /* the old instance dies; the new one starts from nothing but the record */
    fake_stack_free(s, dev);
    s = fake_stack(&dev, 0);
    net_arp_add_static(s, IP_PEER, MAC_PEER);
    CHECK_EQ(net_client_restore(s, cl.id, g, 2, 4), 0);
    size_t rings = NETRING_BYTES(8);
    CHECK_EQ(net_client_resume(s, cl.id, cl.rings, rings, (uint8_t *)cl.rings + rings, rings, 8), 0);
    CHECK_EQ(net_tcp_resume(s, cl.id, cl.area, cl.bytes, 0), AE_EINVAL);
    CHECK_EQ(net_tcp_resume(s, cl.id, cl.area, cl.bytes, 16), 0);
    CHECK_EQ(blk(sock)->state, NETTCP_DONE);
    CHECK_EQ(blk(sock)->error, AE_ECONNRESET);
    CHECK_EQ(blk(sock)->flags & (NETTCP_F_RX_FIN | NETTCP_F_TX_DONE), NETTCP_F_RX_FIN | NETTCP_F_TX_DONE);
    CHECK_EQ(blk(sock)->gen, gen);                                       /* the same use of the block */
    CHECK_EQ(blk(sock)->rx_off, rx_off);                                 /* its buffers are still its own */
    CHECK_EQ(blk(lsock)->state, NETTCP_DONE);
    CHECK(cl.area->snews[0] & (1ull << sock | 1ull << lsock));
    fake_clear_tx(dev);
    blk(sock)->tx_prod += 100;                                           /* writing to a reset socket sends nothing */
    kick(sock);
    CHECK_EQ(dev->ntx, 0);
    uint32_t s2;
    CHECK_EQ(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 0, 0, 0, &s2, &lport), 0);
    CHECK(s2 != sock && s2 != lsock);
    CHECK(blk(s2)->rx_off != rx_off && blk(s2)->tx_off != tx_off && blk(s2)->rx_off != tx_off);
    blk(sock)->cflags = NETTCP_C_CLOSE;
    kick(sock);
    blk(lsock)->cflags = NETTCP_C_CLOSE;
    kick(lsock);
    CHECK_EQ(blk(sock)->state, NETTCP_FREE);
    CHECK_EQ(blk(lsock)->state, NETTCP_FREE);
    CHECK_EQ(net_client_remove(s, cl.id), 0);
    uint64_t g9[NET_TCP_GAUGES];
    net_tcp_gauges(s, g9);
    CHECK_EQ(g9[0], 0);
    CHECK_EQ(g9[9], 0);
}

static void hostile_area_changes_only_its_own_sockets(void)
{
    setup();
    uint32_t snd;
    uint32_t c = accepted(80, 40009, 800, &snd);
    for (unsigned round = 0; round < 100; round++) {
        uint32_t g = round * 0x9e3779b9u;
        for (uint32_t k = 0; k < cl.area->nsocks; k++) {
            cl.area->socks[k].rx_cons = g ^ k;
            cl.area->socks[k].tx_prod = g + k * 4096;
            cl.area->socks[k].cflags = g >> (k % 30) & ~NETTCP_C_CLOSE;
        }
        for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++)
            cl.area->cnews[w] = ~0ull;
        net_poll(s, now);
    }
    CHECK(stats().client_ring_corrupt > 0);
    blk(c)->cflags = NETTCP_C_CLOSE;
    kick(c);
    blk(0)->cflags = NETTCP_C_CLOSE;
    kick(0);
    CHECK_EQ(net_client_remove(s, cl.id), 0);
    uint64_t g9[NET_TCP_GAUGES];
    net_tcp_gauges(s, g9);
    CHECK_EQ(g9[0], 0);                                                   /* nothing of it is left */
    CHECK_EQ(g9[9], 0);
}

int main(void)
{
    RUN(bind_and_connect_need_grants);
    RUN(passive_open_data_both_ways_and_close);
    RUN(active_close_goes_through_time_wait);
    RUN(port_reuse_in_time_wait);
    RUN(rst_exact_resets_and_in_window_is_challenged);
    RUN(rst_in_every_state);
    RUN(syn_in_established_gets_challenge_ack);
    RUN(data_is_retransmitted_after_rto);
    RUN(three_duplicate_acks_retransmit_at_once);
    RUN(out_of_order_data_waits_for_the_gap);
    RUN(zero_window_is_probed_then_data_flows);
    RUN(zero_window_orphan_is_not_held_forever);
    RUN(zero_window_probes_end_when_the_peer_is_gone);
    RUN(our_window_closes_when_the_client_does_not_read);
    RUN(bad_checksum_and_window_dropped);
    RUN(syn_flood_gets_cookies_and_a_real_client_gets_in);
    RUN(syn_flood_leaves_the_owner_its_connections);
    RUN(syn_flood_leaves_the_owner_its_buffers);
    RUN(ack_older_than_any_window_is_dropped);
    RUN(answers_to_refused_segments_are_limited);
    RUN(connections_are_bounded_per_client);
    RUN(active_open_and_refused);
    RUN(closed_port_answers_rst);
    RUN(timestamps_recorded_from_the_first_segment);
    RUN(hostile_area_changes_only_its_own_sockets);
    RUN(resume_shows_sockets_reset_and_frees_them_on_close);
    if (s) {
        fake_tcp_free(&cl);
        fake_stack_free(s, dev);
    }
    return TESTS_DONE();
}
