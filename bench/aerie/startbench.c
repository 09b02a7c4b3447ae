/*
 * startbench.c — container start-up, starts in parallel, memory per idle
 * container and idle capacity on Aerie: the Aerie half of make bench's
 * experiments startup, startup_parallel, mem_idle and idle_capacity
 * (bench/README.md). It runs as a service granted "cm" and the kernel
 * debug console (bench/aerie/startbench.conf) and drives the container
 * manager through libaerie's stubs, as any cm client does.
 *
 * One start is: CM_RUN of the image nop (create and start in one request)
 * from time t0, then CM_WAIT until the manager reports the exit; the
 * container is removed afterwards, outside the timed part. Per start it
 * prints
 *     startup      cm_exit     create request -> exit observed (the measure)
 *     startup      cm_exit_rm  the same, plus the removal
 *     startup_main cm_main     create request -> nop's first line of main
 * nop reads CLOCK_MONOTONIC first thing in main and exits with that
 * reading as its 64-bit exit status; every task reads the same TSC-based
 * clock (the kernel info page), so the status minus t0 is create -> main.
 *
 * The order follows the Linux side (bench/linux/guest/startup.c): warm-up,
 * N started at once from N threads released together, then for each idle
 * level the idle containers (image idle, blocked forever) are added in
 * batches with the kernel's free page count read around each batch, and
 * single starts are timed. Last, idle containers are added until the
 * manager refuses one: that count is the capacity.
 *
 * usage (boot.conf args): startbench quick|full|mem|fork|burst
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "say.h"

/* What one start and one idle container are. Neither gets any grant: nop
 * reports through its exit status, idle does nothing. Their limits are
 * the smallest the manager accepts that they run in (mem is reserved from
 * the manager's quota when the container is made, so it bounds capacity). */
#define NOP_SPEC  "image=nop grant=none mem=128K stack=16K threads=1 objects=16"
#define IDLE_SPEC "image=idle grant=none mem=128K stack=16K threads=1 objects=16"

#define MAX_PARALLEL 64
#define MAX_REPS     1000
#define MAX_IDLE     1000000

/* mem_only: the memory and density rows alone (make bench-mem): no fork,
 * no timed starts; idle containers grown to 1000 in batches, the default
 * spec measured over default_batch containers, then the capacity. */
struct plan {
    const char *name;
    unsigned reps, warmup, par_rounds, batch, default_batch;
    bool mem_only;
};

static const struct plan plans[] = {
    { "quick", 40, 5, 1, 100, 50, false },  /* as bench/linux/init's QUICK plan for processes */
    { "full", 200, 20, 5, 50, 50, false },
    { "mem", 0, 0, 0, 100, 5000, true },
    { "fork", 40, 5, 1, 100, 50, false },  /* make bench-fork: the `aerie fork` rows alone */
    { "burst", 0, 20, 10, 50, 50, false }, /* make bench-burst: the starts at once alone */
};

static uint64_t cm;
static long idle_count;
static const int idle_levels[] = { 0, 100, 1000 };
static const int parallel_ns[] = { 16, 64 };

/* ---- output: the kernel console, one whole line per write ---- */

static void sample(const char *exp, const char *method, const char *param, double value, const char *unit)
{
    /* KiB to a hundredth: the memory goals are a KiB or two away */
    if (!strcmp(unit, "KiB"))
        say("SAMPLE %s aerie %s %s %.2f %s", exp, method, param, value, unit);
    else
        say("SAMPLE %s aerie %s %s %.0f %s", exp, method, param, value, unit);
}

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    say("BENCH ERROR startbench: %s", why);
    say("BENCH DONE startbench (failed)");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t free_pages(void)
{
    uint64_t s[4];
    if (ae_kdebug_stats(ae_self.kdebug, s) < 0)
        fail("the kernel debug capability gives no statistics");
    return s[0];
}

/* ---- one start ---- */

struct start_times {
    uint64_t main_ns, exit_ns, removed_ns;     /* from the create request */
};

/* Runs nop once and observes its exit; fills t. Safe from many threads:
 * each uses only its own UTCB. */
static void start_once(struct start_times *t)
{
    uint64_t id;
    struct ae_cm_status st;
    char err[160] = "";
    uint64_t t0 = now_ns();
    int r = ae_cm_create(cm, NOP_SPEC, 1, &id, err, sizeof err);
    if (r)
        fail("create nop: error %d: %s", r, err);
    r = ae_cm_wait(cm, id, &st);
    uint64_t t1 = now_ns();
    if (r || st.state != CM_EXITED) {
        char what[120];
        ae_cm_describe(&st, what, sizeof what);
        fail("nop (container %lu) did not exit normally: wait %d, state %d: %s", id, r, st.state, what);
    }
    if ((r = ae_cm_remove(cm, id)))
        fail("remove container %lu: error %d", id, r);
    uint64_t t2 = now_ns();
    if (st.exit_status < t0 || st.exit_status > t1)
        fail("nop's main at %lu ns is outside its start %lu .. exit %lu", st.exit_status, t0, t1);
    t->main_ns = st.exit_status - t0;
    t->exit_ns = t1 - t0;
    t->removed_ns = t2 - t0;
}

