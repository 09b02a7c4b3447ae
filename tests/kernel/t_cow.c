/*
 * t_cow.c — TASK_CLONE (kernel/task_clone.c) and copy-on-write Memory
 * (kernel/memobj.c): a clone sees the source's memory as it was, neither
 * sees the other's later writes, a diverging page is charged to the one
 * that wrote it (exactly one page), registers and capability slots are
 * copied, every bad argument fails cleanly with nothing made, running
 * clones fault their own copies in, and everything comes back when the
 * quotas go (the harness checks free pages and objects after each test).
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/trace.h>

#define CVA 0x5A000000ull               /* where the sources map their memory */
#define PAGES 8

struct src {
    uint64_t q, task, thread, mem;
};

static uint64_t used(uint64_t q)
{
    uint64_t info[6] = { 0 };
    ae_quota_info(q, info);
    return info[1];
}

/* A task with one inactive thread and PAGES pages at CVA, all from s->q. */
static int make_source(struct kt_env *env, struct src *s, uint64_t memflags)
{
    s->q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64);
    int64_t r;
    if ((r = kt_create(s->q, AERIE_OBJ_TASK, &s->task, 0, 0, 0)) ||
        (r = kt_create(s->q, AERIE_OBJ_THREAD, &s->thread, s->task, 0, 0)) ||
        (r = kt_create(s->q, AERIE_OBJ_MEMORY, &s->mem, PAGES * 4096, memflags, 0)))
        return (int)r;
    return (int)ae_task_map(s->task, s->mem, 0, CVA, PAGES * 4096, AERIE_MAP_R | AERIE_MAP_W);
}

static int64_t put(uint64_t task, uint64_t va, uint64_t v)
{
    return ae_invoke(task, AERIE_TASK_WRITE, 3, (uint64_t[]){ va, 8, v }, 0, 0);
}

static uint64_t get(uint64_t task, uint64_t va)
{
    uint64_t v = ~0ull;
    if (ae_invoke(task, AERIE_TASK_READ, 2, (uint64_t[]){ va, 8 }, &v, 1))
        return ~1ull;
    return v;
}

static int64_t clone(uint64_t task, uint64_t q, uint64_t srcq, uint64_t *t, uint64_t *th)
{
    *t = ae_slot_alloc();
    *th = ae_slot_alloc();
    return ae_invokev(task, AERIE_TASK_CLONE, q, srcq, *t, *th);
}

static void shares_then_diverges(struct kt_env *env, uint64_t memflags)
{
    struct src s;
    CHECK_OK(make_source(env, &s, memflags));
    for (uint64_t i = 0; i < 4; i++)
        CHECK_OK(put(s.task, CVA + i * 4096, 100 + i));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    uint64_t src_used = used(s.q), shared = (memflags & AERIE_MEM_LAZY) ? 4 : PAGES, free0 = kt_free_pages();
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    uint64_t u0 = used(q);
    /* Charged for every page it shares (review3 F1) and its objects and
     * page tables, but physically only the objects and page tables. */
    CHECK(u0 >= shared * 4096 && u0 < shared * 4096 + 64 * 1024);
    CHECK(free0 - kt_free_pages() < 16);
    for (uint64_t i = 0; i < 4; i++)
        CHECK_EQ(get(t, CVA + i * 4096), 100 + i);
    CHECK_EQ(get(t, CVA + 6 * 4096), 0);    /* lazy: never touched; eager: zero */
    CHECK_OK(put(t, CVA + 4096, 7001));      /* the clone writes: its own copy; its charge moves there */
    CHECK_EQ(used(q), u0);
    CHECK_EQ(get(t, CVA + 4096), 7001);
    CHECK_EQ(get(s.task, CVA + 4096), 101);  /* the source does not see it */
    CHECK_EQ(get(t, CVA + 4096 + 8), 0);     /* the rest of the page copied as it was */
    CHECK_OK(put(s.task, CVA + 2 * 4096, 5002));   /* the source writes: its charge moves to its copy */
    CHECK_EQ(used(s.q), src_used);
    CHECK_EQ(get(t, CVA + 2 * 4096), 102);   /* the clone does not see it */
    CHECK_EQ(get(s.task, CVA + 2 * 4096), 5002);
    CHECK_OK(put(t, CVA + 2 * 4096, 7002));  /* its alone now: written in place */
    CHECK_EQ(used(q), u0);
    CHECK_EQ(get(s.task, CVA + 2 * 4096), 5002);
    if (memflags & AERIE_MEM_LAZY) {
        CHECK_OK(put(t, CVA + 6 * 4096, 7006));    /* a page nobody had: the clone's, charged */
        CHECK_EQ(used(q), u0 + 4096);
        CHECK_EQ(get(s.task, CVA + 6 * 4096), 0);
    }
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(get(s.task, CVA + 3 * 4096), 103);    /* the source keeps the pages it shared */
}

