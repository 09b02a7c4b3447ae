/*
 * lxdrive.c — the Aerie half of the Linux ABI benchmark (bench/README.md,
 * experiments lx_*): it runs the static Linux program lxbench
 * (bench/linux/guest/lxbench.c, the same file the Linux guest runs) as
 * containers under the Linux personality, one container per batch of
 * samples, and copies the SAMPLE lines of each container's log to the
 * kernel console, where benchrun reads them. A container's log is a 4 KiB
 * ring (services/cm), hence batches of BATCH samples.
 *
 * The system call batches run twice: as every other experiment, where
 * the program and the personality may be on different CPUs, and in a
 * container with cpus=0 (lxbench then names the method call_1cpu).
 *
 * Then issue 13's shell workloads, lxbench pipes=N and tree=N (a loop of
 * N pipelines; a tree of N files built, hashed and removed in the
 * container's own files), with fewer samples: each takes seconds. Each
 * also runs with cpus=0 (lxbench names the method busybox_sh_1cpu): a
 * pipeline's processes and the personality then wake each other on one
 * CPU, which under TCG on a busy host is far steadier than across two
 * (bench/linux/init runs the Linux side under taskset -c 0 likewise).
 *
 * It also times what has no counterpart inside lxbench: a Linux container
 * started by the manager, `image=busybox args=true` from the create
 * request until CM_WAIT reports the exit (SAMPLE lx_spawn aerie cm_run
 * busybox_true), which is the Aerie way to start a Linux program from
 * outside one; the removal that follows is not timed.
 *
 * It runs as a service granted "cm" and the kernel debug console
 * (bench/aerie/lxdrive.conf). usage (boot.conf args): lxdrive quick|full|tree
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/objects.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "say.h"

#define BATCH      40
#define LXB_SPEC   "image=lxbench mem=64M threads=8 objects=1024 grant=console,self,fs %s args=\"%s %u %u\""
#define TRUE_SPEC  "image=busybox args=true"

struct plan {
    const char *name;
    unsigned reps, warmup;
    /* Issue 13's shell workloads (lxbench pipes=N and tree=N): seconds a
     * sample under TCG (pipes=1000: about 15 s on Aerie, 25 s on Linux;
     * tree=1000: 1 to 3 s), hence their own, smaller counts, one warm-up
     * each. */
    const char *pipes, *tree;
    unsigned pipes_reps, tree_reps;
    /* CPU-bound threads (lxbench threads=1, 2 and 3): with two CPUs,
     * three threads take 1.5 times one's work when an idle CPU takes
     * the third's turns, twice when the threads stay where they were
     * put. Seconds a sample, so few of them, one warm-up. */
    unsigned threads_reps;
};

/* bench/linux/init's plans use the same counts. */
static const struct plan plans[] = {
    { "quick", 20, 3, "pipes=200", "tree=1000", 3, 3, 3 },
    { "full", 100, 10, "pipes=1000", "tree=1000", 5, 10, 5 },
    /* The tree workload alone (make bench-linux BENCH_PLAN=tree), for
     * comparing builds quickly: 0 reps of everything else. */
    { "tree", 0, 0, NULL, "tree=1000", 0, 5, 0 },
    /* The CPU-bound threads alone (BENCH_PLAN=threads): the scheduler's. */
    { "threads", 0, 0, NULL, NULL, 0, 0, 5 },
};

/* lxbench's experiments, each run in batches of BATCH (bench/linux/init
 * runs the same ones with the same counts). */
static const char *const experiments[] = { "syscall", "clock", "clocksys", "fork", "spawn", "vspawn", "shell" };

static uint64_t cm;
static char logbuf[8192];
static int failures;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __attribute__((format(printf, 1, 2))) void error(const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    say("BENCH ERROR lxdrive: %s", why);
    failures++;
}

