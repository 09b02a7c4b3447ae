/*
 * net_admin.c — the net service's admin operations (aerie/proto/net.h,
 * NET_ADMIN_*), for the container manager and root: create a client with
 * its port grants (UDP, TCP, TCP destinations) and TCP connection budget,
 * remove it, read the counters.
 */
#include <libaerie/net.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include <aerie/errors.h>

#define ADMIN_TIMEOUT 10000000000ull

static int status(int64_t r)
{
    if (r < 0)
        return (int)r;
    return proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

int ae_net_admin_client_add(uint64_t admin, const struct ae_net_range *ranges, unsigned n,
                            uint64_t *id, uint64_t *cap)
{
    return ae_net_admin_client_add_k(admin, ranges, NULL, n, 0, id, cap);
}

int ae_net_admin_client_add_k(uint64_t admin, const struct ae_net_range *ranges, const uint8_t *kinds,
                              unsigned n, unsigned conns, uint64_t *id, uint64_t *cap)
{
    if (n > NET_MAX_RANGES || conns > NET_CONNS_MAX)
        return AE_EINVAL;
    uint64_t slot = ae_slot_alloc();
    if (!slot)
        return AE_ELIMIT;
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = n | (uint64_t)conns << 16;
    for (unsigned i = 0; i < n; i++)
        u->mr[1 + i] = NET_RANGE_K(ranges[i].lo, ranges[i].hi, kinds ? kinds[i] : NET_PORTS_UDP);
    u->recv_slots[0] = (uint32_t)slot;
    int64_t r = ae_call(admin, AERIE_INFO(NET_ADMIN_CLIENT_ADD, 1 + n, 0), ADMIN_TIMEOUT);
    u->recv_slots[0] = 0;
    int st = status(r);
    if (!st && AERIE_INFO_NCAPS((uint64_t)r) != 1)
        st = AE_EPROTO;
    if (st) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
        return st;
    }
    *id = u->mr[0];
    *cap = slot;
    return 0;
}

/* A removal net died with (AE_EDEAD: the instance had received it) is
 * made again to the next instance: otherwise that instance would restore
 * the client from its kept table with its ports bound, and a container
 * later granted those ports could never bind them. A repeat that finds
 * the client gone (AE_ESRCH) means the first one took effect. */
#define REMOVE_ATTEMPTS 4

int ae_net_admin_client_remove(uint64_t admin, uint64_t id)
{
    int st = AE_EDEAD;
    for (unsigned attempt = 0; attempt < REMOVE_ATTEMPTS && st == AE_EDEAD; attempt++) {
        ae_utcb()->mr[0] = id;
        st = status(ae_call(admin, AERIE_INFO(NET_ADMIN_CLIENT_REMOVE, 1, 0), ADMIN_TIMEOUT));
        if (attempt > 0 && st == AE_ESRCH)
            st = 0;
    }
    return st;
}

int ae_net_admin_stats(uint64_t admin, void (*fn)(const char *name, uint64_t value, void *arg), void *arg)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t first = 0, total;
    do {
        u->mr[0] = first;
        int st = status(ae_call(admin, AERIE_INFO(NET_ADMIN_STATS, 1, 0), ADMIN_TIMEOUT));
        if (st)
            return st;
        total = u->mr[0];
        uint64_t n = u->mr[1];
        if (n == 0 || n > NET_STATS_PER_REPLY)
            return n ? AE_EPROTO : 0;
        uint64_t rec[NET_STATS_PER_REPLY * NET_STAT_WORDS];
        for (uint64_t i = 0; i < n * NET_STAT_WORDS; i++)
            rec[i] = u->mr[2 + i];               /* fn may make calls of its own */
        for (uint64_t i = 0; i < n; i++) {
            char name[NET_STAT_NAME_BYTES];
            const char *src = (const char *)&rec[i * NET_STAT_WORDS + 1];
            for (unsigned k = 0; k < NET_STAT_NAME_BYTES; k++)
                name[k] = src[k];
            name[NET_STAT_NAME_BYTES - 1] = 0;
            fn(name, rec[i * NET_STAT_WORDS], arg);
        }
        first += n;
    } while (first < total);
    return 0;
}
