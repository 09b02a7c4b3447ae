/*
 * test_net_stack.c — host tests for the net stack's protocol rules
 * (services/net/stack/): handcrafted Ethernet, ARP, IPv4, ICMP and UDP
 * frames go in through net_rx, and what the fake NIC sends, what the
 * clients' rings receive and the counters are checked. ASan and UBSan on.
 */
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "proto.h"
#include "ktest_host.h"

#define T0  (100ull * 1000000000ull)       /* an arbitrary "now" */
#define SEC 1000000000ull

static struct net_stack *s;
static struct fake_dev *dev;
static uint8_t f[2048];

static void setup(uint32_t unreach)
{
    if (s)
        fake_stack_free(s, dev);
    s = fake_stack(&dev, unreach);
}

static struct net_stats stats(void)
{
    struct net_stats st;
    net_get_stats(s, &st);
    return st;
}

/* The peer is in our ARP cache (it asked for us), so replies go straight out. */
static void learn_peer(void)
{
    static const uint8_t zero[6];
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_US);
    fake_rx(s, f, n, T0);
    fake_clear_tx(dev);
}

/* ---- ARP ---------------------------------------------------------------- */

static void arp_request_for_us_gets_reply(void)
{
    setup(0);
    static const uint8_t zero[6];
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    struct parsed p;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &p));
    CHECK_EQ(p.eth_type, 0x0806);
    CHECK(!memcmp(p.eth_dst, MAC_PEER, 6));
    CHECK(!memcmp(p.eth_src, MAC_US, 6));
    CHECK_EQ(p.arp_op, 2);
    CHECK(!memcmp(p.sha, MAC_US, 6));
    CHECK_EQ(p.spa, IP_US);
    CHECK(!memcmp(p.tha, MAC_PEER, 6));
    CHECK_EQ(p.tpa, IP_PEER);
    CHECK(dev->txlen[0] >= 60);                   /* padded to the Ethernet minimum */
    CHECK_EQ(stats().arp_replies_tx, 1);
    uint8_t mac[6];
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), 0); /* the asker was learned */
    CHECK(!memcmp(mac, MAC_PEER, 6));
}

static void arp_request_for_other_host_ignored(void)
{
    setup(0);
    static const uint8_t zero[6];
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_PEER2);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().arp_not_for_us, 1);
    uint8_t mac[6];
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), AE_ENOENT);   /* not learned either */
}

static void arp_spoof_of_our_ip_changes_nothing(void)
{
    setup(0);
    learn_peer();
    struct net_arp_entry before[NET_ARP_CACHE_SIZE];
    memcpy(before, s->arp, sizeof before);
    static const uint8_t zero[6];
    /* a reply claiming our IP, a gratuitous request claiming it, and a
     * reply claiming our MAC for the peer's IP */
    size_t n = pkt_arp(f, MAC_US, MAC_OTHER, 2, MAC_OTHER, IP_US, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    n = pkt_arp(f, MAC_BCAST, MAC_OTHER, 1, MAC_OTHER, IP_US, zero, IP_US);
    fake_rx(s, f, n, T0);
    n = pkt_arp(f, MAC_US, MAC_OTHER, 2, MAC_US, IP_PEER, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().arp_spoof, 3);
    CHECK_EQ(dev->ntx, 0);
    CHECK(!memcmp(before, s->arp, sizeof before));
    uint8_t mac[6];
    CHECK_EQ(net_arp_lookup(s, IP_US, mac), AE_ENOENT);
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), 0);
    CHECK(!memcmp(mac, MAC_PEER, 6));
}

static void arp_bad_sender_dropped(void)
{
    setup(0);
    static const uint8_t zero[6];
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, mcast, IP_PEER, zero, IP_US);
    fake_rx(s, f, n, T0);
    n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_FAR, zero, IP_US);   /* off-subnet */
    fake_rx(s, f, n, T0);
    n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_BCAST, zero, IP_US);
    fake_rx(s, f, n, T0);
    n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, zero, IP_PEER, zero, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().arp_bad_addr, 4);
    CHECK_EQ(dev->ntx, 0);
    uint8_t mac[6];
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), AE_ENOENT);
}

static void arp_malformed_dropped(void)
{
    setup(0);
    static const uint8_t zero[6];
    size_t n = pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_US);
    uint8_t g[64];
    memcpy(g, f, n);
    g[14 + 1] = 6;                                /* hardware type 6 */
    fake_rx(s, g, n, T0);
    memcpy(g, f, n);
    g[14 + 4] = 8;                                /* hardware length 8 */
    fake_rx(s, g, n, T0);
    memcpy(g, f, n);
    g[14 + 7] = 3;                                /* RARP request */
    fake_rx(s, g, n, T0);
    fake_rx(s, f, n - 1, T0);                     /* one byte short */
    CHECK_EQ(stats().arp_malformed, 4);
    CHECK_EQ(dev->ntx, 0);
}

static void arp_unsolicited_reply_creates_nothing(void)
{
    setup(0);
    size_t n = pkt_arp(f, MAC_US, MAC_PEER, 2, MAC_PEER, IP_PEER2, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().arp_unsolicited, 1);
    uint8_t mac[6];
    CHECK_EQ(net_arp_lookup(s, IP_PEER2, mac), AE_ENOENT);
}

static void arp_reply_sends_waiting_datagrams(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER2, 53, "abc", 3), 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER2, 53, "defg", 4), 0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 1);                        /* one ARP request, no datagram yet */
    struct parsed p;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &p));
    CHECK_EQ(p.arp_op, 1);
    CHECK(!memcmp(p.eth_dst, MAC_BCAST, 6));
    CHECK_EQ(p.tpa, IP_PEER2);
    CHECK_EQ(p.spa, IP_US);
    fake_clear_tx(dev);
    size_t n = pkt_arp(f, MAC_US, MAC_OTHER, 2, MAC_OTHER, IP_PEER2, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 2);
    for (unsigned i = 0; i < dev->ntx && i < 2; i++) {
        CHECK(parse_frame(dev->tx[i], dev->txlen[i], &p));
        CHECK(!memcmp(p.eth_dst, MAC_OTHER, 6));
        CHECK_EQ(p.dst, IP_PEER2);
        CHECK_EQ(p.data_len, i == 0 ? 3 : 4);     /* in the order sent */
        CHECK(p.ip_csum_ok && p.l4_csum_ok);
    }
}

