/*
 * tcp_socket.c — TCP as its clients use it: attaching the socket area
 * (aerie/nettcp.h), bind/listen/connect/setopt (net.h), and the news a
 * client leaves in its area — data written (tx_prod), data taken
 * (rx_cons, which opens the window), accepted connections (a listener's
 * rx_cons), shutdown and close (cflags).
 *
 * Ports as capabilities: a client binds or listens only on the TCP ports
 * of its NET_GRANT_TCP ranges, and connects only to destination ports of
 * its NET_GRANT_TCP_OUT ranges; its local port for a connection is an
 * ephemeral one (49152-65535) that no listener holds. Every connection
 * counts against the client's budget (tcp_conns), reserved out of
 * NET_TCP_MAX when the client was added, so no client can take another's.
 */
#include "tcp.h"

/* The client an id names; NULL if none. (client.c has its twin for UDP.) */
static struct net_client *client_of(struct net_stack *s, uint32_t id, uint16_t *owner)
{
    unsigned i = id & 0xffff;
    if (i >= NET_MAX_CLIENTS || (id >> 16) == 0)
        return NULL;
    struct net_client *c = &s->clients[i];
    if (!c->in_use || c->gen != (id >> 16))
        return NULL;
    *owner = (uint16_t)(i + 1);
    return c;
}

static bool granted(const struct net_client *c, uint8_t kind, uint16_t port)
{
    for (unsigned i = 0; i < c->ngrants; i++)
        if (c->grants[i].kind == kind && port >= c->grants[i].lo && port <= c->grants[i].hi)
            return true;
    return false;
}

/* The client's socket `sock` and its TCB, or NULL. */
static struct net_tcb *sock_tcb(struct net_stack *s, struct net_client *c, uint32_t sock)
{
    if (!c->tcp_area || sock >= c->tcp_nsocks || c->sock_tcb[sock] < 0)
        return NULL;
    return &s->tcb[c->sock_tcb[sock]];
}

/* A buffer size from the client: a power of two of whole pages. */
static uint32_t buf_size(uint32_t want)
{
    uint32_t b = NETTCP_BUF_MIN;
    if (!want)
        want = NETTCP_BUF_DEFAULT;
    while (b < want && b < NETTCP_BUF_MAX)
        b <<= 1;
    return b;
}

/* ---- the area ------------------------------------------------------------------ */

static void client_news(struct net_stack *s, struct net_client *c, unsigned *work);

/* The end of a connection whose client goes. If the client had closed
 * it and every byte it sent is acknowledged, it ends as after any close:
 * the FIN goes out if it had not yet, and the connection waits in the
 * TIME-WAIT table (which holds nothing of the client's and ACKs the
 * peer's FIN), so the peer reads EOF and closes cleanly. Otherwise data
 * is lost and the peer gets a RST. Either way the stack's own packet
 * (owner 0), so a peer of ours hears it through the loopback queue even
 * if this client's share of the queue is full. Frees t. */
static void goodbye(struct net_stack *s, struct net_tcb *t)
{
    if (t->state < TCP_SYN_RCVD || t->state == TCP_DONE) {
        tcb_free(s, t);
        return;
    }
    if (t->closed && t->fin_queued && SEQ_GEQ(t->snd_una, t->fin_seq) && t->state != TCP_SYN_RCVD) {
        if (!SEQ_GT(t->snd_max, t->fin_seq))
            tcp_send_raw(s, t->lip, t->lport, t->rip, t->rport, t->fin_seq, t->rcv_nxt, TCP_FIN | TCP_ACK, 0,
                         NULL, 0, 0);
        t->snd_nxt = t->fin_seq + 1;
        tw_enter(s, t);                          /* t->closed: tcb_finish frees it */
        return;
    }
    tcp_send_raw(s, t->lip, t->lport, t->rip, t->rport, t->snd_nxt, t->rcv_nxt, TCP_RST | TCP_ACK, 0, NULL, 0, 0);
    s->stats.tcp_rst_tx++;
    tcb_free(s, t);
}

