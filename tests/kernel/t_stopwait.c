/*
 * t_stopwait.c — a wait that Thread or Task SUSPEND ends is ended for the
 * stopped thread: its ECANCELED is returned only after the RESUME, never
 * between the abort and the stop. A thread that ran on from the abort
 * (on its own CPU, while the SUSPEND's caller on another went on to stop
 * it) did whatever its program does once the wait ends — a fork's
 * original wrote its file and told its service before TASK_CLONE copied
 * it, and the clones were copied past the point where the program looks
 * at whether it is a clone (forkee's "behind" mode, fork_containers).
 * The child (role stopwait, child_mt.c) receives on its own endpoint on
 * the other CPU and counts each receive that ends: a round of SUSPEND,
 * look, RESUME must find the count unchanged after the SUSPEND, and one
 * higher after the RESUME.
 */
#include "kt.h"

#define ROUNDS 300

/* The CPU the calling thread runs on. */
static unsigned my_cpu(void)
{
    uint64_t info[2] = { 0, 0 };
    ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 2);
    return (unsigned)info[1];
}

/* Starts the stopwait role on a CPU other than ours, charged to q, and
 * waits until its thread is in its receive. */
static bool start_waiter(struct kt_env *env, uint64_t q, struct ae_child *child)
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    int cpu = (int)((my_cpu() + 1) % kt_ncpus());
    if (kt_spawn_role(q, "stopwait", kt_self_grants, 3, kt_mint(ep, AERIE_R_WRITE, 1), cpu, child, 0))
        return false;
    return kt_wait_blocked(child->thread);
}

/* ROUNDS of stop, look, restart, with Task (task) or Thread SUSPEND;
 * the first round whose wait ended early, or 0. */
static unsigned rounds(struct ae_child *child, bool task, uint64_t *seen)
{
    uint64_t obj = task ? child->task : child->thread;
    uint64_t stop = task ? AERIE_TASK_SUSPEND : AERIE_THREAD_SUSPEND;
    uint64_t go = task ? AERIE_TASK_RESUME : AERIE_THREAD_RESUME;
    for (unsigned i = 1; i <= ROUNDS; i++) {
        uint64_t before = kt_peek(child->task, &sw_woke);
        if (ae_invoke0(obj, stop) < 0)
            return i;
        *seen = kt_peek(child->task, &sw_woke);
        if (*seen != before || kt_thread_state(child->thread) != AERIE_TS_SUSPENDED)
            return i;
        if (ae_invoke0(obj, go) < 0 || !kt_wait_peek(child->task, &sw_woke, before + 1, 5000) ||
            !kt_wait_blocked(child->thread))
            return i;
    }
    return 0;
}

KTEST_CPUS(stopwait_task_suspend_ends_wait_stopped, 2, "a receive Task SUSPEND ends on another CPU returns ECANCELED only after RESUME: the thread runs none of its program between the abort and the stop (300 rounds)")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    struct ae_child child;
    CHECK(start_waiter(env, q, &child));
    uint64_t seen = 0;
    unsigned bad = rounds(&child, true, &seen);
    if (bad)
        ae_kprintf("stopwait: round %u: count %lu after the SUSPEND\n", bad, (unsigned long)seen);
    CHECK_EQ(bad, 0);
    CHECK_EQ(kt_peek(child.task, &sw_last), AE_ECANCELED);
}

KTEST_CPUS(stopwait_thread_suspend_ends_wait_stopped, 2, "a receive Thread SUSPEND ends on another CPU returns ECANCELED only after RESUME (300 rounds)")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    struct ae_child child;
    CHECK(start_waiter(env, q, &child));
    uint64_t seen = 0;
    unsigned bad = rounds(&child, false, &seen);
    if (bad)
        ae_kprintf("stopwait: round %u: count %lu after the SUSPEND\n", bad, (unsigned long)seen);
    CHECK_EQ(bad, 0);
    CHECK_EQ(kt_peek(child.task, &sw_last), AE_ECANCELED);
}
