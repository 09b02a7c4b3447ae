/*
 * child_call.c — the child role of t_forkcall.c: a thread that makes
 * CALLs to a service (the "svc" grant) while the test stops and clones
 * it. It makes CQ_CALLS calls, each with words (0xCA11, n), and keeps
 * each call's result and first reply word where the test reads them;
 * then it waits for cq_go and exits with 0. The test checks the values:
 * a call taken back from the queue must be made again and answered, a
 * call the service had must be answered to the original only.
 */
#include "kt.h"

volatile uint64_t cq_slot, cq_utcb, cq_done, cq_go;
volatile int64_t cq_result[CQ_CALLS];
volatile uint64_t cq_reply[CQ_CALLS];

int kt_child_callq(void)
{
    uint64_t svc = ae_capenv_lookup("svc");
    struct aerie_utcb *u = ae_utcb();
    cq_slot = svc;
    cq_utcb = (uint64_t)u;
    for (unsigned n = 0; n < CQ_CALLS; n++) {
        u->mr[0] = 0xCA11;
        u->mr[1] = n;
        int64_t r = ae_call(svc, AERIE_INFO(5, 2, 0), AERIE_TIMEOUT_FOREVER);
        cq_result[n] = r;
        cq_reply[n] = r >= 0 ? u->mr[0] : 0;
        __atomic_store_n(&cq_done, n + 1, __ATOMIC_SEQ_CST);
    }
    while (!cq_go)
        ae_yield();
    return 0;
}

/* The role of t_remake.c's storm: CM_THREADS threads (main and three
 * more), each calling "svc" for ever with words (0xCA11, k, seq) and
 * checking each reply is (k << 32 | seq) ^ 0x5A5A — its own call's
 * answer, never ECANCELED (unless cm_tolerant: a Thread SUSPEND of a
 * thread waiting for its reply ends that wait) nor another's — until
 * cq_go. cm_bad keeps
 * the first thing that was wrong (0: nothing); exit status 0 or 1. */
volatile uint64_t cm_calls[CM_THREADS];
volatile int64_t cm_bad;
volatile uint64_t cm_tolerant, cm_cancelled;   /* a Thread SUSPEND may end a held wait */

static void callmt_loop(unsigned k)
{
    uint64_t svc = ae_capenv_lookup("svc");
    struct aerie_utcb *u = ae_utcb();
    cq_slot = svc;
    for (uint64_t seq = 0; !cq_go; seq++) {
        u->mr[0] = 0xCA11;
        u->mr[1] = k;
        u->mr[2] = seq;
        int64_t r = ae_call(svc, AERIE_INFO(5, 3, 0), AERIE_TIMEOUT_FOREVER);
        if (r == AE_ECANCELED && cm_tolerant) {
            cm_cancelled++;                   /* the server had it: the next call is seq + 1 */
            continue;
        }
        if (r < 0 || u->mr[0] != ((((uint64_t)k << 32) | seq) ^ 0x5A5A)) {
            if (!cm_bad)
                cm_bad = r < 0 ? r : (int64_t)(0x1000000 + seq);
            break;
        }
        cm_calls[k] = seq + 1;
    }
}

static void callmt_thread(void *arg)
{
    callmt_loop((unsigned)(uintptr_t)arg);
    __atomic_add_fetch(&cq_done, 1, __ATOMIC_SEQ_CST);
    ae_syscall(AERIE_SYS_EXIT, 0, AERIE_EXIT_QUIET, 0, 0, 0, 0);
    for (;;)
        ;
}

int kt_child_callmt(void)
{
    static struct ae_thread th[CM_THREADS];
    for (unsigned k = 1; k < CM_THREADS; k++)
        if (ae_thread_start(&th[k], callmt_thread, (void *)(uintptr_t)k, -1, 16384) < 0)
            return 99;
    callmt_loop(0);
    __atomic_add_fetch(&cq_done, 1, __ATOMIC_SEQ_CST);
    while (cq_done < CM_THREADS)
        ae_yield();
    return cm_bad ? 1 : 0;
}

/* The role of t_remake.c's remake_resume_is_the_stoppers: a second task
 * of the "container" holding its first task's capability ("victim")
 * tries Task RESUME on it while the test holds it stopped; exits with
 * the error negated (100 if the RESUME was taken). */
int kt_child_resumer(void)
{
    int64_t r = ae_invoke0(ae_capenv_lookup("victim"), AERIE_TASK_RESUME);
    return r < 0 ? (int)-r : 100;
}
