/*
 * t_borrow_attack.c — attacks on TASK_BORROW (kernel/vspace.c, "Lent
 * ranges"; attack9, docs/SECURITY.md 21ze): a copy-on-write step of the
 * lender that must reach its borrowers' CPUs, an unmap that finds a
 * borrower's tables lazily loaded on an idle CPU and a lender's
 * RUN_BORROWED thread coming back to them, borrowing while the lender is
 * destroyed, and a storm of lenders, borrowers and marked threads sharing
 * a CPU, destroyed in every order while they run (the harness counts free
 * pages and objects: both must come back exact).
 *
 * The threads run a few bytes of machine code from the lender's lent
 * memory; each loop reads one word and writes it, with a count, to a slot
 * of the lender's data page, then yields or sleeps (so the CPU switches
 * between borrower and lender threads, or goes idle with the tables kept).
 */
#include "kt.h"
#include <string.h>
#include <aerie/fault.h>

#define CODE_VA   (AERIE_LENT_HIGH_START + 0x200000000ull)   /* 520 GiB: lent */
#define DATA_VA   (CODE_VA + 0x1000)                             /* lent: the slots */
#define DATA2_VA  (CODE_VA + 0x2000)                             /* lent: a word to read */
#define LOW_VA    0x40000000ull                                  /* 1 GiB: nobody's lent range */

/* A world: a quota of its own holding a lender with code, data, a second
 * lent page and a page of its own outside the lent ranges. */
struct world {
    uint64_t q, p, code, data, data2, low;
    uint64_t slots[32];
    unsigned nslots;
};

static int64_t wmake(struct world *w, uint64_t type, uint64_t *slot, uint64_t a0, uint64_t a1, uint64_t a2)
{
    int64_t r = kt_create(w->q, type, slot, a0, a1, a2);
    if (w->nslots < 32)
        w->slots[w->nslots++] = *slot;
    return r;
}

/* The loop at code + off: r12 = dst, r13 = src; for ever { [r12] =
 * [r13]; [r12+8]++; syscall nr (rdi 0, rsi ns) }. */
static void gen_loop(uint8_t *code, unsigned off, uint64_t dst, uint64_t src, uint32_t nr, uint32_t ns)
{
    static const uint8_t t[] = {
        0x49, 0xBC, 0, 0, 0, 0, 0, 0, 0, 0,  /* mov r12, dst */
        0x49, 0xBD, 0, 0, 0, 0, 0, 0, 0, 0,  /* mov r13, src */
        0x49, 0x8B, 0x5D, 0x00,              /* 1: mov rbx, [r13] */
        0x49, 0x89, 0x1C, 0x24,              /* mov [r12], rbx */
        0x49, 0xFF, 0x44, 0x24, 0x08,        /* inc qword [r12+8] */
        0xB8, 0, 0, 0, 0,                    /* mov eax, nr */
        0x31, 0xFF,                          /* xor edi, edi */
        0xBE, 0, 0, 0, 0,                    /* mov esi, ns */
        0x0F, 0x05,                          /* syscall */
        0xEB, 0xE3,                          /* jmp 1b */
    };
    uint8_t *c = code + off;
    memcpy(c, t, sizeof t);
    memcpy(c + 2, &dst, 8);
    memcpy(c + 12, &src, 8);
    memcpy(c + 34, &nr, 4);
    memcpy(c + 41, &ns, 4);
}

/* The same without the system call: it spins for its whole time slice. */
static void gen_spin(uint8_t *code, unsigned off, uint64_t dst, uint64_t src)
{
    static const uint8_t t[] = {
        0x49, 0xBC, 0, 0, 0, 0, 0, 0, 0, 0,  /* mov r12, dst */
        0x49, 0xBD, 0, 0, 0, 0, 0, 0, 0, 0,  /* mov r13, src */
        0x49, 0x8B, 0x5D, 0x00,              /* 1: mov rbx, [r13] */
        0x49, 0x89, 0x1C, 0x24,              /* mov [r12], rbx */
        0x49, 0xFF, 0x44, 0x24, 0x08,        /* inc qword [r12+8] */
        0xEB, 0xF1,                          /* jmp 1b */
    };
    uint8_t *c = code + off;
    memcpy(c, t, sizeof t);
    memcpy(c + 2, &dst, 8);
    memcpy(c + 12, &src, 8);
}

