/*
 * fixtures.c — setup and waits the task tests share (t_remake, t_clonemt,
 * t_forkcall: children that cm-like code suspends, clones and resumes;
 * t_borrow, t_borrow_attack: threads started at a raw address), so each
 * test file says only what it checks.
 */
#include "kt.h"
#include <aerie/fault.h>

const struct ae_grant kt_self_grants[3] = {
    { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 },
};

int kt_spawn_svc(uint64_t q, const char *role, uint64_t sep, uint64_t fe, struct ae_child *child)
{
    struct ae_grant g[4] = { kt_self_grants[0], kt_self_grants[1], kt_self_grants[2],
                             { "svc", sep, AERIE_R_WRITE, 1 } };
    return kt_spawn_role(q, role, g, 4, fe, -1, child, 0);
}

bool kt_wait_peek(uint64_t task, const volatile void *p, uint64_t v, unsigned ms)
{
    for (unsigned i = 0; i < ms && kt_peek(task, p) != v; i++)
        ae_sleep_ns(1000000);
    return kt_peek(task, p) == v;
}

bool kt_wait_blocked(uint64_t th)
{
    for (int i = 0; i < 5000 && kt_thread_state(th) != AERIE_TS_BLOCKED; i++)
        ae_sleep_ns(1000000);
    return kt_thread_state(th) == AERIE_TS_BLOCKED;
}

uint64_t kt_expect_exits(uint64_t ep, unsigned n)
{
    uint64_t seen = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t badge, w[4];
        int64_t r = kt_recv(ep, 10000, &badge, w);
        if (r < 0 || AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_EXIT || w[0] || badge >= 64)
            return 0;
        seen |= 1ull << badge;
    }
    return seen;
}

int kt_start_at(uint64_t q, uint64_t task, uint64_t rip, unsigned cpu, uint64_t ep, bool marked, uint64_t *th)
{
    int64_t r = kt_create(q, AERIE_OBJ_THREAD, th, task, 0, 0);
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = rip;
    if (!r)
        r = ae_thread_set_regs(*th, 1u << AERIE_REG_RIP, regs);
    if (!r && ep)
        r = ae_invokev(*th, AERIE_THREAD_SET_HANDLER, ep);
    if (!r && marked)
        r = ae_invokev(*th, AERIE_THREAD_RUN_BORROWED, 1);
    if (!r)
        r = ae_invokev(*th, AERIE_THREAD_SET_AFFINITY, cpu);
    if (!r)
        r = ae_invoke0(*th, AERIE_THREAD_RESUME);
    return (int)r;
}
