/*
 * fuzz_tcp.c — libFuzzer target for the stack's TCP (services/net/stack/
 * tcp_*.c) under ASan and UBSan. One client listens on port 80 and has
 * connected to the peer; the input is a program of operations:
 *   0  a segment from the peer: ports, flags, options, data chosen by the
 *      input, sequence and acknowledgement numbers near the connection's
 *      own (so they often land in the window) or raw
 *   1  the client writes anything into a socket block's client line and
 *      sets news bits, then the stack polls
 *   2  time passes (up to ~70 s), timers run
 *   3  a client call (bind, listen, connect, setopt) with input arguments
 *      (connect: to the peer, to ourselves over loopback, or anywhere)
 *   4  a raw frame (bytes as given) to the stack
 * After each input: the TCB pool and every client's count agree, the
 * free pages match the buffers the live TCBs hold, and every frame the
 * stack sent is well formed (IPv4 and TCP checksums, our source).
 */
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "fuzzinput.h"

static struct net_stack *s;
static struct fake_dev *dev;
static struct fake_tcp cl;
static uint64_t now;
static uint32_t listener_sock, conn_sock;
static uint16_t conn_port;


static void setup(void)
{
    if (s) {
        fake_tcp_free(&cl);
        fake_stack_free(s, dev);
    }
    s = fake_stack(&dev, 5);
    check(net_arp_add_static(s, IP_PEER, MAC_PEER) == 0);
    static const struct net_grant g[] = { { 80, 81, NET_GRANT_TCP }, { 9000, 9001, NET_GRANT_TCP_OUT },
                                          { 80, 81, NET_GRANT_TCP_OUT } };   /* to itself, over loopback */
    check(fake_tcp_add(s, &cl, g, 3, 8, 8, 8 * 4096 + 32 * 4096) == 0);
    check(net_tcp_bind(s, cl.id, 80, 0, &listener_sock, NULL) == 0);
    check(net_tcp_listen(s, cl.id, listener_sock, 2, 4096, 8192, 0) == 0);
    check(net_tcp_connect(s, cl.id, NET_TCP_NEW, IP_PEER, 9000, 4096, 4096, 0, &conn_sock, &conn_port) == 0);
    now = 100ull * 1000000000ull;
    net_poll(s, now);
}

/* ---- operations ------------------------------------------------------------ */

static void op_segment(struct input *in)
{
    static uint8_t f[2048], data[1460], opts[40];
    struct pkt p = pkt_default();
    uint8_t which = in8(in);
    p.sport = which & 1 ? 9000 : (uint16_t)(40000 + (which >> 1) % 4);
    p.dport = which & 1 ? conn_port : (which & 2 ? 80 : in16(in));
    const struct net_tcb *t = NULL;
    for (unsigned i = 0; i < NET_TCP_MAX && !t; i++)
        if (s->tcb[i].state > TCP_LISTEN && s->tcb[i].rport == p.sport && s->tcb[i].lport == p.dport)
            t = &s->tcb[i];
    uint8_t mode = in8(in);
    struct tcpf h = { in32(in), in32(in), in8(in), in16(in), opts, 0, (mode & 0x80) != 0 };
    if (t && (mode & 1))
        h.seq = t->rcv_nxt + (int8_t)in8(in) * 97;             /* near the window */
    if (t && (mode & 2))
        h.ack = t->snd_una + (int8_t)in8(in) * 53;
    h.optlen = (size_t)(in8(in) % 11) * 4;
    for (size_t i = 0; i < h.optlen; i++)
        opts[i] = in8(in);
    p.len = in16(in) % (sizeof data + 1);
    for (size_t i = 0; i < p.len; i++)
        data[i] = (uint8_t)(i * 31);
    p.payload = data;
    size_t n = pkt_tcp(f, &p, &h);
    net_rx(s, f, n, now);
    net_poll(s, now);
}

static void op_client(struct input *in)
{
    uint32_t k = in8(in) % (cl.area->nsocks + 1);
    uint8_t what = in8(in);
    if (k < cl.area->nsocks) {
        volatile struct nettcp_sock *b = &cl.area->socks[k];
        if (what & 1)
            b->rx_cons += what & 2 ? in16(in) : in32(in);
        if (what & 4)
            b->tx_prod += what & 8 ? in16(in) : in32(in);
        if (what & 16)
            b->cflags = in8(in) & 3;
        cl.area->cnews[k / 64] |= 1ull << (k % 64);
    } else {
        for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++)
            cl.area->cnews[w] = (uint64_t)in32(in) << 32 | in32(in);
    }
    net_poll(s, now);
}

