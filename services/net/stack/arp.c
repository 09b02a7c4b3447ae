/*
 * arp.c — ARP for IPv4 over Ethernet (RFC 826): answers requests for our
 * address, resolves next hops for output with a bounded cache and a
 * bounded queue of frames waiting for resolution.
 *
 * Cache: NET_ARP_CACHE_SIZE entries, each FREE, PENDING (requests going
 * out, frames queued), RESOLVED (expires after NET_ARP_TTL_NS) or STATIC.
 * When full, the resolved entry updated longest ago that we have not sent
 * through in the last NET_ARP_IN_USE_NS makes room, else the pending one
 * created longest ago, and only then a resolved entry in use; static
 * entries stay. So a flood of requests from random neighbours (which
 * makes resolved entries nobody uses) or of SYNs from them (pending
 * ones) cycles through its own entries and never pushes out the hosts
 * we talk to, the gateway first. (A counter orders them, not the clock:
 * many entries made at one instant still have an order, so a flood
 * cycles through the cache instead of one slot.)
 * Updates follow RFC 826's merge rule, narrowed: an existing entry is
 * refreshed by any valid packet from its address, a new one is created
 * only by a request addressed to us (its sender is about to talk to us);
 * unsolicited replies create nothing.
 * Spoofing: a packet whose sender claims our IP or our MAC changes
 * nothing and is counted in arp_spoof. Senders must be unicast hosts on
 * our subnet with a unicast MAC.
 * Queue: NET_ARP_PENDING_MAX frames in all, NET_ARP_PENDING_PER_ENTRY per
 * entry and NET_ARP_PENDING_PER_CLIENT per client, so one client cannot
 * take the queue from the others.
 */
#include "proto.h"

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

void arp_init(struct net_stack *s)
{
    for (int i = 0; i < NET_ARP_CACHE_SIZE; i++)
        s->arp[i].queue = -1;
    for (int i = 0; i < NET_ARP_PENDING_MAX; i++)
        s->pending[i].next = (int16_t)(i + 1 < NET_ARP_PENDING_MAX ? i + 1 : -1);
    s->pending_free = 0;
}

static struct net_arp_entry *arp_find(struct net_stack *s, uint32_t ip)
{
    struct net_arp_entry *e = &s->arp[s->arp_hint];
    if (e->state != NET_ARP_FREE && e->ip == ip)
        return e;
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        e = &s->arp[i];
        if (e->state != NET_ARP_FREE && e->ip == ip) {
            s->arp_hint = i;
            return e;
        }
    }
    return NULL;
}

/* ---- the queue of frames waiting for resolution ------------------------ */

static void pending_free_one(struct net_stack *s, int16_t i)
{
    struct net_pending *p = &s->pending[i];
    if (p->owner)
        s->clients[p->owner - 1].npending--;
    p->next = s->pending_free;
    s->pending_free = i;
}

static void arp_drop_queue(struct net_stack *s, struct net_arp_entry *e)
{
    while (e->queue >= 0) {
        int16_t i = e->queue;
        e->queue = s->pending[i].next;
        s->stats.arp_unresolved++;
        pending_free_one(s, i);
    }
    e->nqueued = 0;
}

/* Copies the frame into the queue of e. AE_EAGAIN when a limit is hit. */
static int arp_enqueue(struct net_stack *s, struct net_arp_entry *e, const uint8_t *frame,
                       size_t len, uint16_t owner)
{
    if (e->nqueued >= NET_ARP_PENDING_PER_ENTRY || s->pending_free < 0 ||
        (owner && s->clients[owner - 1].npending >= NET_ARP_PENDING_PER_CLIENT)) {
        s->stats.arp_pending_full++;
        return AE_EAGAIN;
    }
    int16_t i = s->pending_free;
    struct net_pending *p = &s->pending[i];
    s->pending_free = p->next;
    p->next = -1;
    p->owner = owner;
    p->len = (uint16_t)len;
    memcpy(p->frame, frame, len);
    if (owner)
        s->clients[owner - 1].npending++;
    int16_t *link = &e->queue;                    /* append: frames leave in order */
    while (*link >= 0)
        link = &s->pending[*link].next;
    *link = i;
    e->nqueued++;
    return 0;
}

