/*
 * main.c — the net service on Aerie: configuration, device bring-up, and
 * the poller (the main thread), which runs the stack's service loop from
 * docs/NET.md. See glue.h for the threads and who owns what.
 *
 * Arguments (boot.conf args="..."), all optional:
 *   ip=A.B.C.D/PREFIX   our address and subnet    (default 10.0.2.15/24)
 *   gw=A.B.C.D          the gateway, 0.0.0.0: none (default 10.0.2.2)
 *   unreach=N           ICMP port unreachable per second, 0: silent (default 10)
 * Capabilities: net.server (serve=net), self.*, and the NIC from
 * grant=pci:1af4:1041 (pci.cfg, pci.barN, pci.irq with PCI_MSI=ADDR:DATA
 * in the environment). Without the NIC it still serves clients, with
 * datagrams to its own address delivered locally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "glue.h"

#define POLL_TICK_NS 1000000ull          /* without an interrupt: look every millisecond */

static struct netsvc svc;                /* about 500 KiB: the stack is most of it */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct session *session_of(struct netsvc *s, uint32_t id)
{
    uint32_t slot = id & 0xffff;
    return slot < NET_MAX_CLIENTS ? &s->sessions[slot] : NULL;
}

/* ---- the mailbox between the ipc thread and the poller ------------------- */

void run_in_poller(struct netsvc *s, void (*fn)(struct netsvc *, void *), void *arg)
{
    s->mb_fn = fn;
    s->mb_arg = arg;
    __atomic_store_n(&s->mb_state, 1, __ATOMIC_RELEASE);
    ae_signal(s->ntfn, SVC_MAILBOX);
    while (__atomic_load_n(&s->mb_state, __ATOMIC_ACQUIRE) != 2)
        ae_futex_wait(&s->mb_state, 1, AERIE_TIMEOUT_FOREVER);
    __atomic_store_n(&s->mb_state, 0, __ATOMIC_RELAXED);
}

static bool mailbox_run(struct netsvc *s)
{
    if (__atomic_load_n(&s->mb_state, __ATOMIC_ACQUIRE) != 1)
        return false;
    s->mb_fn(s, s->mb_arg);
    __atomic_store_n(&s->mb_state, 2, __ATOMIC_RELEASE);
    ae_futex_wake(&s->mb_state, 1);
    return true;
}

/* Clients whose ring memory vanished (the guard replaced it with zeroed
 * memory): stop using the rings and drop the stand-in. */
static void reap_lost(struct netsvc *s)
{
    if (!__atomic_exchange_n(&s->any_lost, 0, __ATOMIC_ACQ_REL))
        return;
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++) {
        struct session *se = &s->sessions[i];
        if (!se->badge || !__atomic_load_n(&se->lost, __ATOMIC_ACQUIRE))
            continue;
        /* The record keeps the rings: a dying instance's poller faults on
         * rings that are still there (its own mappings go first), and the
         * next instance finds out for itself whether they are. */
        net_client_detach(&s->stack, (uint32_t)se->badge);
        printf("net: client %u lost its ring memory; rings detached\n", (unsigned)(se->badge & 0xffff));
        ae_task_unmap(ae_self.task, (uint64_t)se->ring_va, se->ring_bytes);
        ae_vm_release((uint64_t)se->ring_va, se->ring_bytes);
        ae_cap_delete(se->mem_cap);
        ae_slot_free(se->mem_cap);
        se->mem_cap = 0;
        se->ring_va = NULL;
        se->ring_bytes = 0;
        se->lost = 0;
    }
}

/* ---- the poller ------------------------------------------------------------ */

static void wake_client(void *ctx, uint32_t id)
{
    struct session *se = session_of(ctx, id);
    if (se && se->ntfn_cap)
        ae_signal(se->ntfn_cap, NET_WAKE_CLIENT);
}

