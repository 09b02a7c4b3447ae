/*
 * fsbench.c — file-system throughput and metadata rates through libc, as
 * a container program sees them, measured as the Linux side measures
 * tmpfs (bench/linux/guest/fsbench.c): write an 8 MiB file from offset 0
 * into a freshly truncated file in 4 KiB or 1 MiB writes, read it back in
 * 4 KiB or 1 MiB reads (MiB/s, open to close), and create (open O_CREAT |
 * O_EXCL + close), stat and unlink 200 empty files (ops/s). It runs in
 * its own fs session (root's "fs" grant, bench/aerie/fsbench.conf), does
 * two warm-up rounds and then one round per sample — 6 for the plan
 * "quick" (argv[1]), 30 otherwise — printing one
 * "SAMPLE fs aerie <method> - <value> <unit>" line per measure and round,
 * then the medians, then "BENCH DONE fsbench", and ends the QEMU run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libaerie/fs.h>
#include <libaerie/invoke.h>
#include <libaerie/kdebug.h>
#include <libaerie/runtime.h>

#define MAX_RUNS   100
#define WARMUP     2
#define SMALL      4096u
#define LARGE      (1u << 20)
#define FILE_BYTES (8u << 20)          /* bytes each throughput sample moves */
#define NFILES     200

struct method {
    const char *name;                  /* the SAMPLE method */
    unsigned param;                    /* block size, or files per run */
    const char *unit;                  /* MiB/s or ops/s */
    double (*run)(unsigned param);
    double samples[MAX_RUNS];
};

static char *block;

/* One line on the kernel console (the bench log is read from there). */
static void say(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ae_kdebug_write(ae_self.kdebug, line, (uint64_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    say("BENCH ERROR fsbench: %s failed (errno %d)\n", what, errno);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
    exit(1);
}

/* MiB/s writing a freshly truncated file of FILE_BYTES in `bs`-byte
 * writes, open to close. */
static double write_file(unsigned bs)
{
    double t0 = now_s();
    int fd = open("/seq", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open for writing");
    for (unsigned done = 0; done < FILE_BYTES; done += bs)
        if (write(fd, block, bs) != (ssize_t)bs)
            die("write");
    close(fd);
    return FILE_BYTES / 1048576.0 / (now_s() - t0);
}

/* MiB/s reading that file back in `bs`-byte reads, open to close. */
static double read_file(unsigned bs)
{
    double t0 = now_s();
    int fd = open("/seq", O_RDONLY);
    if (fd < 0)
        die("open for reading");
    for (unsigned done = 0; done < FILE_BYTES; done += bs)
        if (read(fd, block, bs) != (ssize_t)bs)
            die("read");
    close(fd);
    return FILE_BYTES / 1048576.0 / (now_s() - t0);
}

static void name_of(char *buf, unsigned i)
{
    snprintf(buf, 32, "/d/f%05u", i);
}

/* ops/s of each small-file operation over n files; create leaves them,
 * stat looks at them, unlink removes them, so the three run in turn. */
static double create_files(unsigned n)
{
    char name[32];
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        name_of(name, i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || close(fd) < 0)
            die("create");
    }
    return n / (now_s() - t0);
}

static double stat_files(unsigned n)
{
    char name[32];
    struct stat st;
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        name_of(name, i);
        if (stat(name, &st) < 0)
            die("stat");
    }
    return n / (now_s() - t0);
}

static double unlink_files(unsigned n)
{
    char name[32];
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        name_of(name, i);
        if (unlink(name) < 0)
            die("unlink");
    }
    return n / (now_s() - t0);
}

static struct method methods[] = {
    { "write_4k", SMALL, "MiB/s", write_file, { 0 } },
    { "read_4k", SMALL, "MiB/s", read_file, { 0 } },
    { "write_1m", LARGE, "MiB/s", write_file, { 0 } },
    { "read_1m", LARGE, "MiB/s", read_file, { 0 } },
    { "create", NFILES, "ops/s", create_files, { 0 } },
    { "stat", NFILES, "ops/s", stat_files, { 0 } },
    { "unlink", NFILES, "ops/s", unlink_files, { 0 } },
};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* What bounds the small operations (docs/EVALUATION.md): the mean time
 * of a request that does nearly nothing in the service (STATFS), next to
 * the per-call time of each small measure. Printed as "#" lines, which
 * the bench's parser passes over. */
static void say_bounds(unsigned runs)
{
    struct ae_fs *fs = ae_fs_default();
    uint64_t out[6];
    const unsigned n = 2000;
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        if (ae_fs_statfs(fs, out))
            die("statfs");
    double null_us = (now_s() - t0) / n * 1e6;
    say("# fs bounds: a STATFS round trip %.1f us (mean of %u)\n", null_us, n);
    for (unsigned m = 0; m < NMETHODS; m++) {
        double med = methods[m].samples[runs / 2];
        double ops = !strcmp(methods[m].unit, "MiB/s") ? med * 1048576.0 / methods[m].param : med;
        say("# fs bounds: %s %.1f us per call\n", methods[m].name, 1e6 / ops);
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One round of every measure, in order: the writes make the file the
 * reads read, creates make the files stat and unlink work on. */
static void round_once(int sample_index)
{
    for (unsigned m = 0; m < NMETHODS; m++) {
        double v = methods[m].run(methods[m].param);
        if (sample_index < 0)
            continue;
        methods[m].samples[sample_index] = v;
        say("SAMPLE fs aerie %s - %.1f %s\n", methods[m].name, v, methods[m].unit);
    }
}

int main(int argc, char **argv)
{
    if (!ae_self.kdebug) {
        printf("fsbench: needs kdebug\n");
        return 1;
    }
    unsigned runs = argc > 1 && !strcmp(argv[1], "quick") ? 6 : 30;
    block = malloc(LARGE);
    if (!block || mkdir("/d", 0755) < 0)
        die("setup");
    memset(block, 'x', LARGE);
    say("BENCH BEGIN fs\n");
    for (int r = 0; r < WARMUP; r++)
        round_once(-1);
    for (unsigned r = 0; r < runs; r++)
        round_once((int)r);
    say("BENCH END fs rc=0\n");
    say("fs benchmark: medians of %u rounds (%u MiB file in 4 KiB and 1 MiB calls, %u files)\n",
        runs, FILE_BYTES >> 20, NFILES);
    for (unsigned m = 0; m < NMETHODS; m++) {
        qsort(methods[m].samples, runs, sizeof(double), by_value);
        double med = methods[m].samples[runs / 2];
        if (!strcmp(methods[m].unit, "MiB/s"))
            say("  %-9s %10.1f MiB/s %10.0f ops/s\n", methods[m].name, med,
                med * 1048576.0 / methods[m].param);
        else
            say("  %-9s %10.0f ops/s\n", methods[m].name, med);
    }
    say_bounds(runs);
    say("BENCH DONE fsbench\n");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    return 0;
}
