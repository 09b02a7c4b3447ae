/*
 * test_net_clients.c — host tests for UDP port multiplexing between
 * clients (services/net/stack/client.c): grants, bind/unbind, sending
 * only from bound ports, the TX/RX ring data path driven by net_poll,
 * hostile ring contents, client removal, and wakeups.
 */
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "ktest_host.h"

#define T0 (100ull * 1000000000ull)

static struct net_stack *s;
static struct fake_dev *dev;

static void setup(void)
{
    if (s)
        fake_stack_free(s, dev);
    s = fake_stack(&dev, 0);
    /* the peer and the gateway are known: sends go straight out */
    net_arp_add_static(s, IP_PEER, MAC_PEER);
    net_arp_add_static(s, IP_PEER2, MAC_OTHER);
}

static struct net_stats stats(void)
{
    struct net_stats st;
    net_get_stats(s, &st);
    return st;
}

static void bind_outside_grant_refused(void)
{
    setup();
    struct net_grant g[2] = { { 5000, 5009, NET_GRANT_UDP }, { 7000, 7000, NET_GRANT_UDP } };
    uint32_t id;
    CHECK_EQ(net_client_add(s, g, 2, &id), 0);
    CHECK_EQ(net_bind(s, id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, id, 5009, NULL), 0);
    CHECK_EQ(net_bind(s, id, 7000, NULL), 0);
    CHECK_EQ(net_bind(s, id, 4999, NULL), AE_EACCES);
    CHECK_EQ(net_bind(s, id, 5010, NULL), AE_EACCES);
    CHECK_EQ(net_bind(s, id, 6999, NULL), AE_EACCES);
    CHECK_EQ(net_bind(s, id, 65535, NULL), AE_EACCES);
}

static void bind_taken_port_refused(void)
{
    setup();
    struct net_grant g = { 5000, 5010, NET_GRANT_UDP };
    uint32_t a, b;
    CHECK_EQ(net_client_add(s, &g, 1, &a), 0);
    CHECK_EQ(net_client_add(s, &g, 1, &b), 0);   /* overlapping grants: first bind wins */
    CHECK_EQ(net_bind(s, a, 5005, NULL), 0);
    CHECK_EQ(net_bind(s, b, 5005, NULL), AE_EADDRINUSE);
    CHECK_EQ(net_bind(s, a, 5005, NULL), AE_EADDRINUSE);
    CHECK_EQ(net_unbind(s, b, 5005), AE_ENOENT);  /* not b's to unbind */
    CHECK_EQ(net_unbind(s, a, 5005), 0);
    CHECK_EQ(net_bind(s, b, 5005, NULL), 0);
}

static void bind_any_port_comes_from_grant(void)
{
    setup();
    struct net_grant g = { 6000, 6002, NET_GRANT_UDP };
    uint32_t id;
    CHECK_EQ(net_client_add(s, &g, 1, &id), 0);
    uint16_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;
    CHECK_EQ(net_bind(s, id, 6001, &p2), 0);
    CHECK_EQ(net_bind(s, id, 0, &p1), 0);
    CHECK_EQ(net_bind(s, id, 0, &p3), 0);
    CHECK_EQ(p1, 6000);
    CHECK_EQ(p3, 6002);
    CHECK_EQ(net_bind(s, id, 0, &p4), AE_EADDRNOTAVAIL);
    CHECK_EQ(net_unbind(s, id, 0), AE_ENOENT);
}

static void bad_grants_and_ids_refused(void)
{
    setup();
    struct net_grant zero = { 0, 10, 0 }, backwards = { 20, 10, 0 }, ok = { 1, 1, 0 };
    struct net_grant many[NET_MAX_GRANTS + 1];
    for (int i = 0; i <= NET_MAX_GRANTS; i++)
        many[i] = ok;
    uint32_t id;
    CHECK_EQ(net_client_add(s, &zero, 1, &id), AE_EINVAL);
    CHECK_EQ(net_client_add(s, &backwards, 1, &id), AE_EINVAL);
    CHECK_EQ(net_client_add(s, many, NET_MAX_GRANTS + 1, &id), AE_EINVAL);
    CHECK_EQ(net_bind(s, 0, 1, NULL), AE_ESRCH);
    CHECK_EQ(net_bind(s, 0x10000u | NET_MAX_CLIENTS, 1, NULL), AE_ESRCH);
    CHECK_EQ(net_bind(s, 0xffffffffu, 1, NULL), AE_ESRCH);
    CHECK_EQ(net_client_remove(s, 12345), AE_ESRCH);
}

