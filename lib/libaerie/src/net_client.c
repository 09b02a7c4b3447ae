/*
 * net_client.c — the program's session with the net service (see
 * libaerie/net.h and docs/NET.md, "Protocol"). Opening it makes the ring
 * memory and our notification from the program's own quota, sends both
 * to the service with NET_ATTACH (the memory read-write only, the
 * notification signal-only), and opens the rings the service formatted.
 * A program with TCP connections gets its socket area in the same memory
 * (tcp_client.c uses it).
 */
#include <libaerie/net.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>
#include <string.h>
#include "netring.h"
#include "net_session.h"

#define CALL_TIMEOUT 10000000000ull      /* a service that never receives is gone */
#define LIVENESS_NS  1000000000ull       /* a long wait asks the service this often if we still exist */
#define CALL_ATTEMPTS 4                  /* a call the service died with is made again (it restarted) */

struct ae_net_session ae__net;
#define sess ae__net

static uint64_t net_ep(void)
{
    if (!sess.ep)
        sess.ep = ae_capenv_lookup("net");
    return sess.ep;
}

int ae_net_available(void)
{
    return net_ep() ? 0 : AE_EACCES;
}

/* A call the service died with (AE_EDEAD: it had received it) is made
 * again, a few times: the service's endpoint outlives it, the next
 * instance receives the call and knows us (docs/RESTART.md, "net"). A bind
 * sent again says so, since the first may have bound the port already. */
int ae__net_call(uint64_t label, const uint64_t *w, unsigned nw, uint64_t *out, unsigned nout)
{
    if (!net_ep())
        return AE_EACCES;
    struct aerie_utcb *u = ae_utcb();
    int64_t r = AE_EDEAD;
    for (unsigned attempt = 0; attempt < CALL_ATTEMPTS && r == AE_EDEAD; attempt++) {
        for (unsigned i = 0; i < nw; i++)
            u->mr[i] = w[i];
        unsigned n = nw;
        if (attempt && label == NET_BIND && nw == 1)
            u->mr[n++] = NET_BIND_AGAIN;
        r = ae_call(sess.ep, AERIE_INFO(label, n, 0), CALL_TIMEOUT);
    }
    if (r < 0)
        return (int)r;
    if (AERIE_INFO_LABEL((uint64_t)r))
        return proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
    for (unsigned i = 0; i < nout && i < AERIE_INFO_NWORDS((uint64_t)r); i++)
        out[i] = u->mr[i];
    return 0;
}

/* A number from the environment, or 0; a K, M or G after the digits
 * multiplies it (AERIE_NET_TCP_MEM=8M), as sizes do in a spec. */
static uint64_t env_number(const char *pre)
{
    for (char **e = ae_start.envp; e && *e; e++) {
        unsigned i = 0;
        while (pre[i] && (*e)[i] == pre[i])
            i++;
        if (pre[i])
            continue;
        uint64_t n = 0;
        const char *p = *e + i;
        for (; *p >= '0' && *p <= '9' && n < (1ull << 40); p++)
            n = n * 10 + (uint64_t)(*p - '0');
        unsigned shift = *p == 'K' || *p == 'k' ? 10 : *p == 'M' || *p == 'm' ? 20 : *p == 'G' || *p == 'g' ? 30 : 0;
        return n < (1ull << 40) ? n << shift : n;
    }
    return 0;
}

static uint32_t ring_slots(void)
{
    uint64_t n = env_number("AERIE_NET_SLOTS=");
    if (n >= NET_RING_SLOTS_MIN && n <= NET_RING_SLOTS_MAX && !(n & (n - 1)))
        return (uint32_t)n;
    return NET_RING_SLOTS_DEFAULT;
}

/* The TCP area: none without TCP; else $AERIE_NET_TCP_MEM bytes of
 * buffers (rounded to pages, 64 KiB .. 16 MiB) for $AERIE_NET_TCP_SOCKS
 * sockets (at most the connections we were granted). Without
 * $AERIE_NET_TCP_MEM, room for a default receive and send buffer (32 KiB
 * each) for every connection granted, at least 1 MiB: a program given
 * net.conns=128 can open them all without knowing the variable. */
