/*
 * t_fpu.c — FPU state across switches (kernel/sched.c, docs/ABI.md "FPU
 * state across a call"): a thread back from an Aerie call that blocked
 * finds its data registers zeroed or its own, never those of the thread
 * that ran meanwhile, and its MXCSR and x87 control word kept; a foreign
 * system call (answered by the handler) keeps every register.
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/syscall.h>
#include <string.h>

#define ROUNDS 200
#define PAT_X 0x5EC2E75EC2E7A11Cull    /* the other thread's: must never show */
#define PAT_Y 0x0123456789ABCDEFull

static volatile int stop_x, done;
static volatile int leaks, own_lost, ctl_lost, rounds_done;
static uint8_t x_fx[512] __attribute__((aligned(16)));   /* the other thread's x87 registers, as saved */
static volatile int x_saved;

#define FPU_CLOBBERS                                                                               \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",      \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",    \
        "st(5)", "st(6)", "st(7)"

/* Fills xmm0-15 with pat in both halves, the x87 stack with pat as an
 * integer eight times, then makes the Aerie call nr (YIELD or a RECV that
 * times out) and stores what the registers hold after it in out. */
static void fill_call_read(uint64_t pat, uint64_t nr, uint64_t a, uint64_t b, uint64_t xmm[32], uint8_t *fx)
{
    uint64_t p = pat;
    register uint64_t rdx __asm__("rdx") = 0;
    register uint64_t r10 __asm__("r10") = 0;
    register uint64_t r8 __asm__("r8") = 0;
    __asm__ volatile(
        "movq %[p], %%xmm0\n\tpunpcklqdq %%xmm0, %%xmm0\n\t"
        "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
        "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
        "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
        "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
        "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15\n\t"
        "emms\n\t"                          /* x87 stack empty; FCW untouched */
        "fildq %[pm]\n\tfildq %[pm]\n\tfildq %[pm]\n\tfildq %[pm]\n\t"
        "fildq %[pm]\n\tfildq %[pm]\n\tfildq %[pm]\n\tfildq %[pm]\n\t"
        "syscall\n\t"
        "movdqu %%xmm0, 0(%[o])\n\tmovdqu %%xmm1, 16(%[o])\n\tmovdqu %%xmm2, 32(%[o])\n\t"
        "movdqu %%xmm3, 48(%[o])\n\tmovdqu %%xmm4, 64(%[o])\n\tmovdqu %%xmm5, 80(%[o])\n\t"
        "movdqu %%xmm6, 96(%[o])\n\tmovdqu %%xmm7, 112(%[o])\n\tmovdqu %%xmm8, 128(%[o])\n\t"
        "movdqu %%xmm9, 144(%[o])\n\tmovdqu %%xmm10, 160(%[o])\n\tmovdqu %%xmm11, 176(%[o])\n\t"
        "movdqu %%xmm12, 192(%[o])\n\tmovdqu %%xmm13, 208(%[o])\n\tmovdqu %%xmm14, 224(%[o])\n\t"
        "movdqu %%xmm15, 240(%[o])\n\t"
        "fxsave64 (%[fx])\n\temms"
        : "+a"(nr), "+D"(a), "+S"(b), "+r"(rdx), "+r"(r10), "+r"(r8)
        : [p] "r"(p), [pm] "m"(p), [o] "r"(xmm), [fx] "r"(fx)
        : "rcx", "r11", "r9", "memory", FPU_CLOBBERS);
}

/* The other thread: its registers full of PAT_X at every yield. */
static void x_loop(void *arg)
{
    (void)arg;
    uint64_t xmm[32];
    static uint8_t fx[512] __attribute__((aligned(16)));
    while (!__atomic_load_n(&stop_x, __ATOMIC_ACQUIRE)) {
        fill_call_read(PAT_X, AERIE_SYS_YIELD, 0, 0, xmm, fx);
        if (!x_saved) {
            /* what its x87 stack looks like saved: a slot equal to one of
             * these in the other thread's state would be a leak */
            uint64_t p = PAT_X;
            __asm__ volatile("fninit\n\tfildq %1\n\tfxsave64 (%0)\n\tfninit" :: "r"(x_fx), "m"(p) : "memory", "st");
            x_saved = 1;
        }
    }
    __atomic_store_n(&done, done + 1, __ATOMIC_RELEASE);
    for (;;)
        ae_sleep_ns(1000000000ull);
}

