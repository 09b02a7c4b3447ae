/*
 * t_borrow.c — TASK_BORROW (kernel/vspace.c, "Lent ranges"): a task whose
 * lent ranges are another task's page tables. What is refused; that a
 * borrower's thread sees the lender's memory there and stops seeing it
 * the moment the lender unmaps it, on another CPU too (a shootdown that
 * forgot the borrowers' CPUs leaves it reading); that either side's
 * destruction leaves the other working and nothing leaked (the harness
 * counts free pages); that a lender's thread marked RUN_BORROWED gets its
 * own memory outside the lent ranges even when it ran on a borrower's.
 *
 * The threads run a few bytes of machine code from the lender's lent
 * memory, so the borrower needs nothing of its own.
 */
#include "kt.h"
#include <string.h>
#include <aerie/fault.h>

#define LENT_VA   (AERIE_LENT_HIGH_START + 0x200000000ull)   /* 520 GiB: a lent range */
#define CODE_VA   LENT_VA
#define DATA_VA   (LENT_VA + 0x1000)
#define LOW_VA    0x40000000ull                                  /* 1 GiB: nobody's lent range */

struct lender {
    uint64_t q, task, code, data;
    volatile uint64_t *d;                    /* the data page, mapped here too */
};

/* The loop: d[1] = d[0] + 1, d[3]++, for ever. With low, also d[2] =
 * the word at LOW_VA (outside the lent ranges) in every pass. */
static const uint8_t loop_code[] = {
    0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0,      /* mov rax, DATA_VA */
    0x48, 0x8B, 0x18,                        /* 1: mov rbx, [rax] */
    0x48, 0xFF, 0xC3,                        /* inc rbx */
    0x48, 0x89, 0x58, 0x08,                  /* mov [rax+8], rbx */
    0x48, 0xFF, 0x40, 0x18,                  /* inc qword [rax+24] */
    0xEB, 0xF0,                              /* jmp 1b */
};
static const uint8_t low_code[] = {
    0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0,      /* mov rax, DATA_VA */
    0x48, 0xB9, 0, 0, 0, 0, 0, 0, 0, 0,      /* mov rcx, LOW_VA */
    0x48, 0x8B, 0x19,                        /* 1: mov rbx, [rcx] */
    0x48, 0x89, 0x58, 0x10,                  /* mov [rax+16], rbx */
    0x48, 0xFF, 0x40, 0x18,                  /* inc qword [rax+24] */
    0xEB, 0xF3,                              /* jmp 1b */
};
#define LOW_CODE_VA (CODE_VA + 0x100)

/* A task with a code page at CODE_VA and a data page at DATA_VA, both
 * lent; the data page is mapped here too. */
static int make_lender(struct kt_env *env, struct lender *l)
{
    l->q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 8, 64);
    int64_t r;
    if ((r = kt_create(l->q, AERIE_OBJ_TASK, &l->task, 0, 0, 0)) ||
        (r = kt_create(l->q, AERIE_OBJ_MEMORY, &l->code, 4096, 0, 0)) ||
        (r = kt_create(l->q, AERIE_OBJ_MEMORY, &l->data, 4096, 0, 0)))
        return (int)r;
    uint64_t cva = ae_vm_reserve(4096), dva = ae_vm_reserve(4096);
    if (!cva || !dva || ae_task_map(ae_self.task, l->code, 0, cva, 4096, AERIE_MAP_R | AERIE_MAP_W) ||
        ae_task_map(ae_self.task, l->data, 0, dva, 4096, AERIE_MAP_R | AERIE_MAP_W))
        return AE_ENOMEM;
    uint8_t *c = (uint8_t *)cva;
    memcpy(c, loop_code, sizeof loop_code);
    uint64_t d = DATA_VA, low = LOW_VA;
    memcpy(c + 2, &d, 8);
    memcpy(c + 0x100, low_code, sizeof low_code);
    memcpy(c + 0x102, &d, 8);
    memcpy(c + 0x10C, &low, 8);
    ae_task_unmap(ae_self.task, cva, 4096);
    l->d = (volatile uint64_t *)dva;
    if ((r = ae_task_map(l->task, l->code, 0, CODE_VA, 4096, AERIE_MAP_R | AERIE_MAP_X)) ||
        (r = ae_task_map(l->task, l->data, 0, DATA_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)))
        return (int)r;
    return 0;
}

static bool wait_word(volatile uint64_t *p, uint64_t v, unsigned ms)
{
    uint64_t end = kt_now_ns() + ms * 1000000ull;
    while (*p != v) {
        if (kt_now_ns() > end)
            return false;
        ae_sleep_ns(1000000);
    }
    return true;
}

