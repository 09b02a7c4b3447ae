/*
 * t_thread.c — threads: running, exiting, faults delivered to the
 * handler (page fault, exception, unknown system call, exit) and resumed,
 * suspend/resume, registers, priority, affinity, and destruction.
 */
#include "kt.h"
#include <aerie/fault.h>

static volatile int flag;
static volatile uint64_t counter;

static void set_flag(void *arg) { __atomic_store_n(&flag, (int)(uint64_t)arg, __ATOMIC_RELEASE); }

KTEST(thread_runs_and_exits, "a started thread runs, and after exit it is dead")
{
    struct ae_thread th = { 0 };
    flag = 0;
    CHECK_OK(kt_thread(env, &th, set_flag, (void *)7, -1));
    CHECK(kt_wait(&flag, 7, 2000));
    uint64_t info[4] = { 0 };
    for (int i = 0; i < 200 && info[0] != AERIE_TS_DEAD; i++) {
        ae_sleep_ns(1000000);
        CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    }
    CHECK_EQ(info[0], AERIE_TS_DEAD);
}

static void exit_42(void *arg) { ae_thread_exit(42); }

KTEST(thread_exit_reported_to_handler, "exit sends FAULT_EXIT with the status and the handler badge")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { .fault_ep = kt_mint(ep, AERIE_R_WRITE, 0x77) };
    CHECK_OK(kt_thread(env, &th, exit_42, 0, -1));
    uint64_t badge = 0, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
    CHECK_EQ(w[0], 42);
    CHECK_EQ(badge, 0x77);
}

static struct ae_thread faulter;

static void after_fault(void)
{
    set_flag((void *)1);
    ae_thread_exit(0);
}

static void touch_unmapped(void *arg) { *(volatile int *)0x7000dead0000ull = 1; set_flag((void *)99); }

KTEST(thread_page_fault_to_handler, "a page fault reaches the handler with address, error and rip; RESUME moves on")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    flag = 0;
    faulter = (struct ae_thread){ .fault_ep = ep };
    CHECK_OK(kt_thread(env, &faulter, touch_unmapped, 0, -1));
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK_EQ(w[0], 0x7000dead0000ull);
    CHECK(w[1] & AERIE_PF_WRITE);
    CHECK(w[1] & AERIE_PF_USER);
    CHECK(w[2] >= (uint64_t)touch_unmapped && w[2] < (uint64_t)touch_unmapped + 64);
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RSP;
    u->mr[1] = (uint64_t)after_fault;
    u->mr[2] = (uint64_t)faulter.mem + 16384 - 8;
    CHECK_OK(ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 3, 0)));
    CHECK(kt_wait(&flag, 1, 2000));
}

static void do_ud2(void *arg) { __asm__ volatile("ud2"); }

KTEST(thread_exception_to_handler, "an invalid opcode reaches the handler as FAULT_EXCEPTION 6")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { .fault_ep = ep };
    CHECK_OK(kt_thread(env, &th, do_ud2, 0, -1));
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXCEPTION);
    CHECK_EQ(w[0], 6);
    /* a reply other than RESUME leaves it stopped */
    CHECK_OK(ae_reply(AERIE_INFO(5, 0, 0)));
    uint64_t info[4];
    ae_sleep_ns(2000000);
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[0], AERIE_TS_SUSPENDED);
    CHECK_EQ(info[3], 1);
}

static void linux_write(void *arg)
{
    int64_t r = ae_syscall(1, 1, 0, 0, 0, 0, 0);      /* Linux write(1, 0, 0) */
    set_flag((void *)r);
}

KTEST(thread_unknown_syscall_to_handler, "a foreign system call reaches the handler, which can answer it")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { .fault_ep = ep };
    flag = 0;
    CHECK_OK(kt_thread(env, &th, linux_write, 0, -1));
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_SYSCALL);
    CHECK_EQ(w[0], 1);
    CHECK_EQ(w[1], 1);
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = AERIE_RESUME_SET_RAX;
    u->mr[3] = 123;
    CHECK_OK(ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0)));
    CHECK(kt_wait(&flag, 123, 2000));
}

