/*
 * nethostile.c — a client that attacks the net service (tests/boot/net.conf,
 * grant net:7300-7301): malformed requests, ring memory it destroys while
 * the service has it mapped, garbage in its own TX ring, bogus ring
 * indices, a flood to closed ports and oversized sends. Each attack is a
 * test that the service refused it and kept serving; at the end it tells
 * nettest main (port 7104), which checks the counters and that the echo
 * server still answers.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <libaerie/invoke.h>
#include <libaerie/net.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "netring/netring.h"
#include "nt.h"

#define OUR_IP   0x0a00020fu
#define MY_PORT  7300
#define TIMEOUT  10000000000ull

unsigned nt_ran;

static uint64_t new_object(uint64_t quota, uint64_t type, uint64_t a0)
{
    uint64_t s = ae_slot_alloc();
    return ae_quota_create(quota, type, s, a0, 0, 0) < 0 ? 0 : s;
}

/* NET_ATTACH by hand: any caps, any size. The reply's status. */
static int raw_attach(uint64_t nslots, uint64_t mem, uint64_t ntfn, unsigned ncaps)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t kick = ae_slot_alloc();
    u->mr[0] = nslots;
    u->caps[0] = (uint32_t)mem;
    u->caps[1] = (uint32_t)ntfn;
    u->recv_slots[0] = (uint32_t)kick;
    int64_t r = ae_call(ae_capenv_lookup("net"), AERIE_INFO(NET_ATTACH, 1, ncaps), TIMEOUT);
    u->recv_slots[0] = 0;
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

static int raw_call(uint64_t label, uint64_t w0, unsigned nwords)
{
    ae_utcb()->mr[0] = w0;
    int64_t r = ae_call(ae_capenv_lookup("net"), AERIE_INFO(label, nwords, 0), TIMEOUT);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

static void malformed_requests_are_refused(struct nt *t)
{
    uint64_t ntfn = new_object(ae_self.quota, AERIE_OBJ_NOTIFICATION, 0);
    uint64_t mem = new_object(ae_self.quota, AERIE_OBJ_MEMORY, NET_RING_MEM_BYTES(16));
    uint64_t small = new_object(ae_self.quota, AERIE_OBJ_MEMORY, 4096);
    uint64_t ro = ae_slot_alloc();
    CHECK(ntfn && mem && small && ae_cap_copy(mem, ro, AERIE_R_READ, 0) == 0);
    CHECK_EQ(raw_attach(3, mem, ntfn, 2), AE_EINVAL);            /* not a power of two */
    CHECK_EQ(raw_attach(512, mem, ntfn, 2), AE_EINVAL);          /* more than the service maps */
    CHECK_EQ(raw_attach(16, mem, ntfn, 0), AE_EINVAL);           /* no capabilities */
    CHECK_EQ(raw_attach(16, small, ntfn, 2), AE_EINVAL);         /* memory too small */
    CHECK_EQ(raw_attach(16, ro, ntfn, 2), AE_EINVAL);            /* read-only memory */
    CHECK_EQ(raw_attach(16, mem, ae_capenv_lookup("net"), 2), AE_EINVAL);   /* an endpoint, not a notification */
    CHECK_EQ(raw_attach(16, ntfn, mem, 2), AE_EINVAL);           /* swapped */
    CHECK_EQ(raw_call(99, 0, 0), AE_ENOSYS);
    CHECK_EQ(raw_call(NET_BIND, 0, 0), AE_EPROTO);               /* too few words */
    CHECK_EQ(raw_call(NET_BIND, 70000, 1), AE_EINVAL);
    CHECK_EQ(raw_call(NET_BIND, 7, 1), AE_EACCES);
    CHECK_EQ(raw_call(NET_UNBIND, 7301, 1), AE_ENOENT);
    CHECK_EQ(raw_call(NET_ADMIN_CLIENT_ADD, 0, 1), AE_EPERM);
    CHECK_EQ(raw_call(NET_ADMIN_CLIENT_REMOVE, 1, 1), AE_EPERM);
    CHECK_EQ(raw_call(NET_ADMIN_STATS, 0, 1), AE_EPERM);
    ae_cap_delete(ro);
    ae_cap_delete(small);
    ae_cap_delete(mem);
    ae_cap_delete(ntfn);
}

/* Ring memory from a quota we then destroy: the kernel unmaps it from the
 * service too, whose next look at the rings faults. */
static void ring_memory_destroyed_under_the_service(struct nt *t)
{
    uint64_t q = ae_slot_alloc();
    CHECK_EQ(ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, 1 << 20, 0, 8), 0);
    uint64_t mem = new_object(q, AERIE_OBJ_MEMORY, NET_RING_MEM_BYTES(16));
    uint64_t ntfn = new_object(ae_self.quota, AERIE_OBJ_NOTIFICATION, 0);
    CHECK(mem && ntfn);
    CHECK_EQ(raw_attach(16, mem, ntfn, 2), 0);
    CHECK_EQ(ae_invoke0(q, AERIE_QUOTA_DESTROY), 0);
    CHECK_EQ(raw_call(NET_BIND, MY_PORT + 1, 1), 0);             /* wakes the poller: it touches the rings */
    CHECK_EQ(raw_call(NET_UNBIND, MY_PORT + 1, 1), 0);
    uint64_t st[4];
    CHECK_EQ(ae_net_client_stats(st), 0);                        /* still serving */
}