/* ---- N started at once ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t go_cond;
    bool go;
    struct start_times t[MAX_PARALLEL];
} par = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, { { 0 } } };

static void *par_thread(void *arg)
{
    pthread_mutex_lock(&par.lock);
    while (!par.go)
        pthread_cond_wait(&par.go_cond, &par.lock);
    pthread_mutex_unlock(&par.lock);
    start_once(&par.t[(uintptr_t)arg]);
    return NULL;
}

/* n threads wait at a gate; opening it releases them together. */
static void run_parallel(int n, unsigned rounds)
{
    char param[16];
    snprintf(param, sizeof param, "n=%d", n);
    for (unsigned r = 0; r < rounds; r++) {
        pthread_t th[MAX_PARALLEL];
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 32 * 1024);
        par.go = false;
        for (int i = 0; i < n; i++)
            if (pthread_create(&th[i], &a, par_thread, (void *)(uintptr_t)i))
                fail("cannot start thread %d of %d", i, n);
        usleep(20000);                           /* let them all reach the gate */
        pthread_mutex_lock(&par.lock);
        par.go = true;
        pthread_cond_broadcast(&par.go_cond);
        pthread_mutex_unlock(&par.lock);
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        for (int i = 0; i < n; i++) {
            sample("startup_parallel", "cm_exit", param, (double)par.t[i].exit_ns, "ns");
            sample("startup_parallel_main", "cm_main", param, (double)par.t[i].main_ns, "ns");
        }
    }
}

/* ---- idle containers ---- */

/* Starts one idle container; returns 0 or the manager's error. */
static int add_idle_one(char *err, size_t errlen)
{
    uint64_t id;
    int r = ae_cm_create(cm, IDLE_SPEC, 1, &id, err, errlen);
    if (!r)
        idle_count++;
    return r;
}

/* The free page count once the idle containers just started have run to
 * their first block: two readings 20 ms apart agree, or 2 s have passed. */
static uint64_t settled_free_pages(void)
{
    uint64_t prev = free_pages();
    for (int i = 0; i < 100; i++) {
        usleep(20000);
        uint64_t cur = free_pages();
        if (cur == prev)
            return cur;
        prev = cur;
    }
    return prev;
}

/* Grows the idle population to target, one mem_idle sample per batch. */
static void grow_idle(long target, unsigned batch)
{
    while (idle_count < target) {
        long n = target - idle_count < (long)batch ? target - idle_count : (long)batch;
        uint64_t before = settled_free_pages();
        for (long i = 0; i < n; i++) {
            char err[160] = "";
            int r = add_idle_one(err, sizeof err);
            if (r)
                fail("idle container %ld: error %d: %s", idle_count + 1, r, err);
        }
        uint64_t after = settled_free_pages();
        sample("mem_idle", "cm", "-", (double)(before - after) * 4.0 / (double)n, "KiB");
    }
}

/* What the manager charges one idle container (its quota's bytes), once. */
static void note_idle_quota(void)
{
    uint64_t ids[1];
    int states[1];
    struct ae_cm_stats s;
    if (ae_cm_list(cm, 1, ids, states, 1) == 1 && ae_cm_stats(cm, ids[0], &s) == 0)
        say("# startbench: one idle container's quota: %lu of %lu bytes, %lu of %lu objects, %lu threads",
            s.mem_used, s.mem_limit, s.objects_used, s.objects_limit, s.threads_used);
}

/* Memory all-in for a container of the default spec (console and self
 * granted, mem=16M): the drop in free pages over a batch, which holds the
 * kernel objects, page tables, touched stack and data pages, the console's
 * log and cm's record, and where one of them says it lives. The batch is
 * removed again so the capacity count below is of the minimal spec. */
#define DEFAULT_SPEC "image=idle"
#define DEFAULT_BATCH_MAX 5000
static void mem_default_spec(unsigned batch)
{
    static uint64_t ids[DEFAULT_BATCH_MAX];
    uint64_t before = settled_free_pages();
    for (unsigned i = 0; i < batch; i++) {
        char err[160] = "";
        int r = ae_cm_create(cm, DEFAULT_SPEC, 1, &ids[i], err, sizeof err);
        if (r)
            fail("default-spec container %u: error %d: %s", i, r, err);
    }
    uint64_t after = settled_free_pages();
    sample("mem_idle", "cm_default", "-", (double)(before - after) * 4.0 / batch, "KiB");
    struct ae_cm_stats st;
    if (ae_cm_stats(cm, ids[0], &st) == 0)
        say("# startbench: one default-spec container (%s): %lu bytes: run %lu (kernel objects, page "
            "tables, touched stack and data), console log %lu, other kept %lu, cm's record %lu",
            DEFAULT_SPEC, st.mem_used, st.mem_run, st.mem_log, st.mem_rest, st.mem_cm);
    for (unsigned i = 0; i < batch; i++) {
        ae_cm_kill(cm, ids[i]);
        ae_cm_remove(cm, ids[i]);
    }
}

