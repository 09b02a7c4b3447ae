/*
 * fsbench.c — tmpfs throughput and metadata rates on Linux, the baseline
 * for Aerie's fs service (experiment fs in bench/README.md).
 *
 * In a directory on a fresh tmpfs, each sample measures one of:
 *   write_4k, write_1m  write a --file-mib MiB file from offset 0 into a
 *                       freshly truncated file, in 4 KiB or 1 MiB writes (MiB/s)
 *   read_4k, read_1m    read that whole file back in 4 KiB or 1 MiB reads (MiB/s)
 *   create              create --files empty files (open O_CREAT|O_EXCL, close) (ops/s)
 *   stat                stat each of them (ops/s)
 *   unlink              unlink each of them (ops/s)
 *
 * usage: fsbench --dir DIR [--samples S] [--warmup W] [--file-mib M] [--files F]
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static const char *dir;
static long file_mib = 8, nfiles = 200;
static char *buf;

static double mib_per_s(long bytes, uint64_t ns)
{
    return (double)bytes / (double)MIB / ((double)ns / 1e9);
}

static double ops_per_s(long ops, uint64_t ns)
{
    return (double)ops / ((double)ns / 1e9);
}

static double write_file(long chunk)
{
    char path[256];
    snprintf(path, sizeof path, "%s/data", dir);
    uint64_t t0 = bench_now_ns();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        bench_die("open %s: %s", path, strerror(errno));
    for (long off = 0; off < file_mib * MIB; off += chunk) {
        if (write(fd, buf, (size_t)chunk) != chunk)
            bench_die("write %s: %s", path, strerror(errno));
    }
    close(fd);
    return mib_per_s(file_mib * MIB, bench_now_ns() - t0);
}

static double read_file(long chunk)
{
    char path[256];
    snprintf(path, sizeof path, "%s/data", dir);
    uint64_t t0 = bench_now_ns();
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        bench_die("open %s: %s", path, strerror(errno));
    for (long off = 0; off < file_mib * MIB; off += chunk) {
        if (read(fd, buf, (size_t)chunk) != chunk)
            bench_die("read %s: short or failed: %s", path, strerror(errno));
    }
    close(fd);
    return mib_per_s(file_mib * MIB, bench_now_ns() - t0);
}

static void file_name(char *path, size_t len, long i)
{
    snprintf(path, len, "%s/f%05ld", dir, i);
}

static double create_files(void)
{
    char path[256];
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < nfiles; i++) {
        file_name(path, sizeof path, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            bench_die("create %s: %s", path, strerror(errno));
        close(fd);
    }
    return ops_per_s(nfiles, bench_now_ns() - t0);
}

static double stat_files(void)
{
    char path[256];
    struct stat st;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < nfiles; i++) {
        file_name(path, sizeof path, i);
        if (stat(path, &st) != 0)
            bench_die("stat %s: %s", path, strerror(errno));
    }
    return ops_per_s(nfiles, bench_now_ns() - t0);
}

static double unlink_files(void)
{
    char path[256];
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < nfiles; i++) {
        file_name(path, sizeof path, i);
        if (unlink(path) != 0)
            bench_die("unlink %s: %s", path, strerror(errno));
    }
    return ops_per_s(nfiles, bench_now_ns() - t0);
}

/* One round of every measure; printed unless it is a warm-up round. */
static void round_once(int print)
{
    static const struct { const char *name; long chunk; int write; } rw[] = {
        { "write_4k", 4096, 1 }, { "read_4k", 4096, 0 },
        { "write_1m", MIB, 1 },  { "read_1m", MIB, 0 },
    };
    for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++) {
        double v = rw[i].write ? write_file(rw[i].chunk) : read_file(rw[i].chunk);
        if (print)
            bench_sample("fs", rw[i].name, "-", v, "MiB/s");
    }
    double c = create_files(), s = stat_files(), u = unlink_files();
    if (print) {
        bench_sample("fs", "create", "-", c, "ops/s");
        bench_sample("fs", "stat", "-", s, "ops/s");
        bench_sample("fs", "unlink", "-", u, "ops/s");
    }
}

int main(int argc, char **argv)
{
    long samples = 20, warmup = 2;

    bench_init(argv[0]);
    if (argc % 2 == 0)
        bench_die("options come in pairs: --name value");
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--dir") == 0) dir = v;
        else if (strcmp(o, "--samples") == 0) samples = bench_parse_long(o, v, 1, 100000);
        else if (strcmp(o, "--warmup") == 0) warmup = bench_parse_long(o, v, 0, 100000);
        else if (strcmp(o, "--file-mib") == 0) file_mib = bench_parse_long(o, v, 1, 1024);
        else if (strcmp(o, "--files") == 0) nfiles = bench_parse_long(o, v, 1, 99999);
        else bench_die("unknown option %s", o);
    }
    if (!dir)
        bench_die("--dir is required");
    buf = malloc(MIB);
    if (!buf)
        bench_die("out of memory");
    memset(buf, 0xa5, MIB);

    for (long i = 0; i < warmup; i++)
        round_once(0);
    for (long i = 0; i < samples; i++)
        round_once(1);
    return 0;
}
