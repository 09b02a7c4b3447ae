/*
 * kt.h — the kernel test suite's harness (after sel4test): each test is a
 * function registered with KTEST(name, "what it shows"), run in a fresh
 * task with a fresh quota (env->quota, which is also its own quota); it
 * fails on the first CHECK that does not hold, with the expression and
 * both values, if it crashes, and if it leaks: after its quota is
 * destroyed the free page count and the live object count must be
 * exactly what they were before it started.
 */
#ifndef KT_H
#define KT_H

#include <stdint.h>
#include <stdbool.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/syscall.h>
#include <aerie/boot.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/kdebug.h>
#include <libaerie/spawn.h>

struct kt_env {
    uint64_t quota;          /* a fresh child quota for this test (slot) */
    bool failed;
    char why[200];
};

struct kt_test {
    const char *name;
    const char *desc;
    void (*fn)(struct kt_env *env);
    unsigned min_cpus;
    bool explicit_only;      /* runs only when kt= names it (long runs: the fuzzer) */
};

#define KTEST_REG(tname, cpus, expl, d) \
    static void kt_##tname(struct kt_env *env); \
    static const struct kt_test kt_reg_##tname __attribute__((used, section("kt_tests"), aligned(8))) = \
        { #tname, d, kt_##tname, cpus, expl }; \
    static void kt_##tname(struct kt_env *env)
#define KTEST_CPUS(tname, cpus, d) KTEST_REG(tname, cpus, false, d)
#define KTEST(tname, d) KTEST_CPUS(tname, 1, d)
#define KTEST_EXPLICIT(tname, cpus, d) KTEST_REG(tname, cpus, true, d)

void kt_fail(struct kt_env *env, const char *file, int line, const char *expr, int64_t a, int64_t b);

#define CHECK(cond) do { if (!(cond)) { kt_fail(env, __FILE__, __LINE__, #cond, 0, 0); return; } } while (0)
#define CHECK_EQ(x, y) do { int64_t _x = (int64_t)(x), _y = (int64_t)(y); \
    if (_x != _y) { kt_fail(env, __FILE__, __LINE__, #x " == " #y, _x, _y); return; } } while (0)
#define CHECK_OK(x) CHECK_EQ((x), 0)

/* Helpers shared by the tests. */
uint64_t kt_new(struct kt_env *env, uint64_t type, uint64_t a0, uint64_t a1, uint64_t a2);
int64_t kt_create(uint64_t quota, uint64_t type, uint64_t *slot, uint64_t a0, uint64_t a1, uint64_t a2);
uint64_t kt_free_pages(void);
uint64_t kt_objects(void);
unsigned kt_ncpus(void);
/* A thread in this task running fn(arg) on cpu (-1: any), charged to the
 * test's quota; the quota's destruction ends it. th->fault_ep, if set
 * before the call, becomes its fault handler. */
int kt_thread(struct kt_env *env, struct ae_thread *th, void (*fn)(void *), void *arg, int cpu);
/* Waits until *flag == value, sleeping 1 ms at a time; false after ms. */
bool kt_wait(volatile int *flag, int value, unsigned ms);
/* A copy of cap with a badge (and rights mask), in a new slot. */
uint64_t kt_mint(uint64_t cap, uint64_t rights, uint64_t badge);
/* Spawns this program into a new task with quota as its quota, playing
 * role (argv[1]) with the grants given and fault_ep as its handler. */
int kt_spawn_role(uint64_t quota, const char *role, const struct ae_grant *grants, unsigned n,
                  uint64_t fault_ep, int cpu, struct ae_child *child, const char *arg);
/* Receives one message on ep (blocking up to ms); returns its info or an
 * error, *badge and the first words in w[0..3]. */
int64_t kt_recv(uint64_t ep, unsigned ms, uint64_t *badge, uint64_t w[4]);
uint64_t kt_now_ns(void);
/* When set, kt_spawn_role copies every segment instead of sharing. */
extern bool kt_spawn_copies;
/* argv[3] of spawned copies (the runner passes fuzz=N[,fuzz_seed] on). */
extern const char *kt_spawn_extra;
/* This program's own ELF file, mapped. */
const void *kt_self_image(uint64_t *len);

/* Another task's word at p, through Task READ (~0 if unread, ~1 if the
 * read failed), and a word written there through Task WRITE: how the
 * tests watch and steer the children they stop, clone and resume. */
static inline uint64_t kt_peek(uint64_t task, const volatile void *p)
{
    uint64_t v = ~0ull;
    if (ae_invoke(task, AERIE_TASK_READ, 2, (uint64_t[]){ (uint64_t)p, 8 }, &v, 1))
        return ~1ull;
    return v;
}

static inline int64_t kt_poke(uint64_t task, const volatile void *p, uint64_t v)
{
    return ae_invoke(task, AERIE_TASK_WRITE, 3, (uint64_t[]){ (uint64_t)p, 8, v }, 0, 0);
}

/* A thread's state word (Thread INFO word 0), ~0 if it cannot be read. */
static inline uint64_t kt_thread_state(uint64_t th)
{
    uint64_t info[1] = { ~0ull };
    ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 1);
    return info[0];
}

/* fixtures.c. What cm gives a container of its own: its task, thread
 * and quota (the last without AERIE_R_CLONE). */
extern const struct ae_grant kt_self_grants[3];
/* Spawns role with kt_self_grants and "svc" = sep badged 1, fault
 * handler fe, charged to q. */
int kt_spawn_svc(uint64_t q, const char *role, uint64_t sep, uint64_t fe, struct ae_child *child);
/* Waits up to ms (1 ms at a time) until task's word at p is v; whether it is. */
bool kt_wait_peek(uint64_t task, const volatile void *p, uint64_t v, unsigned ms);
/* Waits up to 5 s until thread th is blocked (in a call or receive); whether it is. */
bool kt_wait_blocked(uint64_t th);
/* Receives n exits on ep (10 s each): the OR of 1 << badge over them, or
 * 0 if one is not there, is another message, or says a status other than 0. */
uint64_t kt_expect_exits(uint64_t ep, unsigned n);
/* A thread of task (charged to q) at rip on cpu, faulting to ep (none if
 * 0), marked RUN_BORROWED if asked, resumed. */
int kt_start_at(uint64_t q, uint64_t task, uint64_t rip, unsigned cpu, uint64_t ep, bool marked, uint64_t *th);

/* Entry of a spawned copy of this program (child.c). */
int kt_child_main(int argc, char **argv);
/* The roles of t_clonemt.c (child_mt.c). */
int kt_child_mt(void);
int kt_child_mtattack(void);
int kt_child_mtspawn(void);
/* The role of t_faultstop.c (child_fault.c), and the foreign system call
 * it makes (no Aerie system call has this number: its handler gets it). */
int kt_child_mtfault(void);
extern volatile uint64_t mtf_stage;
#define KT_FOREIGN_NR 0x7777
/* The role of t_forkcall.c (child_call.c): CQ_CALLS calls to its "svc"
 * grant, each one's result and first reply word kept. */
#define CQ_CALLS 2
int kt_child_callq(void);
extern volatile uint64_t cq_slot, cq_utcb, cq_done, cq_go, cq_reply[CQ_CALLS];
extern volatile int64_t cq_result[CQ_CALLS];
/* The storm role of t_remake.c (child_call.c): CM_THREADS threads calling
 * "svc" for ever, each checking its own replies. */
#define CM_THREADS 4
int kt_child_callmt(void);
int kt_child_resumer(void);
extern volatile uint64_t cm_calls[CM_THREADS];
extern volatile int64_t cm_bad;
extern volatile uint64_t cm_tolerant, cm_cancelled;
extern volatile uint64_t mt_ready, mt_go, mt_who, mt_done, mt_spins, mtspawn_count;
/* The role of t_stopwait.c (child_mt.c): receives for ever, counting. */
int kt_child_stopwait(void);
extern volatile uint64_t sw_woke;
extern volatile int64_t sw_last;
/* The fuzzer's hostile side (fuzz.c): never returns while it has work. */
int kt_fuzz_main(uint64_t seed);
/* Where a fuzzer instance counts its calls, mapped from the "progress"
 * grant; and the scratch range where it maps and unmaps. */
#define FUZZ_PROGRESS_VA 0x30000000ull
#define FUZZ_SCRATCH_VA  0x58000000ull
#define FUZZ_SCRATCH_BYTES (64ull << 20)

#endif