static void client_limit_reached(void)
{
    setup();
    struct net_grant g = { 1000, 1000, NET_GRANT_UDP };
    uint32_t id;
    for (int i = 0; i < NET_MAX_CLIENTS; i++)
        CHECK_EQ(net_client_add(s, &g, 1, &id), 0);
    CHECK_EQ(net_client_add(s, &g, 1, &id), AE_ELIMIT);
    CHECK_EQ(net_client_remove(s, id), 0);
    CHECK_EQ(net_client_add(s, &g, 1, &id), 0);
}

static void send_only_from_own_bound_port(void)
{
    setup();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5009, 0), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6009, 0), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, "x", 1), AE_EACCES);  /* granted, unbound */
    CHECK_EQ(net_send(s, a.id, 6000, IP_PEER, 53, "x", 1), AE_EACCES);  /* b's port */
    CHECK_EQ(net_send(s, a.id, 0, IP_PEER, 53, "x", 1), AE_EACCES);
    net_flush(s);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().client_tx_denied, 3);
    CHECK_EQ(net_send(s, b.id, 6000, IP_PEER, 53, "x", 1), 0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 1);
    struct net_client_stats cs;
    CHECK_EQ(net_client_stats(s, a.id, &cs), 0);
    CHECK_EQ(cs.tx_refused, 3);
    CHECK_EQ(cs.tx_sent, 0);
}

static void send_checks_destination_and_size(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    static uint8_t big[NET_UDP_DGRAM_MAX + 1];
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, big, sizeof big), AE_EMSGSIZE);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 0, "x", 1), AE_EINVAL);
    CHECK_EQ(net_send(s, a.id, 5000, 0, 53, "x", 1), AE_EDESTADDRREQ);
    CHECK_EQ(net_send(s, a.id, 5000, 0xe0000001u, 53, "x", 1), AE_EADDRNOTAVAIL);
    CHECK_EQ(net_send(s, a.id, 5000, IP_BCAST, 53, "x", 1), AE_EACCES);
    CHECK_EQ(net_send(s, a.id, 5000, 0xffffffffu, 53, "x", 1), AE_EACCES);
    CHECK_EQ(net_send(s, a.id, 5000, IP_US, 9999, "x", 1), AE_ECONNREFUSED);
    net_flush(s);
    CHECK_EQ(dev->ntx, 0);
    CHECK_EQ(stats().client_tx_invalid, 4);
    CHECK_EQ(stats().client_tx_denied, 2);
    CHECK_EQ(stats().udp_no_port, 1);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 53, big, NET_UDP_PAYLOAD_MAX), 0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 1);
    CHECK_EQ(dev->txlen[0], NET_FRAME_MAX);       /* a full-size frame */
}

static void send_off_subnet_goes_to_gateway(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_send(s, a.id, 5000, IP_FAR, 53, "query", 5), 0);
    net_flush(s);
    CHECK_EQ(dev->ntx, 1);
    struct parsed p;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &p));
    CHECK(!memcmp(p.eth_dst, MAC_PEER, 6));       /* the gateway's MAC */
    CHECK_EQ(p.dst, IP_FAR);
    CHECK_EQ(p.src, IP_US);
    CHECK_EQ(p.sport, 5000);
    CHECK_EQ(p.dport, 53);
    CHECK(p.ip_csum_ok && p.l4_csum_ok);
    CHECK_EQ(p.data_len, 5);
    CHECK(!memcmp(p.data, "query", 5));
}

static void ring_tx_path_sends_datagrams(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 16), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    for (int i = 0; i < 10; i++) {
        uint8_t msg[100];
        memset(msg, 'a' + i, sizeof msg);
        CHECK(fake_client_send(&a, 5000, IP_PEER, 9000 + i, msg, (uint16_t)(10 + i)));
    }
    unsigned work = net_poll(s, T0);
    CHECK_EQ(work, 10);
    CHECK_EQ(dev->ntx, 10);
    CHECK_EQ(dev->tx_calls, 1);                   /* one batch for the device */
    for (unsigned i = 0; i < dev->ntx; i++) {
        struct parsed p;
        CHECK(parse_frame(dev->tx[i], dev->txlen[i], &p));
        CHECK_EQ(p.dport, 9000 + i);
        CHECK_EQ(p.data_len, 10 + i);
        CHECK_EQ(p.data[0], 'a' + i);
        CHECK(p.l4_csum_ok);
    }
    CHECK_EQ(a.tx.hdr->cons, 10);                 /* the service released the slots */
    CHECK_EQ(net_poll(s, T0), 0);
    fake_client_free(&a);
}