/* Code offsets: each reads src and writes slot k of the data page
 * (DATA_VA + 16 k: the word read, then the count). */
#define L_YIELD_DATA2   0x000   /* slot 0: reads DATA2, yields */
#define L_YIELD_LOW     0x040   /* slot 1: reads LOW_VA, yields */
#define L_SLEEP_DATA2   0x080   /* slot 2: reads DATA2, sleeps 300 us */
#define L_SLEEP_DATA2B  0x0C0   /* slot 3: the same, another slot */
#define L_SPIN_DATA2    0x100   /* slot 4: reads DATA2, yields (a second borrower) */
#define L_SPIN_LOW      0x140   /* slot 6: reads LOW_VA, never yields */
#define L_YIELD_FAR     0x180   /* slot 7: reads FAR_VA, yields */
#define L_YIELD_REGION  0x1C0   /* slot 8: reads REGION_VA, yields */
#define FAR_VA          (AERIE_LENT_HIGH_START * 7 + 0x1000)   /* a top-level entry made after the borrow */
#define REGION_VA       0x300000ull                          /* the lent program region */
#define SLOT(k)         (DATA_VA + 16 * (k))

static uint64_t code_window;                 /* where we write the code: reserved once */

static int make_world(struct kt_env *env, struct world *w, uint64_t marker)
{
    memset(w, 0, sizeof *w);
    int64_t r = kt_create(env->quota, AERIE_OBJ_QUOTA, &w->q, 3 << 20, 12, 64);
    if (r)
        return (int)r;
    if ((r = wmake(w, AERIE_OBJ_TASK, &w->p, 0, 0, 0)) || (r = wmake(w, AERIE_OBJ_MEMORY, &w->code, 4096, 0, 0)) ||
        (r = wmake(w, AERIE_OBJ_MEMORY, &w->data, 4096, 0, 0)) ||
        (r = wmake(w, AERIE_OBJ_MEMORY, &w->data2, 4096, 0, 0)) ||
        (r = wmake(w, AERIE_OBJ_MEMORY, &w->low, 4096, 0, 0)))
        return (int)r;
    if (!code_window && !(code_window = ae_vm_reserve(4096)))
        return AE_ENOMEM;
    if ((r = ae_task_map(ae_self.task, w->code, 0, code_window, 4096, AERIE_MAP_R | AERIE_MAP_W)))
        return (int)r;
    uint8_t *c = (uint8_t *)code_window;
    gen_loop(c, L_YIELD_DATA2, SLOT(0), DATA2_VA, AERIE_SYS_YIELD, 0);
    gen_loop(c, L_YIELD_LOW, SLOT(1), LOW_VA, AERIE_SYS_YIELD, 0);
    gen_loop(c, L_SLEEP_DATA2, SLOT(2), DATA2_VA, AERIE_SYS_RECV, 300000);
    gen_loop(c, L_SLEEP_DATA2B, SLOT(3), DATA2_VA, AERIE_SYS_RECV, 300000);
    gen_loop(c, L_SPIN_DATA2, SLOT(4), DATA2_VA, AERIE_SYS_YIELD, 0);
    gen_spin(c, L_SPIN_LOW, SLOT(6), LOW_VA);
    gen_loop(c, L_YIELD_FAR, SLOT(7), FAR_VA, AERIE_SYS_YIELD, 0);
    gen_loop(c, L_YIELD_REGION, SLOT(8), REGION_VA, AERIE_SYS_YIELD, 0);
    ae_task_unmap(ae_self.task, code_window, 4096);
    if ((r = ae_task_map(w->p, w->code, 0, CODE_VA, 4096, AERIE_MAP_R | AERIE_MAP_X)) ||
        (r = ae_task_map(w->p, w->data, 0, DATA_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)) ||
        (r = ae_task_map(w->p, w->data2, 0, DATA2_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)) ||
        (r = ae_task_map(w->p, w->low, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W)))
        return (int)r;
    if ((r = kt_poke(w->p, (void *)DATA2_VA, marker)) || (r = kt_poke(w->p, (void *)LOW_VA, marker + 1)))
        return (int)r;
    return 0;
}

