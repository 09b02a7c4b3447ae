/*
 * test_netring.c — host tests for the shared datagram rings
 * (lib/netring): geometry checks, hostile indices, index wrap-around, and
 * a producer and a consumer thread passing datagrams through a small ring
 * with the sleep/wakeup handshake (a lost wakeup shows as a stall).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/errors.h>
#include "netring.h"
#include "ktest_host.h"

static void *ring_mem(uint32_t nslots)
{
    void *m = aligned_alloc(64, (NETRING_BYTES(nslots) + 63) & ~(size_t)63);
    if (!m)
        abort();
    return m;
}

static void netring_geometry_checked(void)
{
    void *m = ring_mem(8);
    struct netring r;
    CHECK_EQ(netring_format(m, NETRING_BYTES(8), 8), 0);
    CHECK_EQ(netring_format(m, NETRING_BYTES(8) - 1, 8), AE_EINVAL);
    CHECK_EQ(netring_format(m, NETRING_BYTES(8), 6), AE_EINVAL);
    CHECK_EQ(netring_format(m, NETRING_BYTES(8), 1), AE_EINVAL);
    CHECK_EQ(netring_format(m, ~(size_t)0, NETRING_MAX_SLOTS * 2), AE_EINVAL);
    CHECK_EQ(netring_format((uint8_t *)m + 8, NETRING_BYTES(2), 2), AE_EINVAL);
    CHECK_EQ(netring_format(NULL, NETRING_BYTES(8), 8), AE_EINVAL);
    CHECK_EQ(netring_open(&r, m, NETRING_BYTES(8)), 0);
    CHECK_EQ(r.nslots, 8);
    CHECK_EQ(netring_open(&r, m, NETRING_BYTES(4)), AE_EINVAL);   /* header says 8 */
    ((struct netring_hdr *)m)->magic = 0;
    CHECK_EQ(netring_open(&r, m, NETRING_BYTES(8)), AE_EINVAL);
    free(m);
}

static void netring_full_and_empty(void)
{
    void *m = ring_mem(4);
    struct netring p, c;
    netring_format(m, NETRING_BYTES(4), 4);
    netring_attach(&p, m, NETRING_BYTES(4), 4);
    netring_attach(&c, m, NETRING_BYTES(4), 4);
    CHECK(netring_cons_next(&c) == NULL);
    for (uint32_t i = 0; i < 4; i++) {
        struct netring_slot *s = netring_prod_next(&p);
        CHECK(s != NULL);
        if (!s)
            break;
        s->remote_ip = i;
        netring_prod_commit(&p);
    }
    CHECK(netring_prod_next(&p) == NULL);         /* full */
    CHECK(netring_cons_next(&c) == NULL);         /* nothing published yet */
    netring_prod_publish(&p);
    for (uint32_t i = 0; i < 4; i++) {
        const struct netring_slot *s = netring_cons_next(&c);
        CHECK(s != NULL);
        if (!s)
            break;
        CHECK_EQ(s->remote_ip, i);
        netring_cons_commit(&c);
    }
    CHECK(netring_cons_next(&c) == NULL);
    CHECK(netring_prod_next(&p) == NULL);         /* not released yet */
    netring_cons_publish(&c);
    CHECK(netring_prod_next(&p) != NULL);
    CHECK_EQ(p.corrupt + c.corrupt, 0);
    free(m);
}

static void netring_hostile_indices_detected(void)
{
    void *m = ring_mem(8);
    struct netring p, c;
    netring_format(m, NETRING_BYTES(8), 8);
    netring_attach(&p, m, NETRING_BYTES(8), 8);
    netring_attach(&c, m, NETRING_BYTES(8), 8);
    struct netring_hdr *h = m;
    h->prod = 9;                                  /* more than the ring holds */
    CHECK(netring_cons_next(&c) == NULL);
    h->prod = 0xffffffffu;                        /* behind the consumer */
    CHECK(netring_cons_next(&c) == NULL);
    CHECK_EQ(c.corrupt, 2);
    h->prod = 8;                                  /* exactly full: valid */
    CHECK(netring_cons_next(&c) != NULL);
    CHECK_EQ(c.corrupt, 2);
    /* the producer fills its 8 slots, then the consumer lies */
    for (int i = 0; i < 8; i++) {
        CHECK(netring_prod_next(&p) != NULL);
        netring_prod_commit(&p);
    }
    h->cons = 9;                                  /* ahead of the producer */
    CHECK(netring_prod_next(&p) == NULL);
    h->cons = 0x80000000u;
    CHECK(netring_prod_next(&p) == NULL);
    CHECK_EQ(p.corrupt, 2);
    h->cons = 3;
    CHECK(netring_prod_next(&p) != NULL);
    free(m);
}

static void netring_indices_wrap(void)
{
    void *m = ring_mem(8);
    struct netring p, c;
    netring_format(m, NETRING_BYTES(8), 8);
    netring_attach(&p, m, NETRING_BYTES(8), 8);
    netring_attach(&c, m, NETRING_BYTES(8), 8);
    uint32_t start = 0xfffffff5u;                 /* 11 before the wrap */
    struct netring_hdr *h = m;
    h->prod = h->cons = start;
    p.pos = p.published = p.seen = start;
    c.pos = c.published = c.seen = start;
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 20; round++) {
        struct netring_slot *s;
        while ((s = netring_prod_next(&p))) {
            s->remote_ip = next_in++;
            netring_prod_commit(&p);
        }
        netring_prod_publish(&p);
        const struct netring_slot *r;
        while ((r = netring_cons_next(&c))) {
            if (r->remote_ip != next_out)
                break;
            next_out++;
            netring_cons_commit(&c);
        }
        netring_cons_publish(&c);
    }
    CHECK_EQ(next_in, 160);
    CHECK_EQ(next_out, 160);
    CHECK_EQ(p.corrupt + c.corrupt, 0);
    CHECK(h->prod < start);                       /* it did wrap */
    free(m);
}

