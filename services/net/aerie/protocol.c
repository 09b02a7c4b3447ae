/*
 * protocol.c — the net service's ipc thread: one handler per opcode of
 * aerie/proto/net.h. Each handler decodes and checks the request and does
 * the system calls itself (mapping, minting, revoking); the part that
 * touches the stack runs on the poller through run_in_poller, as one
 * small function (the "*_in_poller" ones below), so the stack keeps a
 * single thread.
 *
 * Who calls: a badge with NET_ADMIN_BADGE is the admin (the container
 * manager, root); the ops table lets it call only the admin operations,
 * and clients only the client ones (ae_serve refuses the rest). A
 * client's badge must be epoch << 32 | id of a live client — one this
 * instance created, or one an earlier instance created and this one took
 * over (persist.c) — or the request fails with AE_EPERM. Every change to
 * a client is recorded for the next instance before it is answered.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include "glue.h"

/* One request's part for the poller: inputs, then results. */
struct job {
    uint32_t id;
    uint64_t badge;                 /* attach: the client's whole badge */
    uint64_t a;
    const uint64_t *w;              /* the request's words (TCP calls) */
    uint64_t out[2];                /* TCP calls' results */
    uint64_t tcp_bytes, tcp_socks;  /* attach: the socket area */
    const struct net_grant *grants;
    unsigned ngrants, conns;
    uint64_t mem_cap, ntfn_cap;     /* attach: new; remove/attach: the old ones come back */
    uint8_t *ring_va;
    uint64_t ring_bytes;
    int result;
    uint16_t port;
    struct net_client_stats cst;
};

/* The client a badge names, or NULL. Read on the ipc thread: `badge` is
 * only changed by client add and remove, which this thread drives. */
static struct session *caller(struct netsvc *s, uint64_t badge)
{
    if (badge & NET_ADMIN_BADGE)
        return NULL;
    struct session *se = session_of(s, (uint32_t)badge);
    return se && se->badge == badge ? se : NULL;
}

/* ---- client operations ---------------------------------------------------- */

static void bind_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    uint16_t port = (uint16_t)j->a, slot = (uint16_t)(j->id & 0xffff);
    if (j->out[0] & NET_BIND_AGAIN && port && s->stack.port_owner[port] == slot + 1) {
        j->port = port;                      /* the first try had bound it before the restart */
        j->result = 0;
        return;
    }
    j->result = net_bind(&s->stack, j->id, port, &j->port);
    if (!j->result)
        persist_port(j->port, slot + 1u);
}

static int op_bind(void *ctx, struct ae_request *rq)
{
    struct session *se = caller(ctx, rq->badge);
    if (!se)
        return AE_EPERM;
    uint64_t flags = rq->nwords >= 2 ? rq->w[1] : 0;
    if (rq->w[0] > 0xffff || flags & ~(uint64_t)NET_BIND_AGAIN)
        return AE_EINVAL;
    struct job j = { .id = (uint32_t)se->badge, .a = rq->w[0], .out = { flags } };
    run_in_poller(ctx, bind_in_poller, &j);
    rq->reply[0] = j.port;
    rq->nreply = 1;
    return j.result;
}

static void unbind_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->result = net_unbind(&s->stack, j->id, (uint16_t)j->a);
    if (!j->result)
        persist_port((uint16_t)j->a, 0);
}

static int op_unbind(void *ctx, struct ae_request *rq)
{
    struct session *se = caller(ctx, rq->badge);
    if (!se)
        return AE_EPERM;
    if (rq->w[0] == 0 || rq->w[0] > 0xffff)
        return AE_EINVAL;
    struct job j = { .id = (uint32_t)se->badge, .a = rq->w[0] };
    run_in_poller(ctx, unbind_in_poller, &j);
    return j.result;
}

/* Swaps the client's rings for the new ones (j->a slots each) and hands
 * back what the ipc thread must let go: the old memory and notification,
 * or the new ones if the stack refused them. */
