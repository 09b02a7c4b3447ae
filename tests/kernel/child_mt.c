/*
 * child_mt.c — the child roles of t_clonemt.c (Task SUSPEND, RESUME and
 * CLONE with AERIE_CLONE_ALL_THREADS):
 *   mt        a task of five threads: one that ended before the clone
 *             (its capability kept), three workers and the main thread.
 *             Each fills its row and counts itself in mt_ready; worker 3
 *             then waits in an IPC receive nobody answers (the SUSPEND
 *             ends it with ECANCELED). All spin until the parent sets
 *             mt_go, then rewrite their row with mt_who (0 in the
 *             original, the clone's number in a clone) and check their
 *             FS base is as it was. Exit status: 0, 10 + a row that is
 *             not this task's, 20 if the receive did not end with
 *             ECANCELED, 30 if a thread's TLS moved.
 *   mtspawn   keeps starting threads (four at a time, each destroyed and
 *             replaced in turn) that count in mtspawn_count, as main
 *             does: a task whose threads start others under a SUSPEND.
 *   mtattack  holds no capability to another task: SUSPEND, RESUME and
 *             CLONE on forged slots, huge slots and its own task, and
 *             CAP_GET on forged and huge slots, must all fail; exits
 *             with a bit for each that did not.
 *   stopwait  one thread that receives on an endpoint nobody sends to,
 *             for ever, counting in sw_woke each receive that ends
 *             (t_stopwait.c: none may end before the RESUME).
 */
#include "kt.h"

volatile uint64_t mt_ready, mt_go, mt_who, mt_done, mt_spins;
static volatile int64_t mt_recv = 1;
static volatile int mt_bad_tls;
static uint64_t mt_ep;
uint64_t mt_rows[4][128] __attribute__((aligned(4096)));

static uint64_t fs0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static void exit_quiet(uint64_t status)
{
    ae_syscall(AERIE_SYS_EXIT, status, AERIE_EXIT_QUIET, 0, 0, 0, 0);
    for (;;)
        ;
}

static uint64_t row_value(uint64_t who, unsigned k, unsigned j)
{
    return 0xC0DE0000ull + who * 10000 + k * 1000 + j;
}

static void mt_work(unsigned k)
{
    uint64_t self = fs0(), badge;
    for (unsigned j = 0; j < 128; j++)
        mt_rows[k][j] = k * 1000 + j;
    __atomic_add_fetch(&mt_ready, 1, __ATOMIC_SEQ_CST);
    if (k == 3)
        mt_recv = ae_recv(mt_ep, AERIE_TIMEOUT_FOREVER, &badge);   /* nobody ever sends */
    while (!mt_go) {
        if (k == 0)
            mt_spins++;
        ae_yield();
    }
    uint64_t who = mt_who;
    for (unsigned j = 0; j < 128; j++)
        mt_rows[k][j] = row_value(who, k, j);
    if (fs0() != self)
        mt_bad_tls = 1;
    __atomic_add_fetch(&mt_done, 1, __ATOMIC_SEQ_CST);
}

static void mt_thread(void *arg)
{
    mt_work((unsigned)(uintptr_t)arg);
    exit_quiet(0);
}

static void mt_ends_at_once(void *arg)
{
    (void)arg;
    exit_quiet(0);
}

int kt_child_mt(void)
{
    static struct ae_thread th[4];
    mt_ep = ae_slot_alloc();
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, mt_ep, 0, 0, 0) < 0)
        return 97;
    if (ae_thread_start(&th[0], mt_ends_at_once, 0, -1, 16384) < 0)
        return 98;
    uint64_t info[1] = { 0 };
    while (ae_invoke(th[0].thread_slot, AERIE_THREAD_INFO, 0, 0, info, 1) >= 0 && info[0] != AERIE_TS_DEAD)
        ae_yield();
    for (unsigned k = 1; k <= 3; k++)
        if (ae_thread_start(&th[k], mt_thread, (void *)(uintptr_t)k, -1, 16384) < 0)
            return 99;
    mt_work(0);
    while (mt_done < 4)
        ae_yield();
    uint64_t who = mt_who;
    for (unsigned k = 0; k < 4; k++)
        for (unsigned j = 0; j < 128; j++)
            if (mt_rows[k][j] != row_value(who, k, j))
                return 10 + (int)k;
    if (mt_recv != AE_ECANCELED)
        return 20;
    return mt_bad_tls ? 30 : 0;
}

volatile uint64_t mtspawn_count;

static void mtspawn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        __atomic_add_fetch(&mtspawn_count, 1, __ATOMIC_RELAXED);
        if (i % 16 == 0)
            ae_yield();
    }
    exit_quiet(0);
}

int kt_child_mtspawn(void)
{
    static struct ae_thread th[4];
    bool made[4] = { false };
    for (unsigned n = 0;; n++) {
        unsigned k = n % 4;
        if (made[k])
            ae_thread_destroy(&th[k]);
        made[k] = ae_thread_start(&th[k], mtspawn_thread, 0, (int)(n % 2), 16384) == 0;
        __atomic_add_fetch(&mtspawn_count, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

int kt_child_mtattack(void)
{
    int wrong = 0;
    uint64_t q = ae_self.quota, t = ae_slot_alloc(), h = ae_slot_alloc();
    static const uint64_t forged[] = { 900, 4095, 1ull << 20, 1ull << 40, ~0ull };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++)
        if (ae_invoke0(forged[i], AERIE_TASK_SUSPEND) >= 0 || ae_invoke0(forged[i], AERIE_TASK_RESUME) >= 0 ||
            ae_invokev(forged[i], AERIE_TASK_CLONE, q, q, t, h, AERIE_CLONE_ALL_THREADS) >= 0 ||
            ae_invokev(forged[i], AERIE_TASK_CAP_GET, 1, t, AERIE_R_ALL, 0) >= 0)
            wrong |= 1 << i;
    if (ae_invoke0(ae_self.task, AERIE_TASK_SUSPEND) >= 0)     /* its own: refused (or no MANAGE) */
        wrong |= 1 << 5;
    if (ae_invoke0(ae_self.task, AERIE_TASK_RESUME) >= 0)      /* not suspended */
        wrong |= 1 << 6;
    if (ae_invokev(ae_self.task, AERIE_TASK_CLONE, q, q, t, h, AERIE_CLONE_ALL_THREADS) >= 0)
        wrong |= 1 << 7;
    return wrong;
}

volatile uint64_t sw_woke;
volatile int64_t sw_last;

int kt_child_stopwait(void)
{
    uint64_t ep = ae_slot_alloc(), badge;
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, ep, 0, 0, 0) < 0)
        return 97;
    for (;;) {
        sw_last = ae_recv(ep, AERIE_TIMEOUT_FOREVER, &badge);   /* only a SUSPEND ends it */
        __atomic_add_fetch(&sw_woke, 1, __ATOMIC_SEQ_CST);
    }
    return 0;
}
