/*
 * persist.c — what the net service keeps across its restarts
 * (docs/RESTART.md, "net"). A small table in Memory from root's "keep"
 * quota, which outlives every instance, names each client (its badge, its
 * grants, its ring geometry) and the owner of every bound UDP port; root's
 * keeper (ROOT_KEEP_*) holds the capabilities the table needs: each
 * client's minted endpoint capability, its ring memory and its
 * notification. A new instance finds the table at key 1, makes every
 * client again in the same slot and generation (so the badge the
 * client's capability carries names it), maps its rings where they are
 * and carries on from the indices in them, binds its ports again, shows
 * its TCP sockets reset, and signals it so a client asleep looks again.
 *
 * Root calls this service synchronously (a boot service's net grant, at
 * boot before root serves anything else, and whenever such a service
 * starts or stops), so no thread that serves requests may wait for root:
 * every keeper call but the takeover's goes through a queue that one
 * thread of ours (the keeper thread) works off in order, and a ring
 * record that needs kept capabilities is written by that thread after
 * them. At the first start (AERIE_INCARNATION=1) there is nothing to take
 * over and the keeper is not asked at all until root is ready.
 *
 * Write order (a kill can land between any two steps): a record's badge
 * is written last when a client is added and cleared first when it is
 * removed; a client's ring geometry is cleared before its ring
 * capabilities are replaced and written after. The new instance trusts a
 * record only with the capabilities it names, and drops every kept
 * capability no record names.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <aerie/proto/root.h>
#include <libaerie/invoke.h>
#include <libaerie/keeper.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "glue.h"

#define NETP_MAGIC     0x5054454eu      /* "NETP" */
#define NETP_VERSION   1u
#define KEY_TABLE      1ull
#define KEY_NTFN       2ull              /* the service's notification: clients' kick capabilities name it */
#define KEY_CAPS       16ull             /* + slot * 4 + enum kept_kind */

struct netp_client {
    uint64_t badge;                      /* 0: no client in this slot */
    uint32_t nslots;                     /* its rings (0: none attached) */
    uint32_t tcp_socks;
    uint64_t ring_bytes;                 /* rings and TCP area, from offset 0 of its Memory */
    uint64_t tcp_bytes;
    uint16_t ngrants, conns;
    struct net_grant grants[NET_MAX_GRANTS];
};

struct netp_table {
    uint32_t magic, version;
    uint64_t epoch_next;                 /* badges' epochs: one per instance, never twice */
    struct netp_client clients[NET_MAX_CLIENTS];
    uint16_t port_owner[65536];          /* UDP: client slot + 1, 0: unbound */
};

static struct netp_table *table;
static uint64_t keeper;

/* The keeper thread's queue: ROOT_KEEP_PUT/DROP in order, and ring
 * records to write once the capabilities before them are kept. */
struct kop {
    uint64_t label, key, cap;            /* label 0: no keeper call; cap: ours, given to root */
    int ring_slot;                       /* >= 0: then write this ring record */
    uint32_t nslots, socks;
    uint64_t ring_bytes, tcp_bytes;
};
#define KOPS 256
static struct kop kq[KOPS];
static unsigned kq_head, kq_tail;
static pthread_mutex_t kq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kq_more = PTHREAD_COND_INITIALIZER, kq_room = PTHREAD_COND_INITIALIZER;

static uint64_t cap_key(unsigned slot, enum kept_kind kind)
{
    return KEY_CAPS + (uint64_t)slot * 4 + kind;
}

/* One ROOT_KEEP_* call; out_cap receives a copy of the kept capability
 * (ROOT_KEEP_NEXT) in a new slot. */
static int keep_call(uint64_t label, uint64_t key, uint64_t cap, uint64_t *out_key, uint64_t *out_cap)
{
    return ae_keep_call(keeper, label, key, cap, out_key, out_cap);
}

static void kq_put(const struct kop *k)
{
    pthread_mutex_lock(&kq_lock);
    while (kq_tail - kq_head == KOPS)
        pthread_cond_wait(&kq_room, &kq_lock);
    kq[kq_tail++ % KOPS] = *k;
    pthread_cond_signal(&kq_more);
    pthread_mutex_unlock(&kq_lock);
}