static void spin_count(void *arg)
{
    for (;;)
        __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

KTEST(thread_suspend_resume, "a suspended thread stops running and a resumed one continues")
{
    struct ae_thread th = { 0 };
    counter = 0;
    CHECK_OK(kt_thread(env, &th, spin_count, 0, -1));
    for (int i = 0; i < 100 && !counter; i++)
        ae_sleep_ns(1000000);
    CHECK(counter > 0);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_SUSPEND));
    ae_sleep_ns(2000000);
    uint64_t c1 = counter;
    ae_sleep_ns(5000000);
    CHECK_EQ(counter, c1);
    uint64_t info[4];
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[0], AERIE_TS_SUSPENDED);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_RESUME));
    for (int i = 0; i < 200 && counter == c1; i++)
        ae_sleep_ns(1000000);
    CHECK(counter > c1);
    CHECK_EQ(ae_invoke0(th.thread_slot, AERIE_THREAD_RESUME), AE_EBUSY);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(thread_regs_checked, "registers: user addresses only, sane flags, only while stopped")
{
    uint64_t task = ae_self.task, t;
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &t, task, 0, 0));
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = 0xFFFFFFFF80100000ull;
    CHECK_EQ(ae_thread_set_regs(t, 1u << AERIE_REG_RIP, regs), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 1 + AERIE_REG_RIP);
    regs[AERIE_REG_FS_BASE] = 0x800000000000ull;
    CHECK_EQ(ae_thread_set_regs(t, 1u << AERIE_REG_FS_BASE, regs), AE_EINVAL);
    CHECK_EQ(ae_thread_set_regs(t, 1ull << 40, regs), AE_EINVAL);
    regs[AERIE_REG_RIP] = 0x201000;
    regs[AERIE_REG_RFLAGS] = 0x3000 | 0x200000 | 0x1;   /* IOPL 3, ID, CF */
    regs[AERIE_REG_R12] = 0x1234;
    CHECK_OK(ae_thread_set_regs(t, (1u << AERIE_REG_RIP) | (1u << AERIE_REG_RFLAGS) | (1u << AERIE_REG_R12), regs));
    uint64_t got[AERIE_REG_COUNT];
    CHECK_OK(ae_invoke(t, AERIE_THREAD_GET_REGS, 0, 0, got, AERIE_REG_COUNT));
    CHECK_EQ(got[AERIE_REG_RIP], 0x201000);
    CHECK_EQ(got[AERIE_REG_R12], 0x1234);
    CHECK_EQ(got[AERIE_REG_RFLAGS] & 0x3000, 0);         /* no I/O privilege */
    CHECK(got[AERIE_REG_RFLAGS] & 0x200);                /* interrupts stay on */
    CHECK_EQ(got[AERIE_REG_RFLAGS] & 1, 1);
    struct ae_thread th = { 0 };
    counter = 0;
    CHECK_OK(kt_thread(env, &th, spin_count, 0, -1));
    for (int i = 0; i < 100 && !counter; i++)
        ae_sleep_ns(1000000);
    CHECK_EQ(ae_invoke(th.thread_slot, AERIE_THREAD_GET_REGS, 0, 0, got, 1), AE_EBUSY);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
}

/* FS base set by the handler while the thread waits for the fault's
 * reply: the thread may be woken on its own CPU before that CPU switched
 * away (the scheduler then picks it again without a switch), and must
 * still run with the new base. Two TCBs shaped like the thread's own
 * (self pointer, UTCB) carry a marker at %fs:16; the handler alternates
 * between them, the thread checks the marker after every reply. */
#define FS_ROUNDS 3000
static uint64_t fs_tcb[2][4];
static volatile int fs_bad, fs_done;