KTEST(cow_clone_shares_then_diverges_lazy, "a clone of a lazy object sees its pages, and each side's writes are its own, charged exactly")
{
    shares_then_diverges(env, AERIE_MEM_LAZY);
}

KTEST(cow_clone_shares_then_diverges_eager, "the same for an object allocated at creation")
{
    shares_then_diverges(env, 0);
}

KTEST(cow_source_destroyed_first, "a clone keeps the shared pages when the source and its quota go first")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    for (uint64_t i = 0; i < PAGES; i++)
        CHECK_OK(put(s.task, CVA + i * 4096, 300 + i));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    CHECK_OK(ae_invoke0(s.q, AERIE_QUOTA_DESTROY));
    for (uint64_t i = 0; i < PAGES; i++)
        CHECK_EQ(get(t, CVA + i * 4096), 300 + i);
    CHECK_OK(put(t, CVA, 9));                /* the last holder writes in place */
    CHECK_EQ(get(t, CVA), 9);
}

KTEST(cow_clone_of_clone, "a clone can be cloned; three views of one page stay apart")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    CHECK_OK(put(s.task, CVA, 1));
    uint64_t q1 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t1, th1;
    uint64_t q2 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t2, th2;
    CHECK_OK(clone(s.task, q1, s.q, &t1, &th1));
    CHECK_OK(clone(t1, q2, q1, &t2, &th2));
    CHECK_OK(put(t1, CVA, 2));
    CHECK_OK(put(t2, CVA, 3));
    CHECK_EQ(get(s.task, CVA), 1);
    CHECK_EQ(get(t1, CVA), 2);
    CHECK_EQ(get(t2, CVA), 3);
}

KTEST(cow_registers_copied, "the clone's thread has the source thread's registers")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t regs[AERIE_REG_COUNT] = { 0 }, out[AERIE_REG_COUNT];
    regs[AERIE_REG_RIP] = 0x201234;
    regs[AERIE_REG_RSP] = CVA + 4096;
    regs[AERIE_REG_RAX] = 0xAAAA;
    regs[AERIE_REG_RBX] = 0xBBBB;
    regs[AERIE_REG_R15] = 0xF15F15;
    regs[AERIE_REG_FS_BASE] = CVA + 64;
    uint64_t mask = 1u << AERIE_REG_RIP | 1u << AERIE_REG_RSP | 1u << AERIE_REG_RAX | 1u << AERIE_REG_RBX |
                    1u << AERIE_REG_R15 | 1u << AERIE_REG_FS_BASE;
    CHECK_OK(ae_thread_set_regs(s.thread, mask, regs));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    CHECK_OK(ae_invoke(th, AERIE_THREAD_GET_REGS, 0, 0, out, AERIE_REG_COUNT));
    for (unsigned r = 0; r < AERIE_REG_COUNT; r++)
        if (mask & (1u << r))
            CHECK_EQ(out[r], regs[r]);
    uint64_t info[5] = { 0 };
    CHECK_OK(ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 5));
    CHECK_EQ(info[0], 0);                    /* inactive: the caller starts it */
}