/* Idle containers until the manager refuses one: the capacity. */
static void capacity(void)
{
    uint64_t before = settled_free_pages();
    long start_count = idle_count;
    char err[160] = "";
    int r = 0;
    uint64_t t0 = now_ns();
    while (idle_count < MAX_IDLE && !(r = add_idle_one(err, sizeof err)))
        if (idle_count % 5000 == 0)
            say("# startbench: %ld idle containers, %lu MiB free, %.1f s", idle_count,
                free_pages() / 256, (double)(now_ns() - t0) / 1e9);
    uint64_t after = settled_free_pages();
    say("# startbench: capacity: the manager refused idle container %ld: error %d: %s", idle_count + 1, r, err);
    say("# startbench: %lu MiB free before, %lu MiB after; %.1f s", before / 256, after / 256,
        (double)(now_ns() - t0) / 1e9);
    sample("idle_capacity", "cm", "-", (double)idle_count, "count");
    if (idle_count > start_count)
        sample("mem_idle", "capacity_cm", "-", (double)(before - after) * 4.0 / (double)(idle_count - start_count),
               "KiB");
}

/* ---- aerie fork: a clone of a warm container beside a cold start ---- */

/* forkee (apps/forkee) in its idle mode, having filled 64 KiB or 64 MiB:
 * a small and a large warm container (docs/FORK.md); and a small one
 * that wrote 1 MiB of files. */
static const struct { const char *param, *spec; } fork_specs[] = {
    { "small_64k", "image=forkee grant=console,self mem=8M args=\"64 idle\"" },
    { "large_64m", "image=forkee grant=console,self mem=96M args=\"65536 idle\"" },
    /* four threads (one in a condition variable, two sleeping, main
     * polling): every thread is stopped and copied */
    { "threads_64k", "image=forkee grant=console,self mem=8M args=\"64 threads\"" },
    /* with 1 MiB of private files (16 of 64 KiB): what a fork's copy of
     * the files costs (docs/FORK.md, "Files") */
    { "files_1m", "image=forkee grant=console,fs,self mem=16M args=\"64 idle 1024\"" },
};

static void end_container(uint64_t id)
{
    ae_cm_kill(cm, id);
    ae_cm_remove(cm, id);
}

/* Waits until container id's log says "ready" (its array filled). */
static void wait_ready(uint64_t id, const char *spec)
{
    uint64_t from = 0;
    char log[256];
    for (int i = 0; i < 600000; i++) {
        int64_t n = ae_cm_logs(cm, id, &from, log, sizeof log - 1);
        if (n > 0) {
            log[n] = 0;
            if (strstr(log, "ready"))
                return;
        }
        usleep(100);
    }
    fail("%s never said ready", spec);
}

/* Starts spec and waits until its log says "ready" (its array filled). */
static uint64_t run_ready(const char *spec)
{
    uint64_t id, from = 0;
    char err[160] = "", log[256];
    int r = ae_cm_create(cm, spec, 1, &id, err, sizeof err);
    if (r)
        fail("create %s: error %d: %s", spec, r, err);
    for (int i = 0; i < 60000; i++) {
        int64_t n = ae_cm_logs(cm, id, &from, log, sizeof log - 1);
        if (n > 0) {
            log[n] = 0;
            if (strstr(log, "ready"))
                return id;
        }
        usleep(1000);
    }
    fail("%s never said ready", spec);
}

/* fork_cold: CM_RUN of the image until the manager has started it (the
 * same request path a fork takes: create, load, start); fork_cold_ready:
 * the same until its log says ready, the warm state a clone starts in
 * (polled every 0.1 ms: the log is read through cm); fork_clone:
 * CM_FORK of one clone of the warm container until the manager has
 * started it; fork_mem: the free pages the clone took, read right after
 * (its objects and page tables, and the pages it has written since it
 * started: its stack's and UTCB's at least). */