/* Sleeps until the NIC, a client or the mailbox signals, or deadline. */
static void sleep_until(struct netsvc *s, uint64_t deadline, uint64_t now)
{
    uint64_t timeout = deadline == UINT64_MAX ? AERIE_TIMEOUT_FOREVER : deadline > now ? deadline - now : 0;
    if (!s->irq && timeout > POLL_TICK_NS)
        timeout = POLL_TICK_NS;
    uint64_t bits = 0;
    if (timeout && ae_recv(s->ntfn, timeout, &bits) >= 0 && (bits & SVC_NIC_IRQ)) {
        vnet_irq_ack(&s->nic);
        ae_invoke0(s->irq, AERIE_IRQ_ACK);
    }
}

/* The service loop of docs/NET.md: poll while there is work, interrupts
 * off; before sleeping, arm the NIC's interrupt and the clients' wakeup
 * flags, and look once more. */
static _Noreturn void poller(struct netsvc *s)
{
    if (s->have_nic)
        vnet_irq_disable(&s->nic);
    for (;;) {
        uint64_t now = now_ns();
        bool mail = mailbox_run(s);
        reap_lost(s);
        if (net_poll(&s->stack, now) || mail)
            continue;
        bool more = s->have_nic && s->irq && vnet_irq_enable(&s->nic);
        if (more || !net_idle_prepare(&s->stack) ||
            __atomic_load_n(&s->mb_state, __ATOMIC_ACQUIRE) == 1) {
            if (s->have_nic)
                vnet_irq_disable(&s->nic);
            continue;
        }
        sleep_until(s, net_timers(&s->stack, now), now);
        if (s->have_nic)
            vnet_irq_disable(&s->nic);
    }
}

/* ---- start-up ----------------------------------------------------------------- */

/* Without a NIC: nothing arrives, and frames for the wire are dropped
 * (the stack counts them as sent; local delivery never reaches here). */
static unsigned null_rx(void *dev, struct net_frame *f, unsigned max) { return 0; }
static unsigned null_tx(void *dev, const struct net_frame *f, unsigned n) { return n; }
static const struct net_dev_ops null_dev = { .rx_batch = null_rx, .tx_batch = null_tx };

static bool parse_args(int argc, char **argv, struct net_config *c)
{
    c->ip = 0x0a00020f;                  /* 10.0.2.15/24 via 10.0.2.2: QEMU user networking */
    c->netmask = 0xffffff00;
    c->gateway = 0x0a000202;
    c->unreach_per_sec = 10;
    for (int i = 1; i < argc; i++) {
        char buf[32], *slash;
        struct in_addr a;
        snprintf(buf, sizeof buf, "%s", argv[i]);
        if (!strncmp(buf, "ip=", 3)) {
            unsigned long prefix = 24;
            if ((slash = strchr(buf, '/'))) {
                *slash = 0;
                prefix = strtoul(slash + 1, NULL, 10);
            }
            if (inet_pton(AF_INET, buf + 3, &a) != 1 || prefix < 1 || prefix > 30)
                return false;
            c->ip = ntohl(a.s_addr);
            c->netmask = 0xffffffffu << (32 - prefix);
        } else if (!strncmp(buf, "gw=", 3)) {
            if (inet_pton(AF_INET, buf + 3, &a) != 1)
                return false;
            c->gateway = ntohl(a.s_addr);
        } else if (!strncmp(buf, "unreach=", 8)) {
            c->unreach_per_sec = (uint32_t)strtoul(buf + 8, NULL, 10);
        } else {
            return false;
        }
    }
    return true;
}

/* The NIC from root's grants: MSI-X if we got a vector, else polling. */
static int nic_init(struct netsvc *s)
{
    int r = virtio_grant_init(&s->grant, &s->platform);
    if (r)
        return r;
    struct vnet_config vc = { .fallback_mac = { 0x02, 0, 0, 0, 0, 0x01 } };
    const char *msi = getenv("PCI_MSI");
    uint64_t irq = ae_capenv_lookup("pci.irq");
    if (msi && irq && ae_invokev(irq, AERIE_IRQ_BIND, s->ntfn, SVC_NIC_IRQ) >= 0) {
        char *end;
        vc.msix_addr = strtoull(msi, &end, 0);
        vc.msix_data = (uint32_t)strtoul(*end == ':' ? end + 1 : end, NULL, 0);
        vc.use_msix = true;
        s->irq = irq;
    }
    r = vnet_init(&s->nic, &s->platform, &vc);
    if (r && vc.use_msix) {              /* no MSI-X after all: poll */
        vc.use_msix = false;
        s->irq = 0;
        r = vnet_init(&s->nic, &s->platform, &vc);
    }
    return r;
}