static void arp_gives_up_after_retries(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    net_timers(s, T0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER2, 53, "x", 1), 0);
    net_flush(s);
    uint64_t next = net_timers(s, T0);
    CHECK_EQ(next, T0 + NET_ARP_RETRY_NS);
    net_timers(s, T0 + SEC);
    net_timers(s, T0 + 2 * SEC);
    net_flush(s);
    CHECK_EQ(stats().arp_requests_tx, NET_ARP_TRIES);
    CHECK_EQ(stats().arp_unresolved, 0);
    next = net_timers(s, T0 + 3 * SEC);
    net_flush(s);
    CHECK_EQ(stats().arp_requests_tx, NET_ARP_TRIES);
    CHECK_EQ(stats().arp_unresolved, 1);
    CHECK_EQ(next, UINT64_MAX);                   /* nothing left to time */
    CHECK_EQ(s->clients[a.id & 0xffff].npending, 0);
}

static void arp_entry_expires(void)
{
    setup(0);
    learn_peer();
    uint8_t mac[6];
    net_timers(s, T0 + NET_ARP_TTL_NS - 1);
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), 0);
    net_timers(s, T0 + NET_ARP_TTL_NS);
    CHECK_EQ(net_arp_lookup(s, IP_PEER, mac), AE_ENOENT);
    CHECK_EQ(stats().arp_expired, 1);
}

static void arp_cache_is_bounded(void)
{
    setup(0);
    static const uint8_t zero[6];
    uint8_t mac[6] = { 0x52, 0, 0, 0, 0, 0 };
    for (unsigned i = 1; i < 250; i++) {          /* 249 hosts ask for us */
        if (i == 15)
            continue;
        mac[5] = (uint8_t)i;
        size_t n = pkt_arp(f, MAC_BCAST, mac, 1, mac, 0x0a000200u | i, zero, IP_US);
        fake_rx(s, f, n, T0);                     /* all at one instant */
    }
    unsigned used = 0;
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++)
        used += s->arp[i].state != NET_ARP_FREE;
    CHECK_EQ(used, NET_ARP_CACHE_SIZE);
    CHECK_EQ(stats().arp_cache_evict, 248 - NET_ARP_CACHE_SIZE);
    CHECK_EQ(stats().arp_replies_tx, 248);
    /* the newest 64 are in, the older ones went (order, not time, decides) */
    for (unsigned i = 1; i < 250; i++) {
        if (i == 15)
            continue;
        int want = i >= 250 - NET_ARP_CACHE_SIZE ? 0 : AE_ENOENT;
        if (net_arp_lookup(s, 0x0a000200u | i, mac) != want) {
            CHECK_EQ(i, 0);
            break;
        }
    }
}

static void arp_pending_queue_is_bounded(void)
{
    setup(0);
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    int ok = 0, again = 0;
    for (int i = 0; i < 10; i++) {                /* one host: per-entry limit */
        int r = net_send(s, a.id, 5000, IP_PEER2, 53, "x", 1);
        ok += r == 0;
        again += r == AE_EAGAIN;
    }
    CHECK_EQ(ok, NET_ARP_PENDING_PER_ENTRY);
    CHECK_EQ(again, 10 - NET_ARP_PENDING_PER_ENTRY);
    for (uint32_t h = 20; h < 30; h++)             /* many hosts: per-client limit */
        net_send(s, a.id, 5000, 0x0a000200u | h, 53, "x", 1);
    CHECK_EQ(s->clients[a.id & 0xffff].npending, NET_ARP_PENDING_PER_CLIENT);
    /* the other client still gets its share */
    CHECK_EQ(net_send(s, b.id, 6000, 0x0a000240u, 53, "y", 1), 0);
    CHECK_EQ(stats().arp_pending_full, (10 - NET_ARP_PENDING_PER_ENTRY) +
                                       (10 - (NET_ARP_PENDING_PER_CLIENT - NET_ARP_PENDING_PER_ENTRY)));
}

/* ---- ICMP --------------------------------------------------------------- */

static void check_echo_reply(size_t payload_len)
{
    uint8_t data[1472];
    for (size_t i = 0; i < payload_len; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    struct pkt p = pkt_default();
    p.payload = data;
    p.len = payload_len;
    size_t n = pkt_icmp(f, &p, 8, 0x4242, 17);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    struct parsed r;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &r));
    CHECK(!memcmp(r.eth_dst, MAC_PEER, 6));
    CHECK_EQ(r.proto, 1);
    CHECK_EQ(r.src, IP_US);
    CHECK_EQ(r.dst, IP_PEER);
    CHECK(r.ip_csum_ok);
    CHECK(r.l4_csum_ok);
    CHECK_EQ(r.l4_len, 8 + payload_len);
    CHECK_EQ(r.l4[0], 0);                         /* echo reply */
    CHECK_EQ(be16(r.l4 + 4), 0x4242);
    CHECK_EQ(be16(r.l4 + 6), 17);
    CHECK(!memcmp(r.l4 + 8, data, payload_len));
    CHECK_EQ(r.ttl, 64);
}

static void icmp_echo_gets_reply(void)
{
    setup(0);
    learn_peer();
    check_echo_reply(56);
    CHECK_EQ(stats().icmp_echo_rx, 1);
    CHECK_EQ(stats().icmp_echo_tx, 1);
}

static void icmp_echo_odd_and_full_size(void)
{
    setup(0);
    learn_peer();
    check_echo_reply(1);
    fake_clear_tx(dev);
    check_echo_reply(0);
    fake_clear_tx(dev);
    check_echo_reply(1472);                       /* a full 1500-byte packet */
}

static void icmp_echo_waits_for_arp(void)
{
    setup(0);
    struct pkt p = pkt_default();
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);                        /* we ask who the sender is */
    struct parsed r;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &r));
    CHECK_EQ(r.arp_op, 1);
    fake_clear_tx(dev);
    n = pkt_arp(f, MAC_US, MAC_PEER, 2, MAC_PEER, IP_PEER, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &r));
    CHECK_EQ(r.proto, 1);
    CHECK_EQ(r.l4[0], 0);
}

static void icmp_bad_checksum_dropped(void)
{
    setup(0);
    learn_peer();
    struct pkt p = pkt_default();
    p.bad_udp_csum = true;                        /* the ICMP checksum, here */
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().icmp_bad_checksum, 1);
}

static void icmp_echo_to_broadcast_ignored(void)
{
    setup(0);
    learn_peer();
    struct pkt p = pkt_default();
    p.dst = IP_BCAST;
    memcpy(p.eth_dst, MAC_BCAST, 6);
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    p.dst = 0xffffffffu;
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().icmp_broadcast, 2);
}

static void icmp_other_types_ignored(void)
{
    setup(0);
    learn_peer();
    struct pkt p = pkt_default();
    size_t n = pkt_icmp(f, &p, 0, 1, 1);          /* an echo reply nobody asked for */
    fake_rx(s, f, n, T0);
    n = pkt_icmp(f, &p, 13, 1, 1);                /* timestamp */
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().icmp_other, 2);
}

/* ---- UDP ---------------------------------------------------------------- */