static void attach_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    struct session *se = session_of(s, j->id);
    if (se->badge != j->badge) {
        j->result = AE_ESRCH;                /* removed meanwhile */
        return;
    }
    struct session old = *se;
    se->ring_va = j->ring_va;                /* first, so the guard knows it if formatting faults */
    se->ring_bytes = j->ring_bytes;
    uint32_t n = (uint32_t)j->a;
    j->result = net_client_attach(&s->stack, j->id, j->ring_va, NETRING_BYTES(n),
                                  j->ring_va + NET_RING_RX_OFFSET(n), NETRING_BYTES(n), n);
    if (!j->result && j->tcp_bytes) {
        j->result = net_tcp_attach(&s->stack, j->id, j->ring_va + NET_TCP_AREA_OFFSET(n), j->tcp_bytes,
                                   (uint32_t)j->tcp_socks);
        if (j->result)
            net_client_detach(&s->stack, j->id);  /* the old rings are gone already: none at all */
    }
    if (j->result) {                         /* the new memory is not in use */
        se->ring_va = old.ring_va;
        se->ring_bytes = old.ring_bytes;
        return;
    }
    se->mem_cap = j->mem_cap;
    se->ntfn_cap = j->ntfn_cap;
    se->lost = 0;
    j->ring_va = old.ring_va;
    j->ring_bytes = old.ring_bytes;
    j->mem_cap = old.mem_cap;
    j->ntfn_cap = old.ntfn_cap;
}

static void release_rings(uint8_t *va, uint64_t bytes, uint64_t mem, uint64_t ntfn)
{
    if (va) {
        ae_task_unmap(ae_self.task, (uint64_t)va, bytes);
        ae_vm_release((uint64_t)va, bytes);
    }
    uint64_t caps[2] = { mem, ntfn };
    for (unsigned i = 0; i < 2; i++) {
        if (caps[i]) {
            ae_cap_delete(caps[i]);
            ae_slot_free(caps[i]);
        }
    }
}

/* Checks that slot holds an object of `type` with at least `rights`. */
static bool cap_is(uint64_t slot, unsigned type, unsigned rights)
{
    uint64_t badge;
    int64_t info = ae_cap_info(slot, &badge);
    return info >= 0 && (info & 0xff) == type && ((info >> 8) & rights) == rights;
}

/* Takes the capability in window slot w into a slot of our own. */
static uint64_t keep_cap(uint32_t w)
{
    uint64_t s = ae_slot_alloc();
    if (s && ae_cap_move(w, s) < 0) {
        ae_slot_free(s);
        s = 0;
    }
    return s;
}

static int op_attach(void *ctx, struct ae_request *rq)
{
    struct netsvc *s = ctx;
    struct session *se = caller(s, rq->badge);
    if (!se)
        return AE_EPERM;
    uint64_t n = rq->w[0], info[2];
    uint64_t tcp = rq->nwords >= 3 ? rq->w[1] : 0, nsocks = rq->nwords >= 3 ? rq->w[2] : 0;
    if (n < NET_RING_SLOTS_MIN || n > NET_RING_SLOTS_MAX || (n & (n - 1)) || rq->ncaps != 2)
        return AE_EINVAL;
    if (tcp && (tcp % NETTCP_PAGE || tcp > NETTCP_AREA_MAX || nsocks < 1 || nsocks > NETTCP_MAX_SOCKS))
        return AE_EINVAL;
    uint64_t bytes = NET_RING_MEM_BYTES(n) + tcp;
    if (!cap_is(rq->caps[0], AERIE_OBJ_MEMORY, AERIE_R_READ | AERIE_R_WRITE) ||
        !cap_is(rq->caps[1], AERIE_OBJ_NOTIFICATION, AERIE_R_WRITE) ||
        ae_invoke(rq->caps[0], AERIE_MEM_INFO, 0, 0, info, 2) < 0 || info[0] < bytes)
        return AE_EINVAL;
    int cr = ae_mem_commit(rq->caps[0], 0, bytes);   /* no lazy page left to fault the poller */
    if (cr < 0)
        return cr;
    struct job j = { .id = (uint32_t)se->badge, .badge = se->badge, .a = n, .ring_bytes = bytes,
                     .tcp_bytes = tcp, .tcp_socks = nsocks };
    j.mem_cap = keep_cap(rq->caps[0]);
    j.ntfn_cap = keep_cap(rq->caps[1]);
    uint64_t va = ae_vm_reserve(bytes);
    int r = !j.mem_cap || !j.ntfn_cap || !va ? AE_ENOMEM
          : (int)ae_task_map(ae_self.task, j.mem_cap, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W);
    if (r < 0) {
        if (va)
            ae_vm_release(va, bytes);
        release_rings(NULL, 0, j.mem_cap, j.ntfn_cap);
        return r == AE_ENOMEM ? r : AE_EINVAL;
    }
    j.ring_va = (uint8_t *)va;
    unsigned slot = (unsigned)(se->badge & 0xffff);
    persist_rings(slot, 0, 0, 0, 0);         /* none while the kept capabilities change */
    run_in_poller(s, attach_in_poller, &j);
    release_rings(j.ring_va, j.ring_bytes, j.mem_cap, j.ntfn_cap);   /* the old ones (or the refused new) */
    if (j.result)                            /* a refused attach: its earlier rings are not kept */
        return j.result;
    persist_keep(slot, KEPT_MEM, se->mem_cap);
    persist_keep(slot, KEPT_NTFN, se->ntfn_cap);
    persist_rings(slot, (uint32_t)n, bytes, tcp, (uint32_t)nsocks);
    rq->reply_caps[0] = (uint32_t)s->client_kick_cap;
    rq->nreply_caps = 1;
    return 0;
}

