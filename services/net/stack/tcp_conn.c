/*
 * tcp_conn.c — TCP connections as objects: the pool of TCBs (each
 * charged to its client's budget, net_client_add_tcp), the table that
 * finds a connection or listener by its ports, the buffers each
 * connection gets in its client's area (aerie/nettcp.h: pages from the
 * client's own memory), what the client's socket block shows, the end of
 * a connection, TIME-WAIT, and initial sequence numbers (RFC 6528).
 *
 * A TCB and its socket block live and die together: the block is taken
 * when the TCB is made and given back when it is freed, which is when
 * the protocol is done AND the client has let go (tcb_finish).
 */
#include "tcp.h"

void tcp_init(struct net_stack *s)
{
    for (int i = 0; i < NET_TCP_MAX; i++) {
        s->tcb[i].state = TCP_FREE;
        s->tcb[i].hnext = (int16_t)(i + 1 < NET_TCP_MAX ? i + 1 : -1);
    }
    s->tcb_free = 0;
    for (int i = 0; i < NET_TCP_HASH; i++)
        s->tcp_hash[i] = s->tw_hash[i] = -1;
    s->tcp_out = -1;
    s->tcp_next_timer = UINT64_MAX;
    s->tcp_ephemeral = 49152;
}

/* ---- keyed hashing: ISNs and SYN cookies ----------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* A keyed hash of two words under the stack's secret: not a MAC, but an
 * outsider who sees outputs learns nothing usable about other inputs. */
uint64_t tcp_hash64(const struct net_stack *s, uint64_t a, uint64_t b)
{
    return mix64(mix64(a ^ s->tcp_secret[0]) ^ b ^ s->tcp_secret[1]);
}

/* RFC 6528: ISN = M + F(4-tuple, secret), M a clock ticking every 4 us. */
uint32_t tcp_isn(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    uint64_t f = tcp_hash64(s, (uint64_t)lip << 32 | rip, (uint64_t)lport << 16 | rport);
    return (uint32_t)f + (uint32_t)(s->now / 4000);
}

/* ---- the pool ------------------------------------------------------------- */

/* A TCB and a socket block of client owner; NULL if its budget, its
 * blocks or the pool are used up. */
struct net_tcb *tcb_alloc(struct net_stack *s, uint16_t owner)
{
    struct net_client *c = &s->clients[owner - 1];
    if (!c->tcp_area || c->tcp_used >= c->tcp_conns || s->tcb_free < 0)
        return NULL;
    unsigned sock = 0;
    while (sock < c->tcp_nsocks && c->sock_tcb[sock] >= 0)
        sock++;
    if (sock == c->tcp_nsocks)
        return NULL;
    int i = s->tcb_free;
    struct net_tcb *t = &s->tcb[i];
    s->tcb_free = t->hnext;
    memset(t, 0, sizeof *t);
    t->state = TCP_BOUND;
    t->owner = owner;
    t->sock = (uint16_t)sock;
    t->hnext = -1;
    t->listener = -1;
    t->onext = -1;
    c->sock_tcb[sock] = (int16_t)i;
    c->tcp_used++;
    volatile struct nettcp_sock *b = &c->tcp_area->socks[sock];
    t->gen = b->gen + 1;                      /* the client's word: used only to tell uses apart */
    b->gen = t->gen;
    b->rx_prod = b->tx_cons = 0;
    b->error = 0;
    b->flags = 0;
    b->rx_off = b->rx_size = b->tx_off = b->tx_size = 0;
    b->rx_cons = b->tx_prod = b->cflags = 0;
    t->rto = TCP_RTO_INIT_US;
    t->keep_idle_s = TCP_KEEP_IDLE_S;
    t->keep_intvl_s = TCP_KEEP_INTVL_S;
    t->keep_cnt = TCP_KEEP_CNT;
    return t;
}

static void pages_release(struct net_client *c, uint32_t off, uint32_t size)
{
    if (!size)
        return;
    uint32_t first = (off - c->tcp_buf_off) / NETTCP_PAGE, n = size / NETTCP_PAGE;
    for (uint32_t p = first; p < first + n; p++)
        c->page_used[p / 64] &= ~(1ull << (p % 64));
}

