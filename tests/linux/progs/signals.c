/*
 * signals.c — signals as a Linux program sees them: handlers with
 * SA_SIGINFO, masks, SIGCHLD, SIGSEGV caught and left with siglongjmp,
 * sigsuspend, alarm, an alternate stack, and SA_RESTART; checks itself.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static volatile sig_atomic_t got, got_chld, got_alrm;
static volatile int info_pid, info_code;
static sigjmp_buf jump;
static volatile uintptr_t fault_addr;
static volatile double fp_kept;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    info_pid = si->si_pid;
    info_code = si->si_code;
    volatile double x = 3.5;                          /* uses the FPU: the interrupted one must survive */
    fp_kept = x * 2;
}

static void on_chld(int sig) { (void)sig; got_chld++; }
static void on_alrm(int sig) { (void)sig; got_alrm++; }

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(jump, 1);
}

static void handlers(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    volatile double before = 1.25;
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(got == SIGUSR1 && info_pid == getpid() && info_code == SI_USER);
    CHECK(before == 1.25 && fp_kept == 7.0);
    got = 0;
    CHECK(raise(SIGUSR1) == 0 && got == SIGUSR1);
}

static void masks(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    got = 0;
    CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
    kill(getpid(), SIGUSR1);
    CHECK(got == 0);
    sigset_t pend;
    CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
    CHECK(got == SIGUSR1);                            /* delivered as it was unblocked */
}

static void child_signal(void)
{
    signal(SIGCHLD, on_chld);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    while (!got_chld)
        sigsuspend(&old);                             /* atomically unblock and wait */
    sigprocmask(SIG_SETMASK, &old, NULL);
    int st;
    CHECK(got_chld == 1 && waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 3);
    signal(SIGCHLD, SIG_DFL);
}

static void caught_fault(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    static volatile int reached;
    if (sigsetjmp(jump, 1) == 0) {
        volatile int *p = (volatile int *)strtoul("0x1234", NULL, 16);
        *p = 1;
        reached = 1;                                  /* never: the store faults */
    }
    CHECK(fault_addr == 0x1234 && !reached);
    signal(SIGSEGV, SIG_DFL);
}

static void alarms(void)
{
    signal(SIGALRM, on_alrm);
    alarm(1);
    while (!got_alrm)
        pause();
    CHECK(got_alrm == 1);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    got_alrm = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (got_alrm < 3)
        pause();
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    signal(SIGALRM, SIG_DFL);
}

static volatile uintptr_t handler_sp;
static void on_usr2(int sig) { (void)sig; int here; handler_sp = (uintptr_t)&here; }

static void altstack(void)
{
    static char stack[65536];
    stack_t ss = { .ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0 };
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    CHECK(handler_sp > (uintptr_t)stack && handler_sp < (uintptr_t)stack + sizeof stack);
}

static void restart(void)
{
    /* a read interrupted by a handler with SA_RESTART goes on */
    int p[2];
    CHECK(pipe(p) == 0);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        usleep(300000);
        write(p[1], "late", 4);
        _exit(0);
    }
    got_alrm = 0;
    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[8];
    ssize_t n = read(p[0], buf, sizeof buf);
    CHECK(got_alrm == 1 && n == 4);
    waitpid(c, NULL, 0);
    /* without SA_RESTART it fails with EINTR */
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    n = read(p[0], buf, sizeof buf);
    CHECK(n == -1 && errno == EINTR);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    handlers();
    masks();
    child_signal();
    caught_fault();
    alarms();
    altstack();
    restart();
    return done("signals");
}