static void write_rings(unsigned slot, uint32_t nslots, uint64_t ring_bytes, uint64_t tcp_bytes, uint32_t socks);
static void drop_cap(uint64_t *cap);

static void *keeper_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&kq_lock);
        while (kq_head == kq_tail)
            pthread_cond_wait(&kq_more, &kq_lock);
        struct kop k = kq[kq_head % KOPS];
        pthread_mutex_unlock(&kq_lock);
        if (k.label)
            keep_call(k.label, k.key, k.cap, 0, 0);
        drop_cap(&k.cap);                 /* root has its own copy now */
        if (k.ring_slot >= 0)
            write_rings((unsigned)k.ring_slot, k.nslots, k.ring_bytes, k.tcp_bytes, k.socks);
        pthread_mutex_lock(&kq_lock);
        kq_head++;
        pthread_cond_signal(&kq_room);
        pthread_mutex_unlock(&kq_lock);
    }
    return NULL;
}

/* Root keeps a copy of cap under key (a copy of ours goes into the queue). */
static void keep_later(uint64_t key, uint64_t cap)
{
    uint64_t mine = ae_slot_alloc();
    if (!mine || ae_cap_copy(cap, mine, AERIE_R_ALL, 0) < 0) {
        if (mine)
            ae_slot_free(mine);
        return;
    }
    kq_put(&(struct kop){ .label = ROOT_KEEP_PUT, .key = key, .cap = mine, .ring_slot = -1 });
}

void persist_keep(unsigned slot, enum kept_kind kind, uint64_t cap)
{
    if (table && cap)
        keep_later(cap_key(slot, kind), cap);
}

void persist_unkeep(unsigned slot, enum kept_kind kind)
{
    if (table)
        kq_put(&(struct kop){ .label = ROOT_KEEP_DROP, .key = cap_key(slot, kind), .ring_slot = -1 });
}

static void drop_cap(uint64_t *cap)
{
    if (*cap) {
        ae_cap_delete(*cap);
        ae_slot_free(*cap);
        *cap = 0;
    }
}

/* Finds or makes the table; sets s->epoch. Without root's keeper nothing
 * outlives us: a random epoch, and no table. */
void persist_start(struct netsvc *s)
{
    s->epoch = ((__builtin_ia32_rdtsc() ^ (uint64_t)(uintptr_t)s) & 0xffffff) | 1;
    keeper = ae_capenv_lookup("keeper");
    uint64_t keepq = ae_capenv_lookup("keep"), mem = 0, key = 0, bytes = (sizeof *table + 4095) & ~4095ull;
    const char *inc = getenv("AERIE_INCARNATION");
    bool first = !inc || strtoul(inc, NULL, 10) <= 1;   /* nothing kept yet: root is not asked */
    pthread_t kt;
    if (!keeper || !keepq || pthread_create(&kt, NULL, keeper_thread, NULL)) {
        keeper = 0;
        return;
    }
    bool found = !first && keep_call(ROOT_KEEP_NEXT, KEY_TABLE - 1, 0, &key, &mem) == 0 && key == KEY_TABLE;
    if (!found) {
        drop_cap(&mem);
        mem = ae_slot_alloc();
        if (!mem || ae_quota_create(keepq, AERIE_OBJ_MEMORY, mem, bytes, 0, 0) < 0) {
            printf("net: nothing can be kept across a restart (no table)\n");
            drop_cap(&mem);
            return;
        }
        keep_later(KEY_TABLE, mem);
    }
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || ae_task_map(ae_self.task, mem, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        printf("net: cannot map its table; nothing is kept across a restart\n");
        return;
    }
    table = (struct netp_table *)va;
    s->fresh_table = !found || table->magic != NETP_MAGIC || table->version != NETP_VERSION;
    if (s->fresh_table) {
        memset(table, 0, sizeof *table);
        table->magic = NETP_MAGIC;
        table->version = NETP_VERSION;
        table->epoch_next = s->epoch;
    }
    s->epoch = table->epoch_next & 0xffffff ? table->epoch_next & 0xffffff : 1;
    table->epoch_next = s->epoch + 1;
    /* The notification clients signal (their kick capability, a badged copy
     * of it, outlives the instance that gave it): made once, from keep. */
    uint64_t ntfn = 0;
    if (!first && keep_call(ROOT_KEEP_NEXT, KEY_NTFN - 1, 0, &key, &ntfn) == 0 && key == KEY_NTFN) {
        s->ntfn = ntfn;
        return;
    }
    drop_cap(&ntfn);
    ntfn = ae_slot_alloc();
    if (ntfn && ae_quota_create(keepq, AERIE_OBJ_NOTIFICATION, ntfn, 0, 0, 0) >= 0) {
        s->ntfn = ntfn;
        keep_later(KEY_NTFN, ntfn);
    } else {
        drop_cap(&ntfn);
    }
}

