/*
 * client.c — clients (containers) and UDP port multiplexing between them
 * (TCP's side of a client is in tcp_socket.c).
 *
 * A client holds a grant: up to NET_MAX_GRANTS port ranges it may bind.
 * port_owner[] maps each port to the client that bound it, so delivery is
 * one array lookup and no client ever sees another's traffic. A client
 * sends only from ports it bound (udp_send checks port_owner).
 *
 * A client's receive queue is its RX ring: bounded by the ring's size
 * (chosen by the service), full means drop and count. Removing a client
 * unbinds its ports, drops its frames waiting for ARP and forgets its
 * rings; the service holds no other buffer on a client's behalf.
 *
 * Client ids carry a generation (gen << 16 | slot) so a stale id of a
 * removed client never reaches the slot's next occupant.
 */
#include "proto.h"

uint32_t client_id(const struct net_stack *s, unsigned slot)
{
    return (uint32_t)s->clients[slot].gen << 16 | slot;
}

/* The client slot an id names, or NULL. */
static struct net_client *client_get(struct net_stack *s, uint32_t id, unsigned *slot)
{
    unsigned i = id & 0xffff;
    if (i >= NET_MAX_CLIENTS || (id >> 16) == 0)
        return NULL;
    struct net_client *c = &s->clients[i];
    if (!c->in_use || c->gen != (id >> 16))
        return NULL;
    *slot = i;
    return c;
}

static bool client_may_bind(const struct net_client *c, uint16_t port)
{
    for (unsigned i = 0; i < c->ngrants; i++)
        if (c->grants[i].kind == NET_GRANT_UDP && port >= c->grants[i].lo && port <= c->grants[i].hi)
            return true;
    return false;
}

/* Fills slot with a fresh client of generation gen (the caller checked
 * every argument and the TCP budget). */
static void client_setup(struct net_stack *s, unsigned slot, uint16_t gen, const struct net_grant *grants,
                         unsigned n, unsigned conns)
{
    struct net_client *c = &s->clients[slot];
    memset(c, 0, sizeof *c);
    c->gen = gen;
    c->in_use = true;
    c->ngrants = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
        c->grants[i] = grants[i];
    c->tcp_conns = (uint16_t)conns;
    s->tcp_reserved += conns;
    for (unsigned i = 0; i < NETTCP_MAX_SOCKS; i++)
        c->sock_tcb[i] = -1;
}

int net_client_add(struct net_stack *s, const struct net_grant *grants, unsigned n,
                   uint32_t *id)
{
    return net_client_add_tcp(s, grants, n, 0, id);
}

/* conns: TCP connections to reserve; 0 takes the default if a TCP grant
 * is among the grants (none otherwise). */
int net_client_add_tcp(struct net_stack *s, const struct net_grant *grants, unsigned n,
                       unsigned conns, uint32_t *id)
{
    if (n > NET_MAX_GRANTS || (n && !grants) || !id || conns > NET_TCP_MAX)
        return AE_EINVAL;
    bool tcp = false;
    for (unsigned i = 0; i < n; i++) {
        if (grants[i].lo == 0 || grants[i].lo > grants[i].hi || grants[i].kind > NET_GRANT_TCP_OUT)
            return AE_EINVAL;
        tcp = tcp || grants[i].kind != NET_GRANT_UDP;
    }
    if (!tcp)
        conns = 0;
    else if (!conns)
        conns = NET_TCP_CONNS_DEFAULT;
    if (conns > NET_TCP_MAX - s->tcp_reserved)
        return AE_ENOMEM;
    for (unsigned slot = 0; slot < NET_MAX_CLIENTS; slot++) {
        struct net_client *c = &s->clients[slot];
        if (c->in_use)
            continue;
        uint16_t gen = (uint16_t)(c->gen + 1);
        client_setup(s, slot, gen ? gen : 1, grants, n, conns);
        *id = client_id(s, slot);
        return 0;
    }
    return AE_ELIMIT;
}

/* A client taken over from an earlier instance of the service (docs/RESTART.md):
 * the same slot and generation, so the id its capability's badge carries
 * names it again. AE_EINVAL, AE_EBUSY (the slot is taken), AE_ENOMEM. */
int net_client_restore(struct net_stack *s, uint32_t id, const struct net_grant *grants, unsigned n,
                       unsigned conns)
{
    unsigned slot = id & 0xffff;
    uint16_t gen = (uint16_t)(id >> 16);
    if (slot >= NET_MAX_CLIENTS || !gen || n > NET_MAX_GRANTS || (n && !grants) || conns > NET_TCP_MAX)
        return AE_EINVAL;
    for (unsigned i = 0; i < n; i++)
        if (grants[i].lo == 0 || grants[i].lo > grants[i].hi || grants[i].kind > NET_GRANT_TCP_OUT)
            return AE_EINVAL;
    if (s->clients[slot].in_use)
        return AE_EBUSY;
    if (conns > NET_TCP_MAX - s->tcp_reserved)
        return AE_ENOMEM;
    client_setup(s, slot, gen, grants, n, conns);
    return 0;
}

