/*
 * startup.c — start-up latency of a process or container on Linux, the
 * baseline for Aerie's container start (bench/README.md, experiments
 * startup, startup_parallel and mem_idle).
 *
 * One start is: launch the static program nop, wait until its exit is
 * observed, check the status. Methods: fork_exec (fork + execve),
 * posix_spawn, runc and crun (`runc run` / `crun run` of a bundle whose
 * process is /nop). In this order the program
 *   1. warms up, then starts N at once from N threads released together,
 *      for each N of --parallel, and prints each start's latency;
 *   2. for each idle count of --idle (ascending), creates idle instances of
 *      the same kind (processes running idle; detached containers running
 *      /idle) up to that count, measuring /proc/meminfo's MemFree after every
 *      --mem-batch of them, then times --reps single starts;
 *   3. grows the idle population to --idle-mem if that is larger, for more
 *      memory samples without more timed starts.
 * Idle processes are killed at the end; containers are left to the poweroff
 * that ends the benchmark boot.
 *
 * usage: startup --method M [--reps R] [--warmup W] [--idle LIST]
 *                [--parallel LIST] [--parallel-reps P] [--mem-batch B] [--idle-mem N]
 *                [--nop PATH] [--idle-prog PATH] [--bundle DIR] [--idle-bundle DIR]
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_IDLE     100000
#define MAX_PARALLEL 1024

enum kind { KIND_FORK_EXEC, KIND_POSIX_SPAWN, KIND_RUNTIME };

static struct {
    const char *method;
    enum kind kind;
    const char *runtime;          /* runc or crun, for KIND_RUNTIME */
    const char *nop, *idle_prog;  /* for processes */
    const char *bundle, *idle_bundle;
    char errlog[64];              /* the runtime's stderr goes here */
} cfg = {
    .nop = "/bench/bin/nop",
    .idle_prog = "/bench/bin/idle",
    .bundle = "/bench/bundle-nop",
    .idle_bundle = "/bench/bundle-idle",
};

static atomic_long next_id;
static pid_t idle_pids[MAX_IDLE];
static long idle_count;

/* Shows the end of the runtime's error log, so a failing runc says why. */
static void show_runtime_errors(void)
{
    FILE *f = fopen(cfg.errlog, "r");
    if (!f)
        return;
    char line[512];
    long total = 0;
    while (fgets(line, sizeof line, f))
        total++;
    rewind(f);
    for (long i = 0; fgets(line, sizeof line, f); i++) {
        if (i >= total - 5)
            printf("# %s stderr: %s", cfg.runtime, line);
    }
    fclose(f);
}

static pid_t spawn_runtime(bool idle)
{
    char id[32];
    snprintf(id, sizeof id, "%c%ld", idle ? 'i' : 'n', atomic_fetch_add(&next_id, 1));
    const char *bundle = idle ? cfg.idle_bundle : cfg.bundle;
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)cfg.runtime;
    argv[n++] = "run";
    if (idle)
        argv[n++] = "--detach";
    argv[n++] = "--bundle";
    argv[n++] = (char *)bundle;
    argv[n++] = id;
    argv[n] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, cfg.errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid;
    int err = posix_spawnp(&pid, cfg.runtime, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        bench_die("cannot spawn %s: %s", cfg.runtime, strerror(err));
    return pid;
}

/* Launches one instance: the nop program, or an idle one. */
static pid_t launch(bool idle)
{
    const char *path = idle ? cfg.idle_prog : cfg.nop;
    char *argv[] = { (char *)path, NULL };
    pid_t pid;

    switch (cfg.kind) {
    case KIND_FORK_EXEC:
        pid = fork();
        if (pid < 0)
            bench_die("fork: %s", strerror(errno));
        if (pid == 0) {
            execve(path, argv, environ);
            _exit(127);
        }
        return pid;
    case KIND_POSIX_SPAWN: {
        int err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
        if (err)
            bench_die("posix_spawn %s: %s", path, strerror(err));
        return pid;
    }
    case KIND_RUNTIME:
        return spawn_runtime(idle);
    }
    return -1;
}

