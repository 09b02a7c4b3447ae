/*
 * t_misc.c — the smaller contracts: clocks and sleeping, the environment
 * (getenv, setenv, unsetenv), rand's determinism, the libc.h helpers
 * (deadlines, auxv lookup), setjmp and longjmp. Runs static and on the
 * host.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "ktest_host.h"
#include "libc.h"

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void clocks_tick_and_agree(void)
{
    struct timespec a, b, r;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &a), 0);
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0);
    CHECK(ns_of(&b) >= ns_of(&a));
    CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &a), 0);
    CHECK(a.tv_sec > 1577836800);                     /* after 2020-01-01 */
    time_t t = 0, now = time(&t);
    CHECK(now == t && now >= a.tv_sec && now - a.tv_sec < 5);
    struct timeval tv;
    CHECK_EQ(gettimeofday(&tv, NULL), 0);
    CHECK(tv.tv_sec - a.tv_sec < 5 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    CHECK_EQ(clock_gettime(99, &a), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &r), 0);
    CHECK(r.tv_sec == 0 && r.tv_nsec > 0);
    CHECK_EQ(timespec_get(&a, TIME_UTC), TIME_UTC);
    CHECK(clock() >= 0);
    CHECK(difftime(10, 4) == 6.0);
}

static void sleeping_lasts_at_least_as_asked(void)
{
    struct timespec a, b, req = { 0, 20 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_EQ(nanosleep(&req, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK(ns_of(&b) - ns_of(&a) >= 20 * 1000 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_EQ(usleep(10000), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK(ns_of(&b) - ns_of(&a) >= 10 * 1000 * 1000);
    struct timespec bad = { 0, 1000000000L };
    CHECK_EQ(nanosleep(&bad, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    CHECK_EQ(nanosleep(&bad, NULL), -1);
    CHECK_EQ(sleep(0), 0);
}

static void environment_can_be_changed(void)
{
    CHECK(getenv("AERIE_TEST_VAR") == NULL);
    CHECK_EQ(setenv("AERIE_TEST_VAR", "one", 0), 0);
    CHECK(getenv("AERIE_TEST_VAR") && strcmp(getenv("AERIE_TEST_VAR"), "one") == 0);
    CHECK_EQ(setenv("AERIE_TEST_VAR", "two", 0), 0);            /* no overwrite */
    CHECK(strcmp(getenv("AERIE_TEST_VAR"), "one") == 0);
    CHECK_EQ(setenv("AERIE_TEST_VAR", "three", 1), 0);
    CHECK(strcmp(getenv("AERIE_TEST_VAR"), "three") == 0);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "AERIE_MANY_%d", i);
        CHECK_EQ(setenv(name, name, 1), 0);
    }
    CHECK(strcmp(getenv("AERIE_MANY_57"), "AERIE_MANY_57") == 0);
    CHECK(strcmp(getenv("AERIE_TEST_VAR"), "three") == 0);
    CHECK_EQ(unsetenv("AERIE_TEST_VAR"), 0);
    CHECK(getenv("AERIE_TEST_VAR") == NULL);
    CHECK_EQ(unsetenv("AERIE_TEST_VAR"), 0);
    CHECK_EQ(setenv("", "x", 1), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(setenv("A=B", "x", 1), -1);
    CHECK_EQ(unsetenv("A=B"), -1);
    CHECK(getenv("AERIE_TEST") == NULL);                        /* a prefix is not a name */
    CHECK(getenv("AERIE_MANY_5=") == NULL);
    int n = 0;
    for (char **e = environ; *e; e++)
        n += strncmp(*e, "AERIE_MANY_", 11) == 0;
    CHECK_EQ(n, 100);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "AERIE_MANY_%d", i);
        unsetenv(name);
    }
    CHECK(getenv("AERIE_MANY_57") == NULL);
}

static void rand_is_deterministic_per_seed(void)
{
    srand(1);
    int first[8];
    for (int i = 0; i < 8; i++) {
        first[i] = rand();
        CHECK(first[i] >= 0 && first[i] <= RAND_MAX);
    }
    srand(2);
    int differs = rand() != first[0];
    srand(1);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(rand(), first[i]);
    CHECK(differs);
    unsigned s1 = 5, s2 = 5;
    for (int i = 0; i < 8; i++) {
        int a = rand_r(&s1);
        CHECK_EQ(a, rand_r(&s2));
        CHECK(a >= 0 && a <= RAND_MAX);
    }
    int hist[4] = { 0 };
    for (int i = 0; i < 40000; i++)
        hist[rand() % 4]++;
    for (int i = 0; i < 4; i++)
        CHECK(hist[i] > 9000 && hist[i] < 11000);
}

static void deadlines_and_auxv_lookups(void)
{
    struct timespec now, abs;
    uint64_t ns;
    clock_gettime(CLOCK_MONOTONIC, &now);
    abs = now;
    abs.tv_sec += 2;
    CHECK_EQ(__ns_until(CLOCK_MONOTONIC, &abs, &ns), 0);
    CHECK(ns > 1000000000ull && ns <= 2000000000ull);
    abs.tv_sec -= 4;
    CHECK_EQ(__ns_until(CLOCK_MONOTONIC, &abs, &ns), ETIMEDOUT);
    abs.tv_nsec = -5;
    CHECK_EQ(__ns_until(CLOCK_MONOTONIC, &abs, &ns), EINVAL);
    abs = (struct timespec){ 0x7fffffffffffffffL, 0 };
    CHECK_EQ(__ns_until(CLOCK_REALTIME, &abs, &ns), 0);
    CHECK(ns > 1000000000ull * 3600 * 24 * 365 * 100);
    CHECK_EQ(__ns_until(77, &abs, &ns), EINVAL);
    uint64_t auxv[] = { AT_PAGESZ, 4096, AT_PHNUM, 9, AT_NULL, 0 };
    CHECK_EQ(__auxv_get(auxv, AT_PHNUM), 9);
    CHECK_EQ(__auxv_get(auxv, AT_RANDOM), 0);
    CHECK_EQ(__auxv_get(NULL, AT_PHNUM), 0);
}

static jmp_buf jump;
static int depth_reached;

__attribute__((noinline)) static void dive(int depth, int val)
{
    depth_reached = depth;
    if (val < 0)
        return;                         /* never: a way out, for the compiler */
    if (depth < 10)
        dive(depth + 1, val);
    else
        longjmp(jump, val);
}

static void longjmp_returns_to_setjmp(void)
{
    volatile int passes = 0;
    int r = setjmp(jump);
    passes++;
    if (r == 0)
        dive(0, 42);
    CHECK_EQ(r, 42);
    CHECK_EQ(passes, 2);
    CHECK_EQ(depth_reached, 10);
    if ((r = setjmp(jump)) == 0)
        dive(0, 0);
    CHECK_EQ(r, 1);                     /* longjmp(env, 0) returns 1 */
}

int main(void)
{
    RUN(clocks_tick_and_agree);
    RUN(sleeping_lasts_at_least_as_asked);
    RUN(environment_can_be_changed);
    RUN(rand_is_deterministic_per_seed);
    RUN(deadlines_and_auxv_lookups);
    RUN(longjmp_returns_to_setjmp);
    return TESTS_DONE();
}
