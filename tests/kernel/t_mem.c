/*
 * t_mem.c — Memory objects and mappings: map and access, sharing, rights,
 * every MAP/UNMAP error, destruction unmapping everywhere, PHYS.
 */
#include "kt.h"
#include <aerie/kip.h>

#define VA(n) (0x50000000ull + (uint64_t)(n) * 0x100000ull)

static uint64_t mapped_bytes(uint64_t task)
{
    uint64_t info[4] = { 0 };
    ae_invoke(task, AERIE_TASK_INFO, 0, 0, info, 4);
    return info[1];
}

KTEST(mem_map_read_write, "mapped memory is zeroed and reads back what was written")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 3 * 4096, 0, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA(0), 3 * 4096, AERIE_MAP_R | AERIE_MAP_W));
    volatile uint64_t *p = (volatile uint64_t *)VA(0);
    for (int i = 0; i < 3 * 512; i++)
        CHECK_EQ(p[i], 0);
    for (int i = 0; i < 3 * 512; i++)
        p[i] = (uint64_t)i * 7;
    for (int i = 0; i < 3 * 512; i++)
        CHECK_EQ(p[i], (uint64_t)i * 7);
    CHECK_OK(ae_task_unmap(ae_self.task, VA(0), 3 * 4096));
}

KTEST(mem_shared_between_mappings, "two mappings of one object see the same bytes")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 8192, 0, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA(1), 8192, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_task_map(ae_self.task, m, 4096, VA(2), 4096, AERIE_MAP_R));
    *(volatile uint32_t *)(VA(1) + 4096 + 12) = 0xC0DE;
    CHECK_EQ(*(volatile uint32_t *)(VA(2) + 12), 0xC0DE);
}

KTEST(mem_map_needs_rights, "map rights cannot exceed the memory capability's")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0);
    CHECK_EQ(ae_task_map(ae_self.task, ro, 0, VA(3), 4096, AERIE_MAP_R | AERIE_MAP_W), AE_ERIGHTS);
    CHECK_EQ(ae_task_map(ae_self.task, ro, 0, VA(3), 4096, AERIE_MAP_R | AERIE_MAP_X), AE_ERIGHTS);
    CHECK_OK(ae_task_map(ae_self.task, ro, 0, VA(3), 4096, AERIE_MAP_R));
    uint64_t tro = kt_mint(ae_self.task, AERIE_R_READ, 0);
    CHECK_EQ(ae_task_map(tro, m, 0, VA(4), 4096, AERIE_MAP_R), AE_ERIGHTS);
}

KTEST(mem_map_unexpressible_refused, "write-only and execute-only mappings are refused, not made readable")
{
    /* On x86-64 every present page is readable, so a mapping without R
     * cannot be what it says: the kernel refuses it (word 4, the flags). */
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0), t = ae_self.task;
    uint64_t base = mapped_bytes(t);
    CHECK_EQ(ae_task_map(t, m, 0, VA(8), 4096, AERIE_MAP_W), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 4);
    CHECK_EQ(ae_task_map(t, m, 0, VA(8), 4096, AERIE_MAP_X), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, VA(8), 4096, AERIE_MAP_W | AERIE_MAP_X), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, VA(8), 4096, AERIE_MAP_W | AERIE_MAP_UNCACHED), AE_EINVAL);
    CHECK_EQ(mapped_bytes(t), base);
    /* A capability without READ maps nothing at all. */
    uint64_t wo = kt_mint(m, AERIE_R_WRITE, 0), xo = kt_mint(m, AERIE_R_EXEC, 0);
    CHECK_EQ(ae_task_map(t, wo, 0, VA(8), 4096, AERIE_MAP_R | AERIE_MAP_W), AE_ERIGHTS);
    CHECK_EQ(ae_task_map(t, xo, 0, VA(8), 4096, AERIE_MAP_R | AERIE_MAP_X), AE_ERIGHTS);
    CHECK_EQ(mapped_bytes(t), base);
    CHECK_OK(ae_task_map(t, m, 0, VA(8), 4096, AERIE_MAP_R | AERIE_MAP_W | AERIE_MAP_X));
    CHECK_EQ(mapped_bytes(t), base + 4096);
}

KTEST(mem_map_errors, "misaligned, out-of-range, overlapping and reserved mappings are refused")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 8192, 0, 0);
    uint64_t t = ae_self.task, rw = AERIE_MAP_R | AERIE_MAP_W;
    CHECK_EQ(ae_task_map(t, m, 0, VA(5) + 1, 4096, rw), AE_EINVAL);
    CHECK_EQ(ae_utcb()->mr[0], 2);
    CHECK_EQ(ae_task_map(t, m, 100, VA(5), 4096, rw), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 8192, VA(5), 4096, rw), AE_ERANGE);
    CHECK_EQ(ae_task_map(t, m, 4096, VA(5), 8192, rw), AE_ERANGE);
    CHECK_EQ(ae_task_map(t, m, 0, VA(5), 0, rw), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, VA(5), 4096, 0), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, VA(5), 4096, 0x100), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, 0, 4096, rw), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, 0xFFFF800000000000ull, 4096, rw), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, AERIE_USER_MAX - 4096, 8192, rw), AE_EINVAL);
    CHECK_EQ(ae_task_map(t, m, 0, AERIE_KIP_ADDR, 4096, rw), AE_EBUSY);
    CHECK_OK(ae_task_map(t, m, 0, VA(5), 8192, rw));
    CHECK_EQ(ae_task_map(t, m, 0, VA(5) + 4096, 4096, rw), AE_EBUSY);
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    CHECK_EQ(ae_task_map(t, ep, 0, VA(6), 4096, rw), AE_ETYPE);
    CHECK_EQ(ae_task_map(t, ae_slot_alloc(), 0, VA(6), 4096, rw), AE_ECAP);
}