KTEST(cow_capabilities_translated, "the clone's slots name its own task, thread, quota and memory; others' objects are shared; its own quotas are refused")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t ep;
    CHECK_OK(kt_create(s.q, AERIE_OBJ_ENDPOINT, &ep, 0, 0, 0));
    uint64_t foreign = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    uint64_t badged = kt_mint(ep, AERIE_R_ALL, 77);
    CHECK_OK(ae_task_cap_copy(s.task, s.task, 5, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, s.thread, 6, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, s.q, 7, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, s.mem, 8, AERIE_R_READ, 0));
    CHECK_OK(ae_task_cap_copy(s.task, badged, 9, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, foreign, 10, AERIE_R_WRITE, 0));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    for (uint64_t slot = 5; slot <= 10; slot++)
        CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, slot));     /* each one is there... */
    CHECK_EQ(ae_invokev(t, AERIE_TASK_CAP_DELETE, 11), AE_ECAP);  /* ...and nothing else */
    CHECK_OK(ae_signal(foreign, 1));         /* the shared one still works for its owner */
    /* A quota of its own below its quota cannot be copied: refused, nothing made. */
    uint64_t child;
    CHECK_OK(kt_create(s.q, AERIE_OBJ_QUOTA, &child, 4096 * 4, 1, 4));
    CHECK_OK(ae_task_cap_copy(s.task, child, 12, AERIE_R_ALL, 0));
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects(), t2, th2;
    CHECK_EQ(clone(s.task, q, s.q, &t2, &th2), AE_ETYPE);
    CHECK_EQ(kt_free_pages(), free0);
    CHECK_EQ(kt_objects(), obj0);
    CHECK_EQ(ae_cap_info(t2, &(uint64_t){ 0 }), AE_ECAP);
}

KTEST(cow_clone_refusals, "wrong caps, slots, rights, thread counts and quotas fail cleanly with the argument named")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64);
    uint64_t t = ae_slot_alloc(), th = ae_slot_alloc(), other = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 8);
    struct aerie_utcb *u = ae_utcb();
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects();
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, s.mem, s.q, t, th), AE_ETYPE);      /* not a quota */
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, other, t, th), AE_EINVAL);       /* not the source's */
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, s.mem, th), AE_EBUSY);      /* slot taken */
    CHECK_EQ(u->mr[0], 2);
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, t), AE_EBUSY);           /* the same slot */
    CHECK_EQ(u->mr[0], 3);
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, 1ull << 40), AE_EINVAL); /* no such slot */
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t), AE_EINVAL);             /* a word short */
    CHECK_EQ(ae_invokev(ae_self.task, AERIE_TASK_CLONE, q, env->quota, t, th), AE_EINVAL);   /* itself */
    uint64_t ro = kt_mint(s.task, AERIE_R_READ, 0);
    CHECK_EQ(ae_invokev(ro, AERIE_TASK_CLONE, q, s.q, t, th), AE_ERIGHTS);
    uint64_t qro = kt_mint(q, AERIE_R_READ, 0);
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, qro, s.q, t, th), AE_ERIGHTS);
    uint64_t tiny = kt_new(env, AERIE_OBJ_QUOTA, 3 * 4096, 4, 64);
    uint64_t f1 = kt_free_pages(), o1 = kt_objects();
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, tiny, s.q, t, th), AE_ENOMEM);     /* no room */
    CHECK_EQ(kt_free_pages(), f1);
    CHECK_EQ(kt_objects(), o1);
    CHECK_EQ(used(tiny), 0);
    uint64_t th2;                            /* two threads: refused */
    CHECK_OK(kt_create(s.q, AERIE_OBJ_THREAD, &th2, s.task, 0, 0));
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, th), AE_ELIMIT);
    CHECK_OK(ae_invoke0(th2, AERIE_THREAD_DESTROY));
    CHECK_OK(ae_invoke0(s.thread, AERIE_THREAD_DESTROY));   /* none: nothing to copy */
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, th), AE_EINVAL);
    CHECK_EQ(ae_cap_info(t, &(uint64_t){ 0 }), AE_ECAP);   /* nothing was ever installed */
    CHECK_EQ(ae_cap_info(th, &(uint64_t){ 0 }), AE_ECAP);
    (void)free0, (void)obj0;
}

