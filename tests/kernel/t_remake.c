/*
 * t_remake.c — attacks on the calls Task SUSPEND takes back and makes
 * again, and on the replies it holds for (attack8; docs/FORK.md, "A fork
 * during a call", SECURITY 21w, 21z and 21za):
 *   slot:   between SUSPEND and RESUME the caller's slot is re-aimed at
 *           another endpoint with another badge, then emptied: the call
 *           made again goes through what the slot holds then (the
 *           thread's own space, nothing else), and an empty slot is
 *           ECAP; the first endpoint never hears a thing;
 *   storm:  four threads call a server for ever while the test suspends
 *           and resumes their task hundreds of times, clones it (every
 *           thread, its own capabilities) and destroys the clones
 *           unstarted, and the server answers at random moments (during
 *           the clones too): each call reaches the server exactly once,
 *           in order, and each thread gets its own call's answer, never
 *           ECANCELED; nothing leaks (the harness counts pages and
 *           objects);
 *   dies:   a caller held for its reply whose task is destroyed before
 *           the reply: the reply finds nobody (no panic, nothing kept).
 */
#include "kt.h"
#include <aerie/fault.h>

KTEST(remake_follows_the_slot, "a call taken back is made again through what the caller's own slot holds at RESUME: re-aimed (another endpoint, another badge) it goes there once, emptied it is ECAP; the first endpoint never hears it")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep2 = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    CHECK(kt_wait_blocked(child.thread));                  /* call 0 queued on sep */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    uint64_t slot = kt_peek(child.task, &cq_slot);
    CHECK_OK(ae_invokev(child.task, AERIE_TASK_CAP_DELETE, slot));
    CHECK_OK(ae_task_cap_copy(child.task, sep2, slot, AERIE_R_WRITE, 7));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    uint64_t badge, w[4];
    int64_t r = kt_recv(sep2, 10000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(badge, 7);
    CHECK_EQ(w[0], 0xCA11);
    CHECK_EQ(w[1], 0);
    ae_utcb()->mr[0] = 77;
    CHECK_OK(ae_reply(AERIE_INFO(0, 1, 0)));            /* (a receive first would drop it) */
    CHECK_EQ(kt_recv(sep, 0, &badge, w), AE_ETIMEOUT);  /* the old one: nothing */
    CHECK(kt_wait_peek(child.task, &cq_done, 1, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_reply[0]), 77);
    /* Call 1 queued on sep2; its slot emptied while it is taken back. */
    CHECK(kt_wait_blocked(child.thread));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(ae_invokev(child.task, AERIE_TASK_CAP_DELETE, slot));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_result[1]), (uint64_t)(int64_t)AE_ECAP);
    CHECK_EQ(kt_recv(sep2, 0, &badge, w), AE_ETIMEOUT);
    CHECK_EQ(kt_recv(sep, 0, &badge, w), AE_ETIMEOUT);
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    CHECK(kt_expect_exits(fep, 1));
}

/* The storm's server: answers each call (k, seq) with its own value,
 * sometimes at once, sometimes after a short wait (the caller is then
 * held for its reply across SUSPENDs and clones), and checks each
 * thread's calls come exactly once each, in order. */
static volatile int srv_stop, srv_done;
static volatile int64_t srv_bad;
static volatile uint64_t srv_want;         /* what srv_bad's call should have been */
static volatile int srv_in_recv;           /* the server is in (or entering) its receive */
static uint64_t srv_th;                    /* its thread */
static volatile uint64_t srv_calls;
static uint64_t srv_ep;
#define SRV_BADGES 64                 /* 1: the original; 2..: started clones */
static uint64_t srv_next[SRV_BADGES][CM_THREADS];

