/*
 * t_sched.c — placement and stealing (kernel/sched.c, "Placing a
 * thread", "Stealing"): threads SET_AFFINITY gave a mask of CPUs spread
 * over them, a thread pinned by SET_AFFINITY without a mask never runs
 * anywhere else while its CPU's other threads are taken, and masks that
 * name CPUs that do not exist, or leave out the CPU named, are refused.
 */
#include "kt.h"
#include <aerie/kip.h>

#define SP_THREADS 4
#define SP_SAMPLES_MAX 5000          /* 1 ms apart: give up (the check fails) */

static volatile uint64_t sp_count[SP_THREADS];
static volatile int sp_stop;

static void sp_spin(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    while (!__atomic_load_n(&sp_stop, __ATOMIC_RELAXED))
        __atomic_store_n(&sp_count[i], sp_count[i] + 1, __ATOMIC_RELAXED);
    for (;;)
        ae_sleep_ns(1000000000ull);
}

static uint64_t cpu_of(uint64_t th)
{
    uint64_t info[2] = { 0, ~0ull };
    if (ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 2) < 0)
        return ~0ull;
    return info[1];
}

KTEST_CPUS(sched_steal_spares_pinned, 2,
           "four spinning threads on CPU 0, three with the mask of CPUs 0 and 1: CPU 1 takes some of them, "
           "the pinned one stays on CPU 0 every time it is looked at, and it keeps running")
{
    sp_stop = 0;
    struct ae_thread th[SP_THREADS] = { 0 };
    for (unsigned i = 0; i < SP_THREADS; i++) {
        sp_count[i] = 0;
        CHECK_OK(kt_thread(env, &th[i], sp_spin, (void *)(uintptr_t)i, 0));
    }
    for (unsigned i = 1; i < SP_THREADS; i++)
        CHECK_OK(ae_invokev(th[i].thread_slot, AERIE_THREAD_SET_AFFINITY, 0, 3));
    bool moved = false, pinned_elsewhere = false;
    unsigned samples = 0;
    uint64_t pinned_start = __atomic_load_n(&sp_count[0], __ATOMIC_RELAXED);
    for (; samples < SP_SAMPLES_MAX && !(moved && samples >= 200); samples++) {
        ae_sleep_ns(1000000);
        if (cpu_of(th[0].thread_slot) != 0)
            pinned_elsewhere = true;
        for (unsigned i = 1; i < SP_THREADS; i++)
            if (cpu_of(th[i].thread_slot) == 1)
                moved = true;
    }
    /* The pinned one ran meanwhile (its CPU was not left to the others). */
    bool pinned_ran = false;
    for (int i = 0; i < 2000 && !pinned_ran; i++) {
        ae_sleep_ns(1000000);
        pinned_ran = __atomic_load_n(&sp_count[0], __ATOMIC_RELAXED) != pinned_start;
    }
    __atomic_store_n(&sp_stop, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < SP_THREADS; i++)
        CHECK_OK(ae_invoke0(th[i].thread_slot, AERIE_THREAD_DESTROY));
    CHECK(moved);
    CHECK(!pinned_elsewhere);
    CHECK(pinned_ran);
}

KTEST(sched_affinity_mask_checked,
      "SET_AFFINITY's mask: a CPU that does not exist, or a mask without the CPU named, is EINVAL and changes "
      "nothing; a good mask is taken")
{
    unsigned n = ((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus;
    struct ae_thread t = { 0 };
    sp_stop = 0;
    CHECK_OK(kt_thread(env, &t, sp_spin, (void *)(uintptr_t)0, 0));
    CHECK_EQ(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, 0, 2), AE_EINVAL);        /* not CPU 0 */
    CHECK_EQ(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, 0, 1ull << n | 1), AE_EINVAL);
    CHECK_EQ(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, 0, ~0ull), AE_EINVAL);
    CHECK_EQ(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, n, 1), AE_EINVAL);       /* no such CPU */
    CHECK_EQ(cpu_of(t.thread_slot), 0);
    CHECK_OK(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, 0, (n >= 64 ? ~0ull : (1ull << n) - 1)));
    CHECK_OK(ae_invokev(t.thread_slot, AERIE_THREAD_SET_AFFINITY, 0, 0));                  /* pinned again */
    CHECK_EQ(cpu_of(t.thread_slot), 0);
    __atomic_store_n(&sp_stop, 1, __ATOMIC_RELAXED);
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_DESTROY));
}
