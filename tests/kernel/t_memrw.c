/*
 * t_memrw.c — Memory READ and WRITE: a service reaching a client's memory
 * without mapping it (the console keeps each container's log this way).
 * Bytes across page boundaries, the bounds, the rights.
 */
#include "kt.h"
#include <string.h>

#define VA 0x58000000ull

static int64_t mem_write(uint64_t m, uint64_t off, const void *bytes, uint64_t n)
{
    uint64_t a[2 + AERIE_MEM_WRITE_MAX / 8] = { off, n };
    memcpy(&a[2], bytes, n);
    return ae_invoke(m, AERIE_MEM_WRITE, 2 + (unsigned)((n + 7) / 8), a, 0, 0);
}

static int64_t mem_read(uint64_t m, uint64_t off, void *bytes, uint64_t n)
{
    uint64_t a[2] = { off, n }, out[AERIE_MEM_RW_MAX / 8];
    int64_t r = ae_invoke(m, AERIE_MEM_READ, 2, a, out, (unsigned)((n + 7) / 8));
    if (r >= 0)
        memcpy(bytes, out, n);
    return r;
}

KTEST(mem_read_write_without_mapping, "WRITE then READ move bytes across a page boundary; a mapping sees them")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 2 * 4096, 0, 0);
    char in[AERIE_MEM_WRITE_MAX], out[AERIE_MEM_RW_MAX];
    for (unsigned i = 0; i < sizeof in; i++)
        in[i] = (char)(i * 13 + 1);
    CHECK_OK(mem_write(m, 4096 - 100, in, sizeof in));
    memset(out, 0, sizeof out);
    CHECK_OK(mem_read(m, 4096 - 100, out, sizeof in));
    CHECK(!memcmp(in, out, sizeof in));
    CHECK_OK(ae_task_map(ae_self.task, m, 0, VA, 2 * 4096, AERIE_MAP_R));
    CHECK(!memcmp((const char *)VA + 4096 - 100, in, sizeof in));
    CHECK_OK(mem_read(m, 2 * 4096 - 3, out, 3));           /* the last bytes: zero */
    CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0);
    CHECK_OK(mem_read(m, 0, out, AERIE_MEM_RW_MAX));
    CHECK_OK(mem_write(m, 8192, in, 0));                     /* nothing, at the very end */
}

KTEST(mem_read_write_bounds_and_rights, "outside the object, too long, without the right: refused, nothing changed")
{
    uint64_t m = kt_new(env, AERIE_OBJ_MEMORY, 4096, 0, 0);
    char b[AERIE_MEM_RW_MAX + 8];
    memset(b, 'x', sizeof b);
    CHECK_EQ(mem_write(m, 4090, b, 7), AE_ERANGE);
    CHECK_EQ(mem_write(m, ~0ull - 2, b, 7), AE_ERANGE);       /* offset + length wraps */
    CHECK_EQ(mem_read(m, 4097, b, 1), AE_ERANGE);
    CHECK_EQ(mem_read(m, 0, b, AERIE_MEM_RW_MAX + 8), AE_EINVAL);
    uint64_t a[3] = { 0, 64, 0 };                            /* says 64 bytes, carries 8 */
    CHECK_EQ(ae_invoke(m, AERIE_MEM_WRITE, 3, a, 0, 0), AE_EINVAL);
    a[1] = AERIE_MEM_WRITE_MAX + 8;
    CHECK_EQ(ae_invoke(m, AERIE_MEM_WRITE, 3, a, 0, 0), AE_EINVAL);
    CHECK_OK(mem_read(m, 0, b, 64));
    for (int i = 0; i < 64; i++)
        CHECK_EQ(b[i], 0);                                   /* no refused write landed */
    uint64_t ro = kt_mint(m, AERIE_R_READ, 0), wo = kt_mint(m, AERIE_R_WRITE, 0);
    CHECK_EQ(mem_write(ro, 0, b, 8), AE_ERIGHTS);
    CHECK_EQ(mem_read(wo, 0, b, 8), AE_ERIGHTS);
    CHECK_OK(mem_write(wo, 0, "abcdefgh", 8));
    CHECK_OK(mem_read(ro, 0, b, 8));
    CHECK(!memcmp(b, "abcdefgh", 8));
}
