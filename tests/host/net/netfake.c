/*
 * netfake.c — the fake NIC, frame builders and parsers, and ring clients
 * used by the net host tests and the fuzzer (see netfake.h). The checksum
 * here is written separately from the stack's so that a bug in one does
 * not hide in the other.
 */
#include <stdlib.h>
#include <string.h>
#include "netfake.h"

const uint8_t MAC_US[6]    = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t MAC_PEER[6]  = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
const uint8_t MAC_OTHER[6] = { 0x52, 0x54, 0x00, 0x99, 0x88, 0x77 };
const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- the fake device ---------------------------------------------------- */

static unsigned fake_rx_batch(void *dev, struct net_frame *frames, unsigned max)
{
    struct fake_dev *d = dev;
    unsigned n = d->nrx < max ? d->nrx : max;
    for (unsigned i = 0; i < n; i++) {
        frames[i].data = d->rx[i];
        frames[i].len = d->rxlen[i];
    }
    return n;
}

static void fake_rx_release(void *dev)
{
    struct fake_dev *d = dev;
    unsigned n = d->nrx < NET_RX_BATCH ? d->nrx : NET_RX_BATCH;
    memmove(d->rx, d->rx[n], (d->nrx - n) * sizeof d->rx[0]);
    memmove(d->rxlen, d->rxlen + n, (d->nrx - n) * sizeof d->rxlen[0]);
    d->nrx -= n;
    d->rx_released += n;
}

static unsigned fake_tx_batch(void *dev, const struct net_frame *frames, unsigned n)
{
    struct fake_dev *d = dev;
    d->tx_calls++;
    unsigned take = n < d->accept ? n : d->accept;
    for (unsigned i = 0; i < take; i++) {
        if (d->ntx < FAKE_TX_MAX) {
            memcpy(d->tx[d->ntx], frames[i].data, frames[i].len);
            d->txlen[d->ntx] = frames[i].len;
            d->ntx++;
        }
        d->tx_total++;
    }
    return take;
}

static unsigned fake_tx_room(void *dev)
{
    return ((struct fake_dev *)dev)->room;
}

const struct net_dev_ops fake_dev_ops = {
    .rx_batch = fake_rx_batch,
    .rx_release = fake_rx_release,
    .tx_batch = fake_tx_batch,
    .tx_room = fake_tx_room,
};

static void fake_wake(void *ctx, uint32_t id)
{
    struct fake_dev *d = ctx;
    d->wakes++;
    d->last_woken = id;
}

struct net_stack *fake_stack(struct fake_dev **devp, uint32_t unreach_per_sec)
{
    struct net_stack *s = calloc(1, sizeof *s);
    struct fake_dev *d = calloc(1, sizeof *d);
    if (!s || !d)
        abort();
    d->room = ~0u;
    d->accept = ~0u;
    struct net_config cfg = {
        .ip = IP_US, .netmask = 0xffffff00u, .gateway = IP_PEER,
        .unreach_per_sec = unreach_per_sec,
    };
    memcpy(cfg.mac, MAC_US, 6);
    struct net_hooks hooks = { .wake_client = fake_wake, .ctx = d };
    if (net_init(s, &cfg, &fake_dev_ops, d, &hooks) != 0)
        abort();
    *devp = d;
    return s;
}

void fake_stack_free(struct net_stack *s, struct fake_dev *dev)
{
    free(s);
    free(dev);
}

void fake_rx(struct net_stack *s, const uint8_t *f, size_t len, uint64_t now)
{
    net_rx(s, f, len, now);
    net_flush(s);
}

void fake_clear_tx(struct fake_dev *d)
{
    d->ntx = 0;
}

/* ---- building ----------------------------------------------------------- */

uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v & 0xffff);
}

/* Plain 16-bit-at-a-time one's complement sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

struct pkt pkt_default(void)
{
    struct pkt p = { 0 };
    memcpy(p.eth_dst, MAC_US, 6);
    memcpy(p.eth_src, MAC_PEER, 6);
    p.eth_type = 0x0800;
    p.src = IP_PEER;
    p.dst = IP_US;
    p.ttl = 64;
    p.proto = 17;
    p.sport = 7777;
    p.dport = 5000;
    return p;
}

/* Ethernet + IPv4 header for l4_len bytes of payload; returns the offset
 * of the payload. */
