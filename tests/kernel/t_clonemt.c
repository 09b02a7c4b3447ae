/*
 * t_clonemt.c — Task SUSPEND and RESUME (kernel/task_stop.c) and TASK_CLONE
 * with AERIE_CLONE_ALL_THREADS (kernel/task_clone.c): a running task of
 * several threads (child_mt.c) stops as one and runs on; two clones of it
 * get a copy of every live thread — registers, TLS, the wait it was in
 * ending with ECANCELED — charged to their own quota, and each clone's
 * threads write only its own memory; and every wrong use fails cleanly
 * with nothing made: no rights, a task not suspended, forged slots,
 * suspending oneself, resuming what runs, more threads than allowed or
 * than the clone's quota holds, a bad fault endpoint.
 */
#include "kt.h"
#include <aerie/fault.h>

static uint64_t task_threads(uint64_t task)
{
    uint64_t info[4] = { ~0ull };
    ae_invoke(task, AERIE_TASK_INFO, 0, 0, info, 4);
    return info[0];
}

/* Starts the mt role charged to q, with fault endpoint fe (a badge of ep);
 * true once its four threads have filled their rows (and worker 3 is into
 * its receive). If it ends first, says how. */
static bool start_mt(uint64_t q, uint64_t ep, uint64_t fe, struct ae_child *child)
{
    if (kt_spawn_role(q, "mt", kt_self_grants, 3, fe, -1, child, 0))
        return false;
    for (int i = 0; i < 5000; i++) {
        if (kt_peek(child->task, &mt_ready) == 4) {
            ae_sleep_ns(20000000);
            return true;
        }
        ae_sleep_ns(1000000);
    }
    uint64_t badge, w[4] = { 0 };
    int64_t r = kt_recv(ep, 0, &badge, w);
    ae_kprintf("clonemt: mt not ready (%lu): message %ld, word 0 %lu\n", (unsigned long)kt_peek(child->task, &mt_ready),
               (long)r, (unsigned long)w[0]);
    return false;
}

KTEST(clonemt_suspend_resume_stops_every_thread, "Task SUSPEND stops every thread of a running task (none runs until RESUME), twice is EBUSY, RESUME restarts them and the task finishes")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK(start_mt(q, ep, kt_mint(ep, AERIE_R_WRITE, 1), &child));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(ae_invoke0(child.task, AERIE_TASK_SUSPEND), AE_EBUSY);
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    uint64_t spins = kt_peek(child.task, &mt_spins);
    ae_sleep_ns(30000000);
    CHECK_EQ(kt_peek(child.task, &mt_spins), spins);          /* nothing of it ran */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_EQ(ae_invoke0(child.task, AERIE_TASK_RESUME), AE_EBUSY);
    for (int i = 0; i < 2000 && kt_peek(child.task, &mt_spins) == spins; i++)
        ae_sleep_ns(1000000);
    CHECK(kt_peek(child.task, &mt_spins) != spins);           /* it runs again */
    CHECK_OK(kt_poke(child.task, &mt_go, 1));
    CHECK(kt_expect_exits(ep, 1));                       /* rows right, the receive ended with ECANCELED */
}

KTEST_CPUS(clonemt_clones_every_thread, 1, "two clones of a suspended task of four live threads (and one dead) each get four threads charged to their quota; the original and both run on, each thread writing only its own task's memory")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t fe[3];
    for (unsigned i = 0; i < 3; i++)
        fe[i] = kt_mint(ep, AERIE_R_WRITE, 1 + i);
    struct ae_child child;
    CHECK(start_mt(q, ep, fe[0], &child));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(task_threads(child.task), 5);   /* the one that ended is still held by its capability */
    uint64_t task[3] = { child.task }, thread[3] = { child.thread };
    for (unsigned i = 1; i < 3; i++) {
        uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
        task[i] = ae_slot_alloc();
        thread[i] = ae_slot_alloc();
        CHECK_OK(ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, task[i], thread[i], AERIE_CLONE_ALL_THREADS, fe[i]));
        CHECK_EQ(task_threads(task[i]), 4);  /* the live ones */
        uint64_t info[6] = { 0 };
        CHECK_OK(ae_quota_info(cq, info));
        CHECK_EQ(info[3], 4);                /* each charged to the clone's quota */
        CHECK_EQ(kt_thread_state(thread[i]), AERIE_TS_INACTIVE);
    }
    for (unsigned i = 0; i < 3; i++) {
        CHECK_OK(kt_poke(task[i], &mt_who, i));
        CHECK_OK(kt_poke(task[i], &mt_go, 1));
    }
    for (unsigned i = 0; i < 3; i++)
        CHECK_OK(ae_invoke0(task[i], AERIE_TASK_RESUME));   /* a clone is born suspended */
    unsigned seen = 0;
    for (unsigned n = 0; n < 3; n++) {
        uint64_t badge, w[4];
        int64_t r = kt_recv(ep, 20000, &badge, w);
        CHECK(r >= 0);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
        if (w[0])
            ae_kprintf("clonemt: task %lu ended with %lu\n", (unsigned long)badge - 1, (unsigned long)w[0]);
        CHECK_EQ(w[0], 0);
        CHECK(badge >= 1 && badge <= 3);
        seen |= 1u << badge;
    }
    CHECK_EQ(seen, 0xE);
}

