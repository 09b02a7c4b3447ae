/*
 * testrun.c — runs Aerie's tests and reports them one by one.
 *
 * It reads a list of test entries (tests/tests.list): host programs and
 * QEMU boots. Both speak one protocol on their output:
 *     TEST PASS <name>
 *     TEST FAIL <name>: <why>
 *     TESTS DONE <count>
 * An entry may also list patterns its output must contain (expect=...),
 * e.g. a deliberate panic: they add to the entry's verdict, they never end
 * its run. A run ends when its program exits, at "TESTS DONE" or "System
 * halted.", at its time limit (then it fails and its last lines are
 * shown), or — for a boot whose programs run for ever — at the line its
 * end= pattern names, after a short grace in which a late panic or FAIL
 * still counts. The last line printed is always "N passed, N failed"; the
 * exit status is 1 if any test failed.
 *
 * usage: testrun [-j JOBS] [-l LIST] [-L LOGDIR] [NAME-PATTERN...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS     64
#define MAX_EXPECT   16
#define TAIL_LINES   25
#define LINE_MAX_LEN 4096
#define END_GRACE_S  2.0          /* output still read after an end= line */

enum kind { KIND_HOST, KIND_QEMU };

struct entry {
    enum kind kind;
    char *name;
    char *args[MAX_ARGS];        /* host: program and arguments */
    int nargs;
    char *smp, *mem, *cmdline, *kernel, *initrd, *qemu_extra;
    bool nic;                    /* the virtio-net NIC, no forwards (qemu.sh --nic) */
    int timeout;
    char *expect[MAX_EXPECT];
    int nexpect;
    char *end;                   /* a line that ends the run (boots that never stop) */
    bool panic_expected;
    int lineno;
};

struct job {
    struct entry *e;
    pid_t pid;
    int fd;
    FILE *log;
    double deadline;
    char buf[LINE_MAX_LEN];
    size_t buflen;
    char *tail[TAIL_LINES];
    int ntail;
    bool expect_seen[MAX_EXPECT];
    int reported_pass, reported_fail;
    long done_count;              /* -1 until TESTS DONE */
    double end_at;                /* once the end= line is seen: when to stop */
    bool panicked, timed_out, finished_early;
};

static int passed, failed;
static const char *logdir = "build/test-logs";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        perror("testrun");
        exit(2);
    }
    return p;
}

/* ---- the list file ---------------------------------------------------- */

/* Next word at *pp: bare, or "quoted" with \" and \\ escapes. */
static char *next_token(char **pp, int lineno, const char *path)
{
    char *p = *pp;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '\n' || *p == '#')
        return NULL;
    char *out = xmalloc(strlen(p) + 1), *o = out;
    bool quoted = false;
    for (; *p; p++) {
        if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
            break;
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
        *o++ = *p;
    }
    if (quoted) {
        fprintf(stderr, "%s:%d: unterminated quote\n", path, lineno);
        exit(2);
    }
    *pp = p;
    return out;
}

static void set_key(struct entry *e, char *key, char *val, const char *path)
{
    if (!strcmp(key, "prog") || !strcmp(key, "arg")) {
        if (e->nargs < MAX_ARGS - 1)
            e->args[e->nargs++] = val;
    } else if (!strcmp(key, "smp")) e->smp = val;
    else if (!strcmp(key, "mem")) e->mem = val;
    else if (!strcmp(key, "cmdline")) e->cmdline = val;
    else if (!strcmp(key, "kernel")) e->kernel = val;
    else if (!strcmp(key, "initrd")) e->initrd = val;
    else if (!strcmp(key, "qemu")) e->qemu_extra = val;
    else if (!strcmp(key, "nic")) e->nic = !strcmp(val, "yes");
    else if (!strcmp(key, "timeout")) e->timeout = atoi(val);
    else if (!strcmp(key, "panic")) e->panic_expected = !strcmp(val, "expected");
    else if (!strcmp(key, "end")) e->end = val;
    else if (!strcmp(key, "expect")) {
        if (e->nexpect == MAX_EXPECT) {
            fprintf(stderr, "%s:%d: more than %d expect= patterns\n", path, e->lineno, MAX_EXPECT);
            exit(2);
        }
        e->expect[e->nexpect++] = val;
    } else {
        fprintf(stderr, "%s:%d: unknown key '%s'\n", path, e->lineno, key);
        exit(2);
    }
}