static void end_world(struct world *w)
{
    ae_invoke0(w->q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(w->q);
    ae_slot_free(w->q);
    for (unsigned i = 0; i < w->nslots; i++) {
        ae_cap_delete(w->slots[i]);
        ae_slot_free(w->slots[i]);
    }
    w->nslots = 0;
}

/* A thread of task at rip on cpu, faulting to ep; marked RUN_BORROWED if
 * asked; its slot goes with the world. */
static int go(struct world *w, uint64_t task, uint64_t rip, unsigned cpu, uint64_t ep, bool marked, uint64_t *th)
{
    int r = kt_start_at(w->q, task, rip, cpu, ep, marked, th);
    if (w->nslots < 32)
        w->slots[w->nslots++] = *th;
    return r;
}

static uint64_t slot_word(uint64_t task, unsigned k) { return kt_peek(task, (void *)SLOT(k)); }
static uint64_t slot_count(uint64_t task, unsigned k) { return kt_peek(task, (void *)(SLOT(k) + 8)); }

/* Waits until slot k's count moves past n (a read of ~0/~1 is no count). */
static bool wait_count(uint64_t task, unsigned k, uint64_t n, unsigned ms)
{
    uint64_t end = kt_now_ns() + ms * 1000000ull;
    for (;;) {
        uint64_t c = slot_count(task, k);
        if (c != ~0ull && c != ~1ull && c > n)
            return true;
        if (kt_now_ns() > end)
            return false;
        ae_sleep_ns(1000000);
    }
}

/* A map that waits for the lender's end (its reap) to detach the borrower. */
static int64_t map_when_detached(uint64_t task, uint64_t mem, uint64_t va, uint64_t flags)
{
    int64_t m = -1;
    for (int i = 0; i < 2000 && m; i++) {
        m = ae_task_map(task, mem, 0, va, 4096, flags);
        if (m == AE_EBUSY)
            ae_sleep_ns(1000000);
        else
            break;
    }
    return m;
}

static void drain(uint64_t ep)
{
    uint64_t badge, w[4];
    while (kt_recv(ep, 0, &badge, w) >= 0)
        ;
}

KTEST_CPUS(borrow_lender_clone_cuts_borrower, 2, "TASK_CLONE of a lender while a borrower's thread writes its lent page on another CPU: the write-protect reaches that CPU, the thread faults, the clone's page stays as it was cloned")
{
    struct world w;
    CHECK_OK(make_world(env, &w, 0x5eed));
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), c, th, pth;
    CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(ae_invokev(c, AERIE_TASK_BORROW, w.p));
    CHECK_OK(wmake(&w, AERIE_OBJ_THREAD, &pth, w.p, 0, 0));     /* the one thread CLONE copies */
    /* The borrower's thread writes slot 0 of the lender's data page on CPU 1 for ever. */
    CHECK_OK(go(&w, c, CODE_VA + L_YIELD_DATA2, 1, ep, false, &th));
    CHECK(wait_count(w.p, 0, 10, 5000));
    uint64_t cq, ct = ae_slot_alloc(), cth = ae_slot_alloc();
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_QUOTA, &cq, 2 << 20, 4, 64));
    CHECK_OK(ae_invokev(w.p, AERIE_TASK_CLONE, cq, w.q, ct, cth));
    /* The page is now shared copy-on-write: the borrower's next write faults. */
    uint64_t badge, fw[4];
    int64_t r = kt_recv(ep, 5000, &badge, fw);
    CHECK(r >= 0);
    CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
    CHECK(fw[0] == SLOT(0) || fw[0] == SLOT(0) + 8);
    uint64_t n = kt_peek(ct, (void *)(SLOT(0) + 8));
    ae_sleep_ns(30000000);
    CHECK_EQ(kt_peek(ct, (void *)(SLOT(0) + 8)), n);    /* the clone's copy: not written since */
    CHECK_EQ(slot_count(w.p, 0), n);                     /* nor the lender's */
    /* The lender's own write copies its page; the clone keeps the old one. */
    CHECK_OK(kt_poke(w.p, (void *)SLOT(5), 77));
    CHECK_EQ(kt_peek(ct, (void *)SLOT(5)), 0);
    CHECK_OK(ae_invoke0(cq, AERIE_QUOTA_DESTROY));
    ae_cap_delete(cq);
    ae_slot_free(ct);
    ae_slot_free(cth);
    end_world(&w);
    drain(ep);
}

