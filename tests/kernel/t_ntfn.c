/*
 * t_ntfn.c — notifications, sleeping, futexes and scheduling: signal and
 * wait, badged signals, timeouts, futex wait/wake and their errors,
 * preemption by priority and round robin among equals.
 */
#include "kt.h"

static volatile int ready, done;
static volatile uint64_t bits_seen, c1, c2;

KTEST(ntfn_signal_then_wait, "signals accumulate by OR and a wait returns and clears them")
{
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits = 0;
    CHECK_OK(ae_signal(n, 0x1));
    CHECK_OK(ae_signal(n, 0x10));
    CHECK_OK(ae_recv(n, AERIE_TIMEOUT_POLL, &bits));
    CHECK_EQ(bits, 0x11);
    CHECK_EQ(ae_recv(n, AERIE_TIMEOUT_POLL, &bits), AE_ETIMEOUT);
    CHECK_EQ(ae_signal(n, 0), AE_EINVAL);
}

static void waiter(void *arg)
{
    uint64_t bits = 0;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &bits);
    bits_seen = r < 0 ? (uint64_t)r : bits;
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

KTEST(ntfn_wait_blocks_until_signal, "a waiting thread sleeps until a signal and receives its bits")
{
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    struct ae_thread th = { 0 };
    ready = done = 0;
    CHECK_OK(kt_thread(env, &th, waiter, (void *)n, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    ae_sleep_ns(2000000);
    CHECK_EQ(done, 0);
    CHECK_OK(ae_signal(n, 0x80));
    CHECK(kt_wait(&done, 1, 1000));
    CHECK_EQ(bits_seen, 0x80);
}

KTEST(ntfn_badged_signals_only_its_badge, "a badged notification capability signals its badge, whatever bits it names")
{
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits;
    uint64_t b = kt_mint(n, AERIE_R_WRITE, 0x4);
    CHECK_OK(ae_signal(b, 0xFF00));
    CHECK_OK(ae_recv(n, AERIE_TIMEOUT_POLL, &bits));
    CHECK_EQ(bits, 0x4);
    CHECK_EQ(ae_recv(b, AERIE_TIMEOUT_POLL, &bits), AE_ERIGHTS);    /* no READ */
    uint64_t ro = kt_mint(n, AERIE_R_READ, 0);
    CHECK_EQ(ae_signal(ro, 1), AE_ERIGHTS);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_EQ(ae_signal(ep, 1), AE_ETYPE);
}

static void delete_soon(void *arg)
{
    ae_sleep_ns(3000000);
    ae_cap_delete((uint64_t)arg);
}

KTEST(ntfn_destroyed_wakes_waiter, "a waiter gets EDEAD when its notification is destroyed")
{
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits;
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, delete_soon, (void *)n, -1));
    CHECK_EQ(ae_recv(n, AERIE_TIMEOUT_FOREVER, &bits), AE_EDEAD);
}

KTEST(sleep_lasts_at_least, "a sleep returns after at least its time; a wait times out likewise")
{
    uint64_t t0 = kt_now_ns();
    CHECK_OK(ae_sleep_ns(15000000));
    CHECK(kt_now_ns() - t0 >= 15000000);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits;
    t0 = kt_now_ns();
    CHECK_EQ(ae_recv(n, 8000000, &bits), AE_ETIMEOUT);
    CHECK(kt_now_ns() - t0 >= 8000000);
    CHECK_OK(ae_sleep_ns(0));
}

static volatile uint32_t fx;

static void futex_waiter(void *arg)
{
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    int64_t r = ae_futex_wait(&fx, 0, AERIE_TIMEOUT_FOREVER);
    bits_seen = (uint64_t)r;
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

KTEST(futex_wait_and_wake, "futex wait sleeps while the word holds the value; wake wakes it")
{
    struct ae_thread th = { 0 };
    fx = 0;
    ready = done = 0;
    CHECK_OK(kt_thread(env, &th, futex_waiter, 0, -1));
    CHECK(kt_wait(&ready, 1, 1000));
    ae_sleep_ns(2000000);
    CHECK_EQ(done, 0);
    fx = 1;
    int64_t woken = 0;
    for (int i = 0; i < 100 && woken == 0; i++) {
        woken = ae_futex_wake(&fx, 10);
        if (!woken)
            ae_sleep_ns(1000000);
    }
    CHECK_EQ(woken, 1);
    CHECK(kt_wait(&done, 1, 1000));
    CHECK_EQ(bits_seen, 0);
}

KTEST(futex_errors, "futex: value mismatch EAGAIN, timeout, unmapped EFAULT, misaligned EINVAL")
{
    static volatile uint32_t w = 5;
    CHECK_EQ(ae_futex_wait(&w, 6, AERIE_TIMEOUT_FOREVER), AE_EAGAIN);
    CHECK_EQ(ae_futex_wait(&w, 5, AERIE_TIMEOUT_POLL), AE_ETIMEOUT);
    CHECK_EQ(ae_futex_wait(&w, 5, 2000000), AE_ETIMEOUT);
    CHECK_EQ(ae_futex_wait((volatile uint32_t *)0x7000000000ull, 0, 0), AE_EFAULT);
    CHECK_EQ(ae_futex_wait((volatile uint32_t *)0xFFFF800000001000ull, 0, 0), AE_EFAULT);
    CHECK_EQ(ae_futex_wait((volatile uint32_t *)((uint64_t)&w + 1), 0, 0), AE_EINVAL);
    CHECK_EQ(ae_futex_wake(&w, 5), 0);
    CHECK_EQ(ae_syscall(AERIE_SYS_FUTEX, 9, (uint64_t)&w, 0, 0, 0, 0), AE_EINVAL);
}

static void spin1(void *arg) { for (;;) __atomic_add_fetch(&c1, 1, __ATOMIC_RELAXED); }
static void spin2(void *arg) { for (;;) __atomic_add_fetch(&c2, 1, __ATOMIC_RELAXED); }

KTEST(sched_priority_preempts, "a higher-priority thread preempts a spinning lower one on its CPU")
{
    struct ae_thread th = { 0 };
    c1 = 0;
    CHECK_OK(kt_thread(env, &th, spin1, 0, 0));
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, 3));
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = kt_now_ns();
        CHECK_OK(ae_sleep_ns(2000000));           /* returns only if we preempt the spinner */
        CHECK(kt_now_ns() - t0 < 2000000000ull);
    }
    CHECK(c1 > 0);
}

KTEST(sched_round_robin, "threads of equal priority on one CPU all make progress")
{
    struct ae_thread a = { 0 }, b = { 0 };
    c1 = c2 = 0;
    CHECK_OK(kt_thread(env, &a, spin1, 0, 0));
    CHECK_OK(kt_thread(env, &b, spin2, 0, 0));
    for (int i = 0; i < 500 && (c1 < 1000 || c2 < 1000); i++)
        ae_sleep_ns(1000000);
    CHECK(c1 >= 1000);
    CHECK(c2 >= 1000);
    CHECK_OK(ae_invoke0(a.thread_slot, AERIE_THREAD_DESTROY));
    CHECK_OK(ae_invoke0(b.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(yield_returns, "yield gives up the CPU and comes back")
{
    for (int i = 0; i < 100; i++)
        ae_yield();
    CHECK(1);
}