static void stats_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->result = net_client_stats(&s->stack, j->id, &j->cst);
}

static int reply_client_stats(struct netsvc *s, uint32_t id, struct ae_request *rq)
{
    struct job j = { .id = id };
    run_in_poller(s, stats_in_poller, &j);
    rq->reply[0] = j.cst.rx_delivered;
    rq->reply[1] = j.cst.rx_dropped;
    rq->reply[2] = j.cst.tx_sent;
    rq->reply[3] = j.cst.tx_refused;
    rq->nreply = 4;
    return j.result;
}

static int op_client_stats(void *ctx, struct ae_request *rq)
{
    struct session *se = caller(ctx, rq->badge);
    return se ? reply_client_stats(ctx, (uint32_t)se->badge, rq) : AE_EPERM;
}

static void conns_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->out[0] = net_client_tcp_conns(&s->stack, j->id);
}

static int op_info(void *ctx, struct ae_request *rq)
{
    struct netsvc *s = ctx;
    struct session *se = caller(s, rq->badge);
    if (rq->caller == AE_CALLER_CLIENT && !se)
        return AE_EPERM;
    struct job j = { .id = se ? (uint32_t)se->badge : 0 };
    if (se)
        run_in_poller(s, conns_in_poller, &j);
    const uint8_t *m = s->cfg.mac;
    rq->reply[0] = s->cfg.ip;
    rq->reply[1] = s->cfg.netmask;
    rq->reply[2] = s->cfg.gateway;
    rq->reply[3] = 0;
    for (int i = 0; i < 6; i++)
        rq->reply[3] = rq->reply[3] << 8 | m[i];
    rq->reply[4] = j.out[0];
    rq->nreply = 5;
    return 0;
}

/* ---- TCP (the stack checks the grants, the sockets and every number) ---------- */

static uint32_t word32(uint64_t w)
{
    return w > 0xffffffffu ? 0xfffffffeu : (uint32_t)w;   /* too big: a value the stack refuses */
}

static void tcp_bind_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    uint32_t sock = 0;
    uint16_t port = 0;
    j->result = net_tcp_bind(&s->stack, j->id, (uint16_t)j->w[0], word32(j->w[1]), &sock, &port);
    j->out[0] = sock;
    j->out[1] = port;
}

static void tcp_listen_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->result = net_tcp_listen(&s->stack, j->id, word32(j->w[0]), word32(j->w[1]), word32(j->w[2]),
                               word32(j->w[3]), word32(j->w[4]));
}

static void tcp_connect_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    uint32_t sock = 0;
    uint16_t port = 0;
    j->result = net_tcp_connect(&s->stack, j->id, (uint32_t)j->w[0], (uint32_t)j->w[1], (uint16_t)j->w[2],
                                word32(j->w[3]), word32(j->w[4]), word32(j->w[5]), &sock, &port);
    j->out[0] = sock;
    j->out[1] = port;
}

static void tcp_setopt_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->result = net_tcp_setopt(&s->stack, j->id, word32(j->w[0]), word32(j->w[1]), word32(j->w[2]));
}

/* Checks the caller, runs fn on the poller, replies with its two results. */
static int tcp_call(struct netsvc *s, struct ae_request *rq, void (*fn)(struct netsvc *, void *))
{
    struct session *se = caller(s, rq->badge);
    if (!se)
        return AE_EPERM;
    struct job j = { .id = (uint32_t)se->badge, .w = rq->w };
    run_in_poller(s, fn, &j);
    rq->reply[0] = j.out[0];
    rq->reply[1] = j.out[1];
    rq->nreply = 2;
    return j.result;
}

static int op_tcp_bind(void *ctx, struct ae_request *rq)
{
    return rq->w[0] > 0xffff ? AE_EINVAL : tcp_call(ctx, rq, tcp_bind_in_poller);
}

static int op_tcp_listen(void *ctx, struct ae_request *rq)
{
    return tcp_call(ctx, rq, tcp_listen_in_poller);
}

static int op_tcp_connect(void *ctx, struct ae_request *rq)
{
    if (rq->w[0] > 0xffffffffu || rq->w[1] > 0xffffffffu || rq->w[2] > 0xffff)
        return AE_EINVAL;
    return tcp_call(ctx, rq, tcp_connect_in_poller);
}