static bool leaked(const uint64_t xmm[32], const uint8_t *fx)
{
    for (int i = 0; i < 32; i++)
        if (xmm[i] == PAT_X)
            return true;
    if (x_saved)
        for (int i = 0; i < 8; i++)
            if (!memcmp(fx + 32 + 16 * i, x_fx + 32, 10))
                return true;
    return false;
}

/* Y: MXCSR and FCW set to its own rounding, its registers full of PAT_Y,
 * then an Aerie call that blocks or yields while x_loop runs. */
static void y_loop(void *arg)
{
    uint64_t nr = (uint64_t)arg;
    uint64_t xmm[32];
    static uint8_t fx[2][512] __attribute__((aligned(16)));
    uint8_t *f = fx[nr == AERIE_SYS_YIELD];
    uint32_t mx = 0x1F80 | 0x4000, mx_after;    /* round up */
    uint16_t cw = 0x037F | 0x0C00, cw_after;    /* truncate */
    for (int r = 0; r < ROUNDS; r++) {
        __asm__ volatile("ldmxcsr %0\n\tfldcw %1" :: "m"(mx), "m"(cw));
        if (nr == AERIE_SYS_YIELD)
            fill_call_read(PAT_Y, nr, 0, 0, xmm, f);
        else
            fill_call_read(PAT_Y, AERIE_SYS_RECV, 0, 200000, xmm, f);   /* sleeps 0.2 ms */
        cw_after = *(uint16_t *)f;
        mx_after = *(uint32_t *)(f + 24);
        if (leaked(xmm, f))
            leaks++;
        for (int i = 0; i < 32; i++)
            if (xmm[i] != PAT_Y && xmm[i] != 0)
                own_lost++;
        if ((mx_after & 0xFFC0) != (mx & 0xFFC0) || cw_after != cw)
            ctl_lost++;
        rounds_done++;
    }
    __atomic_store_n(&done, done + 1, __ATOMIC_RELEASE);
    for (;;)
        ae_sleep_ns(1000000000ull);
}

static void run_pair(struct kt_env *env, uint64_t nr, int *fail)
{
    struct ae_thread x = { 0 }, y = { 0 };
    stop_x = done = leaks = own_lost = ctl_lost = rounds_done = x_saved = 0;
    *fail = 1;
    if (kt_thread(env, &x, x_loop, 0, 0) || kt_thread(env, &y, y_loop, (void *)nr, 0))
        return;
    bool ok = kt_wait(&done, 1, 60000);
    stop_x = 1;
    ok = ok && kt_wait(&done, 2, 10000);
    ae_invoke0(x.thread_slot, AERIE_THREAD_DESTROY);
    ae_invoke0(y.thread_slot, AERIE_THREAD_DESTROY);
    if (leaks || own_lost || ctl_lost || !ok)
        ae_kprintf("  rounds %d: leaks %d, own values lost %d, control words lost %d\n", rounds_done, leaks,
                   own_lost, ctl_lost);
    *fail = !ok || leaks || own_lost || ctl_lost || rounds_done != ROUNDS;
}

KTEST(fpu_yield_no_leak, "after a YIELD another thread ran in, a thread's FPU registers are its own or zero")
{
    int fail;
    run_pair(env, AERIE_SYS_YIELD, &fail);
    CHECK(!fail);
}

KTEST(fpu_block_no_leak, "after a RECV that blocked, a thread's FPU registers are its own or zero")
{
    int fail;
    run_pair(env, AERIE_SYS_RECV, &fail);
    CHECK(!fail);
}

static volatile uint64_t foreign_xmm[32];
static volatile int foreign_bad;

