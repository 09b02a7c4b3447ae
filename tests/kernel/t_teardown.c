/*
 * t_teardown.c — a thread destroyed from one CPU while it blocks and
 * wakes over and over on the other (kfix). Its teardown first aborts
 * whatever it waits for, then marks it dead; a thread that blocked again
 * in between was once marked dead inside that wait, which then never
 * ended: the wait object's reference leaked (a server thread, with its
 * task and memory, in the fuzzer) and a sender stayed on an endpoint's
 * queue after it was freed. The harness's leak check and the endpoint
 * teardowns at the end catch either.
 */
#include "kt.h"

#define VICTIMS 1000

struct victim_args {
    uint64_t call_ep, send_ep;
};

static volatile uint64_t td_served;
static volatile uint64_t td_steps;

static void td_server(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0) {
        __atomic_add_fetch(&td_served, 1, __ATOMIC_RELAXED);
        r = ae_reply_recv(ep, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER, &badge);
    }
}

/* Blocks and is woken again at once, over and over: calls answered by
 * a server on its own CPU, so about half the time it is running on its
 * way into a wait (where the teardown's window is); now and then a wait
 * on an endpoint's send queue that nobody takes. */
static void td_victim(void *arg)
{
    const struct victim_args *a = arg;
    for (uint64_t n = 1;; n++) {
        ae_call(a->call_ep, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER);
        __atomic_add_fetch(&td_steps, 1, __ATOMIC_RELAXED);
        if (n % 64 == 0)
            ae_send(a->send_ep, AERIE_INFO(0, 0, 0), 10000);
    }
}

static void td_spin_ns(uint64_t ns)
{
    uint64_t until = kt_now_ns() + ns;
    while (kt_now_ns() < until)
        ;
}

KTEST_CPUS(thread_destroyed_while_it_blocks, 2,
           "a thread destroyed from another CPU while it blocks and wakes again and again leaves no wait behind: "
           "nothing leaks, no queue keeps it")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    ae_yield();
    static struct victim_args a;
    a.call_ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    a.send_ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    td_served = td_steps = 0;
    struct ae_thread server = { 0 };
    CHECK_OK(kt_thread(env, &server, td_server, (void *)a.call_ep, 1));
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < VICTIMS; i++) {
        struct ae_thread v = { 0 };
        uint64_t s0 = td_steps;
        CHECK_OK(kt_thread(env, &v, td_victim, &a, 1));
        for (int k = 0; k < 2000 && td_steps == s0; k++)   /* in its loop (a busy host may be slow) */
            ae_sleep_ns(100000);
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        td_spin_ns(2000 + (seed >> 33) % 50000);    /* 2..52 us: somewhere in its loop */
        ae_thread_destroy(&v);
    }
    CHECK(td_steps > 0);
    CHECK(td_served > 0);
    ae_thread_destroy(&server);
    /* What is left is checked by the harness once the quota is gone:
     * every page and object back, and the endpoints' teardowns found
     * no thread freed under them. */
}
