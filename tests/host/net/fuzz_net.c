/*
 * fuzz_net.c — libFuzzer target for the net stack: arbitrary frames from
 * the wire and arbitrary ring contents written by hostile clients, mixed
 * with polls, timer runs, client API calls and client churn. After the
 * input, invariants are checked (port table vs grants, the ARP queue's
 * accounting, every frame the stack sent is well formed); a violation
 * aborts, which libFuzzer reports as a crash.
 *
 * Input: byte 0 picks the configuration (1: ICMP unreachable on, 2: static
 * ARP for the gateway, 4: device room 3, 8: device takes 2 per batch,
 * 16: no gateway), then records of one op byte and
 * its operands (see the switch in LLVMFuzzerTestOneInput); a record cut
 * short by the end of the input reads zeros. fuzz_seeds.c writes the seed
 * corpus in this format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "fuzzinput.h"
#include "fuzz_net.h"

#define NCLIENTS 3
#define NSLOTS   8

static struct net_stack *s;
static struct fake_dev *dev;
static struct fake_client cl[NCLIENTS];
static const struct net_grant grants[NCLIENTS][2] = {
    { { 5000, 5009, NET_GRANT_UDP }, { 0, 0, 0 } },
    { { 6000, 6009, NET_GRANT_UDP }, { 7000, 7000, NET_GRANT_UDP } },
    { { 1024, 2047, NET_GRANT_UDP }, { 0, 0, 0 } },
};
static const unsigned ngrants[NCLIENTS] = { 1, 2, 1 };


/* ---- set-up -------------------------------------------------------------- */

static void client_create(unsigned i)
{
    struct fake_client *c = &cl[i];
    check(net_client_add(s, grants[i], ngrants[i], &c->id) == 0);
    check(net_client_attach(s, c->id, c->txmem, c->size, c->rxmem, c->size, NSLOTS) == 0);
    check(netring_open(&c->tx, c->txmem, c->size) == 0);
    check(netring_open(&c->rx, c->rxmem, c->size) == 0);
}

static void setup(uint8_t flags)
{
    if (!s) {
        s = fake_stack(&dev, 0);
        for (unsigned i = 0; i < NCLIENTS; i++) {
            cl[i].size = NETRING_BYTES(NSLOTS);
            size_t sz = (cl[i].size + 63) & ~(size_t)63;
            cl[i].txmem = aligned_alloc(64, sz);
            cl[i].rxmem = aligned_alloc(64, sz);
        }
    }
    dev->ntx = dev->tx_total = dev->tx_calls = dev->nrx = dev->rx_released = 0;
    dev->room = flags & 4 ? 3 : ~0u;
    dev->accept = flags & 8 ? 2 : ~0u;
    struct net_config cfg = {
        .ip = IP_US, .netmask = 0xffffff00u, .gateway = flags & 16 ? 0 : IP_PEER,
        .unreach_per_sec = flags & 1 ? 5 : 0,
    };
    memcpy(cfg.mac, MAC_US, 6);
    struct net_hooks hooks = { 0 };
    check(net_init(s, &cfg, &fake_dev_ops, dev, &hooks) == 0);
    if (flags & 2)
        check(net_arp_add_static(s, IP_PEER, MAC_PEER) == 0);
    for (unsigned i = 0; i < NCLIENTS; i++) {
        client_create(i);
        check(net_bind(s, cl[i].id, grants[i][0].lo, NULL) == 0);
    }
}

/* ---- invariants ---------------------------------------------------------- */

static bool granted(const struct net_client *c, unsigned port)
{
    for (unsigned g = 0; g < c->ngrants; g++)
        if (port >= c->grants[g].lo && port <= c->grants[g].hi)
            return true;
    return false;
}

static void check_ports(void)
{
    unsigned count[NET_MAX_CLIENTS] = { 0 };
    for (unsigned p = 0; p < 65536; p++) {
        uint16_t o = s->port_owner[p];
        if (!o)
            continue;
        check(p != 0 && o <= NET_MAX_CLIENTS);
        const struct net_client *c = &s->clients[o - 1];
        check(c->in_use && granted(c, p));
        count[o - 1]++;
    }
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++)
        check(!s->clients[i].in_use || s->clients[i].nports == count[i]);
}