static void tcp_geometry(uint64_t conns, uint64_t *bytes, uint32_t *nsocks)
{
    *bytes = 0;
    *nsocks = 0;
    if (!conns)
        return;
    uint64_t n = env_number("AERIE_NET_TCP_SOCKS=");
    if (!n || n > conns)
        n = conns;
    if (n > NETTCP_MAX_SOCKS)
        n = NETTCP_MAX_SOCKS;
    uint64_t buf = env_number("AERIE_NET_TCP_MEM=");
    if (!buf)
        buf = n * AE_TCP_CONN_BYTES > AE_TCP_MEM_DEFAULT ? n * AE_TCP_CONN_BYTES : AE_TCP_MEM_DEFAULT;
    buf = (buf + NETTCP_PAGE - 1) & ~(uint64_t)(NETTCP_PAGE - 1);
    if (buf < 16 * NETTCP_PAGE)
        buf = 16 * NETTCP_PAGE;
    if (buf > 4096ull * NETTCP_PAGE)
        buf = 4096ull * NETTCP_PAGE;
    *nsocks = (uint32_t)n;
    *bytes = NETTCP_HDR_BYTES(n) + buf;
}

/* A copy of cap with only `rights`, for handing over. */
static uint64_t restricted(uint64_t cap, uint64_t rights)
{
    uint64_t s = ae_slot_alloc();
    if (s && ae_cap_copy(cap, s, rights, 0) < 0) {
        ae_slot_free(s);
        s = 0;
    }
    return s;
}

static void drop_slot(uint64_t s)
{
    if (s) {
        ae_cap_delete(s);
        ae_slot_free(s);
    }
}

/* NET_ATTACH: hands the service our ring memory and notification, gets
 * its notification back into sess.kick. */
static int attach(uint32_t n, uint64_t tcp_bytes, uint32_t nsocks)
{
    uint64_t mem = restricted(sess.mem, AERIE_R_READ | AERIE_R_WRITE);
    uint64_t ntfn = restricted(sess.ntfn, AERIE_R_WRITE);
    sess.kick = ae_slot_alloc();
    int r = AE_ENOMEM;
    if (mem && ntfn && sess.kick) {
        struct aerie_utcb *u = ae_utcb();
        int64_t ir = AE_EDEAD;
        for (unsigned attempt = 0; attempt < CALL_ATTEMPTS && ir == AE_EDEAD; attempt++) {
            u->mr[0] = n;
            u->mr[1] = tcp_bytes;
            u->mr[2] = nsocks;
            u->caps[0] = (uint32_t)mem;
            u->caps[1] = (uint32_t)ntfn;
            u->recv_slots[0] = (uint32_t)sess.kick;
            ir = ae_call(sess.ep, AERIE_INFO(NET_ATTACH, 3, 2), CALL_TIMEOUT);
            u->recv_slots[0] = 0;
        }
        r = ir < 0 ? (int)ir
          : AERIE_INFO_LABEL((uint64_t)ir) ? proto_status_of(AERIE_INFO_LABEL((uint64_t)ir))
          : AERIE_INFO_NCAPS((uint64_t)ir) != 1 ? AE_EPROTO : 0;
    }
    drop_slot(mem);
    drop_slot(ntfn);
    if (r && sess.kick) {
        ae_slot_free(sess.kick);
        sess.kick = 0;
    }
    return r;
}