/* Waits for a launched instance; for a runtime, prints its errors first. */
static void wait_ok(pid_t pid, const char *what)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            bench_die("waitpid for %s: %s", what, strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    if (cfg.kind == KIND_RUNTIME)
        show_runtime_errors();
    if (WIFSIGNALED(status))
        bench_die("%s was killed by signal %d", what, WTERMSIG(status));
    bench_die("%s exited with status %d", what, WEXITSTATUS(status));
}

/* One timed start: launch nop and observe its exit. */
static uint64_t start_once(void)
{
    uint64_t t0 = bench_now_ns();
    pid_t pid = launch(false);
    wait_ok(pid, cfg.method);
    return bench_now_ns() - t0;
}

/* ---- N started at once ---- */

struct par_run {
    pthread_barrier_t go;
    uint64_t lat[MAX_PARALLEL];
};

struct par_arg {
    struct par_run *run;
    int index;
};

static void *par_thread(void *p)
{
    struct par_arg *a = p;
    pthread_barrier_wait(&a->run->go);
    a->run->lat[a->index] = start_once();
    return NULL;
}

static void run_parallel(int n, int reps)
{
    static struct par_run run;
    static struct par_arg args[MAX_PARALLEL];
    pthread_t th[MAX_PARALLEL];
    char param[32];
    snprintf(param, sizeof param, "n=%d", n);

    for (int r = 0; r < reps; r++) {
        pthread_barrier_init(&run.go, NULL, (unsigned)n);
        for (int i = 0; i < n; i++) {
            args[i] = (struct par_arg){ &run, i };
            int err = pthread_create(&th[i], NULL, par_thread, &args[i]);
            if (err)
                bench_die("pthread_create: %s", strerror(err));
        }
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&run.go);
        for (int i = 0; i < n; i++)
            bench_sample("startup_parallel", cfg.method, param, (double)run.lat[i], "ns");
    }
}

/* ---- idle instances ---- */

struct idle_worker {
    long count;
};

/* Containers: `runc run --detach` returns once the container runs. */
static void *idle_container_thread(void *p)
{
    struct idle_worker *w = p;
    for (long i = 0; i < w->count; i++)
        wait_ok(launch(true), "detached idle container start");
    return NULL;
}

/* Adds `count` idle instances, using every CPU for containers (each
 * runtime invocation is a separate program, so they run in parallel). */
static void add_idle(long count)
{
    if (cfg.kind != KIND_RUNTIME) {
        for (long i = 0; i < count; i++) {
            if (idle_count == MAX_IDLE)
                bench_die("more than %d idle processes", MAX_IDLE);
            idle_pids[idle_count++] = launch(true);
        }
        return;
    }
    int nw = bench_ncpus();
    pthread_t th[64];
    struct idle_worker w[64];
    if (nw > 64)
        nw = 64;
    for (int i = 0; i < nw; i++) {
        w[i].count = count / nw + (i < count % nw);
        pthread_create(&th[i], NULL, idle_container_thread, &w[i]);
    }
    for (int i = 0; i < nw; i++)
        pthread_join(th[i], NULL);
    idle_count += count;
}

/* Grows the idle population to `target`, one memory sample per batch. */
static void grow_idle(long target, long batch)
{
    while (idle_count < target) {
        long n = target - idle_count < batch ? target - idle_count : batch;
        long before = bench_settled_memfree_kib();
        add_idle(n);
        long after = bench_settled_memfree_kib();
        bench_sample("mem_idle", cfg.method, "-", (double)(before - after) / (double)n, "KiB");
    }
}

