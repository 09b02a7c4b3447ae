/*
 * t_migrate.c — SET_AFFINITY racing with a thread that blocks and is
 * woken at once on the other CPU (kfix). A thread's CPU may change only
 * once it is off its old CPU's stack; before the fix a thread marked for
 * a move while running, which blocked and was woken before its old CPU
 * had finished switching away, stayed queued there under the new CPU's
 * number, and both CPUs could then run it (fuzzer leaks, reference
 * counts below zero, double frees). The scheduler now panics on a thread
 * it finds on its queue with another CPU's number or still on a CPU, so
 * these tests fail by panic if the race comes back.
 */
#include "kt.h"

#define FLIP_MS 1500

static volatile uint64_t mig_calls[2], mig_served;

/* Answers every call on ep at once, on whichever CPU it is put. */
static void mig_server(void *arg)
{
    uint64_t ep = (uint64_t)arg, badge;
    int64_t r = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);
    while (r >= 0) {
        __atomic_add_fetch(&mig_served, 1, __ATOMIC_RELAXED);
        r = ae_reply_recv(ep, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER, &badge);
    }
}

struct mig_client {
    uint64_t ep;
    unsigned idx;
};

/* Calls flat out: each call blocks it and the reply wakes it right away. */
static void mig_client(void *arg)
{
    struct mig_client *c = arg;
    for (;;)
        if (ae_call(c->ep, AERIE_INFO(0, 0, 0), AERIE_TIMEOUT_FOREVER) >= 0)
            __atomic_add_fetch(&mig_calls[c->idx], 1, __ATOMIC_RELAXED);
}

KTEST_CPUS(thread_affinity_flips_while_calling, 2,
           "SET_AFFINITY flipped over and over on threads that block and are woken at once: each keeps running, "
           "on one CPU at a time, and nothing leaks")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    mig_calls[0] = mig_calls[1] = mig_served = 0;
    struct ae_thread s0 = { 0 }, s1 = { 0 }, c0 = { 0 }, c1 = { 0 };
    struct mig_client a = { ep, 0 }, b = { ep, 1 };
    CHECK_OK(kt_thread(env, &s0, mig_server, (void *)ep, 0));
    CHECK_OK(kt_thread(env, &s1, mig_server, (void *)ep, 1));
    CHECK_OK(kt_thread(env, &c0, mig_client, &a, 0));
    CHECK_OK(kt_thread(env, &c1, mig_client, &b, 1));
    const uint64_t flip[] = { c0.thread_slot, c1.thread_slot, s0.thread_slot, s1.thread_slot };
    uint64_t until = kt_now_ns() + FLIP_MS * 1000000ull, n = 0;
    while (kt_now_ns() < until) {
        for (unsigned k = 0; k < 4; k++)
            CHECK_OK(ae_invokev(flip[k], AERIE_THREAD_SET_AFFINITY, (n + k) & 1));
        if (++n % 4 == 0)
            ae_yield();
    }
    /* Both clients still make progress (neither was lost off every queue). */
    uint64_t a0 = mig_calls[0], b0 = mig_calls[1];
    bool moved = false;
    for (int i = 0; i < 2000 && !moved; i++) {
        ae_sleep_ns(1000000);
        moved = mig_calls[0] != a0 && mig_calls[1] != b0;
    }
    CHECK(moved);
    CHECK(n > 100);
    for (unsigned k = 0; k < 4; k++)
        CHECK_OK(ae_invoke0(flip[k], AERIE_THREAD_DESTROY));
}