/* ---- two threads -------------------------------------------------------- */

#define XFER_COUNT 200000u
#define STALL_SECONDS 10

struct xfer {
    struct netring prod, cons;
    unsigned signal_to_cons, signal_to_prod;      /* "wakeup" counters */
    const char *error;
    uint32_t bad_seq;
    unsigned prod_sleeps, cons_sleeps;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until *counter moves from seen; false if it never does. */
static bool wait_signal(unsigned *counter, unsigned seen)
{
    double limit = now_s() + STALL_SECONDS;
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) == seen) {
        if (now_s() > limit)
            return false;
        sched_yield();
    }
    return true;
}

static void *producer(void *arg)
{
    struct xfer *x = arg;
    uint32_t seq = 0;
    unsigned batch = 1;
    while (seq < XFER_COUNT) {
        unsigned n = 0;
        struct netring_slot *s;
        while (n < batch && seq < XFER_COUNT && (s = netring_prod_next(&x->prod))) {
            s->remote_ip = seq;
            s->len = (uint16_t)(seq % 61 + 3);
            memset(s->payload, (int)(seq & 0xff), s->len);
            netring_prod_commit(&x->prod);
            seq++;
            n++;
        }
        batch = batch % 13 + 1;
        if (netring_prod_publish(&x->prod))
            __atomic_fetch_add(&x->signal_to_cons, 1, __ATOMIC_RELEASE);
        if (n == 0) {
            unsigned seen = __atomic_load_n(&x->signal_to_prod, __ATOMIC_ACQUIRE);
            if (netring_prod_wait_prepare(&x->prod)) {
                x->prod_sleeps++;
                if (!wait_signal(&x->signal_to_prod, seen)) {
                    x->error = "producer never woken: lost wakeup";
                    return NULL;
                }
            }
            netring_prod_wait_end(&x->prod);
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct xfer *x = arg;
    uint32_t expect = 0;
    while (expect < XFER_COUNT) {
        const struct netring_slot *s;
        unsigned n = 0;
        while ((s = netring_cons_next(&x->cons))) {
            struct netring_meta m;
            netring_read_meta(s, &m);
            bool ok = m.remote_ip == expect && m.len == expect % 61 + 3;
            for (unsigned i = 0; ok && i < m.len; i++)
                ok = s->payload[i] == (expect & 0xff);
            if (!ok) {
                x->error = "datagram out of order or corrupted";
                x->bad_seq = expect;
                return NULL;
            }
            netring_cons_commit(&x->cons);
            expect++;
            if (++n == 7)                         /* release in small batches */
                break;
        }
        if (netring_cons_publish(&x->cons))
            __atomic_fetch_add(&x->signal_to_prod, 1, __ATOMIC_RELEASE);
        if (n == 0) {
            unsigned seen = __atomic_load_n(&x->signal_to_cons, __ATOMIC_ACQUIRE);
            if (netring_cons_wait_prepare(&x->cons)) {
                x->cons_sleeps++;
                if (!wait_signal(&x->signal_to_cons, seen)) {
                    x->error = "consumer never woken: lost wakeup";
                    return NULL;
                }
            }
            netring_cons_wait_end(&x->cons);
        }
    }
    return NULL;
}

static void netring_two_threads_in_order(void)
{
    uint32_t nslots = 16;
    void *m = ring_mem(nslots);
    struct xfer *x = calloc(1, sizeof *x);
    netring_format(m, NETRING_BYTES(nslots), nslots);
    netring_attach(&x->prod, m, NETRING_BYTES(nslots), nslots);
    netring_attach(&x->cons, m, NETRING_BYTES(nslots), nslots);
    pthread_t tp, tc;
    pthread_create(&tc, NULL, consumer, x);
    pthread_create(&tp, NULL, producer, x);
    pthread_join(tp, NULL);
    if (x->error)                                 /* let a stalled consumer see the end */
        __atomic_fetch_add(&x->signal_to_cons, 1, __ATOMIC_RELEASE);
    pthread_join(tc, NULL);
    if (x->error && host_test_ok) {
        host_test_ok = false;
        snprintf(host_test_why, sizeof host_test_why, "%s (at datagram %u)", x->error,
                 x->bad_seq);
    }
    CHECK_EQ(x->prod.corrupt + x->cons.corrupt, 0);
    CHECK_EQ(((struct netring_hdr *)m)->cons, XFER_COUNT);
    printf("netring: %u datagrams; the producer slept %u times, the consumer %u times\n",
           XFER_COUNT, x->prod_sleeps, x->cons_sleeps);
    free(x);
    free(m);
}

int main(void)
{
    RUN(netring_geometry_checked);
    RUN(netring_full_and_empty);
    RUN(netring_hostile_indices_detected);
    RUN(netring_indices_wrap);
    RUN(netring_two_threads_in_order);
    return TESTS_DONE();
}
