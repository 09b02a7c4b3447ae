/*
 * t_quota.c — quotas: creating every object type, limits on bytes,
 * threads and objects, charges that reach every ancestor (a child
 * reserves nothing up front), over-commit refused cleanly at the level
 * without room, rights, and destruction returning every page.
 */
#include "kt.h"

KTEST(quota_create_each_type, "a quota creates every object type")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 4, 100);
    uint64_t task, s;
    CHECK_OK(kt_create(q, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_THREAD, &s, task, 0, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_ENDPOINT, &s, 0, 0, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_NOTIFICATION, &s, 0, 0, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &s, 3 * 4096, 0, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &s, 64 * 1024, AERIE_MEM_CONTIG, 0));
    CHECK_OK(kt_create(q, AERIE_OBJ_QUOTA, &s, 4096, 1, 1));
    uint64_t info[6];
    CHECK_OK(ae_quota_info(q, info));
    CHECK_EQ(info[3], 1);       /* threads: the one created (the child quota reserves none) */
    CHECK_EQ(info[5], 7);       /* the seven objects, the child quota among them */
}

KTEST(quota_create_errors, "bad type, bad slot, bad task and bad sizes are refused, naming the word")
{
    uint64_t s = ae_slot_alloc();
    CHECK_EQ(ae_quota_create(env->quota, 99, s, 0, 0, 0), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 0);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_ENDPOINT, 0, 0, 0, 0), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 1);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_THREAD, s, ae_slot_alloc(), 0, 0), AE_ECAP);
    CHECK_EQ(ae_utcb()->mr[0], 2);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_THREAD, s, env->quota, 0, 0), AE_ETYPE);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_MEMORY, s, 0, 0, 0), AE_EINVAL);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_MEMORY, s, 4096, 0x80, 0), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 3);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0), AE_EBUSY);
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_CREATE, AERIE_OBJ_MEMORY, s), AE_EINVAL);
    CHECK_EQ(ae_invoke0(env->quota, 77), AE_ENOSYS);
}

KTEST(quota_bytes_exhausted, "a quota out of bytes refuses with ENOMEM and changes nothing")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 64 * 1024, 4, 100);
    uint64_t before[6], after[6], s;
    CHECK_OK(ae_quota_info(q, before));
    CHECK_EQ(kt_create(q, AERIE_OBJ_MEMORY, &s, 1 << 20, 0, 0), AE_ENOMEM);
    CHECK_OK(ae_quota_info(q, after));
    CHECK_EQ(after[1], before[1]);
    CHECK_EQ(after[5], before[5]);
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &s, 8192, 0, 0));
}

KTEST(quota_thread_limit, "a quota's thread limit is enforced with ELIMIT")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 100);
    uint64_t task = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0), s;
    CHECK_OK(kt_create(q, AERIE_OBJ_THREAD, &s, task, 0, 0));
    CHECK_EQ(kt_create(q, AERIE_OBJ_THREAD, &s, task, 0, 0), AE_ELIMIT);
    CHECK_OK(kt_create(q, AERIE_OBJ_ENDPOINT, &s, 0, 0, 0));
}

KTEST(quota_object_limit, "a quota's object limit is enforced with ELIMIT")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 3), s;
    for (int i = 0; i < 3; i++)
        CHECK_OK(kt_create(q, AERIE_OBJ_ENDPOINT, &s, 0, 0, 0));
    CHECK_EQ(kt_create(q, AERIE_OBJ_NOTIFICATION, &s, 0, 0, 0), AE_ELIMIT);
}

/* Usage words of INFO: bytes, threads, objects. */
static void usage(uint64_t q, uint64_t u[3])
{
    uint64_t info[6] = { 0 };
    ae_quota_info(q, info);
    u[0] = info[1];
    u[1] = info[3];
    u[2] = info[5];
}

/* n slots whose capability-space chunks exist already, so using them
 * charges nothing more to the test's quota. */