static void op_call(struct input *in)
{
    uint32_t sock = in8(in) < 200 ? in8(in) % 10 : in32(in), r;
    uint16_t port;
    switch (in8(in) % 4) {
    case 0:
        net_tcp_bind(s, cl.id, in16(in), in8(in), &r, &port);
        break;
    case 1:
        net_tcp_listen(s, cl.id, sock, in8(in), in32(in), in32(in), in8(in));
        break;
    case 2: {
        uint32_t target = in8(in) & 1 ? NET_TCP_NEW : sock;
        static const uint32_t ips[] = { IP_PEER, IP_US, 0x7f000001u };      /* the peer, ourselves (loopback) */
        uint8_t pick = in8(in);
        uint32_t ip = pick % 4 < 3 ? ips[pick % 4] : in32(in);
        net_tcp_connect(s, cl.id, target, ip, in16(in), in32(in), in32(in), in8(in), &r, &port);
        break;
    }
    default:
        net_tcp_setopt(s, cl.id, sock, in8(in) % 7, in32(in));
    }
    net_poll(s, now);
}

static void op_raw(struct input *in)
{
    static uint8_t f[2048];
    size_t n = in16(in) % sizeof f;
    for (size_t i = 0; i < n; i++)
        f[i] = in8(in);
    if (n >= 14) {
        memcpy(f, MAC_US, 6);
        memcpy(f + 6, MAC_PEER, 6);
    }
    net_rx(s, f, n, now);
    net_poll(s, now);
}

/* ---- invariants ---------------------------------------------------------------- */

static void check_pool(void)
{
    unsigned nfree = 0, owned = 0, pages = 0;
    for (int i = s->tcb_free; i >= 0; i = s->tcb[i].hnext)
        check(++nfree <= NET_TCP_MAX && s->tcb[i].state == TCP_FREE);
    for (unsigned i = 0; i < NET_TCP_MAX; i++) {
        const struct net_tcb *t = &s->tcb[i];
        if (t->state == TCP_FREE)
            continue;
        check(t->owner == (cl.id & 0xffff) + 1);
        owned++;
        pages += (t->rx_size + t->tx_size) / NETTCP_PAGE;
        check(!t->rx_size || ((t->rx_size & (t->rx_size - 1)) == 0 && t->rx_off + t->rx_size <= cl.bytes));
        check(!t->tx_size || ((t->tx_size & (t->tx_size - 1)) == 0 && t->tx_off + t->tx_size <= cl.bytes));
    }
    const struct net_client *c = &s->clients[cl.id & 0xffff];
    check(nfree + owned == NET_TCP_MAX);
    check(c->tcp_used == owned && owned <= c->tcp_conns);
    unsigned used = 0;
    for (unsigned w = 0; w < NET_TCP_AREA_PAGES / 64; w++)
        used += (unsigned)__builtin_popcountll(c->page_used[w]);
    check(used == pages);
    /* the loopback queue: within its bounds, its buffers counted right */
    unsigned big = 0;
    for (unsigned i = 0; i < s->lo_count; i++)
        big += s->lo_desc[(s->lo_head + i) % NET_LO_DESC].big;
    check(s->lo_count <= NET_LO_DESC && s->lo_big_count <= NET_LO_BIG && s->lo_small_count <= NET_LO_SMALL);
    check(big == s->lo_big_count && s->lo_count - big == s->lo_small_count);
    check(c->lo_big <= s->lo_big_count && c->lo_big <= NET_LO_BIG_PER_CLIENT);
    check(c->lo_small <= s->lo_small_count && c->lo_small <= NET_LO_SMALL_PER_CLIENT);
}

static void check_frames(void)
{
    for (unsigned i = 0; i < dev->ntx; i++) {
        struct parsed o;
        if (!parse_frame(dev->tx[i], dev->txlen[i], &o) || o.eth_type != 0x0800)
            continue;
        check(o.ip_csum_ok && o.src == IP_US);
        if (o.proto == 6)
            check(o.l4_csum_ok);
    }
    fake_clear_tx(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    struct input in = { data, size };
    for (unsigned steps = 0; in.n && steps < 200; steps++) {
        switch (in8(&in) % 5) {
        case 0: op_segment(&in); break;
        case 1: op_client(&in); break;
        case 2:
            now += (uint64_t)in16(&in) * 1000000u;
            net_poll(s, now);
            break;
        case 3: op_call(&in); break;
        default: op_raw(&in);
        }
        check_frames();
    }
    check_pool();
    return 0;
}