KTEST(cow_mapped_by_another_task_is_not_shared, "memory another address space maps too reaches the clone zeroed, never shared")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    CHECK_OK(put(s.task, CVA, 42));
    uint64_t t0;                             /* a second task (a service, say) maps the same object */
    CHECK_OK(kt_create(s.q, AERIE_OBJ_TASK, &t0, 0, 0, 0));
    CHECK_OK(ae_task_map(t0, s.mem, 0, CVA, PAGES * 4096, AERIE_MAP_R | AERIE_MAP_W));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    CHECK_EQ(get(t, CVA), 0);
    CHECK_OK(put(t0, CVA, 43));              /* the other task's writes reach the source only */
    CHECK_EQ(get(s.task, CVA), 43);
    CHECK_EQ(get(t, CVA), 0);
}

KTEST(cow_object_stays_in_one_address_space, "a copy-on-write object cannot be mapped into a second address space")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    uint64_t t0;
    CHECK_OK(kt_create(s.q, AERIE_OBJ_TASK, &t0, 0, 0, 0));
    CHECK_EQ(ae_task_map(t0, s.mem, 0, CVA, PAGES * 4096, AERIE_MAP_R), AE_EBUSY);
    CHECK_OK(ae_task_map(s.task, s.mem, 0, CVA + PAGES * 4096, 4096, AERIE_MAP_R));   /* its own: fine */
}

extern volatile uint64_t cow_ready, cow_go, cow_who;

KTEST(cow_running_clones_fault_their_own_copies, "an original and two clones, running, each rewrite one row and see only their own")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 64);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t fe[3];
    for (unsigned i = 0; i < 3; i++)
        fe[i] = kt_mint(ep, AERIE_R_WRITE, 1 + i);
    struct ae_child child;
    CHECK_OK(kt_spawn_role(q, "cow", 0, 0, fe[0], -1, &child, 0));
    uint64_t ready = 0;
    for (int i = 0; i < 5000 && ready != 1; i++) {
        ae_invoke(child.task, AERIE_TASK_READ, 2, (uint64_t[]){ (uint64_t)&cow_ready, 8 }, &ready, 1);
        ae_sleep_ns(1000000);
    }
    CHECK_EQ(ready, 1);
    CHECK_OK(ae_invoke0(child.thread, AERIE_THREAD_SUSPEND));
    uint64_t task[3] = { child.task }, thread[3] = { child.thread };
    for (unsigned i = 1; i < 3; i++) {
        uint64_t cq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 64);
        CHECK_OK(clone(child.task, cq, q, &task[i], &thread[i]));
        CHECK_OK(ae_invokev(thread[i], AERIE_THREAD_SET_HANDLER, fe[i]));
    }
    for (unsigned i = 0; i < 3; i++) {
        CHECK_OK(put(task[i], (uint64_t)&cow_who, i));
        CHECK_OK(put(task[i], (uint64_t)&cow_go, 1));
        CHECK_OK(ae_invoke0(thread[i], AERIE_THREAD_RESUME));
    }
    unsigned seen = 0;
    for (unsigned n = 0; n < 3; n++) {
        uint64_t badge, w[4];
        int64_t r = kt_recv(ep, 10000, &badge, w);
        CHECK(r >= 0);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
        CHECK_EQ(w[0], 0);                   /* 10 + row: a row that was not as it should be */
        CHECK(badge >= 1 && badge <= 3);
        seen |= 1u << badge;
    }
    CHECK_EQ(seen, 0xE);
}