/* ---- records (each written by the one thread that changes it) --------------- */

void persist_client_added(struct netsvc *s, struct session *se, const struct net_grant *g, unsigned n,
                          unsigned conns)
{
    (void)s;
    if (!table)
        return;
    struct netp_client *r = &table->clients[se->badge & 0xffff];
    memset(r, 0, sizeof *r);
    r->ngrants = (uint16_t)n;
    r->conns = (uint16_t)conns;
    memcpy(r->grants, g, n * sizeof *g);
    __atomic_store_n(&r->badge, se->badge, __ATOMIC_RELEASE);   /* last: the record is whole */
}

void persist_client_removed(struct netsvc *s, unsigned slot)
{
    if (!table)
        return;
    struct netp_client *r = &table->clients[slot];
    __atomic_store_n(&r->badge, 0, __ATOMIC_RELEASE);             /* first */
    const struct net_client *c = &s->stack.clients[slot];
    for (unsigned g = 0; g < c->ngrants; g++)
        for (uint32_t p = c->grants[g].lo; p <= c->grants[g].hi; p++)
            if (table->port_owner[p] == slot + 1)
                table->port_owner[p] = 0;
}

void persist_rings(unsigned slot, uint32_t nslots, uint64_t ring_bytes, uint64_t tcp_bytes, uint32_t socks)
{
    if (table)                            /* in order with the kept capabilities it needs */
        kq_put(&(struct kop){ .ring_slot = (int)slot, .nslots = nslots, .ring_bytes = ring_bytes,
                              .tcp_bytes = tcp_bytes, .socks = socks });
}

static void write_rings(unsigned slot, uint32_t nslots, uint64_t ring_bytes, uint64_t tcp_bytes, uint32_t socks)
{
    struct netp_client *r = &table->clients[slot];
    if (!nslots) {
        __atomic_store_n(&r->nslots, 0, __ATOMIC_RELEASE);
        return;
    }
    r->ring_bytes = ring_bytes;
    r->tcp_bytes = tcp_bytes;
    r->tcp_socks = socks;
    __atomic_store_n(&r->nslots, nslots, __ATOMIC_RELEASE);
}

void persist_port(uint16_t port, unsigned owner)
{
    if (table)
        table->port_owner[port] = (uint16_t)owner;
}

/* ---- the takeover --------------------------------------------------------- */

struct found {
    uint64_t cap[KEPT_KINDS];
};

/* Maps a restored client's ring memory and carries its rings on. */
static bool resume_rings(struct netsvc *s, struct session *se, struct netp_client *r, struct found *f)
{
    uint32_t n = r->nslots;
    uint64_t info[2], bytes = r->ring_bytes;
    if (n < NET_RING_SLOTS_MIN || n > NET_RING_SLOTS_MAX || (n & (n - 1)) || !f->cap[KEPT_MEM] ||
        !f->cap[KEPT_NTFN] || bytes != NET_RING_MEM_BYTES(n) + r->tcp_bytes ||
        ae_invoke(f->cap[KEPT_MEM], AERIE_MEM_INFO, 0, 0, info, 2) < 0 || info[0] < bytes)
        return false;
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || ae_task_map(ae_self.task, f->cap[KEPT_MEM], 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, bytes);
        return false;
    }
    uint8_t *m = (uint8_t *)va;
    se->ring_va = m;                     /* first: the guard knows it if the memory vanishes */
    se->ring_bytes = bytes;
    uint32_t id = (uint32_t)se->badge;
    int e = net_client_resume(&s->stack, id, m, NETRING_BYTES(n), m + NET_RING_RX_OFFSET(n), NETRING_BYTES(n), n);
    if (!e && r->tcp_bytes)
        e = net_tcp_resume(&s->stack, id, m + NET_TCP_AREA_OFFSET(n), r->tcp_bytes, r->tcp_socks);
    if (e) {
        net_client_detach(&s->stack, id);
        ae_task_unmap(ae_self.task, va, bytes);
        ae_vm_release(va, bytes);
        se->ring_va = NULL;
        se->ring_bytes = 0;
        return false;
    }
    se->mem_cap = f->cap[KEPT_MEM];
    se->ntfn_cap = f->cap[KEPT_NTFN];
    f->cap[KEPT_MEM] = f->cap[KEPT_NTFN] = 0;
    return true;
}

