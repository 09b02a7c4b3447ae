#define _GNU_SOURCE
/*
 * pidfds.c — pidfd_open, pidfd_send_signal, a pidfd in poll and epoll
 * (readable once its process ended), waitid(P_PIDFD), a value sent with
 * a siginfo, and close_range(CLOSE_RANGE_UNSHARE) in a process sharing
 * its fd table (clone CLONE_FILES), membarrier's private expedited
 * barrier with a thread spinning. Attacks: pids not in this container,
 * 0 and negative pids, a thread that leads no process (ENOENT), fds that are not
 * pidfds, signal numbers out of range, bad flags, a forged code to
 * another process, a process already reaped. Checks itself; passes on
 * Linux too.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define CLOSE_RANGE_UNSHARE_ (1u << 1)
#define PIDFD_NONBLOCK_ O_NONBLOCK

static int pidfd_open(pid_t pid, unsigned flags)
{
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send(int fd, int sig, siginfo_t *si, unsigned flags)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

static bool readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* A child waiting on a pipe: pidfd, signal, poll, waitid(P_PIDFD). */
static void signal_and_wait(void)
{
    int gate[2];
    CHECK(pipe(gate) == 0);
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(gate[1]);
        read(gate[0], &x, 1);
        _exit(7);
    }
    close(gate[0]);
    int fd = pidfd_open(c, 0);
    CHECK(fd >= 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(!readable(fd, 0));                               /* alive */
    CHECK(pidfd_send(fd, 0, NULL, 0) == 0);                 /* it exists */
    CHECK(pidfd_send(fd, SIGTERM, NULL, 0) == 0);
    CHECK(readable(fd, 5000));                             /* it ended */
    siginfo_t si = { 0 };
    CHECK(waitid(P_PIDFD, (id_t)fd, &si, WEXITED) == 0);
    CHECK(si.si_pid == c && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
    errno = 0;
    CHECK(pidfd_send(fd, SIGTERM, NULL, 0) == -1 && errno == ESRCH);   /* reaped */
    CHECK(readable(fd, 0));
    errno = 0;
    CHECK(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD);
    close(fd);
    close(gate[1]);
}

/* epoll over a pidfd: a child that exits by itself wakes the wait. */
static void epoll_exit(void)
{
    pid_t c = fork();
    if (c == 0) {
        usleep(50 * 1000);
        _exit(3);
    }
    int fd = pidfd_open(c, PIDFD_NONBLOCK_);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 77 }, out;
    CHECK(fd >= 0 && ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    CHECK(epoll_wait(ep, &out, 1, 5000) == 1 && out.data.u32 == 77);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    char b[8];
    errno = 0;
    CHECK(read(fd, b, sizeof b) == -1 && errno == EINVAL);
    close(ep);
    close(fd);
}

static volatile int val, code;
static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    val = si->si_value.sival_int;
    code = si->si_code;
}

/* A siginfo of one's own: SI_QUEUE and a value to itself; a forged
 * SI_USER to another process is EPERM. */
