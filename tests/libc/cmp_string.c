/*
 * cmp_string.c — libc's string, memory and ctype functions against
 * glibc's: every alignment and length up to a few words (where word-wise
 * code goes wrong), overlapping memmove both ways, the sign (not the
 * value) of comparisons, random haystacks for strstr and the span
 * functions, strtok_r sequences, and every ctype class for all 257
 * inputs. Buffers are exact-size heap blocks so ASan sees any overrun.
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>
#include "aerie.h"
#include "cmp_util.h"

#define MAXLEN 80

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void fill_random(unsigned char *p, size_t n, int alphabet)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(alphabet ? 'a' + rand() % alphabet : rand() % 256);
}

static void memcpy_and_memset_all_alignments(void)
{
    unsigned char src[MAXLEN + 16], a[MAXLEN + 32], e[MAXLEN + 32];
    fill_random(src, sizeof src, 0);
    for (size_t so = 0; so < 8; so++)
        for (size_t d = 0; d < 8; d++)
            for (size_t n = 0; n <= MAXLEN; n++) {
                memset(a, 0x5a, sizeof a);
                memset(e, 0x5a, sizeof e);
                CHECK(aerie_memcpy(a + d, src + so, n) == a + d);
                memcpy(e + d, src + so, n);
                CHECK(memcmp(a, e, sizeof a) == 0);
                CHECK(aerie_memset(a + d, (int)(n * 7 + 0x100), n) == a + d);
                memset(e + d, (int)(n * 7 + 0x100), n);
                CHECK(memcmp(a, e, sizeof a) == 0);
            }
}

static void memmove_overlapping_both_ways(void)
{
    unsigned char a[2 * MAXLEN], e[2 * MAXLEN];
    for (size_t src = 0; src < MAXLEN; src += 3)
        for (size_t dst = 0; dst < MAXLEN; dst++)
            for (size_t n = 0; n <= MAXLEN; n += 1 + n / 8) {
                fill_random(a, sizeof a, 0);
                memcpy(e, a, sizeof a);
                CHECK(aerie_memmove(a + dst, a + src, n) == a + dst);
                memmove(e + dst, e + src, n);
                CHECK(memcmp(a, e, sizeof a) == 0);
            }
}

static void memcmp_memchr_memccpy_match_glibc(void)
{
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)rand() % MAXLEN;
        unsigned char *x = malloc(n + 1), *y = malloc(n + 1);
        fill_random(x, n + 1, round % 2 ? 3 : 0);
        memcpy(y, x, n + 1);
        if (n && rand() % 2)
            y[rand() % n] = (unsigned char)rand();
        CHECK_EQ(sign(aerie_memcmp(x, y, n)), sign(memcmp(x, y, n)));
        int c = rand() % 2 ? x[rand() % (n + 1)] : rand() % 256;
        CHECK(aerie_memchr(x, c, n) == memchr(x, c, n));
        CHECK(aerie_memchr(x, c + 256, n) == memchr(x, c + 256, n));
        unsigned char ea[MAXLEN + 1], aa[MAXLEN + 1];
        memset(ea, 0, sizeof ea);
        memset(aa, 0, sizeof aa);
        void *er = memccpy(ea, x, c, n);
        void *ar = aerie_memccpy(aa, x, c, n);
        CHECK((er ? (unsigned char *)er - ea : -1) == (ar ? (unsigned char *)ar - aa : -1));
        CHECK(memcmp(ea, aa, sizeof ea) == 0);
        free(x);
        free(y);
    }
}

/* A random NUL-terminated string of length n in an exact-size block. */
static char *random_string(size_t n, int alphabet)
{
    char *s = malloc(n + 1);
    fill_random((unsigned char *)s, n, alphabet);
    for (size_t i = 0; i < n; i++)
        if (!s[i])
            s[i] = 'x';
    s[n] = 0;
    return s;
}

