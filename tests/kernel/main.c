/*
 * main.c — the kernel test program. As the boot task it is the runner:
 * for each registered test (or those named with kt=NAME on the kernel
 * command line; a trailing * matches a prefix) it spawns a copy of itself
 * into a fresh task with a fresh quota, waits for it to exit, destroys the
 * quota, and checks that the free page count and the live object count
 * are exactly what they were. A spawned copy runs one test ("test NAME")
 * or another role (child.c).
 */
#include "kt.h"
#include <aerie/kip.h>
#include <aerie/fault.h>
#include "fmt.h"

extern const struct kt_test __start_kt_tests[], __stop_kt_tests[];

#define TEST_TIMEOUT_MS 120000

void kt_fail(struct kt_env *env, const char *file, int line, const char *expr, int64_t a, int64_t b)
{
    if (env->failed)
        return;
    env->failed = true;
    if (a || b)
        fmt_snprintf(env->why, sizeof env->why, "%s:%d: %s (%ld vs %ld)", file, line, expr, a, b);
    else
        fmt_snprintf(env->why, sizeof env->why, "%s:%d: %s", file, line, expr);
}

int64_t kt_create(uint64_t quota, uint64_t type, uint64_t *slot, uint64_t a0, uint64_t a1, uint64_t a2)
{
    *slot = ae_slot_alloc();
    return ae_quota_create(quota, type, *slot, a0, a1, a2);
}

uint64_t kt_new(struct kt_env *env, uint64_t type, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t slot;
    int64_t r = kt_create(env->quota, type, &slot, a0, a1, a2);
    if (r < 0) {
        kt_fail(env, __FILE__, __LINE__, "creating an object", r, 0);
        return 0;
    }
    return slot;
}

uint64_t kt_free_pages(void)
{
    uint64_t s[4];
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[0];
}

uint64_t kt_objects(void)
{
    uint64_t s[4];
    ae_kdebug_stats(ae_self.kdebug, s);
    return s[2];
}

unsigned kt_ncpus(void)
{
    return ((const struct aerie_kip *)AERIE_KIP_ADDR)->ncpus;
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Is name selected by the kt= words of the command line (all if none;
 * an explicit-only test only when a word names it exactly)? */
static bool selected(const char *cmdline, const char *name, bool explicit_only)
{
    const char *p = cmdline;
    bool any = false;
    while (*p) {
        while (*p == ' ')
            p++;
        if (p[0] == 'k' && p[1] == 't' && p[2] == '=') {
            any = true;
            const char *q = p + 3;
            unsigned n = 0, k = 0;
            while (q[n] && q[n] != ' ')
                n++;
            bool prefix = n && q[n - 1] == '*' && !explicit_only;
            unsigned want = prefix ? n - 1 : n;
            while (k < want && name[k] == q[k])
                k++;
            if (k == want && (prefix || !name[k]))
                return true;
        }
        while (*p && *p != ' ')
            p++;
    }
    return !any && !explicit_only;
}

/* ---- the child side: one test ---- */

static int run_test_here(const char *name)
{
    for (const struct kt_test *t = __start_kt_tests; t < __stop_kt_tests; t++) {
        if (!str_eq(t->name, name))
            continue;
        struct kt_env env = { .quota = ae_self.quota };
        t->fn(&env);
        if (env.failed)
            ae_kprintf("TEST FAIL %s: %s\n", name, env.why);
        return env.failed ? 1 : 0;
    }
    ae_kprintf("TEST FAIL %s: no such test\n", name);
    return 1;
}

/* ---- the runner ---- */

static uint64_t fault_ep;

static const struct ae_grant test_grants[] = {
    { AE_GRANT_SELF_TASK, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_THREAD, 0, AERIE_R_ALL, 0 },
    { AE_GRANT_SELF_QUOTA, 0, AERIE_R_ALL | AERIE_R_CLONE, 0 },   /* cm-like: for the TASK_CLONE tests */
    { "kdebug", AERIE_BOOT_KDEBUG, AERIE_R_ALL, 0 },
    { "ioport", AERIE_BOOT_IOPORT, AERIE_R_ALL, 0 },
    { "irqctl", AERIE_BOOT_IRQ_CONTROL, AERIE_R_ALL, 0 },
    { "devmem", AERIE_BOOT_DEVMEM, AERIE_R_ALL, 0 },
    { "image", AERIE_BOOT_MODULE0, AERIE_R_READ | AERIE_R_EXEC, 0 },
};

/* Waits for the child to exit (ms at most, 0: as long as it takes);
 * returns its status, or -1 with why set. */
static int64_t await_child(char *why, size_t len, unsigned ms)
{
    uint64_t badge, w[4];
    int64_t r = ms ? kt_recv(fault_ep, ms, &badge, w) : kt_recv(fault_ep, ~0u, &badge, w);
    if (r == AE_ETIMEOUT) {
        fmt_snprintf(why, len, "did not finish within %u s", TEST_TIMEOUT_MS / 1000);
        return -1;
    }
    if (r < 0) {
        fmt_snprintf(why, len, "waiting for it failed (%ld)", r);
        return -1;
    }
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    if (label == AERIE_FAULT_EXIT)
        return (int64_t)w[0];
    if (label == AERIE_FAULT_PAGE)
        fmt_snprintf(why, len, "crashed: page fault at 0x%lx (error 0x%lx) rip 0x%lx", w[0], w[1], w[2]);
    else if (label == AERIE_FAULT_EXCEPTION)
        fmt_snprintf(why, len, "crashed: exception %lu (error 0x%lx) rip 0x%lx", w[0], w[1], w[2]);
    else
        fmt_snprintf(why, len, "crashed: fault message %lu", label);
    return -1;
}

static bool run_test_in_child(const struct kt_test *t)
{
    uint64_t pages0 = kt_free_pages(), objs0 = kt_objects();
    uint64_t q = ae_slot_alloc();
    char why[200] = "";
    int64_t r = ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, 96ull << 20, 160, 25000);
    struct ae_child child = { 0 };
    if (r >= 0)
        r = kt_spawn_role(q, "test", test_grants, sizeof test_grants / sizeof test_grants[0],
                          fault_ep, -1, &child, t->name);
    /* an explicit test (the fuzzer) runs as long as it was asked to; the
     * host runner's own time limit bounds it */
    int64_t status = r < 0 ? -1 : await_child(why, sizeof why, t->explicit_only ? 0 : TEST_TIMEOUT_MS);
    if (r < 0)
        fmt_snprintf(why, sizeof why, "could not be started (%ld)", r);
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    ae_slot_free(q);
    ae_slot_free(child.task);
    ae_slot_free(child.thread);
    /* An object the test destroyed on the other CPU may wait a moment for
     * that CPU's reaper, and a thread for that CPU to switch away from it:
     * a leak is what has not come back after a second. */
    uint64_t pages1 = 0, objs1 = 0;
    for (int k = 0; k < 100 && (pages1 != pages0 || objs1 != objs0); k++) {
        if (k)
            ae_sleep_ns(10000000);
        pages1 = kt_free_pages();
        objs1 = kt_objects();
    }
    if (status == 0 && (pages1 != pages0 || objs1 != objs0)) {
        status = -1;
        fmt_snprintf(why, sizeof why, "leaked: free pages %lu -> %lu, objects %lu -> %lu",
                     pages0, pages1, objs0, objs1);
    }
    if (status == 0)
        ae_kprintf("TEST PASS %s\n", t->name);
    else if (status < 0)
        ae_kprintf("TEST FAIL %s: %s\n", t->name, why);
    /* status > 0: the child printed its own FAIL line */
    return status == 0;
}