static void ring_tx_respects_device_room(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 64), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    for (int i = 0; i < 40; i++)
        CHECK(fake_client_send(&a, 5000, IP_PEER, 53, "x", 1));
    dev->room = 5;
    CHECK_EQ(net_poll(s, T0), 5);
    CHECK_EQ(dev->ntx, 5);
    dev->room = 0;
    CHECK_EQ(net_poll(s, T0), 0);
    dev->room = ~0u;
    CHECK_EQ(net_poll(s, T0), 35);
    CHECK_EQ(dev->ntx, 40);
    CHECK_EQ(stats().tx_dev_full, 0);
    fake_client_free(&a);
}

static void ring_tx_is_shared_fairly(void)
{
    setup();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 256), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6000, 256), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    for (int i = 0; i < 200; i++) {
        fake_client_send(&a, 5000, IP_PEER, 53, "a", 1);
        fake_client_send(&b, 6000, IP_PEER, 53, "b", 1);
    }
    net_poll(s, T0);
    /* one poll takes at most NET_TX_BUDGET from each */
    CHECK_EQ(a.tx.hdr->cons, NET_TX_BUDGET);
    CHECK_EQ(b.tx.hdr->cons, NET_TX_BUDGET);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void hostile_tx_ring_contents_contained(void)
{
    setup();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    /* an index far beyond the ring: nothing is read */
    a.tx.hdr->prod = 1000000;
    CHECK_EQ(net_poll(s, T0), 0);
    CHECK(stats().client_ring_corrupt > 0);
    CHECK_EQ(dev->ntx, 0);
    /* an index behind the service's: the same */
    a.tx.hdr->prod = (uint32_t)-3;
    CHECK_EQ(net_poll(s, T0), 0);
    /* slots with lies in them: huge length, foreign port, port 0 */
    a.tx.hdr->prod = 0;
    for (int i = 0; i < 4; i++) {
        struct netring_slot *sl = &a.tx.slots[i];
        sl->remote_ip = IP_PEER;
        sl->remote_port = 53;
        sl->local_port = 5000;
        sl->len = 1;
    }
    a.tx.slots[0].len = 65535;
    a.tx.slots[1].local_port = 6000;              /* b's port */
    a.tx.slots[2].remote_port = 0;
    __atomic_store_n(&a.tx.hdr->prod, 4, __ATOMIC_RELEASE);
    CHECK_EQ(net_poll(s, T0), 4);
    CHECK_EQ(dev->ntx, 1);                        /* only slot 3 was good */
    CHECK_EQ(stats().client_tx_invalid, 2);
    CHECK_EQ(stats().client_tx_denied, 1);
    /* a bogus RX consumer index: once the ring looks full the service
     * reads it, finds it out of bounds, and drops; b is unaffected */
    a.rx.hdr->cons = 77777;
    uint64_t corrupt = stats().client_ring_corrupt;
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    for (int i = 0; i < 9; i++)
        fake_rx(s, f, n, T0);
    CHECK_EQ(stats().client_ring_full, 1);
    CHECK_EQ(stats().client_ring_corrupt, corrupt + 1);
    p.dport = 6000;
    n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&b), 1);
    /* echo still answered */
    n = pkt_icmp(f, &p, 8, 1, 1);
    fake_clear_tx(dev);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 1);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void remove_frees_ports_and_stops_delivery(void)
{
    setup();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5009, 8), 0);
    CHECK_EQ(fake_client_add(s, &b, 5000, 5009, 8), 0);
    for (uint16_t p = 5000; p < 5010; p++)
        CHECK_EQ(net_bind(s, a.id, p, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 5003, NULL), AE_EADDRINUSE);
    uint32_t a_prod = a.rx.hdr->prod;
    CHECK_EQ(net_client_remove(s, a.id), 0);
    /* a's id is dead, its ports are free, its ring gets nothing more */
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), AE_ESRCH);
    CHECK_EQ(net_send(s, a.id, 5000, IP_PEER, 1, "x", 1), AE_ESRCH);
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(a.rx.hdr->prod, a_prod);
    CHECK_EQ(stats().udp_no_port, 1);
    for (uint16_t q = 5000; q < 5010; q++)
        CHECK_EQ(net_bind(s, b.id, q, NULL), 0);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&b), 1);
    CHECK_EQ(a.rx.hdr->prod, a_prod);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void remove_drops_frames_waiting_for_arp(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 0), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    for (uint32_t h = 100; h < 100 + NET_ARP_PENDING_PER_CLIENT; h++)
        CHECK_EQ(net_send(s, a.id, 5000, 0x0a000200u | h, 53, "x", 1), 0);
    CHECK_EQ(net_client_remove(s, a.id), 0);
    CHECK_EQ(stats().arp_unresolved, NET_ARP_PENDING_PER_CLIENT);
    /* the whole queue is free again */
    unsigned nfree = 0;
    for (int i = s->pending_free; i >= 0; i = s->pending[i].next)
        nfree++;
    CHECK_EQ(nfree, NET_ARP_PENDING_MAX);
    /* and ARP replies for those hosts now send nothing of a's */
    net_flush(s);                                 /* the ARP requests */
    fake_clear_tx(dev);
    uint8_t f[64];
    size_t n = pkt_arp(f, MAC_US, MAC_OTHER, 2, MAC_OTHER, 0x0a000200u | 100, MAC_US, IP_US);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->ntx, 0);
}