KTEST(mem_unmap_rules, "unmap removes whole mappings in a range and refuses to split one")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 3 * 4096, 0, 0);
    uint64_t t = ae_self.task;
    uint64_t base = mapped_bytes(t);
    CHECK_OK(ae_task_map(t, m, 0, VA(7), 3 * 4096, AERIE_MAP_R));
    CHECK_EQ(mapped_bytes(t), base + 3 * 4096);
    CHECK_EQ(ae_task_unmap(t, VA(7) + 4096, 4096), AE_EINVAL);
    CHECK_EQ(ae_task_unmap(t, VA(7) + 1, 4096), AE_EINVAL);
    CHECK_EQ(mapped_bytes(t), base + 3 * 4096);
    CHECK_OK(ae_task_unmap(t, VA(7), 3 * 4096));
    CHECK_EQ(mapped_bytes(t), base);
    CHECK_OK(ae_task_unmap(t, VA(7), 3 * 4096));          /* nothing there: fine */
}

KTEST(mem_outlives_cap_while_mapped, "mapped memory stays after its capability is deleted")
{
    uint64_t objs = kt_objects();
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA(8), 4096, AERIE_MAP_R | AERIE_MAP_W));
    CHECK_OK(ae_cap_delete(m));
    *(volatile int *)VA(8) = 5;
    CHECK_EQ(*(volatile int *)VA(8), 5);
    CHECK_EQ(kt_objects(), objs + 1);
    CHECK_OK(ae_task_unmap(ae_self.task, VA(8), 4096));
    CHECK_EQ(kt_objects(), objs);                         /* the last holder went */
}

KTEST(mem_destroy_unmaps_everywhere, "destroying memory (its quota) removes every mapping of it")
{
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 1 << 20, 0, 10), m;
    uint64_t other = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0);
    CHECK_OK(kt_create(q, AERIE_OBJ_MEMORY, &m, 8192, 0, 0));
    uint64_t base = mapped_bytes(ae_self.task);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA(9), 8192, AERIE_MAP_R));
    CHECK_OK(ae_task_map(other, m, 0, VA(9), 8192, AERIE_MAP_R));
    CHECK_EQ(mapped_bytes(other), 8192);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
    CHECK_EQ(mapped_bytes(ae_self.task), base);
    CHECK_EQ(mapped_bytes(other), 0);
}

KTEST(mem_info_and_phys, "INFO gives size and flags; PHYS needs MANAGE; contiguous memory is contiguous")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4 * 4096, AERIE_MEM_CONTIG, 0);
    uint64_t info[2], p0[1], p3[1];
    CHECK_OK(ae_invoke(m, AERIE_MEM_INFO, 0, 0, info, 2));
    CHECK_EQ(info[0], 4 * 4096);
    CHECK_OK(ae_invoke(m, AERIE_MEM_PHYS, 1, AE_ARGS(0), p0, 1));
    CHECK_OK(ae_invoke(m, AERIE_MEM_PHYS, 1, AE_ARGS(3 * 4096 + 8), p3, 1));
    CHECK_EQ(p3[0], p0[0] + 3 * 4096 + 8);
    CHECK_EQ(ae_invoke(m, AERIE_MEM_PHYS, 1, AE_ARGS(4 * 4096), p3, 1), AE_ERANGE);
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0);
    CHECK_EQ(ae_invoke(ro, AERIE_MEM_PHYS, 1, AE_ARGS(0), p0, 1), AE_ERIGHTS);
    CHECK_EQ(ae_invoke0(m, 9), AE_ENOSYS);
}

KTEST(mem_big_object, "a 16 MiB object maps and is usable at both ends")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 16 << 20, 0, 0);
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA(16), 16 << 20, AERIE_MAP_R | AERIE_MAP_W));
    volatile char *p = (volatile char *)VA(16);
    p[0] = 1;
    p[(16 << 20) - 1] = 2;
    CHECK_EQ(p[0] + p[(16 << 20) - 1], 3);
}