static void fs_worker(void *arg)
{
    uint64_t u;
    __asm__ volatile("movq %%fs:8, %0" : "=r"(u));
    for (int k = 0; k < 2; k++) {
        fs_tcb[k][0] = (uint64_t)fs_tcb[k];
        fs_tcb[k][1] = u;
        fs_tcb[k][2] = (uint64_t)k + 1;
    }
    for (int i = 0; i < FS_ROUNDS; i++) {
        ae_syscall(500, (uint64_t)i, 0, 0, 0, 0, 0);   /* a foreign call: the handler answers */
        uint64_t m;
        __asm__ volatile("movq %%fs:16, %0" : "=r"(m) : : "memory");
        if (m != (uint64_t)(i & 1) + 1)
            fs_bad++;
    }
    set_flag((void *)1);
    fs_done = 1;
    for (;;)
        ae_syscall(501, 0, 0, 0, 0, 0, 0);            /* park in the handler: no exit path uses TLS */
}

KTEST_CPUS(thread_fs_base_set_while_waiting, 2, "an FS base set while the thread waits on its fault's reply is used")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { .fault_ep = ep };
    flag = 0;
    fs_bad = 0;
    fs_done = 0;
    CHECK_OK(kt_thread(env, &th, fs_worker, 0, 1));
    for (int i = 0; i < FS_ROUNDS; i++) {
        uint64_t badge, w[4];
        int64_t r = kt_recv(ep, 5000, &badge, w);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_SYSCALL);
        CHECK_EQ(w[0], 500);
        CHECK_EQ(w[1], (uint64_t)i);
        uint64_t regs[AERIE_REG_COUNT] = { 0 };
        regs[AERIE_REG_FS_BASE] = (uint64_t)fs_tcb[i & 1];
        CHECK_OK(ae_thread_set_regs(th.thread_slot, 1u << AERIE_REG_FS_BASE, regs));
        ae_utcb()->mr[0] = AERIE_RESUME_SET_RAX;
        ae_utcb()->mr[3] = 0;
        CHECK_OK(ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 4, 0)));
    }
    CHECK(kt_wait(&flag, 1, 5000));
    if (fs_bad)
        ae_kprintf("  %d of %d rounds ran with the old FS base\n", fs_bad, FS_ROUNDS);
    CHECK_EQ(fs_bad, 0);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
}

KTEST(thread_priority_bounded, "a thread cannot be given more priority than its creator has")
{
    uint64_t t;
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &t, ae_self.task, 0, 0));
    uint64_t info[4];
    CHECK_OK(ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4));
    uint64_t mine = info[2];
    CHECK_EQ(ae_invokev(t, AERIE_THREAD_SET_PRIORITY, mine + 1), AE_EINVAL);
    CHECK_EQ(ae_invokev(t, AERIE_THREAD_SET_PRIORITY, 0), AE_EINVAL);
    CHECK_OK(ae_invokev(t, AERIE_THREAD_SET_PRIORITY, mine - 1));
    CHECK_OK(ae_invoke(t, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], mine - 1);
}

KTEST(thread_utcb_rules, "the UTCB must be 1 KiB aligned inside RW memory, set while stopped")
{
    uint64_t t, m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0);
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &t, ae_self.task, 0, 0));
    CHECK_EQ(ae_invokev(t, AERIE_THREAD_SET_UTCB, m, 100), AE_EINVAL);
    CHECK_EQ(ae_invokev(t, AERIE_THREAD_SET_UTCB, m, 4096), AE_EINVAL);
    CHECK_EQ(ae_invokev(t, AERIE_THREAD_SET_UTCB, ro, 0), AE_ERIGHTS);
    CHECK_OK(ae_invokev(t, AERIE_THREAD_SET_UTCB, m, 3072));
}

KTEST_CPUS(thread_affinity_moves, 2, "a thread set to CPU 1 runs there")
{
    struct ae_thread th = { 0 };
    counter = 0;
    CHECK_OK(kt_thread(env, &th, spin_count, 0, 1));
    /* generous waits (they end as soon as the thread has run): a loaded
     * host can leave a TCG vCPU unscheduled for a good part of a second */
    for (int i = 0; i < 3000 && !counter; i++)
        ae_sleep_ns(1000000);
    CHECK(counter > 0);
    uint64_t info[4];
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[1], 1);
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_AFFINITY, 0));
    /* A running thread moves when its old CPU next switches away from it
     * (a tick), so its counter may still advance on CPU 1 for a while:
     * wait for the move itself, then for it to run on CPU 0. */
    for (int i = 0; i < 3000; i++) {
        CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
        if (info[1] == 0)
            break;
        ae_sleep_ns(1000000);
    }
    CHECK_EQ(info[1], 0);
    uint64_t c = counter;
    for (int i = 0; i < 3000 && counter == c; i++)
        ae_sleep_ns(1000000);
    CHECK(counter > c);
    CHECK_EQ(ae_invokev(th.thread_slot, AERIE_THREAD_SET_AFFINITY, 64), AE_EINVAL);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
}

