#define _GNU_SOURCE
/*
 * sigq.c — signals with values (sigqueue(3), rt_sigqueueinfo(2),
 * rt_tgsigqueueinfo) and waiting for them (sigwaitinfo, sigtimedwait):
 * the value and SI_QUEUE reach an SA_SIGINFO handler, signalfd and
 * sigtimedwait; a code that would pretend the kernel or kill sent it is
 * EPERM toward another process or thread, allowed toward oneself; bad
 * pids, tids, signals, pointers and timeouts get ESRCH/EINVAL/EFAULT/
 * EAGAIN, and garbage never crashes anything (a siginfo with bytes past
 * its layout's is not E2BIG here, as it is on Linux). Passes on Linux too.
 * Checks itself.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define NOPID 0x7fff0000                         /* above any pid_max */

static volatile sig_atomic_t got_sig, got_code, got_int, got_pid;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_int = si->si_value.sival_int;
    got_pid = si->si_pid;
}

static long qinfo(pid_t pid, int sig, siginfo_t *si)
{
    return syscall(SYS_rt_sigqueueinfo, pid, sig, si);
}

static long tgqinfo(pid_t tgid, pid_t tid, int sig, siginfo_t *si)
{
    return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, si);
}

static siginfo_t info(int sig, int code, int value)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return si;
}

static void to_a_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    CHECK(sigaction(SIGRTMIN + 1, &sa, NULL) == 0);
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 42 }) == 0);
    CHECK(got_sig == SIGUSR1 && got_code == SI_QUEUE && got_int == 42 && got_pid == getpid());
    got_sig = 0;
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = -7 }) == 0);
    CHECK(got_sig == SIGRTMIN + 1 && got_code == SI_QUEUE && got_int == -7);
    /* from another process: its pid */
    got_sig = 0;
    pid_t parent = getpid(), c = fork();
    if (c == 0)
        _exit(sigqueue(parent, SIGUSR1, (union sigval){ .sival_int = 99 }) == 0 ? 0 : 1);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int i = 0; i < 200 && !got_sig; i++)
        usleep(10000);
    CHECK(got_sig == SIGUSR1 && got_code == SI_QUEUE && got_int == 99 && got_pid == c);
}

static void to_signalfd_and_sigwait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    CHECK(sfd >= 0);
    CHECK(sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 1234 }) == 0);
    struct signalfd_siginfo ssi;
    CHECK(read(sfd, &ssi, sizeof ssi) == sizeof ssi);
    CHECK(ssi.ssi_signo == SIGUSR2 && ssi.ssi_code == SI_QUEUE && ssi.ssi_int == 1234 &&
          ssi.ssi_pid == (uint32_t)getpid());
    close(sfd);
    /* sigwaitinfo / sigtimedwait take it with its siginfo */
    siginfo_t si;
    CHECK(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 5 }) == 0);
    memset(&si, 0, sizeof si);
    CHECK(sigwaitinfo(&set, &si) == SIGRTMIN + 2);
    CHECK(si.si_code == SI_QUEUE && si.si_value.sival_int == 5 && si.si_pid == getpid());
    struct timespec ts = { 0, 0 };
    CHECK(sigtimedwait(&set, &si, &ts) == -1 && errno == EAGAIN);
    ts = (struct timespec){ 0, 50 * 1000000L };
    CHECK(sigtimedwait(&set, &si, &ts) == -1 && errno == EAGAIN);
    ts = (struct timespec){ 0, 2000000000L };
    CHECK(sigtimedwait(&set, &si, &ts) == -1 && errno == EINVAL);
    /* one sent while it waits, from another process */
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        usleep(50000);
        _exit(sigqueue(parent, SIGUSR2, (union sigval){ .sival_int = 77 }) == 0 ? 0 : 1);
    }
    ts = (struct timespec){ 5, 0 };
    memset(&si, 0, sizeof si);
    CHECK(sigtimedwait(&set, &si, &ts) == SIGUSR2);
    CHECK(si.si_code == SI_QUEUE && si.si_value.sival_int == 77 && si.si_pid == c);
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    /* sigwait as well */
    int sig = 0;
    CHECK(kill(getpid(), SIGUSR2) == 0 && sigwait(&set, &sig) == 0 && sig == SIGUSR2);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
}

/* Codes of 0 and above (the kernel's, kill's) and SI_TKILL toward someone else: EPERM. */
static void forged_codes(void)
{
    siginfo_t si;
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        int bad = 0;
        int codes[] = { SI_USER, SI_KERNEL, 1, 0x7fffffff, SI_TKILL };
        for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            siginfo_t f = info(SIGUSR1, codes[i], 1);
            if (qinfo(parent, SIGUSR1, &f) != -1 || errno != EPERM)
                bad |= 1;
            if (tgqinfo(parent, parent, SIGUSR1, &f) != -1 || errno != EPERM)
                bad |= 2;
        }
        _exit(bad);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* toward oneself any code goes */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    si = info(SIGUSR2, SI_KERNEL, 3);
    CHECK(qinfo(getpid(), SIGUSR2, &si) == 0);
    siginfo_t got;
    struct timespec ts = { 1, 0 };
    CHECK(sigtimedwait(&set, &got, &ts) == SIGUSR2 && got.si_code == SI_KERNEL);
    si = info(SIGUSR2, SI_USER, 3);
    CHECK(tgqinfo(getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2, &si) == 0);
    CHECK(sigtimedwait(&set, &got, &ts) == SIGUSR2 && got.si_code == SI_USER);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
}