KTEST_CPUS(borrow_unmap_while_lazy, 2, "a lender unmaps a lent page while CPU 1 idles with a borrower's tables kept: its RUN_BORROWED thread and the borrower's, waking there, fault at the page and read nothing more")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    for (int it = 0; it < 12; it++) {
        struct world w;
        CHECK_OK(make_world(env, &w, 0xd00d + it));
        uint64_t c, th, pth;
        CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
        CHECK_OK(ae_invokev(c, AERIE_TASK_BORROW, w.p));
        /* Both sleep between reads: CPU 1 idles with the borrower's tables
         * in CR3, and the lender's thread comes back onto them. */
        CHECK_OK(go(&w, c, CODE_VA + L_SLEEP_DATA2, 1, ep, false, &th));
        CHECK_OK(go(&w, w.p, CODE_VA + L_SLEEP_DATA2B, 1, ep, true, &pth));
        CHECK(wait_count(w.p, 2, 5, 5000));
        CHECK(wait_count(w.p, 3, 5, 5000));
        CHECK_EQ(slot_word(w.p, 2), 0xd00d + it);
        CHECK_EQ(slot_word(w.p, 3), 0xd00d + it);
        ae_sleep_ns((uint64_t)(it % 4) * 100000);
        CHECK_OK(ae_task_unmap(w.p, DATA2_VA, 4096));
        /* The page's own memory goes too: a stale entry would read a freed page. */
        CHECK_OK(ae_cap_delete(w.data2));
        unsigned faults = 0;
        uint64_t badge, fw[4];
        for (int i = 0; i < 2; i++) {
            int64_t r = kt_recv(ep, 5000, &badge, fw);
            CHECK(r >= 0);
            CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
            CHECK_EQ(fw[0], DATA2_VA);
            faults++;
        }
        uint64_t n2 = slot_count(w.p, 2), n3 = slot_count(w.p, 3);
        ae_sleep_ns(5000000);
        CHECK_EQ(slot_count(w.p, 2), n2);
        CHECK_EQ(slot_count(w.p, 3), n3);
        CHECK_EQ(faults, 2);
        end_world(&w);
        drain(ep);
    }
}