KTEST_CPUS(clonemt_suspend_while_threads_start_threads, 2, "a task whose threads keep starting and destroying threads on both CPUs is stopped whole by each SUSPEND: nothing of it counts until RESUME, 20 times")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 16, 256);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_role(q, "mtspawn", kt_self_grants, 3, kt_mint(ep, AERIE_R_WRITE, 1), -1, &child, 0));
    for (int i = 0; i < 5000 && kt_peek(child.task, &mtspawn_count) < 1000; i++)
        ae_sleep_ns(1000000);
    CHECK(kt_peek(child.task, &mtspawn_count) >= 1000);
    for (int round = 0; round < 20; round++) {
        CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
        uint64_t n = kt_peek(child.task, &mtspawn_count);
        ae_sleep_ns(3000000);
        CHECK_EQ(kt_peek(child.task, &mtspawn_count), n);
        CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
        for (int i = 0; i < 2000 && kt_peek(child.task, &mtspawn_count) == n; i++)
            ae_sleep_ns(500000);
        CHECK(kt_peek(child.task, &mtspawn_count) != n);
    }
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);      /* it never ended or faulted */
}

/* A task of n inactive threads, charged to its own new quota. */
static int make_threads(struct kt_env *env, unsigned n, uint64_t *q, uint64_t *task)
{
    *q = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, n + 4, n + 16);
    int64_t r = kt_create(*q, AERIE_OBJ_TASK, task, 0, 0, 0);
    for (unsigned i = 0; !r && i < n; i++) {
        uint64_t th;
        r = kt_create(*q, AERIE_OBJ_THREAD, &th, *task, 0, 0);
    }
    return (int)r;
}

