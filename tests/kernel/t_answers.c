/*
 * t_answers.c — THREAD_SET_ANSWERS: foreign system calls the handler
 * answered ahead are answered by the kernel with no fault; everything
 * else still reaches the handler; only a capability with MANAGE sets
 * them, and a bad word changes nothing.
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/syscall.h>

#define ANS(nr, v) (((uint64_t)(nr) << 32) | (uint32_t)(v))

static volatile int done, go;
static volatile uint64_t got[4];

/* Once told to go, calls 110, 39, 110 again and 1 (never answered ahead). */
static void caller(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ae_sleep_ns(200000);
    got[0] = (uint64_t)ae_syscall(110, 0, 0, 0, 0, 0, 0);
    got[1] = (uint64_t)ae_syscall(39, 0, 0, 0, 0, 0, 0);
    got[2] = (uint64_t)ae_syscall(110, 5, 6, 7, 0, 0, 0);
    got[3] = (uint64_t)ae_syscall(1, 0, 0, 0, 0, 0, 0);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    for (;;)
        ae_syscall(501, 0, 0, 0, 0, 0, 0);             /* parked in the handler */
}

/* Receives the next fault on ep and answers it with rax; returns its
 * system call number (or ~0 if none came). */
static uint64_t serve_one(uint64_t ep, uint64_t rax)
{
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_SYSCALL)
        return ~0ull;
    ae_utcb()->mr[0] = AERIE_RESUME_SET_RAX;
    ae_utcb()->mr[3] = rax;
    ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0));
    return w[0];
}

KTEST(thread_answers_without_fault, "standing answers come from the kernel; other calls still fault")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread t = { .fault_ep = ep };
    done = go = 0;
    CHECK_OK(kt_thread(env, &t, caller, 0, -1));
    CHECK_OK(ae_invokev(t.thread_slot, AERIE_THREAD_SET_ANSWERS, ANS(110, 7), ANS(39, 0xFFFFFFFF)));
    go = 1;
    CHECK_EQ(serve_one(ep, 99), 1);                     /* only write reached us */
    CHECK(kt_wait(&done, 1, 2000));
    CHECK_EQ(got[0], 7);
    CHECK_EQ(got[1], 0xFFFFFFFFull);                    /* zero-extended, as documented */
    CHECK_EQ(got[2], 7);
    CHECK_EQ(got[3], 99);
    CHECK_EQ(serve_one(ep, 0), 501);
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(thread_answers_cleared, "SET_ANSWERS with no words sends every call to the handler again")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread t = { .fault_ep = ep };
    done = go = 0;
    CHECK_OK(kt_thread(env, &t, caller, 0, -1));
    CHECK_OK(ae_invokev(t.thread_slot, AERIE_THREAD_SET_ANSWERS, ANS(110, 7), ANS(39, 8)));
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_SET_ANSWERS));
    go = 1;
    CHECK_EQ(serve_one(ep, 11), 110);
    CHECK_EQ(serve_one(ep, 12), 39);
    CHECK_EQ(serve_one(ep, 13), 110);
    CHECK_EQ(serve_one(ep, 14), 1);
    CHECK(kt_wait(&done, 1, 2000));
    CHECK_EQ(got[0], 11);
    CHECK_EQ(got[1], 12);
    CHECK_EQ(got[2], 13);
    CHECK_EQ(got[3], 14);
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(thread_answers_refused, "no MANAGE, another object, an Aerie number or too many words: refused, nothing changed")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread t = { .fault_ep = ep };
    done = go = 0;
    CHECK_OK(kt_thread(env, &t, caller, 0, -1));
    uint64_t th = t.thread_slot;
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_ANSWERS, ANS(110, 7)));
    uint64_t ro = kt_mint(th, AERIE_R_READ, 0);
    CHECK(ro != 0);
    CHECK_EQ(ae_invokev(ro, AERIE_THREAD_SET_ANSWERS, ANS(110, 1)), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(ro, AERIE_THREAD_SET_ANSWERS), AE_ERIGHTS);
    /* another object (the task: label 12 is its CAP_GET, short of words), a slot holding nothing */
    CHECK(ae_invokev(ae_self.task, AERIE_THREAD_SET_ANSWERS, ANS(110, 1)) < 0);
    CHECK_EQ(ae_invokev(ae_slot_alloc(), AERIE_THREAD_SET_ANSWERS, ANS(110, 1)), AE_ECAP);
    /* the kernel's own calls are never answered for it, nor huge numbers */
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_ANSWERS, ANS(39, 1), ANS(AERIE_SYS_YIELD, 0)), AE_EINVAL);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_ANSWERS, ANS(39, 1), ~0ull), AE_EINVAL);
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_SET_ANSWERS, 1, 2, 3, 4, 5, 6, 7, 8, 9), AE_EINVAL);
    /* still the one answer set first: 110 is 7, 39 and 1 go to the handler */
    go = 1;
    CHECK_EQ(serve_one(ep, 21), 39);
    CHECK_EQ(serve_one(ep, 22), 1);
    CHECK(kt_wait(&done, 1, 2000));
    CHECK_EQ(got[0], 7);
    CHECK_EQ(got[1], 21);
    CHECK_EQ(got[2], 7);
    CHECK_EQ(got[3], 22);
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(thread_answers_per_thread, "one thread's answers are not another's, even in the same task")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t a;
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &a, ae_self.task, 0, 0));
    CHECK_OK(ae_invokev(a, AERIE_THREAD_SET_ANSWERS, ANS(110, 7), ANS(39, 8), ANS(1, 9)));
    struct ae_thread t = { .fault_ep = ep };
    done = go = 0;
    CHECK_OK(kt_thread(env, &t, caller, 0, -1));
    go = 1;
    CHECK_EQ(serve_one(ep, 31), 110);
    CHECK_EQ(serve_one(ep, 32), 39);
    CHECK_EQ(serve_one(ep, 33), 110);
    CHECK_EQ(serve_one(ep, 34), 1);
    CHECK(kt_wait(&done, 1, 2000));
    CHECK_EQ(got[0], 31);
    CHECK_OK(ae_invoke0(t.thread_slot, AERIE_THREAD_DESTROY));
    CHECK_OK(ae_invoke0(a, AERIE_THREAD_DESTROY));
}