static void stale_id_never_reaches_new_client(void)
{
    setup();
    struct net_grant g = { 5000, 5000, NET_GRANT_UDP };
    uint32_t old, fresh;
    CHECK_EQ(net_client_add(s, &g, 1, &old), 0);
    CHECK_EQ(net_client_remove(s, old), 0);
    CHECK_EQ(net_client_add(s, &g, 1, &fresh), 0);
    CHECK_EQ(fresh & 0xffff, old & 0xffff);       /* same slot ... */
    CHECK(fresh != old);                          /* ... new generation */
    CHECK_EQ(net_bind(s, old, 5000, NULL), AE_ESRCH);
    CHECK_EQ(net_client_remove(s, old), AE_ESRCH);
    CHECK_EQ(net_bind(s, fresh, 5000, NULL), 0);
}

static void local_delivery_between_clients(void)
{
    setup();
    struct fake_client a, b;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(fake_client_add(s, &b, 6000, 6000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_bind(s, b.id, 6000, NULL), 0);
    CHECK(fake_client_send(&a, 5000, IP_US, 6000, "hi b", 4));
    CHECK(fake_client_send(&a, 5000, 0x7f000001u, 6000, "lo", 2));
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 0);                        /* never on the wire */
    struct netring_meta m;
    uint8_t buf[16];
    CHECK(fake_client_recv(&b, &m, buf));
    CHECK_EQ(m.remote_ip, IP_US);
    CHECK_EQ(m.remote_port, 5000);
    CHECK_EQ(m.local_port, 6000);
    CHECK(!memcmp(buf, "hi b", 4));
    CHECK(fake_client_recv(&b, &m, buf));
    CHECK_EQ(m.remote_ip, 0x7f000001u);
    CHECK_EQ(fake_client_pending(&a), 0);
    fake_client_free(&a);
    fake_client_free(&b);
}

static void wakeups_only_when_asked(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(dev->wakes, 0);                      /* the client was not asleep */
    struct netring_meta m;
    CHECK(fake_client_recv(&a, &m, NULL));
    CHECK(netring_cons_wait_prepare(&a.rx));      /* empty: it may sleep */
    net_rx(s, f, n, T0);
    net_rx(s, f, n, T0);
    CHECK_EQ(dev->wakes, 0);                      /* nothing visible before the flush */
    net_flush(s);
    CHECK_EQ(dev->wakes, 1);                      /* one wakeup per batch */
    CHECK_EQ(dev->last_woken, a.id);
    netring_cons_wait_end(&a.rx);
    /* the service asks to be woken when idle */
    CHECK(net_idle_prepare(s));
    CHECK_EQ(a.tx.hdr->cons_wants_wakeup, 1);
    CHECK(!netring_prod_publish(&a.tx));          /* nothing new: no signal */
    struct netring_slot *sl = netring_prod_next(&a.tx);
    CHECK(sl != NULL);
    sl->remote_ip = IP_PEER;
    sl->remote_port = 1;
    sl->local_port = 5000;
    sl->len = 0;
    netring_prod_commit(&a.tx);
    CHECK(netring_prod_publish(&a.tx));           /* the client must signal the service */
    CHECK(!net_idle_prepare(s));                  /* work is there: do not sleep */
    CHECK_EQ(net_poll(s, T0), 1);
    CHECK_EQ(a.tx.hdr->cons_wants_wakeup, 0);     /* busy again: no signals wanted */
    /* the device full: its TX interrupt wakes the service, a client's
     * send does not (it could go nowhere before the interrupt) */
    dev->room = 0;
    CHECK(net_idle_prepare(s));
    CHECK_EQ(a.tx.hdr->cons_wants_wakeup, 0);
    sl = netring_prod_next(&a.tx);
    CHECK(sl != NULL);
    sl->remote_ip = IP_PEER;
    sl->remote_port = 1;
    sl->local_port = 5000;
    sl->len = 0;
    netring_prod_commit(&a.tx);
    CHECK(!netring_prod_publish(&a.tx));          /* no signal */
    CHECK(net_idle_prepare(s));                   /* and still asleep: blocked */
    CHECK_EQ(net_poll(s, T0), 0);                 /* no room: the datagram waits in the ring */
    dev->room = 16;                               /* the interrupt: room again */
    CHECK_EQ(net_poll(s, T0), 1);
    CHECK(net_idle_prepare(s));
    CHECK_EQ(a.tx.hdr->cons_wants_wakeup, 1);     /* room: the client's next send signals */
    fake_client_free(&a);
}

