/*
 * test_pmm.c — host unit tests for the buddy page allocator (kernel/pmm.c),
 * built with ASan and UBSan. The "physical memory" is only metadata here:
 * the allocator never touches page contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pmm.h"
#include "ktest_host.h"

#define NPFN 8192                     /* 32 MiB of pretend RAM */

static void *meta;

static void setup(void)
{
    free(meta);
    meta = malloc(pmm_metadata_bytes(NPFN));
    pmm_init(meta, NPFN);
}

static int quiet_print(const char *fmt, ...) { (void)fmt; return 0; }

static uint64_t *alloc_all(uint64_t *count)
{
    uint64_t *list = malloc(NPFN * sizeof *list), n = 0, p;
    while ((p = pmm_alloc_page()))
        list[n++] = p;
    *count = n;
    return list;
}

static void pmm_alloc_all_free_all_again(void)
{
    setup();
    pmm_add_range(0, NPFN * 4096ull);
    uint64_t free0 = pmm_free_pages(), n1, n2;
    CHECK_EQ(free0, NPFN - 1);                     /* frame 0 is never used */
    uint64_t *a = alloc_all(&n1);
    CHECK_EQ(n1, free0);
    CHECK_EQ(pmm_free_pages(), 0);
    for (uint64_t i = 0; i < n1; i++)
        pmm_free_page(a[i]);
    CHECK_EQ(pmm_free_pages(), free0);
    uint64_t *b = alloc_all(&n2);
    CHECK_EQ(n2, n1);
    for (uint64_t i = 0; i < n2; i++)
        pmm_free_page(b[n2 - 1 - i]);              /* reverse order this time */
    CHECK_EQ(pmm_free_pages(), free0);
    CHECK(pmm_check(quiet_print));
    /* Everything merged back: the largest blocks must be available again. */
    uint64_t big = pmm_alloc(PMM_MAX_ORDER);
    CHECK(big != 0);
    pmm_free(big, PMM_MAX_ORDER);
    free(a);
    free(b);
}

static void pmm_blocks_are_aligned_and_disjoint(void)
{
    setup();
    pmm_add_range(0, NPFN * 4096ull);
    uint64_t blocks[64];
    unsigned orders[64];
    int n = 0;
    srand(1);
    for (; n < 64; n++) {
        orders[n] = (unsigned)(rand() % (PMM_MAX_ORDER + 1));
        blocks[n] = pmm_alloc(orders[n]);
        if (!blocks[n])
            break;
        CHECK_EQ(blocks[n] % (4096ull << orders[n]), 0);
    }
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++) {
            uint64_t ai = blocks[i], ae = ai + (4096ull << orders[i]);
            uint64_t bi = blocks[k], be = bi + (4096ull << orders[k]);
            CHECK(ae <= bi || be <= ai);
        }
    for (int i = 0; i < n; i++)
        pmm_free(blocks[i], orders[i]);
    CHECK_EQ(pmm_free_pages(), NPFN - 1);
    CHECK(pmm_check(quiet_print));
}

static void pmm_holes_are_never_handed_out(void)
{
    setup();
    pmm_add_range(0x100000, 0x100000);             /* frames 256..511 */
    pmm_add_range(0x300000, 0x80000);              /* frames 768..895 */
    CHECK_EQ(pmm_free_pages(), 256 + 128);
    uint64_t count, *a = alloc_all(&count);
    CHECK_EQ(count, 384);
    for (uint64_t i = 0; i < count; i++) {
        bool in1 = a[i] >= 0x100000 && a[i] < 0x200000;
        bool in2 = a[i] >= 0x300000 && a[i] < 0x380000;
        CHECK(in1 || in2);
    }
    for (uint64_t i = 0; i < count; i++)
        pmm_free_page(a[i]);
    CHECK(pmm_check(quiet_print));
    free(a);
}

static void pmm_too_large_order_fails(void)
{
    setup();
    pmm_add_range(0, NPFN * 4096ull);
    CHECK_EQ(pmm_alloc(PMM_MAX_ORDER + 1), 0);
    CHECK_EQ(pmm_alloc(1000), 0);
    CHECK_EQ(pmm_free_pages(), NPFN - 1);
}

static void pmm_exhaustion_then_recovery(void)
{
    setup();
    pmm_add_range(0x10000, 16 * 4096);             /* 16 frames */
    uint64_t big = pmm_alloc(4);
    CHECK(big != 0);
    CHECK_EQ(pmm_alloc_page(), 0);                 /* empty now */
    pmm_free(big, 4);
    CHECK_EQ(pmm_alloc(5), 0);                     /* never that large */
    CHECK(pmm_alloc(4) == big);
}

int main(void)
{
    RUN(pmm_alloc_all_free_all_again);
    RUN(pmm_blocks_are_aligned_and_disjoint);
    RUN(pmm_holes_are_never_handed_out);
    RUN(pmm_too_large_order_fails);
    RUN(pmm_exhaustion_then_recovery);
    free(meta);
    return TESTS_DONE();
}