static void kill_idle_processes(void)
{
    for (long i = 0; i < idle_count; i++)
        kill(idle_pids[i], SIGKILL);
    for (long i = 0; i < idle_count; i++)
        waitpid(idle_pids[i], NULL, 0);
    idle_count = 0;
}

static void set_method(const char *m)
{
    cfg.method = m;
    if (strcmp(m, "fork_exec") == 0)
        cfg.kind = KIND_FORK_EXEC;
    else if (strcmp(m, "posix_spawn") == 0)
        cfg.kind = KIND_POSIX_SPAWN;
    else if (strcmp(m, "runc") == 0 || strcmp(m, "crun") == 0) {
        cfg.kind = KIND_RUNTIME;
        cfg.runtime = m;
        snprintf(cfg.errlog, sizeof cfg.errlog, "/tmp/%s.stderr", m);
    } else
        bench_die("unknown method '%s' (fork_exec, posix_spawn, runc, crun)", m);
}

int main(int argc, char **argv)
{
    struct bench_list idle = { .v = { 0 }, .n = 1 }, par = { .n = 0 };
    long reps = 100, warmup = 10, par_reps = 1, batch = 50, idle_mem = 0;

    bench_init(argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            bench_die("%s needs a value", o);
        i++;
        if (strcmp(o, "--method") == 0) set_method(v);
        else if (strcmp(o, "--reps") == 0) reps = bench_parse_long(o, v, 1, 1000000);
        else if (strcmp(o, "--warmup") == 0) warmup = bench_parse_long(o, v, 0, 1000000);
        else if (strcmp(o, "--idle") == 0) bench_parse_list(o, v, &idle);
        else if (strcmp(o, "--parallel") == 0) bench_parse_list(o, v, &par);
        else if (strcmp(o, "--parallel-reps") == 0) par_reps = bench_parse_long(o, v, 1, 1000);
        else if (strcmp(o, "--mem-batch") == 0) batch = bench_parse_long(o, v, 1, MAX_IDLE);
        else if (strcmp(o, "--idle-mem") == 0) idle_mem = bench_parse_long(o, v, 0, MAX_IDLE);
        else if (strcmp(o, "--nop") == 0) cfg.nop = v;
        else if (strcmp(o, "--idle-prog") == 0) cfg.idle_prog = v;
        else if (strcmp(o, "--bundle") == 0) cfg.bundle = v;
        else if (strcmp(o, "--idle-bundle") == 0) cfg.idle_bundle = v;
        else bench_die("unknown option %s", o);
    }
    if (!cfg.method)
        bench_die("--method is required");
    for (int i = 0; i < par.n; i++)
        if (par.v[i] < 1 || par.v[i] > MAX_PARALLEL)
            bench_die("--parallel values must be 1..%d", MAX_PARALLEL);
    for (int i = 1; i < idle.n; i++)
        if (idle.v[i] <= idle.v[i - 1])
            bench_die("--idle must ascend");
    if (idle.v[idle.n - 1] > MAX_IDLE)
        bench_die("--idle at most %d", MAX_IDLE);

    /* Orphaned container processes are reaped here, not by the init script. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    for (long i = 0; i < warmup; i++)
        start_once();
    for (int i = 0; i < par.n; i++)
        run_parallel((int)par.v[i], (int)par_reps);

    for (int l = 0; l < idle.n; l++) {
        char param[32];
        grow_idle(idle.v[l], batch);
        snprintf(param, sizeof param, "idle=%ld", idle.v[l]);
        bench_note("%s: %ld idle, MemFree %ld KiB", cfg.method, idle_count,
                   bench_meminfo_kib("MemFree"));
        for (long i = 0; i < warmup; i++)
            start_once();
        for (long r = 0; r < reps; r++)
            bench_sample("startup", cfg.method, param, (double)start_once(), "ns");
    }
    grow_idle(idle_mem, batch);
    if (cfg.kind != KIND_RUNTIME)
        kill_idle_processes();
    return 0;
}
