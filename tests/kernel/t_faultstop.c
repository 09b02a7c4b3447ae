/*
 * t_faultstop.c — a thread stopped by Task SUSPEND while it is inside a
 * fault call (review finding N1): its foreign system call, exception or
 * exit notice is made again when it is resumed, never taken for an
 * unhandled fault, and TASK_CLONE copies it in the same state. The test
 * is the handler of the child (child_fault.c) and of its clones, and
 * stops the child at each point a call can be in:
 *   A  the handler holds the call: the SUSPEND ends the wait for the
 *      reply, whose late reply finds no caller and resumes nothing;
 *   B  the handler has answered, and the child is stopped before it ran
 *      again: the answer stands, in the child and in its clone;
 *   C  the call is still queued on the endpoint: the SUSPEND takes it off;
 *   D  its exit notice: made again, and a clone ends the same way.
 */
#include "kt.h"
#include <aerie/fault.h>

static const struct ae_grant self_grants[] = {
    { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 },
};

/* Receives one message (20 s at most); its label, or the error. */
static int64_t take(uint64_t ep, uint64_t *badge, uint64_t w[4])
{
    int64_t r = kt_recv(ep, 20000, badge, w);
    return r < 0 ? r : (int64_t)AERIE_INFO_LABEL((uint64_t)r);
}

/* The handler's answer to the message just received: a foreign system
 * call returns 3 × its first argument + 1; the ud2 is stepped over with
 * RAX = 99. */
static int64_t answer(int64_t label, const uint64_t w[4])
{
    struct aerie_utcb *u = ae_utcb();
    if (label == AERIE_FAULT_SYSCALL) {
        u->mr[0] = AERIE_RESUME_SET_RAX;
        u->mr[3] = w[1] * 3 + 1;
    } else {
        u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RAX;
        u->mr[1] = w[2] + 2;
        u->mr[3] = 99;
    }
    return ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
}

/* A clone of the suspended task `task` (charged to q) into a new quota,
 * its threads' handler ep with badge; *ct gets its task. */
static int64_t clone_of(struct kt_env *env, uint64_t task, uint64_t q, uint64_t ep, uint64_t badge, uint64_t *ct)
{
    uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    *ct = ae_slot_alloc();
    return ae_invokev(task, AERIE_TASK_CLONE, cq, q, *ct, ae_slot_alloc(), AERIE_CLONE_ALL_THREADS,
                      kt_mint(ep, AERIE_R_WRITE, badge));
}

KTEST(clonemt_fault_call_survives_suspend, "a thread in a fault call (foreign system call, exception, exit notice) stopped by Task SUSPEND: the call is made again on RESUME, a late reply finds no caller, an answer already given stands, and each TASK_CLONE made meanwhile carries on the same way")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 8, 128);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);     /* the child's handler */
    uint64_t cep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);    /* its clones' (badge 2, 3, 4) */
    struct ae_child child;
    CHECK_OK(kt_spawn_role(q, "mtfault", self_grants, 3, kt_mint(ep, AERIE_R_WRITE, 1), -1, &child, 0));
    uint64_t badge, w[4], ct[3];
    int64_t l;

    /* A: the handler holds the call. */
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_SYSCALL);
    CHECK_EQ(w[0], KT_FOREIGN_NR);
    CHECK_EQ(w[1], 7);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);
    CHECK_EQ(answer(AERIE_FAULT_SYSCALL, w), AE_EINVAL);        /* the caller is gone... */
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_SUSPENDED);  /* ...and nothing runs */
    CHECK_OK(clone_of(env, child.task, q, cep, 2, &ct[0]));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(ct[0], AERIE_TASK_RESUME));
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_SYSCALL);         /* made again */
    CHECK_EQ(w[1], 7);
    CHECK_OK(answer(AERIE_FAULT_SYSCALL, w));

    /* B: answered, then stopped before it ran (it shares our CPU and
     * does not preempt us; if it did run, the answer stands all the same). */
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_SYSCALL);
    CHECK_EQ(w[1], 8);
    CHECK_OK(answer(AERIE_FAULT_SYSCALL, w));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(clone_of(env, child.task, q, cep, 3, &ct[1]));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(ct[1], AERIE_TASK_RESUME));

    /* C: its call queued, nobody receiving. */
    for (int i = 0; i < 5000 && (kt_peek(child.task, &mtf_stage) != 2 || kt_thread_state(child.thread) != AERIE_TS_BLOCKED); i++)
        ae_sleep_ns(1000000);
    CHECK_EQ(kt_thread_state(child.thread), AERIE_TS_BLOCKED);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);           /* taken off the queue */
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_EXCEPTION);
    CHECK_EQ(w[0], 6);
    CHECK_OK(answer(AERIE_FAULT_EXCEPTION, w));

    /* D: its exit notice. */
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_EXIT);
    CHECK_EQ(w[0], 0);
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_SUSPEND));
    CHECK_OK(clone_of(env, child.task, q, cep, 4, &ct[2]));
    CHECK_OK(ae_invoke0(child.task, AERIE_TASK_RESUME));
    CHECK_OK(ae_invoke0(ct[2], AERIE_TASK_RESUME));
    CHECK_EQ(take(ep, &badge, w), AERIE_FAULT_EXIT);            /* made again */
    CHECK_EQ(w[0], 0);
    CHECK_EQ(badge, 1);

    /* The clones: each answered until it ends, with status 0. Clone 3
     * had its second call answered in the original: it never makes it. */
    unsigned ended = 0, second_call_of_3 = 0;
    while (ended != 0x1C) {
        l = take(cep, &badge, w);
        CHECK(l > 0);
        CHECK(badge >= 2 && badge <= 4);
        if (l == AERIE_FAULT_EXIT) {
            if (w[0])
                ae_kprintf("faultstop: clone %lu ended with %lu\n", (unsigned long)badge, (unsigned long)w[0]);
            CHECK_EQ(w[0], 0);
            CHECK(!(ended & (1u << badge)));
            ended |= 1u << badge;
            continue;
        }
        CHECK(badge != 4);                   /* clone 4 was copied in its exit notice */
        if (l == AERIE_FAULT_SYSCALL && badge == 3 && w[1] == 8)
            second_call_of_3++;
        CHECK_OK(answer(l, w));
    }
    CHECK_EQ(second_call_of_3, 0);
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);           /* the child said nothing more */
}
