/*
 * t_forkcall.c — a thread stopped by Task SUSPEND in the middle of a
 * CALL to a service (docs/FORK.md, "A fork during a call"). The test is
 * the service (endpoint sep, the child's "svc" grant with badge 1) and
 * the child's handler; each clone gets its own capability to sep in the
 * same slot, badged 2 and 3, as cm re-issues a container's grants.
 *   queued:   the call is still on the endpoint's queue: the SUSPEND
 *             takes it back, and the original and each clone make it
 *             again on RESUME, each to its own capability, each with
 *             the words in its own UTCB, and each gets its own reply;
 *   received: the service holds the call: the original keeps waiting
 *             and gets the reply, whether it comes before RESUME (the
 *             original stays stopped until RESUME) or after it; each
 *             clone's copy of the call ends with ECANCELED and never
 *             reaches the service;
 *   own cap:  a clone whose slot holds no capability (cm did not
 *             re-issue the grant) makes the call again through nothing:
 *             ECAP, and the original's service never hears it.
 */
#include "kt.h"
#include <aerie/fault.h>

/* Replies to the call just received with word 0 = v. */
static int64_t answer(uint64_t v)
{
    ae_utcb()->mr[0] = v;
    return ae_reply(AERIE_INFO(0, 1, 0));
}

/* Two clones of the suspended child, as cm makes them: their own
 * capabilities only, every thread, the clone's handler (fep, badge 2 and
 * 3), and a capability to sep badged the same in the child's "svc" slot. */
static int64_t make_clones(struct kt_env *env, uint64_t task, uint64_t q, uint64_t sep, uint64_t fep, uint64_t ct[2])
{
    uint64_t slot = kt_peek(task, &cq_slot);
    for (unsigned i = 0; i < 2; i++) {
        uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
        ct[i] = ae_slot_alloc();
        int64_t r = ae_invokev(task, AERIE_TASK_CLONE, cq, q, ct[i], ae_slot_alloc(),
                               AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS, kt_mint(fep, AERIE_R_WRITE, 2 + i));
        if (r < 0)
            return r;
        if ((r = ae_task_cap_copy(ct[i], sep, slot, AERIE_R_WRITE, 2 + i)) < 0)
            return r;
    }
    return 0;
}

/* Lets the original (badge 1) and both clones end; each must say 0. */
static bool all_end(uint64_t task, const uint64_t ct[2], uint64_t fep)
{
    const uint64_t t[3] = { task, ct[0], ct[1] };
    for (unsigned i = 0; i < 3; i++)
        if (kt_poke(t[i], &cq_go, 1))
            return false;
    return kt_expect_exits(fep, 3) == 0xE;          /* badges 1, 2 and 3, each status 0 */
}

KTEST(clonemt_queued_call_made_again, "a CALL still queued when Task SUSPEND stops its thread is taken back: the original and two clones each make it again on RESUME, to their own capability, with their own words, and each gets its own reply")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    /* Its first call waits on sep's queue: nobody receives yet. */
    CHECK(kt_wait_blocked(child.thread));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(sep, 0, &badge, w), AE_ETIMEOUT);          /* taken off the queue */
    uint64_t ct[2];
    CHECK_OK(make_clones(env, child.task, q, sep, fep, ct));
    /* Each clone's words are its own UTCB's: the call made again reads them. */
    struct aerie_utcb *u = (struct aerie_utcb *)kt_peek(child.task, &cq_utcb);
    for (unsigned i = 0; i < 2; i++)
        CHECK_OK(kt_poke(ct[i], &u->mr[1], 100 + i));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    for (unsigned i = 0; i < 2; i++)
        CHECK_OK(ae_invoke0(ct[i], AERIE_TASK_RESUME));
    /* Exactly one first call from each, then their second calls. */
    unsigned first = 0, second = 0;
    for (unsigned n = 0; n < 6; n++) {
        int64_t r = kt_recv(sep, 10000, &badge, w);
        CHECK(r >= 0);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), 5);
        CHECK(badge >= 1 && badge <= 3);
        CHECK_EQ(w[0], 0xCA11);
        if (w[1] == 1) {                     /* its second call */
            CHECK(!(second & (1u << badge)));
            second |= 1u << badge;
            CHECK_OK(answer(2000 + badge));
            continue;
        }
        CHECK_EQ(w[1], badge == 1 ? 0 : 100 + badge - 2);
        CHECK(!(first & (1u << badge)));
        first |= 1u << badge;
        CHECK_OK(answer(1000 + badge));
    }
    CHECK_EQ(first, 0xE);
    CHECK_EQ(second, 0xE);
    CHECK_EQ(kt_recv(sep, 50, &badge, w), AE_ETIMEOUT);         /* nothing twice */
    const uint64_t t[3] = { child.task, ct[0], ct[1] };
    for (unsigned i = 0; i < 3; i++) {
        CHECK(kt_wait_peek(t[i], &cq_done, 2, 10000));
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)kt_peek(t[i], &cq_result[0])), 0);
        CHECK_EQ(kt_peek(t[i], &cq_reply[0]), 1001 + i);
        CHECK_EQ(kt_peek(t[i], &cq_reply[1]), 2001 + i);
    }
    CHECK(all_end(child.task, ct, fep));
}