/* The log of container id, whole (it fits: see BATCH), into logbuf. */
static void read_log(uint64_t id)
{
    uint64_t from = 0;
    size_t len = 0;
    for (;;) {
        int64_t n = ae_cm_logs(cm, id, &from, logbuf + len, sizeof logbuf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    logbuf[len] = 0;
}

/* Creates and starts spec, waits for its end; 0 if it exited with 0. The
 * log lands in logbuf; *ns is create request -> exit observed. */
static int run(const char *spec, uint64_t *ns)
{
    struct ae_cm_status st;
    uint64_t id;
    char err[160] = "";
    uint64_t t0 = now_ns();
    int r = ae_cm_create(cm, spec, 1, &id, err, sizeof err);
    if (r) {
        error("creating '%s': %d %s", spec, r, err);
        return -1;
    }
    r = ae_cm_wait(cm, id, &st);
    *ns = now_ns() - t0;
    read_log(id);
    ae_cm_remove(cm, id);
    if (r || st.state != CM_EXITED || st.exit_status != 0) {
        char d[160];
        ae_cm_describe(&st, d, sizeof d);
        error("'%s' %s (wait %d); its log: %.200s", spec, d, r, logbuf);
        return -1;
    }
    return 0;
}

/* The SAMPLE and remark lines of logbuf, onto the console; how many samples. */
static unsigned forward_samples(void)
{
    unsigned n = 0;
    for (char *line = logbuf, *next; *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        else
            next = line + strlen(line);
        if (!strncmp(line, "SAMPLE ", 7))
            n++;
        if (!strncmp(line, "SAMPLE ", 7) || line[0] == '#' || !strncmp(line, "BENCH ERROR", 11))
            say("%s", line);
    }
    return n;
}

/* extra: more spec words ("cpus=0" keeps the program and its personality
 * on CPU 0, so a system call is a same-CPU round trip). */
static void lxbench(const char *exp, const char *extra, unsigned reps, unsigned warmup)
{
    say("BENCH BEGIN lx-%s%s%s", exp, *extra ? "-" : "", extra);
    int before = failures;
    for (unsigned done = 0; done < reps;) {
        unsigned n = reps - done < BATCH ? reps - done : BATCH;
        char spec[200];
        uint64_t ns;
        snprintf(spec, sizeof spec, LXB_SPEC, extra, exp, n, done ? 0 : warmup);
        if (run(spec, &ns))
            break;
        unsigned got = forward_samples();
        if (got != n) {
            error("lxbench %s printed %u samples of %u", exp, got, n);
            break;
        }
        done += n;
    }
    say("BENCH END lx-%s%s%s rc=%d", exp, *extra ? "-" : "", extra, failures != before);
}

static void cm_true(const struct plan *p)
{
    say("BENCH BEGIN lx-cm-true");
    int before = failures;
    for (unsigned i = 0; i < p->warmup + p->reps; i++) {
        uint64_t ns;
        if (run(TRUE_SPEC, &ns))
            break;
        if (i >= p->warmup)
            say("SAMPLE lx_spawn aerie cm_run busybox_true %lu ns", ns);
    }
    say("BENCH END lx-cm-true rc=%d", failures != before);
}

int main(int argc, char **argv)
{
    const struct plan *p = NULL;
    for (size_t i = 0; argc == 2 && i < sizeof plans / sizeof plans[0]; i++)
        if (!strcmp(argv[1], plans[i].name))
            p = &plans[i];
    if (!p) {
        say("BENCH ERROR lxdrive: usage: lxdrive quick|full|tree|threads");
        ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
        return 1;
    }
    cm = ae_capenv_lookup("cm");
    if (p->reps) {
        for (size_t i = 0; i < sizeof experiments / sizeof experiments[0]; i++)
            lxbench(experiments[i], "", p->reps, p->warmup);
        lxbench("syscall", "cpus=0", p->reps, p->warmup);
        lxbench(p->pipes, "", p->pipes_reps, 1);
        lxbench(p->pipes, "cpus=0", p->pipes_reps, 1);
    }
    if (p->tree) {
        lxbench(p->tree, "", p->tree_reps, 1);
        lxbench(p->tree, "cpus=0", p->tree_reps, 1);
    }
    if (p->threads_reps) {
        lxbench("threads=1", "", p->threads_reps, 1);
        lxbench("threads=2", "", p->threads_reps, 1);
        lxbench("threads=3", "", p->threads_reps, 1);
    }
    if (p->reps)
        cm_true(p);
    say("BENCH DONE lxdrive%s", failures ? " (failed)" : "");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, failures ? 1 : 0);   /* the boot ends here */
    return failures ? 1 : 0;
}
