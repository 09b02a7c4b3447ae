/*
 * cpus.c — the hostile container's attack on its spec's cpus= (SECURITY.md
 * 78f): holding its own thread and quota (`self`), it tries to run
 * anywhere else — itself moved there, masks reaching there, huge and
 * zero masks, a child quota with more CPUs, a new thread placed there.
 * The kernel keeps every thread to its quota's CPUs, so each attempt is
 * refused and it still runs on one of its own CPUs at the end.
 */
#include <stdio.h>
#include <aerie/kip.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "hostile.h"

static unsigned tried;                   /* attempts made, each refused or a surprise */

/* One attempt: it must fail. */
static void try_fail(int64_t r, uint64_t slot, const char *what)
{
    tried++;
    expect_fail(r, slot, what);
}

static void idle_thread(void *arg)
{
    (void)arg;
    for (;;)
        ae_sleep_ns(1000000000ull);
}

static uint64_t own_cpu(void)
{
    uint64_t info[2] = { ~0ull, ~0ull };
    ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 2);
    return info[1];
}

/* Every way to a CPU c it was not given. */
static void attack_cpu(uint64_t c, uint64_t mine, uint64_t here)
{
    uint64_t me = ae_self.thread, s = ae_slot_alloc();
    try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, c), me, "moving itself to a CPU outside its cpus=");
    try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, c, 0), me, "moving itself outside, zero mask");
    try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, c, mine | (1ull << c)), me, "moving itself outside, mask");
    try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, here, mine | (1ull << c)), me,
             "a mask with its own CPU and one outside");
    try_fail(ae_quota_create_cpus(ae_self.quota, s, 1 << 20, 2, 16, 1ull << c), ae_self.quota,
             "a child quota on a CPU outside its cpus=");
    ae_cap_delete(s);
    try_fail(ae_quota_create_cpus(ae_self.quota, s, 1 << 20, 2, 16, mine | (1ull << c)), ae_self.quota,
             "a child quota wider than its own");
    ae_cap_delete(s);
    /* A new thread of its own, placed there before it starts: refused,
     * and what it was made on is one of its CPUs. */
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_THREAD, s, ae_self.task, 0, 0) == 0) {
        uint64_t info[2] = { 0, ~0ull };
        ae_invoke(s, AERIE_THREAD_INFO, 0, 0, info, 2);
        if (info[1] >= 64 || !((mine >> info[1]) & 1))
            surprise(s, "a new thread made on a CPU outside its cpus=", AERIE_THREAD_INFO, (int64_t)info[1]);
        try_fail(ae_invokev(s, AERIE_THREAD_SET_AFFINITY, c), s, "a new thread placed outside its cpus=");
        ae_cap_delete(s);
    }
    struct ae_thread th = { 0 };
    int r = ae_thread_start(&th, idle_thread, 0, (int)c, 16384);
    try_fail(r, 0, "a thread started on a CPU outside its cpus=");
    if (r == 0)
        ae_thread_destroy(&th);
    ae_slot_free(s);
}

void attack_cpus(void)
{
    uint64_t mine = 0;
    if (!ae_self.thread || !ae_self.quota || ae_quota_cpus(ae_self.quota, &mine) < 0)
        return;
    unsigned n = ((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus;
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1, here = own_cpu(), me = ae_self.thread, s = ae_slot_alloc();
    for (uint64_t c = 0; c < n; c++)
        if (!((mine >> c) & 1))
            attack_cpu(c, mine, here);
    static const uint64_t huge[] = { ~0ull, 1ull << 63, 64, 4096 };
    for (unsigned i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, huge[i]), me, "a huge CPU number");
        try_fail(ae_invokev(me, AERIE_THREAD_SET_AFFINITY, here, huge[i] | mine), me, "a huge mask");
        try_fail(ae_quota_create_cpus(ae_self.quota, s, 1 << 20, 2, 16, huge[i]), ae_self.quota,
                 "a child quota with a huge CPU set");
        ae_cap_delete(s);
    }
    try_fail(ae_quota_create_cpus(ae_self.quota, s, 1 << 20, 2, 16, 0), ae_self.quota,
             "a child quota with no CPU");
    ae_cap_delete(s);
    ae_slot_free(s);
    uint64_t now = own_cpu();
    if (now >= 64 || !((mine >> now) & 1))
        surprise(me, "it runs on a CPU outside its cpus=", AERIE_THREAD_INFO, (int64_t)now);
    if (mine != all)
        printf("hostile: cpus 0x%lx: %u ways elsewhere tried, runs on CPU %lu\n", mine, tried, now);
}