static struct entry *parse_line(char *line, int lineno, const char *path)
{
    char *p = line;
    char *kind = next_token(&p, lineno, path);
    if (!kind)
        return NULL;
    char *name = next_token(&p, lineno, path);
    if (!name || (strcmp(kind, "host") && strcmp(kind, "qemu"))) {
        fprintf(stderr, "%s:%d: expected 'host NAME ...' or 'qemu NAME ...'\n", path, lineno);
        exit(2);
    }
    struct entry *e = xmalloc(sizeof *e);
    e->kind = strcmp(kind, "host") ? KIND_QEMU : KIND_HOST;
    e->name = name;
    e->timeout = 120;
    e->lineno = lineno;
    char *tok;
    while ((tok = next_token(&p, lineno, path))) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(stderr, "%s:%d: '%s' is not key=value\n", path, lineno, tok);
            exit(2);
        }
        *eq = 0;
        set_key(e, tok, eq + 1, path);
    }
    if (e->kind == KIND_HOST && e->nargs == 0) {
        fprintf(stderr, "%s:%d: host entry '%s' has no prog=\n", path, lineno, name);
        exit(2);
    }
    return e;
}

static struct entry **read_list(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "testrun: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    struct entry **list = NULL;
    char line[LINE_MAX_LEN];
    int lineno = 0, cap = 0;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        struct entry *e = parse_line(line, lineno, path);
        if (!e)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            list = realloc(list, cap * sizeof *list);
            if (!list)
                exit(2);
        }
        list[(*n)++] = e;
    }
    fclose(f);
    return list;
}

/* ---- results ---------------------------------------------------------- */

static void result(bool ok, const char *entry, const char *test, const char *why)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("%s %s%s%s%s%s\n", ok ? "PASS" : "FAIL", entry, test ? "." : "",
           test ? test : "", why ? ": " : "", why ? why : "");
    fflush(stdout);
}

static void show_tail(struct job *j)
{
    printf("---- last %d lines of %s (full log: %s/%s.log) ----\n", j->ntail, j->e->name,
           logdir, j->e->name);
    for (int i = 0; i < j->ntail; i++)
        printf("  | %s\n", j->tail[i]);
    printf("----\n");
}

/* ---- running ---------------------------------------------------------- */

static void build_qemu_argv(struct entry *e, char **argv)
{
    int n = 0;
    argv[n++] = "tools/qemu.sh";
    argv[n++] = "--test";
    if (e->smp) { argv[n++] = "--smp"; argv[n++] = e->smp; }
    if (e->mem) { argv[n++] = "--mem"; argv[n++] = e->mem; }
    if (e->cmdline) { argv[n++] = "--append"; argv[n++] = e->cmdline; }
    if (e->initrd) { argv[n++] = "--initrd"; argv[n++] = e->initrd; }
    if (e->nic) argv[n++] = "--nic";
    if (e->qemu_extra) { argv[n++] = "--qemu"; argv[n++] = e->qemu_extra; }
    argv[n++] = e->kernel ? e->kernel : "build/kernel.elf";
    argv[n] = NULL;
}