static void check_arp_queue(void)
{
    unsigned nfree = 0, queued = 0, owned[NET_MAX_CLIENTS] = { 0 };
    for (int i = s->pending_free; i >= 0; i = s->pending[i].next)
        check(++nfree <= NET_ARP_PENDING_MAX);
    for (unsigned k = 0; k < NET_ARP_CACHE_SIZE; k++) {
        const struct net_arp_entry *e = &s->arp[k];
        unsigned n = 0;
        for (int i = e->queue; i >= 0; i = s->pending[i].next) {
            check(++n <= NET_ARP_PENDING_PER_ENTRY);
            check(e->state == NET_ARP_PENDING);
            check(s->pending[i].len <= NET_FRAME_MAX);
            if (s->pending[i].owner)
                owned[s->pending[i].owner - 1]++;
        }
        check(n == e->nqueued);
        queued += n;
    }
    check(nfree + queued == NET_ARP_PENDING_MAX);
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++) {
        check(owned[i] == s->clients[i].npending);
        check(owned[i] <= NET_ARP_PENDING_PER_CLIENT);
    }
}

/* Reassembly stays inside its bounds whatever arrives. */
static void check_reasm(void)
{
    for (unsigned i = 0; i < NET_REASM_SLOTS; i++) {
        const struct net_reasm *r = &s->reasm[i];
        if (!r->used)
            continue;
        unsigned same = 0;
        for (unsigned j = 0; j < NET_REASM_SLOTS; j++)
            same += s->reasm[j].used && s->reasm[j].src == r->src;
        check(same <= NET_REASM_PER_SRC);
        check(r->end <= NET_REASM_MAX && r->have <= r->end && r->nfrags > 0);
        check(!r->total || (r->end == r->total && r->have < r->total));
        check(r->deadline <= s->now + NET_REASM_TIMEOUT_NS);
    }
}

static void check_clients(void)
{
    unsigned rings = 0;
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++)
        rings += s->clients[i].in_use && s->clients[i].has_rings;
    check(rings == s->nactive);
    check(s->ndirty == 0);
}

/* Whatever the input, what goes on the wire is well formed. */
static void check_sent_frames(void)
{
    for (unsigned i = 0; i < dev->ntx; i++) {
        struct parsed p;
        const uint8_t *f = dev->tx[i];
        check(dev->txlen[i] >= 60 && dev->txlen[i] <= NET_FRAME_MAX);
        check(parse_frame(f, dev->txlen[i], &p));
        check(!memcmp(p.eth_src, MAC_US, 6));
        if (p.eth_type == 0x0806) {
            check(p.spa == IP_US && !memcmp(p.sha, MAC_US, 6));
            check(p.arp_op == 1 || p.arp_op == 2);
            continue;
        }
        check(p.src == IP_US && p.ip_csum_ok && p.ttl == 64);
        check(p.proto == 1 || p.proto == 17);
        if (p.frag & 0x3fff) {                      /* a long datagram of a client, in pieces */
            check(p.proto == 17 && !(p.frag & 0x4000));
            check((p.frag & 0x2000) ? p.l4_len % 8 == 0 : p.l4_len > 0);
            check((size_t)(p.frag & 0x1fff) * 8 + p.l4_len <= NET_REASM_MAX);
            continue;
        }
        check(p.l4_csum_ok);
        check(p.dst != IP_US && p.dst != 0 && p.dst != IP_BCAST && (p.dst >> 28) < 0xe);
        check(!(p.eth_dst[0] & 1));                 /* IPv4 only ever goes unicast */
        if (p.proto == 17)
            check(p.sport != 0 && p.dport != 0 && p.data_len <= NET_UDP_PAYLOAD_MAX);
    }
    dev->ntx = 0;
}

/* ---- operations ---------------------------------------------------------- */

static uint16_t fuzz_csum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Redoes the checksums of a mutated IPv4 frame, so that mutations of the
 * fields behind them (TTL, addresses, ICMP type, ...) reach the code that
 * checks those fields instead of all dying at the checksum. */