static void ready_slots(uint64_t *slots, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        slots[i] = ae_slot_alloc();
        ae_cap_copy(ae_self.quota, slots[i], AERIE_R_ALL, 0);
        ae_cap_delete(slots[i]);
    }
}

KTEST(quota_child_reserves_nothing, "a new child quota takes only its own structure from its parent")
{
    uint64_t before[3], after[3], s, info[6];
    ready_slots(&s, 1);                  /* a new chunk for the slot would count too */
    usage(env->quota, before);
    CHECK_OK(ae_quota_create(env->quota, AERIE_OBJ_QUOTA, s, 1 << 20, 2, 50));
    usage(env->quota, after);
    CHECK(after[0] > before[0] && after[0] < before[0] + 4096);   /* the quota object, not 1 MiB */
    CHECK_EQ(after[1], before[1]);
    CHECK_EQ(after[2], before[2] + 1);
    CHECK_OK(ae_quota_info(s, info));
    CHECK_EQ(info[0], 1 << 20);
    CHECK_EQ(info[1], 0);
    CHECK_EQ(info[2], 2);
    CHECK_EQ(info[4], 50);
    /* A limit beyond what the parent has, or has at all, is accepted. */
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_QUOTA, &s, 1ull << 40, 1 << 30, 1 << 30));
    CHECK_EQ(kt_create(env->quota, AERIE_OBJ_QUOTA, &s, 1, (1 << 30) + 1, 1), AE_EINVAL);
}

KTEST(quota_nested_charges_every_level, "an object made from a grandchild quota is counted at every level up")
{
    uint64_t sl[5];
    ready_slots(sl, 5);
    uint64_t q1 = sl[0], q2 = sl[1], q3 = sl[2], m = sl[3], t = sl[4];
    CHECK_OK(ae_quota_create(env->quota, AERIE_OBJ_QUOTA, q1, 8 << 20, 8, 100));
    CHECK_OK(ae_quota_create(q1, AERIE_OBJ_QUOTA, q2, 4 << 20, 4, 50));
    CHECK_OK(ae_quota_create(q2, AERIE_OBJ_QUOTA, q3, 2 << 20, 2, 20));
    uint64_t e0[3], u1[3], u2[3], u3[3];
    usage(env->quota, e0);
    usage(q1, u1);
    usage(q2, u2);
    usage(q3, u3);
    CHECK_EQ(u3[0], 0);
    CHECK_EQ(u2[2], 1);                                  /* q3 itself */
    CHECK_EQ(u1[2], 2);                                  /* q2 and q3 */
    CHECK_OK(ae_quota_create(q3, AERIE_OBJ_MEMORY, m, 64 * 1024, 0, 0));
    CHECK_OK(ae_quota_create(q3, AERIE_OBJ_THREAD, t, ae_self.task, 0, 0));
    uint64_t a[3];
    usage(q3, a);
    CHECK(a[0] >= 64 * 1024 + 4096);
    uint64_t charged = a[0];
    CHECK_EQ(a[1], 1);
    CHECK_EQ(a[2], 2);
    usage(q2, a);
    CHECK_EQ(a[0], u2[0] + charged);
    CHECK_EQ(a[1], 1);
    CHECK_EQ(a[2], u2[2] + 2);
    usage(q1, a);
    CHECK_EQ(a[0], u1[0] + charged);
    CHECK_EQ(a[2], u1[2] + 2);
    usage(env->quota, a);
    CHECK_EQ(a[0], e0[0] + charged);
    CHECK_EQ(a[1], e0[1] + 1);
    CHECK_EQ(a[2], e0[2] + 2);
    /* Freeing gives it back at every level. */
    CHECK_OK(ae_cap_delete(m));
    CHECK_OK(ae_cap_delete(t));
    usage(q3, a);
    CHECK_EQ(a[0], 0);
    CHECK_EQ(a[2], 0);
    usage(q1, a);
    CHECK_EQ(a[0], u1[0]);
    CHECK_EQ(a[2], u1[2]);
    usage(env->quota, a);
    CHECK_EQ(a[0], e0[0]);
    CHECK_EQ(a[1], e0[1]);
}

