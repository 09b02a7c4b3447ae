/*
 * aerie_trace.c — `aerie trace`: starts a container's trace (ctl's
 * `trace ID start`), then reads its records (`trace ID read`, seven at a
 * time) until the container has ended and the buffer is empty, or ^C.
 * Each record is printed as it comes (time since the first, CPU, thread,
 * what, result, how long), or with --summary counted per call and
 * printed at the end, like strace -c. Events the kernel dropped because
 * the buffer was full are counted by the kernel and reported.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <aerie/trace.h>
#include <aerie/fault.h>
#include "aerie_trace.h"

#define SUMMARY_MAX 256

struct rec {
    uint64_t ts, dur, kind, cpu, tid, a, b, c, d;
};

struct tally {
    uint64_t kind, what, count, errors, total_ns;
};

static volatile sig_atomic_t stop_requested;
static void on_sigint(int sig) { (void)sig; stop_requested = 1; }

uint64_t trace_kinds(const char *list)
{
    uint64_t k = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "call"))
            k |= 1ull << AERIE_TRACE_CALL;
        else if (!strcmp(w, "fault"))
            k |= 1ull << AERIE_TRACE_FAULT;
        else if (!strcmp(w, "syscall"))
            k |= 1ull << AERIE_TRACE_SYSCALL;
        else if (!strcmp(w, "thread"))
            k |= 1ull << AERIE_TRACE_START | 1ull << AERIE_TRACE_EXIT;
        else if (!strcmp(w, "all"))
            k |= (1ull << AERIE_TRACE_KINDS) - 2;
        else
            return 0;
    }
    return k;
}

/* Linux system call names, for the personality's programs (x86-64). */
static const char *syscall_name(uint64_t n)
{
    static const char *const names[] = {
        [0] = "read", [1] = "write", [2] = "open", [3] = "close", [4] = "stat", [5] = "fstat", [6] = "lstat",
        [7] = "poll", [8] = "lseek", [9] = "mmap", [10] = "mprotect", [11] = "munmap", [12] = "brk",
        [13] = "rt_sigaction", [14] = "rt_sigprocmask", [15] = "rt_sigreturn", [16] = "ioctl", [17] = "pread64", [19] = "readv",
        [20] = "writev", [21] = "access", [22] = "pipe", [24] = "sched_yield", [32] = "dup", [33] = "dup2",
        [35] = "nanosleep", [39] = "getpid", [41] = "socket", [42] = "connect", [43] = "accept",
        [44] = "sendto", [45] = "recvfrom", [49] = "bind", [50] = "listen", [56] = "clone", [57] = "fork",
        [59] = "execve", [60] = "exit", [61] = "wait4", [62] = "kill", [63] = "uname", [72] = "fcntl",
        [78] = "getdents", [79] = "getcwd", [80] = "chdir", [83] = "mkdir", [87] = "unlink", [89] = "readlink",
        [96] = "gettimeofday", [102] = "getuid", [110] = "getppid", [157] = "prctl", [158] = "arch_prctl", [201] = "time",
        [186] = "gettid", [202] = "futex", [217] = "getdents64", [218] = "set_tid_address",
        [228] = "clock_gettime", [231] = "exit_group", [257] = "openat", [262] = "newfstatat",
        [273] = "set_robust_list", [302] = "prlimit64", [318] = "getrandom", [334] = "rseq",
    };
    return n < sizeof names / sizeof names[0] && names[n] ? names[n] : NULL;
}

/* The name of the grant in slot, from `trace ID names` ("1=console ..."). */
static const char *slot_name(const char *names, uint64_t slot, char *buf, size_t cap)
{
    char key[24];
    snprintf(key, sizeof key, "%llu=", (unsigned long long)slot);
    size_t k = strlen(key);
    for (const char *p = names; p && *p; ) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > k && !strncmp(p, key, k) && n - k < cap) {
            memcpy(buf, p + k, n - k);
            buf[n - k] = 0;
            return buf;
        }
        p += n + (end != NULL);
    }
    snprintf(buf, cap, "slot%llu", (unsigned long long)slot);
    return buf;
}

static const char *fault_name(uint64_t label)
{
    switch (label) {
    case AERIE_FAULT_PAGE:      return "page fault";
    case AERIE_FAULT_EXCEPTION: return "exception";
    case AERIE_FAULT_SYSCALL:   return "unknown system call";
    default:                    return "fault";
    }
}

/* A CALL's result: its info word, or a negative kernel error. */
static const char *call_result(uint64_t r, char *buf, size_t cap)
{
    int64_t v = (int64_t)r;
    uint64_t label = (r >> 32) & 0x7fffffff;
    if (v < 0)
        snprintf(buf, cap, "kernel error %lld", (long long)v);
    else if (label)
        snprintf(buf, cap, "error %d", -(int)label);
    else
        snprintf(buf, cap, "ok");
    return buf;
}

