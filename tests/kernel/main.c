/*
 * main.c — the kernel test program: the boot task of a test boot. It runs
 * every registered test (or those named on the kernel command line with
 * kt=NAME), each with a fresh child quota that is destroyed afterwards,
 * checks that nothing leaked, and prints the runner's protocol lines.
 */
#include "kt.h"
#include <aerie/kip.h>
#include "fmt.h"

extern const struct kt_test __start_kt_tests[], __stop_kt_tests[];

static struct ae_tcb_head main_tcb;
static const struct aerie_bootinfo *bootinfo;

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

static bool selected(const char *name)
{
    const char *p = bootinfo->cmdline;
    bool any = false;
    while (*p) {
        while (*p == ' ')
            p++;
        if (p[0] == 'k' && p[1] == 't' && p[2] == '=') {
            any = true;
            const char *q = p + 3;
            unsigned n = 0;
            while (q[n] && q[n] != ' ')
                n++;
            unsigned k = 0;
            while (name[k] && k < n && name[k] == q[k])
                k++;
            if (k == n && (!name[k] || q[n - 1] == '*'))
                return true;
            if (n && q[n - 1] == '*' && k == n - 1)
                return true;
        }
        while (*p && *p != ' ')
            p++;
    }
    return !any;
}

static bool run_one(const struct kt_test *t)
{
    struct kt_env env = { 0 };
    uint64_t pages0 = kt_free_pages(), objs0 = kt_objects();
    uint64_t q = ae_slot_alloc();
    int64_t r = ae_quota_create(ae_self.quota, AERIE_OBJ_QUOTA, q, 64ull << 20, 64, 20000);
    if (r < 0) {
        ae_kprintf("TEST FAIL %s: cannot make its quota (%ld)\n", t->name, r);
        return false;
    }
    env.quota = q;
    t->fn(&env);
    ae_invoke0(q, AERIE_QUOTA_DESTROY);
    ae_cap_delete(q);
    uint64_t pages1 = kt_free_pages(), objs1 = kt_objects();
    if (!env.failed && (pages1 != pages0 || objs1 != objs0)) {
        env.failed = true;
        fmt_snprintf(env.why, sizeof env.why, "leaked: free pages %lu -> %lu, objects %lu -> %lu",
                     pages0, pages1, objs0, objs1);
    }
    if (env.failed)
        ae_kprintf("TEST FAIL %s: %s\n", t->name, env.why);
    else
        ae_kprintf("TEST PASS %s\n", t->name);
    return !env.failed;
}

void ktest_main(const struct aerie_bootinfo *bi);
void ktest_main(const struct aerie_bootinfo *bi)
{
    bootinfo = bi;
    ae_self = (struct ae_self){ .task = AERIE_BOOT_TASK, .thread = AERIE_BOOT_THREAD,
                                .quota = AERIE_BOOT_QUOTA, .utcb_mem = AERIE_BOOT_UTCB_MEM,
                                .kdebug = AERIE_BOOT_KDEBUG };
    ae_runtime_init(&main_tcb, (struct aerie_utcb *)bi->utcb_addr, AERIE_BOOT_FIRST_FREE);
    unsigned n = 0;
    for (const struct kt_test *t = __start_kt_tests; t < __stop_kt_tests; t++) {
        if (!selected(t->name) || kt_ncpus() < t->min_cpus)
            continue;
        run_one(t);
        n++;
    }
    ae_kprintf("TESTS DONE %u\n", n);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    for (;;)
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
}