/* A sender waiting for room in its TX ring is woken once half the ring
 * is free (or it is empty), not at the first slot the service takes: a
 * wake-up per datagram while the device is the bottleneck cost 4 and 8
 * streams their throughput (docs/EVALUATION.md, make bench-udp). */
static void tx_waiter_woken_at_half_ring(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    for (int i = 0; i < 8; i++)
        CHECK(fake_client_send(&a, 5000, IP_PEER, 53, "x", 1));
    CHECK(netring_prod_wait_prepare(&a.tx));     /* full: it may sleep */
    dev->room = 2;
    CHECK_EQ(net_poll(s, T0), 2);
    CHECK_EQ(dev->wakes, 0);                      /* 6 of 8 still queued */
    CHECK_EQ(net_poll(s, T0), 2);
    CHECK_EQ(dev->wakes, 1);                      /* half free */
    CHECK_EQ(dev->last_woken, a.id);
    netring_prod_wait_end(&a.tx);
    /* a ring that empties wakes its waiter whatever the sizes */
    for (int i = 0; i < 4; i++)
        CHECK(fake_client_send(&a, 5000, IP_PEER, 53, "x", 1));
    CHECK(netring_prod_wait_prepare(&a.tx));
    dev->room = ~0u;
    CHECK_EQ(net_poll(s, T0), 8);
    CHECK_EQ(dev->wakes, 2);
    netring_prod_wait_end(&a.tx);
    CHECK_EQ(net_poll(s, T0), 0);
    CHECK_EQ(dev->wakes, 2);                      /* nothing taken: no signal */
    fake_client_free(&a);
}

static void detach_and_reattach_rings(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_client_detach(s, a.id), 0);
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK_EQ(stats().client_no_ring, 1);
    CHECK_EQ(net_client_attach(s, a.id, a.txmem, a.size, a.txmem, a.size, 8), AE_EINVAL);
    CHECK_EQ(net_client_attach(s, a.id, a.txmem, a.size, a.rxmem, a.size, 6), AE_EINVAL);
    CHECK_EQ(net_client_attach(s, a.id, a.txmem, a.size, a.rxmem, a.size - 1, 8), AE_EINVAL);
    CHECK_EQ(net_client_attach(s, a.id, a.txmem, a.size, a.rxmem, a.size, 8), 0);
    CHECK_EQ(net_client_attach(s, a.id, a.txmem, a.size, a.rxmem, a.size, 8), 0);
    CHECK_EQ(s->nactive, 1);                      /* attached once, not twice */
    netring_open(&a.rx, a.rxmem, a.size);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 1);
    fake_client_free(&a);
}

/* A restarted service (docs/RESTART.md, "net"): a new stack makes the
 * client again with its old id and takes its rings over where they are.
 * A datagram the client published before the restart is sent; one the
 * old stack delivered and the client has not read is still there; new
 * ones follow in order; a stale or taken id is refused. */
