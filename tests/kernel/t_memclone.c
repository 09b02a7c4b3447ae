/*
 * t_memclone.c — Memory CLONE (kernel/memobj.c, method_clone): a
 * copy-on-write clone of one Memory object, as TASK_CLONE makes of the
 * memory it copies — the clone sees the pages as they were, each side's
 * later writes (Memory WRITE, or a write through the caller's own
 * mapping) are its own, every shared page is charged to the clone's quota
 * too, and every refusal (no AERIE_R_CLONE, wrong object types, forged
 * and huge slots, a quota without room, memory another task maps, DMA or
 * UTCB memory) names its argument and makes nothing. The harness checks
 * free pages and objects after each test.
 */
#include "kt.h"

#define PAGES 8

static uint64_t used(uint64_t q)
{
    uint64_t info[6] = { 0 };
    ae_quota_info(q, info);
    return info[1];
}

static int64_t mput(uint64_t mem, uint64_t off, uint64_t v)
{
    return ae_invoke(mem, AERIE_MEM_WRITE, 3, (uint64_t[]){ off, 8, v }, 0, 0);
}

static uint64_t mget(uint64_t mem, uint64_t off)
{
    uint64_t v = ~0ull;
    if (ae_invoke(mem, AERIE_MEM_READ, 2, (uint64_t[]){ off, 8 }, &v, 1))
        return ~1ull;
    return v;
}

static int64_t mclone(uint64_t mem, uint64_t q, uint64_t srcq, uint64_t *slot)
{
    *slot = ae_slot_alloc();
    return ae_invokev(mem, AERIE_MEM_CLONE, q, srcq, *slot);
}

KTEST(memclone_shares_then_diverges, "Memory CLONE: the clone sees the pages, each side's writes (WRITE or its own mapping) are its own, charged exactly")
{
    uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 1, 16), mem;
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &mem, PAGES * 4096, AERIE_MEM_LAZY, 0));
    for (uint64_t i = 0; i < 4; i++)
        CHECK_OK(mput(mem, i * 4096, 100 + i));
    /* Mapped in our own address space (as fs maps a session's chunks). */
    uint64_t va = ae_vm_reserve(PAGES * 4096);
    CHECK(va != 0);
    CHECK_OK(ae_task_map(ae_self.task, mem, 0, va, PAGES * 4096, AERIE_MAP_R | AERIE_MAP_W));
    volatile uint64_t *p = (volatile uint64_t *)va;
    CHECK_EQ(p[4096 / 8], 101);
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 1, 16), c;
    uint64_t src_used = used(sq), free0 = kt_free_pages();
    CHECK_OK(mclone(mem, q, sq, &c));
    uint64_t u0 = used(q);
    CHECK(u0 >= 4 * 4096 && u0 < 4 * 4096 + 16 * 1024);   /* every shared page paid by the clone too */
    CHECK(free0 - kt_free_pages() < 4);                    /* but physically only its object */
    for (uint64_t i = 0; i < 4; i++)
        CHECK_EQ(mget(c, i * 4096), 100 + i);
    CHECK_EQ(mget(c, 6 * 4096), 0);
    p[2 * 4096 / 8] = 5002;                                /* our write through the mapping: a fault, a copy */
    CHECK_EQ(p[2 * 4096 / 8], 5002);
    CHECK_EQ(mget(mem, 2 * 4096), 5002);
    CHECK_EQ(mget(c, 2 * 4096), 102);                      /* the clone does not see it */
    CHECK_EQ(used(sq), src_used);                          /* its charge moved to its copy */
    CHECK_OK(mput(c, 4096, 7001));                         /* the clone writes */
    CHECK_EQ(mget(c, 4096), 7001);
    CHECK_EQ(p[4096 / 8], 101);
    CHECK_EQ(used(q), u0);
    CHECK_OK(mput(c, 6 * 4096, 7006));                     /* a page nobody had: the clone's, charged */
    CHECK_EQ(used(q), u0 + 4096);
    CHECK_EQ(p[6 * 4096 / 8], 0);
    /* The source goes first: the clone keeps what it shared. */
    CHECK_OK(ae_task_unmap(ae_self.task, va, PAGES * 4096));
    CHECK_OK(ae_invoke0(sq, AERIE_QUOTA_DESTROY));
    CHECK_EQ(mget(c, 3 * 4096), 103);
    CHECK_EQ(mget(c, 4096), 7001);
    /* A clone of the clone. */
    uint64_t q2 = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 1, 16), c2;
    CHECK_OK(mclone(c, q2, q, &c2));
    CHECK_EQ(mget(c2, 4096), 7001);
    CHECK_OK(mput(c2, 4096, 9));
    CHECK_EQ(mget(c, 4096), 7001);
}