static void storm_server(void *arg)
{
    (void)arg;
    uint64_t rnd = 0x9E3779B97F4A7C15ull;
    struct aerie_utcb *u = ae_utcb();
    while (!srv_stop) {
        uint64_t badge;
        srv_in_recv = 1;
        int64_t r = ae_recv(srv_ep, 20000000, &badge);
        srv_in_recv = 0;
        if (r == AE_ETIMEOUT)
            continue;
        if (r < 0 || !badge || badge >= SRV_BADGES || u->mr[0] != 0xCA11 || u->mr[1] >= CM_THREADS) {
            if (!srv_bad)
                srv_bad = r < 0 ? r : 0x2000000 + (int64_t)badge;
            continue;
        }
        unsigned k = (unsigned)u->mr[1];
        uint64_t seq = u->mr[2];
        if (seq != srv_next[badge][k] && !srv_bad)   /* twice, or skipped */
            srv_want = srv_next[badge][k], srv_bad = (int64_t)((badge << 48) | ((uint64_t)k << 44) |
                                                               ((seq & 0xFFFFF) << 24) | (srv_want & 0xFFFFF));
        srv_next[badge][k] = seq + 1;
        if (badge == 1)
            srv_calls++;
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        if (rnd % 4 == 0)
            ae_sleep_ns(rnd % 3000000);             /* held across what the test does */
        u->mr[0] = (((uint64_t)k << 32) | seq) ^ 0x5A5A;
        ae_reply(AERIE_INFO(0, 1, 0));
    }
    srv_done = 1;
}

/* The "container's second task": Thread SUSPEND of the child's main
 * thread now and then, its registers read, and Thread RESUME until it
 * takes (EBUSY while the task is stopped). */
static volatile int sib_stop, sib_done;
static volatile uint64_t sib_rounds;
static uint64_t sib_th;

static void storm_sibling(void *arg)
{
    (void)arg;
    uint64_t rnd = 0x2545F4914F6CDD1Dull, regs[AERIE_REG_COUNT];
    while (!sib_stop) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        ae_sleep_ns(rnd % 2000000);
        if (ae_invoke0(sib_th, AERIE_THREAD_SUSPEND))
            continue;
        ae_invoke(sib_th, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT);
        ae_sleep_ns(rnd % 300000);
        for (unsigned i = 0; i < 100000 && ae_invoke0(sib_th, AERIE_THREAD_RESUME) &&
                             kt_thread_state(sib_th) == AERIE_TS_SUSPENDED; i++)
            ae_sleep_ns(100000);
        sib_rounds++;
    }
    sib_done = 1;
}

/* Four threads call the server while the test suspends, clones and
 * resumes their task; with sibling, a thread of the test also stops and
 * restarts one of them with Thread SUSPEND and RESUME (it may end a held
 * wait: ECANCELED, and the Task SUSPEND may meet a restart: EBUSY). */
/* A clone started (badge b): its own capability in the "svc" slot, its
 * threads' first calls expected to be exactly the original's next ones
 * (a call the server had is the original's: the clone's copy ends with
 * ECANCELED and it goes on with the next; a call taken back is made
 * again once by each), run a few milliseconds, then told to stop; its
 * exit on fep with badge 100 + b. */
static int64_t run_clone(uint64_t ct, uint64_t b, uint64_t fep)
{
    uint64_t slot = kt_peek(ct, &cq_slot), badge, w[4];
    /* The original is stopped: once the server waits in its receive
     * again, it has counted every call the kernel gave it. */
    for (int i = 0; i < 5000 && !(srv_in_recv && kt_thread_state(srv_th) == AERIE_TS_BLOCKED); i++)
        ae_sleep_ns(100000);
    if (!srv_in_recv || kt_thread_state(srv_th) != AERIE_TS_BLOCKED)
        return AE_ETIMEOUT;
    for (unsigned k = 0; k < CM_THREADS; k++)
        srv_next[b][k] = srv_next[1][k];
    int64_t r;
    if ((r = ae_task_cap_copy(ct, srv_ep, slot, AERIE_R_WRITE, b)) < 0 || (r = kt_poke(ct, &cm_tolerant, 1)) ||
        (r = ae_invoke0(ct, AERIE_TASK_RESUME)))
        return r;
    ae_sleep_ns(3000000);
    if ((r = kt_poke(ct, &cq_go, 1)))
        return r;
    r = kt_recv(fep, 20000, &badge, w);
    if (r < 0)
        return r;
    if (AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_EXIT || badge != 100 + b || w[0])
        return 0x4000000 + (int64_t)badge * 256 + (int64_t)w[0];
    return 0;
}

