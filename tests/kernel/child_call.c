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