static void udp_to_bound_port_reaches_its_owner_only(void)
{
    setup(0);
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5099, 16), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6099, 16), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    struct pkt p = pkt_default();
    p.payload = (const uint8_t *)"for a";
    p.len = 5;
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    CHECK_EQ(fake_client_pending(&b), 0);
    struct netring_meta m;
    uint8_t buf[NETRING_PAYLOAD_MAX];
    CHECK(fake_client_recv(&a, &m, buf));
    CHECK_EQ(m.len, 5);
    CHECK(!memcmp(buf, "for a", 5));
    CHECK_EQ(m.remote_ip, IP_PEER);
    CHECK_EQ(m.remote_port, 7777);
    CHECK_EQ(m.local_port, 5000);
    p.dport = 6000;
    p.payload = (const uint8_t *)"for b!";
    p.len = 6;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 0);
    CHECK_EQ(fake_client_pending(&b), 1);
    CHECK(fake_client_recv(&b, &m, buf));
    CHECK(!memcmp(buf, "for b!", 6));
    CHECK_EQ(stats().udp_delivered, 2);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void udp_unbound_port_gets_rate_limited_unreachable(void)
{
    setup(3);                                     /* policy: 3 per second */
    learn_peer();
    struct pkt p = pkt_default();
    p.dport = 4444;
    p.payload = (const uint8_t *)"0123456789";
    p.len = 10;
    size_t n = pkt_udp(f, &p);
    for (int i = 0; i < 5; i++)
        fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 3);
    CHECK_EQ(stats().udp_no_port, 5);
    CHECK_EQ(stats().icmp_unreach_tx, 3);
    CHECK_EQ(stats().icmp_unreach_limited, 2);
    struct parsed r;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &r));
    CHECK_EQ(r.proto, 1);
    CHECK_EQ(r.dst, IP_PEER);
    CHECK(r.ip_csum_ok && r.l4_csum_ok);
    CHECK_EQ(r.l4[0], 3);                         /* destination unreachable */
    CHECK_EQ(r.l4[1], 3);                         /* port unreachable */
    CHECK_EQ(r.l4_len, 8 + 20 + 8);               /* quotes IP header + 8 bytes */
    CHECK(!memcmp(r.l4 + 8, f + 14, 28));
    fake_clear_tx(dev);
    fake_rx(s, f, n, T0 + SEC / 3 + 1);           /* one token back after 1/3 s */
    fake_rx(s, f, n, T0 + SEC / 3 + 1);
    CHECK_EQ(dev->ntx, 1);
    fake_clear_tx(dev);
    for (int i = 0; i < 5; i++)
        fake_rx(s, f, n, T0 + 10 * SEC);          /* a full bucket, no more */
    CHECK_EQ(dev->ntx, 3);
}

static void udp_unbound_port_silent_when_policy_is_drop(void)
{
    setup(0);
    learn_peer();
    struct pkt p = pkt_default();
    p.dport = 4444;
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().udp_no_port, 1);
    CHECK_EQ(stats().icmp_unreach_tx + stats().icmp_unreach_limited, 0);
}

static void udp_unbound_broadcast_gets_no_icmp(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    p.dport = 4444;
    p.dst = IP_BCAST;
    memcpy(p.eth_dst, MAC_BCAST, 6);
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().udp_no_port, 1);
}

static void udp_broadcast_reaches_the_port_owner(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    memcpy(p.eth_dst, MAC_BCAST, 6);
    p.dst = 0xffffffffu;
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    p.dst = IP_BCAST;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 2);
    fake_client_free(&a);
}

/* Our own address in a frame sent to the Ethernet broadcast (found with
 * scapy, tools/netfuzz.py): taken as a broadcast. No port unreachable
 * (RFC 1122 3.2.2: never for a link-layer broadcast), no echo reply, no
 * RST; a bound port still gets its datagram. */
static void link_broadcast_to_our_address_is_never_answered(void)
{
    setup(100);
    learn_peer();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    memcpy(p.eth_dst, MAC_BCAST, 6);
    p.dport = 4444;                                /* nobody's: no unreachable */
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    n = pkt_icmp(f, &p, 8, 1, 1);                  /* echo request: no reply */
    fake_rx(s, f, n, T0);
    struct tcpf t = { .seq = 1000, .flags = 0x02, .win = 8192 };
    n = pkt_tcp(f, &p, &t);                        /* SYN to a closed port: no RST */
    fake_rx(s, f, n, T0);
    p.dport = 5000;                                /* the bound port: delivered */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().ip_link_bcast, 4);
    CHECK_EQ(stats().udp_no_port, 1);
    CHECK_EQ(stats().icmp_broadcast, 1);
    CHECK_EQ(stats().tcp_rst_tx, 0);
    CHECK_EQ(fake_client_pending(&a), 1);
    /* the same datagram to our MAC is answered as before */
    memcpy(p.eth_dst, MAC_US, 6);
    p.dport = 4444;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    net_flush(s);
    CHECK_EQ(stats().icmp_unreach_tx, 1);
    CHECK_EQ(stats().ip_link_bcast, 4);
    fake_client_free(&a);
}

static void udp_bad_checksum_dropped_zero_accepted(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    p.payload = (const uint8_t *)"hello";
    p.len = 5;
    p.bad_udp_csum = true;
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().udp_bad_checksum, 1);
    CHECK_EQ(fake_client_pending(&a), 0);
    p.bad_udp_csum = false;
    p.no_udp_csum = true;                         /* checksum 0: none computed */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    fake_client_free(&a);
}

static void udp_bad_length_dropped(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    p.payload = (const uint8_t *)"hello";
    p.len = 5;
    p.no_udp_csum = true;
    p.udp_len_adjust = 1;                         /* longer than the IP payload */
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    p.udp_len_adjust = -6;                        /* shorter than a UDP header */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().udp_bad_length, 2);
    p.udp_len_adjust = -2;                        /* shorter than the IP payload: trimmed */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    struct netring_meta m;
    uint8_t buf[64];
    CHECK(fake_client_recv(&a, &m, buf));
    CHECK_EQ(m.len, 3);
    p.dport = 0;
    p.udp_len_adjust = 0;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().udp_bad_port, 1);
    fake_client_free(&a);
}

/* ---- IPv4 --------------------------------------------------------------- */

static void ip_bad_header_checksum_dropped(void)
{
    setup(100);
    struct pkt p = pkt_default();
    p.bad_ip_csum = true;
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_bad_checksum, 1);
    CHECK_EQ(stats().udp_no_port, 0);
    CHECK_EQ(dev->ntx, 0);
}

/* Every prefix of a valid frame is dropped and counted exactly once. */
static void truncate_all(const uint8_t *frame, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        uint8_t *g = malloc(k ? k : 1);           /* exact size: ASan sees overreads */
        memcpy(g, frame, k);
        uint64_t before = stats_drops(&s->stats);
        fake_rx(s, g, k, T0);
        free(g);
        if (stats_drops(&s->stats) != before + 1) {
            CHECK_EQ(k, ~0ull);                    /* report the failing length */
            return;
        }
    }
}

