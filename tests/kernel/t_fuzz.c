/*
 * t_fuzz.c — the kernel fuzzer's runner. It starts hostile instances one
 * after another (fuzz.c: a task with two threads on every CPU attacking
 * its own objects), each in a fresh quota it watches (QUOTA_WATCH), and
 * ends one when all its threads are gone, when it makes no progress, or
 * when it has done its share — by destroying its quota while its threads
 * still run, which is a test of its own. It stops when the instances'
 * calls add up to the count asked for: fuzz=N on the kernel command line
 * (100,000 by default), with fuzz_seed=S naming the run (else one is
 * drawn from the clock and printed). The kernel must survive, still work,
 * and get back every page and object once the quotas are gone (the
 * harness checks that after the test).
 */
#include "kt.h"
#include <aerie/fault.h>
#include "fmt.h"

#define STALL_MS 1000
#define PER_INSTANCE 4000
#define GONE_BADGE 0xF0F0ull

struct fuzz_run {
    uint64_t want, seed;
    uint64_t ep, gone_cap, progress_mem;
    volatile uint64_t *progress;
    uint64_t total, instances, ended, stalled, cut, leaks;
};

/* "N" or "N,SEED" from the runner (argv[3]). */
static void fuzz_args(struct fuzz_run *f)
{
    const char *p = ae_start.argc > 3 ? ae_start.argv[3] : "";
    f->want = 0;
    while (*p >= '0' && *p <= '9')
        f->want = f->want * 10 + (uint64_t)(*p++ - '0');
    if (!f->want)
        f->want = 100000;
    f->seed = 0;
    if (*p == ',')
        while (*++p >= '0' && *p <= '9')
            f->seed = f->seed * 10 + (uint64_t)(*p - '0');
    if (!f->seed)
        f->seed = __builtin_ia32_rdtsc() % 1000000007ull + 1;
}