static size_t put_eth_ip(uint8_t *f, const struct pkt *p, size_t l4_len)
{
    memcpy(f, p->eth_dst, 6);
    memcpy(f + 6, p->eth_src, 6);
    wr16(f + 12, p->eth_type);
    uint8_t *ip = f + 14;
    size_t ihl = 20 + 4u * p->opt_words;
    ip[0] = (uint8_t)(0x40 | (5 + p->opt_words));
    ip[1] = 0;
    wr16(ip + 2, (uint32_t)((int)(ihl + l4_len) + p->total_adjust));
    wr16(ip + 4, 0x1234);
    wr16(ip + 6, p->frag);
    ip[8] = p->ttl;
    ip[9] = p->proto;
    wr16(ip + 10, 0);
    wr32(ip + 12, p->src);
    wr32(ip + 16, p->dst);
    memset(ip + 20, 1, ihl - 20);                /* NOP options */
    uint16_t c = fold(sum16(0, ip, ihl));
    wr16(ip + 10, p->bad_ip_csum ? (uint16_t)(c ^ 0x0101) : c);
    return 14 + ihl;
}

size_t pkt_udp(uint8_t *f, const struct pkt *p)
{
    size_t l4 = 8 + p->len;
    size_t off = put_eth_ip(f, p, l4);
    uint8_t *u = f + off;
    wr16(u, p->sport);
    wr16(u + 2, p->dport);
    wr16(u + 4, (uint32_t)((int)l4 + p->udp_len_adjust));
    wr16(u + 6, 0);
    if (p->len)
        memcpy(u + 8, p->payload, p->len);
    if (!p->no_udp_csum) {
        uint32_t sum = (p->src >> 16) + (p->src & 0xffff) + (p->dst >> 16) + (p->dst & 0xffff) +
                       17 + be16(u + 4);
        uint16_t c = fold(sum16(sum, u, l4));
        if (c == 0)
            c = 0xffff;
        wr16(u + 6, p->bad_udp_csum ? (uint16_t)(c ^ 0x8000) : c);
    }
    return off + l4;
}

size_t pkt_icmp(uint8_t *f, const struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
    size_t l4 = 8 + p->len;
    struct pkt q = *p;
    q.proto = 1;
    size_t off = put_eth_ip(f, &q, l4);
    uint8_t *m = f + off;
    m[0] = type;
    m[1] = 0;
    wr16(m + 2, 0);
    wr16(m + 4, id);
    wr16(m + 6, seq);
    if (p->len)
        memcpy(m + 8, p->payload, p->len);
    uint16_t c = fold(sum16(0, m, l4));
    wr16(m + 2, p->bad_udp_csum ? (uint16_t)(c ^ 0x0400) : c);
    return off + l4;
}

size_t pkt_tcp(uint8_t *f, const struct pkt *p, const struct tcpf *t)
{
    size_t hl = 20 + t->optlen, l4 = hl + p->len;
    struct pkt q = *p;
    q.proto = 6;
    size_t off = put_eth_ip(f, &q, l4);
    uint8_t *h = f + off;
    wr16(h, p->sport);
    wr16(h + 2, p->dport);
    wr32(h + 4, t->seq);
    wr32(h + 8, t->ack);
    h[12] = (uint8_t)((hl / 4) << 4);
    h[13] = t->flags;
    wr16(h + 14, t->win);
    wr16(h + 16, 0);
    wr16(h + 18, 0);
    if (t->optlen)
        memcpy(h + 20, t->opts, t->optlen);
    if (p->len)
        memcpy(h + hl, p->payload, p->len);
    uint32_t sum = (p->src >> 16) + (p->src & 0xffff) + (p->dst >> 16) + (p->dst & 0xffff) + 6 + (uint32_t)l4;
    uint16_t c = fold(sum16(sum, h, l4));
    wr16(h + 16, t->bad_csum ? (uint16_t)(c ^ 0x1000) : c);
    return off + l4;
}

size_t pkt_arp(uint8_t *f, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint16_t op,
               const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, eth_src, 6);
    wr16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    wr16(a, 1);
    wr16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wr16(a + 6, op);
    memcpy(a + 8, sha, 6);
    wr32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    wr32(a + 24, tpa);
    return 42;
}