static bool make_objects(struct netsvc *s)
{
    bool kept = s->ntfn != 0;            /* persist_start found or made it */
    if (!kept)
        s->ntfn = ae_slot_alloc();
    s->client_kick_cap = ae_slot_alloc();
    s->guard_ep = ae_slot_alloc();
    return (kept || ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, s->ntfn, 0, 0, 0) >= 0) &&
           ae_cap_copy(s->ntfn, s->client_kick_cap, AERIE_R_WRITE, SVC_CLIENT) >= 0 &&
           ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, s->guard_ep, 0, 0, 0) >= 0;
}

int main(int argc, char **argv)
{
    struct netsvc *s = &svc;
    s->server_ep = ae_capenv_lookup("net.server");
    if (!s->server_ep || !ae_self.quota || !ae_self.task || !ae_self.thread) {
        fprintf(stderr, "net: needs serve=net and its own task, thread and quota\n");
        return 1;
    }
    if (!parse_args(argc, argv, &s->cfg)) {
        fprintf(stderr, "net: bad arguments; use ip=A.B.C.D/PREFIX gw=A.B.C.D unreach=N\n");
        return 1;
    }
    persist_start(s);
    if (!make_objects(s)) {
        fprintf(stderr, "net: cannot make its notification and endpoints\n");
        return 1;
    }
    s->cfg.secret[0] = __builtin_ia32_rdtsc() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)s;
    s->cfg.secret[1] = ~__builtin_ia32_rdtsc() * 0xc2b2ae3d27d4eb4full ^ s->epoch << 40;
    int r = nic_init(s);
    s->have_nic = r == 0;
    if (s->have_nic)
        memcpy(s->cfg.mac, s->nic.mac, 6);
    else
        memcpy(s->cfg.mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
    struct net_hooks hooks = { .wake_client = wake_client, .ctx = s };
    if (net_init(&s->stack, &s->cfg, s->have_nic ? &vnet_dev_ops : &null_dev,
                 s->have_nic ? &s->nic : NULL, &hooks)) {
        fprintf(stderr, "net: the configuration is not usable\n");
        return 1;
    }
    pthread_t ipc, guard;
    if (pthread_create(&guard, NULL, guard_thread, s) ||
        ae_invokev(ae_self.thread, AERIE_THREAD_SET_HANDLER, s->guard_ep) < 0) {
        fprintf(stderr, "net: cannot start its threads\n");
        return 1;
    }
    persist_restore(s);                  /* before the first request: old badges are known again */
    if (pthread_create(&ipc, NULL, ipc_thread, s)) {
        fprintf(stderr, "net: cannot start its threads\n");
        return 1;
    }
    const uint8_t *m = s->cfg.mac;
    char ip[16], gw[16];
    inet_ntop(AF_INET, &(uint32_t){ htonl(s->cfg.ip) }, ip, sizeof ip);
    inet_ntop(AF_INET, &(uint32_t){ htonl(s->cfg.gateway) }, gw, sizeof gw);
    if (s->have_nic)
        printf("net: virtio-net %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, %s; %s/%d gateway %s\n",
               getenv("PCI_FUNCTION") ? getenv("PCI_FUNCTION") : "?", m[0], m[1], m[2], m[3], m[4], m[5],
               s->irq ? "MSI-X" : "polling", ip, 32 - __builtin_ctz(s->cfg.netmask), gw);
    else
        printf("net: no NIC (error %d); serving local delivery only on %s\n", r, ip);
    poller(s);
}
