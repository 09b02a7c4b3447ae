/*
 * cmp_strtol.c — libc's strtol family against glibc's: for every base
 * (also the invalid ones) and a table of subject strings built from
 * white space, signs, prefixes and digit strings at the edges of every
 * type (LONG_MAX, LONG_MAX + 1, ULLONG_MAX, far beyond), the value,
 * *endptr and errno must all agree. atoi, atol and atoll too.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include "aerie.h"
#include "cmp_util.h"

static const char *const spaces[] = { "", " ", "\t\n\v\f\r ", "  " };
static const char *const signs[] = { "", "-", "+", "--", "+-" };
static const char *const bodies[] = {
    "", "0", "1", "7", "8", "9", "10", "42", "077", "0x", "0X", "0x1f", "0XAbC", "0xg", "0x 1",
    "z", "Z", "zz", "1z", "123abc", "abc", "ff", "FF", "0b101", "101", "36", "2147483647",
    "2147483648", "4294967295", "4294967296", "9223372036854775806", "9223372036854775807",
    "9223372036854775808", "9223372036854775809", "18446744073709551615",
    "18446744073709551616", "99999999999999999999999999999", "0x7fffffffffffffff",
    "0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000", "0777777777777777777777",
    "01000000000000000000000", "1777777777777777777777", "0000000000000000000000000001",
    "3w5e11264sgsf", "3w5e11264sgsg", "1y2p0ij32e8e7", "1y2p0ij32e8e8", " 5", ".5", "5.5",
    "1e10", "\xff", "0\xff",
};
static const int bases[] = { 0, 2, 3, 7, 8, 10, 11, 16, 17, 35, 36, 1, 37, -1, 100 };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Runs one function on both sides and compares value, end and errno. */
#define COMPARE_STRTO(fn, fmt, s, base) do { \
    char *ee = NULL, *ae = NULL; \
    errno = 12345; aerie_errno = 12345; \
    __typeof__(fn(s, &ee, base)) ev = fn(s, &ee, base); \
    int eerr = errno; \
    __typeof__(ev) av = aerie_##fn(s, &ae, base); \
    int aerr = aerie_errno; \
    cmp_cases++; \
    bool end_ok = base < 0 || base == 1 || base > 36 || ee == s + (ae - s); \
    if (ev != av || !end_ok || eerr != aerr) { \
        char w[200], e[80], a[80], esc[80]; \
        snprintf(w, sizeof w, #fn "(\"%s\", base %d)", cmp_escape(esc, sizeof esc, s, strlen(s)), base); \
        snprintf(e, sizeof e, fmt " end+%td errno %d", ev, ee - s, eerr); \
        snprintf(a, sizeof a, fmt " end+%td errno %d", av, ae - s, aerr); \
        cmp_fail(w, e, a); \
    } \
} while (0)

/* Calls check(subject) for every combination of space, sign and body. */
static void for_each_subject(void (*check)(const char *))
{
    char s[128];
    for (size_t i = 0; i < NELEM(spaces); i++)
        for (size_t j = 0; j < NELEM(signs); j++)
            for (size_t k = 0; k < NELEM(bodies); k++) {
                snprintf(s, sizeof s, "%s%s%s", spaces[i], signs[j], bodies[k]);
                check(s);
            }
}

static void check_signed(const char *s)
{
    for (size_t b = 0; b < NELEM(bases); b++) {
        COMPARE_STRTO(strtol, "%ld", s, bases[b]);
        COMPARE_STRTO(strtoll, "%lld", s, bases[b]);
        COMPARE_STRTO(strtoimax, "%jd", s, bases[b]);
    }
}

static void check_unsigned(const char *s)
{
    for (size_t b = 0; b < NELEM(bases); b++) {
        COMPARE_STRTO(strtoul, "%lu", s, bases[b]);
        COMPARE_STRTO(strtoull, "%llu", s, bases[b]);
        COMPARE_STRTO(strtoumax, "%ju", s, bases[b]);
    }
}

static void check_ato(const char *s)
{
    cmp_cases++;
    if (atoi(s) != aerie_atoi(s) && strtol(s, NULL, 10) >= INT_MIN && strtol(s, NULL, 10) <= INT_MAX) {
        char e[32], a[32];
        snprintf(e, sizeof e, "%d", atoi(s));
        snprintf(a, sizeof a, "%d", aerie_atoi(s));
        cmp_fail("atoi", e, a);
    }
    if (atol(s) != aerie_atol(s) || atoll(s) != aerie_atoll(s)) {
        char e[32], a[32];
        snprintf(e, sizeof e, "%ld", atol(s));
        snprintf(a, sizeof a, "%ld", aerie_atol(s));
        cmp_fail(s, e, a);
    }
}

static void strtol_family_signed_matches_glibc(void)
{
    cmp_begin();
    for_each_subject(check_signed);
    cmp_end();
}

static void strtol_family_unsigned_matches_glibc(void)
{
    cmp_begin();
    for_each_subject(check_unsigned);
    cmp_end();
}

static void atoi_family_matches_glibc(void)
{
    cmp_begin();
    for_each_subject(check_ato);
    cmp_end();
}

/* Random digit strings in random bases, near and past every limit. */
static void strtol_random_digits_match_glibc(void)
{
    cmp_begin();
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFXYZ";
    srand(42);
    char s[48];
    for (int i = 0; i < 20000; i++) {
        int len = 1 + rand() % 30, o = 0;
        if (rand() % 3 == 0)
            s[o++] = "-+ "[rand() % 3];
        for (int k = 0; k < len; k++)
            s[o++] = digits[rand() % (sizeof digits - 1)];
        s[o] = 0;
        int base = rand() % 38;
        COMPARE_STRTO(strtol, "%ld", s, base);
        COMPARE_STRTO(strtoul, "%lu", s, base);
    }
    cmp_end();
}

static void strtol_null_endptr_is_allowed(void)
{
    CHECK_EQ(aerie_strtol("  -123xyz", NULL, 10), (unsigned long long)-123L);
    CHECK_EQ(aerie_strtoul("ff", NULL, 16), 255);
}

int main(void)
{
    RUN(strtol_family_signed_matches_glibc);
    RUN(strtol_family_unsigned_matches_glibc);
    RUN(atoi_family_matches_glibc);
    RUN(strtol_random_digits_match_glibc);
    RUN(strtol_null_endptr_is_allowed);
    return TESTS_DONE();
}