void tcp_client_gone(struct net_stack *s, uint16_t owner)
{
    struct net_client *c = &s->clients[owner - 1];
    unsigned work = 0;
    if (c->tcp_area)
        client_news(s, c, &work);               /* its last words first: a close it posted is a close */
    for (unsigned i = 0; i < NET_TCP_MAX && c->tcp_used; i++) {   /* orphans too: they have no block */
        struct net_tcb *t = &s->tcb[i];
        if (t->state == TCP_FREE || t->owner != owner)
            continue;
        goodbye(s, t);
    }
    c->tcp_area = NULL;
    c->tcp_nsocks = 0;
    c->tcp_dirty = false;
}

/* Checks an area a client lends for its TCP sockets and makes it c's,
 * dropping whatever c had before. Shared by attach (a fresh area) and
 * resume (an area the earlier instance of net left filled in). */
static int tcp_area_adopt(struct net_stack *s, uint32_t id, void *mem, size_t bytes, uint32_t nsocks,
                          struct net_client **cp, uint16_t *owner)
{
    struct net_client *c = client_of(s, id, owner);
    if (!c)
        return AE_ESRCH;
    if (!c->tcp_conns)
        return AE_EACCES;
    if (!mem || ((uintptr_t)mem & (NETTCP_PAGE - 1)) || nsocks < 1 || nsocks > NETTCP_MAX_SOCKS ||
        bytes % NETTCP_PAGE || bytes < NETTCP_HDR_BYTES(nsocks) + NETTCP_PAGE ||
        bytes > NETTCP_HDR_BYTES(nsocks) + (size_t)NET_TCP_AREA_PAGES * NETTCP_PAGE)
        return AE_EINVAL;
    tcp_client_gone(s, *owner);
    c->tcp_area = mem;
    c->tcp_bytes = (uint32_t)bytes;
    c->tcp_nsocks = nsocks;
    c->tcp_buf_off = (uint32_t)NETTCP_HDR_BYTES(nsocks);
    c->tcp_npages = (uint32_t)((bytes - c->tcp_buf_off) / NETTCP_PAGE);
    memset(c->page_used, 0, sizeof c->page_used);
    for (unsigned i = 0; i < NETTCP_MAX_SOCKS; i++)
        c->sock_tcb[i] = -1;
    *cp = c;
    return 0;
}