unsigned net_client_tcp_conns(const struct net_stack *s, uint32_t id)
{
    unsigned slot;
    struct net_client *c = client_get((struct net_stack *)s, id, &slot);
    return c ? c->tcp_conns : 0;
}

static void list_remove(uint16_t *list, unsigned *n, uint16_t slot)
{
    for (unsigned i = 0; i < *n; i++) {
        if (list[i] == slot) {
            list[i] = list[--*n];
            return;
        }
    }
}

static void client_forget_rings(struct net_stack *s, struct net_client *c, uint16_t slot)
{
    tcp_client_gone(s, (uint16_t)(slot + 1));    /* the socket area shares the rings' memory */
    if (c->has_rings)
        list_remove(s->active, &s->nactive, slot);
    if (c->listed)
        list_remove(s->dirty, &s->ndirty, slot);
    c->has_rings = false;
    c->rx_dirty = false;
    c->listed = false;
    memset(&c->tx, 0, sizeof c->tx);
    memset(&c->rx, 0, sizeof c->rx);
}

int net_client_remove(struct net_stack *s, uint32_t id)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    uint16_t owner = (uint16_t)(slot + 1);
    for (unsigned g = 0; g < c->ngrants && c->nports; g++) {
        for (uint32_t p = c->grants[g].lo; p <= c->grants[g].hi && c->nports; p++) {
            if (s->port_owner[p] == owner) {
                s->port_owner[p] = 0;
                c->nports--;
            }
        }
    }
    arp_drop_owner(s, owner);
    client_forget_rings(s, c, (uint16_t)slot);
    lo_drop_owner(s, owner);
    s->tcp_reserved -= c->tcp_conns;
    c->tcp_conns = 0;
    c->in_use = false;
    return 0;
}

/* The client's two rings, checked and apart, before either is written:
 * formatted afresh, or (resume) taken as an earlier instance left them.
 * 0, AE_ESRCH, AE_EINVAL. */
static int rings_attach(struct net_stack *s, uint32_t id, void *tx_mem, size_t tx_size,
                        void *rx_mem, size_t rx_size, uint32_t nslots, bool resume)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    struct netring tx, rx;
    if (netring_attach(&tx, tx_mem, tx_size, nslots) || netring_attach(&rx, rx_mem, rx_size, nslots))
        return AE_EINVAL;
    if ((uint8_t *)tx_mem < (uint8_t *)rx_mem + rx_size &&
        (uint8_t *)rx_mem < (uint8_t *)tx_mem + tx_size)
        return AE_EINVAL;                         /* the rings overlap */
    client_forget_rings(s, c, (uint16_t)slot);
    if (resume) {
        netring_resume(&tx, false);
        netring_resume(&rx, true);
    } else {
        netring_format(tx_mem, tx_size, nslots);
        netring_format(rx_mem, rx_size, nslots);
    }
    c->tx = tx;
    c->rx = rx;
    c->tx_corrupt_seen = c->rx_corrupt_seen = 0;
    c->has_rings = true;
    s->active[s->nactive++] = (uint16_t)slot;
    return 0;
}

int net_client_attach(struct net_stack *s, uint32_t id, void *tx_mem, size_t tx_size,
                      void *rx_mem, size_t rx_size, uint32_t nslots)
{
    return rings_attach(s, id, tx_mem, tx_size, rx_mem, rx_size, nslots, false);
}

/* Attaches rings an earlier instance formatted and used, without formatting
 * them: each side's index is taken from the shared header (the client's
 * word, checked like every index it writes), so datagrams the client
 * published and the old instance had not taken are sent now, and those
 * the old instance published stay for the client. 0, AE_ESRCH, AE_EINVAL. */
int net_client_resume(struct net_stack *s, uint32_t id, void *tx_mem, size_t tx_size,
                      void *rx_mem, size_t rx_size, uint32_t nslots)
{
    return rings_attach(s, id, tx_mem, tx_size, rx_mem, rx_size, nslots, true);
}

int net_client_detach(struct net_stack *s, uint32_t id)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    client_forget_rings(s, c, (uint16_t)slot);
    return 0;
}

int net_client_stats(const struct net_stack *s, uint32_t id, struct net_client_stats *out)
{
    unsigned slot;
    struct net_client *c = client_get((struct net_stack *)s, id, &slot);
    if (!c)
        return AE_ESRCH;
    *out = c->stats;
    return 0;
}