static bool failed(const struct rec *x)
{
    if (x->kind == AERIE_TRACE_CALL)
        return (int64_t)x->c < 0 || ((x->c >> 32) & 0x7fffffff);
    if (x->kind == AERIE_TRACE_SYSCALL)
        return (int64_t)x->c < 0 && (int64_t)x->c > -4096;
    return x->kind == AERIE_TRACE_FAULT;
}

static void print_rec(const struct rec *x, uint64_t t0, const char *names)
{
    char what[96], res[48], nm[32];
    double t = (double)(x->ts - t0) / 1e9, dur = (double)x->dur / 1e3;
    switch (x->kind) {
    case AERIE_TRACE_CALL:
        printf("%12.6f cpu%llu t%llx call %s label %llu -> %s (%.1fus)\n", t, (unsigned long long)x->cpu,
               (unsigned long long)x->tid, slot_name(names, x->a, nm, sizeof nm), (unsigned long long)x->b,
               call_result(x->c, res, sizeof res), dur);
        break;
    case AERIE_TRACE_SYSCALL: {
        const char *n = syscall_name(x->a);
        if (n)
            snprintf(what, sizeof what, "%s", n);
        else
            snprintf(what, sizeof what, "syscall_%llu", (unsigned long long)x->a);
        printf("%12.6f cpu%llu t%llx %s(0x%llx, 0x%llx) = %lld (%.1fus)\n", t, (unsigned long long)x->cpu,
               (unsigned long long)x->tid, what, (unsigned long long)x->b, (unsigned long long)x->d,
               (long long)x->c, dur);
        break;
    }
    case AERIE_TRACE_FAULT:
        printf("%12.6f cpu%llu t%llx %s 0x%llx rip 0x%llx\n", t, (unsigned long long)x->cpu,
               (unsigned long long)x->tid, fault_name(x->a), (unsigned long long)x->b, (unsigned long long)x->c);
        break;
    case AERIE_TRACE_START:
        printf("%12.6f cpu%llu t%llx thread start\n", t, (unsigned long long)x->cpu, (unsigned long long)x->tid);
        break;
    case AERIE_TRACE_EXIT:
        printf("%12.6f cpu%llu t%llx thread exit %lld%s\n", t, (unsigned long long)x->cpu,
               (unsigned long long)x->tid, (long long)x->a, x->b ? " (quiet)" : "");
        break;
    default:
        printf("%12.6f kind %llu\n", t, (unsigned long long)x->kind);
    }
}

static void tally_add(struct tally *ts, int *n, const struct rec *x)
{
    uint64_t what = x->kind == AERIE_TRACE_CALL ? x->a << 32 | x->b : x->kind == AERIE_TRACE_FAULT ? x->a
                  : x->kind == AERIE_TRACE_SYSCALL ? x->a : 0;
    int i = 0;
    while (i < *n && !(ts[i].kind == x->kind && ts[i].what == what))
        i++;
    if (i == *n) {
        if (*n == SUMMARY_MAX)
            return;
        ts[(*n)++] = (struct tally){ x->kind, what, 0, 0, 0 };
    }
    ts[i].count++;
    ts[i].errors += failed(x);
    ts[i].total_ns += x->dur;
}