static unsigned strlen_of(const char *s)
{
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}

/* Copies the value of "key=" on the command line into buf ("" if absent). */
static void cmdline_value(const char *cmdline, const char *key, char *buf, unsigned len)
{
    buf[0] = 0;
    for (const char *p = cmdline; *p; p++) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        unsigned k = 0;
        while (key[k] && p[k] == key[k])
            k++;
        if (key[k])
            continue;
        unsigned n = 0;
        while (p[k + n] && p[k + n] != ' ' && n + 1 < len) {
            buf[n] = p[k + n];
            n++;
        }
        buf[n] = 0;
    }
}

static void runner(void)
{
    const char *cmdline = ae_start.bootinfo->cmdline;
    static char fuzz[48];
    char seed[24];
    cmdline_value(cmdline, "fuzz=", fuzz, 24);
    cmdline_value(cmdline, "fuzz_seed=", seed, sizeof seed);
    if (seed[0])
        fmt_snprintf(fuzz + strlen_of(fuzz), sizeof fuzz - strlen_of(fuzz), ",%s", seed);
    kt_spawn_extra = fuzz[0] ? fuzz : 0;
    fault_ep = ae_slot_alloc();
    ae_quota_create(ae_self.quota, AERIE_OBJ_ENDPOINT, fault_ep, 0, 0, 0);
    /* Warm-up: the first spawn grows this task's page tables and slab
     * caches; later tests must not count that as their leak. */
    uint64_t q = ae_slot_alloc();
    struct ae_child c = { 0 };
    ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, 96ull << 20, 160, 25000);
    if (kt_spawn_role(q, "warmup", test_grants, 8, fault_ep, -1, &c, 0) == 0) {
        char why[100];
        await_child(why, sizeof why, TEST_TIMEOUT_MS);
    }
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    /* ... and so do the runner's own slots: the first test reuses these,
     * as every later one reuses the one before's. */
    ae_slot_free(q);
    ae_slot_free(c.task);
    ae_slot_free(c.thread);
    unsigned n = 0;
    for (const struct kt_test *t = __start_kt_tests; t < __stop_kt_tests; t++) {
        if (!selected(cmdline, t->name, t->explicit_only) || kt_ncpus() < t->min_cpus)
            continue;
        run_test_in_child(t);
        n++;
    }
    ae_kprintf("TESTS DONE %u\n", n);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
}

void ktest_main(uint64_t *sp);
void ktest_main(uint64_t *sp)
{
    ae_runtime_start(sp);
    if (ae_start.bootinfo)
        runner();
    else if (ae_start.argc >= 3 && str_eq(ae_start.argv[1], "test"))
        ae_thread_exit((uint64_t)run_test_here(ae_start.argv[2]));
    else
        ae_thread_exit((uint64_t)kt_child_main(ae_start.argc, ae_start.argv));
    for (;;)
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
}