static void ip_truncated_frames_at_every_length(void)
{
    setup(100);
    learn_peer();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    uint8_t data[100];
    memset(data, 0xab, sizeof data);
    struct pkt p = pkt_default();
    p.payload = data;
    p.len = sizeof data;
    uint8_t frame[2048];
    size_t n = pkt_udp(frame, &p);
    truncate_all(frame, n);
    n = pkt_icmp(frame, &p, 8, 1, 2);
    truncate_all(frame, n);
    p.opt_words = 3;
    n = pkt_udp(frame, &p);
    truncate_all(frame, n);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(fake_client_pending(&a), 0);
    /* and the whole frame still works */
    fake_rx(s, frame, n, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    fake_client_free(&a);
}

static void ip_wrong_total_length_dropped(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 4), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    p.payload = (const uint8_t *)"0123456789";
    p.len = 10;
    p.total_adjust = 1;                           /* claims a byte the frame lacks */
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    p.total_adjust = -(int)(20 + 8 + 10) + 19;    /* shorter than the header */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_bad_length, 2);
    p.total_adjust = 0;                           /* Ethernet padding after it: fine */
    n = pkt_udp(f, &p);
    memset(f + n, 0, 20);
    fake_rx(s, f, n + 20, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    fake_client_free(&a);
}

/* ---- IPv4 fragments ------------------------------------------------------- */

