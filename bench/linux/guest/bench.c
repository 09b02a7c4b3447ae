/*
 * bench.c — the helpers declared in bench.h, shared by every Linux guest
 * benchmark program.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "bench";

void bench_init(const char *progname)
{
    const char *slash = strrchr(progname, '/');
    prog = slash ? slash + 1 : progname;
    /* One line per write: lines from parallel writers never interleave. */
    setvbuf(stdout, NULL, _IOLBF, 0);
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sample(const char *experiment, const char *method, const char *param,
                  double value, const char *unit)
{
    printf("SAMPLE %s %s %s %s %.6g %s\n", experiment, BENCH_SYSTEM, method, param,
           value, unit);
}

void bench_note(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("# %s: %s\n", prog, buf);
}

void bench_die(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("BENCH ERROR %s: %s\n", prog, buf);
    fflush(stdout);
    exit(1);
}

long bench_parse_long(const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        bench_die("%s wants a whole number from %ld to %ld, not '%s'", opt, min, max, s);
    return v;
}

void bench_parse_list(const char *opt, const char *s, struct bench_list *out)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        bench_die("%s: list too long", opt);
    strcpy(buf, s);
    out->n = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (out->n == BENCH_LIST_MAX)
            bench_die("%s: more than %d values", opt, BENCH_LIST_MAX);
        out->v[out->n++] = bench_parse_long(opt, tok, 0, 100000000);
    }
    if (out->n == 0)
        bench_die("%s: empty list", opt);
}

long bench_meminfo_kib(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        bench_die("cannot open /proc/meminfo: %s", strerror(errno));
    char line[256];
    size_t len = strlen(field);
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    if (kib < 0)
        bench_die("/proc/meminfo has no field %s", field);
    return kib;
}

void bench_drop_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0)
        bench_die("cannot open /proc/sys/vm/drop_caches: %s", strerror(errno));
    if (write(fd, "3\n", 2) != 2)
        bench_die("cannot drop caches: %s", strerror(errno));
    close(fd);
}

void bench_pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        bench_die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

int bench_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

long bench_settled_memfree_kib(void)
{
    bench_drop_caches();
    long prev = bench_meminfo_kib("MemFree");
    for (int i = 0; i < 15; i++) {
        usleep(200000);
        bench_drop_caches();
        long cur = bench_meminfo_kib("MemFree");
        if (labs(cur - prev) < 256)
            return cur;
        prev = cur;
    }
    return prev;
}
