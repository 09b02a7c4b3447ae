/*
 * ktest_host.h — the test protocol for host unit tests, the same lines the
 * in-QEMU tests print: "TEST PASS name", "TEST FAIL name: why",
 * "TESTS DONE n". CHECK records a failure with the expression and values.
 */
#ifndef AERIE_KTEST_HOST_H
#define AERIE_KTEST_HOST_H

#include <stdio.h>
#include <stdbool.h>

static int host_tests_run;
static bool host_test_ok;
static char host_test_why[512];

#define CHECK(cond) do { if (!(cond) && host_test_ok) { host_test_ok = false; \
    snprintf(host_test_why, sizeof host_test_why, "%s:%d: %s", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_EQ(a, b) do { unsigned long long _a = (a), _b = (b); if (_a != _b && host_test_ok) { \
    host_test_ok = false; snprintf(host_test_why, sizeof host_test_why, \
    "%s:%d: %s == %s: %llu != %llu", __FILE__, __LINE__, #a, #b, _a, _b); } } while (0)

static inline void run_host_test(const char *name, void (*fn)(void))
{
    host_test_ok = true;
    host_test_why[0] = 0;
    fn();
    host_tests_run++;
    if (host_test_ok)
        printf("TEST PASS %s\n", name);
    else
        printf("TEST FAIL %s: %s\n", name, host_test_why);
    fflush(stdout);
}

#define RUN(fn) run_host_test(#fn, fn)
#define TESTS_DONE() (printf("TESTS DONE %d\n", host_tests_run), 0)

#endif