static uint16_t csum16(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* A whole UDP datagram from src (peer port 7777 -> 5000) with len bytes
 * of pattern `seed`, built into big[] (an IP packet after 14 bytes of
 * Ethernet); returns the IP payload length (UDP header + data). */
static uint8_t big[14 + 20 + 8 + NET_UDP_DGRAM_MAX + 64];
static uint8_t bigdata[NET_UDP_DGRAM_MAX + 64];
static size_t whole_dgram(uint32_t src, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        bigdata[i] = (uint8_t)(i * 13 + seed);
    struct pkt p = pkt_default();
    p.src = src;
    p.payload = bigdata;
    p.len = len;
    pkt_udp(big, &p);
    return 8 + len;
}

/* Feeds the fragment [off, off+n) of big's payload, with id and MF. */
static void frag_rx(uint16_t id, size_t off, size_t n, bool more, uint64_t now)
{
    static uint8_t fr[2048];
    memcpy(fr, big, 14 + 20);
    uint8_t *ip = fr + 14;
    ip[2] = (uint8_t)((20 + n) >> 8);
    ip[3] = (uint8_t)(20 + n);
    ip[4] = (uint8_t)(id >> 8);
    ip[5] = (uint8_t)id;
    uint16_t ff = (uint16_t)((more ? 0x2000 : 0) | off / 8);
    ip[6] = (uint8_t)(ff >> 8);
    ip[7] = (uint8_t)ff;
    ip[10] = ip[11] = 0;
    uint16_t c = csum16(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    memcpy(ip + 20, big + 14 + 20 + off, n);
    fake_rx(s, fr, 14 + 20 + n, now);
}

/* Takes one datagram, however many slots it spans, off a's RX ring. */
static size_t recv_long(struct fake_client *a, uint8_t *out, unsigned *nslots)
{
    size_t len = 0;
    *nslots = 0;
    for (;;) {
        const struct netring_slot *sl = netring_cons_next(&a->rx);
        if (!sl)
            return *nslots ? (size_t)-1 : 0;
        struct netring_meta m;
        netring_read_meta(sl, &m);
        memcpy(out + len, sl->payload, m.len);
        len += m.len;
        ++*nslots;
        netring_cons_commit(&a->rx);
        netring_cons_publish(&a->rx);
        if (!(m.flags & NETRING_F_MORE))
            return len;
    }
}

static struct fake_client frag_client(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 16), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    return a;
}

static void ip_fragments_in_order_are_reassembled(void)
{
    struct fake_client a = frag_client();
    size_t n = whole_dgram(IP_PEER, 3000, 1);      /* 3008 bytes: 1480 + 1480 + 48 */
    frag_rx(7, 0, 1480, true, T0);
    frag_rx(7, 1480, 1480, true, T0);
    CHECK_EQ(fake_client_pending(&a), 0);
    frag_rx(7, 2960, n - 2960, false, T0);
    static uint8_t got[NET_UDP_DGRAM_MAX];
    unsigned k;
    CHECK_EQ(recv_long(&a, got, &k), 3000);
    CHECK_EQ(k, 3);                                /* 1472 + 1472 + 56 */
    CHECK(!memcmp(got, bigdata, 3000));
    CHECK_EQ(stats().ip_fragment, 3);
    CHECK_EQ(stats().ip_reasm_ok, 1);
    CHECK_EQ(stats().ip_frag_dropped, 0);
    CHECK_EQ(stats().udp_delivered, 1);
    fake_client_free(&a);
}

static void ip_fragments_out_of_order_and_duplicated(void)
{
    struct fake_client a = frag_client();
    size_t n = whole_dgram(IP_PEER, 5000, 2);
    /* 8-byte-aligned pieces of different sizes, last first, one twice */
    frag_rx(9, 4000, n - 4000, false, T0);
    frag_rx(9, 2800, 1200, true, T0);
    frag_rx(9, 1600, 1200, true, T0);
    frag_rx(9, 0, 800, true, T0);
    frag_rx(9, 0, 800, true, T0);                  /* exact duplicate: ignored */
    frag_rx(9, 800, 800, true, T0);
    CHECK_EQ(stats().ip_frag_dropped, 1);
    static uint8_t got[NET_UDP_DGRAM_MAX];
    unsigned k;
    CHECK_EQ(recv_long(&a, got, &k), 5000);
    CHECK(!memcmp(got, bigdata, 5000));
    CHECK_EQ(stats().ip_reasm_ok, 1);
    frag_rx(9, 0, 800, true, T0);                  /* a late copy starts a new one, never completes */
    CHECK_EQ(fake_client_pending(&a), 0);
    fake_client_free(&a);
}

/* Only UDP is put back together: an 8 KiB ping in fragments once reached
 * icmp_input whole and its reply overran the transmit slot (and, with
 * the peer unresolved, the ARP queue's free list). Now it is dropped at
 * reassembly, nothing is sent, and a normal ping still gets its reply. */
static void ip_fragmented_non_udp_is_not_reassembled(void)
{
    setup(0);
    learn_peer();
    size_t n = whole_dgram(IP_PEER, 8000, 3);
    big[14 + 9] = 1;                               /* ICMP */
    big[14 + 20] = 8;                              /* an echo request */
    big[14 + 21] = 0;
    fake_clear_tx(dev);
    for (size_t off = 0; off < n; off += 1480)
        frag_rx(11, off, n - off < 1480 ? n - off : 1480, n - off > 1480, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().ip_reasm_ok, 0);
    CHECK(stats().ip_reasm_bad >= 6);
    CHECK_EQ(stats().icmp_echo_rx, 0);
    CHECK_EQ(stats().tx_oversize, 0);
    check_echo_reply(56);                          /* the stack is whole */
}

static void ip_overlapping_fragments_drop_the_datagram(void)
{
    struct fake_client a = frag_client();
    size_t n = whole_dgram(IP_PEER, 3000, 3);
    frag_rx(11, 0, 1480, true, T0);
    frag_rx(11, 1472, 1480, true, T0);            /* overlaps the first by one block */
    CHECK_EQ(stats().ip_reasm_overlap, 1);
    CHECK_EQ(stats().ip_frag_dropped, 2);          /* the held one and this one */
    frag_rx(11, 2952, n - 2952, false, T0);       /* starts afresh, incomplete */
    CHECK_EQ(fake_client_pending(&a), 0);
    /* inconsistent ends */
    frag_rx(12, 2960, n - 2960, false, T0);
    frag_rx(12, 2960, 96, false, T0);              /* a second, different end */
    CHECK_EQ(stats().ip_reasm_bad, 1);
    frag_rx(13, 0, 1480, true, T0);
    frag_rx(13, 800, 80, false, T0);               /* ends inside data already seen */
    CHECK_EQ(stats().ip_reasm_bad, 2);
    frag_rx(14, 0, 1476, true, T0);                /* MF but not a multiple of 8 */
    CHECK_EQ(stats().ip_reasm_bad, 3);
    frag_rx(15, NET_REASM_MAX - 8, 16, false, T0); /* past the largest datagram we take */
    CHECK_EQ(stats().ip_reasm_bad, 4);
    CHECK_EQ(fake_client_pending(&a), 0);
    CHECK_EQ(stats().ip_reasm_ok, 0);
    /* the whole set under a fresh id still works */
    frag_rx(16, 0, 1480, true, T0);
    frag_rx(16, 1480, 1480, true, T0);
    frag_rx(16, 2960, n - 2960, false, T0);
    static uint8_t got[NET_UDP_DGRAM_MAX];
    unsigned k;
    CHECK_EQ(recv_long(&a, got, &k), 3000);
    CHECK(!memcmp(got, bigdata, 3000));
    fake_client_free(&a);
}

static void ip_reassembly_times_out(void)
{
    struct fake_client a = frag_client();
    size_t n = whole_dgram(IP_PEER, 3000, 4);
    frag_rx(21, 0, 1480, true, T0);
    frag_rx(21, 1480, 1480, true, T0);
    CHECK_EQ(net_timers(s, T0 + SEC) <= T0 + NET_REASM_TIMEOUT_NS, true);
    net_timers(s, T0 + NET_REASM_TIMEOUT_NS);
    CHECK_EQ(stats().ip_reasm_timeout, 1);
    CHECK_EQ(stats().ip_frag_dropped, 2);
    CHECK_EQ(net_timers(s, T0 + NET_REASM_TIMEOUT_NS + SEC), UINT64_MAX);
    frag_rx(21, 2960, n - 2960, false, T0 + NET_REASM_TIMEOUT_NS + SEC);
    CHECK_EQ(fake_client_pending(&a), 0);          /* its first two pieces are gone */
    fake_client_free(&a);
}

static void ip_reassembly_memory_is_bounded(void)
{
    struct fake_client a = frag_client();
    whole_dgram(IP_PEER, 3000, 5);
    /* one source starts many datagrams: it keeps NET_REASM_PER_SRC */
    for (uint16_t id = 100; id < 120; id++)
        frag_rx(id, 0, 1480, true, T0 + id);
    unsigned used = 0;
    for (unsigned i = 0; i < NET_REASM_SLOTS; i++)
        used += s->reasm[i].used;
    CHECK_EQ(used, NET_REASM_PER_SRC);
    CHECK_EQ(stats().ip_reasm_evicted, 20 - NET_REASM_PER_SRC);
    /* many sources: never more than NET_REASM_SLOTS, the oldest go first */
    for (uint32_t h = 20; h < 60; h++) {
        whole_dgram(0x0a000200u + h, 3000, 5);
        frag_rx(1, 0, 1480, true, T0 + 1000 + h);
    }
    used = 0;
    for (unsigned i = 0; i < NET_REASM_SLOTS; i++)
        used += s->reasm[i].used && (s->reasm[i].src & 0xff) >= 60 - NET_REASM_SLOTS;
    CHECK_EQ(used, NET_REASM_SLOTS);               /* the newest eight, nothing else */
    /* and a datagram sent whole in the middle of it all still completes */
    size_t n = whole_dgram(IP_PEER2, 3000, 6);
    frag_rx(77, 0, 1480, true, T0 + 2000);
    frag_rx(77, 1480, 1480, true, T0 + 2000);
    frag_rx(77, 2960, n - 2960, false, T0 + 2000);
    static uint8_t got[NET_UDP_DGRAM_MAX];
    unsigned k;
    CHECK_EQ(recv_long(&a, got, &k), 3000);
    CHECK(!memcmp(got, bigdata, 3000));
    fake_client_free(&a);
}

/* A client's 3000-byte datagram leaves in fragments under one id, which
 * put back together carry the datagram with a correct UDP checksum. */
static void ip_long_datagrams_leave_in_fragments(void)
{
    setup(0);
    learn_peer();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 16), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    static uint8_t data[NET_UDP_DGRAM_MAX + 1];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, data, NET_UDP_DGRAM_MAX + 1), AE_EMSGSIZE);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, data, 3000), 0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 3);
    static uint8_t whole[NET_UDP_DGRAM_MAX + 8];
    size_t got = 0;
    uint16_t id = be16(dev->tx[0] + 14 + 4);
    for (unsigned i = 0; i < dev->ntx; i++) {
        const uint8_t *ip = dev->tx[i] + 14;
        size_t tot = be16(ip + 2);
        uint16_t ff = be16(ip + 6);
        CHECK_EQ(csum16(ip, 20), 0);
        CHECK_EQ(be16(ip + 4), id);
        CHECK_EQ((size_t)(ff & 0x1fff) * 8, got);
        CHECK_EQ(!!(ff & 0x2000), i + 1 < dev->ntx);
        CHECK(14 + tot <= NET_FRAME_MAX);
        memcpy(whole + got, ip + 20, tot - 20);
        got += tot - 20;
    }
    CHECK_EQ(got, 3008);
    CHECK_EQ(be16(whole + 4), 3008);
    CHECK(!memcmp(whole + 8, data, 3000));
    /* the UDP checksum over the pseudo-header and the whole datagram */
    static uint8_t ph[12 + sizeof whole];
    ph[0] = 0x0a; ph[1] = 0; ph[2] = 2; ph[3] = 15;
    ph[4] = 0x0a; ph[5] = 0; ph[6] = 2; ph[7] = 2;
    ph[8] = 0; ph[9] = 17; ph[10] = (uint8_t)(3008 >> 8); ph[11] = (uint8_t)3008;
    memcpy(ph + 12, whole, 3008);
    CHECK_EQ(csum16(ph, 12 + 3008), 0);
    CHECK_EQ(stats().ip_frag_tx, 3);
    fake_client_free(&a);
}