static void storm(struct kt_env *env, bool sibling, bool start)
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 16, 256);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    srv_ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    srv_stop = srv_done = 0;
    srv_bad = 0;
    srv_want = 0;
    srv_calls = 0;
    for (unsigned b = 0; b < SRV_BADGES; b++)
        for (unsigned k = 0; k < CM_THREADS; k++)
            srv_next[b][k] = 0;
    struct ae_thread st = { 0 }, sb = { 0 };
    CHECK_OK(kt_thread(env, &st, storm_server, 0, 1 % (int)kt_ncpus()));
    srv_th = st.thread_slot;
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callmt", srv_ep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    if (sibling) {
        CHECK_OK(kt_poke(child.task, &cm_tolerant, 1));
        sib_th = child.thread;
        sib_stop = sib_done = 0;
        sib_rounds = 0;
        CHECK_OK(kt_thread(env, &sb, storm_sibling, 0, 0));
    }
    uint64_t rnd = 0xD1B54A32D192ED03ull, cfe = kt_mint(fep, AERIE_R_WRITE, 2);
    unsigned clones = 0;
    for (unsigned i = 0; i < 300; i++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        ae_sleep_ns(rnd % 400000);
        int64_t r = ae_invoke0(child.task, AERIE_TASK_SUSPEND);
        if (sibling && r == AE_EBUSY)
            continue;                                   /* restarted under the walk: nothing held */
        CHECK_OK(r);
        if (i % (start ? 10 : 4) == 0) {
            uint64_t cq, ct = ae_slot_alloc(), ch = ae_slot_alloc();
            CHECK_OK(kt_create(env->quota, AERIE_OBJ_QUOTA, &cq, 4 << 20, 16, 256));
            uint64_t b = 2 + clones;
            r = ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, ct, ch, AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS,
                           start ? kt_mint(fep, AERIE_R_WRITE, 100 + b) : cfe);
            CHECK_OK(r);
            clones++;
            if (start && b < SRV_BADGES)
                CHECK_OK(run_clone(ct, b, fep));
            CHECK_OK(ae_invoke0(cq, AERIE_QUOTA_DESTROY));   /* unstarted: every copy goes */
            ae_cap_delete(cq);
            ae_cap_delete(ct);
            ae_cap_delete(ch);
            ae_slot_free(cq);
            ae_slot_free(ct);
            ae_slot_free(ch);
        }
        if (rnd % 3 == 0)
            ae_sleep_ns(rnd % 1000000);
        CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
        CHECK_EQ(srv_bad, 0);
        CHECK_EQ((int64_t)kt_peek(child.task, &cm_bad), 0);
    }
    CHECK(clones >= (sibling ? 10 : start ? 30 : 75));
    if (sibling) {
        sib_stop = 1;
        CHECK(kt_wait(&sib_done, 1, 20000));
        if (kt_thread_state(child.thread) == AERIE_TS_SUSPENDED)
            CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_RESUME));
        CHECK(sib_rounds > 0);
    }
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    uint64_t badge, w[4];
    int64_t r = kt_recv(fep, 20000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
    CHECK_EQ(badge, 1);
    CHECK_EQ(w[0], 0);
    srv_stop = 1;
    CHECK(kt_wait(&srv_done, 1, 5000));
    CHECK_EQ(srv_bad, 0);
    CHECK(srv_calls >= CM_THREADS);
    uint64_t sum = 0;
    for (unsigned k = 0; k < CM_THREADS; k++)
        sum += srv_next[1][k];
    CHECK_EQ(sum, srv_calls);
}

KTEST_CPUS(remake_storm_each_call_once, 2, "four threads call a server for ever while their task is suspended and resumed 300 times and cloned (every thread, own capabilities) 75 times, the clones destroyed unstarted, the server answering at random moments: every call reaches the server once, in order, each thread gets its own answer and never ECANCELED; nothing leaks")
{
    storm(env, false, false);
}

KTEST_CPUS(remake_storm_with_a_sibling, 2, "the storm, while a thread outside the task (a container's second task) stops one caller with Thread SUSPEND, reads its registers and restarts it (refused while the task is stopped): every call still reaches the server once, in order, each answer its own caller's; nothing leaks, no panic")
{
    storm(env, true, false);
}

KTEST_CPUS(remake_storm_clones_take_up_where_the_original_was, 2, "the storm with 30 clones started, each with its own capability: each clone thread's first call is exactly the original's next one (a call the server had stays the original's, one taken back is made once by each), every call of each reaches the server once, in order, each answer its own caller's; the original never sees ECANCELED; nothing leaks")
{
    storm(env, false, true);
}

KTEST(remake_held_caller_destroyed, "a caller held by Task SUSPEND in its wait for a reply whose task is destroyed before the reply: the server's reply finds nobody (EINVAL), nothing is kept, no panic")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    uint64_t badge, w[4];
    CHECK(kt_recv(sep, 10000, &badge, w) >= 0);         /* call 0: ours now */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_BLOCKED);   /* held in its wait */
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));     /* its task and thread with it */
    ae_utcb()->mr[0] = 1;
    CHECK_EQ(ae_reply(AERIE_INFO(0, 1, 0)), AE_EINVAL);
}