KTEST_CPUS(borrow_storm_destroy_orders, 2, "two borrowers and the lender's RUN_BORROWED thread switching on one CPU while the lender, a borrower, or everything is destroyed, or the lender maps and unmaps new tables: the marked thread always reads its own memory, the rest live on, nothing leaks")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), badge, fw[4];
    for (int it = 0; it < 25; it++) {
        struct world w;
        uint64_t marker = 0xa000 + (uint64_t)it * 16;
        CHECK_OK(make_world(env, &w, marker));
        uint64_t c1, c2, th1, th2, pth, mem;
        CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c1, 0, 0, 0));
        CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c2, 0, 0, 0));
        CHECK_OK(wmake(&w, AERIE_OBJ_MEMORY, &mem, 4096, 0, 0));
        CHECK_OK(ae_invokev(c1, AERIE_TASK_BORROW, w.p));
        CHECK_OK(ae_invokev(c2, AERIE_TASK_BORROW, w.p));
        CHECK_OK(go(&w, c1, CODE_VA + L_YIELD_DATA2, 1, ep, false, &th1));
        CHECK_OK(go(&w, w.p, CODE_VA + L_YIELD_LOW, 1, ep, true, &pth));
        CHECK_OK(go(&w, c2, CODE_VA + L_SPIN_DATA2, 1, ep, false, &th2));
        CHECK(wait_count(w.p, 0, 20, 5000));
        CHECK(wait_count(w.p, 1, 20, 5000));
        CHECK(wait_count(w.p, 4, 20, 5000));
        CHECK_EQ(slot_word(w.p, 1), marker + 1);        /* LOW_VA: its own, not a borrower's empty range */
        CHECK_EQ(slot_word(w.p, 0), marker);
        uint64_t n;
        switch (it % 5) {
        case 0:                                          /* the lender goes: the borrowers' code with it */
            CHECK_OK(ae_invoke0(w.p, AERIE_TASK_DESTROY));
            for (int i = 0; i < 2; i++) {
                int64_t r = kt_recv(ep, 5000, &badge, fw);
                CHECK(r >= 0);
                CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_PAGE);
                CHECK(fw[0] >= CODE_VA && fw[0] < CODE_VA + 0x3000);
            }
            /* Detached: the range is the borrower's own again. */
            CHECK_OK(map_when_detached(c1, mem, CODE_VA, AERIE_MAP_R | AERIE_MAP_W));
            CHECK_OK(map_when_detached(c2, mem, AERIE_LENT_REGION_START, AERIE_MAP_R));
            break;
        case 1:                                          /* a borrower goes under the marked thread */
            CHECK_OK(ae_invoke0(c1, AERIE_TASK_DESTROY));
            n = slot_count(w.p, 1);
            CHECK(wait_count(w.p, 1, n + 20, 5000));
            n = slot_count(w.p, 4);
            CHECK(wait_count(w.p, 4, n + 20, 5000));
            CHECK_EQ(slot_word(w.p, 1), marker + 1);
            CHECK_OK(ae_invoke0(c2, AERIE_TASK_DESTROY));
            n = slot_count(w.p, 1);
            CHECK(wait_count(w.p, 1, n + 20, 5000));
            CHECK_EQ(slot_word(w.p, 1), marker + 1);
            break;
        case 2:                                          /* new top-level tables, mapped and unmapped */
            for (uint64_t k = 2; k < 12; k++) {
                uint64_t va = AERIE_LENT_HIGH_START * (k + (uint64_t)it);
                CHECK_OK(ae_task_map(w.p, mem, 0, va, 4096, AERIE_MAP_R | AERIE_MAP_W));
                CHECK_OK(ae_task_unmap(w.p, va, 4096));
                CHECK_OK(ae_task_map(w.p, mem, 0, LOW_VA + 0x10000, 4096, AERIE_MAP_R));
                CHECK_OK(ae_task_unmap(w.p, LOW_VA + 0x10000, 4096));
            }
            n = slot_count(w.p, 1);
            CHECK(wait_count(w.p, 1, n + 20, 5000));
            CHECK_EQ(slot_word(w.p, 1), marker + 1);
            n = slot_count(w.p, 0);
            CHECK(wait_count(w.p, 0, n + 20, 5000));
            break;
        case 3:                                          /* everything at once, running */
            break;
        case 4:                                          /* borrowers first, then the lender */
            CHECK_OK(ae_invoke0(c2, AERIE_TASK_DESTROY));
            CHECK_OK(ae_invoke0(c1, AERIE_TASK_DESTROY));
            n = slot_count(w.p, 1);
            CHECK(wait_count(w.p, 1, n + 20, 5000));
            CHECK_EQ(slot_word(w.p, 1), marker + 1);
            CHECK_OK(ae_invoke0(w.p, AERIE_TASK_DESTROY));
            break;
        }
        end_world(&w);
        drain(ep);
    }
}

struct race {
    volatile int round, done, stop;
    volatile uint64_t c, p;
    volatile int64_t result;
};

static void borrower_side(void *arg)
{
    struct race *r = arg;
    int seen = 0;
    while (!r->stop) {
        if (r->round == seen) {
            ae_yield();
            continue;
        }
        seen = r->round;
        for (volatile int i = 0; i < (seen * 37) % 200; i++)
            ;
        r->result = ae_invokev(r->c, AERIE_TASK_BORROW, r->p);
        __atomic_store_n(&r->done, seen, __ATOMIC_RELEASE);
    }
}

