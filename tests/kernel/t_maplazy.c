/*
 * t_maplazy.c — lazy mappings (AERIE_MAP_LAZY): a mapping whose
 * page-table entries the kernel makes at the first touch, a group of
 * pages at a time, instead of all at MAP. What must hold: the bytes are
 * the object's; no page table exists before a touch; an unmap (before
 * any touch, or after some) leaves nothing reachable; protections are
 * the mapping's; a touch where the mapping has gone (its object
 * destroyed) reaches the handler as an ordinary page fault; the flag is
 * refused with UNCACHED, without R, and with unknown bits.
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/kip.h>

/* A 512 GiB slot of its own (top-level entry 2), so page tables made
 * there can be counted. */
#define LZ(n) (0x10000000000ull + (uint64_t)(n) * 0x1000000ull)
#define RO   AERIE_MAP_R
#define RW   (AERIE_MAP_R | AERIE_MAP_W)

static void task_info(uint64_t *mapped, uint64_t *tables)
{
    uint64_t info[4] = { 0 };
    ae_invoke(ae_self.task, AERIE_TASK_INFO, 0, 0, info, 4);
    *mapped = info[1];
    *tables = info[3];
}

/* A 64-page object whose page i holds i * 1000 + 7 in its first word,
 * written through an eager mapping at LZ(15), which is then removed. */
static uint64_t filled(struct kt_env *env)
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 64 * 4096, 0, 0);
    if (ae_task_map(ae_self.task, m, 0, LZ(15), 64 * 4096, RW) < 0)
        return 0;
    for (uint64_t i = 0; i < 64; i++)
        *(volatile uint64_t *)(LZ(15) + i * 4096) = i * 1000 + 7;
    ae_task_unmap(ae_self.task, LZ(15), 64 * 4096);
    return m;
}

KTEST(mem_map_lazy, "a lazy mapping makes no page table at MAP, and reads the object's bytes at the first touch")
{
    uint64_t m = filled(env);
    CHECK(m);
    uint64_t mapped0, tables0, mapped, tables;
    task_info(&mapped0, &tables0);
    CHECK_OK(ae_task_map(ae_self.task, m, 4096, LZ(0), 63 * 4096, RO | AERIE_MAP_LAZY));
    task_info(&mapped, &tables);
    CHECK_EQ(mapped, mapped0 + 63 * 4096);       /* counted as mapped... */
    CHECK_EQ(tables, tables0);                   /* ...with no entry made */
    const volatile uint64_t *p = (const volatile uint64_t *)LZ(0);
    CHECK_EQ(p[40 * 512], 41 * 1000 + 7);        /* mapping page 40 is the object's page 41 */
    task_info(&mapped, &tables);
    CHECK(tables > tables0);                     /* the tables on the way, at the touch */
    for (uint64_t i = 0; i < 63; i++)
        CHECK_EQ(p[i * 512], (i + 1) * 1000 + 7);
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(0), 63 * 4096));
    task_info(&mapped, &tables);
    CHECK_EQ(mapped, mapped0);
}

KTEST(mem_map_lazy_writable, "a writable lazy mapping writes the object's pages, seen through another mapping")
{
    uint64_t m = filled(env);
    CHECK(m);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(1), 64 * 4096, RW | AERIE_MAP_LAZY));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(2), 64 * 4096, RO));
    *(volatile uint64_t *)(LZ(1) + 33 * 4096 + 8) = 0xABCD;
    CHECK_EQ(*(const volatile uint64_t *)(LZ(2) + 33 * 4096 + 8), 0xABCD);
    CHECK_EQ(*(const volatile uint64_t *)(LZ(1) + 63 * 4096), 63 * 1000 + 7);
    /* and a lazy object mapped lazily: pages still come at their touch */
    uint64_t lz = kt_new(env, AERIE_OBJ_MEMORY, 32 * 4096, AERIE_MEM_LAZY, 0);
    CHECK_OK(ae_task_map(ae_self.task, lz, 0, LZ(3), 32 * 4096, RW | AERIE_MAP_LAZY));
    uint64_t info[3] = { 0 };
    *(volatile uint32_t *)(LZ(3) + 5 * 4096) = 5;
    CHECK_EQ(*(const volatile uint32_t *)(LZ(3) + 6 * 4096), 0);
    CHECK_OK(ae_invoke(lz, AERIE_MEM_INFO, 0, 0, info, 3));
    CHECK_EQ(info[2], 2 * 4096);                 /* two pages had, not the group */
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(1), 64 * 4096));
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(2), 64 * 4096));
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(3), 32 * 4096));
}

/* ---- faults: a thread touches target; the test receives its fault ---- */

static volatile uint64_t target;
static volatile int target_write, probe_done;
static void after_fault(void) { probe_done = 1; ae_thread_exit(0); }
static void probe(void *arg)
{
    if (target_write)
        *(volatile uint64_t *)target = 1;
    else
        (void)*(const volatile uint64_t *)target;
    probe_done = 2;                              /* the touch worked */
}

