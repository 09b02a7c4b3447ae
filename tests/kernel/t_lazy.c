/*
 * t_lazy.c — lazy Memory objects (AERIE_MEM_LAZY): a page costs its quota
 * only once touched, whether by a fault in a task that maps it, by WRITE,
 * SET_UTCB or PHYS; untouched pages read as zeros; a touch the quota has
 * no room for reaches the handler as a page fault marked AERIE_PF_NOMEM;
 * destruction gives back exactly what was charged.
 */
#include "kt.h"
#include <aerie/fault.h>

#define LVA(n) (0x58000000ull + (uint64_t)(n) * 0x1000000ull)

static uint64_t used(uint64_t q)
{
    uint64_t info[6] = { 0 };
    ae_quota_info(q, info);
    return info[1];
}

KTEST(lazy_pages_charged_when_touched, "a lazy object costs a page only when a page is first touched")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 10), m;
    uint64_t before = used(q);
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 64 * 4096, AERIE_MEM_LAZY, 0));
    uint64_t made = used(q);
    CHECK(made - before < 4096);                 /* the structure and page array only */
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(0), 64 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    volatile uint64_t *p = (volatile uint64_t *)LVA(0);
    CHECK_EQ(p[0], 0);                           /* a read touches too: one page */
    CHECK_EQ(used(q), made + 4096);
    p[1] = 7;
    p[512 * 10 + 3] = 9;                         /* page 10 */
    CHECK_EQ(used(q), made + 2 * 4096);
    CHECK_EQ(p[1], 7);
    CHECK_EQ(p[512 * 10 + 3], 9);
    uint64_t info[2] = { 0 };
    CHECK_OK(ae_invoke(m, AERIE_MEM_INFO, 0, 0, info, 2));
    CHECK_EQ(info[0], 64 * 4096);                /* its size is what was asked */
    CHECK_OK(ae_task_unmap(ae_self.task, LVA(0), 64 * 4096));
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
}

KTEST(lazy_second_mapping_sees_pages, "a second mapping sees pages touched through the first, and touches its own")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 8 * 4096, AERIE_MEM_LAZY, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(1), 8 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    *(volatile uint32_t *)(LVA(1) + 3 * 4096 + 8) = 0xBEEF;
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(2), 8 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_EQ(*(volatile uint32_t *)(LVA(2) + 3 * 4096 + 8), 0xBEEF);
    *(volatile uint32_t *)(LVA(2) + 5 * 4096) = 0xF00D;         /* touched here first */
    CHECK_EQ(*(volatile uint32_t *)(LVA(1) + 5 * 4096), 0xF00D);
}

KTEST(lazy_read_write_methods, "READ of an untouched page gives zeros for free; WRITE charges the page")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 10), m;
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 16 * 4096, AERIE_MEM_LAZY, 0));
    uint64_t made = used(q), w[4] = { 1, 1, 1, 1 };
    CHECK_OK(ae_invoke(m, AERIE_MEM_READ, 2, (uint64_t[]){ 5 * 4096, 32 }, w, 4));
    CHECK_EQ(w[0] | w[1] | w[2] | w[3], 0);
    CHECK_EQ(used(q), made);
    CHECK_OK(ae_invoke(m, AERIE_MEM_WRITE, 4, (uint64_t[]){ 5 * 4096 + 4090, 16, 0x1122334455667788ull, 0x99 }, 0, 0));
    CHECK_EQ(used(q), made + 2 * 4096);           /* the write crossed into page 6 */
    CHECK_OK(ae_invoke(m, AERIE_MEM_READ, 2, (uint64_t[]){ 5 * 4096 + 4090, 16 }, w, 2));
    CHECK_EQ(w[0], 0x1122334455667788ull);
    CHECK_EQ(w[1], 0x99);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
}

KTEST(lazy_flags_checked, "LAZY with CONTIG is refused (DMA wants every page at once)")
{
    uint64_t s = ae_slot_alloc();
    CHECK_EQ(ae_quota_create(env->quota, AERIE_OBJ_MEMORY, s, 4096, AERIE_MEM_LAZY | AERIE_MEM_CONTIG, 0), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 3);
    ae_slot_free(s);
}

static void touch_and_destroy(struct kt_env *env)
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 1, 10), m;
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 512 * 4096, AERIE_MEM_LAZY, 0));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(3), 512 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    for (int i = 0; i < 512; i += 3)
        *(volatile uint8_t *)(LVA(3) + (uint64_t)i * 4096) = (uint8_t)i;
    CHECK(used(q) >= 171 * 4096);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));   /* unmaps it from us too */
    /* Our slots back, so the next call reuses them: otherwise each call
     * may grow our own capability space by a chunk, which stays and is
     * no page of the lazy object's. */
    ae_cap_delete(m);
    ae_cap_delete(q);
    ae_slot_free(m);
    ae_slot_free(q);
}