KTEST_CPUS(borrow_while_lender_destroyed, 2, "BORROW on CPU 1 while CPU 0 destroys the lender, at many offsets: it succeeds and is undone by the lender's end, or is refused; never a borrower left naming freed tables (it maps its lent ranges after)")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    static struct race r;
    memset((void *)&r, 0, sizeof r);
    struct ae_thread side = { 0 };
    CHECK_OK(kt_thread(env, &side, borrower_side, (void *)&r, 1));
    unsigned ok = 0, refused = 0;
    for (int it = 1; it <= 40; it++) {
        struct world w;
        CHECK_OK(make_world(env, &w, (uint64_t)it));
        uint64_t c, mem;
        CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
        CHECK_OK(wmake(&w, AERIE_OBJ_MEMORY, &mem, 4096, 0, 0));
        r.c = c;
        r.p = w.p;
        __atomic_store_n(&r.round, it, __ATOMIC_RELEASE);
        for (volatile int i = 0; i < (it * 53) % 200; i++)
            ;
        CHECK_OK(ae_invoke0(w.p, AERIE_TASK_DESTROY));
        uint64_t end = kt_now_ns() + 5000000000ull;
        while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != it && kt_now_ns() < end)
            ae_yield();
        CHECK_EQ(r.done, it);
        if (r.result == 0)
            ok++;
        else if (r.result == AE_ECAP || r.result == AE_EDEAD)
            refused++;
        else
            CHECK_EQ(r.result, 0);
        /* Whatever happened, the lender is gone (once reaped): its
         * borrower, if it became one, is detached and maps there itself. */
        CHECK_OK(map_when_detached(c, mem, CODE_VA, AERIE_MAP_R | AERIE_MAP_W));
        CHECK_OK(ae_task_map(c, mem, 0, AERIE_LENT_REGION_START, 4096, AERIE_MAP_R));
        end_world(&w);
    }
    r.stop = 1;
    CHECK(ok + refused == 40);
}

KTEST(borrow_refused_more, "BORROW with every other object type as the lender, huge and negative slots, a lender the caller's own task maps its program in; RUN_BORROWED by a task capability")
{
    struct world w;
    CHECK_OK(make_world(env, &w, 1));
    uint64_t c, th, ep, ntfn;
    CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(wmake(&w, AERIE_OBJ_THREAD, &th, w.p, 0, 0));
    CHECK_OK(wmake(&w, AERIE_OBJ_ENDPOINT, &ep, 0, 0, 0));
    CHECK_OK(wmake(&w, AERIE_OBJ_NOTIFICATION, &ntfn, 0, 0, 0));
    uint64_t f0 = kt_free_pages();
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, th), AE_ETYPE);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, ep), AE_ETYPE);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, ntfn), AE_ETYPE);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, w.q), AE_ETYPE);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, ~0ull), AE_ECAP);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, 1ull << 63), AE_ECAP);
    CHECK_EQ(ae_invokev(th, AERIE_TASK_BORROW, w.p), AE_ENOSYS);    /* a thread has no method 13 */
    /* Our own task maps its program in the region: it borrows nothing. */
    CHECK_EQ(ae_invokev(ae_self.task, AERIE_TASK_BORROW, w.p), AE_EBUSY);
    CHECK_EQ(kt_free_pages(), f0);
    /* A MANAGE-only copy of each is enough; READ-only of either is not. */
    uint64_t cm = kt_mint(c, AERIE_R_MANAGE, 0), pm = kt_mint(w.p, AERIE_R_MANAGE, 0);
    uint64_t cr = kt_mint(c, AERIE_R_ALL & ~AERIE_R_MANAGE, 0), pr = kt_mint(w.p, AERIE_R_ALL & ~AERIE_R_MANAGE, 0);
    CHECK(cm && pm && cr && pr);
    CHECK_EQ(ae_invokev(cr, AERIE_TASK_BORROW, pm), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(cm, AERIE_TASK_BORROW, pr), AE_ERIGHTS);
    CHECK_OK(ae_invokev(cm, AERIE_TASK_BORROW, pm));
    CHECK_EQ(kt_free_pages(), f0);
    /* Borrowing in a circle, or back and forth, is refused both ways. */
    CHECK_EQ(ae_invokev(w.p, AERIE_TASK_BORROW, c), AE_EBUSY);
    CHECK_EQ(ae_invokev(c, AERIE_TASK_BORROW, c), AE_EINVAL);
    end_world(&w);
}