/* Checks that q1, q2 and q3 show exactly the usage saved in u. */
static bool unchanged(uint64_t q1, uint64_t q2, uint64_t q3, uint64_t u[3][3])
{
    uint64_t qs[3] = { q1, q2, q3 }, a[3];
    for (int i = 0; i < 3; i++) {
        usage(qs[i], a);
        if (a[0] != u[i][0] || a[1] != u[i][1] || a[2] != u[i][2])
            return false;
    }
    return true;
}

KTEST(quota_refused_at_middle_changes_nothing, "a charge refused by a middle level leaves every level as it was")
{
    /* q2 is the tight level: q3 below it promises more than q2 allows. */
    uint64_t q1 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 8, 100), q2, q3, s;
    CHECK_OK(kt_create(q1, AERIE_OBJ_QUOTA, &q2, 256 * 1024, 1, 3));
    CHECK_OK(kt_create(q2, AERIE_OBJ_QUOTA, &q3, 4 << 20, 4, 50));
    uint64_t u[3][3];
    usage(q1, u[0]);
    usage(q2, u[1]);
    usage(q3, u[2]);
    CHECK_EQ(kt_create(q3, AERIE_OBJ_MEMORY, &s, 512 * 1024, 0, 0), AE_ENOMEM);     /* bytes */
    CHECK(unchanged(q1, q2, q3, u));
    CHECK_OK(kt_create(q3, AERIE_OBJ_THREAD, &s, ae_self.task, 0, 0));
    usage(q1, u[0]);
    usage(q2, u[1]);
    usage(q3, u[2]);
    CHECK_EQ(kt_create(q3, AERIE_OBJ_THREAD, &s, ae_self.task, 0, 0), AE_ELIMIT);   /* threads */
    CHECK(unchanged(q1, q2, q3, u));
    CHECK_OK(kt_create(q3, AERIE_OBJ_ENDPOINT, &s, 0, 0, 0));                      /* q2: q3, thread, endpoint */
    usage(q1, u[0]);
    usage(q2, u[1]);
    usage(q3, u[2]);
    CHECK_EQ(kt_create(q3, AERIE_OBJ_NOTIFICATION, &s, 0, 0, 0), AE_ELIMIT);       /* objects */
    CHECK(unchanged(q1, q2, q3, u));
    /* The top level can refuse too: nothing below it keeps the charge. */
    uint64_t q4;
    CHECK_OK(kt_create(q1, AERIE_OBJ_QUOTA, &q4, 64 << 20, 4, 50));
    usage(q1, u[0]);
    usage(q2, u[1]);
    usage(q4, u[2]);
    CHECK_EQ(kt_create(q4, AERIE_OBJ_MEMORY, &s, 16 << 20, 0, 0), AE_ENOMEM);
    CHECK(unchanged(q1, q2, q4, u));
}

KTEST(quota_overcommit_refused_cleanly, "two children promised all of a parent share it: the second is refused, then served")
{
    uint64_t p = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 4, 100), a, b, ma, mb;
    CHECK_OK(kt_create(p, AERIE_OBJ_QUOTA, &a, 1 << 20, 4, 100));
    CHECK_OK(kt_create(p, AERIE_OBJ_QUOTA, &b, 1 << 20, 4, 100));
    CHECK_OK(kt_create(a, AERIE_OBJ_MEMORY, &ma, 600 * 1024, 0, 0));
    uint64_t pb[3], ub[3], x[3];
    usage(p, pb);
    usage(b, ub);
    CHECK_EQ(kt_create(b, AERIE_OBJ_MEMORY, &mb, 600 * 1024, 0, 0), AE_ENOMEM);
    usage(p, x);
    CHECK_EQ(x[0], pb[0]);
    CHECK_EQ(x[2], pb[2]);
    usage(b, x);
    CHECK_EQ(x[0], ub[0]);
    CHECK_EQ(x[2], ub[2]);
    CHECK_OK(ae_invoke0(a, AERIE_QUOTA_DESTROY));           /* a's memory comes back to p */
    CHECK_OK(kt_create(b, AERIE_OBJ_MEMORY, &mb, 600 * 1024, 0, 0));
}