KTEST(task_destroy_unmaps, "destroying a task removes its mappings and its capabilities")
{
    uint64_t objs = kt_objects();
    uint64_t t = kt_new(env, AERIE_OBJ_TASK, 0, 0, 0);
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    CHECK_OK(ae_task_map(t, m, 0, VA(30), 4096, AERIE_MAP_R));
    CHECK_OK(ae_task_cap_copy(t, m, 1, AERIE_R_ALL, 0));
    CHECK_OK(ae_cap_delete(m));                        /* t's copy and mapping still hold it */
    CHECK_EQ(kt_objects(), objs + 2);
    CHECK_OK(ae_invoke0(t, AERIE_TASK_DESTROY));
    CHECK_EQ(kt_objects(), objs);
    uint64_t b;
    CHECK_EQ(ae_cap_info(t, &b), AE_ECAP);
}

KTEST(mem_slice_of_boot_module, "SLICE gives part of a boot module's pages with the source's rights, nothing more")
{
    uint64_t mod = ae_capenv_lookup("image"), info[2];
    CHECK_OK(ae_invoke(mod, AERIE_MEM_INFO, 0, 0, info, 2));
    CHECK(info[0] >= 3 * 4096);
    uint64_t s = ae_slot_alloc(), objs = kt_objects();
    CHECK_OK(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(env->quota, 4096, 8192, s), 0, 0));
    CHECK_EQ(kt_objects(), objs + 1);
    CHECK_OK(ae_invoke(s, AERIE_MEM_INFO, 0, 0, info, 2));
    CHECK_EQ(info[0], 8192);
    /* the same bytes as the module's at that offset */
    CHECK_OK(ae_task_map(ae_self.task, mod, 0, VA(40), 3 * 4096, AERIE_MAP_R));
    CHECK_OK(ae_task_map(ae_self.task, s, 0, VA(41), 8192, AERIE_MAP_R));
    const volatile uint8_t *a = (const uint8_t *)VA(40) + 4096, *b = (const uint8_t *)VA(41);
    bool same = true;
    for (unsigned i = 0; i < 8192; i++)
        same &= a[i] == b[i];
    CHECK(same);
    /* rights: the module is read-only (and the slice with it); a read-only copy slices read-only */
    CHECK_EQ(ae_task_map(ae_self.task, s, 0, VA(42), 4096, AERIE_MAP_R | AERIE_MAP_W), AE_ERIGHTS);
    uint64_t ro = kt_mint(mod, AERIE_R_READ, 0), s2 = ae_slot_alloc();
    CHECK_OK(ae_invoke(ro, AERIE_MEM_SLICE, 4, AE_ARGS(env->quota, 0, 4096, s2), 0, 0));
    CHECK_EQ(ae_task_map(ae_self.task, s2, 0, VA(42), 4096, AERIE_MAP_R | AERIE_MAP_X), AE_ERIGHTS);
    /* a slice of a slice is a slice */
    uint64_t s3 = ae_slot_alloc();
    CHECK_OK(ae_invoke(s, AERIE_MEM_SLICE, 4, AE_ARGS(env->quota, 4096, 4096, s3), 0, 0));
    CHECK_OK(ae_task_map(ae_self.task, s3, 0, VA(43), 4096, AERIE_MAP_R));
    CHECK_EQ(*(const volatile uint8_t *)VA(43), a[4096]);
    CHECK_OK(ae_task_unmap(ae_self.task, VA(40), 3 * 4096));
    CHECK_OK(ae_task_unmap(ae_self.task, VA(41), 8192));
    CHECK_OK(ae_task_unmap(ae_self.task, VA(43), 4096));
}

KTEST(mem_slice_refusals, "SLICE refuses ranges outside the module, unaligned sizes, allocated memory, bad slots")
{
    uint64_t mod = ae_capenv_lookup("image"), info[2], s = ae_slot_alloc();
    CHECK_OK(ae_invoke(mod, AERIE_MEM_INFO, 0, 0, info, 2));
    uint64_t q = env->quota;
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, info[0], 4096, s), 0, 0), AE_ERANGE);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, info[0] + 4096, s), 0, 0), AE_ERANGE);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 4096, ~0ull & ~4095ull, s), 0, 0), AE_ERANGE);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 100, 4096, s), 0, 0), AE_EINVAL);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, 100, s), 0, 0), AE_EINVAL);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, 0, s), 0, 0), AE_EINVAL);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(mod, 0, 4096, s), 0, 0), AE_ETYPE);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, 4096, 0), 0, 0) < 0, 1);
    CHECK_EQ(ae_invoke(mod, AERIE_MEM_SLICE, 3, AE_ARGS(q, 0, 4096), 0, 0), AE_EINVAL);
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 8192, 0, 0);
    CHECK_EQ(ae_invoke(m, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, 4096, s), 0, 0), AE_ETYPE);
    uint64_t noread = kt_mint(mod, AERIE_R_EXEC, 0);
    CHECK_EQ(ae_invoke(noread, AERIE_MEM_SLICE, 4, AE_ARGS(q, 0, 4096, s), 0, 0), AE_ERIGHTS);
    uint64_t b;
    CHECK_EQ(ae_cap_info(s, &b), AE_ECAP);                /* nothing was made */
}