static void block_forever(void *arg)
{
    uint64_t badge;
    ae_recv((uint64_t)arg, AERIE_TIMEOUT_FOREVER, &badge);
    set_flag((void *)5);
}

KTEST(thread_destroy_while_blocked, "a thread blocked in a receive can be destroyed and leaves nothing")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct ae_thread th = { 0 };
    flag = 0;
    CHECK_OK(kt_thread(env, &th, block_forever, (void *)ep, -1));
    ae_sleep_ns(3000000);
    uint64_t info[4];
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[0], AERIE_TS_BLOCKED);
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
    CHECK_EQ(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4), AE_ECAP);
    ae_sleep_ns(2000000);
    CHECK_EQ(flag, 0);                                   /* it never ran again */
}

KTEST(thread_rights, "THREAD methods need MANAGE, INFO needs READ")
{
    uint64_t t;
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &t, ae_self.task, 0, 0));
    uint64_t ro = kt_mint(t, AERIE_R_READ, 0);
    uint64_t info[4];
    CHECK_OK(ae_invoke(ro, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(ae_invoke0(ro, AERIE_THREAD_RESUME), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(ro, AERIE_THREAD_DESTROY), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(t, 99), AE_ENOSYS);
}

static void run_then_flag(void *arg)
{
    ae_sleep_ns(5000000);
    set_flag((void *)3);
}

KTEST(running_code_keeps_itself_alive, "a started thread outlives its capability, and its task with it, until it exits")
{
    uint64_t objs = kt_objects();
    struct ae_thread th = { 0 };
    flag = 0;
    CHECK_OK(kt_thread(env, &th, run_then_flag, 0, -1));
    uint64_t after_start = kt_objects();
    CHECK_OK(ae_cap_delete(th.thread_slot));          /* nobody holds it now but itself */
    CHECK(kt_wait(&flag, 3, 2000));                   /* it ran to the end anyway */
    for (int i = 0; i < 200 && kt_objects() != after_start - 1; i++)
        ae_sleep_ns(1000000);
    CHECK_EQ(kt_objects(), after_start - 1);          /* once dead, it is gone */
    CHECK(after_start > objs);
    /* A task whose last capability goes keeps living while it has a thread. */
    uint64_t task = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0), t;
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_THREAD, &t, task, 0, 0));
    uint64_t n = kt_objects();
    CHECK_OK(ae_cap_delete(task));
    CHECK_EQ(kt_objects(), n);                        /* held by its (unstarted) thread */
    CHECK_OK(ae_cap_delete(t));                       /* never started: no self-hold */
    CHECK_EQ(kt_objects(), n - 2);
}

/* ---- SUSPEND against a thread running on another CPU ---- */

#define RACE_ROUNDS 100
#define POISON 0xDEADBEEFCAFEF00Dull

static volatile uint64_t race_count;
static volatile int race_landed;
static uint64_t race_self;                 /* the racing thread's own capability */

/* Runs flat out on its CPU, writing its UTCB from user mode and, through
 * GET_REGS on itself, from the kernel. */
static void race_spin(void *arg)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t regs[AERIE_REG_COUNT];
    for (uint64_t i = 1;; i++) {
        __atomic_store_n(&race_count, i, __ATOMIC_RELAXED);
        u->mr[40] = i;
        if (i % 8 == 0)
            ae_invoke(race_self, AERIE_THREAD_GET_REGS, 0, 0, regs, AERIE_REG_COUNT);
    }
}

/* Where SET_REGS sends it: proof the registers set while it was
 * suspended are the ones it resumed with. */
static void race_land(void *arg)
{
    __atomic_add_fetch(&race_landed, 1, __ATOMIC_RELEASE);
    race_spin(arg);
}

