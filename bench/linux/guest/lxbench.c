/*
 * lxbench.c — the Linux ABI benchmark: one static Linux program, built once
 * with the host's glibc, run unchanged in the Linux benchmark guest (from
 * bench/linux/init) and on Aerie under the Linux personality (from
 * bench/aerie/lxdrive.c, one container per batch of samples). It names its
 * system by the kernel release uname(2) gives: one ending in "-aerie" is
 * Aerie's personality.
 *
 * usage: lxbench EXPERIMENT SAMPLES [WARMUP]
 *   syscall  SAMPLE lx_syscall SYS call getppid NS: the mean of a batch of
 *            getppid calls (a system call that does nothing); the method
 *            is call_1cpu when the program may run on one CPU only
 *   clock    SAMPLE lx_clock SYS libc clock_gettime NS: the mean of a batch
 *            of clock_gettime(CLOCK_MONOTONIC) calls through the C
 *            library: the vDSO's, no system call, on both systems
 *   clocksys SAMPLE lx_clock SYS syscall clock_gettime NS: the same clock
 *            read by the system call itself (syscall(2)), for comparison
 *   fork     SAMPLE lx_fork SYS fork exit NS: fork, the child _exits,
 *            waitpid
 *   spawn    SAMPLE lx_spawn SYS fork_exec|vfork_exec busybox_true NS:
 *            fork (or vfork) + execve("/bin/busybox", {"true"}) + waitpid
 *   shell    SAMPLE lx_shell SYS busybox_sh pipes=10 NS: busybox sh -c
 *            running ten "echo | wc -c" pipelines, from fork to waitpid
 *   pipes=N  SAMPLE lx_shell SYS busybox_sh pipes=N NS: the same shell
 *            running a while loop of N "echo hello | wc -c" pipelines
 *            (issue 13's shell workload: the loop, not the shell's start,
 *            is what a sample measures); busybox_sh_1cpu when on one CPU
 *   tree=N   SAMPLE lx_tree SYS busybox_sh files=N NS: the same shell
 *            builds a tree of N small files in 10 directories under
 *            TREE_DIR (echo > file), hashes it (find | sort | xargs
 *            sha256sum | sha256sum) and removes it (rm -rf). TREE_DIR is
 *            in the program's file system: tmpfs in the Linux guest, the
 *            container's fs session on Aerie. The hash the script prints
 *            must be the same in every sample; it is printed once as
 *            "# lx_tree files=N sha256 HASH", so the two systems' logs
 *            show they hashed the same tree. busybox_sh_1cpu when on
 *            one CPU.
 *   threads=N SAMPLE lx_threads SYS cpu threads=N NS: N threads, each
 *            doing the same fixed integer work (THREAD_WORK steps), from
 *            the first pthread_create to the last join: with two CPUs,
 *            two threads take about as long as one when both CPUs are
 *            used (the scheduler's placement and stealing)
 * Every sample checks its child's exit status; a failure prints
 * "BENCH ERROR lxbench: ..." and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSCALL_BATCH 200
#define CLOCK_BATCH 1000
#define BUSYBOX "/bin/busybox"
#define SHELL_SCRIPT "for i in 1 2 3 4 5 6 7 8 9 10; do echo $i | wc -c; done >/dev/null"
/* %ld: the number of pipelines. */
#define PIPES_SCRIPT "i=0; while [ $i -lt %ld ]; do echo hello | wc -c >/dev/null; i=$((i+1)); done"
/* %ld: files per directory (10 directories). set -e: any failed step fails
 * the sample. The tree's paths and contents are the same on both systems,
 * so the hash is too. */
#define TREE_DIR "/tmp/lxtree"
#define TREE_SCRIPT "set -e; D=" TREE_DIR "; rm -rf $D; i=0; while [ $i -lt 10 ]; do " \
    "mkdir -p $D/d$i; j=0; while [ $j -lt %ld ]; do echo \"file $i $j\" > $D/d$i/f$j; " \
    "j=$((j+1)); done; i=$((i+1)); done; " \
    "cd $D; find . -type f | sort | xargs sha256sum | sha256sum; cd /; rm -rf $D"
#define TREE_DIRS 10
#define THREAD_WORK 200000000ul    /* about 0.1 s of a CPU natively, seconds under TCG */
#define THREADS_MAX 16