/* Sends the queued frames of a newly resolved entry. */
static void arp_send_queue(struct net_stack *s, struct net_arp_entry *e)
{
    while (e->queue >= 0) {
        int16_t i = e->queue;
        struct net_pending *p = &s->pending[i];
        e->queue = p->next;
        uint8_t *frame = eth_tx_begin(s);
        memcpy(frame, p->frame, p->len);
        eth_tx_commit(s, frame, e->mac, ETH_TYPE_IPV4, p->len);
        pending_free_one(s, i);
    }
    e->nqueued = 0;
}

void arp_drop_owner(struct net_stack *s, uint16_t owner)
{
    for (unsigned k = 0; k < NET_ARP_CACHE_SIZE; k++) {
        struct net_arp_entry *e = &s->arp[k];
        int16_t *link = &e->queue;
        while (*link >= 0) {
            int16_t i = *link;
            if (s->pending[i].owner == owner) {
                *link = s->pending[i].next;
                e->nqueued--;
                s->stats.arp_unresolved++;
                pending_free_one(s, i);
            } else {
                link = &s->pending[i].next;
            }
        }
    }
}

/* ---- cache entries ------------------------------------------------------ */

static void arp_free_entry(struct net_stack *s, struct net_arp_entry *e)
{
    arp_drop_queue(s, e);
    e->state = NET_ARP_FREE;
    e->ip = 0;
}

/* A free entry, evicting if needed; NULL if every entry is static. */
static bool older(const struct net_arp_entry *e, const struct net_arp_entry *than)
{
    return !than || e->stamp - than->stamp > 1u << 31;     /* modulo wrap-around */
}

static bool in_use(const struct net_stack *s, const struct net_arp_entry *e)
{
    return e->used_at && s->now - e->used_at < NET_ARP_IN_USE_NS;
}

static struct net_arp_entry *arp_alloc(struct net_stack *s)
{
    struct net_arp_entry *idle = NULL, *pending = NULL, *busy = NULL;
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == NET_ARP_FREE)
            return e;
        if (e->state == NET_ARP_RESOLVED && !in_use(s, e) && older(e, idle))
            idle = e;
        if (e->state == NET_ARP_RESOLVED && in_use(s, e) && older(e, busy))
            busy = e;
        if (e->state == NET_ARP_PENDING && older(e, pending))
            pending = e;
    }
    struct net_arp_entry *victim = idle ? idle : pending ? pending : busy;
    if (!victim)
        return NULL;
    s->stats.arp_cache_evict++;
    arp_free_entry(s, victim);
    return victim;
}

static void arp_set_resolved(struct net_stack *s, struct net_arp_entry *e, const uint8_t *mac)
{
    memcpy(e->mac, mac, 6);
    e->state = NET_ARP_RESOLVED;
    e->stamp = s->arp_clock++;
    e->deadline = s->now + NET_ARP_TTL_NS;
    e->tries = 0;
    arp_send_queue(s, e);
}

/* ---- packets ------------------------------------------------------------ */

static void arp_send(struct net_stack *s, uint16_t op, const uint8_t *eth_dst,
                     const uint8_t *tha, uint32_t tpa)
{
    uint8_t *frame = eth_tx_begin(s);
    uint8_t *a = frame + NET_ETH_HLEN;
    put16(a, 1);                                  /* hardware: Ethernet */
    put16(a + 2, ETH_TYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, s->cfg.mac, 6);
    put32(a + 14, s->cfg.ip);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    eth_tx_commit(s, frame, eth_dst, ETH_TYPE_ARP, NET_ETH_HLEN + ARP_LEN);
}

static void arp_request(struct net_stack *s, struct net_arp_entry *e)
{
    static const uint8_t unknown[6];
    arp_send(s, ARP_OP_REQUEST, eth_broadcast, unknown, e->ip);
    e->tries++;
    e->deadline = s->now + NET_ARP_RETRY_NS;
    s->stats.arp_requests_tx++;
}