/* Slots no honest client writes, and indices that make no sense. */
static void garbage_in_the_tx_ring_is_refused(struct nt *t)
{
    CHECK_EQ(ae_net_open(), 0);                                  /* fresh rings after the lost ones */
    uint16_t port;
    CHECK_EQ(ae_net_bind(MY_PORT, &port), 0);
    struct netring *tx = ae_net_tx_ring();
    CHECK(tx != NULL);
    struct { uint32_t ip; uint16_t rport, lport, len; } bad[] = {
        { OUR_IP, 9, MY_PORT, 5000 },                            /* too long */
        { 0, 9, MY_PORT, 10 },                                   /* no address */
        { OUR_IP, 0, MY_PORT, 10 },                              /* port 0 */
        { OUR_IP, 9, MY_PORT + 1, 10 },                          /* a port we did not bind */
        { OUR_IP, 7, 7, 10 },                                    /* the echo server's port */
        { 0xffffffffu, 9, MY_PORT, 10 },                         /* broadcast */
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct netring_slot *s = netring_prod_next(tx);
        CHECK(s != NULL);
        s->remote_ip = bad[i].ip;
        s->remote_port = bad[i].rport;
        s->local_port = bad[i].lport;
        s->len = bad[i].len;
        netring_prod_commit(tx);
    }
    netring_prod_publish(tx);
    CHECK_EQ(ae_net_send(MY_PORT, OUR_IP, 9, "kick", 4), 0);       /* a real one, which signals */
    usleep(200000);
    /* A producer index far ahead of the consumer: counted, ignored. */
    uint32_t real = tx->hdr->prod;
    __atomic_store_n(&tx->hdr->prod, real + 100000, __ATOMIC_RELEASE);
    CHECK_EQ(raw_call(NET_CLIENT_STATS, 0, 0), 0);               /* the poller looks at the rings */
    usleep(200000);
    __atomic_store_n(&tx->hdr->prod, real, __ATOMIC_RELEASE);
    uint64_t st[4];
    CHECK_EQ(ae_net_client_stats(st), 0);
    CHECK(st[3] >= 7);                                           /* tx_refused: six bad and the kick to port 9 */
}

static void flood_to_closed_ports(struct nt *t)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(MY_PORT + 1) };
    CHECK_EQ(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    static char big[8193];                                       /* past NETRING_DGRAM_MAX */
    for (int i = 0; i < 2000; i++) {
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(9000 + i % 50)),
                                  .sin_addr = { htonl(OUR_IP) } };
        CHECK_EQ(sendto(fd, big, (size_t)(i % 1473), 0, (struct sockaddr *)&to, sizeof to), i % 1473);
        if (i % 100 == 0)
            CHECK_ERR(sendto(fd, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE);
    }
    close(fd);
}

int main(void)
{
    NT_RUN(malformed_requests_are_refused);
    NT_RUN(ring_memory_destroyed_under_the_service);
    NT_RUN(garbage_in_the_tx_ring_is_refused);
    NT_RUN(flood_to_closed_ports);
    ae_kprintf("TESTS DONE %u\n", nt_ran);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7104), .sin_addr = { htonl(OUR_IP) } };
    sendto(fd, "hostile done", 12, 0, (struct sockaddr *)&to, sizeof to);
    usleep(500000);                           /* let the service drain our ring before we go */
    return 0;
}
