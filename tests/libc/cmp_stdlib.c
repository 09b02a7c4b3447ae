/*
 * cmp_stdlib.c — libc's qsort, bsearch and integer arithmetic against
 * glibc's. qsort must give the same order of keys as glibc for random,
 * sorted, reversed, constant and few-valued arrays, with element sizes
 * from 1 byte to odd-sized structs (it need not be stable, so records
 * with equal keys are compared by key only, and must stay a permutation).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include "aerie.h"
#include "cmp_util.h"

struct record {
    int key;
    unsigned id;            /* which input element this was */
    char pad[5];            /* an awkward size: 13 bytes with packing */
} __attribute__((packed));

static int calls;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    calls++;
    return (x > y) - (x < y);
}

static int cmp_byte(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int cmp_record(const void *a, const void *b)
{
    struct record x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x.key > y.key) - (x.key < y.key);
}

enum shape { RANDOM, SORTED, REVERSED, CONSTANT, FEW_VALUES, ORGAN_PIPE, SHAPES };

static int value_for(enum shape s, size_t i, size_t n)
{
    switch (s) {
    case SORTED: return (int)i;
    case REVERSED: return (int)(n - i);
    case CONSTANT: return 7;
    case FEW_VALUES: return rand() % 3;
    case ORGAN_PIPE: return (int)(i < n / 2 ? i : n - i);
    default: return rand() - RAND_MAX / 2;
    }
}

static void qsort_ints_match_glibc(void)
{
    for (int s = 0; s < SHAPES; s++)
        for (size_t n = 0; n < 300; n += 1 + n / 4) {
            int *a = malloc((n + 1) * sizeof *a), *e = malloc((n + 1) * sizeof *e);
            for (size_t i = 0; i < n; i++)
                a[i] = e[i] = value_for((enum shape)s, i, n);
            aerie_qsort(a, n, sizeof *a, cmp_int);
            qsort(e, n, sizeof *e, cmp_int);
            CHECK(n == 0 || memcmp(a, e, n * sizeof *a) == 0);
            free(a);
            free(e);
        }
}

static void qsort_is_n_log_n_on_adversarial_shapes(void)
{
    size_t n = 20000;
    int *a = malloc(n * sizeof *a);
    for (int s = 0; s < SHAPES; s++) {
        for (size_t i = 0; i < n; i++)
            a[i] = value_for((enum shape)s, i, n);
        calls = 0;
        aerie_qsort(a, n, sizeof *a, cmp_int);
        if (getenv("CMP_VERBOSE")) fprintf(stderr, "shape %d: %d compares\n", s, calls);
        CHECK(calls < 40 * (int)n);             /* 2 n log2 n is about 570000 */
        for (size_t i = 1; i < n; i++)
            CHECK(a[i - 1] <= a[i]);
    }
    free(a);
}

static void qsort_bytes_and_records_match_glibc(void)
{
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)rand() % 150;
        unsigned char *b = malloc(n + 1), *be = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            b[i] = be[i] = (unsigned char)rand();
        aerie_qsort(b, n, 1, cmp_byte);
        qsort(be, n, 1, cmp_byte);
        CHECK(n == 0 || memcmp(b, be, n) == 0);
        free(b);
        free(be);

        struct record *r = malloc((n + 1) * sizeof *r);
        for (size_t i = 0; i < n; i++)
            r[i] = (struct record){ rand() % 20, (unsigned)i, "pad!" };
        aerie_qsort(r, n, sizeof *r, cmp_record);
        unsigned char seen[150] = { 0 };
        for (size_t i = 0; i < n; i++) {
            CHECK(i == 0 || r[i - 1].key <= r[i].key);
            CHECK(r[i].id < n && !seen[r[i].id]);
            if (r[i].id < n)
                seen[r[i].id] = 1;
            CHECK(strcmp(r[i].pad, "pad!") == 0);
        }
        free(r);
    }
}

static void bsearch_finds_like_glibc(void)
{
    int a[100];
    for (int i = 0; i < 100; i++)
        a[i] = 3 * i;
    for (size_t n = 0; n <= 100; n += 7)
        for (int key = -2; key < 310; key++) {
            int *x = aerie_bsearch(&key, a, n, sizeof a[0], cmp_int);
            int *y = bsearch(&key, a, n, sizeof a[0], cmp_int);
            CHECK(x == y);
        }
}

static void abs_and_div_match_glibc(void)
{
    static const long long values[] = { 0, 1, -1, 7, -7, 100, -100, INT_MAX, INT_MIN + 1,
                                        LLONG_MAX, LLONG_MIN + 1, 123456789, -987654321 };
    size_t nv = sizeof values / sizeof values[0];
    for (size_t i = 0; i < nv; i++) {
        long long v = values[i];
        if (v >= INT_MIN && v <= INT_MAX)
            CHECK_EQ(aerie_abs((int)v), abs((int)v));
        CHECK_EQ(aerie_labs((long)v), labs((long)v));
        CHECK_EQ(aerie_llabs(v), llabs(v));
        CHECK_EQ(aerie_imaxabs(v), imaxabs(v));
        for (size_t j = 0; j < nv; j++) {
            long long d = values[j];
            if (!d)
                continue;
            if (v >= INT_MIN && v <= INT_MAX && d >= INT_MIN && d <= INT_MAX) {
                aerie_div_t q = aerie_div((int)v, (int)d);
                div_t r = div((int)v, (int)d);
                CHECK(q.quot == r.quot && q.rem == r.rem);
            }
            aerie_ldiv_t lq = aerie_ldiv((long)v, (long)d);
            ldiv_t lr = ldiv((long)v, (long)d);
            CHECK(lq.quot == lr.quot && lq.rem == lr.rem);
            aerie_lldiv_t llq = aerie_lldiv(v, d);
            lldiv_t llr = lldiv(v, d);
            CHECK(llq.quot == llr.quot && llq.rem == llr.rem);
        }
    }
}

int main(void)
{
    srand(3);
    RUN(qsort_ints_match_glibc);
    RUN(qsort_is_n_log_n_on_adversarial_shapes);
    RUN(qsort_bytes_and_records_match_glibc);
    RUN(bsearch_finds_like_glibc);
    RUN(abs_and_div_match_glibc);
    return TESTS_DONE();
}
