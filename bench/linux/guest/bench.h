/*
 * bench.h — what every Linux guest benchmark program shares: the clock, the
 * SAMPLE output protocol (bench/README.md), option parsing for number lists,
 * /proc/meminfo readings and CPU pinning. The programs run inside the
 * benchmark initramfs (bench/linux/init) and print to the serial console.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#define BENCH_SYSTEM   "linux"
#define BENCH_LIST_MAX 16

/* A list of whole numbers given as "0,100,1000". */
struct bench_list {
    long v[BENCH_LIST_MAX];
    int n;
};

uint64_t bench_now_ns(void);

/* One measurement: "SAMPLE <experiment> linux <method> <param> <value> <unit>". */
void bench_sample(const char *experiment, const char *method, const char *param,
                  double value, const char *unit);

/* A human-readable remark; the parsers skip lines that start with '#'. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "BENCH ERROR <prog>: <why>" and exits 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void bench_init(const char *progname);
long bench_parse_long(const char *opt, const char *s, long min, long max);
void bench_parse_list(const char *opt, const char *s, struct bench_list *out);

/* A field of /proc/meminfo in KiB ("MemFree", "MemAvailable"). */
long bench_meminfo_kib(const char *field);

/* Writes back dirty data and drops the page and slab caches, so memory
 * readings taken around it compare like with like. */
void bench_drop_caches(void);

/* MemFree in KiB once it has settled: containers leave work behind that
 * the kernel finishes later (a network namespace is torn down by a
 * workqueue), so read until two readings 200 ms apart, caches dropped
 * before each, agree within 256 KiB, or 3 s have passed. */
long bench_settled_memfree_kib(void);

void bench_pin_cpu(int cpu);
int bench_ncpus(void);

#endif
