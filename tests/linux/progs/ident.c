/*
 * ident.c — getpid, getppid, gettid and the uid calls as Linux answers
 * them, across everything that changes them (attack15 on the standing
 * answers, docs/LINUX.md): the personality hands them to the kernel at
 * the first such call, so each check makes the call once before the
 * change (arming the kernel's answer) and again after it. Threads (each
 * its own tid), fork and vfork children, an orphan whose parent dies
 * (its getppid must change), exec (from the main thread and from
 * another), and signals to a thread that makes only these calls (its
 * handler must run, and see the right pid). Checks itself; also runs
 * on Linux, where it passes the same checks.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

extern char **environ;

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* ---- threads: each its own tid, the same pid and ppid ---- */

#define NTHR 4
static pid_t thr_tid[NTHR], thr_pid[NTHR], thr_ppid[NTHR];
static int thr_stable[NTHR];

static void *thr_main(void *arg)
{
    long i = (long)arg;
    thr_tid[i] = tid();
    thr_pid[i] = getpid();
    thr_ppid[i] = getppid();
    int same = 1;
    for (int k = 0; k < 100; k++)                 /* the kernel's answers from the second on */
        same &= tid() == thr_tid[i] && getpid() == thr_pid[i] && getppid() == thr_ppid[i];
    thr_stable[i] = same;
    return NULL;
}

static void threads_have_own_tids(void)
{
    pid_t me = getpid(), pp = getppid();
    CHECK(tid() == me);                           /* the main thread's tid is the pid */
    pthread_t th[NTHR];
    for (long i = 0; i < NTHR; i++)
        CHECK(pthread_create(&th[i], NULL, thr_main, (void *)i) == 0);
    for (int i = 0; i < NTHR; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHR; i++) {
        CHECK(thr_pid[i] == me && thr_ppid[i] == pp && thr_stable[i]);
        CHECK(thr_tid[i] != me && thr_tid[i] > 0);
        for (int j = 0; j < i; j++)
            CHECK(thr_tid[i] != thr_tid[j]);
    }
    CHECK(tid() == me && getpid() == me);
}

/* ---- fork and vfork: the child answers its own pid, its parent's as ppid ---- */

static void fork_child_not_parent(void)
{
    pid_t me = getpid(), pp = getppid(), mt = tid();
    CHECK(getpid() == me && getppid() == pp && tid() == mt);   /* armed */
    pid_t c = fork();
    if (c == 0) {
        pid_t p = getpid();
        int bad = (p == me) | (getppid() != me) << 1 | (tid() != p) << 2 | (getpid() != p) << 3;
        _exit(bad ? 10 + bad : 0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(getpid() == me && getppid() == pp);
}

static pid_t vfork_seen_pid, vfork_seen_ppid, vfork_seen_tid;

static void vfork_child_not_parent(void)
{
    pid_t me = getpid();
    CHECK(getpid() == me);
    pid_t c = vfork();
    if (c == 0) {
        vfork_seen_pid = getpid();                /* shared memory until _exit */
        vfork_seen_ppid = getppid();
        vfork_seen_tid = tid();
        _exit(0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st));
    CHECK(vfork_seen_pid == c && vfork_seen_ppid == me && vfork_seen_tid == c);
    CHECK(getpid() == me && tid() == me);
}

/* A fork from a thread other than the main one: the child's only thread
 * has the child's pid as its tid. */
static int fork_thr_ok = -1;
static void *fork_from_thread(void *arg)
{
    (void)arg;
    pid_t me = getpid(), t = tid();
    (void)t;
    pid_t c = fork();
    if (c == 0)
        _exit(tid() == getpid() && getpid() != me && getppid() == me ? 0 : 1);
    int st;
    fork_thr_ok = waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return NULL;
}

static void fork_from_a_thread(void)
{
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fork_from_thread, NULL) == 0);
    pthread_join(th, NULL);
    CHECK(fork_thr_ok == 1);
}

/* ---- an orphan: its getppid changes when its parent dies ---- */

static void orphan_sees_new_parent(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t mid = fork();
    if (mid == 0) {
        close(p[0]);
        pid_t self = getpid();
        pid_t g = fork();
        if (g == 0) {
            /* armed with its parent's pid, then polls only getppid */
            int r = getppid() == self ? 0 : 1;
            long n = 0;
            while (getppid() == self && n < 5000000)
                n++;
            pid_t now = getppid();
            if (now == self)
                r |= 2;                           /* never saw its parent go */
            char msg[2] = { (char)r, 0 };
            if (write(p[1], msg, 1) != 1)
                _exit(3);
            _exit(0);
        }
        sleep_ms(200);                            /* the grandchild is polling by now */
        _exit(0);                                 /* and its parent goes */
    }
    close(p[1]);
    int st;
    CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st));
    char r = 9;
    CHECK(read(p[0], &r, 1) == 1);
    CHECK(r == 0);
    close(p[0]);
}