static pid_t thread_tid;
static volatile int thread_got, thread_val;
static volatile int thread_ready;

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    thread_tid = (pid_t)syscall(SYS_gettid);
    thread_ready = 1;
    siginfo_t si;
    struct timespec ts = { 5, 0 };
    thread_got = sigtimedwait(&set, &si, &ts);
    thread_val = si.si_value.sival_int;
    return NULL;
}

static void to_a_thread(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);   /* the thread inherits it */
    pthread_t th;
    CHECK(pthread_create(&th, NULL, waiter, NULL) == 0);
    while (!thread_ready)
        usleep(1000);
    usleep(20000);
    siginfo_t si = info(SIGUSR2, SI_QUEUE, 31337);
    CHECK(tgqinfo(getpid(), thread_tid, SIGUSR2, &si) == 0);
    pthread_join(th, NULL);
    CHECK(thread_got == SIGUSR2 && thread_val == 31337);
    /* the thread is gone: ESRCH; the wrong process for a tid: ESRCH */
    CHECK(tgqinfo(getpid(), thread_tid, SIGUSR2, &si) == -1 && errno == ESRCH);
    CHECK(tgqinfo(getpid() + 100000, (pid_t)syscall(SYS_gettid), SIGUSR2, &si) == -1 && errno == ESRCH);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
}

static void bad_arguments(void)
{
    siginfo_t si = info(SIGUSR2, SI_QUEUE, 0);
    CHECK(qinfo(NOPID, SIGUSR2, &si) == -1 && errno == ESRCH);
    CHECK(qinfo(getpid(), 65, &si) == -1 && errno == EINVAL);
    CHECK(qinfo(getpid(), -1, &si) == -1 && errno == EINVAL);
    CHECK(qinfo(getpid(), 0, &si) == 0);                         /* a probe */
    CHECK(qinfo(getpid(), SIGUSR2, (siginfo_t *)8) == -1 && errno == EFAULT);
    CHECK(tgqinfo(0, 1, SIGUSR2, &si) == -1 && errno == EINVAL);
    CHECK(tgqinfo(getpid(), 0, SIGUSR2, &si) == -1 && errno == EINVAL);
    CHECK(tgqinfo(getpid(), -3, SIGUSR2, &si) == -1 && errno == EINVAL);
    CHECK(tgqinfo(getpid(), NOPID, SIGUSR2, &si) == -1 && errno == ESRCH);
    CHECK(tgqinfo(getpid(), getpid(), SIGUSR2, (siginfo_t *)8) == -1 && errno == EFAULT);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK(syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, 4) == -1 && errno == EINVAL);
    CHECK(syscall(SYS_rt_sigtimedwait, (void *)8, NULL, NULL, 8) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_rt_sigtimedwait, &set, NULL, (void *)8, 8) == -1 && errno == EFAULT);
    /* garbage: nowhere that exists, or EPERM, EINVAL, EFAULT — never a crash */
    unsigned seed = 4242;
    int odd = 0;
    for (int i = 0; i < 300; i++) {
        uint64_t w[3];
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t hi = seed;
            seed = seed * 1103515245u + 12345u;
            w[k] = hi << 32 | seed;
        }
        siginfo_t g;
        memcpy(&g, w, sizeof w);
        g.si_code = (int)w[1] | 0;                          /* any code */
        if (g.si_code < 0 && g.si_code != SI_TKILL)
            g.si_code = SI_KERNEL;                          /* toward ourselves it would be sent */
        void *p = (i & 1) ? (void *)&g : (void *)(uintptr_t)w[2];
        pid_t pids[] = { NOPID, -(int)(w[0] & 0xffff), 0 };
        long r = (i & 2) ? tgqinfo(pids[i % 3], (pid_t)(w[0] >> 32), (int)(w[1] & 0xff), p)
                         : qinfo(pids[i % 3], (int)(w[1] & 0xff), p);
        /* (E2BIG: Linux's for bytes past a known layout; Aerie does not look there) */
        if (r != -1 || (errno != ESRCH && errno != EINVAL && errno != EPERM && errno != EFAULT && errno != E2BIG))
            odd++;
    }
    CHECK(odd == 0);
}

int main(void)
{
    to_a_handler();
    to_signalfd_and_sigwait();
    forged_codes();
    to_a_thread();
    bad_arguments();
    return done("sigq");
}