static void restore_and_resume_carry_a_client_over(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5009, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);                         /* delivered, not read yet */
    CHECK(fake_client_send(&a, 5000, IP_PEER, 9001, "one", 3));
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 1);
    CHECK(fake_client_send(&a, 5000, IP_PEER, 9002, "two", 3));   /* published, not taken */
    /* the old instance dies here; a new stack starts over */
    fake_stack_free(s, dev);
    s = fake_stack(&dev, 0);
    net_arp_add_static(s, IP_PEER, MAC_PEER);
    struct net_grant g = { 5000, 5009, NET_GRANT_UDP };
    CHECK_EQ(net_client_restore(s, a.id, &g, 1, 0), 0);
    CHECK_EQ(net_client_restore(s, a.id, &g, 1, 0), AE_EBUSY);
    CHECK_EQ(net_client_restore(s, a.id & 0xffff, &g, 1, 0), AE_EINVAL);   /* generation 0 */
    CHECK_EQ(net_client_restore(s, 0x10000u | 999u, &g, 1, 0), AE_EINVAL); /* slot out of range */
    CHECK_EQ(net_client_resume(s, a.id, a.txmem, a.size, a.txmem, a.size, 8), AE_EINVAL);   /* overlap */
    CHECK_EQ(net_client_resume(s, a.id + 0x10000u, a.txmem, a.size, a.rxmem, a.size, 8), AE_ESRCH);
    CHECK_EQ(net_client_resume(s, a.id, a.txmem, a.size, a.rxmem, a.size, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    net_poll(s, T0);
    CHECK_EQ(dev->ntx, 1);                        /* "two", sent by the new instance */
    struct parsed pr;
    CHECK(parse_frame(dev->tx[0], dev->txlen[0], &pr));
    CHECK_EQ(pr.dport, 9002);
    fake_rx(s, f, n, T0);
    CHECK_EQ(fake_client_pending(&a), 2);         /* the old delivery, then the new one */
    struct netring_meta m;
    CHECK(fake_client_recv(&a, &m, NULL));
    CHECK(fake_client_recv(&a, &m, NULL));
    CHECK_EQ(m.local_port, 5000);
    CHECK_EQ(stats().client_ring_corrupt, 0);
    fake_client_free(&a);
}

/* A client's hostile ring header after a restart hurts only it: bogus
 * indices are taken as they are and caught as corrupt, never followed. */
static void resume_with_hostile_indices_is_contained(void)
{
    setup();
    struct fake_client a;
    CHECK_EQ(fake_client_add(s, &a, 5000, 5000, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    a.tx.hdr->cons = 0x80000000u;                 /* what the service "had taken" */
    a.tx.hdr->prod = 0x12345678u;
    a.rx.hdr->prod = 77;
    a.rx.hdr->cons = 0xdeadbeefu;
    fake_stack_free(s, dev);
    s = fake_stack(&dev, 0);
    struct net_grant g = { 5000, 5000, NET_GRANT_UDP };
    CHECK_EQ(net_client_restore(s, a.id, &g, 1, 0), 0);
    CHECK_EQ(net_client_resume(s, a.id, a.txmem, a.size, a.rxmem, a.size, 8), 0);
    CHECK_EQ(net_bind(s, a.id, 5000, NULL), 0);
    CHECK_EQ(net_poll(s, T0), 0);                 /* nothing sent from garbage */
    CHECK_EQ(dev->ntx, 0);
    struct pkt p = pkt_default();
    uint8_t f[128];
    size_t n = pkt_udp(f, &p);
    fake_rx(s, f, n, T0);
    CHECK(stats().client_ring_corrupt > 0);
    CHECK_EQ(stats().client_ring_full, 1);        /* refused, counted: never written past the ring */
    fake_client_free(&a);
}

int main(void)
{
    RUN(bind_outside_grant_refused);
    RUN(bind_taken_port_refused);
    RUN(bind_any_port_comes_from_grant);
    RUN(bad_grants_and_ids_refused);
    RUN(client_limit_reached);
    RUN(send_only_from_own_bound_port);
    RUN(send_checks_destination_and_size);
    RUN(send_off_subnet_goes_to_gateway);
    RUN(ring_tx_path_sends_datagrams);
    RUN(ring_tx_respects_device_room);
    RUN(ring_tx_is_shared_fairly);
    RUN(hostile_tx_ring_contents_contained);
    RUN(remove_frees_ports_and_stops_delivery);
    RUN(remove_drops_frames_waiting_for_arp);
    RUN(stale_id_never_reaches_new_client);
    RUN(local_delivery_between_clients);
    RUN(wakeups_only_when_asked);
    RUN(tx_waiter_woken_at_half_ring);
    RUN(detach_and_reattach_rings);
    RUN(restore_and_resume_carry_a_client_over);
    RUN(resume_with_hostile_indices_is_contained);
    fake_stack_free(s, dev);
    return TESTS_DONE();
}