static void spin_us(uint64_t us)
{
    uint64_t until = kt_now_ns() + us * 1000;
    while (kt_now_ns() < until)
        ;
}

KTEST_CPUS(thread_suspend_race_two_cpus, 2,
           "SUSPEND returns once the thread is off its CPU: its UTCB stays untouched after, SET_REGS lands")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    ae_yield();
    struct ae_thread th = { 0 };
    race_count = 0;
    race_landed = 0;
    CHECK_OK(kt_thread(env, &th, race_spin, 0, 1));
    race_self = th.thread_slot;
    uint64_t stack_bytes = th.mem_bytes - 4096, utcb_off = stack_bytes + 4096 - AERIE_UTCB_SIZE;
    volatile uint64_t *mr = ((struct aerie_utcb *)((char *)th.mem + utcb_off))->mr;
    uint64_t spare = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    unsigned ran_after = 0, touched = 0, lost = 0;
    for (int round = 0; round < RACE_ROUNDS && !lost; round++) {
        uint64_t c0 = race_count;
        for (int i = 0; i < 2000 && race_count == c0; i++)
            ae_sleep_ns(100000);
        CHECK(race_count != c0);                            /* it runs */
        CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_SUSPEND));
        uint64_t c1 = race_count;
        /* Off its CPU now, so its UTCB may go: swap it out and poison it. */
        CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_UTCB, spare, 0));
        for (int w = 0; w < AERIE_REG_COUNT; w++)
            mr[w] = POISON;
        mr[40] = POISON;
        spin_us(200);
        ran_after += race_count != c1;
        bool poisoned = mr[40] == POISON;
        for (int w = 0; w < AERIE_REG_COUNT; w++)
            poisoned = poisoned && mr[w] == POISON;
        touched += !poisoned;
        /* Send it somewhere new; it must arrive there. */
        uint64_t regs[AERIE_REG_COUNT] = { 0 };
        regs[AERIE_REG_RIP] = (uint64_t)race_land;
        regs[AERIE_REG_RSP] = (uint64_t)th.mem + stack_bytes - 8;
        CHECK_OK(ae_thread_set_regs(th.thread_slot, (1u << AERIE_REG_RIP) | (1u << AERIE_REG_RSP), regs));
        CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_UTCB, th.mem_slot, utcb_off));
        CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_RESUME));
        lost += !kt_wait(&race_landed, round + 1, 3000);
    }
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
    if (ran_after || touched || lost)
        ae_kprintf("suspend race: ran after SUSPEND %u times, UTCB written after %u times, SET_REGS lost %u\n",
                   ran_after, touched, lost);
    CHECK_EQ(ran_after, 0);
    CHECK_EQ(touched, 0);
    CHECK_EQ(lost, 0);
}

static volatile int mutual_go;
static volatile int mutual_done[2];
static uint64_t mutual_slot[2];

/* Waits for each round, then suspends its peer (who is suspending it). */
static void mutual_suspender(void *arg)
{
    int me = (int)(uint64_t)arg, last = 0;
    for (;;) {
        while (__atomic_load_n(&mutual_go, __ATOMIC_ACQUIRE) == last)
            ;
        last = mutual_go;
        ae_invoke0(mutual_slot[!me], AERIE_THREAD_SUSPEND);
        __atomic_store_n(&mutual_done[me], last, __ATOMIC_RELEASE);
    }
}

static uint64_t state_of(uint64_t slot)
{
    uint64_t info[4] = { 0 };
    ae_invoke(slot, AERIE_THREAD_INFO, 0, 0, info, 4);
    return info[0];
}