int net_bind(struct net_stack *s, uint32_t id, uint16_t port, uint16_t *bound)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    if (port == 0) {                              /* any free port of the grants */
        for (unsigned g = 0; g < c->ngrants && !port; g++)
            for (uint32_t p = c->grants[g].lo; p <= c->grants[g].hi && !port; p++)
                if (!s->port_owner[p])
                    port = (uint16_t)p;
        if (!port)
            return AE_EADDRNOTAVAIL;
    } else if (!client_may_bind(c, port)) {
        return AE_EACCES;
    } else if (s->port_owner[port]) {
        return AE_EADDRINUSE;
    }
    s->port_owner[port] = (uint16_t)(slot + 1);
    c->nports++;
    if (bound)
        *bound = port;
    return 0;
}

int net_unbind(struct net_stack *s, uint32_t id, uint16_t port)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    if (port == 0 || s->port_owner[port] != slot + 1)
        return AE_ENOENT;
    s->port_owner[port] = 0;
    c->nports--;
    return 0;
}

int net_send(struct net_stack *s, uint32_t id, uint16_t src_port, uint32_t dst_ip,
             uint16_t dst_port, const void *data, size_t len)
{
    unsigned slot;
    struct net_client *c = client_get(s, id, &slot);
    if (!c)
        return AE_ESRCH;
    int r = udp_send(s, (uint16_t)(slot + 1), src_port, dst_ip, dst_port, data, len);
    if (r)
        c->stats.tx_refused++;
    else
        c->stats.tx_sent++;
    return r;
}

/* ---- the data path ------------------------------------------------------ */

/* Adds ring index errors seen since the last call to the stack's counter. */
static void client_note_corrupt(struct net_stack *s, struct net_client *c)
{
    s->stats.client_ring_corrupt += (c->tx.corrupt - c->tx_corrupt_seen) +
                                    (c->rx.corrupt - c->rx_corrupt_seen);
    c->tx_corrupt_seen = c->tx.corrupt;
    c->rx_corrupt_seen = c->rx.corrupt;
}