static int64_t borrow(uint64_t c, uint64_t p)
{
    return ae_invokev(c, AERIE_TASK_BORROW, p);
}

KTEST(borrow_refused, "TASK_BORROW refuses missing rights, wrong objects, garbage slots, self, chains, lent mappings; a borrower maps nothing lent and is not cloned")
{
    struct lender l;
    CHECK_OK(make_lender(env, &l));
    uint64_t c, d, mem;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &d, 0, 0, 0));
    CHECK_OK(kt_create(l.q, AERIE_OBJ_MEMORY, &mem, 4096, 0, 0));
    uint64_t c_ro = kt_mint(c, AERIE_R_READ, 0), p_ro = kt_mint(l.task, AERIE_R_ALL & ~AERIE_R_MANAGE, 0);
    CHECK_EQ(borrow(c_ro, l.task), AE_ERIGHTS);          /* the borrower's cap without MANAGE */
    CHECK_EQ(borrow(c, p_ro), AE_ERIGHTS);               /* the lender's */
    CHECK_EQ(ae_utcb()->mr[0], 0);
    CHECK_EQ(borrow(c, mem), AE_ETYPE);                  /* not a task */
    CHECK_EQ(borrow(mem, l.task), AE_ENOSYS);            /* a Memory has no BORROW */
    CHECK_EQ(borrow(c, 0), AE_ECAP);
    CHECK_EQ(borrow(c, 1ull << 40), AE_ECAP);
    CHECK_EQ(borrow(c, 77777), AE_ECAP);
    CHECK_EQ(borrow(c, c), AE_EINVAL);                   /* itself */
    CHECK_EQ(ae_invoke(c, AERIE_TASK_BORROW, 0, 0, 0, 0), AE_EINVAL);   /* no argument */
    /* Something of its own in a lent range: in the region, high up, or
     * once there and gone (its table stays). */
    uint64_t e;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &e, 0, 0, 0));
    CHECK_OK(ae_task_map(e, mem, 0, 0x300000, 4096, AERIE_MAP_R));
    CHECK_EQ(borrow(e, l.task), AE_EBUSY);
    CHECK_OK(ae_task_unmap(e, 0x300000, 4096));
    CHECK_OK(ae_task_map(e, mem, 0, AERIE_LENT_HIGH_START + 0x5000, 4096, AERIE_MAP_R));
    CHECK_EQ(borrow(e, l.task), AE_EBUSY);
    CHECK_OK(ae_task_unmap(e, AERIE_LENT_HIGH_START + 0x5000, 4096));
    CHECK_EQ(borrow(e, l.task), AE_EBUSY);
    /* Memory of its own below 512 GiB outside the region is fine. */
    CHECK_OK(ae_task_map(c, mem, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W));
    uint64_t f0 = kt_free_pages();
    CHECK_OK(borrow(c, l.task));
    CHECK_EQ(kt_free_pages(), f0);                       /* no table made or freed */
    CHECK_EQ(borrow(c, l.task), AE_EBUSY);               /* twice */
    CHECK_EQ(borrow(d, c), AE_EBUSY);                    /* from a borrower: no chains */
    CHECK_EQ(borrow(l.task, d), AE_EBUSY);               /* a lender borrowing */
    CHECK_OK(borrow(d, l.task));                         /* a second borrower of one lender */
    /* The borrower's own maps stay out of the lent ranges. */
    CHECK_EQ(ae_task_map(c, mem, 0, 0x300000, 4096, AERIE_MAP_R), AE_EBUSY);
    CHECK_EQ(ae_task_map(c, mem, 0, AERIE_LENT_HIGH_START, 4096, AERIE_MAP_R), AE_EBUSY);
    uint64_t mem2;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_MEMORY, &mem2, 8192, 0, 0));
    CHECK_EQ(ae_task_map(c, mem2, 0, AERIE_LENT_REGION_START - 4096, 8192, AERIE_MAP_R), AE_EBUSY);
    CHECK_EQ(ae_task_map(c, mem2, 0, AERIE_LENT_HIGH_START - 4096, 8192, AERIE_MAP_R), AE_EBUSY);
    CHECK_OK(ae_task_map(c, mem2, 0, AERIE_LENT_HIGH_START - 8192, 8192, AERIE_MAP_R));
    CHECK_OK(ae_task_map(c, mem, 0, LOW_VA + 0x10000, 4096, AERIE_MAP_R));
    /* Its view of the lender through READ is its own mappings only. */
    uint64_t v;
    CHECK_EQ(ae_invoke(c, AERIE_TASK_READ, 2, (uint64_t[]){ DATA_VA, 8 }, &v, 1), AE_EFAULT);
    /* A borrower is not cloned; the lender still is. */
    uint64_t th, cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 64), ct = ae_slot_alloc(), cth = ae_slot_alloc();
    CHECK_OK(kt_create(l.q, AERIE_OBJ_THREAD, &th, c, 0, 0));
    CHECK_EQ(ae_invokev(c, AERIE_TASK_CLONE, cq, l.q, ct, cth), AE_EBUSY);
    uint64_t pth;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_THREAD, &pth, l.task, 0, 0));
    CHECK_OK(ae_invokev(l.task, AERIE_TASK_CLONE, cq, l.q, ct, cth));
    CHECK_EQ(borrow(ct, l.task), AE_EBUSY);              /* the clone has the lender's maps there */
    /* RUN_BORROWED takes 0 or 1. */
    CHECK_EQ(ae_invokev(th, AERIE_THREAD_RUN_BORROWED, 2), AE_EINVAL);
    CHECK_EQ(ae_invoke(th, AERIE_THREAD_RUN_BORROWED, 0, 0, 0, 0), AE_EINVAL);
    CHECK_EQ(ae_invokev(kt_mint(th, AERIE_R_READ, 0), AERIE_THREAD_RUN_BORROWED, 1), AE_ERIGHTS);
    CHECK_OK(ae_invokev(th, AERIE_THREAD_RUN_BORROWED, 1));
    CHECK_OK(ae_invokev(th, AERIE_THREAD_RUN_BORROWED, 0));
    /* A destroyed lender is named by nothing. */
    uint64_t x;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &x, 0, 0, 0));
    CHECK_OK(ae_invoke0(e, AERIE_TASK_DESTROY));
    CHECK_EQ(borrow(x, e), AE_ECAP);                     /* DESTROY took its capabilities */
}

