/*
 * capacity.c — how many idle processes fit in the Linux guest's memory
 * (experiment idle_capacity in bench/README.md), the baseline for how many
 * idle Aerie containers fit in the same guest.
 *
 * Starts idle processes (fork + execve of the static idle program) until
 * MemAvailable falls below --margin-mib, or a fork fails; prints the count
 * and why it stopped. The kernel's own process limits (pid_max,
 * threads-max) are raised by the init script first, so memory is what
 * stops it. The processes are then killed.
 *
 * usage: capacity [--margin-mib M] [--idle-prog PATH] [--max N]
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CHECK_EVERY 64

int main(int argc, char **argv)
{
    long margin_mib = 64, max = 1000000;
    const char *idle = "/bench/bin/idle";

    bench_init(argv[0]);
    if (argc % 2 == 0)
        bench_die("options come in pairs: --name value");
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--margin-mib") == 0) margin_mib = bench_parse_long(o, v, 1, 1 << 20);
        else if (strcmp(o, "--idle-prog") == 0) idle = v;
        else if (strcmp(o, "--max") == 0) max = bench_parse_long(o, v, 1, 100000000);
        else bench_die("unknown option %s", o);
    }
    pid_t *pids = malloc((size_t)max * sizeof *pids);
    if (!pids)
        bench_die("out of memory for %ld pids", max);

    bench_drop_caches();
    long avail0 = bench_meminfo_kib("MemAvailable"), free0 = bench_meminfo_kib("MemFree");
    uint64_t t0 = bench_now_ns();
    long n = 0;
    char why[160] = "reached --max";
    char *args[] = { (char *)idle, NULL };
    while (n < max) {
        if (n % CHECK_EVERY == 0) {
            long avail = bench_meminfo_kib("MemAvailable");
            if (avail < margin_mib * 1024) {
                snprintf(why, sizeof why, "MemAvailable %ld KiB below the %ld MiB margin",
                         avail, margin_mib);
                break;
            }
        }
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(why, sizeof why, "fork failed: %s", strerror(errno));
            break;
        }
        if (pid == 0) {
            execve(idle, args, environ);
            _exit(127);
        }
        pids[n++] = pid;
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    bench_drop_caches();
    long free1 = bench_meminfo_kib("MemFree");
    bench_note("%ld idle processes in %.1f s; stopped: %s", n, secs, why);
    bench_note("MemAvailable at start %ld KiB; MemFree %ld -> %ld KiB (%.1f KiB each)",
               avail0, free0, free1, n ? (double)(free0 - free1) / (double)n : 0.0);
    bench_sample("idle_capacity", "fork_exec", "-", (double)n, "count");
    if (n > 0)
        bench_sample("mem_idle", "capacity_fork_exec", "-", (double)(free0 - free1) / (double)n, "KiB");

    for (long i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (long i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
    return 0;
}