/* review3 F1: only a quota capability with AERIE_R_CLONE names a source;
 * QUOTA_CREATE hands the right down only from a capability that has it. */
KTEST(cow_clone_needs_clone_right, "TASK_CLONE needs AERIE_R_CLONE on the source's quota; R_ALL is not enough and cannot make it")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t = ae_slot_alloc(), th = ae_slot_alloc();
    uint64_t badge = 0;
    int64_t tr = ae_cap_info(s.q, &badge);
    CHECK(tr > 0 && ((tr >> 8) & AERIE_R_CLONE));        /* made from the boot quota's line */
    uint64_t plain = kt_mint(s.q, AERIE_R_ALL, 0);   /* what cm gives a container as self.quota */
    uint64_t obj0 = kt_objects();
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, plain, t, th), AE_ERIGHTS);
    CHECK_EQ(ae_utcb()->mr[0], 1);
    CHECK_EQ(kt_objects(), obj0);
    /* What a container makes from such a quota has no R_CLONE either. */
    uint64_t sub = ae_slot_alloc(), st, sth2, smem;
    CHECK_OK(ae_quota_create(plain, AERIE_OBJ_QUOTA, sub, 1 << 20, 2, 16));
    tr = ae_cap_info(sub, &badge);
    CHECK(tr > 0 && !((tr >> 8) & AERIE_R_CLONE));
    CHECK_OK(kt_create(sub, AERIE_OBJ_TASK, &st, 0, 0, 0));
    CHECK_OK(kt_create(sub, AERIE_OBJ_THREAD, &sth2, st, 0, 0));
    CHECK_OK(kt_create(sub, AERIE_OBJ_MEMORY, &smem, 4096, 0, 0));
    CHECK_EQ(ae_invokev(st, AERIE_TASK_CLONE, q, sub, t, th), AE_ERIGHTS);
    CHECK_EQ(ae_invokev(st, AERIE_TASK_CLONE, sub, sub, t, th), AE_ERIGHTS);
    CHECK_OK(ae_invoke0(sub, AERIE_QUOTA_DESTROY));
    CHECK_OK(clone(s.task, q, s.q, &t, &th));   /* the right one works */
}

/* review3 F6: a clone's thread gets the source thread's own (base)
 * priority, never a start boost the source had when it was stopped (here
 * boosted and suspended before it ever ran, both pinned beside us on
 * CPU 0 so it cannot run meanwhile). */