extern char **environ;
static const char *sys_name = "linux";

static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("BENCH ERROR lxbench: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sample(const char *exp, const char *method, const char *param, double ns)
{
    printf("SAMPLE %s %s %s %s %.6g ns\n", exp, sys_name, method, param, ns);
}

/* Waits for pid; its end must be exit status 0. */
static void reap(pid_t pid, const char *what)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("%s: waitpid failed", what);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("%s: the child ended with status 0x%x", what, st);
}

static double one_syscall_batch(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < SYSCALL_BATCH; i++)
        syscall(SYS_getppid);
    return (double)(now_ns() - t0) / SYSCALL_BATCH;
}

/* clock_gettime through libc (the vDSO) or as the system call. */
static double one_clock_batch(bool sys)
{
    struct timespec ts;
    uint64_t t0 = now_ns();
    for (int i = 0; i < CLOCK_BATCH; i++) {
        if (sys)
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
        else
            clock_gettime(CLOCK_MONOTONIC, &ts);
    }
    return (double)(now_ns() - t0) / CLOCK_BATCH;
}

static double one_fork(void)
{
    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0)
        _exit(0);
    reap(pid, "fork");
    return (double)(now_ns() - t0);
}

/* argv run as /bin/busybox by fork (or vfork) and execve. */
static double one_exec(char *const argv[], int use_vfork)
{
    uint64_t t0 = now_ns();
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid < 0)
        die("%s failed", use_vfork ? "vfork" : "fork");
    if (pid == 0) {
        execve(BUSYBOX, argv, environ);
        _exit(127);
    }
    reap(pid, argv[0]);
    return (double)(now_ns() - t0);
}

/* The same by fork, with the child's stdout read into out (up to len - 1
 * bytes, the rest dropped) until it closes; the read is inside the time,
 * as a shell's $(...) would be. */
static double one_exec_output(char *const argv[], char *out, size_t len)
{
    int fd[2];
    uint64_t t0 = now_ns();
    if (pipe(fd))
        die("pipe failed");
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execve(BUSYBOX, argv, environ);
        _exit(127);
    }
    close(fd[1]);
    size_t got = 0;
    for (;;) {
        char buf[256];
        ssize_t n = read(fd[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && got + 1 < len; i++)
            out[got++] = buf[i];
    }
    out[got] = 0;
    close(fd[0]);
    reap(pid, argv[0]);
    return (double)(now_ns() - t0);
}

static char *true_argv[] = { "true", NULL };
static char *shell_argv[] = { "sh", "-c", SHELL_SCRIPT, NULL };
static char script[512];
static char *script_argv[] = { "sh", "-c", script, NULL };
static long count;              /* N of pipes=N or tree=N */
static char tree_hash[100];     /* the first sample's, which every other must match */

static long count_arg(const char *s, long max);
static long nthreads;           /* N of threads=N */

/* "pipes=N" or "tree=N": N into count, the script into script. */
static bool parse_counted(const char *exp)
{
    if (!strncmp(exp, "pipes=", 6)) {
        count = count_arg(exp + 6, 1000000);
        snprintf(script, sizeof script, PIPES_SCRIPT, count);
        return true;
    }
    if (!strncmp(exp, "threads=", 8)) {
        nthreads = count_arg(exp + 8, THREADS_MAX);
        if (!nthreads)
            die("threads=0: at least one thread");
        return true;
    }
    if (!strncmp(exp, "tree=", 5)) {
        count = count_arg(exp + 5, 100000);
        if (count == 0 || count % TREE_DIRS)
            die("tree=%ld: the number of files must be a multiple of %d", count, TREE_DIRS);
        snprintf(script, sizeof script, TREE_SCRIPT, count / TREE_DIRS);
        return true;
    }
    return false;
}

static double one_tree(void)
{
    char out[200];
    double ns = one_exec_output(script_argv, out, sizeof out);
    out[strcspn(out, " \n")] = 0;
    if (strlen(out) != 64)
        die("tree: the script printed '%s', not a sha256", out);
    if (!tree_hash[0]) {
        snprintf(tree_hash, sizeof tree_hash, "%s", out);
        printf("# lx_tree files=%ld sha256 %s\n", count, tree_hash);
    } else if (strcmp(out, tree_hash)) {
        die("tree: hash %s, but the first sample's was %s", out, tree_hash);
    }
    return ns;
}