int net_tcp_attach(struct net_stack *s, uint32_t id, void *mem, size_t bytes, uint32_t nsocks)
{
    uint16_t owner;
    struct net_client *c;
    int r = tcp_area_adopt(s, id, mem, bytes, nsocks, &c, &owner);
    if (r)
        return r;
    struct nettcp_area *a = mem;
    memset(a, 0, NETTCP_HDR_BYTES(nsocks));
    a->nsocks = nsocks;
    a->bytes = (uint32_t)bytes;
    a->buf_off = c->tcp_buf_off;
    __atomic_store_n(&a->magic, NETTCP_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

/* Takes the pages [off, off + size) of c's area for a socket taken over,
 * if they are a buffer the area can hold and nobody holds yet; false
 * otherwise (the client changed them: it is left without). */
static bool pages_claim(struct net_client *c, uint32_t off, uint32_t size)
{
    if (size < NETTCP_BUF_MIN || size > NETTCP_BUF_MAX || (size & (size - 1)) || off % NETTCP_PAGE ||
        off < c->tcp_buf_off || off > c->tcp_bytes || size > c->tcp_bytes - off)
        return false;
    uint32_t first = (off - c->tcp_buf_off) / NETTCP_PAGE, n = size / NETTCP_PAGE;
    for (uint32_t p = first; p < first + n; p++)
        if (c->page_used[p / 64] & (1ull << (p % 64)))
            return false;
    for (uint32_t p = first; p < first + n; p++)
        c->page_used[p / 64] |= 1ull << (p % 64);
    return true;
}

/* Socket block i was in use under the earlier instance: a TCB that only
 * says so (DONE, connection reset) and holds the block and its buffers
 * until the client closes it, as any finished connection does. */
static void tcp_resume_block(struct net_stack *s, struct net_client *c, uint16_t owner, unsigned i)
{
    volatile struct nettcp_sock *b = &c->tcp_area->socks[i];
    if (c->tcp_used >= c->tcp_conns || s->tcb_free < 0) {
        b->state = NETTCP_FREE;                   /* no TCB for it: the block is free again */
        return;
    }
    int k = s->tcb_free;
    struct net_tcb *t = &s->tcb[k];
    s->tcb_free = t->hnext;
    memset(t, 0, sizeof *t);
    t->state = TCP_DONE;
    t->owner = owner;
    t->sock = (uint16_t)i;
    t->hnext = t->listener = t->onext = -1;
    t->gen = b->gen;
    t->error = AE_ECONNRESET;
    t->lip = b->local_ip;
    t->rip = b->remote_ip;
    t->lport = b->local_port;
    t->rport = b->remote_port;
    t->rx_prod = b->rx_prod;
    t->rx_cons_seen = b->rx_cons;
    t->tx_prod_seen = b->tx_prod;
    uint32_t rx_off = b->rx_off, rx_size = b->rx_size, tx_off = b->tx_off, tx_size = b->tx_size;
    if (pages_claim(c, rx_off, rx_size)) {
        t->rx_off = rx_off;
        t->rx_size = rx_size;
    }
    if (pages_claim(c, tx_off, tx_size)) {
        t->tx_off = tx_off;
        t->tx_size = tx_size;
        t->snd_una = b->tx_cons + 1;              /* what tcb_publish shows as released: unchanged */
    }
    c->sock_tcb[i] = (int16_t)k;
    c->tcp_used++;
    tcb_publish(s, t);
}

int net_tcp_resume(struct net_stack *s, uint32_t id, void *mem, size_t bytes, uint32_t nsocks)
{
    uint16_t owner;
    struct net_client *c;
    int r = tcp_area_adopt(s, id, mem, bytes, nsocks, &c, &owner);
    if (r)
        return r;
    struct nettcp_area *a = mem;
    for (unsigned i = 0; i < nsocks; i++)
        if (__atomic_load_n(&a->socks[i].state, __ATOMIC_ACQUIRE) != NETTCP_FREE)
            tcp_resume_block(s, c, owner, i);
    return 0;
}

void net_tcp_detach(struct net_stack *s, uint32_t id)
{
    uint16_t owner;
    if (client_of(s, id, &owner))
        tcp_client_gone(s, owner);
}

/* ---- the calls ---------------------------------------------------------------------- */

int net_tcp_bind(struct net_stack *s, uint32_t id, uint16_t port, uint32_t opts, uint32_t *sock,
                 uint16_t *bound)
{
    uint16_t owner;
    struct net_client *c = client_of(s, id, &owner);
    if (!c)
        return AE_ESRCH;
    if (!c->tcp_area)
        return c->tcp_conns ? AE_ENOTCONN : AE_EACCES;
    if (port == 0) {
        bool any = false;
        for (unsigned g = 0; g < c->ngrants && !port; g++) {
            if (c->grants[g].kind != NET_GRANT_TCP)
                continue;
            any = true;
            for (uint32_t p = c->grants[g].lo; p <= c->grants[g].hi && !port; p++)
                if (!tcp_port_in_use(s, (uint16_t)p))
                    port = (uint16_t)p;
        }
        if (!port)
            return any ? AE_EADDRNOTAVAIL : AE_EACCES;
    } else if (!granted(c, NET_GRANT_TCP, port)) {
        return AE_EACCES;
    } else if (tcp_port_in_use(s, port)) {
        return AE_EADDRINUSE;
    }
    struct net_tcb *t = tcb_alloc_own(s, owner);
    if (!t)
        return AE_ENOMEM;
    t->lip = s->cfg.ip;
    t->lport = port;
    t->reuse = opts & NET_TCP_O_REUSEADDR;
    t->nodelay = opts & NET_TCP_O_NODELAY;
    t->keepalive = opts & NET_TCP_O_KEEPALIVE;
    tcb_hash_insert(s, t);
    tcb_publish(s, t);
    *sock = t->sock;
    if (bound)
        *bound = port;
    return 0;
}

int net_tcp_listen(struct net_stack *s, uint32_t id, uint32_t sock, unsigned backlog,
                   uint32_t rcvbuf, uint32_t sndbuf, uint32_t opts)
{
    uint16_t owner;
    struct net_client *c = client_of(s, id, &owner);
    if (!c)
        return AE_ESRCH;
    struct net_tcb *t = sock_tcb(s, c, sock);
    if (!t || t->closed)
        return AE_EBADF;
    if (t->state == TCP_LISTEN)
        return 0;
    if (t->state != TCP_BOUND)
        return AE_EINVAL;
    if (tcb_buffers_own(s, t, NETTCP_PAGE, 0))
        return AE_ENOMEM;
    t->backlog = (uint16_t)(backlog < 1 ? 1 : backlog > NETTCP_BACKLOG_MAX ? NETTCP_BACKLOG_MAX : backlog);
    t->child_bufs = buf_size(rcvbuf) / NETTCP_PAGE | (buf_size(sndbuf) / NETTCP_PAGE) << 16;
    t->child_opts = (uint8_t)(opts | (t->nodelay ? NET_TCP_O_NODELAY : 0) |
                              (t->keepalive ? NET_TCP_O_KEEPALIVE : 0));
    tcb_set_state(s, t, TCP_LISTEN);
    return 0;
}

/* A local port for a connection from lip to rip:rport: free of listeners
 * and of any connection or TIME-WAIT entry with the same four numbers,
 * and toward ourselves never rport itself (a connection to itself). */
static uint16_t ephemeral(struct net_stack *s, uint32_t lip, uint32_t rip, uint16_t rport)
{
    for (unsigned n = 0; n < 16384; n++) {
        uint16_t p = s->tcp_ephemeral;
        s->tcp_ephemeral = (uint16_t)(p == 65535 ? 49152 : p + 1);
        if (!tcp_port_in_use(s, p) && !tcb_lookup(s, lip, p, rip, rport) && !tw_lookup(s, lip, p, rip, rport) &&
            !(p == rport && ipv4_is_local(s, rip)))
            return p;
    }
    return 0;
}

static int connect_check(struct net_stack *s, struct net_client *c, uint32_t ip, uint16_t port)
{
    if (ip == 0)
        return AE_EDESTADDRREQ;
    if (port == 0)
        return AE_EINVAL;
    if (!granted(c, NET_GRANT_TCP_OUT, port))
        return AE_EACCES;
    if (ipv4_is_broadcast(s, ip))
        return AE_EACCES;
    if (ipv4_is_local(s, ip))
        return 0;                                /* loopback (loop.c): the listener's port is checked by its SYN */
    if (ipv4_is_multicast_or_reserved(ip) || (!ipv4_on_subnet(s, ip) && !s->cfg.gateway))
        return AE_EADDRNOTAVAIL;
    return 0;
}

/* The TCB a connect starts from: a new one on an ephemeral port, or the
 * client's bound socket. NULL and *err if neither. */
static struct net_tcb *connect_tcb(struct net_stack *s, struct net_client *c, uint16_t owner, uint32_t sock,
                                   uint32_t ip, uint16_t port, int *err)
{
    struct net_tcb *t;
    uint32_t lip = ipv4_source_for(s, ip);
    if (sock == NET_TCP_NEW) {
        uint16_t p = ephemeral(s, lip, ip, port);
        *err = !p ? AE_EADDRNOTAVAIL : AE_ENOMEM;
        if (!p || !(t = tcb_alloc_own(s, owner)))
            return NULL;
        t->lip = lip;
        t->lport = p;
        return t;
    }
    t = sock_tcb(s, c, sock);
    *err = !t || t->closed ? AE_EBADF : t->state == TCP_LISTEN ? AE_EINVAL : t->state != TCP_BOUND ? AE_EISCONN
         : tcb_lookup(s, lip, t->lport, ip, port) || (t->lport == port && ipv4_is_local(s, ip)) ? AE_EADDRINUSE : 0;
    if (*err)
        return NULL;
    tcb_hash_remove(s, t);
    t->lip = lip;
    return t;
}

int net_tcp_connect(struct net_stack *s, uint32_t id, uint32_t sock, uint32_t ip, uint16_t port,
                    uint32_t rcvbuf, uint32_t sndbuf, uint32_t opts, uint32_t *sock_out, uint16_t *lport)
{
    uint16_t owner;
    struct net_client *c = client_of(s, id, &owner);
    if (!c)
        return AE_ESRCH;
    if (!c->tcp_area)
        return c->tcp_conns ? AE_ENOTCONN : AE_EACCES;
    int r = connect_check(s, c, ip, port);
    struct net_tcb *t = r ? NULL : connect_tcb(s, c, owner, sock, ip, port, &r);
    if (!t)
        return r;
    if (tcb_buffers_own(s, t, buf_size(rcvbuf), buf_size(sndbuf))) {
        tcb_free(s, t);
        return AE_ENOMEM;
    }
    t->rip = ip;
    t->rport = port;
    t->nodelay = t->nodelay || (opts & NET_TCP_O_NODELAY);
    t->keepalive = t->keepalive || (opts & NET_TCP_O_KEEPALIVE);
    t->iss = tcp_isn(s, t->lip, t->lport, ip, port);
    t->snd_una = t->snd_nxt = t->snd_max = t->recover = t->iss;
    t->rcv_wscale = 0;
    while (t->rcv_wscale < TCP_WSCALE_MAX && (0xffffu << t->rcv_wscale) < t->rx_size)
        t->rcv_wscale++;
    t->ts_offset = (uint32_t)tcp_hash64(s, t->iss, (uint64_t)t->lport << 16 | port);
    t->peer_mss = TCP_MSS_DEFAULT;
    t->mss = TCP_MSS_DEFAULT;
    t->state = TCP_SYN_SENT;
    tcb_hash_insert(s, t);
    tcp_send_syn(s, t);
    t->rtt_start = s->now;
    tcp_rto_restart(s, t);
    tcb_publish(s, t);
    *sock_out = t->sock;
    if (lport)
        *lport = t->lport;
    return 0;
}

int net_tcp_setopt(struct net_stack *s, uint32_t id, uint32_t sock, uint32_t opt, uint32_t val)
{
    uint16_t owner;
    struct net_client *c = client_of(s, id, &owner);
    if (!c)
        return AE_ESRCH;
    struct net_tcb *t = sock_tcb(s, c, sock);
    if (!t || t->closed)
        return AE_EBADF;
    switch (opt) {
    case NET_TCPOPT_NODELAY:
        t->nodelay = val != 0;
        t->child_opts = (uint8_t)((t->child_opts & ~NET_TCP_O_NODELAY) | (val ? NET_TCP_O_NODELAY : 0));
        tcp_want_output(s, t);                   /* small data held back by Nagle may go now */
        return 0;
    case NET_TCPOPT_KEEPALIVE:
        t->keepalive = val != 0;
        t->child_opts = (uint8_t)((t->child_opts & ~NET_TCP_O_KEEPALIVE) | (val ? NET_TCP_O_KEEPALIVE : 0));
        break;
    case NET_TCPOPT_KEEPIDLE:
        if (val < 1 || val > 86400)
            return AE_EINVAL;
        t->keep_idle_s = val;
        break;
    case NET_TCPOPT_KEEPINTVL:
        if (val < 1 || val > 3600)
            return AE_EINVAL;
        t->keep_intvl_s = val;
        break;
    case NET_TCPOPT_KEEPCNT:
        if (val < 1 || val > 127)
            return AE_EINVAL;
        t->keep_cnt = (uint8_t)val;
        break;
    default:
        return AE_EINVAL;
    }
    tcp_keep_reset(s, t);
    return 0;
}

/* ---- the accept queue ----------------------------------------------------------------- */

/* child is established: its socket index goes into its listener's queue. */
void tcp_accept_queue_push(struct net_stack *s, struct net_tcb *child)
{
    struct net_tcb *l = &s->tcb[child->listener];
    uint8_t id[4];
    memcpy(id, &(uint32_t){ child->sock }, 4);
    child->qpos = l->rx_prod;
    tcb_rx_write(s, l, l->rx_prod, id, 4);
    l->rx_prod += 4;
    tcb_publish(s, l);
}

/* The client took queue entries up to `cons`: those children are its own. */
static void accepted_upto(struct net_stack *s, struct net_client *c, struct net_tcb *l, uint32_t cons)
{
    int li = tcb_index(s, l);
    for (unsigned i = 0; i < c->tcp_nsocks; i++) {
        if (c->sock_tcb[i] < 0)
            continue;
        struct net_tcb *t = &s->tcb[c->sock_tcb[i]];
        if (t->listener == li && !t->accepted && t->state != TCP_SYN_RCVD && SEQ_LT(t->qpos, cons)) {
            t->accepted = true;
            if (l->nchild)
                l->nchild--;
        }
    }
}

/* The listener closes: children nobody took are reset and freed. */
static void close_listener(struct net_stack *s, struct net_client *c, struct net_tcb *l)
{
    int li = tcb_index(s, l);
    for (unsigned i = 0; i < c->tcp_nsocks; i++) {
        if (c->sock_tcb[i] < 0)
            continue;
        struct net_tcb *t = &s->tcb[c->sock_tcb[i]];
        if (t->listener != li || t->accepted)
            continue;
        if (t->state != TCP_DONE)
            tcp_send_rst(s, t);
        tcb_free(s, t);
    }
}

/* ---- news from the client ---------------------------------------------------------------- */

/* The client's rx_cons, if it is sane: not before what it already took,
 * not past what we published. */
static bool read_rx_cons(volatile struct nettcp_sock *b, const struct net_tcb *t, uint32_t *out)
{
    uint32_t v = __atomic_load_n(&((struct nettcp_sock *)b)->rx_cons, __ATOMIC_ACQUIRE);
    if ((int32_t)(v - t->rx_cons_seen) < 0 || (int32_t)(t->rx_prod - v) < 0)
        return false;
    *out = v;
    return true;
}

static void shut_write(struct net_stack *s, struct net_tcb *t)
{
    if (t->fin_queued || (t->state != TCP_ESTABLISHED && t->state != TCP_CLOSE_WAIT))
        return;
    t->fin_queued = true;
    t->fin_seq = t->iss + 1 + t->tx_prod_seen;
    t->state = t->state == TCP_ESTABLISHED ? TCP_FIN_WAIT_1 : TCP_LAST_ACK;
    tcp_want_output(s, t);
}

/* The client let go of t. Returns false if t is gone. */
static bool client_close(struct net_stack *s, struct net_client *c, struct net_tcb *t)
{
    t->closed = true;
    switch (t->state) {
    case TCP_LISTEN:
        close_listener(s, c, t);
        tcb_free(s, t);
        return false;
    case TCP_BOUND:
    case TCP_SYN_SENT:
    case TCP_DONE:
        tcb_free(s, t);
        return false;
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        if (t->rx_prod != t->rx_cons_seen) {     /* data nobody will read: abort (RFC 2525 2.17) */
            tcp_send_rst(s, t);
            tcb_finish(s, t, AE_ECONNRESET);
            return false;
        }
        shut_write(s, t);
        break;
    default:
        tcp_keep_reset(s, t);                    /* FIN-WAIT-2 now waits only so long */
        break;
    }
    tcb_orphan(s, t);                            /* the block and buffers are the client's again */
    return false;
}

/* The client took bytes: a window update if the window grew enough
 * (RFC 1122 4.2.3.3), or at all after we advertised none. */
static void rx_taken(struct net_stack *s, struct net_tcb *t, uint32_t cons)
{
    bool was_closed = SEQ_LEQ(t->rcv_adv, t->rcv_nxt);
    t->rx_cons_seen = cons;
    uint32_t edge = t->rcv_nxt + tcp_rcv_space(s, t);
    uint32_t step = t->rx_size / 2 < 2u * t->mss ? t->rx_size / 2 : 2u * t->mss;
    if (was_closed || (SEQ_GT(edge, t->rcv_adv) && edge - t->rcv_adv >= step)) {
        t->ack_now = true;
        tcp_want_output(s, t);
    }
}

/* Socket t's client line changed (or may have). */
static void sock_news(struct net_stack *s, struct net_client *c, struct net_tcb *t)
{
    volatile struct nettcp_sock *b = tcb_shared(s, t);
    uint32_t cflags = b->cflags, cons;
    if (read_rx_cons(b, t, &cons) && cons != t->rx_cons_seen) {
        if (t->state == TCP_LISTEN) {
            t->rx_cons_seen = cons;
            accepted_upto(s, c, t, cons);
        } else {
            rx_taken(s, t, cons);
        }
    }
    if (t->tx_size && !t->fin_queued && t->state != TCP_DONE) {   /* DONE sends nothing more */
        uint32_t v = __atomic_load_n(&((struct nettcp_sock *)b)->tx_prod, __ATOMIC_ACQUIRE);
        uint32_t acked = t->state >= TCP_ESTABLISHED ? t->snd_una - t->iss - 1 : 0;
        if ((int32_t)(v - t->tx_prod_seen) > 0 && v - acked <= t->tx_size) {
            t->tx_prod_seen = v;
            tcp_want_output(s, t);
        } else if (v != t->tx_prod_seen) {
            s->stats.client_ring_corrupt++;
        }
    }
    if ((cflags & NETTCP_C_CLOSE) && !t->closed) {
        if (!client_close(s, c, t))
            return;
    } else if (cflags & NETTCP_C_SHUT_WR) {
        shut_write(s, t);
    }
    tcb_publish(s, t);
}

/* c's cnews bits: the sockets it says changed. */
static void client_news(struct net_stack *s, struct net_client *c, unsigned *work)
{
    for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++) {
        if (!__atomic_load_n(&c->tcp_area->cnews[w], __ATOMIC_RELAXED))
            continue;
        uint64_t bits = __atomic_exchange_n(&c->tcp_area->cnews[w], 0, __ATOMIC_ACQ_REL);
        while (bits) {
            unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            struct net_tcb *t = sock_tcb(s, c, i);
            if (t) {
                sock_news(s, c, t);
                (*work)++;
            }
        }
    }
}

void tcp_poll_news(struct net_stack *s, unsigned *work)
{
    for (unsigned k = 0; k < s->nactive; k++) {
        struct net_client *c = &s->clients[s->active[k]];
        if (c->tcp_area)
            client_news(s, c, work);
    }
}

bool tcp_idle_prepare(struct net_stack *s)
{
    bool idle = true;
    for (unsigned k = 0; k < s->nactive; k++) {
        struct net_client *c = &s->clients[s->active[k]];
        if (!c->tcp_area)
            continue;
        __atomic_store_n(&c->tcp_area->svc_wants_kick, 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++)
            if (__atomic_load_n(&c->tcp_area->cnews[w], __ATOMIC_RELAXED))
                idle = false;
    }
    return idle && s->tcp_out < 0;
}

void tcp_idle_end(struct net_stack *s)
{
    for (unsigned k = 0; k < s->nactive; k++) {
        struct net_client *c = &s->clients[s->active[k]];
        if (c->tcp_area)
            __atomic_store_n(&c->tcp_area->svc_wants_kick, 0, __ATOMIC_RELAXED);
    }
}

/* After publishing: does the client sleep waiting for news? */
void tcp_publish_client(struct net_stack *s, struct net_client *c, uint16_t slot, bool *wake)
{
    (void)s;
    (void)slot;
    if (!c->tcp_dirty || !c->tcp_area)
        return;
    c->tcp_dirty = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->tcp_area->client_wants_wake, __ATOMIC_RELAXED))
        *wake = true;
}