KTEST(remake_stopped_task_runs_nothing, "while its task is stopped (Task SUSPEND done), a thread of it that a sibling had stopped with Thread SUSPEND before, or a new thread made in it from outside, cannot be started with Thread RESUME (EBUSY): nothing of the task runs while TASK_CLONE copies it; after Task RESUME both can")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "mt", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    for (int i = 0; i < 5000 && kt_peek(child.task, &mt_ready) != 4; i++)
        ae_sleep_ns(1000000);
    CHECK_EQ(kt_peek(child.task, &mt_ready), 4);
    ae_sleep_ns(20000000);                              /* worker 3 in its receive */
    /* The main thread (it counts mt_spins) stopped by a "sibling" first. */
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_SUSPEND));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    uint64_t spins = kt_peek(child.task, &mt_spins);
    CHECK_EQ(ae_invoke0(child.thread, AERIE_THREAD_RESUME), AE_EBUSY);
    /* A thread made in the stopped task from outside: not started either. */
    uint64_t nt;
    CHECK_OK(kt_create(q, AERIE_OBJ_THREAD, &nt, child.task, 0, 0));
    CHECK_EQ(ae_invoke0(nt, AERIE_THREAD_RESUME), AE_EBUSY);
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_peek(child.task, &mt_spins), spins);
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_EQ(kt_thread_state(nt), AERIE_TS_INACTIVE);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);   /* not the task's to restart */
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_RESUME));
    for (int i = 0; i < 5000 && kt_peek(child.task, &mt_spins) == spins; i++)
        ae_sleep_ns(1000000);
    CHECK(kt_peek(child.task, &mt_spins) != spins);
    CHECK_OK(ae_invoke0(nt, AERIE_THREAD_DESTROY));
    CHECK_OK(kt_poke(child.task, &mt_who, 0));
    CHECK_OK(kt_poke(child.task, &mt_go, 1));
    CHECK(kt_expect_exits(fep, 1));
}

KTEST(remake_resume_is_the_stoppers, "Task RESUME of a task another task's SUSPEND stopped (a container's second task holding its first task's capability, in the middle of cm's fork) is EPERM and restarts nothing; the stopper's RESUME works")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child, other;
    CHECK_OK(kt_spawn_svc(q, "mt", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    for (int i = 0; i < 5000 && kt_peek(child.task, &mt_ready) != 4; i++)
        ae_sleep_ns(1000000);
    CHECK_EQ(kt_peek(child.task, &mt_ready), 4);
    ae_sleep_ns(20000000);                              /* worker 3 in its receive */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    uint64_t spins = kt_peek(child.task, &mt_spins);
    const struct ae_grant g[] = { { "victim", child.task, AERIE_R_ALL, 0 } };
    CHECK_OK(kt_spawn_role(q, "resumer", g, 1, kt_mint(fep, AERIE_R_WRITE, 2), -1, &other, 0));
    uint64_t badge, w[4];
    int64_t r = kt_recv(fep, 10000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
    CHECK_EQ(badge, 2);
    CHECK_EQ(w[0], (uint64_t)-(int64_t)AE_EPERM);
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_peek(child.task, &mt_spins), spins);      /* nothing of it ran */
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    for (int i = 0; i < 5000 && kt_peek(child.task, &mt_spins) == spins; i++)
        ae_sleep_ns(1000000);
    CHECK(kt_peek(child.task, &mt_spins) != spins);
    CHECK_OK(kt_poke(child.task, &mt_go, 1));
    r = kt_recv(fep, 10000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
    CHECK_EQ(badge, 1);
    CHECK_EQ(w[0], 0);
}

KTEST(remake_saved_reply_reaches_the_held_original, "a call whose reply capability the server saved (REPLY_SAVE) when Task SUSPEND stops the caller: the caller stays held; the saved reply reaches the original only (it stays stopped until RESUME); a clone's copy ends with ECANCELED; a saved reply to a caller a Thread SUSPEND took out of its wait finds nobody (EDEAD) and is used up")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    uint64_t badge, w[4], rs = ae_slot_alloc();
    CHECK(kt_recv(sep, 10000, &badge, w) >= 0);
    CHECK_EQ(w[1], 0);
    CHECK_OK(ae_reply_save(rs));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_BLOCKED);   /* held in its wait */
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128), ct = ae_slot_alloc();
    CHECK_OK(ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, ct, ae_slot_alloc(),
                        AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS, kt_mint(fep, AERIE_R_WRITE, 2)));
    ae_utcb()->mr[0] = 501;
    CHECK_OK(ae_send(rs, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_POLL));
    CHECK_EQ(ae_cap_info(rs, &(uint64_t){ 0 }), AE_ECAP);        /* one shot */
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_EQ(kt_peek(child.task, &cq_done), 0);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 1, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_reply[0]), 501);
    /* The clone's copy of call 0: ECANCELED; its call 1 through its own
     * slot (empty: OWN_CAPS, nothing re-issued): ECAP. */
    CHECK_OK(ae_invoke0(ct, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(ct, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(ct, &cq_result[0]), (uint64_t)(int64_t)AE_ECANCELED);
    CHECK_EQ(kt_peek(ct, &cq_result[1]), (uint64_t)(int64_t)AE_ECAP);
    /* Call 1 of the original: saved, then a Thread SUSPEND ends its wait. */
    CHECK(kt_recv(sep, 10000, &badge, w) >= 0);
    CHECK_EQ(w[1], 1);
    CHECK_OK(ae_reply_save(rs));
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_SUSPEND));
    ae_utcb()->mr[0] = 502;
    CHECK_EQ(ae_send(rs, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_POLL), AE_EDEAD);
    CHECK_EQ(ae_cap_info(rs, &(uint64_t){ 0 }), AE_ECAP);
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_result[1]), (uint64_t)(int64_t)AE_ECANCELED);
    CHECK_EQ(kt_recv(sep, 50, &badge, w), AE_ETIMEOUT);
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    CHECK_OK(kt_poke(ct, &cq_go, 1));
    CHECK_EQ(kt_expect_exits(fep, 2), 0x6);
}