KTEST(memclone_refusals, "Memory CLONE without AERIE_R_CLONE, with wrong object types, forged or huge slots, no room, memory mapped elsewhere, DMA or UTCB memory: refused, the argument named, nothing made")
{
    uint64_t sq = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 16), mem, task;
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &mem, PAGES * 4096, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_TASK, &task, 0, 0, 0));
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 1, 16), other = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 1, 8);
    uint64_t slot = ae_slot_alloc();
    struct aerie_utcb *u = ae_utcb();
    uint64_t free0 = kt_free_pages(), obj0 = kt_objects();
    /* No AERIE_R_CLONE: what a container holds (R_ALL) is not enough. */
    uint64_t plain = kt_mint(sq, AERIE_R_ALL, 0);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, plain, slot), AE_ERIGHTS);
    CHECK_EQ(u->mr[0], 1);
    uint64_t sub = ae_slot_alloc(), smem;                 /* nor what it makes from that */
    CHECK_OK(ae_quota_create(plain, AERIE_OBJ_QUOTA, sub, 1 << 20, 1, 8));
    CHECK_OK(kt_create(sub, AERIE_OBJ_MEMORY, &smem, 4096, 0, 0));
    CHECK_EQ(ae_invokev(smem, AERIE_MEM_CLONE, sub, sub, slot), AE_ERIGHTS);
    CHECK_OK(ae_invoke0(sub, AERIE_QUOTA_DESTROY));
    /* Wrong object types, a quota the memory is not charged to. */
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, mem, sq, slot), AE_ETYPE);
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, task, slot), AE_ETYPE);
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, other, slot), AE_EINVAL);   /* R_CLONE, but not its quota */
    CHECK_EQ(u->mr[0], 1);
    uint64_t qro = kt_mint(q, AERIE_R_READ, 0);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, qro, sq, slot), AE_ERIGHTS);
    uint64_t mro = kt_mint(mem, AERIE_R_READ, 0);
    CHECK_EQ(ae_invokev(mro, AERIE_MEM_CLONE, q, sq, slot), AE_ERIGHTS);
    /* Forged, huge and taken slots; a word short. */
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, 0xFFFFFull, sq, slot), AE_ECAP);
    CHECK_EQ(u->mr[0], 0);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, 1ull << 40, slot), AE_ECAP);
    CHECK_EQ(u->mr[0], 1);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, sq, 1ull << 40), AE_EINVAL);
    CHECK_EQ(u->mr[0], 2);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, sq, mem), AE_EBUSY);
    CHECK_EQ(u->mr[0], 2);
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, sq), AE_EINVAL);
    /* A quota without room for the pages it would share. */
    uint64_t tiny = kt_new(env, AERIE_OBJ_QUOTA, 3 * 4096, 1, 16);
    uint64_t f1 = kt_free_pages(), o1 = kt_objects();
    int64_t r = ae_invokev(mem, AERIE_MEM_CLONE, tiny, sq, slot);
    CHECK(r == AE_ENOMEM || r == AE_ELIMIT);
    CHECK_EQ(kt_free_pages(), f1);
    CHECK_EQ(kt_objects(), o1);
    CHECK_EQ(used(tiny), 0);
    /* Mapped by another task: EBUSY (a copy-on-write object lives in
     * one address space, the caller's). */
    CHECK_OK(ae_task_map(task, mem, 0, 0x5A000000ull, 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_EQ(ae_invokev(mem, AERIE_MEM_CLONE, q, sq, slot), AE_EBUSY);
    CHECK_OK(ae_task_unmap(task, 0x5A000000ull, 4096));
    /* DMA memory; memory a thread's UTCB is in. */
    uint64_t dma, umem, th;
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &dma, 4096, AERIE_MEM_CONTIG, 0));
    CHECK_EQ(ae_invokev(dma, AERIE_MEM_CLONE, q, sq, slot), AE_ETYPE);
    CHECK_OK(kt_create(sq, AERIE_OBJ_MEMORY, &umem, 4096, 0, 0));
    CHECK_OK(kt_create(sq, AERIE_OBJ_THREAD, &th, task, 0, 0));
    CHECK_OK(ae_invokev(th, AERIE_THREAD_SET_UTCB, umem, 0));
    CHECK_EQ(ae_invokev(umem, AERIE_MEM_CLONE, q, sq, slot), AE_EBUSY);
    CHECK_EQ(ae_cap_info(slot, &(uint64_t){ 0 }), AE_ECAP);   /* nothing was ever installed */
    CHECK_EQ(used(q), 0);
    (void)free0, (void)obj0;
    CHECK_OK(mclone(mem, q, sq, &slot));                     /* the right call works */
}