static void with_info(void)
{
    struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    int self = pidfd_open(getpid(), 0);
    CHECK(self >= 0);
    siginfo_t si = { .si_signo = SIGUSR1, .si_code = SI_QUEUE };
    si.si_value.sival_int = 1234;
    si.si_pid = getpid();
    CHECK(pidfd_send(self, SIGUSR1, &si, 0) == 0);
    CHECK(val == 1234 && code == SI_QUEUE);
    errno = 0;
    CHECK(pidfd_send(self, SIGUSR2, &si, 0) == -1 && errno == EINVAL);   /* si_signo is not sig */
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    int fd = pidfd_open(c, 0);
    si.si_code = SI_USER;                                   /* pretending to be kill(2) */
    errno = 0;
    CHECK(pidfd_send(fd, SIGUSR1, &si, 0) == -1 && errno == EPERM);
    errno = 0;
    CHECK(pidfd_send(fd, SIGUSR1, (void *)8, 0) == -1 && errno == EFAULT);
    CHECK(pidfd_send(fd, SIGKILL, NULL, 0) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(fd);
    close(self);
}

static volatile int thread_tid;
static volatile bool stop;
static void *spin(void *a)
{
    (void)a;
    thread_tid = (int)syscall(SYS_gettid);
    while (!stop)
        usleep(1000);
    return NULL;
}

static void attacks(void)
{
    int bad_pids[] = { 0, -1, -100 };
    for (unsigned i = 0; i < sizeof bad_pids / sizeof bad_pids[0]; i++) {
        errno = 0;
        CHECK(pidfd_open(bad_pids[i], 0) == -1 && errno == EINVAL);
    }
    errno = 0;
    CHECK(pidfd_open(4000000, 0) == -1 && errno == ESRCH);    /* past pid_max: nobody's */
    errno = 0;
    CHECK(pidfd_open(getpid(), 0x1234) == -1 && errno == EINVAL);
    pthread_t th;
    stop = false;
    CHECK(pthread_create(&th, NULL, spin, NULL) == 0);
    while (!thread_tid)
        usleep(1000);
    errno = 0;
    CHECK(pidfd_open(thread_tid, 0) == -1 && errno == ENOENT);   /* leads no process (as Linux 6) */
    stop = true;
    pthread_join(th, NULL);
    int p[2];
    CHECK(pipe(p) == 0);
    errno = 0;
    CHECK(pidfd_send(p[0], SIGTERM, NULL, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(pidfd_send(-1, SIGTERM, NULL, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(pidfd_send(9999, SIGTERM, NULL, 0) == -1 && errno == EBADF);
    siginfo_t si;
    errno = 0;
    CHECK(waitid(P_PIDFD, (id_t)p[0], &si, WEXITED) == -1 && errno == EBADF);
    close(p[0]);
    close(p[1]);
    int self = pidfd_open(getpid(), 0);
    int sigs[] = { -1, 65, 1000 };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        errno = 0;
        CHECK(pidfd_send(self, sigs[i], NULL, 0) == -1 && errno == EINVAL);
    }
    errno = 0;
    CHECK(pidfd_send(self, SIGUSR1, NULL, 0x8000) == -1 && errno == EINVAL);
    close(self);
}

/* close_range(CLOSE_RANGE_UNSHARE) in a process that shares our table:
 * it closes its own copy; without UNSHARE it closes ours. */
static char stack[64 * 1024] __attribute__((aligned(16)));
static int closer(void *arg)
{
    unsigned flags = *(unsigned *)arg;
    return syscall(SYS_close_range, 3, ~0u, flags) == 0 ? 0 : 1;
}

static void close_range_unshare(void)
{
    for (int pass = 0; pass < 2; pass++) {
        int p[2];
        CHECK(pipe(p) == 0);
        unsigned flags = pass == 0 ? CLOSE_RANGE_UNSHARE_ : 0;
        pid_t c = clone(closer, stack + sizeof stack, CLONE_FILES | SIGCHLD, &flags);
        CHECK(c > 0);
        int st;
        CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (pass == 0) {
            CHECK(fcntl(p[0], F_GETFD) >= 0 && fcntl(p[1], F_GETFD) >= 0);   /* ours stay */
            close(p[0]);
            close(p[1]);
        } else {
            errno = 0;
            CHECK(fcntl(p[0], F_GETFD) == -1 && errno == EBADF);               /* shared: gone */
        }
    }
    errno = 0;
    CHECK(syscall(SYS_close_range, 3, ~0u, 0x80) == -1 && errno == EINVAL);
}

/* membarrier: what QUERY reports is what works; the spinning thread
 * goes on after every barrier. */
static volatile unsigned long spins;
static void *spinner(void *a)
{
    (void)a;
    while (!stop)
        spins++;
    return NULL;
}

static void membarrier_calls(bool aerie)
{
    long q = syscall(SYS_membarrier, 0, 0, 0);
    CHECK(q >= 0 && (q & (1 << 3)) && (q & (1 << 4)));
    if (aerie)
        CHECK(q == ((1 << 3) | (1 << 4)));                  /* nothing claimed that is not real */
    errno = 0;
    CHECK(syscall(SYS_membarrier, 1 << 3, 0, 0) == -1 && errno == EPERM);   /* not registered */
    CHECK(syscall(SYS_membarrier, 1 << 4, 0, 0) == 0);
    pthread_t th;
    stop = false;
    CHECK(pthread_create(&th, NULL, spinner, NULL) == 0);
    while (!spins)
        usleep(1000);
    int ok = 0;
    for (int i = 0; i < 50; i++)
        ok += syscall(SYS_membarrier, 1 << 3, 0, 0) == 0;
    CHECK(ok == 50);
    unsigned long before = spins;
    usleep(20 * 1000);
    CHECK(spins != before);                                  /* it runs on */
    stop = true;
    pthread_join(th, NULL);
    errno = 0;
    CHECK(syscall(SYS_membarrier, 1 << 20, 0, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_membarrier, 1 << 3, 1, 0) == -1 && errno == EINVAL);
    if (aerie) {
        errno = 0;
        CHECK(syscall(SYS_membarrier, 1, 0, 0) == -1 && errno == EINVAL);   /* GLOBAL: not claimed */
    }
}

int main(void)
{
    struct utsname un;
    size_t n;
    bool aerie = !uname(&un) && (n = strlen(un.release)) >= 6 && !strcmp(un.release + n - 6, "-aerie");
    signal_and_wait();
    epoll_exit();
    with_info();
    attacks();
    close_range_unshare();
    membarrier_calls(aerie);
    return done("pidfds");
}
