/*
 * t_isolation.c — programs in their own tasks: one started with nothing
 * reaches nothing; a program's read-only pages are shared by every task
 * running it.
 */
#include "kt.h"
#include <aerie/fault.h>
#include <aerie/kip.h>
#include "elf.h"

static int64_t wait_exit(uint64_t ep, uint64_t *status)
{
    uint64_t badge, w[4];
    int64_t r = kt_recv(ep, 60000, &badge, w);
    if (r < 0)
        return r;
    if (AERIE_INFO_LABEL((uint64_t)r) != AERIE_FAULT_EXIT)
        return AE_EPROTO;
    *status = w[0];
    return 0;
}

KTEST(empty_capability_space_reaches_nothing, "a program started with no grants gets ECAP for every slot and operation")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 2 << 20, 2, 50);
    struct ae_child c;
    CHECK_OK(kt_spawn_role(q, "hostile", 0, 0, ep, -1, &c, 0));
    uint64_t status = 99;
    CHECK_OK(wait_exit(ep, &status));
    CHECK_EQ(status, 0);
    CHECK_OK(ae_invoke0(q, AERIE_QUOTA_DESTROY));
}

/* Bytes of pages the read-only segments of this program span. */
static uint64_t readonly_bytes(void)
{
    uint64_t len, total = 0;
    const void *file = kt_self_image(&len);
    struct elf_image img;
    if (!file || elf_parse(file, len, AERIE_USER_MIN, AERIE_USER_MAX, &img))
        return 0;
    for (unsigned i = 0; i < img.nseg; i++) {
        const struct elf_seg *s = &img.seg[i];
        if (!(s->flags & ELF_PF_W))
            total += ((s->vaddr + s->memsz + 4095) & ~4095ull) - (s->vaddr & ~4095ull);
    }
    return total;
}

KTEST(program_pages_shared, "a second start of a program charges only its private pages; text is mapped, not copied")
{
    uint64_t ep = kt_new(env, AERIE_OBJ_ENDPOINT, 0, 0, 0);
    uint64_t qa = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 50);
    uint64_t qb = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 50);
    uint64_t qc = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 50);
    struct ae_child a, b, c;
    CHECK_OK(kt_spawn_role(qa, "idle", 0, 0, ep, -1, &a, 0));
    CHECK_OK(kt_spawn_role(qb, "idle", 0, 0, ep, -1, &b, 0));
    kt_spawn_copies = true;
    int r = kt_spawn_role(qc, "idle", 0, 0, ep, -1, &c, 0);
    kt_spawn_copies = false;
    CHECK_OK(r);
    uint64_t ia[6], ib[6], ic[6], ro = readonly_bytes();
    CHECK_OK(ae_quota_info(qa, ia));
    CHECK_OK(ae_quota_info(qb, ib));
    CHECK_OK(ae_quota_info(qc, ic));
    CHECK(ro >= 8192);
    CHECK_EQ(ia[1], ib[1]);               /* the same private cost each start */
    CHECK(ic[1] - ia[1] >= ro);           /* copying costs the text pages ... */
    CHECK(ic[1] - ia[1] < ro + 4096);     /* ... plus only the records for them */
    CHECK_OK(ae_invoke0(qa, AERIE_QUOTA_DESTROY));
    CHECK_OK(ae_invoke0(qb, AERIE_QUOTA_DESTROY));
    CHECK_OK(ae_invoke0(qc, AERIE_QUOTA_DESTROY));
}

KTEST(spawn_refuses_malformed_image, "the loader refuses a truncated or corrupted program and leaves nothing behind")
{
    uint64_t len;
    const uint8_t *file = kt_self_image(&len);
    CHECK(file);
    uint64_t q = kt_new(env, AERIE_OBJ_QUOTA, 4 << 20, 2, 50), slot;
    uint64_t before[6], after[6];
    CHECK_OK(ae_quota_info(q, before));
    uint8_t *copy = ae_mem_map_new(len, &slot);
    CHECK(copy);
    for (uint64_t i = 0; i < len; i++)
        copy[i] = file[i];
    const uint64_t cuts[] = { 0, 10, 63, 64 + 56, 4096, 0x1100 };   /* text starts at 0x1000 */
    for (unsigned k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        struct ae_spawn_args a = { .quota = q, .image = copy, .image_len = cuts[k], .cpu = -1 };
        struct ae_child c;
        char err[120] = "";
        CHECK_EQ(ae_spawn(&a, &c, err, sizeof err), AE_EINVAL);
        CHECK(err[0] == 'b');                                    /* "bad program image: ..." */
    }
    copy[18] = 3;                                                 /* not x86-64 */
    struct ae_spawn_args a = { .quota = q, .image = copy, .image_len = len, .cpu = -1 };
    struct ae_child c;
    char err[120];
    CHECK_EQ(ae_spawn(&a, &c, err, sizeof err), AE_EINVAL);
    CHECK_OK(ae_quota_info(q, after));
    CHECK_EQ(after[1], before[1]);                                /* nothing charged remains */
    CHECK_EQ(after[5], before[5]);
}