static bool pages_free(const struct net_client *c, uint32_t p, uint32_t n)
{
    for (uint32_t q = p; q < p + n; q++)
        if (c->page_used[q / 64] & (1ull << (q % 64)))
            return false;
    return true;
}

/* Takes n pages (a power of two), aligned to n: byte offset or 0. Large
 * buffers come from the bottom of the area, small ones (under 8 pages)
 * from the top, so small ones do not break up the aligned runs large
 * ones need. */
static uint32_t pages_take(struct net_client *c, uint32_t n)
{
    uint32_t slots = c->tcp_npages / n, found = UINT32_MAX;
    for (uint32_t k = 0; k < slots && found == UINT32_MAX; k++) {
        uint32_t p = (n >= 8 ? k : slots - 1 - k) * n;
        if (pages_free(c, p, n))
            found = p;
    }
    if (found == UINT32_MAX)
        return 0;
    for (uint32_t q = found; q < found + n; q++)
        c->page_used[q / 64] |= 1ull << (q % 64);
    return c->tcp_buf_off + found * NETTCP_PAGE;
}

/* Gives t a receive and a send buffer in its client's area (sizes: powers
 * of two, whole pages; 0: none). AE_ENOMEM if the area has no room. */
int tcb_buffers(struct net_stack *s, struct net_tcb *t, uint32_t rx_bytes, uint32_t tx_bytes)
{
    struct net_client *c = tcb_client(s, t);
    uint32_t rx = rx_bytes ? pages_take(c, rx_bytes / NETTCP_PAGE) : 0;
    uint32_t tx = tx_bytes ? pages_take(c, tx_bytes / NETTCP_PAGE) : 0;
    if ((rx_bytes && !rx) || (tx_bytes && !tx)) {
        if (rx)
            pages_release(c, rx, rx_bytes);
        if (tx)
            pages_release(c, tx, tx_bytes);
        s->stats.tcp_no_buffer++;
        return AE_ENOMEM;
    }
    t->rx_off = rx;
    t->rx_size = rx ? rx_bytes : 0;
    t->tx_off = tx;
    t->tx_size = tx ? tx_bytes : 0;
    volatile struct nettcp_sock *b = tcb_shared(s, t);
    b->rx_off = t->rx_off;
    b->rx_size = t->rx_size;
    b->tx_off = t->tx_off;
    b->tx_size = t->tx_size;
    return 0;
}

static void out_remove(struct net_stack *s, struct net_tcb *t)
{
    if (!t->queued_out)
        return;
    for (int16_t *link = &s->tcp_out; *link >= 0; link = &s->tcb[*link].onext) {
        if (&s->tcb[*link] == t) {
            *link = t->onext;
            break;
        }
    }
    t->queued_out = false;
}

void tcb_free(struct net_stack *s, struct net_tcb *t)
{
    struct net_client *c = tcb_client(s, t);
    tcb_hash_remove(s, t);
    out_remove(s, t);
    if (t->listener >= 0 && !t->accepted) {
        struct net_tcb *l = &s->tcb[t->listener];
        if (l->nchild)
            l->nchild--;
    }
    pages_release(c, t->rx_off, t->rx_size);
    pages_release(c, t->tx_off, t->tx_size);
    if (t->sock != TCP_ORPHAN) {
        if (c->tcp_area)
            c->tcp_area->socks[t->sock].state = NETTCP_FREE;
        c->sock_tcb[t->sock] = -1;
    }
    c->tcp_used--;
    int i = tcb_index(s, t);
    t->state = TCP_FREE;
    t->hnext = s->tcb_free;
    s->tcb_free = (int16_t)i;
}

/* A half-open passive child (SYN-RECEIVED from a SYN, not from a cookie)
 * is its client's least valuable connection: its peer has shown nothing
 * (a SYN flood is made of them), yet it holds a TCB and buffers through
 * all its SYN-ACK retries. Frees the one that has waited longest, of
 * listener li, or (li < 0) of any listener of client owner, for a
 * completed handshake or the client's own call. false if there is none. */