static int op_tcp_setopt(void *ctx, struct ae_request *rq)
{
    return tcp_call(ctx, rq, tcp_setopt_in_poller);
}

/* ---- admin operations ------------------------------------------------------- */

static void add_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    j->result = net_client_add_tcp(&s->stack, j->grants, j->ngrants, j->conns, &j->id);
    if (!j->result) {
        session_of(s, j->id)->badge = (uint64_t)s->epoch << 32 | j->id;
        j->conns = net_client_tcp_conns(&s->stack, j->id);   /* the default, if it took one */
    }
}

static void remove_in_poller(struct netsvc *s, void *arg)
{
    struct job *j = arg;
    struct session *se = session_of(s, j->id);
    persist_client_removed(s, j->id & 0xffff);   /* first: a kill from here on forgets the client */
    j->result = net_client_remove(&s->stack, j->id);
    j->ring_va = se->ring_va;
    j->ring_bytes = se->ring_bytes;
    j->mem_cap = se->mem_cap;
    j->ntfn_cap = se->ntfn_cap;
    se->badge = 0;
    se->ring_va = NULL;
    se->ring_bytes = se->mem_cap = se->ntfn_cap = 0;
    se->lost = 0;
}

static int op_client_add(void *ctx, struct ae_request *rq)
{
    struct netsvc *s = ctx;
    uint64_t n = rq->w[0] & 0xffff, conns = rq->w[0] >> 16;
    if (n > NET_MAX_RANGES || rq->nwords < 1 + n || conns > NET_CONNS_MAX)
        return AE_EINVAL;
    struct net_grant g[NET_MAX_RANGES];
    for (unsigned i = 0; i < n; i++) {
        uint64_t w = rq->w[1 + i];
        g[i] = (struct net_grant){ NET_RANGE_LO(w), NET_RANGE_HI(w), (uint8_t)NET_RANGE_KIND(w) };
        if (w >> 34 || NET_RANGE_KIND(w) > NET_PORTS_TCP_OUT || !g[i].lo || g[i].lo > g[i].hi)
            return AE_EINVAL;
    }
    uint64_t cap = ae_slot_alloc();
    if (!cap)
        return AE_ENOMEM;
    struct job j = { .grants = g, .ngrants = (unsigned)n, .conns = (unsigned)conns };
    run_in_poller(s, add_in_poller, &j);
    if (j.result) {
        ae_slot_free(cap);
        return j.result;
    }
    struct session *se = session_of(s, j.id);
    int64_t r = ae_cap_copy(s->server_ep, cap, AERIE_R_WRITE | AERIE_R_GRANT, se->badge);
    if (r < 0) {
        run_in_poller(s, remove_in_poller, &j);
        ae_slot_free(cap);
        return (int)r;
    }
    se->ep_cap = cap;
    persist_keep((unsigned)(j.id & 0xffff), KEPT_EP, cap);
    persist_client_added(s, se, g, (unsigned)n, j.conns);
    rq->reply[0] = se->badge;
    rq->nreply = 1;
    rq->reply_caps[0] = (uint32_t)cap;
    rq->nreply_caps = 1;
    return 0;
}

static int op_client_remove(void *ctx, struct ae_request *rq)
{
    struct netsvc *s = ctx;
    struct session *se = caller(s, rq->w[0]);
    if (!se)
        return AE_ESRCH;
    struct job j = { .id = (uint32_t)se->badge };
    uint64_t cap = se->ep_cap;
    run_in_poller(s, remove_in_poller, &j);
    if (cap) {                               /* none: a client taken over whose capability was not kept */
        ae_cap_revoke(cap);                  /* every copy the client (or anyone) made of it */
        ae_cap_delete(cap);
        ae_slot_free(cap);
    }
    se->ep_cap = 0;
    release_rings(j.ring_va, j.ring_bytes, j.mem_cap, j.ntfn_cap);
    for (unsigned k = 0; k < KEPT_KINDS; k++)
        persist_unkeep(j.id & 0xffff, (enum kept_kind)k);
    return j.result;
}

static int op_admin_client_stats(void *ctx, struct ae_request *rq)
{
    struct session *se = caller(ctx, rq->w[0]);
    return se ? reply_client_stats(ctx, (uint32_t)se->badge, rq) : AE_ESRCH;
}

/* The counters of the stack and of the driver, then TCP's gauges, one list. */
struct all_stats {
    struct net_stats net;
    struct vnet_stats dev;
    uint64_t gauges[NET_TCP_GAUGES];
};