/* ---- signals to a thread that makes only identity calls ---- */

static volatile sig_atomic_t got_sig;
static volatile pid_t handler_pid, handler_tid;

static void on_usr(int sig)
{
    (void)sig;
    handler_pid = getpid();
    handler_tid = tid();
    got_sig = 1;
}

/* A child polling getppid until a signal's handler runs; the parent kills
 * it and waits up to 5 s for it to end by itself. */
static void signal_reaches_a_getppid_loop(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        signal(SIGUSR1, on_usr);
        pid_t me = getpid(), pp = getppid();
        if (write(p[1], "r", 1) != 1)
            _exit(3);
        while (!got_sig)
            (void)getppid();
        _exit(handler_pid == me && handler_tid == me && getppid() == pp ? 0 : 1);
    }
    close(p[1]);
    char ch;
    CHECK(read(p[0], &ch, 1) == 1);
    close(p[0]);
    sleep_ms(50);
    CHECK(kill(c, SIGUSR1) == 0);
    int st = 0, n = 0;
    pid_t w;
    while ((w = waitpid(c, &st, WNOHANG)) == 0 && n++ < 100)
        sleep_ms(50);
    if (w == 0) {
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
    CHECK(w == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The same with a thread-directed signal to a thread polling gettid. */
static volatile int stop_poll;
static volatile pid_t poll_tid;

static void *poll_tid_loop(void *arg)
{
    (void)arg;
    poll_tid = tid();
    while (!got_sig && !stop_poll)
        (void)tid();
    return NULL;
}

static void signal_reaches_a_gettid_thread(void)
{
    got_sig = 0;
    handler_tid = handler_pid = 0;
    signal(SIGUSR2, on_usr);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, poll_tid_loop, NULL) == 0);
    while (!poll_tid)
        sleep_ms(5);
    sleep_ms(50);
    CHECK(pthread_kill(th, SIGUSR2) == 0);
    for (int n = 0; !got_sig && n < 100; n++)
        sleep_ms(50);
    stop_poll = 1;
    pthread_join(th, NULL);
    CHECK(got_sig);
    CHECK(handler_tid == poll_tid && handler_pid == getpid());
    signal(SIGUSR2, SIG_DFL);
}

/* ---- uid and gid: the same at every call ---- */

static void ids_stable(void)
{
    uid_t u = getuid(), eu = geteuid();
    gid_t g = getgid(), eg = getegid();
    for (int i = 0; i < 50; i++)
        CHECK(getuid() == u && geteuid() == eu && getgid() == g && getegid() == eg);
}

/* ---- exec: the new program has the same pid and ppid; from another
 * thread, that thread takes the pid as its tid (Linux's execve) ---- */

static void exec_keeps_ids(const char *mode)
{
    pid_t c = fork();
    if (c == 0) {
        char a1[32], a2[32];
        snprintf(a1, sizeof a1, "%d", (int)getpid());   /* armed before exec */
        snprintf(a2, sizeof a2, "%d", (int)getppid());
        (void)tid();
        char *argv[] = { "ident", (char *)mode, a1, a2, NULL };
        execve("/proc/self/exe", argv, environ);
        _exit(98);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static char *const *exec_argv;
static void *exec_from_thread(void *arg)
{
    (void)arg;
    (void)tid();                                  /* this thread's answers armed too */
    execve("/proc/self/exe", exec_argv, environ);
    _exit(97);
}

static void exec_from_a_thread(void)
{
    pid_t c = fork();
    if (c == 0) {
        static char a1[32], a2[32];
        snprintf(a1, sizeof a1, "%d", (int)getpid());
        snprintf(a2, sizeof a2, "%d", (int)getppid());
        static char *argv[] = { "ident", "execd", a1, a2, NULL };
        exec_argv = argv;
        pthread_t th;
        if (pthread_create(&th, NULL, exec_from_thread, NULL))
            _exit(96);
        for (;;)
            pause();
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && !strcmp(argv[1], "execd")) {
        pid_t p = (pid_t)atoi(argv[2]), pp = (pid_t)atoi(argv[3]);
        int bad = (getpid() != p) | (getppid() != pp) << 1 | (tid() != p) << 2;
        if (bad)
            printf("after exec: pid %d (want %d), ppid %d (want %d), tid %d\n", (int)getpid(), (int)p,
                   (int)getppid(), (int)pp, (int)tid());
        return bad ? 10 + bad : 0;
    }
    threads_have_own_tids();
    fork_child_not_parent();
    vfork_child_not_parent();
    fork_from_a_thread();
    orphan_sees_new_parent();
    signal_reaches_a_getppid_loop();
    signal_reaches_a_gettid_thread();
    ids_stable();
    exec_keeps_ids("execd");
    exec_from_a_thread();
    return done("ident");
}