/* ---- parsing ------------------------------------------------------------ */

/* The TCP header at o->l4 (checksum, ports, numbers, options, data). */
static void parse_tcp(struct parsed *o)
{
    const uint8_t *h = o->l4;
    size_t off = (size_t)(h[12] >> 4) * 4;
    if (off < 20 || off > o->l4_len)
        return;
    uint32_t sum = (o->src >> 16) + (o->src & 0xffff) + (o->dst >> 16) + (o->dst & 0xffff) + 6 +
                   (uint32_t)o->l4_len;
    o->l4_csum_ok = fold(sum16(sum, h, o->l4_len)) == 0;
    o->sport = be16(h);
    o->dport = be16(h + 2);
    o->tcp_seq = be32(h + 4);
    o->tcp_ack = be32(h + 8);
    o->tcp_flags = h[13];
    o->tcp_win = be16(h + 14);
    for (size_t i = 20; i < off;) {
        uint8_t k = h[i];
        if (k == 0)
            break;
        if (k == 1) {
            i++;
            continue;
        }
        if (i + 1 >= off || h[i + 1] < 2)
            break;
        if (k == 2 && h[i + 1] == 4) {
            o->tcp_has_mss = true;
            o->tcp_mss = be16(h + i + 2);
        } else if (k == 3 && h[i + 1] == 3) {
            o->tcp_has_ws = true;
            o->tcp_ws = h[i + 2];
        } else if (k == 8 && h[i + 1] == 10) {
            o->tcp_has_ts = true;
            o->tcp_tsval = be32(h + i + 2);
            o->tcp_tsecr = be32(h + i + 6);
        }
        i += h[i + 1];
    }
    o->data = h + off;
    o->data_len = o->l4_len - off;
}

bool parse_frame(const uint8_t *f, size_t len, struct parsed *o)
{
    memset(o, 0, sizeof *o);
    if (len < 14)
        return false;
    memcpy(o->eth_dst, f, 6);
    memcpy(o->eth_src, f + 6, 6);
    o->eth_type = be16(f + 12);
    const uint8_t *p = f + 14;
    size_t n = len - 14;
    if (o->eth_type == 0x0806) {
        if (n < 28)
            return false;
        o->arp_op = be16(p + 6);
        memcpy(o->sha, p + 8, 6);
        o->spa = be32(p + 14);
        memcpy(o->tha, p + 18, 6);
        o->tpa = be32(p + 24);
        return true;
    }
    if (o->eth_type != 0x0800 || n < 20 || (p[0] >> 4) != 4)
        return false;
    size_t ihl = (size_t)(p[0] & 15) * 4, total = be16(p + 2);
    if (ihl < 20 || total < ihl || total > n)
        return false;
    o->ip_csum_ok = fold(sum16(0, p, ihl)) == 0;
    o->ttl = p[8];
    o->proto = p[9];
    o->src = be32(p + 12);
    o->dst = be32(p + 16);
    o->l4 = p + ihl;
    o->l4_len = total - ihl;
    o->frag = be16(p + 6);
    if (o->frag & 0x3fff)
        return true;                             /* a fragment: no transport header to check alone */
    if (o->proto == 1) {
        o->l4_csum_ok = o->l4_len >= 8 && fold(sum16(0, o->l4, o->l4_len)) == 0;
    } else if (o->proto == 17 && o->l4_len >= 8) {
        size_t ulen = be16(o->l4 + 4);
        if (ulen < 8 || ulen > o->l4_len)
            return false;
        uint32_t sum = (o->src >> 16) + (o->src & 0xffff) + (o->dst >> 16) +
                       (o->dst & 0xffff) + 17 + (uint32_t)ulen;
        o->l4_csum_ok = be16(o->l4 + 6) != 0 && fold(sum16(sum, o->l4, ulen)) == 0;
        o->sport = be16(o->l4);
        o->dport = be16(o->l4 + 2);
        o->data = o->l4 + 8;
        o->data_len = ulen - 8;
    } else if (o->proto == 6 && o->l4_len >= 20) {
        parse_tcp(o);
    }
    return true;
}

/* ---- clients ------------------------------------------------------------ */