static void strlen_strnlen_strchr_strrchr_match_glibc(void)
{
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)rand() % MAXLEN;
        char *s = random_string(n, round % 3 ? 4 : 0);
        CHECK_EQ(aerie_strlen(s), strlen(s));
        size_t max = (size_t)rand() % (n + 2);
        CHECK_EQ(aerie_strnlen(s, max), strnlen(s, max));
        int c = rand() % 2 ? 'a' + rand() % 4 : rand() % 256;
        CHECK(aerie_strchr(s, c) == strchr(s, c));
        CHECK(aerie_strrchr(s, c) == strrchr(s, c));
        CHECK(aerie_strchr(s, 0) == s + n);
        CHECK(aerie_strrchr(s, 0) == s + n);
        free(s);
    }
}

static void copy_and_concatenate_match_glibc(void)
{
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)rand() % 40, m = (size_t)rand() % 40, k = (size_t)rand() % 50;
        char *s = random_string(n, 0), *t = random_string(m, 0);
        char e[128], a[128];
        memset(e, 'E', sizeof e);
        memset(a, 'E', sizeof a);
        CHECK(aerie_strcpy(a, s) == a);
        strcpy(e, s);
        CHECK(memcmp(a, e, sizeof a) == 0);
        CHECK(aerie_strcat(a, t) == a);
        strcat(e, t);
        CHECK(memcmp(a, e, sizeof a) == 0);
        CHECK(aerie_strncat(a, s, k) == a);
        strncat(e, s, k);
        CHECK(memcmp(a, e, sizeof a) == 0);
        CHECK(aerie_strncpy(a, t, k) == a);
        strncpy(e, t, k);
        CHECK(memcmp(a, e, sizeof a) == 0);
        CHECK(aerie_stpcpy(a, s) - a == stpcpy(e, s) - e);
        CHECK(memcmp(a, e, sizeof a) == 0);
        CHECK(aerie_stpncpy(a, t, k) - a == stpncpy(e, t, k) - e);
        CHECK(memcmp(a, e, sizeof a) == 0);
        free(s);
        free(t);
    }
}

static void comparisons_have_glibc_signs(void)
{
    static const char *const words[] = {
        "", "a", "b", "ab", "abc", "abd", "ABC", "Abc", "\x80", "\xff", "a\xff", "zz", "Z",
        "hello", "hellO", "hello world", "hello\x7f",
    };
    size_t nw = sizeof words / sizeof words[0];
    for (size_t i = 0; i < nw; i++)
        for (size_t j = 0; j < nw; j++) {
            const char *x = words[i], *y = words[j];
            CHECK_EQ(sign(aerie_strcmp(x, y)), sign(strcmp(x, y)));
            CHECK_EQ(sign(aerie_strcoll(x, y)), sign(strcmp(x, y)));
            CHECK_EQ(sign(aerie_strcasecmp(x, y)), sign(strcasecmp(x, y)));
            for (size_t n = 0; n < 6; n++) {
                CHECK_EQ(sign(aerie_strncmp(x, y, n)), sign(strncmp(x, y, n)));
                CHECK_EQ(sign(aerie_strncasecmp(x, y, n)), sign(strncasecmp(x, y, n)));
            }
        }
}

static void search_functions_match_glibc(void)
{
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)rand() % 60, m = (size_t)rand() % 5;
        char *h = random_string(n, 3), *nd = random_string(m, 3);
        CHECK(aerie_strstr(h, nd) == strstr(h, nd));
        CHECK_EQ(aerie_strspn(h, nd), strspn(h, nd));
        CHECK_EQ(aerie_strcspn(h, nd), strcspn(h, nd));
        CHECK(aerie_strpbrk(h, nd) == strpbrk(h, nd));
        free(h);
        free(nd);
    }
    CHECK(aerie_strstr("aaaaaaab", "aaab") == strstr("aaaaaaab", "aaab") );
    CHECK_EQ(aerie_strspn("abc", ""), 0);
    CHECK_EQ(aerie_strcspn("abc", ""), 3);
}