KTEST(cow_clone_gets_base_priority, "a clone's thread runs at the source's base priority, not a start boost the source was suspended with")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t info[4] = { 0 };
    CHECK_OK(ae_invokev(ae_self.thread, AERIE_THREAD_SET_AFFINITY, 0));
    CHECK_OK(ae_invoke(ae_self.thread, AERIE_THREAD_INFO, 0, 0, info, 4));
    uint64_t mine = info[2];
    CHECK(mine >= 2);
    uint64_t regs[AERIE_REG_COUNT] = { 0 };
    regs[AERIE_REG_RIP] = CVA;
    regs[AERIE_REG_RSP] = CVA + 4096;
    CHECK_OK(ae_thread_set_regs(s.thread, 1u << AERIE_REG_RIP | 1u << AERIE_REG_RSP, regs));
    CHECK_OK(ae_invokev(s.thread, AERIE_THREAD_SET_AFFINITY, 0));
    CHECK_OK(ae_invokev(s.thread, AERIE_THREAD_SET_PRIORITY, 1));
    CHECK_OK(ae_invokev(s.thread, AERIE_THREAD_RESUME, AERIE_RESUME_BOOST));
    CHECK_OK(ae_invoke0(s.thread, AERIE_THREAD_SUSPEND));      /* before it ever ran */
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    CHECK_OK(ae_invoke(th, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 1);
    CHECK_OK(ae_invoke(s.thread, AERIE_THREAD_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 1);
}

/* review3 F4: memory whose physical address was handed out, or a trace
 * buffer, is written without the COW break: never cloned. */
KTEST(cow_pinned_memory_refused, "memory whose physical address was handed out, or a trace buffer, is never cloned; a cloned one cannot become a trace buffer")
{
    struct src s;
    CHECK_OK(make_source(env, &s, 0));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    uint64_t pa = 0;
    CHECK_OK(ae_invoke(s.mem, AERIE_MEM_PHYS, 1, (uint64_t[]){ 4096 }, &pa, 1));
    CHECK(pa != 0);
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects();
    CHECK_EQ(clone(s.task, q, s.q, &t, &th), AE_ETYPE);
    CHECK_EQ(kt_free_pages(), free0);
    CHECK_EQ(kt_objects(), obj0);
    CHECK_EQ(used(q), 0);
    /* A trace buffer the traced container also maps. */
    struct src s2;
    CHECK_OK(make_source(env, &s2, 0));
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_TRACE, s2.q, s2.mem, 1ull << AERIE_TRACE_CALL));
    CHECK_EQ(clone(s2.task, q, s2.q, &t, &th), AE_ETYPE);
    CHECK_OK(ae_invokev(env->quota, AERIE_QUOTA_TRACE, s2.q, 0, 0));
    /* A source already cloned (its pages shared) cannot become one. */
    struct src s3;
    CHECK_OK(make_source(env, &s3, 0));
    CHECK_OK(clone(s3.task, q, s3.q, &t, &th));
    CHECK_EQ(ae_invokev(env->quota, AERIE_QUOTA_TRACE, s3.q, s3.mem, 1ull << AERIE_TRACE_CALL), AE_EBUSY);
}

/* review3 F3: with AERIE_CLONE_OWN_CAPS (what cm passes) a capability to
 * an object the source does not own (the original's fault endpoint, fs
 * session, ...) is not copied into the clone in any slot; shared Memory
 * and its own objects are. */
KTEST(cow_own_caps_only, "CLONE with AERIE_CLONE_OWN_CAPS copies no capability to another's endpoint or notification; bad flags are refused")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t ep;
    CHECK_OK(kt_create(s.q, AERIE_OBJ_ENDPOINT, &ep, 0, 0, 0));
    uint64_t fault = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0), foreign = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    uint64_t shared = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    uint64_t fbadged = kt_mint(fault, AERIE_R_WRITE, 0x5EED);
    CHECK_OK(ae_task_cap_copy(s.task, fbadged, 20, AERIE_R_WRITE, 0));   /* "self.fault" ... */
    CHECK_OK(ae_task_cap_copy(s.task, fbadged, 200, AERIE_R_WRITE, 0));  /* ... and a copy elsewhere */
    CHECK_OK(ae_task_cap_copy(s.task, foreign, 201, AERIE_R_WRITE, 0));
    CHECK_OK(ae_task_cap_copy(s.task, ep, 202, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, shared, 203, AERIE_R_READ, 0));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t = ae_slot_alloc(), th = ae_slot_alloc();
    uint64_t obj0 = kt_objects();
    CHECK_EQ(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, th, 0x4), AE_EINVAL); /* unknown flag */
    CHECK_EQ(ae_utcb()->mr[0], 4);
    CHECK_EQ(kt_objects(), obj0);
    CHECK_OK(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t, th, AERIE_CLONE_OWN_CAPS));
    CHECK_EQ(ae_invokev(t, AERIE_TASK_CAP_DELETE, 20), AE_ECAP);    /* the original's grants: gone */
    CHECK_EQ(ae_invokev(t, AERIE_TASK_CAP_DELETE, 200), AE_ECAP);
    CHECK_EQ(ae_invokev(t, AERIE_TASK_CAP_DELETE, 201), AE_ECAP);
    CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, 202));            /* its own endpoint: a fresh one */
    CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, 203));            /* shared memory stays */
    /* Without the flag, a grant is shared as it is (cow_capabilities_translated). */
    uint64_t t2 = ae_slot_alloc(), th2 = ae_slot_alloc();
    CHECK_OK(ae_invokev(s.task, AERIE_TASK_CLONE, q, s.q, t2, th2));
    CHECK_OK(ae_invokev(t2, AERIE_TASK_CAP_DELETE, 200));
}

