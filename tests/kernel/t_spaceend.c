/*
 * t_spaceend.c — the end of a task whose thread runs, or has just run,
 * on the other CPU (burst2). Its page tables wait for no other CPU: they
 * are freed by whichever of the release and the last CPU to leave them
 * comes last (kernel/vspace.c, vspace_release).
 * Over and over, each way: every page and object must come back, exactly
 * (the debug statistics read them once the other CPU has let go), and no
 * CPU may use the freed tables (a use would crash or corrupt the next
 * task's memory, which the later rounds and the harness would see).
 */
#include "kt.h"

#define ROUNDS 300

static void se_spin_ns(uint64_t ns)
{
    uint64_t until = kt_now_ns() + ns;
    while (kt_now_ns() < until)
        ;
}

/* Until the quota's threads have had CPU time (its INFO's word 6). */
static bool ran(uint64_t q)
{
    uint64_t info[8];
    for (int k = 0; k < 20000; k++) {
        if (ae_invoke(q, AERIE_QUOTA_INFO, 0, 0, info, 8) >= 0 && info[6] > 0)
            return true;
        ae_sleep_ns(50000);
    }
    return false;
}

KTEST_CPUS(task_ended_while_it_runs_on_the_other_cpu, 2,
           "a task whose thread runs on the other CPU (or has just exited there, its tables still loaded) is ended "
           "again and again from this one: every page and object comes back, exactly, and nothing uses freed tables")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    ae_yield();
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t pages0 = 0, objs0 = 0, seed = 0x2545F4914F6CDD1Dull;
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t q = ae_slot_alloc();
        CHECK_OK(ae_quota_create(env->quota, AERIE_OBJ_QUOTA, q, 4 << 20, 4, 64));
        struct ae_child c;
        /* running when ended, or ended just after it exited (its CPU idle on its tables) */
        CHECK_OK(kt_spawn_role(q, i % 2 ? "spin" : "exitquiet", 0, 0, ep, 1, &c, "0"));
        if (i % 2)
            CHECK(ran(q));
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        se_spin_ns((seed >> 33) % 100000);           /* 0..100 us */
        CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
        ae_slot_free(q);                             /* emptied by the destruction, as are: */
        ae_slot_free(c.task);
        ae_slot_free(c.thread);
        if (i == 1) {                                /* one of each made: the harness's caches are warm */
            pages0 = kt_free_pages();
            objs0 = kt_objects();
        } else if (i > 1 && i % 2) {
            uint64_t f = kt_free_pages();
            if (f != pages0) {
                ae_sleep_ns(50000000);
                ae_kprintf("spaceend: round %u: %lu free pages, %lu 50 ms later, %lu at the start; objects %lu, %lu\n",
                           i, f, kt_free_pages(), pages0, kt_objects(), objs0);
            }
            CHECK_EQ(f, pages0);
            CHECK_EQ(kt_objects(), objs0);
        }
    }
}