void arp_input(struct net_stack *s, const uint8_t *p, size_t len)
{
    if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETH_TYPE_IPV4 || p[4] != 6 ||
        p[5] != 4) {
        s->stats.arp_malformed++;
        return;
    }
    uint16_t op = get16(p + 6);
    if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY) {
        s->stats.arp_malformed++;
        return;
    }
    const uint8_t *sha = p + 8;
    uint32_t spa = get32(p + 14), tpa = get32(p + 24);
    if (spa == s->cfg.ip || !memcmp(sha, s->cfg.mac, 6)) {
        s->stats.arp_spoof++;                     /* never let anyone claim us */
        return;
    }
    if (mac_is_group(sha) || mac_is_zero(sha) || (spa && !ipv4_is_unicast_neighbour(s, spa))) {
        s->stats.arp_bad_addr++;
        return;
    }
    if (op == ARP_OP_REQUEST)
        s->stats.arp_requests_rx++;
    else
        s->stats.arp_replies_rx++;
    /* spa == 0 is a probe (RFC 5227): answer it, learn nothing. */
    struct net_arp_entry *e = spa ? arp_find(s, spa) : NULL;
    if (e && e->state != NET_ARP_STATIC)
        arp_set_resolved(s, e, sha);
    if (op == ARP_OP_REPLY) {
        if (!e)
            s->stats.arp_unsolicited++;
        return;
    }
    if (tpa != s->cfg.ip) {
        s->stats.arp_not_for_us++;
        return;
    }
    if (!e && spa && (e = arp_alloc(s))) {
        e->ip = spa;
        e->queue = -1;
        arp_set_resolved(s, e, sha);
    }
    arp_send(s, ARP_OP_REPLY, sha, sha, spa);
    s->stats.arp_replies_tx++;
}

int arp_output(struct net_stack *s, uint32_t hop, uint8_t *frame, size_t len, uint16_t owner)
{
    struct net_arp_entry *e = arp_find(s, hop);
    if (e && (e->state == NET_ARP_STATIC ||
              (e->state == NET_ARP_RESOLVED && s->now < e->deadline))) {
        e->used_at = s->now ? s->now : 1;
        eth_tx_commit(s, frame, e->mac, ETH_TYPE_IPV4, len);
        return 0;
    }
    if (e && e->state == NET_ARP_RESOLVED) {      /* expired: resolve afresh */
        s->stats.arp_expired++;
        e->state = NET_ARP_PENDING;
        e->stamp = s->arp_clock++;
        e->tries = 0;
    }
    if (!e) {
        e = arp_alloc(s);
        if (!e) {
            s->stats.arp_cache_full++;
            return AE_EAGAIN;
        }
        e->ip = hop;
        e->state = NET_ARP_PENDING;
        e->stamp = s->arp_clock++;
        e->tries = 0;
        e->queue = -1;
        e->nqueued = 0;
    }
    /* Queue the copy first: the request below reuses the staging buffer. */
    int r = arp_enqueue(s, e, frame, len, owner);
    if (e->tries == 0)
        arp_request(s, e);
    return r;
}

uint64_t arp_timers(struct net_stack *s)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == NET_ARP_RESOLVED && s->now >= e->deadline) {
            s->stats.arp_expired++;
            arp_free_entry(s, e);
        } else if (e->state == NET_ARP_PENDING && s->now >= e->deadline) {
            if (e->tries >= NET_ARP_TRIES)
                arp_free_entry(s, e);
            else
                arp_request(s, e);
        }
        if ((e->state == NET_ARP_RESOLVED || e->state == NET_ARP_PENDING) && e->deadline < next)
            next = e->deadline;
    }
    return next;
}

uint64_t net_timers(struct net_stack *s, uint64_t now_ns)
{
    s->now = now_ns;
    uint64_t a = arp_timers(s), t = tcp_timers(s), f = ipfrag_timers(s);
    a = a < t ? a : t;
    return a < f ? a : f;
}

int net_arp_add_static(struct net_stack *s, uint32_t ip, const uint8_t mac[6])
{
    if (!ipv4_is_unicast_neighbour(s, ip) || mac_is_group(mac) || mac_is_zero(mac) ||
        !memcmp(mac, s->cfg.mac, 6))
        return AE_EINVAL;
    struct net_arp_entry *e = arp_find(s, ip);
    if (!e) {
        e = arp_alloc(s);
        if (!e)
            return AE_ENOSPC;
        e->ip = ip;
        e->queue = -1;
        e->nqueued = 0;
    }
    memcpy(e->mac, mac, 6);
    e->state = NET_ARP_STATIC;
    arp_send_queue(s, e);
    return 0;
}

int net_arp_lookup(struct net_stack *s, uint32_t ip, uint8_t mac_out[6])
{
    struct net_arp_entry *e = arp_find(s, ip);
    if (!e || e->state == NET_ARP_PENDING ||
        (e->state == NET_ARP_RESOLVED && s->now >= e->deadline))
        return AE_ENOENT;
    memcpy(mac_out, e->mac, 6);
    return 0;
}