KTEST_CPUS(thread_mutual_suspend_two_cpus, 2, "two threads suspending each other at once on two CPUs never hang")
{
    struct ae_thread th[2] = { { 0 }, { 0 } };
    mutual_go = 0;
    mutual_done[0] = mutual_done[1] = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(kt_thread(env, &th[i], mutual_suspender, (void *)(uint64_t)i, i));
        mutual_slot[i] = th[i].thread_slot;
    }
    for (int round = 1; round <= 50; round++) {
        __atomic_store_n(&mutual_go, round, __ATOMIC_RELEASE);
        /* Over when each has either finished its SUSPEND or been stopped. */
        bool over = false;
        for (int i = 0; i < 5000 && !over; i++) {
            over = true;
            for (int k = 0; k < 2; k++)
                over = over && (mutual_done[k] == round || state_of(mutual_slot[k]) == AERIE_TS_SUSPENDED);
            if (!over)
                ae_sleep_ns(1000000);
        }
        CHECK(over);
        for (int k = 0; k < 2; k++)
            if (state_of(mutual_slot[k]) == AERIE_TS_SUSPENDED)
                CHECK_OK(ae_invoke0(mutual_slot[k], AERIE_THREAD_RESUME));
    }
    for (int k = 0; k < 2; k++)
        CHECK_OK(ae_invoke0(mutual_slot[k], AERIE_THREAD_DESTROY));
}

static volatile int boost_step;
static volatile int64_t boost_setprio;

/* Runs once the resumer steps aside, tries to keep the boost, then leaves
 * its CPU (which ends the boost) and comes back at its own priority. */
static void boosted(void *arg)
{
    uint64_t resumer_prio = (uint64_t)arg;
    __atomic_store_n(&boost_step, 1, __ATOMIC_RELEASE);
    boost_setprio = ae_invokev(ae_thread_slot(), AERIE_THREAD_SET_PRIORITY, resumer_prio);
    ae_sleep_ns(1000000);
    __atomic_store_n(&boost_step, 2, __ATOMIC_RELEASE);
    for (;;)
        ae_sleep_ns(1000000000);
}

KTEST(thread_resume_boost, "RESUME with BOOST runs a thread at the resumer's priority until it leaves its CPU, and no longer")
{
    uint64_t info[4];
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    CHECK_OK(ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4));
    uint64_t mine = info[2];
    CHECK(mine >= 2);
    boost_step = 0;
    boost_setprio = 1;
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, boosted, (void *)mine, 0));
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, 1));
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_SUSPEND));
    for (int i = 0; i < 10; i++)
        ae_yield();
    CHECK_EQ(boost_step, 0);                  /* priority 1 never runs beside us: we never block */
    CHECK_EQ(ae_invokev(th.thread_slot, AERIE_THREAD_RESUME, 2), AE_EINVAL);   /* unknown flag */
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_RESUME, AERIE_RESUME_BOOST));
    ae_yield();                               /* it was queued first at our priority */
    CHECK_EQ(boost_step, 1);
    CHECK_EQ(boost_setprio, AE_EINVAL);       /* the boost is no authority */
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 1);                     /* INFO shows its own priority */
    uint64_t t0 = kt_now_ns();
    while (kt_now_ns() - t0 < 20000000)       /* it woke meanwhile, at priority 1 again */
        ae_yield();
    CHECK_EQ(boost_step, 1);
    CHECK(kt_wait(&boost_step, 2, 5000));     /* runs as soon as we block */
}

KTEST(thread_boost_ends_at_suspend, "a start boost not yet used ends when the thread is suspended: a plain RESUME later does not run it at the resumer's priority")
{
    uint64_t info[4];
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    CHECK_OK(ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4));
    uint64_t mine = info[2];
    CHECK(mine >= 2);
    boost_step = 0;
    boost_setprio = 1;
    struct ae_thread th = { 0 };
    CHECK_OK(kt_thread(env, &th, boosted, (void *)mine, 0));
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_SET_PRIORITY, 1));
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_SUSPEND));
    CHECK_OK(ae_invokev(th.thread_slot, AERIE_THREAD_RESUME, AERIE_RESUME_BOOST));
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_SUSPEND));   /* before it ever ran */
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_RESUME));
    for (int i = 0; i < 10; i++)
        ae_yield();
    CHECK_EQ(boost_step, 0);                  /* priority 1: it does not run beside us */
    CHECK_OK(ae_invoke(th.thread_slot, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 1);
    CHECK(kt_wait(&boost_step, 1, 5000));     /* runs as soon as we block */
    CHECK_OK(ae_invoke0(th.thread_slot, AERIE_THREAD_DESTROY));
}