/* The same through the client's TX ring: one datagram in several slots. */
static bool send_long(struct fake_client *a, uint32_t ip, const uint8_t *data, size_t len, bool break_it)
{
    size_t nsl = (len + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX;
    if (!netring_prod_peek(&a->tx, (uint32_t)nsl - 1))
        return false;
    for (size_t k = 0; k < nsl; k++) {
        struct netring_slot *sl = netring_prod_next(&a->tx);
        size_t n = len - k * NETRING_PAYLOAD_MAX < NETRING_PAYLOAD_MAX ? len - k * NETRING_PAYLOAD_MAX
                                                                       : NETRING_PAYLOAD_MAX;
        sl->remote_ip = ip;
        sl->remote_port = 53;
        sl->local_port = 5000;
        sl->len = (uint16_t)n;
        sl->flags = k + 1 < nsl || break_it ? NETRING_F_MORE : 0;
        sl->reserved = 0;
        memcpy(sl->payload, data + k * NETRING_PAYLOAD_MAX, n);
        netring_prod_commit(&a->tx);
    }
    netring_prod_publish(&a->tx);
    return true;
}

static void ip_long_datagrams_from_the_ring(void)
{
    setup(0);
    learn_peer();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 16), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    static uint8_t data[NET_UDP_DGRAM_MAX];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 5 + 3);
    CHECK(send_long(&a, IP_PEER, data, NET_UDP_DGRAM_MAX, false));
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 6);                         /* 8200 bytes in 1480-byte pieces */
    CHECK_EQ(stats().ip_frag_tx, 6);
    CHECK_EQ(stats().client_tx_invalid, 0);
    fake_clear_tx(dev);
    /* a chain whose last slot says MORE: nothing sent, all of it taken */
    CHECK(send_long(&a, IP_PEER, data, 3000, true));
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().client_tx_invalid, 1);
    /* a short slot in the middle, a changed address in the middle */
    CHECK(send_long(&a, IP_PEER, data, 3000, false));
    a.tx.slots[(a.tx.pos - 2) & a.tx.mask].len = 100;
    netring_prod_publish(&a.tx);
    CHECK(send_long(&a, IP_PEER, data, 3000, false));
    a.tx.slots[(a.tx.pos - 1) & a.tx.mask].remote_ip = IP_PEER2;
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().client_tx_invalid, 3);
    /* a single slot claiming more than a slot holds */
    CHECK(send_long(&a, IP_PEER, data, 100, false));
    a.tx.slots[(a.tx.pos - 1) & a.tx.mask].len = 3000;
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().client_tx_invalid, 4);
    /* and the ring still carries good ones */
    CHECK(send_long(&a, IP_PEER, data, 3000, false));
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 3);
    fake_client_free(&a);
}

/* A long datagram to a client whose ring lacks the room is dropped whole. */
static void ip_long_datagram_needs_room_for_all_its_slots(void)
{
    setup(0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 2), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    size_t n = whole_dgram(IP_PEER, 3000, 8);      /* 3 slots; the ring has 2 */
    frag_rx(31, 0, 1480, true, T0);
    frag_rx(31, 1480, 1480, true, T0);
    frag_rx(31, 2960, n - 2960, false, T0);
    CHECK_EQ(stats().ip_reasm_ok, 1);
    CHECK_EQ(stats().client_ring_full, 1);
    CHECK_EQ(fake_client_pending(&a), 0);
    fake_client_free(&a);
}

static void ip_ttl_zero_dropped(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    p.ttl = 0;
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_ttl_zero, 1);
    CHECK_EQ(dev->ntx, 0);
    p.ttl = 1;                                    /* last hop: still ours */
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
}

static void ip_options_tolerated(void)
{
    setup(0);
    learn_peer();
    struct pkt p = pkt_default();
    p.opt_words = 10;                             /* the maximum: IHL 15 */
    p.len = 4;
    p.payload = (const uint8_t *)"ping";
    size_t n = pkt_icmp(f, &p, 8, 9, 9);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    struct parsed r;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &r));
    CHECK_EQ(r.l4_len, 12);                       /* reply without the options */
    CHECK(r.ip_csum_ok && r.l4_csum_ok);
}

static void ip_bad_version_and_ihl_dropped(void)
{
    setup(100);
    struct pkt p = pkt_default();
    size_t n = pkt_udp(f, &p);
    f[14] = 0x65;                                 /* version 6 */
    fake_rx(s, f, n, T0);
    n = pkt_udp(f, &p);
    f[14] = 0x44;                                 /* IHL 4 */
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_bad_version, 1);
    CHECK_EQ(stats().ip_bad_ihl, 1);
    CHECK_EQ(dev->ntx, 0);
}

static void ip_bad_source_dropped(void)
{
    setup(100);
    learn_peer();
    uint32_t bad[] = { 0, IP_US, IP_BCAST, 0xffffffffu, 0xe0000001u, 0x7f000001u, 0xf0000001u };
    struct pkt p = pkt_default();
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.src = bad[i];
        size_t n = pkt_icmp(f, &p, 8, 1, 1);
        fake_rx(s, f, n, T0);
    }
    CHECK_EQ(stats().ip_bad_src, sizeof bad / sizeof bad[0]);
    CHECK_EQ(dev->ntx, 0);
}

static void ip_not_ours_dropped(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    p.dst = IP_PEER2;
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    p.dst = 0xe0000001u;                          /* multicast: no group joined */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    p.dst = IP_US;
    p.proto = 132;                                /* SCTP */
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_not_ours, 2);
    CHECK_EQ(stats().ip_unknown_proto, 1);
    CHECK_EQ(dev->ntx, 0);
}

static void icmp_and_udp_shorter_than_header_dropped(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    p.total_adjust = -5;                          /* IP says 3 bytes of ICMP */
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    n = pkt_udp(f, &p);                           /* and 3 bytes of UDP */
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().icmp_truncated, 1);
    CHECK_EQ(stats().udp_truncated, 1);
    CHECK_EQ(dev->ntx, 0);
}