bool tcb_prune_half_open(struct net_stack *s, uint16_t owner, int li)
{
    struct net_tcb *old = NULL;
    for (unsigned i = 0; i < NET_TCP_MAX; i++) {
        struct net_tcb *t = &s->tcb[i];
        if (t->state != TCP_SYN_RCVD || t->listener < 0 || t->cookie || t->owner != owner ||
            (li >= 0 && t->listener != li))
            continue;
        if (!old || t->retries > old->retries || (t->retries == old->retries && t->rto_at < old->rto_at))
            old = t;
    }
    if (!old)
        return false;
    s->stats.tcp_syn_pruned++;
    tcb_free(s, old);
    return true;
}

/* tcb_alloc for the client's own bind or connect: half-open children of
 * its listeners give way, so a SYN flood never takes its last connection. */
struct net_tcb *tcb_alloc_own(struct net_stack *s, uint16_t owner)
{
    struct net_tcb *t = tcb_alloc(s, owner);
    while (!t && tcb_prune_half_open(s, owner, -1))
        t = tcb_alloc(s, owner);
    return t;
}

/* tcb_buffers for the client's own listen or connect, the same way. */
int tcb_buffers_own(struct net_stack *s, struct net_tcb *t, uint32_t rx_bytes, uint32_t tx_bytes)
{
    for (;;) {
        uint64_t refused = s->stats.tcp_no_buffer;
        int r = tcb_buffers(s, t, rx_bytes, tx_bytes);
        if (!r || !tcb_prune_half_open(s, t->owner, -1))
            return r;
        s->stats.tcp_no_buffer = refused;        /* not refused after all: try again */
    }
}

/* ---- the table of connections and listeners -------------------------------- */

static unsigned bucket(uint16_t lport, uint32_t rip, uint16_t rport)
{
    uint32_t h = (uint32_t)lport * 0x9e3779b1u ^ rip * 0x85ebca6bu ^ (uint32_t)rport * 0xc2b2ae35u;
    return (h ^ h >> 16) % NET_TCP_HASH;
}

void tcb_hash_insert(struct net_stack *s, struct net_tcb *t)
{
    unsigned b = bucket(t->lport, t->rip, t->rport);
    t->hnext = s->tcp_hash[b];
    s->tcp_hash[b] = (int16_t)tcb_index(s, t);
}

void tcb_hash_remove(struct net_stack *s, struct net_tcb *t)
{
    if (!t->lport)
        return;
    unsigned b = bucket(t->lport, t->rip, t->rport);
    for (int16_t *link = &s->tcp_hash[b]; *link >= 0; link = &s->tcb[*link].hnext) {
        if (&s->tcb[*link] == t) {
            *link = t->hnext;
            break;
        }
    }
    t->hnext = -1;
}

struct net_tcb *tcb_lookup(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    for (int i = s->tcp_hash[bucket(lport, rip, rport)]; i >= 0; i = s->tcb[i].hnext) {
        struct net_tcb *t = &s->tcb[i];
        if (t->lport == lport && t->rport == rport && t->rip == rip && (t->lip == lip || !t->lip) &&
            t->state != TCP_LISTEN && t->state != TCP_BOUND)
            return t;
    }
    return NULL;
}

struct net_tcb *tcb_listener(struct net_stack *s, uint16_t lport)
{
    for (int i = s->tcp_hash[bucket(lport, 0, 0)]; i >= 0; i = s->tcb[i].hnext) {
        struct net_tcb *t = &s->tcb[i];
        if (t->lport == lport && t->state == TCP_LISTEN)
            return t;
    }
    return NULL;
}

/* A bound or listening socket holds the port (connections to peers from
 * it do not: several may share a local port). */
bool tcp_port_in_use(struct net_stack *s, uint16_t lport)
{
    for (int i = s->tcp_hash[bucket(lport, 0, 0)]; i >= 0; i = s->tcb[i].hnext) {
        struct net_tcb *t = &s->tcb[i];
        if (t->lport == lport && (t->state == TCP_LISTEN || t->state == TCP_BOUND))
            return true;
    }
    return false;
}