int fake_client_add(struct net_stack *s, struct fake_client *c, uint16_t lo, uint16_t hi,
                    uint32_t nslots)
{
    memset(c, 0, sizeof *c);
    struct net_grant g = { lo, hi, NET_GRANT_UDP };
    int r = net_client_add(s, &g, 1, &c->id);
    if (r || !nslots)
        return r;
    c->size = NETRING_BYTES(nslots);
    c->txmem = aligned_alloc(64, (c->size + 63) & ~(size_t)63);
    c->rxmem = aligned_alloc(64, (c->size + 63) & ~(size_t)63);
    if (!c->txmem || !c->rxmem)
        abort();
    r = net_client_attach(s, c->id, c->txmem, c->size, c->rxmem, c->size, nslots);
    if (r)
        return r;
    if (netring_open(&c->tx, c->txmem, c->size) || netring_open(&c->rx, c->rxmem, c->size))
        abort();
    return 0;
}

void fake_client_free(struct fake_client *c)
{
    free(c->txmem);
    free(c->rxmem);
    c->txmem = c->rxmem = NULL;
}

bool fake_client_send(struct fake_client *c, uint16_t sport, uint32_t ip, uint16_t dport,
                      const void *data, uint16_t len)
{
    struct netring_slot *s = netring_prod_next(&c->tx);
    if (!s)
        return false;
    s->remote_ip = ip;
    s->remote_port = dport;
    s->local_port = sport;
    s->len = len;
    s->flags = 0;
    memcpy(s->payload, data, len <= NETRING_PAYLOAD_MAX ? len : NETRING_PAYLOAD_MAX);
    netring_prod_commit(&c->tx);
    netring_prod_publish(&c->tx);
    return true;
}

bool fake_client_recv(struct fake_client *c, struct netring_meta *m, uint8_t *buf)
{
    const struct netring_slot *s = netring_cons_next(&c->rx);
    if (!s)
        return false;
    netring_read_meta(s, m);
    if (buf)
        memcpy(buf, s->payload, m->len <= NETRING_PAYLOAD_MAX ? m->len : NETRING_PAYLOAD_MAX);
    netring_cons_commit(&c->rx);
    netring_cons_publish(&c->rx);
    return true;
}

unsigned fake_client_pending(struct fake_client *c)
{
    return __atomic_load_n(&c->rx.hdr->prod, __ATOMIC_ACQUIRE) - c->rx.pos;
}

int fake_tcp_add(struct net_stack *s, struct fake_tcp *c, const struct net_grant *g, unsigned n,
                 unsigned conns, uint32_t nsocks, size_t bytes)
{
    memset(c, 0, sizeof *c);
    int r = net_client_add_tcp(s, g, n, conns, &c->id);
    if (r)
        return r;
    c->bytes = bytes;
    size_t rings = NETRING_BYTES(8);
    c->area = aligned_alloc(4096, bytes);
    c->rings = aligned_alloc(64, 2 * rings);
    if (!c->area || !c->rings)
        abort();
    memset(c->area, 0, bytes);
    r = net_client_attach(s, c->id, c->rings, rings, (uint8_t *)c->rings + rings, rings, 8);
    return r ? r : net_tcp_attach(s, c->id, c->area, bytes, nsocks);
}

void fake_tcp_free(struct fake_tcp *c)
{
    free(c->area);
    free(c->rings);
    c->area = NULL;
    c->rings = NULL;
}

uint64_t stats_drops(const struct net_stats *st)
{
    return st->eth_runt + st->eth_oversize + st->eth_not_ours + st->eth_multicast +
           st->eth_bad_src + st->eth_unknown_type + st->arp_malformed + st->arp_spoof +
           st->arp_bad_addr + st->arp_not_for_us + st->arp_unsolicited + st->ip_truncated +
           st->ip_bad_version + st->ip_bad_ihl + st->ip_bad_checksum + st->ip_bad_length +
           st->ip_frag_dropped + st->ip_ttl_zero + st->ip_bad_src + st->ip_not_ours +
           st->ip_unknown_proto + st->icmp_truncated + st->icmp_bad_checksum +
           st->icmp_broadcast + st->icmp_other + st->udp_truncated + st->udp_bad_length +
           st->udp_bad_checksum + st->udp_bad_port + st->udp_no_port + st->client_ring_full +
           st->client_no_ring;
}