KTEST(clonemt_received_call_answered_to_original, "a CALL the service holds when Task SUSPEND stops its thread: the original keeps waiting and gets the reply, given before RESUME (it stays stopped until then) or after; each clone's copy ends with ECANCELED and never reaches the service")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    uint64_t badge, w[4], ct[2];
    /* First call: received and held; the reply comes while it is stopped. */
    int64_t r = kt_recv(sep, 10000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(badge, 1);
    CHECK_EQ(w[1], 0);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(make_clones(env, child.task, q, sep, fep, ct));
    CHECK_OK(answer(1001));                                      /* it reaches the original */
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_peek(child.task, &cq_done), 0);                     /* which stays stopped */
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(child.task, &cq_done, 1, 10000));
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)kt_peek(child.task, &cq_result[0])), 0);
    CHECK_EQ(kt_peek(child.task, &cq_reply[0]), 1001);
    /* Second call of the original: held again, the reply after RESUME. */
    r = kt_recv(sep, 10000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(badge, 1);
    CHECK_EQ(w[1], 1);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    ae_sleep_ns(20000000);
    CHECK_EQ(kt_peek(child.task, &cq_done), 1);                     /* still waiting: no ECANCELED */
    CHECK_OK(answer(2001));
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(child.task, &cq_reply[1]), 2001);
    /* The clones: their copy of the first call ended with ECANCELED, and
     * their second call comes from their own capability. */
    for (unsigned i = 0; i < 2; i++)
        CHECK_OK(ae_invoke0(ct[i], AERIE_TASK_RESUME));
    unsigned second = 0;
    for (unsigned n = 0; n < 2; n++) {
        r = kt_recv(sep, 10000, &badge, w);
        CHECK(r >= 0);
        CHECK(badge == 2 || badge == 3);
        CHECK_EQ(w[1], 1);                   /* never the first call again */
        second |= 1u << badge;
        CHECK_OK(answer(2000 + badge));
    }
    CHECK_EQ(second, 0xC);
    CHECK_EQ(kt_recv(sep, 50, &badge, w), AE_ETIMEOUT);
    for (unsigned i = 0; i < 2; i++) {
        CHECK(kt_wait_peek(ct[i], &cq_done, 2, 10000));
        CHECK_EQ(kt_peek(ct[i], &cq_result[0]), (uint64_t)(int64_t)AE_ECANCELED);
        CHECK_EQ(kt_peek(ct[i], &cq_reply[1]), 2002 + i);
    }
    CHECK(all_end(child.task, ct, fep));
}

KTEST(clonemt_remade_call_needs_own_cap, "a call taken back is made again through the capability the clone itself holds in that slot: a clone given none gets ECAP and never reaches the original's service, nor is anything made twice there")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t fep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t sep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_child child;
    CHECK_OK(kt_spawn_svc(q, "callq", sep, kt_mint(fep, AERIE_R_WRITE, 1), &child));
    (void)kt_wait_blocked(child.thread);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    /* A clone with only its own capabilities: the "svc" slot stays empty. */
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128), ct = ae_slot_alloc();
    CHECK_OK(ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, ct, ae_slot_alloc(),
                        AERIE_CLONE_OWN_CAPS | AERIE_CLONE_ALL_THREADS, kt_mint(fep, AERIE_R_WRITE, 2)));
    CHECK_OK(ae_invoke0(ct, AERIE_TASK_RESUME));
    CHECK(kt_wait_peek(ct, &cq_done, 2, 10000));
    CHECK_EQ(kt_peek(ct, &cq_result[0]), (uint64_t)(int64_t)AE_ECAP);
    CHECK_EQ(kt_peek(ct, &cq_result[1]), (uint64_t)(int64_t)AE_ECAP);
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(sep, 0, &badge, w), AE_ETIMEOUT);          /* nothing of the clone's */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    for (unsigned n = 0; n < 2; n++) {
        int64_t r = kt_recv(sep, 10000, &badge, w);
        CHECK(r >= 0);
        CHECK_EQ(badge, 1);
        CHECK_EQ(w[1], n);                   /* the original's two calls, once each */
        CHECK_OK(answer(1001 + n));
    }
    CHECK(kt_wait_peek(child.task, &cq_done, 2, 10000));
    CHECK_EQ(kt_recv(sep, 50, &badge, w), AE_ETIMEOUT);
    CHECK_OK(kt_poke(ct, &cq_go, 1));
    CHECK_OK(kt_poke(child.task, &cq_go, 1));
    CHECK_EQ(kt_expect_exits(fep, 2), 0x6);
}