static void fix_checksums(uint8_t *f, size_t len, uint8_t fix)
{
    if (len < 34 || be16(f + 12) != 0x0800)
        return;
    uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4, total = be16(ip + 2);
    if (ihl < 20 || 14 + ihl > len)
        return;
    if ((fix & 2) && total >= ihl && 14 + total <= len) {
        uint8_t *l4 = ip + ihl;
        size_t n = total - ihl;
        if (ip[9] == 1 && n >= 4) {
            l4[2] = l4[3] = 0;
            uint16_t c = fuzz_csum(0, l4, n);
            l4[2] = (uint8_t)(c >> 8);
            l4[3] = (uint8_t)c;
        } else if (ip[9] == 17 && n >= 8 && be16(l4 + 4) >= 8 && be16(l4 + 4) <= n) {
            size_t ulen = be16(l4 + 4);
            uint32_t sum = be16(ip + 12) + be16(ip + 14) + be16(ip + 16) + be16(ip + 18) + 17 +
                           (uint32_t)ulen;
            l4[6] = l4[7] = 0;
            uint16_t c = fuzz_csum(sum, l4, ulen);
            if (c == 0)
                c = 0xffff;
            l4[6] = (uint8_t)(c >> 8);
            l4[7] = (uint8_t)c;
        }
    }
    if (fix & 1) {
        ip[10] = ip[11] = 0;
        uint16_t c = fuzz_csum(0, ip, ihl);
        ip[10] = (uint8_t)(c >> 8);
        ip[11] = (uint8_t)c;
    }
}

static void op_frame(struct input *in, bool via_device)
{
    static uint8_t frame[1600];
    size_t len = in16(in) % (sizeof frame + 1);
    uint8_t fix = in8(in);
    if (len > in->n)
        len = in->n;
    memcpy(frame, in->p, len);
    in->p += len;
    in->n -= len;
    fix_checksums(frame, len, fix);
    if (!via_device) {
        uint8_t *exact = malloc(len ? len : 1);     /* exact size: ASan sees overreads */
        memcpy(exact, frame, len);
        net_rx(s, exact, len, s->now);
        free(exact);
    } else if (dev->nrx < FAKE_RX_MAX) {
        memcpy(dev->rx[dev->nrx], frame, len);
        dev->rxlen[dev->nrx++] = (uint16_t)len;
    }
}

/* A valid UDP frame to a client's port, then optionally damaged. */
static void op_udp(struct input *in)
{
    static uint8_t frame[1600];
    unsigned c = in8(in) % NCLIENTS;
    struct pkt p = pkt_default();
    p.dport = (uint16_t)(grants[c][0].lo + in8(in) % 12);
    p.len = in8(in) * 6u;
    static uint8_t payload[1536];
    p.payload = payload;
    uint8_t flags = in8(in);
    p.no_udp_csum = flags & 1;
    p.bad_udp_csum = flags & 2;
    if (flags & 4) {                               /* a piece of a fragmented datagram */
        p.len = (p.len % 185) * 8;                  /* 8 + 8k bytes of UDP: a valid MF length */
        p.frag = (uint16_t)((flags & 0x40 ? 0 : 0x2000) | (in8(in) % 8) * 185);
    }
    p.opt_words = (flags >> 4) & 3;
    if (flags & 8) {
        p.dst = IP_BCAST;
        memcpy(p.eth_dst, MAC_BCAST, 6);
    }
    size_t n = pkt_udp(frame, &p);
    unsigned flips = in8(in) % 4;
    for (unsigned k = 0; k < flips; k++)
        frame[in16(in) % n] ^= in8(in);
    net_rx(s, frame, n, s->now);
}

/* A hostile client writes a TX slot as it likes and publishes. */
static void op_tx_slot(struct input *in)
{
    struct fake_client *c = &cl[in8(in) % NCLIENTS];
    struct netring_hdr *h = c->txmem;
    struct netring_slot *slot = (struct netring_slot *)(h + 1) + in8(in) % NSLOTS;
    slot->remote_ip = in32(in);
    slot->remote_port = in16(in);
    slot->local_port = in16(in);
    slot->len = in16(in);
    memset(slot->payload, in8(in), sizeof slot->payload);
    uint8_t pub = in8(in);
    slot->flags = pub >> 7 ? NETRING_F_MORE : 0;   /* a long datagram's slot, or a broken chain */
    h->prod += pub % 4;
}

/* Any bytes anywhere in a client's shared memory, indices included. */
static void op_poke(struct input *in)
{
    struct fake_client *c = &cl[in8(in) % NCLIENTS];
    uint8_t *mem = in8(in) & 1 ? c->rxmem : c->txmem;
    size_t off = in16(in) % (c->size - 3);
    uint32_t v = in32(in);
    memcpy(mem + off, &v, 4);
}