KTEST_CPUS(borrow_sees_lender_until_unmapped, 2, "a borrower's thread on another CPU reads and writes the lender's lent memory, and faults there once the lender unmaps it")
{
    struct lender l;
    CHECK_OK(make_lender(env, &l));
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t c, th, ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(borrow(c, l.task));
    l.d[0] = 41;
    CHECK_OK(kt_start_at(l.q, c, CODE_VA, 1, ep, false, &th));
    CHECK(wait_word(&l.d[1], 42, 5000));                 /* it reads ours and writes ours */
    l.d[0] = 99;
    CHECK(wait_word(&l.d[1], 100, 5000));                /* it sees our writes as they come */
    /* The lender takes the page away while the thread spins on it on
     * CPU 1 with its translation cached: it must fault, at DATA_VA. */
    CHECK_OK(ae_task_unmap(l.task, DATA_VA, 4096));
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK_EQ(w[0], DATA_VA);
    uint64_t n = l.d[3];
    ae_sleep_ns(20000000);
    CHECK_EQ(l.d[3], n);                                 /* and it writes no more */
    /* Mapped again at a new top-level entry the lender makes now: the
     * borrower's copy of it comes at its first fault there. */
    uint64_t far = AERIE_LENT_HIGH_START * 3;
    CHECK_OK(ae_task_map(l.task, l.data, 0, far, 4096, AERIE_MAP_R | AERIE_MAP_W));
    uint64_t th2;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_THREAD, &th2, c, 0, 0));
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = CODE_VA + 10;                  /* the loop, with RAX = far */
    regs[AERIE_REG_RAX] = far;
    CHECK_OK(ae_thread_set_regs(th2, 1u << AERIE_REG_RIP | 1u << AERIE_REG_RAX, regs));
    CHECK_OK(ae_invokev(th2, AERIE_THREAD_SET_HANDLER, ep));
    CHECK_OK(ae_invokev(th2, AERIE_THREAD_SET_AFFINITY, 1));
    l.d[0] = 7;
    CHECK_OK(ae_invoke0(th2, AERIE_THREAD_RESUME));
    CHECK(wait_word(&l.d[1], 8, 5000));
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);
}