int ae_net_open(void)
{
    if (sess.open)
        return 0;
    if (!net_ep())
        return AE_EACCES;
    uint32_t n = ring_slots(), nsocks;
    uint64_t info[5] = { 0 }, tcp_bytes;
    int r = ae__net_call(NET_INFO, 0, 0, info, 5);
    if (r)
        return r;
    tcp_geometry(info[4], &tcp_bytes, &nsocks);
    sess.bytes = NET_RING_MEM_BYTES(n) + tcp_bytes;
    sess.ntfn = ae_slot_alloc();
    if (!sess.ntfn || ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, sess.ntfn, 0, 0, 0) < 0) {
        ae_slot_free(sess.ntfn);
        sess.ntfn = 0;
        return AE_ENOMEM;
    }
    sess.va = ae_mem_map_new(sess.bytes, &sess.mem);
    r = sess.va ? attach(n, tcp_bytes, nsocks) : AE_ENOMEM;
    if (!r && (netring_open(&sess.tx, sess.va, NETRING_BYTES(n)) ||
               netring_open(&sess.rx, (uint8_t *)sess.va + NET_RING_RX_OFFSET(n), NETRING_BYTES(n)) ||
               sess.tx.nslots != n || sess.rx.nslots != n))
        r = AE_EPROTO;
    if (!r && tcp_bytes) {
        sess.tcp = (struct nettcp_area *)((uint8_t *)sess.va + NET_TCP_AREA_OFFSET(n));
        if (__atomic_load_n(&sess.tcp->magic, __ATOMIC_ACQUIRE) != NETTCP_MAGIC || sess.tcp->nsocks != nsocks)
            r = AE_EPROTO;
        sess.tcp_socks = nsocks;
        sess.tcp_bytes = tcp_bytes;
    }
    if (r) {
        if (sess.va)
            ae_mem_unmap_delete(sess.va, sess.bytes, sess.mem);
        drop_slot(sess.ntfn);
        drop_slot(sess.kick);
        sess.va = 0;
        sess.tcp = 0;
        sess.ntfn = sess.kick = 0;
        return r;
    }
    sess.open = true;
    return 0;
}

int ae_net_bind(uint16_t port, uint16_t *bound)
{
    uint64_t got = 0;
    int r = ae__net_call(NET_BIND, (uint64_t[]){ port }, 1, &got, 1);
    if (!r && bound)
        *bound = (uint16_t)got;
    return r;
}

int ae_net_unbind(uint16_t port)
{
    return ae__net_call(NET_UNBIND, (uint64_t[]){ port }, 1, 0, 0);
}

int ae_net_client_stats(uint64_t out[4])
{
    return ae__net_call(NET_CLIENT_STATS, 0, 0, out, 4);
}

int ae_net_info(uint64_t out[4])
{
    return ae__net_call(NET_INFO, 0, 0, out, 4);
}