static void op_api(struct input *in)
{
    unsigned c = in8(in) % NCLIENTS;
    uint32_t id = in8(in) & 0x80 ? in32(in) : cl[c].id;   /* sometimes a forged id */
    switch (in8(in) % 5) {
    case 0: {
        uint16_t bound;
        net_bind(s, id, in16(in), &bound);
        break;
    }
    case 1:
        net_unbind(s, id, in16(in));
        break;
    case 2: {
        static uint8_t data[1600];
        uint16_t sport = in16(in);
        uint32_t ip = in8(in) & 1 ? IP_PEER : in32(in);
        uint16_t dport = in16(in);
        net_send(s, id, sport, ip, dport, data, in16(in) % sizeof data);
        break;
    }
    case 3: {                                   /* the client drains its RX ring */
        struct netring_meta m;
        static uint8_t buf[NETRING_PAYLOAD_MAX];
        while (fake_client_recv(&cl[c], &m, buf))
            ;                                   /* pokes may have put anything there */
        break;
    }
    case 4:
        net_idle_prepare(s);
        break;
    }
}

static void op_lifecycle(struct input *in)
{
    unsigned c = in8(in) % NCLIENTS;
    switch (in8(in) % 4) {
    case 0:
        if (net_client_remove(s, cl[c].id) == 0)
            client_create(c);
        break;
    case 1:
        net_client_detach(s, cl[c].id);
        break;
    case 2:
        if (net_client_attach(s, cl[c].id, cl[c].txmem, cl[c].size, cl[c].rxmem, cl[c].size,
                              NSLOTS) == 0) {
            netring_open(&cl[c].tx, cl[c].txmem, cl[c].size);
            netring_open(&cl[c].rx, cl[c].rxmem, cl[c].size);
        }
        break;
    case 3:
        net_timers(s, s->now);
        break;
    }
}

/* Many frames or sends at once: fills the ARP cache (eviction), the
 * staging batch (flush in the middle of input), the ARP queue. */
static void op_burst(struct input *in)
{
    static uint8_t f[1600];
    static const uint8_t zero[6];
    unsigned kind = in8(in) % 3, count = in8(in) % 128;
    for (unsigned i = 0; i < count; i++) {
        uint32_t host = 0x0a000200u | (1 + i % 250);
        if (host == IP_US)
            continue;
        if (kind == 0) {
            uint8_t mac[6] = { 0x52, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
            size_t n = pkt_arp(f, MAC_BCAST, mac, 1, mac, host, zero, IP_US);
            net_rx(s, f, n, s->now);
        } else if (kind == 1) {
            struct pkt p = pkt_default();
            size_t n = pkt_icmp(f, &p, 8, 1, (uint16_t)i);
            net_rx(s, f, n, s->now);
        } else {
            net_send(s, cl[i % NCLIENTS].id, grants[i % NCLIENTS][0].lo, host, 9, f, 8);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    setup(in8(&in));
    uint64_t now = 1000000000ull;
    s->now = now;
    for (unsigned ops = 0; in.n && ops < 256; ops++) {
        switch (in8(&in) % FUZZ_NOPS) {
        case FUZZ_OP_FRAME:     op_frame(&in, false); break;
        case FUZZ_OP_DEV_FRAME: op_frame(&in, true); break;
        case FUZZ_OP_UDP:       op_udp(&in); break;
        case FUZZ_OP_TX_SLOT:   op_tx_slot(&in); break;
        case FUZZ_OP_POKE:      op_poke(&in); break;
        case FUZZ_OP_POLL:      net_poll(s, now); break;
        case FUZZ_OP_TIME:      now += (uint64_t)in16(&in) << 18; s->now = now; break;
        case FUZZ_OP_API:       op_api(&in); break;
        case FUZZ_OP_LIFE:      op_lifecycle(&in); break;
        case FUZZ_OP_BURST:     op_burst(&in); break;
        }
        net_flush(s);
        check_clients();
        if (dev->ntx > FAKE_TX_MAX / 2)
            check_sent_frames();
    }
    net_poll(s, now);
    unsigned sent = dev->tx_total;
    check_sent_frames();
    check_ports();
    check_arp_queue();
    check_clients();
    check_reasm();
    if (getenv("FUZZ_NET_VERBOSE")) {          /* to see what a seed reaches */
        for (unsigned i = 0; i < net_stat_count; i++) {
            uint64_t v = *(const uint64_t *)((const uint8_t *)&s->stats + net_stat_names[i].offset);
            if (v)
                printf("  %s=%llu", net_stat_names[i].name, (unsigned long long)v);
        }
        printf("  (device took %u frames)\n", sent);
    }
    return 0;
}