static void fork_bench(const struct plan *p, uint64_t admin)
{
    unsigned reps = p->reps / 2 ? p->reps / 2 : 1;           /* TCG on a shared host is noisy */
    for (unsigned k = 0; k < sizeof fork_specs / sizeof fork_specs[0]; k++) {
        const char *param = fork_specs[k].param, *spec = fork_specs[k].spec;
        uint64_t orig = run_ready(spec);
        /* A cold start and a clone in turn, so both see the same host load. */
        for (unsigned i = 0; i < reps + 2; i++) {
            uint64_t id;
            char err[160] = "";
            uint64_t t0 = now_ns();
            int r = ae_cm_create(cm, spec, 1, &id, err, sizeof err);
            uint64_t t1 = now_ns();
            if (r)
                fail("create %s: error %d: %s", spec, r, err);
            wait_ready(id, spec);
            uint64_t t2 = now_ns();
            end_container(id);
            uint64_t ids[1], ns, before = free_pages();
            unsigned made = 0;
            uint64_t t3 = now_ns();
            r = ae_cm_fork(admin, orig, 1, ids, &made, &ns, err, sizeof err);
            uint64_t t4 = now_ns();
            uint64_t after = free_pages();
            if (r || made != 1)
                fail("fork %s: error %d: %s", spec, r, err);
            end_container(ids[0]);
            if (i < 2)
                continue;                        /* warm-up */
            sample("fork_cold", "cm_run", param, (double)(t1 - t0), "ns");
            sample("fork_cold_ready", "cm_run", param, (double)(t2 - t0), "ns");
            sample("fork_clone", "cm_fork", param, (double)(t4 - t3), "ns");
            sample("fork_mem", "cm_fork", param, (double)(before - after) * 4.0, "KiB");
        }
        end_container(orig);
    }
}

static void startup_levels(const struct plan *p)
{
    struct start_times t;
    for (unsigned l = 0; l < sizeof idle_levels / sizeof idle_levels[0]; l++) {
        char param[16];
        snprintf(param, sizeof param, "idle=%d", idle_levels[l]);
        grow_idle(idle_levels[l], p->batch);
        if (idle_levels[l] > 0 && l == 1)
            note_idle_quota();
        say("# startbench: %ld idle containers, %lu pages free", idle_count, free_pages());
        for (unsigned i = 0; i < p->warmup; i++)
            start_once(&t);
        for (unsigned i = 0; i < p->reps; i++) {
            start_once(&t);
            sample("startup", "cm_exit", param, (double)t.exit_ns, "ns");
            sample("startup", "cm_exit_rm", param, (double)t.removed_ns, "ns");
            sample("startup_main", "cm_main", param, (double)t.main_ns, "ns");
        }
    }
}

int main(int argc, char **argv)
{
    if (!ae_self.kdebug) {
        printf("startbench: needs the kdebug grant\n");
        return 1;
    }
    cm = ae_capenv_lookup("cm");
    if (!cm)
        fail("no cm capability (boot.conf: grant=cm)");
    const struct plan *p = &plans[0];
    for (unsigned i = 0; i < sizeof plans / sizeof plans[0]; i++)
        if (argc > 1 && !strcmp(argv[1], plans[i].name))
            p = &plans[i];
    say("# startbench: plan %s: %u reps and %u warm-up starts per idle level, %u parallel rounds, "
        "memory read per %u idle, default spec per %u; nop: %s; idle: %s", p->name, p->reps, p->warmup,
        p->par_rounds, p->batch, p->default_batch, NOP_SPEC, IDLE_SPEC);

    if (p->mem_only) {
        say("BENCH BEGIN mem-idle-cm");
        grow_idle(1000, p->batch);
        note_idle_quota();
        say("BENCH END mem-idle-cm rc=0");
    }

    /* aerie fork first, with no idle container present (docs/FORK.md). */
    bool burst = !strcmp(p->name, "burst");
    uint64_t admin = ae_capenv_lookup("cm.admin");
    if (admin && !p->mem_only && !burst) {
        say("BENCH BEGIN fork-cm");
        fork_bench(p, admin);
        say("BENCH END fork-cm rc=0");
    }
    if (!strcmp(p->name, "fork")) {
        say("BENCH DONE startbench");
        ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
        return 0;
    }

    if (!p->mem_only) {
        struct start_times t;
        say("BENCH BEGIN startup-cm");
        for (unsigned i = 0; i < p->warmup; i++)
            start_once(&t);
        for (unsigned i = 0; i < sizeof parallel_ns / sizeof parallel_ns[0]; i++)
            run_parallel(parallel_ns[i], p->par_rounds);
        if (burst) {                          /* make bench-burst: nothing more */
            say("BENCH END startup-cm rc=0");
            say("BENCH DONE startbench");
            ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
            return 0;
        }
        startup_levels(p);
        say("BENCH END startup-cm rc=0");
    }

    say("BENCH BEGIN mem-default-cm");
    mem_default_spec(p->default_batch);
    say("BENCH END mem-default-cm rc=0");

    say("BENCH BEGIN idle-capacity-cm");
    capacity();
    say("BENCH END idle-capacity-cm rc=0");
    say("BENCH DONE startbench");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    return 0;
}