/* review3 F8: the walk over the source's slots skips chunks never made,
 * so a capability near AERIE_CSPACE_MAX costs one chunk, not a walk over
 * every slot below it; what is in the far chunk, and in a chunk after a
 * gap, is still copied. */
KTEST(cow_sparse_cspace, "a source with capabilities far apart (slot 1 chunk, a gap, the last slot) is cloned with each of them and nothing else")
{
    struct src s;
    CHECK_OK(make_source(env, &s, AERIE_MEM_LAZY));
    uint64_t ep, n;
    CHECK_OK(kt_create(s.q, AERIE_OBJ_ENDPOINT, &ep, 0, 0, 0));
    CHECK_OK(kt_create(s.q, AERIE_OBJ_NOTIFICATION, &n, 0, 0, 0));
    const uint64_t far = AERIE_CSPACE_MAX - 1, mid = AERIE_CSPACE_MAX / 2;
    CHECK_OK(ae_task_cap_copy(s.task, ep, far, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, n, mid, AERIE_R_ALL, 0));
    CHECK_OK(ae_task_cap_copy(s.task, ep, 3, AERIE_R_ALL, 0));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t, th;
    CHECK_OK(clone(s.task, q, s.q, &t, &th));
    uint64_t info[4] = { 0 };
    CHECK_OK(ae_invoke(t, AERIE_TASK_INFO, 0, 0, info, 4));
    CHECK_EQ(info[2], 3);                    /* exactly three slots used */
    CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, far));
    CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, mid));
    CHECK_OK(ae_invokev(t, AERIE_TASK_CAP_DELETE, 3));
}

/* attack6: a MAP of memory racing a TASK_CLONE that passes the same
 * memory by capability (the source holds it, maps it nowhere). The map
 * used to read "not copy-on-write", make writable entries for every page
 * and only then link itself to the object: a clone between the two
 * shared the pages, and the entries stayed writable, so the mapper wrote
 * straight into the clone's memory (another container, after `aerie
 * fork`). Now the mapping is linked before its entries are made: the
 * clone sees it (and gives its copy zeroed memory), or the map sees the
 * object copy-on-write and enters nothing. Whichever wins, every page the
 * mapper then writes of an object shared copy-on-write is a fresh copy. */
#define RACE_PAGES 128
#define RACE_VA 0x5C000000ull
static volatile int race_round, race_mapped_round, race_cloned_round, race_stop;
static volatile int64_t race_map_r, race_clone_r;
static volatile uint64_t race_mem, race_task, race_cq, race_sq, race_t, race_th, race_delay_map, race_delay_clone;

static void spin(uint64_t n)
{
    for (volatile uint64_t i = 0; i < n; i++)
        ;
}

static void race_mapper(void *arg)
{
    (void)arg;
    for (int seen = 0; !race_stop;) {
        int r = __atomic_load_n(&race_round, __ATOMIC_ACQUIRE);
        if (r == seen) {
            ae_yield();
            continue;
        }
        seen = r;
        spin(race_delay_map);
        race_map_r = ae_task_map(ae_self.task, race_mem, 0, RACE_VA, RACE_PAGES * 4096,
                                 AERIE_MAP_R | AERIE_MAP_W);
        __atomic_store_n(&race_mapped_round, r, __ATOMIC_RELEASE);
    }
}

