/*
 * fsbench.c — file-system throughput and metadata rates through libc, as
 * a container program sees them: sequential writes and reads of 4 KiB and
 * of 1 MiB, and small-file create (open O_CREAT + close), stat and unlink.
 * It runs in its own fs session (root's "fs" grant, bench/aerie/fsbench.conf),
 * repeats each measurement RUNS times and prints one
 * "SAMPLE fs aerie <method> <param> <value> <unit>" line per run, then the
 * medians, then "BENCH DONE fsbench", and ends the QEMU run.
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
#include <libaerie/invoke.h>
#include <libaerie/kdebug.h>
#include <libaerie/runtime.h>

#define RUNS       7
#define SMALL      4096u
#define SMALL_FILE (4u << 20)          /* bytes moved per 4 KiB run */
#define LARGE      (1u << 20)
#define LARGE_FILE (16u << 20)         /* bytes moved per 1 MiB run */
#define NFILES     500

struct method {
    const char *name;                  /* the SAMPLE method */
    unsigned param;                    /* block size, or files per run */
    const char *unit;                  /* MB/s or ops/s */
    double (*run)(unsigned param);
    double samples[RUNS];
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
    say("fsbench: %s failed (errno %d)\n", what, errno);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
    exit(1);
}

/* MB/s writing a fresh file of `total` bytes in `bs`-byte writes. */
static double write_file(unsigned bs, unsigned total)
{
    int fd = open("/seq", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open for writing");
    double t0 = now_s();
    for (unsigned done = 0; done < total; done += bs)
        if (write(fd, block, bs) != (ssize_t)bs)
            die("write");
    double t = now_s() - t0;
    close(fd);
    return total / 1e6 / t;
}

/* MB/s reading that file back in `bs`-byte reads. */
static double read_file(unsigned bs, unsigned total)
{
    int fd = open("/seq", O_RDONLY);
    if (fd < 0)
        die("open for reading");
    double t0 = now_s();
    for (unsigned done = 0; done < total; done += bs)
        if (read(fd, block, bs) != (ssize_t)bs)
            die("read");
    double t = now_s() - t0;
    close(fd);
    return total / 1e6 / t;
}

static double write_4k(unsigned bs) { return write_file(bs, SMALL_FILE); }
static double read_4k(unsigned bs) { return read_file(bs, SMALL_FILE); }
static double write_1m(unsigned bs) { return write_file(bs, LARGE_FILE); }
static double read_1m(unsigned bs) { return read_file(bs, LARGE_FILE); }

static void name_of(char *buf, unsigned i)
{
    snprintf(buf, 32, "/d/f%u", i);
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
    { "write_4k", SMALL, "MB/s", write_4k, { 0 } },
    { "read_4k", SMALL, "MB/s", read_4k, { 0 } },
    { "write_1m", LARGE, "MB/s", write_1m, { 0 } },
    { "read_1m", LARGE, "MB/s", read_1m, { 0 } },
    { "create", NFILES, "ops/s", create_files, { 0 } },
    { "stat", NFILES, "ops/s", stat_files, { 0 } },
    { "unlink", NFILES, "ops/s", unlink_files, { 0 } },
};
#define NMETHODS (sizeof methods / sizeof methods[0])

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    if (!ae_self.kdebug) {
        printf("fsbench: needs kdebug\n");
        return 1;
    }
    block = malloc(LARGE);
    if (!block || mkdir("/d", 0755) < 0)
        die("setup");
    memset(block, 'x', LARGE);
    write_file(SMALL, SMALL_FILE);                 /* warm-up: buffer attached, pages pooled */
    write_file(LARGE, LARGE_FILE);
    /* Each run does the methods in order: the writes make the file the
     * reads read, creates make the files stat and unlink work on. */
    for (unsigned r = 0; r < RUNS; r++) {
        for (unsigned m = 0; m < NMETHODS; m++) {
            methods[m].samples[r] = methods[m].run(methods[m].param);
            say("SAMPLE fs aerie %s %u %.1f %s\n", methods[m].name, methods[m].param,
                methods[m].samples[r], methods[m].unit);
        }
    }
    say("fs benchmark: medians of %u runs (4 KiB ops over %u MiB, 1 MiB ops over %u MiB, %u files)\n",
        RUNS, SMALL_FILE >> 20, LARGE_FILE >> 20, NFILES);
    for (unsigned m = 0; m < NMETHODS; m++) {
        qsort(methods[m].samples, RUNS, sizeof(double), by_value);
        double med = methods[m].samples[RUNS / 2];
        if (!strcmp(methods[m].unit, "MB/s"))
            say("  %-9s %10.1f MB/s  %10.0f ops/s\n", methods[m].name, med,
                med * 1e6 / methods[m].param);
        else
            say("  %-9s %10.0f ops/s\n", methods[m].name, med);
    }
    say("BENCH DONE fsbench\n");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    return 0;
}