/* Touches va in a new thread: 2 if it worked, 1 if it faulted (the
 * fault's words in w), 0 if neither was seen. */
static int touch(struct kt_env *env, uint64_t va, bool write, uint64_t w[4])
{
    static struct ae_thread th;
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    th = (struct ae_thread){ .fault_ep = ep };
    target = va;
    target_write = write;
    probe_done = 0;
    if (kt_thread(env, &th, probe, 0, -1))
        return 0;
    uint64_t badge;
    int64_t r = kt_recv(ep, 3000, &badge, w);
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_PAGE)   /* none, or its exit */
        return kt_wait(&probe_done, 2, 1000) ? 2 : 0;
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = AERIE_RESUME_SET_RIP | AERIE_RESUME_SET_RSP;
    u->mr[1] = (uint64_t)after_fault;
    u->mr[2] = (uint64_t)th.mem + 16384 - 8;
    ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 3, 0));
    return kt_wait(&probe_done, 1, 2000) ? 1 : 0;
}

KTEST(mem_map_lazy_protections, "a lazy read-only mapping refuses a write as a page fault to the handler, not NOMEM")
{
    uint64_t m = filled(env), w[4];
    CHECK(m);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(4), 64 * 4096, RO | AERIE_MAP_LAZY));
    CHECK_EQ(touch(env, LZ(4) + 20 * 4096, true, w), 1);          /* untouched: write first */
    CHECK_EQ(w[0], LZ(4) + 20 * 4096);
    CHECK(w[1] & AERIE_PF_WRITE);
    CHECK(!(w[1] & AERIE_PF_NOMEM));
    CHECK_EQ(*(const volatile uint64_t *)(LZ(4) + 20 * 4096), 20 * 1000 + 7);
    CHECK_EQ(touch(env, LZ(4) + 21 * 4096, true, w), 1);          /* entered by the read: still refused */
    CHECK(w[1] & AERIE_PF_PRESENT);
    CHECK_EQ(touch(env, LZ(4) + 22 * 4096, false, w), 2);
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(4), 64 * 4096));
}

KTEST(mem_map_lazy_unmap, "an unmap before any touch, or after some, leaves no page reachable")
{
    uint64_t m = filled(env), w[4];
    CHECK(m);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(5), 64 * 4096, RO | AERIE_MAP_LAZY));
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(5), 64 * 4096));          /* never touched */
    CHECK_EQ(touch(env, LZ(5), false, w), 1);
    CHECK_EQ(w[0], LZ(5));
    /* partly touched, large (a full flush) and small (page by page) */
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(5), 64 * 4096, RO | AERIE_MAP_LAZY));
    CHECK_EQ(*(const volatile uint64_t *)(LZ(5) + 3 * 4096), 3 * 1000 + 7);
    CHECK_EQ(*(const volatile uint64_t *)(LZ(5) + 50 * 4096), 50 * 1000 + 7);
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(5), 64 * 4096));
    CHECK_EQ(touch(env, LZ(5) + 3 * 4096, false, w), 1);
    CHECK_EQ(touch(env, LZ(5) + 50 * 4096, false, w), 1);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(6), 4 * 4096, RO | AERIE_MAP_LAZY));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(7), 4 * 4096, RO));
    for (uint64_t i = 0; i < 4; i++)
        CHECK_EQ(*(const volatile uint64_t *)(LZ(6) + i * 4096) + *(const volatile uint64_t *)(LZ(7) + i * 4096),
                 2 * (i * 1000 + 7));
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(6), 4 * 4096));
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(7), 4 * 4096));
    for (uint64_t i = 0; i < 4; i++) {
        CHECK_EQ(touch(env, LZ(6) + i * 4096, false, w), 1);
        CHECK_EQ(touch(env, LZ(7) + i * 4096, false, w), 1);
    }
    /* the range maps again, lazily or not */
    CHECK_OK(ae_task_map(ae_self.task, m, 8 * 4096, LZ(5), 4096, RW));
    CHECK_EQ(*(const volatile uint64_t *)LZ(5), 8 * 1000 + 7);
    CHECK_OK(ae_task_unmap(ae_self.task, LZ(5), 4096));
}

KTEST(mem_map_lazy_object_gone, "a touch after the object's destruction is a clean page fault; pages all return")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 0, 10), m, w[4];
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 32 * 4096, 0, 0));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, LZ(8), 32 * 4096, RW | AERIE_MAP_LAZY));
    *(volatile uint64_t *)(LZ(8) + 4096) = 3;                          /* one group entered */
    uint64_t free0 = kt_free_pages();
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));                      /* unmaps it from us */
    CHECK(kt_free_pages() >= free0 + 32);
    CHECK_EQ(touch(env, LZ(8) + 4096, false, w), 1);                   /* was entered */
    CHECK_EQ(touch(env, LZ(8) + 30 * 4096, true, w), 1);               /* never was */
    CHECK_EQ(w[0], LZ(8) + 30 * 4096);
    CHECK(!(w[1] & AERIE_PF_NOMEM));
}

