/*
 * t_cap.c — capability operations: copy with fewer rights and badges,
 * move, delete, revoke (also across tasks), info, and every error.
 */
#include "kt.h"

static uint64_t rights_of(uint64_t slot)
{
    uint64_t badge;
    int64_t r = ae_cap_info(slot, &badge);
    return r < 0 ? 0 : ((uint64_t)r >> 8) & 0xFF;
}

KTEST(cap_copy_reduces_rights, "a copy has at most the rights of its source and the mask")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t ro = ae_slot_alloc(), again = ae_slot_alloc();
    CHECK_OK(ae_cap_copy(ep, ro, AERIE_R_READ, 0));
    CHECK_EQ(rights_of(ro), AERIE_R_READ);
    CHECK_OK(ae_cap_copy(ro, again, AERIE_R_ALL, 0));
    CHECK_EQ(rights_of(again), AERIE_R_READ);
    /* sending needs WRITE */
    CHECK_EQ(ae_send(ro, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ERIGHTS);
}

KTEST(cap_info_reports_type_rights_badge, "CAP_INFO returns type, rights and badge")
{
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    uint64_t b = kt_mint(n, AERIE_R_WRITE, 0x40);
    uint64_t badge = 0;
    int64_t r = ae_cap_info(b, &badge);
    CHECK_EQ(r & 0xFF, AERIE_OBJ_NOTIFICATION);
    CHECK_EQ((r >> 8) & 0xFF, AERIE_R_WRITE);
    CHECK_EQ(badge, 0x40);
}

KTEST(cap_badge_only_from_unbadged, "a badged capability cannot be given another badge")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t b1 = kt_mint(ep, AERIE_R_ALL, 7);
    CHECK(b1 != 0);
    uint64_t s = ae_slot_alloc();
    CHECK_EQ(ae_cap_copy(b1, s, AERIE_R_ALL, 8), AE_EINVAL);
    CHECK_OK(ae_cap_copy(b1, s, AERIE_R_ALL, 0));          /* plain copy keeps badge 7 */
    uint64_t badge;
    ae_cap_info(s, &badge);
    CHECK_EQ(badge, 7);
}

KTEST(cap_badge_wrong_type, "only endpoints and notifications take badges")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    CHECK_EQ(ae_cap_copy(m, ae_slot_alloc(), AERIE_R_ALL, 3), AE_EINVAL);
}

KTEST(cap_copy_errors, "copy from an empty slot, into an occupied or invalid one")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t other = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_EQ(ae_cap_copy(ae_slot_alloc(), ae_slot_alloc(), AERIE_R_ALL, 0), AE_ECAP);
    CHECK_EQ(ae_cap_copy(ep, other, AERIE_R_ALL, 0), AE_EBUSY);
    CHECK_EQ(ae_cap_copy(ep, 0, AERIE_R_ALL, 0), AE_EINVAL);
    CHECK_EQ(ae_cap_copy(ep, AERIE_CSPACE_MAX, AERIE_R_ALL, 0), AE_EINVAL);
}

KTEST(cap_move_keeps_object, "move empties the source and the object works from the new slot")
{
    uint64_t q2 = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 10);
    uint64_t dst = ae_slot_alloc();
    CHECK_OK(ae_cap_move(q2, dst));
    uint64_t info[6];
    CHECK_EQ(ae_quota_info(q2, info), AE_ECAP);
    CHECK_OK(ae_quota_info(dst, info));
    CHECK_EQ(info[0], 1 << 20);
    CHECK_EQ(ae_cap_move(dst, dst), AE_EBUSY);
    CHECK_EQ(ae_cap_move(q2, ae_slot_alloc()), AE_ECAP);
}

KTEST(cap_delete_makes_index_stale, "after delete the index names nothing")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(ae_cap_delete(ep));
    CHECK_EQ(ae_send(ep, AERIE_INFO(1, 0, 0), AERIE_TIMEOUT_POLL), AE_ECAP);
    CHECK_EQ(ae_cap_delete(ep), AE_ECAP);
}

KTEST(cap_delete_last_destroys_object, "deleting the last capability destroys the object")
{
    uint64_t before = kt_objects();
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t cp = kt_mint(ep, AERIE_R_ALL, 0);
    CHECK_EQ(kt_objects(), before + 1);
    CHECK_OK(ae_cap_delete(ep));
    CHECK_EQ(kt_objects(), before + 1);              /* a copy still names it */
    CHECK_OK(ae_cap_delete(cp));
    CHECK_EQ(kt_objects(), before);
}

KTEST(cap_revoke_removes_derived, "revoke deletes every copy derived from a capability, not itself")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t a = kt_mint(ep, AERIE_R_ALL, 1);
    uint64_t b = kt_mint(a, AERIE_R_READ, 0);          /* grandchild */
    uint64_t c = kt_mint(ep, AERIE_R_WRITE, 0);
    CHECK(a && b && c);
    CHECK_OK(ae_cap_revoke(ep));
    uint64_t badge;
    CHECK_EQ(ae_cap_info(a, &badge), AE_ECAP);
    CHECK_EQ(ae_cap_info(b, &badge), AE_ECAP);
    CHECK_EQ(ae_cap_info(c, &badge), AE_ECAP);
    CHECK(ae_cap_info(ep, &badge) >= 0);
    CHECK_EQ(ae_cap_revoke(ae_slot_alloc()), AE_ECAP);
}

KTEST(cap_delete_keeps_children_revocable, "a deleted middle copy leaves its children under its parent")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t mid = kt_mint(ep, AERIE_R_ALL, 0);
    uint64_t leaf = kt_mint(mid, AERIE_R_ALL, 0);
    CHECK_OK(ae_cap_delete(mid));
    uint64_t badge;
    CHECK(ae_cap_info(leaf, &badge) >= 0);
    CHECK_OK(ae_cap_revoke(ep));
    CHECK_EQ(ae_cap_info(leaf, &badge), AE_ECAP);
}

KTEST(cap_revoke_across_tasks, "revoke reaches copies placed in another task")
{
    uint64_t task = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(ae_task_cap_copy(task, ep, 5, AERIE_R_ALL, 0));
    CHECK_EQ(ae_task_cap_copy(task, ep, 5, AERIE_R_ALL, 0), AE_EBUSY);
    uint64_t info[4];
    CHECK_OK(ae_invoke(task, AERIE_TASK_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 1);                               /* one slot used */
    CHECK_OK(ae_cap_revoke(ep));
    CHECK_OK(ae_invoke(task, AERIE_TASK_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 0);
    CHECK_EQ(ae_invokev(task, AERIE_TASK_CAP_DELETE, 5), AE_ECAP);
}

KTEST(cap_space_grows_charged, "a far slot grows the space, charged to the quota")
{
    uint64_t task = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t before[6], after[6];
    CHECK_OK(ae_quota_info(env->quota, before));
    CHECK_OK(ae_task_cap_copy(task, ep, 40000, AERIE_R_ALL, 0));
    CHECK_OK(ae_quota_info(env->quota, after));
    CHECK(after[1] > before[1]);
    CHECK_OK(ae_invokev(task, AERIE_TASK_CAP_DELETE, 40000));
}

KTEST(cap_sys_bad_op, "an unknown capability operation is refused")
{
    CHECK_EQ(ae_syscall(AERIE_SYS_CAP, 99, 1, 2, 3, 4, 0), AE_EINVAL);
}