static void no_gateway_means_no_route(void)
{
    setup(0);
    struct net_config c = s->cfg;
    c.gateway = 0;
    struct fake_dev *d2 = dev;
    CHECK_EQ(net_init(s, &c, &fake_dev_ops, d2, NULL), 0);
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_FAR, 53, "x", 1), AE_EADDRNOTAVAIL);
    struct pkt p = pkt_default();                 /* a ping from afar, via some router */
    p.src = IP_FAR;
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().ip_no_route, 2);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, "x", 1), 0);   /* neighbours still work */
}

/* ---- Ethernet ----------------------------------------------------------- */

static void eth_filters_destination_and_source(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    memcpy(p.eth_dst, mcast, 6);
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    memcpy(p.eth_dst, MAC_OTHER, 6);
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    memcpy(p.eth_dst, MAC_US, 6);
    memcpy(p.eth_src, mcast, 6);
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    memcpy(p.eth_src, MAC_US, 6);                 /* our own frame looped back */
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().eth_multicast, 1);
    CHECK_EQ(stats().eth_not_ours, 1);
    CHECK_EQ(stats().eth_bad_src, 2);
    CHECK_EQ(dev->ntx, 0);
}

/* csum_add sums eight bytes per step in native order: it must equal the
 * plain RFC 1071 sum of big-endian 16-bit words at every length and
 * alignment, with an incoming partial sum, and when chained at even
 * offsets as the stack does (pseudo-header, header, payload). */
static uint32_t csum_reference(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}

static void csum_matches_reference_at_every_length_and_alignment(void)
{
    static uint8_t buf[1600];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (int fill = 0; fill < 3; fill++) {            /* random, all-ones (carries), zeros */
        if (fill == 1)
            memset(buf + 800, 0xff, 800);
        if (fill == 2)
            memset(buf, 0, 800);
        for (size_t off = 0; off < 8; off++)
            for (size_t len = 0; len <= 1500; len += (len < 80 ? 1 : 37)) {
                uint32_t in = (uint32_t)(len * 7919u) & 0x1ffff;
                CHECK_EQ(csum_fold(csum_add(in, buf + off, len)),
                         csum_fold(csum_reference(in, buf + off, len)));
                size_t half = (len / 2) & ~(size_t)1;
                uint32_t chained = csum_add(csum_add(in, buf + off, half), buf + off + half, len - half);
                CHECK_EQ(csum_fold(chained), csum_fold(csum_reference(in, buf + off, len)));
            }
    }
}

/* csum_copy (the UDP send path's copy and checksum in one pass) copies
 * exactly len bytes, touches nothing past them, and sums what it stored,
 * at every length, source and destination alignment, chained after a
 * header as udp_output does. */
static void csum_copy_copies_and_matches_csum_add(void)
{
    static uint8_t src[1600], dst[1616];
    uint32_t x = 777;
    for (size_t i = 0; i < sizeof src; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (uint8_t)(x >> 16);
    }
    memset(src + 1000, 0xff, 600);                    /* carries */
    for (size_t soff = 0; soff < 8; soff++)
        for (size_t doff = 0; doff < 8; doff++)
            for (size_t len = 0; len <= 1500; len += (len < 40 ? 1 : 53)) {
                memset(dst, 0xa5, sizeof dst);
                uint32_t in = (uint32_t)(len * 31u + soff) & 0x1ffff;
                uint32_t got = csum_copy(in, dst + doff, src + soff, len);
                CHECK(!memcmp(dst + doff, src + soff, len));
                CHECK(dst[doff + len] == 0xa5 && (doff == 0 || dst[doff - 1] == 0xa5));
                CHECK_EQ(csum_fold(got), csum_fold(csum_add(in, src + soff, len)));
                CHECK_EQ(csum_fold(csum_add(csum_add(in, src + soff, 8), dst + doff, len)),
                         csum_fold(csum_copy(csum_add(in, src + soff, 8), dst + doff, src + soff, len)));
            }
}

static void eth_runt_oversize_and_unknown_type(void)
{
    setup(100);
    learn_peer();
    struct pkt p = pkt_default();
    size_t n = pkt_icmp(f, &p, 8, 1, 1);
    fake_rx(s, f, 13, T0);
    fake_rx(s, f, NET_FRAME_MAX + 1, T0);
    f[12] = 0x86;                                 /* IPv6 */
    f[13] = 0xdd;
    fake_rx(s, f, n, T0);
    f[12] = 0x81;                                 /* a VLAN tag */
    f[13] = 0x00;
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().eth_runt, 1);
    CHECK_EQ(stats().eth_oversize, 1);
    CHECK_EQ(stats().eth_unknown_type, 2);
    CHECK_EQ(dev->ntx, 0);
}

/* ---- floods and recovery ------------------------------------------------ */

static void flood_fills_client_queue_then_stack_recovers(void)
{
    setup(0);
    learn_peer();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    struct pkt p = pkt_default();
    p.payload = (const uint8_t *)"flood";
    p.len = 5;
    size_t n = pkt_udp(f, &p);
    for (int i = 0; i < 1000; i++)
        net_rx(s, f, n, T0);
    net_flush(s);
    CHECK_EQ(fake_client_pending(&a), 8);
    CHECK_EQ(stats().client_ring_full, 992);
    struct net_client_stats cs;
    CHECK_EQ(net_client_stats(s, a.id, &cs), 0);
    CHECK_EQ(cs.rx_dropped, 992);
    CHECK_EQ(cs.rx_delivered, 8);
    /* the neighbour is unaffected */
    p.dport = 6000;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&b), 1);
    /* echo still answered */
    struct pkt q = pkt_default();
    n = pkt_icmp(f, &q, 8, 5, 5);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    /* the flooded client drains and receives again */
    struct netring_meta m;
    while (fake_client_recv(&a, &m, NULL))
        ;
    p.dport = 5000;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void arp_flood_of_requests_keeps_answering(void)
{
    setup(0);
    static const uint8_t zero[6];
    uint8_t mac[6] = { 0x52, 1, 2, 3, 4, 0 };
    for (unsigned i = 0; i < 5000; i++) {
        mac[5] = (uint8_t)i;
        mac[4] = (uint8_t)(i >> 8);
        size_t n = pkt_arp(f, MAC_BCAST, mac, 1, mac, 0x0a000200u | (1 + i % 200), zero, IP_US);
        if ((i % 200) + 1 == 15)
            continue;
        net_rx(s, f, n, T0 + i);
    }
    net_flush(s);
    CHECK_EQ(stats().arp_replies_tx, stats().arp_requests_rx);
    CHECK_EQ(stats().tx_dev_full, 0);
    fake_clear_tx(dev);
    learn_peer();
    struct pkt q = pkt_default();
    size_t n = pkt_icmp(f, &q, 8, 5, 5);
    fake_rx(s, f, n, T0 + 6000);
    CHECK_EQ(dev->ntx, 1);
}

/* The host we talk to keeps its entry through a flood of requests from
 * 5000 random neighbours (issue 15: it used to be evicted over and over). */