/* ---- gauges ---------------------------------------------------------------------------------- */

const char *const net_tcp_gauge_names[NET_TCP_GAUGES] = {
    "tcp_now_tcbs", "tcp_now_listen", "tcp_now_syn", "tcp_now_established", "tcp_now_fin_wait",
    "tcp_now_close_wait", "tcp_now_closing", "tcp_now_done", "tcp_now_time_wait", "tcp_now_reserved",
};

static unsigned gauge_of(uint8_t st)
{
    switch (st) {
    case TCP_LISTEN: return 1;
    case TCP_SYN_SENT: case TCP_SYN_RCVD: return 2;
    case TCP_ESTABLISHED: return 3;
    case TCP_FIN_WAIT_1: case TCP_FIN_WAIT_2: return 4;
    case TCP_CLOSE_WAIT: return 5;
    case TCP_CLOSING: case TCP_LAST_ACK: return 6;
    case TCP_DONE: return 7;
    default: return 0;                          /* bound: counted in the total only */
    }
}

void net_tcp_gauges(const struct net_stack *s, uint64_t out[NET_TCP_GAUGES])
{
    memset(out, 0, NET_TCP_GAUGES * sizeof out[0]);
    for (unsigned i = 0; i < NET_TCP_MAX; i++) {
        uint8_t st = s->tcb[i].state;
        if (st == TCP_FREE)
            continue;
        out[0]++;
        unsigned g = gauge_of(st);
        if (g)
            out[g]++;
    }
    for (unsigned i = 0; i < NET_TCP_TW_MAX; i++)
        out[8] += s->tw[i].in_use && s->tw[i].expire > s->now;
    out[9] = s->tcp_reserved;
}