KTEST(quota_destroy_returns_everything, "destroying a quota tree gives back exactly what it held at every level")
{
    uint64_t sl[8];
    ready_slots(sl, 8);
    uint64_t e0[3], pages0 = kt_free_pages(), objs0 = kt_objects();
    usage(env->quota, e0);
    uint64_t q1 = sl[0], q2 = sl[1], q3 = sl[2], task = sl[3];
    CHECK_OK(ae_quota_create(env->quota, AERIE_OBJ_QUOTA, q1, 16 << 20, 8, 200));
    CHECK_OK(ae_quota_create(q1, AERIE_OBJ_QUOTA, q2, 8 << 20, 4, 100));
    CHECK_OK(ae_quota_create(q2, AERIE_OBJ_QUOTA, q3, 4 << 20, 2, 50));
    CHECK_OK(ae_quota_create(q3, AERIE_OBJ_TASK, task, 0, 0, 0));
    CHECK_OK(ae_quota_create(q3, AERIE_OBJ_THREAD, sl[4], task, 0, 0));
    CHECK_OK(ae_quota_create(q2, AERIE_OBJ_MEMORY, sl[5], 256 * 1024, 0, 0));
    CHECK_OK(ae_task_map(task, sl[5], 0, 0x10000000, 256 * 1024, AERIE_MAP_R));   /* page tables, in q3 */
    CHECK_OK(ae_quota_create(q1, AERIE_OBJ_ENDPOINT, sl[6], 0, 0, 0));
    CHECK_OK(ae_task_cap_copy(task, sl[6], 30000, AERIE_R_ALL, 0));               /* a far slot: chunks */
    uint64_t mid[3];
    usage(env->quota, mid);
    CHECK(mid[0] > e0[0] + 256 * 1024);
    CHECK(kt_free_pages() < pages0);
    CHECK_OK(ae_invoke0(q2, AERIE_QUOTA_DESTROY));       /* the middle of the tree first */
    uint64_t a[3];
    usage(q1, a);
    CHECK_EQ(a[1], 0);
    CHECK_EQ(a[2], 1);                                   /* its endpoint */
    CHECK_OK(ae_invoke0(q1, AERIE_QUOTA_DESTROY));
    CHECK_EQ(ae_cap_delete(q1), AE_ECAP);                /* destroying took its capability too */
    usage(env->quota, a);
    CHECK_EQ(a[0], e0[0]);
    CHECK_EQ(a[1], e0[1]);
    CHECK_EQ(a[2], e0[2]);
    CHECK_EQ(kt_objects(), objs0);
    CHECK_EQ(kt_free_pages(), pages0);
}

KTEST(quota_rights, "INFO needs READ, CREATE and DESTROY need MANAGE")
{
    uint64_t ro = kt_mint(env->quota, AERIE_R_READ, 0);
    uint64_t none = kt_mint(env->quota, AERIE_R_WRITE, 0);
    uint64_t info[6], s = ae_slot_alloc();
    CHECK_OK(ae_quota_info(ro, info));
    CHECK_EQ(ae_quota_info(none, info), AE_ERIGHTS);
    CHECK_EQ(ae_quota_create(ro, AERIE_OBJ_ENDPOINT, s, 0, 0, 0), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(ro, AERIE_QUOTA_DESTROY), AE_ERIGHTS);
}

