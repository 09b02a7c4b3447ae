/*
 * t_cpus.c — a quota's CPU set (kernel/quota.h, "CPUs"; SECURITY.md 78f):
 * a child quota is given a subset of its parent's CPUs or inherits them,
 * never more; a thread charged to it is made, copied and moved only onto
 * them — SET_AFFINITY to another CPU, or with a mask reaching beyond
 * them, is EINVAL naming the word, whoever asks — and it runs there.
 */
#include "kt.h"

static volatile uint64_t spins;

static void spin(void *arg)
{
    (void)arg;
    for (;;)
        __atomic_add_fetch(&spins, 1, __ATOMIC_RELAXED);
}

static uint64_t cpus_of(uint64_t q)
{
    uint64_t m = ~0ull;
    if (ae_quota_cpus(q, &m))
        return ~1ull;
    return m;
}

static uint64_t cpu_of(uint64_t th)
{
    uint64_t info[2] = { ~0ull, ~0ull };
    ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 2);
    return info[1];
}

/* A child of env's quota whose threads may use only the CPUs of cpus. */
static uint64_t quota_on(struct kt_env *env, uint64_t cpus)
{
    uint64_t s = ae_slot_alloc();
    return ae_quota_create_cpus(env->quota, s, 4 << 20, 4, 100, cpus) ? 0 : s;
}

KTEST_CPUS(cpus_child_quota_never_wider, 2,
           "a child quota inherits its parent's CPUs or narrows them; a wider, empty or unknown set is EINVAL (word 5)")
{
    uint64_t all = (1ull << kt_ncpus()) - 1, s = ae_slot_alloc();
    CHECK_EQ(cpus_of(env->quota), all);
    uint64_t q1 = quota_on(env, 2);
    CHECK(q1 != 0);
    CHECK_EQ(cpus_of(q1), 2);
    CHECK_OK(kt_create(q1, AERIE_OBJ_QUOTA, &s, 1 << 20, 1, 10));     /* no set given: the parent's */
    CHECK_EQ(cpus_of(s), 2);
    static const uint64_t wider[] = { 3, 1, ~0ull, 1ull << 63, 0 };
    for (unsigned i = 0; i < sizeof wider / sizeof wider[0]; i++) {
        uint64_t c = ae_slot_alloc();
        CHECK_EQ(ae_quota_create_cpus(q1, c, 1 << 20, 1, 10, wider[i]), AE_EINVAL);
        CHECK_EQ(ae_utcb()->mr[0], 5);
        CHECK_EQ(ae_cap_info(c, &(uint64_t){ 0 }), AE_ECAP);          /* nothing made */
        CHECK_EQ(ae_quota_create_cpus(s, c, 1 << 20, 1, 10, wider[i]), AE_EINVAL);   /* nor a grandchild */
    }
    uint64_t c = ae_slot_alloc();
    CHECK_EQ(ae_quota_create_cpus(env->quota, c, 1 << 20, 1, 10, 1ull << kt_ncpus()), AE_EINVAL);   /* no such CPU */
    CHECK_EQ(ae_utcb()->mr[0], 5);
    CHECK_OK(ae_quota_create_cpus(q1, c, 1 << 20, 1, 10, 2));      /* the same set is no widening */
    CHECK_EQ(cpus_of(c), 2);
}

KTEST_CPUS(cpus_thread_refused_cpu_outside, 2,
           "a thread of a quota with CPUs {1} is made on CPU 1 and refused CPU 0 and masks beyond {1}, by anyone")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    ae_yield();                              /* now on CPU 0, which q1 does not allow */
    uint64_t q1 = quota_on(env, 2), th;
    CHECK(q1 != 0);
    CHECK_OK(kt_create(q1, AERIE_OBJ_THREAD, &th, ae_self.task, 0, 0));
    CHECK_EQ(cpu_of(th), 1);                 /* not its maker's CPU 0 */
    struct aerie_utcb *u = ae_utcb();
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 0), AE_EINVAL);
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 0, 1), AE_EINVAL);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 0, 0), AE_EINVAL);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 64), AE_EINVAL);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, ~0ull), AE_EINVAL);
    static const uint64_t masks[] = { 3, 1, ~0ull, 1ull << 63, 6 };
    for (unsigned i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 1, masks[i]), AE_EINVAL);
        CHECK_EQ(u->mr[0], 1);
    }
    CHECK_EQ(cpu_of(th), 1);
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 1));        /* its own CPU, plain or masked */
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 1, 2));
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 1, 0));
    /* Its own SET_AFFINITY is no better: a thread of q1 running tries. */
    struct ae_thread run = { 0 };
    run.quota = q1;
    spins = 0;
    CHECK_OK(ae_thread_start(&run, spin, 0, -1, 16384));
    for (int i = 0; i < 3000 && !spins; i++)
        ae_sleep_ns(1000000);
    CHECK(spins > 0);
    CHECK_EQ(cpu_of(run.thread_slot), 1);
    CHECK_EQ(ae_thread_start(&(struct ae_thread){ .quota = q1 }, spin, 0, 0, 16384), AE_EINVAL);   /* placed on 0 */
    CHECK_EQ(ae_invokev(run.thread_slot, AERIE_THREAD_SET_AFFINITY, 0), AE_EINVAL);
    uint64_t s0 = spins;
    for (int i = 0; i < 3000 && spins == s0; i++)
        ae_sleep_ns(1000000);
    CHECK(spins > s0);                       /* still running, on CPU 1 */
    CHECK_EQ(cpu_of(run.thread_slot), 1);
    ae_thread_destroy(&run);
}

KTEST_CPUS(cpus_clone_lands_inside, 2,
           "TASK_CLONE into a quota with CPUs {1} of a thread on CPU 0 puts the copy on CPU 1")
{
    uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 64), task, th, mem;
    CHECK_OK(kt_create(sq, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &th, task, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &mem, 4096, 0, 0));
    CHECK_OK(ae_task_map(task, mem, 0, 0x5A000000ull, 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_AFFINITY, 0));
    CHECK_EQ(cpu_of(th), 0);
    uint64_t q1 = quota_on(env, 2), ct = ae_slot_alloc(), cth = ae_slot_alloc();
    CHECK(q1 != 0);
    CHECK_OK(ae_invokev(task, AERIE_TASK_CLONE, q1, sq, ct, cth));
    CHECK_EQ(cpu_of(cth), 1);
    CHECK_EQ(ae_invokev(cth, AERIE_THREAD_SET_AFFINITY, 0), AE_EINVAL);
    uint64_t q2 = quota_on(env, 1), ct2 = ae_slot_alloc(), cth2 = ae_slot_alloc();
    CHECK(q2 != 0);
    CHECK_OK(ae_invokev(task, AERIE_TASK_CLONE, q2, sq, ct2, cth2));
    CHECK_EQ(cpu_of(cth2), 0);                /* allowed there: it keeps its CPU */
}
