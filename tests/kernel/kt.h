/*
 * kt.h — the kernel test suite's harness (after sel4test): each test is a
 * function registered with KTEST(name, "what it shows"), run with a fresh
 * child quota; a test fails on the first CHECK that does not hold, with the
 * expression and both values, and also if it leaks: the free page count
 * and the live object count must be the same after as before.
 */
#ifndef KT_H
#define KT_H

#include <stdint.h>
#include <stdbool.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/syscall.h>
#include <aerie/boot.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/kdebug.h>

struct kt_env {
    uint64_t quota;          /* a fresh child quota for this test (slot) */
    bool failed;
    char why[200];
};

struct kt_test {
    const char *name;
    const char *desc;
    void (*fn)(struct kt_env *env);
    unsigned min_cpus;
};

#define KTEST_CPUS(tname, cpus, d) \
    static void kt_##tname(struct kt_env *env); \
    static const struct kt_test kt_reg_##tname __attribute__((used, section("kt_tests"), aligned(8))) = \
        { #tname, d, kt_##tname, cpus }; \
    static void kt_##tname(struct kt_env *env)
#define KTEST(tname, d) KTEST_CPUS(tname, 1, d)

void kt_fail(struct kt_env *env, const char *file, int line, const char *expr, int64_t a, int64_t b);

#define CHECK(cond) do { if (!(cond)) { kt_fail(env, __FILE__, __LINE__, #cond, 0, 0); return; } } while (0)
#define CHECK_EQ(x, y) do { int64_t _x = (int64_t)(x), _y = (int64_t)(y); \
    if (_x != _y) { kt_fail(env, __FILE__, __LINE__, #x " == " #y, _x, _y); return; } } while (0)
#define CHECK_OK(x) CHECK_EQ((x), 0)

/* Helpers shared by the tests. */
uint64_t kt_new(struct kt_env *env, uint64_t type, uint64_t a0, uint64_t a1, uint64_t a2);
int64_t kt_create(uint64_t quota, uint64_t type, uint64_t *slot, uint64_t a0, uint64_t a1, uint64_t a2);
uint64_t kt_free_pages(void);
uint64_t kt_objects(void);
unsigned kt_ncpus(void);

#endif