/* A foreign system call (Linux's ABI keeps every register) made while
 * x_loop runs on the same CPU: all 16 registers come back as they were. */
static void foreign_loop(void *arg)
{
    (void)arg;
    uint64_t xmm[32];
    static uint8_t fx[512] __attribute__((aligned(16)));
    for (int r = 0; r < 50; r++) {
        fill_call_read(PAT_Y, 500, 0, 0, xmm, fx);
        for (int i = 0; i < 32; i++)
            if (xmm[i] != PAT_Y)
                foreign_bad++;
    }
    __atomic_store_n(&done, done + 1, __ATOMIC_RELEASE);
    for (;;)
        ae_syscall(501, 0, 0, 0, 0, 0, 0);
}

KTEST(fpu_foreign_call_keeps_all, "a foreign system call keeps every FPU register, another thread running meanwhile")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread x = { 0 }, f = { .fault_ep = ep };
    stop_x = done = foreign_bad = x_saved = 0;
    CHECK_OK(kt_thread(env, &x, x_loop, 0, 0));
    CHECK_OK(kt_thread(env, &f, foreign_loop, 0, 0));
    for (int r = 0; r < 50; r++) {
        uint64_t badge, w[4];
        int64_t got = kt_recv(ep, 10000, &badge, w);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)got), AERIE_FAULT_SYSCALL);
        CHECK_EQ(w[0], 500);
        ae_utcb()->mr[0] = 0;
        CHECK_OK(ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0)));
    }
    CHECK(kt_wait(&done, 1, 10000));
    stop_x = 1;
    CHECK(kt_wait(&done, 2, 10000));
    CHECK_EQ(foreign_bad, 0);
    ae_invoke0(x.thread_slot, AERIE_THREAD_DESTROY);
    ae_invoke0(f.thread_slot, AERIE_THREAD_DESTROY);
}

/* attack15: a thread moved to another CPU while it is blocked in an Aerie
 * call (SET_AFFINITY from outside) comes back on a CPU whose registers hold
 * another thread's values (x_loop runs on each CPU): it must find its own
 * or zeros there, never PAT_X (the CPU's last user is not it). */
KTEST(fpu_migrated_while_blocked_no_leak, "a thread moved to another CPU while blocked in an Aerie call gets none of that CPU's FPU values")
{
    unsigned n = kt_ncpus();
    struct ae_thread x0 = { 0 }, x1 = { 0 }, y = { 0 };
    stop_x = done = leaks = own_lost = ctl_lost = rounds_done = x_saved = 0;
    CHECK_OK(kt_thread(env, &x0, x_loop, 0, 0));
    CHECK_OK(kt_thread(env, &x1, x_loop, 0, n > 1 ? 1 : 0));
    CHECK_OK(kt_thread(env, &y, y_loop, (void *)(uint64_t)AERIE_SYS_RECV, 0));
    for (unsigned i = 0; !__atomic_load_n(&done, __ATOMIC_ACQUIRE) && i < 100000; i++) {
        ae_invokev(y.thread_slot, AERIE_THREAD_SET_AFFINITY, (uint64_t)(i % n));
        ae_sleep_ns(150000);
    }
    CHECK(kt_wait(&done, 1, 60000));
    stop_x = 1;
    CHECK(kt_wait(&done, 3, 10000));
    ae_invoke0(x0.thread_slot, AERIE_THREAD_DESTROY);
    ae_invoke0(x1.thread_slot, AERIE_THREAD_DESTROY);
    ae_invoke0(y.thread_slot, AERIE_THREAD_DESTROY);
    if (leaks || own_lost || ctl_lost)
        ae_kprintf("  rounds %d: leaks %d, own values lost %d, control words lost %d\n", rounds_done, leaks,
                   own_lost, ctl_lost);
    CHECK_EQ(leaks, 0);
    CHECK_EQ(own_lost, 0);
    CHECK_EQ(ctl_lost, 0);
    CHECK_EQ(rounds_done, ROUNDS);
}