KTEST(borrow_lender_destroyed_under_borrower, "the lender destroyed while a borrower's thread spins on its memory: the thread faults, the borrower lives on, nothing leaks")
{
    struct lender l;
    CHECK_OK(make_lender(env, &l));
    unsigned cpu = kt_ncpus() - 1;
    uint64_t c, th, ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(borrow(c, l.task));
    l.d[0] = 1;
    CHECK_OK(kt_start_at(l.q, c, CODE_VA, cpu, ep, false, &th));
    CHECK(wait_word(&l.d[1], 2, 5000));
    CHECK_OK(ae_invoke0(l.task, AERIE_TASK_DESTROY));
    /* DESTROY took its capabilities: with them its last reference, so its tables went. */
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 5000, &badge, w);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK(w[0] == CODE_VA + 10 || w[0] == DATA_VA || (w[0] >= CODE_VA && w[0] < CODE_VA + 64));
    /* Detached: its lent ranges are empty and its own again. */
    uint64_t mem;
    CHECK_OK(kt_create(l.q, AERIE_OBJ_MEMORY, &mem, 4096, 0, 0));
    CHECK_OK(ae_task_map(c, mem, 0, DATA_VA, 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_invoke(c, AERIE_TASK_WRITE, 3, (uint64_t[]){ DATA_VA, 8, 5 }, 0, 0));
    uint64_t info[4];
    CHECK_OK(ae_invoke(c, AERIE_TASK_INFO, 0, 0, info, 4));
    CHECK_EQ(info[1], 4096);
}

KTEST(borrow_borrower_destroyed, "a borrower destroyed with its thread running: the lender and its other borrowers work on, nothing leaks")
{
    struct lender l;
    CHECK_OK(make_lender(env, &l));
    unsigned cpu = kt_ncpus() - 1;
    uint64_t c, d, th, thd, ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &d, 0, 0, 0));
    CHECK_OK(borrow(c, l.task));
    CHECK_OK(borrow(d, l.task));
    l.d[0] = 10;
    CHECK_OK(kt_start_at(l.q, c, CODE_VA, cpu, ep, false, &th));
    CHECK(wait_word(&l.d[1], 11, 5000));
    CHECK_OK(ae_invoke0(c, AERIE_TASK_DESTROY));
    uint64_t n = l.d[3];
    ae_sleep_ns(20000000);
    CHECK_EQ(l.d[3], n);                                 /* that thread is gone */
    /* The lender maps on (a new top-level table too), the other borrower
     * runs on its memory. */
    CHECK_OK(ae_task_map(l.task, l.data, 0, AERIE_LENT_HIGH_START * 5, 4096, AERIE_MAP_R));
    l.d[0] = 20;
    CHECK_OK(kt_start_at(l.q, d, CODE_VA, cpu, ep, false, &thd));
    CHECK(wait_word(&l.d[1], 21, 5000));
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);
}

KTEST(borrow_lender_thread_strays, "a lender's RUN_BORROWED thread sharing a CPU with a borrower's reads its own memory outside the lent ranges")
{
    struct lender l;
    CHECK_OK(make_lender(env, &l));
    unsigned cpu = kt_ncpus() - 1;
    uint64_t c, th, pth, low, ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_OK(kt_create(l.q, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(kt_create(l.q, AERIE_OBJ_MEMORY, &low, 4096, 0, 0));
    CHECK_OK(ae_task_map(l.task, low, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_invoke(l.task, AERIE_TASK_WRITE, 3, (uint64_t[]){ LOW_VA, 8, 0x1234 }, 0, 0));
    CHECK_OK(borrow(c, l.task));
    l.d[0] = 1;
    CHECK_OK(kt_start_at(l.q, c, CODE_VA, cpu, ep, false, &th));
    CHECK(wait_word(&l.d[1], 2, 5000));
    /* The lender's thread on the same CPU: each switch from the
     * borrower's keeps the borrower's tables, where LOW_VA is empty. */
    CHECK_OK(kt_create(l.q, AERIE_OBJ_THREAD, &pth, l.task, 0, 0));
    CHECK_OK(ae_invokev(pth, AERIE_THREAD_RUN_BORROWED, 1));
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = LOW_CODE_VA;
    CHECK_OK(ae_thread_set_regs(pth, 1u << AERIE_REG_RIP, regs));
    CHECK_OK(ae_invokev(pth, AERIE_THREAD_SET_HANDLER, ep));
    CHECK_OK(ae_invokev(pth, AERIE_THREAD_SET_AFFINITY, cpu));
    CHECK_OK(ae_invoke0(pth, AERIE_THREAD_RESUME));
    CHECK(wait_word(&l.d[2], 0x1234, 5000));
    for (int i = 0; i < 20; i++) {                       /* through many switches */
        l.d[0] = (uint64_t)i * 2;
        CHECK(wait_word(&l.d[1], (uint64_t)i * 2 + 1, 5000));
        CHECK_EQ(l.d[2], 0x1234);
        ae_sleep_ns(2000000);
    }
    uint64_t badge, w[4];
    CHECK_EQ(kt_recv(ep, 0, &badge, w), AE_ETIMEOUT);
}
