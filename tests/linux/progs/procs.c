/*
 * procs.c — processes as a Linux program sees them: fork, execve of
 * itself, wait4 with exit codes and signals, posix_spawn, a pipe between
 * parent and child, kill, process groups; checks itself.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

extern char **environ;

static void fork_and_wait(void)
{
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0) {
        if (getppid() != me)
            _exit(99);
        _exit(42);
    }
    CHECK(c > 0 && c != me);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
}

static void fork_copies_memory(void)
{
    static int value = 1;
    int *heap = malloc(sizeof *heap);
    *heap = 10;
    pid_t c = fork();
    if (c == 0) {
        value = 2;
        *heap = 20;
        _exit(value + *heap == 22 ? 0 : 1);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(value == 1 && *heap == 10);               /* the parent's copy is untouched */
    free(heap);
}

static void pipe_between(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        char big[100000];
        memset(big, 'z', sizeof big);
        ssize_t w = write(p[1], big, sizeof big);   /* more than the pipe holds: blocks until read */
        _exit(w == (ssize_t)sizeof big ? 0 : 1);
    }
    close(p[1]);
    size_t got = 0;
    char buf[7000];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0)
        got += (size_t)n;
    close(p[0]);
    int st;
    CHECK(got == 100000);
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void exec_self(const char *self)
{
    pid_t c = fork();
    if (c == 0) {
        char *argv[] = { (char *)self, "child", "7", NULL };
        execve("/proc/self/exe", argv, environ);
        _exit(100);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    CHECK(execve("/nonexistent", (char *[]){ "x", NULL }, environ) == -1 && errno == ENOENT);
}

static void spawn(const char *self)
{
    pid_t c;
    char *argv[] = { (char *)self, "child", "9", NULL };
    CHECK(posix_spawn(&c, "/proc/self/exe", NULL, NULL, argv, environ) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 9);
    c = vfork();
    if (c == 0)
        _exit(5);
    CHECK(c > 0 && waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 5);
}

static void kill_child(void)
{
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    CHECK(kill(c, SIGTERM) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    c = fork();
    if (c == 0) {
        volatile unsigned long spin = 0;
        for (;;)
            spin++;                                  /* never stops in a system call */
    }
    usleep(20000);
    CHECK(kill(c, SIGKILL) == 0);
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK(kill(99999, SIGTERM) == -1 && errno == ESRCH);
    CHECK(kill(getpid(), 0) == 0);
}

static void groups(void)
{
    pid_t c = fork();
    if (c == 0) {
        if (setpgid(0, 0) != 0 || getpgrp() != getpid())
            _exit(1);
        pause();
        _exit(2);
    }
    /* Both sides set the group, as shells do, so the check does not race
     * the child (a 20 ms wait was too short on a loaded host). */
    int r = setpgid(c, c);
    CHECK(r == 0 || errno == EACCES);
    CHECK(getpgid(c) == c);
    CHECK(kill(-c, SIGINT) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    CHECK(getsid(0) > 0);
}

static long long ns_of(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Computes until this thread has ms of CPU time of its own (or 10 s of
 * wall time pass: then the checks below fail). A spin for a length of
 * wall time got under 20 ms of CPU in 60 ms when the host was loaded: the
 * checks are of the accounting, not of the scheduler's share. The clock
 * is read only every 2^16 steps: a clock_gettime is a call into the
 * personality, whose time is its own thread's. */
static volatile unsigned long spin_sink;

static void spin_ms(long ms)
{
    long long cpu_end = ns_of(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000ll;
    long long wall_end = ns_of(CLOCK_MONOTONIC) + 10000000000ll;
    do {
        for (unsigned long i = 0; i < (1ul << 16); i++)
            spin_sink += i;
    } while (ns_of(CLOCK_THREAD_CPUTIME_ID) < cpu_end && ns_of(CLOCK_MONOTONIC) < wall_end);
}

static long long us_of(struct timeval tv) { return tv.tv_sec * 1000000ll + tv.tv_usec; }

/* CPU time is the threads' own, as the kernel counted it: it grows while
 * they compute, not while they sleep, and a reaped child's goes to its
 * parent's RUSAGE_CHILDREN (mksh and bash's `time` read these; mksh
 * warned on every command when RUSAGE_CHILDREN was EINVAL). */
static void cpu_times(void)
{
    long long p0 = ns_of(CLOCK_PROCESS_CPUTIME_ID), t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    spin_ms(30);
    long long p1 = ns_of(CLOCK_PROCESS_CPUTIME_ID), t1 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    CHECK(p1 - p0 >= 20000000ll && t1 - t0 >= 20000000ll);
    struct timespec nap = { 0, 100000000 };
    nanosleep(&nap, NULL);
    long long p2 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(p2 - p1 < 50000000ll);                       /* sleeping is not CPU time */
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && us_of(ru.ru_utime) >= 20000);
    CHECK(getrusage(1 /* RUSAGE_THREAD */, &ru) == 0 && us_of(ru.ru_utime) >= 20000);
    CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    long long before = us_of(ru.ru_utime);
    CHECK(getrusage(7, &ru) == -1 && errno == EINVAL);
    pid_t pid = fork();
    if (pid == 0) {
        spin_ms(30);
        _exit(0);
    }
    int st;
    CHECK(wait4(pid, &st, 0, &ru) == pid && us_of(ru.ru_utime) >= 20000);
    CHECK(getrusage(RUSAGE_CHILDREN, &ru) == 0 && us_of(ru.ru_utime) - before >= 20000);
    struct tms tm;
    CHECK(times(&tm) != (clock_t)-1 && tm.tms_utime >= 2 && tm.tms_cutime >= 2);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "child"))
        return atoi(argv[2]);
    fork_and_wait();
    fork_copies_memory();
    pipe_between();
    exec_self(argv[0]);
    spawn(argv[0]);
    kill_child();
    groups();
    cpu_times();
    return done("procs");
}