/* Fills 10,000 slots once and empties them, so the capability space has
 * grown before the test counts pages. */
static uint64_t grow_slots(uint64_t cap, uint64_t n)
{
    uint64_t first = ae_slot_alloc();
    for (uint64_t s = first; s < first + n; s++) {
        if (s != first)
            ae_slot_alloc();
        ae_cap_copy(cap, s, AERIE_R_ALL, 0);
    }
    for (uint64_t s = first; s < first + n; s++) {
        ae_cap_delete(s);
        ae_slot_free(s);
    }
    return first;
}

KTEST(quota_destroy_10000_objects, "10,000 objects from a child quota: destroying it returns every page")
{
    grow_slots(env->quota, 10002);
    uint64_t pages0 = kt_free_pages(), objs0 = kt_objects();
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 16 << 20, 0, 10001);
    uint64_t first = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t s;
        int64_t r = kt_create(q, i % 3 == 0 ? AERIE_OBJ_ENDPOINT : i % 3 == 1 ? AERIE_OBJ_NOTIFICATION
                                                                              : AERIE_OBJ_MEMORY, &s, 4096, 0, 0);
        CHECK_OK(r);
        if (!first)
            first = s;
    }
    CHECK(kt_objects() >= objs0 + 10000);
    CHECK(kt_free_pages() < pages0);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(ae_cap_delete(first), AE_ECAP);            /* every capability is gone */
    CHECK_EQ(kt_objects(), objs0);                       /* q itself too */
    CHECK_EQ(kt_free_pages(), pages0);
    for (uint64_t s = first; s < first + 10000; s++)
        ae_slot_free(s);
}

KTEST(quota_destroy_recursive, "destroying a quota destroys its child quotas and their objects")
{
    uint64_t objs0 = kt_objects();
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 100), q2, s;
    CHECK_OK(kt_create(q, AERIE_OBJ_QUOTA, &q2, 1 << 20, 2, 20));
    CHECK_OK(kt_create(q2, AERIE_OBJ_ENDPOINT, &s, 0, 0, 0));
    CHECK_OK(kt_create(q2, AERIE_OBJ_TASK, &s, 0, 0, 0));
    CHECK_OK(kt_create(q2, AERIE_OBJ_MEMORY, &s, 1 << 16, 0, 0));
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(kt_objects(), objs0);
    uint64_t info[6];
    CHECK_EQ(ae_quota_info(q2, info), AE_ECAP);
}

static volatile int race_stop;
static uint64_t race_slot;

static void delete_forever(void *arg)
{
    while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE))
        ae_cap_delete(race_slot);
}

/* A new object's capability can be deleted (and the object freed) on
 * another CPU before its creator has recorded it in the quota; the
 * creator must not record a freed object (the fuzzer found this: a
 * quota's list held freed memory and its destruction faulted). The window
 * is a few instructions wide, so this mostly shows that nothing leaks or
 * breaks under the race; kernel_fuzz is what hit it. */
KTEST_CPUS(quota_create_races_delete_of_its_slot, 2, "creating into a slot another CPU keeps emptying leaks nothing")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    ae_yield();
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 1000);
    race_slot = ae_slot_alloc();
    race_stop = 0;
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, delete_forever, 0, 1));
    unsigned made = 0;
    for (int i = 0; i < 20000; i++)
        made += ae_quota_create(q, i % 2 ? AERIE_OBJ_ENDPOINT : AERIE_OBJ_NOTIFICATION, race_slot, 0, 0, 0) == 0;
    __atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
    CHECK(made > 0);
    uint64_t info[6];
    for (int i = 0; i < 1000; i++) {
        ae_cap_delete(race_slot);
        ae_quota_info(q, info);
        if (info[5] == 0)
            break;
        ae_sleep_ns(1000000);
    }
    CHECK_EQ(info[5], 0);                                /* every object made has gone */
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));        /* and its list is sound */
}
