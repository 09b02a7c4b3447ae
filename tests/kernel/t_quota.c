/*
 * t_quota.c — quotas: creating every object type, limits on bytes,
 * threads and objects, reservations from the parent, rights, and
 * destruction returning every page.
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
    CHECK_EQ(info[3], 2);       /* threads: the one created and the child quota's reservation */
    CHECK_EQ(info[5], 8);
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

KTEST(quota_child_reserves_from_parent, "a child quota takes its whole budget from its parent")
{
    uint64_t before[6], after[6], s;
    CHECK_OK(ae_quota_info(env->quota, before));
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_QUOTA, &s, 1 << 20, 2, 50));
    CHECK_OK(ae_quota_info(env->quota, after));
    CHECK(after[1] >= before[1] + (1 << 20));
    CHECK_EQ(after[3], before[3] + 2);
    CHECK_EQ(after[5], before[5] + 50 + 1);
    CHECK_EQ(kt_create(env->quota, AERIE_OBJ_QUOTA, &s, 1ull << 40, 0, 0), AE_ENOMEM);
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