KTEST(lazy_destroy_returns_every_page, "destroying a lazy object's quota gives back exactly the pages touched")
{
    touch_and_destroy(env);              /* our own page tables for the range stay: count from here */
    uint64_t free0 = kt_free_pages();
    touch_and_destroy(env);
    CHECK_EQ(kt_free_pages(), free0);
}

static volatile int lazy_flag;
static void after_nomem(void) { lazy_flag = 1; ae_thread_exit(0); }
static void touch_all(void *arg)
{
    for (uint64_t off = 0; off < 64 * 4096; off += 4096)
        *(volatile uint8_t *)(LVA(4) + off) = 1;
    lazy_flag = 99;                            /* never: the quota has room for few pages */
}

KTEST(lazy_touch_over_quota_faults_nomem, "a touch the quota cannot pay for is a page fault marked NOMEM, and nothing leaks")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 6 * 4096, 1, 10), m;
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 64 * 4096, AERIE_MEM_LAZY, 0));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(4), 64 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    static struct ae_thread th;
    th = (struct ae_thread){ .fault_ep = ep };
    lazy_flag = 0;
    CHECK_OK(kt_thread(env, &th, touch_all, 0, -1));
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK(w[0] >= LVA(4) && w[0] < LVA(4) + 64 * 4096);
    CHECK(w[0] > LVA(4));                        /* some pages were had first */
    CHECK(w[1] & AERIE_PF_NOMEM);
    CHECK(w[1] & AERIE_PF_WRITE);
    uint64_t info[6];
    CHECK_OK(ae_quota_info(q, info));
    CHECK(info[1] <= info[0]);                   /* never over its limit */
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RSP;
    u->mr[1] = (uint64_t)after_nomem;
    u->mr[2] = (uint64_t)th.mem + 16384 - 8;
    CHECK_OK(ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 3, 0)));
    CHECK(kt_wait(&lazy_flag, 1, 2000));
    CHECK_OK(ae_task_unmap(ae_self.task, LVA(4), 64 * 4096));
}

static volatile uint32_t *lazy_word;
static volatile int lazy_woken;
static void futex_waiter(void *arg)
{
    int64_t r = ae_futex_wait(lazy_word, 0, 5000ull * 1000 * 1000);
    lazy_woken = r == 0 ? 1 : r == AE_ETIMEOUT ? 2 : 3;
}

KTEST(lazy_futex_on_untouched_page, "a futex wait on a page nobody touched yet waits (the word is 0), not EFAULT")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4 * 4096, AERIE_MEM_LAZY, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LVA(5), 4 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    lazy_word = (volatile uint32_t *)(LVA(5) + 2 * 4096 + 64);
    CHECK_EQ(ae_futex_wait(lazy_word, 1, AERIE_TIMEOUT_POLL), AE_EAGAIN);   /* 0 != 1 */
    lazy_woken = 0;
    static struct ae_thread th;
    th = (struct ae_thread){ 0 };
    CHECK_OK(kt_thread(env, &th, futex_waiter, 0, -1));
    for (int i = 0; i < 200 && !lazy_woken; i++) {
        ae_sleep_ns(5 * 1000 * 1000);
        ae_futex_wake(lazy_word, 1);
    }
    CHECK(kt_wait(&lazy_woken, 1, 5000));
}

KTEST(lazy_commit_charges_now_or_refuses, "COMMIT takes a range's pages now, refuses cleanly over the quota, needs WRITE")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 12 * 4096, 1, 10), m;
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 64 * 4096, AERIE_MEM_LAZY, 0));
    uint64_t made = used(q);
    CHECK_OK(ae_invokev(m, AERIE_MEM_COMMIT, 4096 + 100, 2 * 4096));     /* pages 1, 2 and 3 */
    CHECK_EQ(used(q), made + 3 * 4096);
    CHECK_OK(ae_invokev(m, AERIE_MEM_COMMIT, 4096, 3 * 4096));           /* had already: free */
    CHECK_EQ(used(q), made + 3 * 4096);
    CHECK_EQ(ae_invokev(m, AERIE_MEM_COMMIT, 0, 64 * 4096), AE_ENOMEM);
    uint64_t info[6];
    CHECK_OK(ae_quota_info(q, info));
    CHECK(info[1] <= info[0]);
    CHECK_EQ(ae_invokev(m, AERIE_MEM_COMMIT, 0, 65 * 4096), AE_ERANGE);
    CHECK_EQ(ae_invokev(m, AERIE_MEM_COMMIT, 0, AERIE_MEM_COMMIT_MAX + 4096), AE_EINVAL);
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0);
    CHECK_EQ(ae_invokev(ro, AERIE_MEM_COMMIT, 0, 4096), AE_ERIGHTS);
    uint64_t eager = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    CHECK_OK(ae_invokev(eager, AERIE_MEM_COMMIT, 0, 4096));              /* a no-op */
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
}