void client_deliver(struct net_stack *s, uint16_t owner, uint32_t src, uint16_t sport,
                    uint16_t dport, const uint8_t *data, size_t len)
{
    struct net_client *c = &s->clients[owner - 1];
    if (!c->has_rings) {
        s->stats.client_no_ring++;
        c->stats.rx_dropped++;
        return;
    }
    /* A long datagram takes several slots: all of them, or it is dropped. */
    uint32_t nslots = len <= NETRING_PAYLOAD_MAX ? 1 : (uint32_t)((len + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX);
    struct netring_slot *last = netring_prod_peek(&c->rx, nslots - 1);
    client_note_corrupt(s, c);
    if (!last) {
        s->stats.client_ring_full++;
        c->stats.rx_dropped++;
        return;
    }
    for (uint32_t k = 0; k < nslots; k++) {
        struct netring_slot *slot = netring_prod_next(&c->rx);
        size_t n = len < NETRING_PAYLOAD_MAX ? len : NETRING_PAYLOAD_MAX;
        slot->remote_ip = src;
        slot->remote_port = sport;
        slot->local_port = dport;
        slot->len = (uint16_t)n;
        slot->flags = k + 1 < nslots ? NETRING_F_MORE : 0;
        slot->reserved = 0;
        memcpy(slot->payload, data, n);
        netring_prod_commit(&c->rx);
        data += n;
        len -= n;
    }
    c->rx_dirty = true;
    client_mark_dirty(s, c, (uint16_t)(owner - 1));
    s->stats.udp_delivered++;
    c->stats.rx_delivered++;
}

/* c has something to publish (RX slots, socket blocks) at the next flush. */
void client_mark_dirty(struct net_stack *s, struct net_client *c, uint16_t slot)
{
    if (c->listed)
        return;
    c->listed = true;
    s->dirty[s->ndirty++] = slot;
}

void client_publish_all(struct net_stack *s)
{
    for (unsigned i = 0; i < s->ndirty; i++) {
        uint16_t slot = s->dirty[i];
        struct net_client *c = &s->clients[slot];
        bool wake = false;
        c->listed = false;
        if (c->rx_dirty) {
            c->rx_dirty = false;
            wake = netring_prod_publish(&c->rx);
        }
        tcp_publish_client(s, c, slot, &wake);
        if (wake && s->hooks.wake_client)
            s->hooks.wake_client(s->hooks.ctx, client_id(s, slot));
    }
    s->ndirty = 0;
}

/* Sends up to budget datagrams from one client's TX ring. */
static unsigned client_drain(struct net_stack *s, uint16_t slot, unsigned budget)
{
    struct net_client *c = &s->clients[slot];
    const struct netring_slot *rs;
    unsigned n = 0;
    while (n < budget && (rs = netring_cons_next(&c->tx))) {
        struct netring_meta m;
        netring_read_meta(rs, &m);
        const uint8_t *data = rs->payload;
        size_t len = m.len;
        bool ok = m.len <= NETRING_PAYLOAD_MAX, taken = false;
        struct netring_meta first = m;
        if (m.flags & NETRING_F_MORE) {
            /* A long datagram: gather its slots into private memory (the
             * client may change them meanwhile), each field read once.
             * Every slot but the last full, the same addresses in all, at
             * most NETRING_DGRAM_SLOTS, all published together. A broken
             * chain is taken off the ring and refused. */
            ok = true;
            len = 0;
            for (uint32_t k = 0;; k++) {
                bool more = m.flags & NETRING_F_MORE;
                if (m.remote_ip != first.remote_ip || m.remote_port != first.remote_port ||
                    m.local_port != first.local_port || m.len > NETRING_PAYLOAD_MAX ||
                    (more && m.len != NETRING_PAYLOAD_MAX) || k >= NETRING_DGRAM_SLOTS ||
                    len + m.len > NET_UDP_DGRAM_MAX)
                    ok = false;
                if (ok) {
                    memcpy(s->dgram + UDP_HLEN + len, rs->payload, m.len);
                    len += m.len;
                }
                netring_cons_commit(&c->tx);
                if (!more || k >= NETRING_DGRAM_SLOTS)
                    break;                        /* the end, or a chain too long: cut it here */
                if (!(rs = netring_cons_next(&c->tx))) {
                    ok = false;                   /* the chain stops at what was published */
                    break;
                }
                netring_read_meta(rs, &m);
            }
            data = s->dgram + UDP_HLEN;
            taken = true;
        }
        int r = AE_EINVAL;
        if (ok)
            r = udp_send(s, (uint16_t)(slot + 1), first.local_port, first.remote_ip, first.remote_port,
                         data, len);
        else
            s->stats.client_tx_invalid++;
        if (r)
            c->stats.tx_refused++;
        else
            c->stats.tx_sent++;
        if (!taken)
            netring_cons_commit(&c->tx);
        n++;
    }
    client_note_corrupt(s, c);
    /* A sender waiting for room is woken once half its ring is free (or
     * the ring is empty), not at the first slot taken: woken at once, it
     * wrote one datagram and slept again, a wake-up (and in libc a round
     * of its threads) per datagram while the NIC was the bottleneck. Its
     * ring is not empty, so later polls drain it on and wake it then. */
    if (n && netring_cons_publish(&c->tx) && c->tx.seen - c->tx.pos <= c->tx.nslots / 2 &&
        s->hooks.wake_client)
        s->hooks.wake_client(s->hooks.ctx, client_id(s, slot));
    return n;
}

/* Drains the clients' TX rings round robin, at most budget datagrams in
 * all and NET_TX_BUDGET from each, starting one client later each time. */
unsigned client_drain_all(struct net_stack *s, unsigned budget)
{
    unsigned done = 0, n = s->nactive;
    if (!n)
        return 0;
    unsigned start = s->rr++ % n;
    for (unsigned k = 0; k < n && done < budget; k++) {
        unsigned want = budget - done < NET_TX_BUDGET ? budget - done : NET_TX_BUDGET;
        done += client_drain(s, s->active[(start + k) % n], want);
    }
    return done;
}

/* Before sleeping: every client's next TX publish should signal us —
 * unless the device has no room: then its TX interrupt wakes us, and a
 * client's kick would only wake us to take the few datagrams the device
 * made room for meanwhile (or none) and sleep again (with 1,472-byte
 * datagrams that was 15 of every 16 wake-ups, docs/EVALUATION.md);
 * the clients' rings wait for the interrupt. */
bool net_idle_prepare(struct net_stack *s)
{
    bool idle = tcp_idle_prepare(s);
    bool blocked = s->ops->tx_room && s->ops->tx_room(s->dev) == 0;
    s->idle_armed = true;
    for (unsigned i = 0; i < s->nactive && !blocked; i++) {
        struct net_client *c = &s->clients[s->active[i]];
        if (!netring_cons_wait_prepare(&c->tx))
            idle = false;
    }
    if (blocked)
        idle = true;              /* blocked on the device: its TX interrupt wakes us */
    return idle && !s->lo_count;  /* looped packets wait for no interrupt */
}

void client_idle_end(struct net_stack *s)
{
    if (!s->idle_armed)
        return;
    s->idle_armed = false;
    tcp_idle_end(s);
    for (unsigned i = 0; i < s->nactive; i++)
        netring_cons_wait_end(&s->clients[s->active[i]].tx);
}