static void arp_flood_does_not_evict_a_host_in_use(void)
{
    setup(0);
    learn_peer();
    struct pkt q = pkt_default();
    size_t n = pkt_icmp(f, &q, 8, 5, 5);
    fake_rx(s, f, n, T0);                          /* a reply goes to the peer: its entry is in use */
    static const uint8_t zero[6];
    uint8_t mac[6] = { 0x52, 1, 2, 3, 4, 0 };
    for (unsigned i = 0; i < 5000; i++) {
        mac[5] = (uint8_t)i;
        mac[4] = (uint8_t)(i >> 8);
        uint32_t ip = 0x0a000200u | (3 + i % 250);
        if ((ip & 0xff) == 15 || (ip & 0xff) == 2)
            continue;
        n = pkt_arp(f, MAC_BCAST, mac, 1, mac, ip, zero, IP_US);
        fake_rx(s, f, n, T0 + i * 1000u);
        if (i % 500 == 0) {
            n = pkt_icmp(f, &q, 8, 5, (uint16_t)i);
            fake_rx(s, f, n, T0 + i * 1000u);      /* the peer keeps talking */
        }
    }
    uint8_t m[6];
    CHECK_EQ(net_arp_lookup(s, IP_PEER, m), 0);
    CHECK(!memcmp(m, MAC_PEER, 6));
    CHECK(stats().arp_cache_evict > 4000);         /* the flood churned only its own entries */
    CHECK_EQ(stats().arp_requests_tx, 0);          /* we never had to ask for the peer again */
}

static void device_refusing_frames_counted(void)
{
    setup(0);
    learn_peer();
    dev->accept = 1;
    uint64_t sent = stats().tx_frames;            /* the ARP reply to the peer */
    struct pkt q = pkt_default();
    size_t n = pkt_icmp(f, &q, 8, 5, 5);
    for (int i = 0; i < 3; i++)
        net_rx(s, f, n, T0);
    net_flush(s);
    CHECK_EQ(stats().tx_frames - sent, 1);
    CHECK_EQ(stats().tx_dev_full, 2);
    CHECK_EQ(stats().icmp_echo_tx, 3);
}

static void stat_names_cover_every_counter(void)
{
    CHECK_EQ(net_stat_count * sizeof(uint64_t), sizeof(struct net_stats));
    CHECK(!strcmp(net_stat_names[0].name, "rx_frames"));
    CHECK_EQ(net_stat_names[net_stat_count - 1].offset,
             offsetof(struct net_stats, lo_full));
}

static void init_rejects_bad_config(void)
{
    struct net_stack *t = calloc(1, sizeof *t);
    struct fake_dev d = { 0 };
    struct net_config c = { .ip = IP_US, .netmask = 0xffffff00u, .gateway = IP_PEER };
    memcpy(c.mac, MAC_US, 6);
    CHECK_EQ(net_init(t, &c, &fake_dev_ops, &d, NULL), 0);
    c.netmask = 0xff00ff00u;
    CHECK_EQ(net_init(t, &c, &fake_dev_ops, &d, NULL), AE_EINVAL);
    c.netmask = 0xffffff00u;
    c.gateway = IP_FAR;
    CHECK_EQ(net_init(t, &c, &fake_dev_ops, &d, NULL), AE_EINVAL);
    c.gateway = 0;
    c.mac[0] = 1;
    CHECK_EQ(net_init(t, &c, &fake_dev_ops, &d, NULL), AE_EINVAL);
    c.mac[0] = 0x52;
    c.ip = 0;
    CHECK_EQ(net_init(t, &c, &fake_dev_ops, &d, NULL), AE_EINVAL);
    free(t);
}

int main(void)
{
    RUN(arp_request_for_us_gets_reply);
    RUN(arp_request_for_other_host_ignored);
    RUN(arp_spoof_of_our_ip_changes_nothing);
    RUN(arp_bad_sender_dropped);
    RUN(arp_malformed_dropped);
    RUN(arp_unsolicited_reply_creates_nothing);
    RUN(arp_reply_sends_waiting_datagrams);
    RUN(arp_gives_up_after_retries);
    RUN(arp_entry_expires);
    RUN(arp_cache_is_bounded);
    RUN(arp_pending_queue_is_bounded);
    RUN(icmp_echo_gets_reply);
    RUN(icmp_echo_odd_and_full_size);
    RUN(icmp_echo_waits_for_arp);
    RUN(icmp_bad_checksum_dropped);
    RUN(icmp_echo_to_broadcast_ignored);
    RUN(icmp_other_types_ignored);
    RUN(udp_to_bound_port_reaches_its_owner_only);
    RUN(udp_unbound_port_gets_rate_limited_unreachable);
    RUN(udp_unbound_port_silent_when_policy_is_drop);
    RUN(udp_unbound_broadcast_gets_no_icmp);
    RUN(udp_broadcast_reaches_the_port_owner);
    RUN(udp_bad_checksum_dropped_zero_accepted);
    RUN(udp_bad_length_dropped);
    RUN(ip_bad_header_checksum_dropped);
    RUN(ip_truncated_frames_at_every_length);
    RUN(ip_wrong_total_length_dropped);
    RUN(ip_fragments_in_order_are_reassembled);
    RUN(ip_fragments_out_of_order_and_duplicated);
    RUN(ip_overlapping_fragments_drop_the_datagram);
    RUN(ip_reassembly_times_out);
    RUN(ip_fragmented_non_udp_is_not_reassembled);
    RUN(ip_reassembly_memory_is_bounded);
    RUN(ip_long_datagrams_leave_in_fragments);
    RUN(ip_long_datagrams_from_the_ring);
    RUN(ip_long_datagram_needs_room_for_all_its_slots);
    RUN(ip_ttl_zero_dropped);
    RUN(ip_options_tolerated);
    RUN(ip_bad_version_and_ihl_dropped);
    RUN(ip_bad_source_dropped);
    RUN(ip_not_ours_dropped);
    RUN(link_broadcast_to_our_address_is_never_answered);
    RUN(icmp_and_udp_shorter_than_header_dropped);
    RUN(no_gateway_means_no_route);
    RUN(eth_filters_destination_and_source);
    RUN(csum_matches_reference_at_every_length_and_alignment);
    RUN(csum_copy_copies_and_matches_csum_add);
    RUN(eth_runt_oversize_and_unknown_type);
    RUN(flood_fills_client_queue_then_stack_recovers);
    RUN(arp_flood_of_requests_keeps_answering);
    RUN(arp_flood_does_not_evict_a_host_in_use);
    RUN(device_refusing_frames_counted);
    RUN(stat_names_cover_every_counter);
    RUN(init_rejects_bad_config);
    fake_stack_free(s, dev);
    return TESTS_DONE();
}