KTEST(clonemt_refusals, "no rights, a task not suspended, oneself, forged slots, a bad fault endpoint, too many threads, a quota too small: each refused with its word, nothing made; then a clone, and a clone of the clone, of every thread")
{
    uint64_t sq, src;
    CHECK_OK(make_threads(env, 3, &sq, &src));
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128), t = ae_slot_alloc(), th = ae_slot_alloc();
    uint64_t ntfn = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0), ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t epro = kt_mint(ep, AERIE_R_READ, 0), ro = kt_mint(src, AERIE_R_READ, 0);
    uint64_t two = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 128);
    struct aerie_utcb *u = ae_utcb();
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects();
    /* Every thread at once only from a suspended task. */
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS), AE_EBUSY);
    CHECK_EQ(u->mr[0], ~0u);
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, 0x4), AE_EINVAL);   /* an unknown flag */
    CHECK_EQ(u->mr[0], 4);
    CHECK_EQ(ae_invoke0(src, AERIE_TASK_RESUME), AE_EBUSY);                     /* not suspended */
    CHECK_EQ(ae_invokev(src, AERIE_TASK_RESUME, 2), AE_EINVAL);                 /* an unknown flag */
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invoke0(ae_self.task, AERIE_TASK_SUSPEND), AE_EINVAL);          /* oneself */
    CHECK_EQ(ae_invoke0(ro, AERIE_TASK_SUSPEND), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(ro, AERIE_TASK_RESUME), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(ro, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(1ull << 40, AERIE_TASK_SUSPEND), AE_ECAP);               /* forged */
    CHECK_EQ(ae_invoke0(ae_slot_alloc(), AERIE_TASK_RESUME), AE_ECAP);
    CHECK_OK(ae_invoke0(src, AERIE_TASK_SUSPEND));      /* nothing runs: stopped at once */
    /* The new threads' fault endpoint: word 5. */
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS, ntfn), AE_ETYPE);
    CHECK_EQ(u->mr[0], 5);
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS, epro), AE_ERIGHTS);
    CHECK_EQ(u->mr[0], 5);
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS, ae_slot_alloc()), AE_ECAP);
    CHECK_EQ(u->mr[0], 5);
    /* A clone's quota that cannot hold three threads. */
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, two, sq, t, th, AERIE_CLONE_ALL_THREADS), AE_ELIMIT);
    CHECK_EQ(kt_free_pages(), free0);
    CHECK_EQ(kt_objects(), obj0);
    CHECK_EQ(ae_cap_info(t, &(uint64_t){ 0 }), AE_ECAP);
    CHECK_EQ(ae_cap_info(th, &(uint64_t){ 0 }), AE_ECAP);
    /* Without the flag a task of three threads is still refused... */
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th), AE_ELIMIT);
    /* ...and with it, every thread is copied. */
    CHECK_OK(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS, ep));
    CHECK_EQ(task_threads(t), 3);
    /* A clone is born suspended: it is cloned at once, every thread again. */
    CHECK_EQ(ae_invoke0(t, AERIE_TASK_SUSPEND), AE_EBUSY);
    uint64_t cq2 = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128), t2 = ae_slot_alloc(), th2 = ae_slot_alloc();
    CHECK_OK(ae_invokev(t, AERIE_TASK_CLONE, cq2, cq, t2, th2, AERIE_CLONE_ALL_THREADS));
    CHECK_EQ(task_threads(t2), 3);
    CHECK_OK(ae_invoke0(t2, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(src, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(t, AERIE_TASK_RESUME));          /* none of them had run: none starts */
    CHECK_EQ(kt_thread_state(th), AERIE_TS_INACTIVE);
}

/* attack6: a thread of a task its SUSPEND holds, restarted from outside
 * with Thread RESUME (what another task of the container holding the
 * thread's capability could do while cm forks it, so that it runs while
 * TASK_CLONE copies the task's memory): refused with EBUSY, the thread
 * stays stopped, a clone of every thread is made, and Task RESUME
 * restarts it. */
KTEST(clonemt_thread_resumed_under_suspend, "Thread RESUME of a thread its task's SUSPEND holds is EBUSY and it stays stopped; the clone of every thread is made; Task RESUME restarts it")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK(start_mt(q, ep, kt_mint(ep, AERIE_R_WRITE, 1), &child));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    uint64_t spins = kt_peek(child.task, &mt_spins);
    CHECK_EQ(ae_invoke0(child.thread, AERIE_THREAD_RESUME), AE_EBUSY);
    CHECK_EQ(ae_invokev(child.thread, AERIE_THREAD_RESUME, AERIE_RESUME_BOOST), AE_EBUSY);
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_peek(child.task, &mt_spins), spins);          /* it did not run */
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128), t = ae_slot_alloc(), th = ae_slot_alloc();
    CHECK_OK(ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, t, th, AERIE_CLONE_ALL_THREADS));
    CHECK_OK(ae_cap_delete(t));                            /* the clone is not started: gone with its caps */
    CHECK_OK(ae_cap_delete(th));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    for (int i = 0; i < 2000 && kt_peek(child.task, &mt_spins) == spins; i++)
        ae_sleep_ns(1000000);
    CHECK(kt_peek(child.task, &mt_spins) != spins);           /* the main thread runs again */
    CHECK_OK(kt_poke(child.task, &mt_go, 1));
    CHECK(kt_expect_exits(ep, 1));
}

KTEST(clonemt_too_many_threads, "a task of more than AERIE_CLONE_MAX_THREADS threads is refused with ELIMIT and nothing made")
{
    uint64_t sq, src;
    CHECK_OK(make_threads(env, AERIE_CLONE_MAX_THREADS + 1, &sq, &src));
    CHECK_OK(ae_invoke0(src, AERIE_TASK_SUSPEND));
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 128, 256), t = ae_slot_alloc(), th = ae_slot_alloc();
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects();
    CHECK_EQ(ae_invokev(src, AERIE_TASK_CLONE, cq, sq, t, th, AERIE_CLONE_ALL_THREADS), AE_ELIMIT);
    CHECK_EQ(ae_utcb()->mr[0], ~0u);
    CHECK_EQ(kt_free_pages(), free0);
    CHECK_EQ(kt_objects(), obj0);
    uint64_t info[6] = { 0 };
    CHECK_OK(ae_quota_info(cq, info));
    CHECK_EQ(info[1], 0);
    CHECK_EQ(info[3], 0);
    CHECK_OK(ae_invoke0(src, AERIE_TASK_RESUME));
}

KTEST(clonemt_container_cannot_reach_others, "a task holding no capability to another task: SUSPEND, RESUME and CLONE on forged and huge slots and on itself all fail")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 4, 64);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_role(q, "mtattack", kt_self_grants, 3, kt_mint(ep, AERIE_R_WRITE, 1), -1, &child, 0));
    CHECK(kt_expect_exits(ep, 1));                       /* nothing that should fail succeeded (a bit each) */
}