KTEST_CPUS(borrow_unmark_loads_own_tables, 2, "a lender's RUN_BORROWED thread spinning on a borrower's tables reads the borrower's memory outside the lent ranges (the promise it made); once the mark is taken off it reads its own at once, not for the rest of its time slice")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    struct world w;
    CHECK_OK(make_world(env, &w, 0x1000));                /* the lender's LOW_VA holds 0x1001 */
    uint64_t c, th, pth, secret;
    CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
    CHECK_OK(wmake(&w, AERIE_OBJ_MEMORY, &secret, 4096, 0, 0));
    CHECK_OK(ae_task_map(c, secret, 0, LOW_VA, 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(kt_poke(c, (void *)LOW_VA, 0x5ec7e7));
    CHECK_OK(ae_invokev(c, AERIE_TASK_BORROW, w.p));
    /* The borrower's thread yields at once each time: the lender's
     * thread follows it on CPU 1 and spins on its tables for a slice. */
    CHECK_OK(go(&w, c, CODE_VA + L_YIELD_DATA2, 1, ep, false, &th));
    CHECK_OK(go(&w, w.p, CODE_VA + L_SPIN_LOW, 1, ep, true, &pth));
    unsigned seen = 0;
    for (int it = 0; it < 20; it++) {
        CHECK_OK(ae_invokev(pth, AERIE_THREAD_RUN_BORROWED, 1));
        uint64_t end = kt_now_ns() + 5000000000ull;
        while (slot_word(w.p, 6) != 0x5ec7e7 && kt_now_ns() < end)
            ;
        if (slot_word(w.p, 6) != 0x5ec7e7)
            continue;                                    /* not on the borrower's tables this time */
        seen++;
        CHECK_OK(ae_invokev(pth, AERIE_THREAD_RUN_BORROWED, 0));
        uint64_t n = slot_count(w.p, 6);
        CHECK(wait_count(w.p, 6, n + 3, 5000));
        CHECK_EQ(slot_word(w.p, 6), 0x1001);             /* read after the mark went: its own */
        ae_sleep_ns(3000000);
        CHECK_EQ(slot_word(w.p, 6), 0x1001);
    }
    CHECK(seen > 0);
    uint64_t badge, fw[4];
    CHECK_EQ(kt_recv(ep, 0, &badge, fw), AE_ETIMEOUT);
    end_world(&w);
    drain(ep);
}

KTEST_CPUS(borrow_lender_maps_later, 2, "what the lender maps after the borrow — under a new top-level entry, and in the program region — its marked thread on a borrower's tables and the borrower's threads read at once, with no fault")
{
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), badge, fw[4];
    for (int it = 0; it < 6; it++) {
        struct world w;
        CHECK_OK(make_world(env, &w, 0x7700 + (uint64_t)it));
        uint64_t c, th, th2, pth, pth2;
        CHECK_OK(wmake(&w, AERIE_OBJ_TASK, &c, 0, 0, 0));
        CHECK_OK(ae_invokev(c, AERIE_TASK_BORROW, w.p));
        CHECK_OK(go(&w, c, CODE_VA + L_YIELD_DATA2, 1, ep, false, &th));
        CHECK(wait_count(w.p, 0, 5, 5000));
        CHECK_OK(ae_task_map(w.p, w.data2, 0, FAR_VA, 4096, AERIE_MAP_R));
        CHECK_OK(ae_task_map(w.p, w.data2, 0, REGION_VA, 4096, AERIE_MAP_R));
        /* Marked threads of the lender: they follow the borrower's on CPU 1. */
        CHECK_OK(go(&w, w.p, CODE_VA + L_YIELD_FAR, 1, ep, true, &pth));
        CHECK_OK(go(&w, w.p, CODE_VA + L_YIELD_REGION, 1, ep, true, &pth2));
        CHECK(wait_count(w.p, 7, 20, 5000));
        CHECK(wait_count(w.p, 8, 20, 5000));
        CHECK_EQ(slot_word(w.p, 7), 0x7700 + (uint64_t)it);
        CHECK_EQ(slot_word(w.p, 8), 0x7700 + (uint64_t)it);
        /* And the borrower's own thread reads there too. */
        CHECK_OK(go(&w, c, CODE_VA + L_YIELD_FAR, 1, ep, false, &th2));
        uint64_t n = slot_count(w.p, 7);
        CHECK(wait_count(w.p, 7, n + 20, 5000));
        CHECK_EQ(kt_recv(ep, 0, &badge, fw), AE_ETIMEOUT);
        end_world(&w);
        drain(ep);
    }
}