static void all_stats_in_poller(struct netsvc *s, void *arg)
{
    struct all_stats *a = arg;
    net_get_stats(&s->stack, &a->net);
    a->dev = s->nic.stats;
    net_tcp_gauges(&s->stack, a->gauges);
}

#define DEV_STAT(f) { "dev_" #f, offsetof(struct vnet_stats, f) }
static const struct net_stat_name dev_stat_names[] = {
    DEV_STAT(rx_frames), DEV_STAT(rx_bytes), DEV_STAT(rx_bad_len), DEV_STAT(rx_refill_short),
    DEV_STAT(tx_frames), DEV_STAT(tx_bytes), DEV_STAT(tx_no_room), DEV_STAT(tx_too_long),
    DEV_STAT(bad_used), DEV_STAT(irqs), DEV_STAT(config_irqs), DEV_STAT(notifies),
    DEV_STAT(irq_arms), DEV_STAT(tx_irq_armed), DEV_STAT(rx_refills),
};
#define DEV_STAT_COUNT (sizeof dev_stat_names / sizeof dev_stat_names[0])
_Static_assert(DEV_STAT_COUNT == sizeof(struct vnet_stats) / sizeof(uint64_t), "every driver counter has a name");

static void put_stat(uint64_t *rec, const char *name, uint64_t value)
{
    rec[0] = value;
    memset(&rec[1], 0, NET_STAT_NAME_BYTES);
    size_t len = strlen(name);
    memcpy(&rec[1], name, len < NET_STAT_NAME_BYTES - 1 ? len : NET_STAT_NAME_BYTES - 1);
}

static int op_stats(void *ctx, struct ae_request *rq)
{
    struct all_stats a;
    run_in_poller(ctx, all_stats_in_poller, &a);
    uint64_t devs = net_stat_count + DEV_STAT_COUNT, total = devs + NET_TCP_GAUGES, first = rq->w[0], n = 0;
    for (uint64_t i = first; i < total && n < NET_STATS_PER_REPLY; i++, n++) {
        uint64_t *rec = &rq->reply[2 + n * NET_STAT_WORDS];
        if (i < net_stat_count)
            put_stat(rec, net_stat_names[i].name,
                     *(const uint64_t *)((const char *)&a.net + net_stat_names[i].offset));
        else if (i < devs)
            put_stat(rec, dev_stat_names[i - net_stat_count].name,
                     *(const uint64_t *)((const char *)&a.dev + dev_stat_names[i - net_stat_count].offset));
        else
            put_stat(rec, net_tcp_gauge_names[i - devs], a.gauges[i - devs]);
    }
    rq->reply[0] = total;
    rq->reply[1] = n;
    rq->nreply = (unsigned)(2 + n * NET_STAT_WORDS);
    return 0;
}

static const struct ae_op ops[NET_OP_COUNT] = {
    [NET_BIND] = { op_bind, 1, AE_CALLER_CLIENT },
    [NET_UNBIND] = { op_unbind, 1, AE_CALLER_CLIENT },
    [NET_ATTACH] = { op_attach, 1, AE_CALLER_CLIENT },
    [NET_CLIENT_STATS] = { op_client_stats, 0, AE_CALLER_CLIENT },
    [NET_INFO] = { op_info, 0, AE_CALLER_ANY },
    [NET_TCP_BIND] = { op_tcp_bind, 2, AE_CALLER_CLIENT },
    [NET_TCP_LISTEN] = { op_tcp_listen, 5, AE_CALLER_CLIENT },
    [NET_TCP_CONNECT] = { op_tcp_connect, 6, AE_CALLER_CLIENT },
    [NET_TCP_SETOPT] = { op_tcp_setopt, 3, AE_CALLER_CLIENT },
    [NET_ADMIN_CLIENT_ADD] = { op_client_add, 1, AE_CALLER_ADMIN },
    [NET_ADMIN_CLIENT_REMOVE] = { op_client_remove, 1, AE_CALLER_ADMIN },
    [NET_ADMIN_STATS] = { op_stats, 1, AE_CALLER_ADMIN },
    [NET_ADMIN_CLIENT_STATS] = { op_admin_client_stats, 1, AE_CALLER_ADMIN },
};

void *ipc_thread(void *arg)
{
    struct netsvc *s = arg;
    struct ae_server srv = { .ep = s->server_ep, .ops = ops, .nops = NET_OP_COUNT, .ctx = s, .recv_caps = 2 };
    int r = ae_serve(&srv);
    fprintf(stderr, "net: the endpoint is gone (error %d)\n", r);
    return NULL;
}