static void strtok_r_splits_like_glibc(void)
{
    static const char *const inputs[] = {
        "", ",", "a", "a,b", ",,a,,b,,", "one two  three", " ,x, ,y z,, ", "no-delims-here",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char e[64], a[64];
        strcpy(e, inputs[i]);
        strcpy(a, inputs[i]);
        char *es = NULL, *as = NULL;
        char *et = strtok_r(e, ", ", &es), *at = aerie_strtok_r(a, ", ", &as);
        for (int k = 0; k < 10; k++) {
            CHECK((et ? et - e : -1) == (at ? at - a : -1));
            if (!et || !at)
                break;
            CHECK(strcmp(et, at) == 0);
            et = strtok_r(NULL, ", ", &es);
            at = aerie_strtok_r(NULL, ", ", &as);
        }
        strcpy(a, inputs[i]);
        char *t = aerie_strtok(a, ", ");
        strcpy(e, inputs[i]);
        char *u = strtok(e, ", ");
        CHECK((t ? t - a : -1) == (u ? u - e : -1));
    }
}

static void strdup_strndup_strxfrm_ffs(void)
{
    char *d = aerie_strdup("copy me");
    CHECK(d && strcmp(d, "copy me") == 0);
    aerie_free(d);
    d = aerie_strndup("abcdef", 3);
    CHECK(d && strcmp(d, "abc") == 0);
    aerie_free(d);
    d = aerie_strndup("ab", 10);
    CHECK(d && strcmp(d, "ab") == 0);
    aerie_free(d);
    char buf[8] = "zzzzzzz";
    CHECK_EQ(aerie_strxfrm(buf, "abc", sizeof buf), 3);
    CHECK(strcmp(buf, "abc") == 0);
    CHECK_EQ(aerie_strxfrm(buf, "longer than buf", 4), 15);
    for (int i = -70; i < 70; i++) {
        int v = i < 0 ? (int)((0x80000000u >> (-i % 32)) * (unsigned)(-i % 3)) : i * 997;
        CHECK_EQ(aerie_ffs(v), ffs(v));
    }
}

static void strerror_covers_errno_values(void)
{
    for (int e = 0; e < 140; e++)
        CHECK(aerie_strerror(e) != NULL && aerie_strerror(e)[0] != 0);
    CHECK(strcmp(aerie_strerror(-1), "Unknown error") == 0);
    char buf[64];
    CHECK_EQ(aerie_strerror_r(2 /* ENOENT */, buf, sizeof buf), 0);
    CHECK(strcmp(buf, "No such file or directory") == 0);
    CHECK_EQ(aerie_strerror_r(2, buf, 5), 34 /* ERANGE */);
    CHECK(strcmp(buf, "No s") == 0);
    CHECK_EQ(aerie_strerror_r(9999, buf, sizeof buf), 22 /* EINVAL */);
}

static void ctype_matches_glibc_c_locale(void)
{
    static int (*const ours[])(int) = {
        aerie_isalnum, aerie_isalpha, aerie_isblank, aerie_iscntrl, aerie_isdigit, aerie_isgraph,
        aerie_islower, aerie_isprint, aerie_ispunct, aerie_isspace, aerie_isupper, aerie_isxdigit,
    };
    static int (*const theirs[])(int) = {
        isalnum, isalpha, isblank, iscntrl, isdigit, isgraph, islower, isprint, ispunct,
        isspace, isupper, isxdigit,
    };
    for (int c = -1; c < 256; c++) {
        for (int f = 0; f < 12; f++)
            CHECK_EQ(!!ours[f](c), !!theirs[f](c));
        CHECK_EQ(aerie_tolower(c), tolower(c));
        CHECK_EQ(aerie_toupper(c), toupper(c));
    }
}

int main(void)
{
    srand(7);
    RUN(memcpy_and_memset_all_alignments);
    RUN(memmove_overlapping_both_ways);
    RUN(memcmp_memchr_memccpy_match_glibc);
    RUN(strlen_strnlen_strchr_strrchr_match_glibc);
    RUN(copy_and_concatenate_match_glibc);
    RUN(comparisons_have_glibc_signs);
    RUN(search_functions_match_glibc);
    RUN(strtok_r_splits_like_glibc);
    RUN(strdup_strndup_strxfrm_ffs);
    RUN(strerror_covers_errno_values);
    RUN(ctype_matches_glibc_c_locale);
    return TESTS_DONE();
}