/* THREAD_WORK steps of a recurrence the compiler cannot fold. */
static void *thread_work(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg + 1;
    for (unsigned long i = 0; i < THREAD_WORK; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (void *)(uintptr_t)(x | 1);
}

static double one_threads(void)
{
    pthread_t t[THREADS_MAX];
    uint64_t t0 = now_ns();
    for (long i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, thread_work, (void *)(uintptr_t)i))
            die("threads: pthread_create failed");
    for (long i = 0; i < nthreads; i++) {
        void *r;
        if (pthread_join(t[i], &r) || !r)
            die("threads: pthread_join failed");
    }
    return (double)(now_ns() - t0);
}

static double run_one(const char *exp)
{
    if (!strcmp(exp, "syscall"))
        return one_syscall_batch();
    if (!strcmp(exp, "clock") || !strcmp(exp, "clocksys"))
        return one_clock_batch(exp[5] == 's');
    if (!strcmp(exp, "fork"))
        return one_fork();
    if (!strcmp(exp, "spawn"))
        return one_exec(true_argv, 0);
    if (!strcmp(exp, "vspawn"))
        return one_exec(true_argv, 1);
    if (!strcmp(exp, "shell"))
        return one_exec(shell_argv, 0);
    if (!strncmp(exp, "pipes=", 6))
        return one_exec(script_argv, 0);
    if (!strncmp(exp, "tree=", 5))
        return one_tree();
    if (!strncmp(exp, "threads=", 8))
        return one_threads();
    die("unknown experiment '%s' (syscall, clock, clocksys, fork, spawn, vspawn, shell, pipes=N, tree=N, threads=N)",
        exp);
}

/* Whether the program may run on one CPU only (on Aerie: the container's
 * cpus=, which the personality and its threads keep to as well). */
static int one_cpu(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1;
}

static void report(const char *exp, double ns)
{
    if (!strcmp(exp, "syscall"))
        sample("lx_syscall", one_cpu() ? "call_1cpu" : "call", "getppid", ns);
    else if (!strcmp(exp, "clock") || !strcmp(exp, "clocksys"))
        sample("lx_clock", exp[5] == 's' ? "syscall" : "libc", "clock_gettime", ns);
    else if (!strcmp(exp, "fork"))
        sample("lx_fork", "fork", "exit", ns);
    else if (!strcmp(exp, "spawn"))
        sample("lx_spawn", "fork_exec", "busybox_true", ns);
    else if (!strcmp(exp, "vspawn"))
        sample("lx_spawn", "vfork_exec", "busybox_true", ns);
    else if (!strncmp(exp, "pipes=", 6))
        sample("lx_shell", one_cpu() ? "busybox_sh_1cpu" : "busybox_sh", exp, ns);
    else if (!strncmp(exp, "tree=", 5)) {
        char param[40];
        snprintf(param, sizeof param, "files=%ld", count);
        sample("lx_tree", one_cpu() ? "busybox_sh_1cpu" : "busybox_sh", param, ns);
    } else if (!strncmp(exp, "threads=", 8))
        sample("lx_threads", one_cpu() ? "cpu_1cpu" : "cpu", exp, ns);
    else
        sample("lx_shell", "busybox_sh", "pipes=10", ns);
}

static long count_arg(const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 0 || v > max)
        die("'%s' is not a count from 0 to %ld", s, max);
    return v;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3 || argc > 4)
        die("usage: lxbench syscall|clock|clocksys|fork|spawn|vspawn|shell|pipes=N|tree=N|threads=N SAMPLES [WARMUP]");
    struct utsname u;
    size_t rl = uname(&u) == 0 ? strlen(u.release) : 0;
    if (rl >= 6 && !strcmp(u.release + rl - 6, "-aerie"))
        sys_name = "aerie";
    parse_counted(argv[1]);
    long n = count_arg(argv[2], 100000), warm = argc == 4 ? count_arg(argv[3], 100000) : 0;
    for (long i = 0; i < warm; i++)
        run_one(argv[1]);
    for (long i = 0; i < n; i++)
        report(argv[1], run_one(argv[1]));
    return 0;
}
