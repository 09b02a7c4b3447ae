/*
 * t_review3.c — security review (notes/review3.md) confirmations for
 * TASK_CLONE: F1 (pages left charged to nobody) and F2 (a UTCB page made
 * copy-on-write). Each asserts the SAFE behaviour, so it fails while the
 * hole is there.
 */
#include "kt.h"
#include <stddef.h>
#include <aerie/utcb.h>

#define RVA 0x5B000000ull
#define RPAGES 64

static uint64_t r3_used(uint64_t q)
{
    uint64_t info[6] = { 0 };
    ae_quota_info(q, info);
    return info[1];
}

/* F1: rounds of (eager Memory in q1, task+thread, clone into q2, destroy
 * q1). Safe: the physical pages still held are charged to someone. */
KTEST(review3_clone_leaves_pages_uncharged, "review3 F1: pages a clone keeps after the source goes are charged to someone")
{
    uint64_t q2 = kt_new(env, AERIE_OBJ_QUOTA, 64 << 20, 64, 4096);
    uint64_t free0 = kt_free_pages();
    uint64_t used0 = r3_used(env->quota);
    for (unsigned round = 0; round < 8; round++) {
        uint64_t q1 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), task, th, mem;
        CHECK_OK(kt_create(q1, AERIE_OBJ_TASK, &task, 0, 0, 0));
        CHECK_OK(kt_create(q1, AERIE_OBJ_THREAD, &th, task, 0, 0));
        CHECK_OK(kt_create(q1, AERIE_OBJ_MEMORY, &mem, RPAGES * 4096, 0, 0));
        CHECK_OK(ae_task_map(task, mem, 0, RVA, RPAGES * 4096, AERIE_MAP_R | AERIE_MAP_W));
        uint64_t t = ae_slot_alloc(), h = ae_slot_alloc();
        CHECK_OK(ae_invokev(task, AERIE_TASK_CLONE, q2, q1, t, h));
        CHECK_OK(ae_invoke0(q1, AERIE_QUOTA_DESTROY));
    }
    uint64_t lost = (free0 - kt_free_pages()) * 4096, charged = r3_used(env->quota) - used0;
    ae_kprintf("review3 F1: physical bytes held %lu, charged to any quota %lu\n", lost, charged);
    CHECK(lost <= charged + 64 * 1024);
}

static volatile int r3_go, r3_done;
static uint64_t r3_ep;

static void r3_sender(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&r3_go, __ATOMIC_ACQUIRE))
        ae_sleep_ns(1000000);
    ae_send(r3_ep, AERIE_INFO(0, 4, 0), AERIE_TIMEOUT_FOREVER);
    __atomic_store_n(&r3_done, 1, __ATOMIC_RELEASE);
    for (;;)
        ae_sleep_ns(1000000000);
}

static int64_t r3_memw(uint64_t mem, uint64_t off, uint64_t v)
{
    uint64_t a[2 + 4] = { off, 32, v, v, v, v };
    return ae_invoke(mem, AERIE_MEM_WRITE, 6, a, 0, 0);
}

/* F2: thread X's UTCB is page 0 of Memory U, which a cloned task maps;
 * after the clone and a write to U, X's messages must come from U's page
 * (or the clone must have been refused). */
KTEST(review3_utcb_made_cow, "review3 F2: a thread's UTCB never ends up in a page its Memory object let go of")
{
    uint64_t q1 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), task, th, mem;
    CHECK_OK(kt_create(q1, AERIE_OBJ_TASK, &task, 0, 0, 0));
    CHECK_OK(kt_create(q1, AERIE_OBJ_THREAD, &th, task, 0, 0));
    CHECK_OK(kt_create(q1, AERIE_OBJ_MEMORY, &mem, 4 * 4096, 0, 0));
    CHECK_OK(ae_task_map(task, mem, 0, RVA, 4 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(kt_create(env->quota, AERIE_OBJ_ENDPOINT, &r3_ep, 0, 0, 0));
    r3_go = r3_done = 0;
    struct ae_thread x = { 0 };
    CHECK_OK(kt_thread(env, &x, r3_sender, NULL, -1));
    CHECK_OK(ae_invoke0(x.thread_slot, AERIE_THREAD_SUSPEND));
    CHECK_OK(r3_memw(mem, 0, 0xAAAA));
    CHECK_OK(ae_invokev(x.thread_slot, AERIE_THREAD_SET_UTCB, mem, 0));
    uint64_t q2 = kt_new(env, AERIE_OBJ_QUOTA, 8 << 20, 4, 64), t = ae_slot_alloc(), h = ae_slot_alloc();
    int64_t r = ae_invokev(task, AERIE_TASK_CLONE, q2, q1, t, h);
    ae_kprintf("review3 F2: TASK_CLONE -> %ld\n", (long)r);
    if (r == 0) {
        CHECK_OK(r3_memw(mem, 0, 0xBBBB));   /* U's own copy now */
        CHECK_OK(ae_invoke0(q2, AERIE_QUOTA_DESTROY));   /* the clone and its page go */
    }
    CHECK_OK(ae_invoke0(x.thread_slot, AERIE_THREAD_RESUME));
    __atomic_store_n(&r3_go, 1, __ATOMIC_RELEASE);
    uint64_t badge, w[4] = { 0 };
    int64_t got = kt_recv(r3_ep, 5000, &badge, w);
    ae_kprintf("review3 F2: X sent %ld words: %lx %lx (U's page says 0xbbbb)\n", (long)got, w[0], w[1]);
    CHECK(got >= 0);
    if (r == 0)
        CHECK_EQ(w[0], 0xBBBB);
    ae_invoke0(x.thread_slot, AERIE_THREAD_DESTROY);
}