int ae_net_send(uint16_t lport, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    if (len > NETRING_DGRAM_MAX)
        return AE_EMSGSIZE;
    int r = ae_net_open();
    if (r)
        return r;
    if (sess.dead)
        return AE_EDEAD;
    /* A long datagram takes several slots, all free before any is written. */
    uint32_t nslots = len <= NETRING_PAYLOAD_MAX ? 1 : (uint32_t)((len + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX);
    if (!netring_prod_peek(&sess.tx, nslots - 1))
        return AE_EAGAIN;
    const uint8_t *b = buf;
    for (uint32_t k = 0; k < nslots; k++) {
        struct netring_slot *s = netring_prod_next(&sess.tx);
        size_t n = len < NETRING_PAYLOAD_MAX ? len : NETRING_PAYLOAD_MAX;
        s->remote_ip = ip;
        s->remote_port = port;
        s->local_port = lport;
        s->len = (uint16_t)n;
        s->flags = k + 1 < nslots ? NETRING_F_MORE : 0;
        s->reserved = 0;
        memcpy(s->payload, b, n);           /* a byte loop cost ~10 us per datagram under TCG */
        netring_prod_commit(&sess.tx);
        b += n;
        len -= n;
    }
    if (netring_prod_publish(&sess.tx))
        ae_signal(sess.kick, NET_WAKE_SERVICE);
    return 0;
}

void ae_net_kick(void)
{
    if (sess.open && !sess.dead)
        ae_signal(sess.kick, NET_WAKE_SERVICE);
}

unsigned ae_net_tx_room(void)
{
    if (!sess.open || sess.dead)
        return 0;
    uint32_t cons = __atomic_load_n(&sess.tx.hdr->cons, __ATOMIC_ACQUIRE);
    uint32_t used = sess.tx.pos - cons;
    return used <= sess.tx.nslots ? sess.tx.nslots - used : 0;   /* a bogus index: no room */
}

/* A datagram of several slots is gathered here for ae_net_peek. */
static uint8_t long_dgram[NETRING_DGRAM_MAX];
static uint32_t peeked = 1;              /* slots the datagram ae_net_peek showed takes */

int ae_net_peek(struct ae_net_dgram *d)
{
    if (!sess.open)
        return AE_EAGAIN;
    const struct netring_slot *s = netring_cons_next(&sess.rx);
    if (!s)
        return AE_EAGAIN;
    struct netring_meta m;
    netring_read_meta(s, &m);
    d->remote_ip = m.remote_ip;
    d->remote_port = m.remote_port;
    d->local_port = m.local_port;
    d->len = m.len <= NETRING_PAYLOAD_MAX ? m.len : NETRING_PAYLOAD_MAX;
    d->data = s->payload;
    peeked = 1;
    if (!(m.flags & NETRING_F_MORE))
        return 0;
    /* The service publishes a datagram's slots together; gather them. */
    size_t len = 0;
    for (uint32_t k = 0; k < NETRING_DGRAM_SLOTS; k++) {
        if (!(s = netring_cons_peek(&sess.rx, k)))
            return AE_EAGAIN;
        netring_read_meta(s, &m);
        size_t n = m.len <= NETRING_PAYLOAD_MAX ? m.len : NETRING_PAYLOAD_MAX;
        if (len + n > sizeof long_dgram)
            n = sizeof long_dgram - len;
        memcpy(long_dgram + len, s->payload, n);
        len += n;
        if (!(m.flags & NETRING_F_MORE)) {
            peeked = k + 1;
            break;
        }
    }
    d->len = (uint16_t)len;
    d->data = long_dgram;
    return 0;
}

void ae_net_consume(void)
{
    if (!sess.open)
        return;
    for (uint32_t k = 0; k < peeked; k++)
        netring_cons_commit(&sess.rx);
    peeked = 1;
    netring_cons_publish(&sess.rx);         /* the service never waits for RX room */
}

bool ae_net_arm(bool rx, bool tx)
{
    if (!sess.open || sess.dead)
        return true;
    bool sleep = true;
    if (rx && !netring_cons_wait_prepare(&sess.rx))
        sleep = false;
    if (tx && !netring_prod_wait_prepare(&sess.tx))
        sleep = false;
    if (sess.tcp && !ae__tcp_arm())
        sleep = false;
    return sleep;
}

void ae_net_disarm(void)
{
    if (!sess.open)
        return;
    netring_cons_wait_end(&sess.rx);
    netring_prod_wait_end(&sess.tx);
    if (sess.tcp)
        __atomic_store_n(&sess.tcp->client_wants_wake, 0, __ATOMIC_RELAXED);
}

/* After a restart the service refuses our badge: our rings are gone and
 * nothing will ever wake us. */
static bool service_knows_us(void)
{
    uint64_t st[4];
    int r = ae__net_call(NET_CLIENT_STATS, 0, 0, st, 4);
    return r != AE_EPERM && r != AE_ESRCH && r != AE_ECAP && r != AE_ETIMEOUT;
}

int ae_net_wait(uint64_t timeout_ns)
{
    if (!sess.open)
        return (int)ae_sleep_ns(timeout_ns);     /* nothing can arrive: just the time */
    if (sess.dead)
        return AE_EDEAD;
    uint64_t bits, chunk = timeout_ns < LIVENESS_NS ? timeout_ns : LIVENESS_NS;
    int64_t r = ae_recv(sess.ntfn, chunk, &bits);
    if (r == AE_ETIMEOUT && chunk < timeout_ns) {
        if (service_knows_us())
            return 0;                            /* the caller looks again and waits on */
        sess.dead = true;
        return AE_EDEAD;
    }
    return r < 0 ? (int)r : 0;
}

struct netring *ae_net_tx_ring(void) { return sess.open ? &sess.tx : 0; }
struct netring *ae_net_rx_ring(void) { return sess.open ? &sess.rx : 0; }
