/*
 * netring.c — single-producer/single-consumer datagram rings in shared
 * memory (layout: <aerie/netring.h>; contract: netring.h).
 *
 * Ordering: a side fills or reads slots, then stores its index with
 * release order; the other side loads that index with acquire order
 * before touching the slots it covers. The wakeup handshake is Dekker's:
 * the sleeper stores its flag, full barrier, re-reads the index; the
 * publisher stores its index, full barrier, reads the flag. At least one
 * of them sees the other's store, so no wakeup is lost.
 */
#include <string.h>
#include <aerie/errors.h>
#include "netring.h"

static bool nslots_valid(uint32_t n)
{
    return n >= NETRING_MIN_SLOTS && n <= NETRING_MAX_SLOTS && (n & (n - 1)) == 0;
}

static bool region_valid(const void *mem, size_t size, uint32_t nslots)
{
    return mem && ((uintptr_t)mem & 63) == 0 && nslots_valid(nslots) &&
           size >= NETRING_BYTES(nslots);
}

int netring_format(void *mem, size_t size, uint32_t nslots)
{
    if (!region_valid(mem, size, nslots))
        return AE_EINVAL;
    struct netring_hdr *h = mem;
    memset(h, 0, sizeof *h);
    h->magic = NETRING_MAGIC;
    h->version = NETRING_VERSION;
    h->nslots = nslots;
    h->slot_size = sizeof(struct netring_slot);
    return 0;
}

int netring_attach(struct netring *r, void *mem, size_t size, uint32_t nslots)
{
    memset(r, 0, sizeof *r);
    if (!region_valid(mem, size, nslots))
        return AE_EINVAL;
    r->hdr = mem;
    r->slots = (struct netring_slot *)((uint8_t *)mem + sizeof(struct netring_hdr));
    r->nslots = nslots;
    r->mask = nslots - 1;
    return 0;
}

int netring_open(struct netring *r, void *mem, size_t size)
{
    memset(r, 0, sizeof *r);
    if (!mem || ((uintptr_t)mem & 63) || size < sizeof(struct netring_hdr))
        return AE_EINVAL;
    const volatile struct netring_hdr *h = mem;
    uint32_t nslots = h->nslots;
    if (h->magic != NETRING_MAGIC || h->version != NETRING_VERSION ||
        h->slot_size != sizeof(struct netring_slot))
        return AE_EINVAL;
    return netring_attach(r, mem, size, nslots);
}

void netring_resume(struct netring *r, bool producer)
{
    uint32_t own = __atomic_load_n(producer ? &r->hdr->prod : &r->hdr->cons, __ATOMIC_ACQUIRE);
    r->pos = r->published = own;
    r->seen = producer ? own - r->nslots : own;   /* either way: read the other side afresh */
}

/* ---- producer ---------------------------------------------------------- */

struct netring_slot *netring_prod_next(struct netring *r)
{
    return netring_prod_peek(r, 0);
}

struct netring_slot *netring_prod_peek(struct netring *r, uint32_t k)
{
    if (k >= r->nslots)
        return NULL;
    if (r->pos + k - r->seen >= r->nslots) {   /* looks full: re-read the consumer */
        uint32_t cons = __atomic_load_n(&r->hdr->cons, __ATOMIC_ACQUIRE);
        if (r->pos - cons > r->nslots) {       /* ahead of us, or far behind: bogus */
            r->corrupt++;
            return NULL;
        }
        r->seen = cons;
        if (r->pos + k - cons >= r->nslots)
            return NULL;
    }
    return &r->slots[(r->pos + k) & r->mask];
}

void netring_prod_commit(struct netring *r)
{
    r->pos++;
}

bool netring_prod_publish(struct netring *r)
{
    if (r->pos == r->published)
        return false;
    __atomic_store_n(&r->hdr->prod, r->pos, __ATOMIC_RELEASE);
    r->published = r->pos;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);   /* index store before flag load */
    return __atomic_load_n(&r->hdr->cons_wants_wakeup, __ATOMIC_RELAXED) != 0;
}

bool netring_prod_wait_prepare(struct netring *r)
{
    __atomic_store_n(&r->hdr->prod_wants_wakeup, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);   /* flag store before index load */
    r->seen = r->pos - r->nslots;              /* force a fresh read of cons */
    return netring_prod_next(r) == NULL;
}

void netring_prod_wait_end(struct netring *r)
{
    __atomic_store_n(&r->hdr->prod_wants_wakeup, 0, __ATOMIC_RELAXED);
}

/* ---- consumer ---------------------------------------------------------- */

const struct netring_slot *netring_cons_next(struct netring *r)
{
    return netring_cons_peek(r, 0);
}

const struct netring_slot *netring_cons_peek(struct netring *r, uint32_t k)
{
    if (k >= r->nslots)
        return NULL;
    if (r->seen - r->pos <= k) {               /* not known published: re-read the producer */
        uint32_t prod = __atomic_load_n(&r->hdr->prod, __ATOMIC_ACQUIRE);
        if (prod - r->pos > r->nslots) {       /* behind us, or too far ahead: bogus */
            r->corrupt++;
            return NULL;
        }
        r->seen = prod;
        if (prod - r->pos <= k)
            return NULL;
    }
    return &r->slots[(r->pos + k) & r->mask];
}

void netring_cons_commit(struct netring *r)
{
    r->pos++;
}

bool netring_cons_publish(struct netring *r)
{
    if (r->pos == r->published)
        return false;
    __atomic_store_n(&r->hdr->cons, r->pos, __ATOMIC_RELEASE);
    r->published = r->pos;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&r->hdr->prod_wants_wakeup, __ATOMIC_RELAXED) != 0;
}

bool netring_cons_wait_prepare(struct netring *r)
{
    __atomic_store_n(&r->hdr->cons_wants_wakeup, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return netring_cons_next(r) == NULL;
}

void netring_cons_wait_end(struct netring *r)
{
    __atomic_store_n(&r->hdr->cons_wants_wakeup, 0, __ATOMIC_RELAXED);
}

void netring_read_meta(const struct netring_slot *s, struct netring_meta *m)
{
    const volatile struct netring_slot *v = s;
    m->remote_ip = v->remote_ip;
    m->remote_port = v->remote_port;
    m->local_port = v->local_port;
    m->len = v->len;
    m->flags = v->flags;
}