static void race_cloner(void *arg)
{
    (void)arg;
    for (int seen = 0; !race_stop;) {
        int r = __atomic_load_n(&race_round, __ATOMIC_ACQUIRE);
        if (r == seen) {
            ae_yield();
            continue;
        }
        seen = r;
        spin(race_delay_clone);
        race_clone_r = ae_invokev(race_task, AERIE_TASK_CLONE, race_cq, race_sq, race_t, race_th);
        __atomic_store_n(&race_cloned_round, r, __ATOMIC_RELEASE);
    }
}

static bool round_done(int r)
{
    for (unsigned i = 0; i < 20000; i++) {
        if (__atomic_load_n(&race_mapped_round, __ATOMIC_ACQUIRE) == r &&
            __atomic_load_n(&race_cloned_round, __ATOMIC_ACQUIRE) == r)
            return true;
        ae_sleep_ns(100000);
    }
    return false;
}

KTEST_CPUS(cow_clone_races_a_map, 2, "a map racing a clone that shares the same memory never leaves writable entries to shared pages")
{
    static struct ae_thread mapper, cloner;
    race_stop = 0;
    race_round = race_mapped_round = race_cloned_round = 0;
    CHECK_OK(kt_thread(env, &mapper, race_mapper, 0, 1));
    CHECK_OK(kt_thread(env, &cloner, race_cloner, 0, 0));
    unsigned shared_rounds = 0;
    for (int r = 1; r <= 96; r++) {
        uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 2, 16), cq = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 2, 16);
        uint64_t task, thread, mem;
        CHECK(sq && cq);
        CHECK_OK(kt_create(sq, AERIE_OBJ_TASK, &task, 0, 0, 0));
        CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &thread, task, 0, 0));
        CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &mem, RACE_PAGES * 4096, 0, 0));
        CHECK_OK(ae_task_cap_copy(task, mem, 8, AERIE_R_ALL, 0));     /* held, mapped nowhere */
        race_mem = mem, race_task = task, race_sq = sq, race_cq = cq;
        race_t = ae_slot_alloc(), race_th = ae_slot_alloc();
        /* The map starts a little later each round, so over the rounds
         * the clone's sharing lands before, inside and after the map's
         * work (under TCG a few rounds of 96 land inside: the old kernel
         * failed here in 3 runs of 3, at rounds 3, 4 and 96). */
        race_delay_map = (uint64_t)r * 700;
        race_delay_clone = (r % 8) ? 0 : 2000;
        __atomic_store_n(&race_round, r, __ATOMIC_RELEASE);
        CHECK(round_done(r));
        CHECK(race_clone_r == 0 || race_clone_r == AE_EBUSY);
        CHECK_OK(race_map_r);
        uint64_t info[3] = { 0 };
        CHECK_OK(ae_invoke(mem, AERIE_MEM_INFO, 0, 0, info, 3));
        if (race_clone_r == 0 && (info[1] & 0x10)) {               /* MEMOBJ_COW: the clone shares it */
            shared_rounds++;
            uint64_t free0 = kt_free_pages();
            for (uint64_t i = 0; i < RACE_PAGES; i++)
                *(volatile uint64_t *)(RACE_VA + i * 4096) = 0xA77AC6;
            int64_t copies = (int64_t)(free0 - kt_free_pages());
            CHECK_EQ(copies >= RACE_PAGES ? 0 : 1000 * r + copies, 0);   /* each write made its own copy */
        }
        CHECK_OK(ae_task_unmap(ae_self.task, RACE_VA, RACE_PAGES * 4096));
        CHECK_OK(ae_invoke0(cq, AERIE_QUOTA_DESTROY));
        CHECK_OK(ae_invoke0(sq, AERIE_QUOTA_DESTROY));
    }
    race_stop = 1;
    CHECK(shared_rounds > 0);
}
