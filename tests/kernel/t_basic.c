/*
 * t_basic.c — first kernel tests: the system-call path, capability info,
 * and that a bad capability index gets an error and nothing else.
 */
#include "kt.h"

KTEST(syscall_roundtrip, "a kernel object invocation returns its results")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 3, 40), info[6];
    CHECK_OK(ae_quota_info(q, info));
    CHECK_EQ(info[0], 1 << 20);
    CHECK_EQ(info[1], 0);
    CHECK_EQ(info[2], 3);
    CHECK_EQ(info[4], 40);
}

KTEST(cap_bad_index_fails, "empty, zero and out-of-range slots give AE_ECAP")
{
    uint64_t badge;
    CHECK_EQ(ae_cap_info(0, &badge), AE_ECAP);
    CHECK_EQ(ae_cap_info(60000, &badge), AE_ECAP);
    CHECK_EQ(ae_cap_info(1ull << 40, &badge), AE_ECAP);
    CHECK_EQ(ae_call(60001, AERIE_INFO(1, 0, 0), 0), AE_ECAP);
}