/* ---- the client's view -------------------------------------------------------- */

uint8_t *tcb_area(struct net_stack *s, const struct net_tcb *t)
{
    return (uint8_t *)s->clients[t->owner - 1].tcp_area;
}

volatile struct nettcp_sock *tcb_shared(struct net_stack *s, const struct net_tcb *t)
{
    return &s->clients[t->owner - 1].tcp_area->socks[t->sock];
}

/* Copies n bytes into the receive ring at byte position pos (wrapping). */
void tcb_rx_write(struct net_stack *s, struct net_tcb *t, uint32_t pos, const uint8_t *p, uint32_t n)
{
    uint8_t *ring = tcb_area(s, t) + t->rx_off;
    uint32_t at = pos & (t->rx_size - 1), first = t->rx_size - at < n ? t->rx_size - at : n;
    memcpy(ring + at, p, first);
    if (n > first)
        memcpy(ring, p + first, n - first);
}

void tcb_tx_read(struct net_stack *s, const struct net_tcb *t, uint32_t pos, uint8_t *out, uint32_t n)
{
    const uint8_t *ring = tcb_area(s, t) + t->tx_off;
    uint32_t at = pos & (t->tx_size - 1), first = t->tx_size - at < n ? t->tx_size - at : n;
    memcpy(out, ring + at, first);
    if (n > first)
        memcpy(out + first, ring, n - first);
}

/* Free bytes in the receive ring past rcv_nxt, as far as we know what the
 * client took. */
uint32_t tcp_rcv_space(struct net_stack *s, struct net_tcb *t)
{
    (void)s;
    uint32_t used = t->rx_prod - t->rx_cons_seen;
    return used < t->rx_size ? t->rx_size - used : 0;
}

static uint32_t client_state(uint8_t st)
{
    switch (st) {
    case TCP_BOUND: return NETTCP_BOUND;
    case TCP_LISTEN: return NETTCP_LISTEN;
    case TCP_SYN_SENT: case TCP_SYN_RCVD: return NETTCP_CONNECTING;
    case TCP_DONE: case TCP_FREE: return NETTCP_DONE;
    default: return NETTCP_OPEN;
    }
}

/* Writes what the client sees of t and flags it in snews. The indices go
 * last, with release order, so that the data they cover is visible first. */
void tcb_publish(struct net_stack *s, struct net_tcb *t)
{
    struct net_client *c = tcb_client(s, t);
    if (!c->tcp_area || t->sock == TCP_ORPHAN)
        return;
    volatile struct nettcp_sock *b = tcb_shared(s, t);
    uint32_t flags = 0;
    if (t->fin_rcvd || t->state == TCP_DONE)
        flags |= NETTCP_F_RX_FIN;
    if (t->state == TCP_DONE || (t->fin_queued && SEQ_GT(t->snd_una, t->fin_seq)))
        flags |= NETTCP_F_TX_DONE;
    b->error = t->error;
    b->flags = flags;
    b->local_ip = t->lip;
    b->local_port = t->lport;
    b->remote_ip = t->rip;
    b->remote_port = t->rport;
    uint32_t acked = t->state >= TCP_ESTABLISHED || t->state == TCP_DONE ? t->snd_una - t->iss - 1 : 0;
    if (t->fin_queued && SEQ_GT(t->snd_una, t->fin_seq))
        acked--;                                 /* the FIN took a sequence number, not a byte */
    if (t->tx_size)
        __atomic_store_n(&((struct nettcp_sock *)b)->tx_cons, acked, __ATOMIC_RELEASE);
    __atomic_store_n(&((struct nettcp_sock *)b)->rx_prod, t->rx_prod, __ATOMIC_RELEASE);
    __atomic_store_n(&((struct nettcp_sock *)b)->state, client_state(t->state), __ATOMIC_RELEASE);
    __atomic_fetch_or(&c->tcp_area->snews[t->sock / 64], 1ull << (t->sock % 64), __ATOMIC_RELEASE);
    c->tcp_dirty = true;
    client_mark_dirty(s, c, (uint16_t)(t->owner - 1));
}

