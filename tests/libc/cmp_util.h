/*
 * cmp_util.h — helpers for the comparison tests (glibc against aerie_*):
 * a mismatch records the first case in the test's failure line, with
 * expected and actual values escaped onto one line, and counts the rest.
 */
#ifndef TESTS_LIBC_CMP_UTIL_H
#define TESTS_LIBC_CMP_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktest_host.h"

static long cmp_mismatches;
static long cmp_cases;

/* Copies s into out (size n) with control bytes and quotes escaped. */
static inline const char *cmp_escape(char *out, size_t n, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 32 || c >= 127 || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

/* Records a mismatch: case describes the input, expected/actual the results. */
static inline void cmp_fail(const char *what, const char *expected, const char *actual)
{
    cmp_mismatches++;
    if (getenv("CMP_VERBOSE"))      /* every mismatch, for debugging */
        fprintf(stderr, "%s: expected \"%s\", got \"%s\"\n", what, expected, actual);
    if (!host_test_ok)
        return;
    host_test_ok = false;
    char e[160], a[160];
    snprintf(host_test_why, sizeof host_test_why, "%.150s: expected \"%s\", got \"%s\"", what,
             cmp_escape(e, sizeof e, expected, strlen(expected)),
             cmp_escape(a, sizeof a, actual, strlen(actual)));
}

/* Starts a comparison test; cmp_end adds how many cases disagreed. */
static inline void cmp_begin(void)
{
    cmp_mismatches = 0;
    cmp_cases = 0;
}

static inline void cmp_end(void)
{
    if (cmp_mismatches > 1) {
        size_t n = strlen(host_test_why);
        snprintf(host_test_why + n, sizeof host_test_why - n, " (and %ld more of %ld cases)",
                 cmp_mismatches - 1, cmp_cases);
    }
}

#endif