static int by_time(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

static void print_summary(struct tally *ts, int n, const char *names, uint64_t dropped)
{
    uint64_t all = 0;
    for (int i = 0; i < n; i++)
        all += ts[i].total_ns;
    qsort(ts, (size_t)n, sizeof *ts, by_time);
    printf("%% time     seconds  usecs/call     calls    errors call\n");
    printf("------ ----------- ----------- --------- --------- ----------------\n");
    for (int i = 0; i < n; i++) {
        char what[64], nm[32];
        const struct tally *t = &ts[i];
        if (t->kind == AERIE_TRACE_CALL)
            snprintf(what, sizeof what, "%s:%llu", slot_name(names, t->what >> 32, nm, sizeof nm),
                     (unsigned long long)(t->what & 0xffffffff));
        else if (t->kind == AERIE_TRACE_SYSCALL)
            snprintf(what, sizeof what, "%s", syscall_name(t->what) ? syscall_name(t->what) : "syscall");
        else if (t->kind == AERIE_TRACE_FAULT)
            snprintf(what, sizeof what, "%s", fault_name(t->what));
        else
            snprintf(what, sizeof what, "%s", t->kind == AERIE_TRACE_START ? "thread start" : "thread exit");
        printf("%6.2f %11.6f %11llu %9llu %9llu %s\n", all ? 100.0 * (double)t->total_ns / (double)all : 0.0,
               (double)t->total_ns / 1e9, (unsigned long long)(t->count ? t->total_ns / 1000 / t->count : 0),
               (unsigned long long)t->count, (unsigned long long)t->errors, what);
    }
    printf("events dropped (buffer full): %llu\n", (unsigned long long)dropped);
}

static uint64_t hexkv(const char *rest, const char *key)
{
    char k[16];
    snprintf(k, sizeof k, " %s=", key);
    const char *p = strstr(rest, k);
    if (!p && !strncmp(rest, k + 1, strlen(k) - 1))
        p = rest - 1;
    return p ? strtoull(p + strlen(k), NULL, 16) : 0;
}

/* Sends `trace CID WORDS...`; the final reply in r. */
static void trace_req(struct conn *c, uint64_t cid, const char *op, const char *a1, const char *a2,
                      struct ctl_reply *r, char *id)
{
    char cidtext[24];
    snprintf(cidtext, sizeof cidtext, "%llu", (unsigned long long)cid);
    const char *w[4] = { cidtext, op, a1, a2 };
    conn_send(c, id, "trace", w, a1 ? 4 : 2);
    conn_expect(c, id, r);
}

static bool ended(struct conn *c, uint64_t cid)
{
    char id[CTL_ID_MAX + 1], cidtext[24];
    struct ctl_reply r;
    snprintf(cidtext, sizeof cidtext, "%llu", (unsigned long long)cid);
    const char *w[1] = { cidtext };
    conn_send(c, id, "status", w, 1);
    conn_expect(c, id, &r);
    return strcmp(r.kind, "ok") || (strncmp(r.rest, "running", 7) && strncmp(r.rest, "created", 7));
}

int trace_run(struct conn *c, uint64_t cid, uint64_t bytes, uint64_t kinds, bool summary)
{
    static struct tally ts[SUMMARY_MAX];
    static char names[512];
    char id[CTL_ID_MAX + 1], b[24], k[24];
    struct ctl_reply r;
    int nt = 0;
    uint64_t t0 = 0, dropped = 0, count = 0;
    snprintf(b, sizeof b, "%llu", (unsigned long long)bytes);
    snprintf(k, sizeof k, "%llu", (unsigned long long)kinds);
    trace_req(c, cid, "start", b, k, &r, id);
    if (strcmp(r.kind, "ok")) {
        size_t bad;
        long n = ctl_unescape(r.rest, strlen(r.rest), &bad);
        if (n >= 0)
            r.rest[n] = 0;
        fprintf(stderr, "aerie: trace: %s\n", r.rest);
        return 1;
    }
    trace_req(c, cid, "names", NULL, NULL, &r, id);
    snprintf(names, sizeof names, "%s", strcmp(r.kind, "ok") ? "" : r.rest);
    signal(SIGINT, on_sigint);
    bool done = false;
    while (!stop_requested) {
        trace_req(c, cid, "read", NULL, NULL, &r, id);
        int got = 0;
        for (; !strcmp(r.kind, "row"); conn_expect(c, id, &r)) {
            struct rec x = { hexkv(r.rest, "ts"), hexkv(r.rest, "dur"), hexkv(r.rest, "kind"), hexkv(r.rest, "cpu"),
                             hexkv(r.rest, "tid"), hexkv(r.rest, "a"), hexkv(r.rest, "b"), hexkv(r.rest, "c"),
                             hexkv(r.rest, "d") };
            if (!t0)
                t0 = x.ts;
            if (summary)
                tally_add(ts, &nt, &x);
            else
                print_rec(&x, t0, names);
            got++;
            count++;
        }
        if (strcmp(r.kind, "ok")) {
            fprintf(stderr, "aerie: trace: %s\n", r.rest);
            return 1;
        }
        uint64_t d = strtoull(strstr(r.rest, "dropped=") ? strstr(r.rest, "dropped=") + 8 : "0", NULL, 10);
        if (!summary && d > dropped)
            printf("--- %llu events dropped (buffer full) ---\n", (unsigned long long)(d - dropped));
        dropped = d;
        bool more = strstr(r.rest, "more=") && strtoull(strstr(r.rest, "more=") + 5, NULL, 10) > 0;
        if (!got && !more) {
            if (done)
                break;
            done = ended(c, cid);            /* one more read after it ended: nothing is left behind */
            if (!done)
                usleep(50000);
        }
        fflush(stdout);
    }
    if (stop_requested)
        trace_req(c, cid, "stop", NULL, NULL, &r, id);
    if (summary)
        print_summary(ts, nt, names, dropped);
    else
        printf("--- %llu events, %llu dropped ---\n", (unsigned long long)count, (unsigned long long)dropped);
    return 0;
}