/* One client of the earlier instance, made again; false if its record
 * cannot be trusted (it is then forgotten). */
static bool restore_client(struct netsvc *s, unsigned slot, struct netp_client *r, struct found *f)
{
    uint64_t badge = r->badge;
    if ((badge & 0xffff) != slot || (badge & NET_ADMIN_BADGE) || r->ngrants > NET_MAX_GRANTS ||
        net_client_restore(&s->stack, (uint32_t)badge, r->grants, r->ngrants, r->conns))
        return false;
    struct session *se = &s->sessions[slot];
    memset(se, 0, sizeof *se);
    se->badge = badge;
    se->ep_cap = f->cap[KEPT_EP];
    f->cap[KEPT_EP] = 0;
    if (r->nslots && !resume_rings(s, se, r, f)) {
        printf("net: client %u: its rings could not be taken over; it must attach again\n", slot);
        persist_rings(slot, 0, 0, 0, 0);
    }
    return true;
}

/* Takes over what the earlier instance left (main, before any request is
 * served; the guard thread already guards the poller, here the main
 * thread). Returns the clients restored. */
unsigned persist_restore(struct netsvc *s)
{
    if (!table || s->fresh_table)
        return 0;                         /* nothing to take over */
    static struct found found[NET_MAX_CLIENTS];
    memset(found, 0, sizeof found);
    uint64_t key = KEY_CAPS - 1, cap;
    while (keep_call(ROOT_KEEP_NEXT, key, 0, &key, &cap) == 0) {
        uint64_t i = key >= KEY_CAPS ? (key - KEY_CAPS) / 4 : ~0ull, kind = (key - KEY_CAPS) % 4;
        if (i < NET_MAX_CLIENTS && kind < KEPT_KINDS && !found[i].cap[kind]) {
            found[i].cap[kind] = cap;
        } else {
            drop_cap(&cap);
            keep_call(ROOT_KEEP_DROP, key, 0, 0, 0);
        }
    }
    unsigned restored = 0, ports = 0;
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++) {
        struct netp_client *r = &table->clients[i];
        if (r->badge && !restore_client(s, i, r, &found[i])) {
            printf("net: client %u: its record is not usable; forgotten\n", i);
            r->badge = 0;
        }
        restored += r->badge != 0;
        for (unsigned k = 0; k < KEPT_KINDS; k++) {     /* what no restored client took */
            if (found[i].cap[k]) {
                drop_cap(&found[i].cap[k]);
                keep_call(ROOT_KEEP_DROP, cap_key(i, k), 0, 0, 0);
            }
        }
    }
    for (uint32_t p = 1; p < 65536; p++) {
        unsigned o = table->port_owner[p];
        if (!o)
            continue;
        struct session *se = o <= NET_MAX_CLIENTS ? &s->sessions[o - 1] : NULL;
        if (se && se->badge && !net_bind(&s->stack, (uint32_t)se->badge, (uint16_t)p, NULL))
            ports++;
        else
            table->port_owner[p] = 0;
    }
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++)   /* a client asleep on its rings looks again */
        if (s->sessions[i].badge && s->sessions[i].ntfn_cap)
            ae_signal(s->sessions[i].ntfn_cap, NET_WAKE_CLIENT);
    if (restored)
        printf("net: took over %u clients and %u bound ports from the last instance\n", restored, ports);
    return restored;
}