KTEST(remake_endpoint_destroyed_meanwhile, "a call taken back whose endpoint is destroyed before RESUME is made again to nothing: an error (ECAP or EDEAD), no hang, no call anywhere, nothing kept")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t eq = kt_new(env, AERIE_OBJ_QUOTA, 64 << 10, 1, 4);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), sep;
    CHECK_OK(kt_create(eq, AERIE_OBJ_ENDPOINT, &sep, 0, 0, 0));
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    CHECK(kt_wait_blocked(child.thread));                  /* call 0 queued on sep */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(ae_invoke0(eq, AERIE_QUOTA_DESTROY));       /* the endpoint with it */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    for (unsigned n = 0; n < 2; n++) {
        int64_t r = (int64_t)kt_peek(child.task, &cq_result[n]);
        CHECK(r == AE_ECAP || r == AE_EDEAD);
    }
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    CHECK(kt_expect_exits(fep, 1));
}

KTEST(remake_reply_recv_reports_held_and_lost, "REPLY_RECV (its reply's result in RSI) to a caller Task SUSPEND holds: delivered (0), the caller stays stopped until RESUME and has the answer; to a caller whose wait a Thread SUSPEND ended: AE_EINVAL (nobody waits), the receive goes on")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    uint64_t badge, w[4];
    CHECK(kt_recv(sep, 10000, &badge, w) >= 0);          /* call 0: ours */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    int64_t replied = 1;
    ae_utcb()->mr[0] = 601;
    /* Reply, then wait (briefly) for the next: nobody sends meanwhile. */
    CHECK_EQ(ae_reply_recv_ex(sep, AERIE_INFO(0, 1, 0), 1000000, &badge, &replied), AE_ETIMEOUT);
    CHECK_EQ(replied, 0);
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_EQ(kt_peek(child.task, &cq_done), 0);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 1, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_reply[0]), 601);
    /* Call 1: its wait ended by a Thread SUSPEND before the answer. */
    CHECK(kt_recv(sep, 10000, &badge, w) >= 0);
    CHECK_EQ(w[1], 1);
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_SUSPEND));
    replied = 1;
    ae_utcb()->mr[0] = 602;
    CHECK_EQ(ae_reply_recv_ex(sep, AERIE_INFO(0, 1, 0), 1000000, &badge, &replied), AE_ETIMEOUT);
    CHECK_EQ(replied, AE_EINVAL);
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_result[1]), (uint64_t)(int64_t)AE_ECANCELED);
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    CHECK(kt_expect_exits(fep, 1));
}