void tcb_set_state(struct net_stack *s, struct net_tcb *t, uint8_t state)
{
    t->state = state;
    tcb_publish(s, t);
}

/* The connection is over: out of the table, timers off; the socket block
 * says DONE with err until the client lets go, then the TCB is freed. */
void tcb_finish(struct net_stack *s, struct net_tcb *t, int err)
{
    tcb_hash_remove(s, t);
    t->rto_at = t->delack_at = t->persist_at = t->keep_at = 0;
    if (!t->error)
        t->error = err;
    if (t->closed) {
        tcb_free(s, t);
        return;
    }
    tcb_set_state(s, t, TCP_DONE);
}

void tcb_orphan(struct net_stack *s, struct net_tcb *t)
{
    struct net_client *c = tcb_client(s, t);
    if (t->sock == TCP_ORPHAN)
        return;
    c->tcp_area->socks[t->sock].state = NETTCP_FREE;
    c->sock_tcb[t->sock] = -1;
    t->sock = TCP_ORPHAN;
    pages_release(c, t->rx_off, t->rx_size);      /* what arrives now is answered with RST */
    t->rx_off = t->rx_size = 0;
    t->rx_prod = t->rx_cons_seen = 0;
    if (t->fin_queued && SEQ_GT(t->snd_una, t->fin_seq))
        tcb_orphan_sent(s, t);
}

void tcb_orphan_sent(struct net_stack *s, struct net_tcb *t)
{
    if (t->sock != TCP_ORPHAN || !t->tx_size)
        return;
    pages_release(tcb_client(s, t), t->tx_off, t->tx_size);
    t->tx_off = t->tx_size = 0;
}

/* ---- TIME-WAIT --------------------------------------------------------------- */

static unsigned tw_bucket(const struct net_tcp_tw *w)
{
    return bucket(w->lport, w->rip, w->rport);
}

void tw_remove(struct net_stack *s, struct net_tcp_tw *w)
{
    if (!w->in_use)
        return;
    for (int16_t *link = &s->tw_hash[tw_bucket(w)]; *link >= 0; link = &s->tw[*link].hnext) {
        if (&s->tw[*link] == w) {
            *link = w->hnext;
            break;
        }
    }
    w->in_use = false;
}

/* t got the peer's FIN after ours was acknowledged: it waits 2 MSL in the
 * TIME-WAIT table (the oldest entry makes room when it is full, RFC 6191
 * allows taking over), and t itself is finished. */
void tw_enter(struct net_stack *s, struct net_tcb *t)
{
    struct net_tcp_tw *w = &s->tw[s->tw_next];
    s->tw_next = (s->tw_next + 1) % NET_TCP_TW_MAX;
    if (w->in_use) {
        if (w->expire > s->now)
            s->stats.tcp_tw_recycled++;
        tw_remove(s, w);
    }
    *w = (struct net_tcp_tw){ .lip = t->lip, .rip = t->rip, .lport = t->lport, .rport = t->rport,
                              .snd_nxt = t->snd_nxt, .rcv_nxt = t->rcv_nxt, .ts_recent = t->ts_recent,
                              .ts_offset = t->ts_offset, .ts_ok = t->ts_ok, .in_use = true,
                              .rcv_wscale = t->rcv_wscale, .expire = s->now + 2 * TCP_MSL_NS };
    unsigned b = tw_bucket(w);
    w->hnext = s->tw_hash[b];
    s->tw_hash[b] = (int16_t)(w - s->tw);
    tcp_timer_note(s, w->expire);
    tcb_finish(s, t, 0);
}

struct net_tcp_tw *tw_lookup(struct net_stack *s, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    for (int i = s->tw_hash[bucket(lport, rip, rport)]; i >= 0; i = s->tw[i].hnext) {
        struct net_tcp_tw *w = &s->tw[i];
        if (w->lport == lport && w->rport == rport && w->rip == rip && w->lip == lip)
            return w;
    }
    return NULL;
}