static bool start_job(struct job *j, struct entry *e)
{
    memset(j, 0, sizeof *j);
    j->e = e;
    j->done_count = -1;
    int fds[2];
    if (pipe(fds) < 0)
        return false;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.log", logdir, e->name);
    j->log = fopen(path, "w");
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        char *qargv[MAX_ARGS];
        char **argv = e->args;
        if (e->kind == KIND_QEMU) {
            build_qemu_argv(e, qargv);
            argv = qargv;
        }
        execv(argv[0], argv);
        fprintf(stderr, "testrun: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(fds[1]);
    j->pid = pid;
    j->fd = fds[0];
    j->deadline = now() + e->timeout;
    return true;
}

static void remember_line(struct job *j, const char *line)
{
    if (j->ntail == TAIL_LINES) {
        free(j->tail[0]);
        memmove(j->tail, j->tail + 1, (TAIL_LINES - 1) * sizeof j->tail[0]);
        j->ntail--;
    }
    j->tail[j->ntail++] = strdup(line);
}

static bool matches(const struct job *j, const char *pattern, const char *line)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "testrun: bad pattern '%s' in %s\n", pattern, j->e->name);
        exit(2);
    }
    bool hit = regexec(&re, line, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

static void check_expect(struct job *j, const char *line)
{
    for (int i = 0; i < j->e->nexpect; i++)
        if (!j->expect_seen[i] && matches(j, j->e->expect[i], line))
            j->expect_seen[i] = true;
    if (j->e->end && !j->end_at && matches(j, j->e->end, line))
        j->end_at = now() + END_GRACE_S;
}

static void handle_line(struct job *j, char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = 0;
    if (j->log)
        fprintf(j->log, "%s\n", line);
    remember_line(j, line);
    check_expect(j, line);
    if (!strncmp(line, "TEST PASS ", 10)) {
        j->reported_pass++;
        result(true, j->e->name, line + 10, NULL);
    } else if (!strncmp(line, "TEST FAIL ", 10)) {
        j->reported_fail++;
        char *colon = strstr(line + 10, ": ");
        if (colon)
            *colon = 0;
        result(false, j->e->name, line + 10, colon ? colon + 2 : "failed");
    } else if (!strncmp(line, "TESTS DONE ", 11)) {
        j->done_count = strtol(line + 11, NULL, 10);
        j->finished_early = true;
    } else if (strstr(line, "PANIC")) {
        j->panicked = true;
    } else if (strstr(line, "System halted.")) {
        j->finished_early = true;
    }
}

static void read_job(struct job *j)
{
    ssize_t r = read(j->fd, j->buf + j->buflen, sizeof j->buf - 1 - j->buflen);
    if (r <= 0) {
        if (j->buflen) {                  /* last line without newline */
            j->buf[j->buflen] = 0;
            handle_line(j, j->buf);
            j->buflen = 0;
        }
        close(j->fd);
        j->fd = -1;
        return;
    }
    j->buflen += (size_t)r;
    char *start = j->buf, *nl;
    while ((nl = memchr(start, '\n', j->buf + j->buflen - start))) {
        *nl = 0;
        handle_line(j, start);
        start = nl + 1;
    }
    size_t rest = j->buf + j->buflen - start;
    if (rest == sizeof j->buf - 1) {      /* an overlong line: cut it */
        j->buf[rest] = 0;
        handle_line(j, j->buf);
        rest = 0;
    }
    memmove(j->buf, start, rest);
    j->buflen = rest;
}

/* Decides the entry-level verdicts once the run has ended. */
static void finish_job(struct job *j, int status)
{
    struct entry *e = j->e;
    char why[256];
    bool bad = false;
    if (j->timed_out) {
        snprintf(why, sizeof why, "timed out after %d s", e->timeout);
        result(false, e->name, NULL, why);
        bad = true;
    } else if (j->panicked && !e->panic_expected) {
        result(false, e->name, NULL, "kernel panic");
        bad = true;
    } else if (e->nexpect) {
        for (int i = 0; i < e->nexpect; i++) {
            if (!j->expect_seen[i]) {
                snprintf(why, sizeof why, "output never matched '%s'", e->expect[i]);
                result(false, e->name, NULL, why);
                bad = true;
            }
        }
        if (!bad)
            result(true, e->name, NULL, NULL);
    }
    int reported = j->reported_pass + j->reported_fail;
    if (!j->timed_out && !e->nexpect && j->done_count < 0) {
        result(false, e->name, NULL, "ended without 'TESTS DONE'");
        bad = true;
    } else if (j->done_count >= 0 && j->done_count != reported) {
        snprintf(why, sizeof why, "said %ld tests ran but reported %d", j->done_count, reported);
        result(false, e->name, NULL, why);
        bad = true;
    } else if (!j->timed_out && !e->nexpect && reported == 0) {
        result(false, e->name, NULL, "reported no tests");
        bad = true;
    }
    if (e->kind == KIND_HOST && !j->timed_out && WIFEXITED(status) &&
        WEXITSTATUS(status) != 0 && j->reported_fail == 0 && !bad) {
        snprintf(why, sizeof why, "exited with status %d", WEXITSTATUS(status));
        result(false, e->name, NULL, why);
        bad = true;
    }
    if (e->kind == KIND_HOST && WIFSIGNALED(status) && !j->timed_out) {
        snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
        result(false, e->name, NULL, why);
        bad = true;
    }
    if (bad || j->reported_fail)
        show_tail(j);
    if (j->log)
        fclose(j->log);
    for (int i = 0; i < j->ntail; i++)
        free(j->tail[i]);
}

static void stop_job(struct job *j)
{
    kill(-j->pid, SIGKILL);
    kill(j->pid, SIGKILL);
}

static bool selected(struct entry *e, char **pats, int npats)
{
    if (npats == 0)
        return true;
    for (int i = 0; i < npats; i++)
        if (fnmatch(pats[i], e->name, 0) == 0)
            return true;
    return false;
}

static void run_all(struct entry **list, int n, int jobs, char **pats, int npats)
{
    struct job *running = xmalloc(jobs * sizeof *running);
    int active = 0, next = 0;
    bool any = false;
    for (;;) {
        while (active < jobs && next < n) {
            struct entry *e = list[next++];
            if (!selected(e, pats, npats))
                continue;
            any = true;
            if (!start_job(&running[active], e)) {
                result(false, e->name, NULL, "could not start");
                continue;
            }
            active++;
        }
        if (active == 0)
            break;
        struct pollfd pfd[64];
        double t = now(), soonest = 1e30;
        for (int i = 0; i < active; i++) {
            pfd[i] = (struct pollfd){ .fd = running[i].fd, .events = POLLIN };
            if (running[i].deadline < soonest)
                soonest = running[i].deadline;
        }
        for (int i = 0; i < active; i++)
            if (running[i].end_at && running[i].end_at < soonest)
                soonest = running[i].end_at;
        int wait_ms = soonest > t ? (int)((soonest - t) * 1000) + 1 : 0;
        for (int i = 0; i < active; i++)
            if (running[i].fd < 0 && wait_ms > 50)
                wait_ms = 50;                   /* output ended: look for its exit often */
        poll(pfd, active, wait_ms);
        for (int i = 0; i < active; i++) {
            struct job *j = &running[i];
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                read_job(j);
            if (j->fd >= 0 && j->end_at && now() >= j->end_at)
                j->finished_early = true;       /* its end= line, and the grace after it */
            if (j->fd >= 0 && j->finished_early && j->e->kind == KIND_QEMU) {
                stop_job(j);            /* result is in; do not wait for QEMU */
                close(j->fd);
                j->fd = -1;
            }
            if (j->fd >= 0 && now() > j->deadline) {
                j->timed_out = true;
                stop_job(j);
                close(j->fd);
                j->fd = -1;
            }
            if (j->fd < 0) {
                /* Its output ended, but the process may live on (a child
                 * that closed stdout, a hung QEMU): the deadline still holds. */
                int status = 0;
                pid_t w = waitpid(j->pid, &status, WNOHANG);
                if (w == 0 && now() <= j->deadline && !j->finished_early)
                    continue;
                if (w == 0) {
                    if (!j->finished_early)
                        j->timed_out = true;
                    stop_job(j);
                    waitpid(j->pid, &status, 0);
                }
                finish_job(j, status);
                running[i] = running[--active];
                i--;
            }
        }
    }
    if (!any)
        fprintf(stderr, "testrun: no test matches the given names\n");
    free(running);
}

int main(int argc, char **argv)
{
    const char *list_path = "tests/tests.list";
    int jobs = 1, opt;
    while ((opt = getopt(argc, argv, "j:l:L:h")) != -1) {
        switch (opt) {
        case 'j': jobs = atoi(optarg); break;
        case 'l': list_path = optarg; break;
        case 'L': logdir = optarg; break;
        default:
            fprintf(stderr, "usage: testrun [-j JOBS] [-l LIST] [-L LOGDIR] [NAME-PATTERN...]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (jobs < 1 || jobs > 64)
        jobs = 1;
    mkdir(logdir, 0777);
    signal(SIGPIPE, SIG_IGN);
    int n;
    struct entry **list = read_list(list_path, &n);
    run_all(list, n, jobs, argv + optind, argc - optind);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