KTEST(mem_map_lazy_refusals, "LAZY is refused with UNCACHED, without R, past the object, beyond the capability's rights")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 8 * 4096, 0, 0), t = ae_self.task;
    uint64_t mapped0, tables0, mapped, tables;
    task_info(&mapped0, &tables0);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), 4096, RO | AERIE_MAP_LAZY | AERIE_MAP_UNCACHED), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 4);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), 4096, AERIE_MAP_W | AERIE_MAP_LAZY), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), 4096, AERIE_MAP_LAZY), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), 4096, RO | AERIE_MAP_LAZY | 0x20), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 4);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), 9 * 4096, RO | AERIE_MAP_LAZY), AE_ERANGE);
    CHECK_EQ(ae_task_map(t, m, 8 * 4096, LZ(9), 4096, RO | AERIE_MAP_LAZY), AE_ERANGE);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9), ~0ull & ~4095ull, RO | AERIE_MAP_LAZY), AE_ERANGE);
    CHECK_EQ(ae_task_map(t, m, 0, AERIE_USER_MAX - 4096, 8192, RO | AERIE_MAP_LAZY), AE_EINVAL);
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0);
    CHECK_EQ(ae_task_map(t, ro, 0, LZ(9), 4096, RW | AERIE_MAP_LAZY), AE_ERIGHTS);
    CHECK_EQ(ae_task_map(t, ro, 0, LZ(9), 4096, RO | AERIE_MAP_X | AERIE_MAP_LAZY), AE_ERIGHTS);
    task_info(&mapped, &tables);
    CHECK_EQ(mapped, mapped0);
    CHECK_EQ(tables, tables0);
    /* an overlap is refused as for any mapping, lazy on either side */
    CHECK_OK(ae_task_map(t, m, 0, LZ(9), 8 * 4096, RO | AERIE_MAP_LAZY));
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9) + 4096, 4096, RO), AE_EBUSY);
    CHECK_EQ(ae_task_map(t, m, 0, LZ(9) + 7 * 4096, 4096, RO | AERIE_MAP_LAZY), AE_EBUSY);
    CHECK_EQ(ae_task_unmap(t, LZ(9), 4 * 4096), AE_EINVAL);            /* never split */
    CHECK_OK(ae_task_unmap(t, LZ(9), 8 * 4096));
}

/* attack6: a writable lazy mapping of memory a task owns, its groups
 * entered (writable) by its own writes, then the task cloned twice
 * (TASK_CLONE shares the object copy-on-write): the entries the touches
 * made must have been write-protected like eager ones, so the original
 * and each clone, running, see only their own writes. */
extern volatile uint64_t cow_ready, cow_go, cow_who;

KTEST(mem_map_lazy_then_cloned, "a lazily mapped, touched, writable object of a task cloned twice: original and clones each see only their own writes")
{
    static const struct ae_grant self[] = {
        { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 },
        { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL, 0 },
    };
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 4, 64);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t fe[3];
    for (unsigned i = 0; i < 3; i++)
        fe[i] = kt_mint(ep, AERIE_R_WRITE, 1 + i);
    struct ae_child child;
    CHECK_OK(kt_spawn_role(q, "lazycow", self, 2, fe[0], -1, &child, 0));
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
        task[i] = ae_slot_alloc();
        thread[i] = ae_slot_alloc();
        CHECK_OK(ae_invokev(child.task, AERIE_TASK_CLONE, cq, q, task[i], thread[i]));
        CHECK_OK(ae_invokev(thread[i], AERIE_THREAD_SET_HANDLER, fe[i]));
    }
    for (unsigned i = 0; i < 3; i++) {
        CHECK_OK(ae_invoke(task[i], AERIE_TASK_WRITE, 3, (uint64_t[]){ (uint64_t)&cow_who, 8, i }, 0, 0));
        CHECK_OK(ae_invoke(task[i], AERIE_TASK_WRITE, 3, (uint64_t[]){ (uint64_t)&cow_go, 8, 1 }, 0, 0));
        CHECK_OK(ae_invoke0(thread[i], AERIE_THREAD_RESUME));
    }
    unsigned seen = 0;
    for (unsigned n = 0; n < 3; n++) {
        uint64_t badge, w[4];
        int64_t r = kt_recv(ep, 10000, &badge, w);
        CHECK(r >= 0);
        CHECK_EQ(AERIE_INFO_LABEL((uint64_t)r), AERIE_FAULT_EXIT);
        CHECK_EQ(w[0], 0);                   /* 10 + page: a page not as it should be */
        CHECK(badge >= 1 && badge <= 3);
        seen |= 1u << badge;
    }
    CHECK_EQ(seen, 0xE);
}
