/*
 * t_fuzz.c — the system-call fuzzer: copies of this program issue random
 * and malformed invocations (random slots, methods, message words, wild
 * pointers, capability windows) from their own tasks, restarted whenever
 * they kill or stop themselves, until the total reaches the count (100,000
 * by default, or fuzz=N on the kernel command line). The kernel must
 * survive, work afterwards, and return every page when the fuzzers' quotas
 * are destroyed (the harness checks that).
 */
#include "kt.h"
#include <aerie/fault.h>

#define FUZZ_PROGRESS_VA 0x30000000ull
#define STALL_MS 3000
#define PER_INSTANCE 10000
static int getenv_debug = 0;

static uint64_t fuzz_count(void)
{
    const char *p = ae_start.argc > 3 ? ae_start.argv[3] : "";
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    return v ? v : 100000;
}

/* Runs one fuzzer instance until it stops or stalls; returns its count. */
static uint64_t run_instance(struct kt_env *env, uint64_t seed, uint64_t ep, volatile uint64_t *progress,
                             uint64_t progress_mem)
{
    uint64_t q = ae_slot_alloc();
    if (ae_quota_create(env->quota, AERIE_OBJ_QUOTA, q, 8 << 20, 8, 400) < 0)
        return 0;
    /* Its playthings: its own task, thread and quota, and a few objects. */
    uint64_t ep2 = ae_slot_alloc(), n = ae_slot_alloc(), m = ae_slot_alloc();
    ae_quota_create(q, AERIE_OBJ_ENDPOINT, ep2, 0, 0, 0);
    ae_quota_create(q, AERIE_OBJ_NOTIFICATION, n, 0, 0, 0);
    ae_quota_create(q, AERIE_OBJ_MEMORY, m, 16384, 0, 0);
    const struct ae_grant grants[] = {
        { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 }, { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
        { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 }, { "ep", ep2, AERIE_R_ALL, 0 },
        { "ep.badged", ep2, AERIE_R_WRITE | AERIE_R_GRANT, 9 }, { "ntfn", n, AERIE_R_ALL, 0 },
        { "mem", m, AERIE_R_ALL, 0 },
    };
    char seedtext[24];
    uint64_t sv = seed, k = 0;
    char tmp[24];
    do { tmp[k++] = (char)('0' + sv % 10); sv /= 10; } while (sv);
    for (uint64_t i = 0; i < k; i++)
        seedtext[i] = tmp[k - 1 - i];
    seedtext[k] = 0;
    *progress = 0;
    struct ae_child c;
    uint64_t done = 0;
    if (kt_spawn_role(q, "fuzz", grants, 7, ep, -1, &c, seedtext) == 0 &&
        ae_task_map(c.task, progress_mem, 0, FUZZ_PROGRESS_VA, 4096, AERIE_MAP_R | AERIE_MAP_W) == 0) {
        uint64_t last = 0, stalled = 0, badge, w[4];
        for (;;) {
            int64_t r = kt_recv(ep, 100, &badge, w);
            done = *progress;
            if (r >= 0 && AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_SYSCALL)
                break;                      /* it faulted or exited */
            if (r >= 0) {
                ae_utcb()->mr[0] = AERIE_RESUME_SET_RAX;     /* answer it: "no such call" */
                ae_utcb()->mr[3] = (uint64_t)AE_ENOSYS;
                ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
            } else {
                stalled = done == last ? stalled + 100 : 0;
                last = done;
            }
            /* Stuck (it suspended itself?), or enough: its quota is then
             * destroyed while it runs, which is a test of its own. */
            if (stalled >= STALL_MS || done >= PER_INSTANCE)
                break;
        }
    }
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    ae_slot_free(q);
    ae_slot_free(c.task);
    ae_slot_free(c.thread);
    return done;
}

KTEST(syscall_fuzz, "random and malformed invocations from hostile tasks never break the kernel")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), pm;
    volatile uint64_t *progress = ae_mem_map_new(4096, &pm);
    CHECK(progress);
    uint64_t want = fuzz_count(), total = 0, instances = 0;
    while (total < want && instances < 10000) {
        uint64_t got = run_instance(env, instances * 7919 + 17, ep, progress, pm);
        total += got;
        instances++;
        if (getenv_debug)
            ae_kprintf("fuzz: instance %lu did %lu (total %lu)\n", instances, got, total);
    }
    ae_kprintf("fuzz: %lu invocations by %lu fuzzer instances\n", total, instances);
    CHECK(total >= want);
    /* The kernel still does its job: a fresh object works. */
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits;
    CHECK_OK(ae_signal(n, 3));
    CHECK_OK(ae_recv(n, AERIE_TIMEOUT_POLL, &bits));
    CHECK_EQ(bits, 3);
}