/* The seed of instance i of a run: a seed names every instance's. */
static uint64_t instance_seed(uint64_t seed, uint64_t i)
{
    uint64_t x = seed + i * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Answers one message from an instance; true when the instance is over
 * (its watch reported that every thread is gone). */
static bool answer(int64_t r, uint64_t badge)
{
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    if (badge == GONE_BADGE && label == AERIE_FAULT_GONE && (AERIE_INFO_FLAGS((uint64_t)r) & AERIE_INFO_KERNEL))
        return true;
    struct aerie_utcb *u = ae_utcb();
    if (label == AERIE_FAULT_SYSCALL) {
        u->mr[0] = AERIE_RESUME_SET_RAX;                 /* "no such call" */
        u->mr[3] = (uint64_t)AE_ENOSYS;
        ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
    } else {
        ae_reply(AERIE_INFO(1, 0, 0));                   /* a fault or exit: it stays stopped */
    }
    return false;
}

/* Gives a slot back once the capability in it is gone: an object the
 * instance destroyed on another CPU may still be waiting there for that
 * CPU's reaper, and its slot must not be handed out meanwhile. */
static void free_if_empty(uint64_t slot)
{
    uint64_t badge;
    if (slot && ae_cap_info(slot, &badge) == AE_ECAP)
        ae_slot_free(slot);
}

/* Runs instance i until it ends, stalls or has done its share. */
static void run_instance(struct kt_env *env, struct fuzz_run *f, uint64_t i)
{
    uint64_t pages0 = kt_free_pages(), objs0 = kt_objects();
    uint64_t q = ae_slot_alloc();
    if (ae_quota_create(env->quota, AERIE_OBJ_QUOTA, q, 16 << 20, 24, 600) < 0)
        return;
    uint64_t ep2 = ae_slot_alloc(), n = ae_slot_alloc(), m = ae_slot_alloc();
    ae_quota_create(q, AERIE_OBJ_ENDPOINT, ep2, 0, 0, 0);
    ae_quota_create(q, AERIE_OBJ_NOTIFICATION, n, 0, 0, 0);
    ae_quota_create(q, AERIE_OBJ_MEMORY, m, 16384, 0, 0);
    const struct ae_grant grants[] = {
        { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 }, { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
        { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 }, { "ep", ep2, AERIE_R_ALL, 0 },
        { "ep.badged", ep2, AERIE_R_WRITE | AERIE_R_GRANT, 9 }, { "ntfn", n, AERIE_R_ALL, 0 },
        { "mem", m, AERIE_R_ALL, 0 }, { "progress", f->progress_mem, AERIE_R_READ | AERIE_R_WRITE, 0 },
    };
    char seedtext[24];
    fmt_snprintf(seedtext, sizeof seedtext, "%lu", instance_seed(f->seed, i));
    for (unsigned k = 0; k < 48; k++)
        f->progress[k] = 0;
    ae_invokev(env->quota, AERIE_QUOTA_WATCH, q, f->gone_cap);
    struct ae_child c = { 0 };
    uint64_t done = 0;
    if (kt_spawn_role(q, "fuzz", grants, sizeof grants / sizeof grants[0], f->ep, -1, &c, seedtext) == 0) {
        uint64_t last = 0, still = 0, badge;
        for (;;) {
            int64_t r = ae_recv(f->ep, 100000000ull, &badge);
            done = *f->progress;
            if (r >= 0 && answer(r, badge)) {
                f->ended++;
                break;
            }
            still = done == last ? still + (r < 0 ? 100 : 0) : 0;
            last = done;
            if (still >= STALL_MS) {
                if (f->stalled++ < 6) {
                    volatile uint64_t *p = f->progress;
                    ae_kprintf("fuzz: instance %lu stalled at %lu calls; per thread (calls, step, faults): "
                               "%lu,%lu,%lu %lu,%lu,%lu %lu,%lu,%lu %lu,%lu,%lu\n", i, done, p[1], p[16], p[32],
                               p[2], p[17], p[33], p[3], p[18], p[34], p[4], p[19], p[35]);
                }
                break;
            }
            if (done >= PER_INSTANCE) {
                f->cut++;                       /* destroyed while its threads run */
                break;
            }
        }
    }
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    /* its notice, if it came only now, must not be taken for the next one's */
    uint64_t badge;
    while (ae_recv(f->ep, AERIE_TIMEOUT_POLL, &badge) >= 0)
        ;
    f->total += done;
    /* Everything it made comes back (objects it destroyed on the other CPU
     * may wait a moment for that CPU's reaper). Only then are this
     * runner's slots given back, so the next instance gets the same ones
     * and this task's own capability space does not grow between the two
     * counts. */
    uint64_t pages1 = 0, objs1 = 0;
    for (int k = 0; k < 100 && (pages1 != pages0 || objs1 != objs0); k++) {
        if (k)
            ae_sleep_ns(10000000);
        pages1 = kt_free_pages();
        objs1 = kt_objects();
    }
    uint64_t used[] = { q, ep2, n, m, c.task, c.thread };
    for (unsigned k = 0; k < sizeof used / sizeof used[0]; k++)
        free_if_empty(used[k]);
    if (pages1 != pages0 || objs1 != objs0) {
        f->leaks++;
        ae_kprintf("fuzz: instance %lu (seed %lu) leaked: free pages %lu -> %lu, objects %lu -> %lu\n", i,
                   instance_seed(f->seed, i), pages0, pages1, objs0, objs1);
    }
}

KTEST_EXPLICIT(kernel_fuzz, 1, "hostile tasks with threads on every CPU fuzz their own objects; the kernel survives")
{
    struct fuzz_run f = { 0 };
    fuzz_args(&f);
    ae_kprintf("fuzz: seed %lu, %lu invocations wanted (rerun: fuzz=%lu fuzz_seed=%lu)\n",
               f.seed, f.want, f.want, f.seed);
    f.ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    f.gone_cap = kt_mint(f.ep, AERIE_R_WRITE, GONE_BADGE);
    f.progress = ae_mem_map_new(4096, &f.progress_mem);
    CHECK(f.progress && f.gone_cap);
    /* What the first instance would otherwise grow in this task (the image
     * mapped for spawning, capability-space chunks for its slots) is grown
     * now, so each instance's own count starts and ends level. */
    uint64_t len, warm[16];
    CHECK(kt_self_image(&len) != 0);
    for (unsigned k = 0; k < 16; k++) {
        warm[k] = ae_slot_alloc();
        CHECK_OK(ae_cap_copy(f.ep, warm[k], AERIE_R_ALL, 0));
    }
    for (unsigned k = 0; k < 16; k++) {
        ae_cap_delete(warm[k]);
        ae_slot_free(warm[k]);
    }
    while (f.total < f.want && f.instances < 100000) {
        run_instance(env, &f, f.instances);
        f.instances++;
        if (f.instances % 50 == 0)
            ae_kprintf("fuzz: %lu invocations by %lu instances so far (%lu ended, %lu stalled, %lu cut)\n",
                       f.total, f.instances, f.ended, f.stalled, f.cut);
    }
    ae_kprintf("fuzz: seed %lu: %lu invocations by %lu instances (%lu ended on their own, %lu stalled, "
               "%lu destroyed running)\n", f.seed, f.total, f.instances, f.ended, f.stalled, f.cut);
    CHECK(f.total >= f.want);
    CHECK_EQ(f.leaks, 0);
    /* The kernel still does its job: a fresh object works. */
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), bits;
    CHECK_OK(ae_signal(n, 3));
    CHECK_OK(ae_recv(n, AERIE_TIMEOUT_POLL, &bits));
    CHECK_EQ(bits, 3);
}
