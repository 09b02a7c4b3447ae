/*
 * fasync.c — signal-driven I/O (services/linux/fasync.c), as nginx's
 * master uses it on its workers' channels: O_ASYNC set with fcntl
 * F_SETFL or ioctl FIOASYNC on a socketpair, a pipe and an AF_UNIX
 * datagram socket, F_SETOWN to this process, to a thread
 * (F_SETOWN_EX) and to a process group; a forked child's write raises
 * SIGIO here; F_SETSIG's signal carries si_code POLL_IN/POLL_OUT, the fd
 * and the band; no signal for what was ready before the flag, without an
 * owner, or after the flag is cleared; the errors (EINVAL, ESRCH, ENOTTY
 * for an eventfd, which has no O_ASYNC and keeps no such flag). Checks itself; passes on a
 * Linux host too (it changes no files).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static volatile sig_atomic_t sigios, rts, rt_code, rt_fd, rt_tid;
static volatile long rt_band;

static void on_sigio(int sig)
{
    (void)sig;
    sigios++;
}

static void on_rt(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    rt_code = si->si_code;
    rt_fd = si->si_fd;
    rt_band = si->si_band;
    rt_tid = (sig_atomic_t)syscall(SYS_gettid);
    __atomic_fetch_add(&rts, 1, __ATOMIC_RELEASE);   /* last: another thread may be waiting on it */
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* Waits up to 2 s for *counter to reach want (signals interrupt the sleeps). */
static int wait_for(volatile sig_atomic_t *counter, int want)
{
    for (int i = 0; i < 200 && *counter < want; i++)
        sleep_ms(10);
    return *counter;
}

static void child_writes(int fd, int delay_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(delay_ms);
        _exit(write(fd, "x", 1) == 1 ? 0 : 1);
    }
    int st = -1;
    CHECK(pid > 0);
    wait_for(&sigios, sigios + 1);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* nginx's channel: socketpair, FIOASYNC on the master's end, F_SETOWN to
 * the master; a worker's write raises SIGIO in the master. */
static void socketpair_fioasync(void)
{
    int sv[2], on = 1, off = 0;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(ioctl(sv[0], FIONBIO, &on) == 0);
    CHECK(ioctl(sv[0], FIOASYNC, &on) == 0);
    CHECK(fcntl(sv[0], F_GETFL) & O_ASYNC);
    CHECK(fcntl(sv[0], F_GETOWN) == 0);
    CHECK(fcntl(sv[0], F_SETOWN, getpid()) == 0);
    CHECK(fcntl(sv[0], F_GETOWN) == getpid());
    struct f_owner_ex ex = { 99, 99 };
    CHECK(fcntl(sv[0], F_GETOWN_EX, &ex) == 0 && ex.type == F_OWNER_PID && ex.pid == getpid());

    int before = sigios;
    child_writes(sv[1], 50);
    CHECK(sigios > before);
    char c[8];
    CHECK(read(sv[0], c, sizeof c) == 1);

    /* off: nothing more */
    CHECK(ioctl(sv[0], FIOASYNC, &off) == 0);
    CHECK(!(fcntl(sv[0], F_GETFL) & O_ASYNC));
    before = sigios;
    CHECK(write(sv[1], "y", 1) == 1);
    sleep_ms(100);
    CHECK(sigios == before);
    CHECK(read(sv[0], c, sizeof c) == 1);
    close(sv[0]);
    close(sv[1]);
}

/* A pipe with fcntl(F_SETFL, O_ASYNC): ready before the flag is no
 * signal; without an owner none either; F_SETSIG gives the details. */
static void pipe_setsig(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "a", 1) == 1);              /* readable before O_ASYNC */
    int before = sigios;
    CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC | O_NONBLOCK) == 0);
    CHECK(fcntl(p[0], F_GETFL) & O_ASYNC);
    CHECK(write(p[1], "b", 1) == 1);              /* no owner yet: no signal */
    sleep_ms(100);
    CHECK(sigios == before);

    CHECK(fcntl(p[0], F_GETSIG) == 0);
    CHECK(fcntl(p[0], F_SETSIG, SIGRTMIN + 1) == 0);
    CHECK(fcntl(p[0], F_GETSIG) == SIGRTMIN + 1);
    CHECK(fcntl(p[0], F_SETOWN, getpid()) == 0);
    int rbefore = rts;
    child_writes(p[1], 50);
    wait_for(&rts, rbefore + 1);
    CHECK(rts > rbefore);
    CHECK(rt_code == POLL_IN);
    CHECK(rt_fd == p[0]);
    CHECK(rt_band & POLLIN);
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf) == 3);

    /* the write end: POLL_OUT once a full pipe has room again */
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    char big[4096];
    memset(big, 'z', sizeof big);
    while (write(p[1], big, sizeof big) > 0)
        ;
    CHECK(errno == EAGAIN);
    CHECK(fcntl(p[1], F_SETSIG, SIGRTMIN + 1) == 0);
    CHECK(fcntl(p[1], F_SETOWN, getpid()) == 0);
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK | O_ASYNC) == 0);
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);  /* the read end quiet now */
    rbefore = rts;
    while (read(p[0], big, sizeof big) > 0)
        ;
    wait_for(&rts, rbefore + 1);
    CHECK(rts > rbefore);
    CHECK(rt_code == POLL_OUT);
    CHECK(rt_fd == p[1]);
    CHECK(rt_band & POLLOUT);
    CHECK(fcntl(p[1], F_SETSIG, 0) == 0);
    close(p[0]);
    close(p[1]);
}

/* A datagram socket owned by a thread (F_SETOWN_EX F_OWNER_TID): the
 * signal is that thread's. */
static volatile int thread_tid, thread_stop;

static void *idle_thread(void *arg)
{
    (void)arg;
    thread_tid = (int)syscall(SYS_gettid);
    while (!thread_stop)
        sleep_ms(5);
    return NULL;
}

static void dgram_thread_owner(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, idle_thread, NULL) == 0);
    while (!thread_tid)
        sleep_ms(1);
    /* the thread, not the main thread, takes it: block it here */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    CHECK(pthread_sigmask(SIG_BLOCK, &rt, NULL) == 0);
    struct f_owner_ex ex = { F_OWNER_TID, thread_tid };
    CHECK(fcntl(sv[0], F_SETOWN_EX, &ex) == 0);
    struct f_owner_ex got = { 0, 0 };
    CHECK(fcntl(sv[0], F_GETOWN_EX, &got) == 0 && got.type == F_OWNER_TID && got.pid == thread_tid);
    CHECK(fcntl(sv[0], F_SETSIG, SIGRTMIN + 1) == 0);
    CHECK(fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK) == 0);
    int rbefore = rts;
    CHECK(send(sv[1], "d", 1, 0) == 1);
    wait_for(&rts, rbefore + 1);
    CHECK(rts > rbefore);
    CHECK(rt_tid == thread_tid);
    thread_stop = 1;
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &rt, NULL) == 0);
    close(sv[0]);
    close(sv[1]);
}

/* Owned by a process group (F_SETOWN with -pgid): the child that made
 * the group gets it, this process (in another group) does not. */
static void group_owner(void)
{
    int sv[2], ready[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(ready) == 0);
    pid_t child = fork();
    if (child == 0) {                             /* a group of its own: the signal is its alone */
        sigios = 0;
        close(ready[0]);
        CHECK(setpgid(0, 0) == 0);
        CHECK(write(ready[1], "r", 1) == 1);
        wait_for(&sigios, 1);
        _exit(sigios > 0 ? 0 : 3);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(fcntl(sv[0], F_SETOWN, -child) == 0);
    CHECK(fcntl(sv[0], F_GETOWN) == -child);
    struct f_owner_ex ex = { 0, 0 };
    CHECK(fcntl(sv[0], F_GETOWN_EX, &ex) == 0 && ex.type == F_OWNER_PGRP && ex.pid == child);
    CHECK(fcntl(sv[0], F_SETFL, O_ASYNC) == 0);
    int before = sigios;
    CHECK(write(sv[1], "g", 1) == 1);
    sleep_ms(100);
    CHECK(sigios == before);                      /* not this process's group */
    int st = -1;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(sv[0]);
    close(sv[1]);
    close(ready[0]);
    close(ready[1]);
}

static void errors(void)
{
    int sv[2], on = 1;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN, 999999) == -1 && errno == ESRCH);
    struct f_owner_ex ex = { 7, getpid() };
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN_EX, &ex) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN_EX, (void *)16) == -1 && errno == EFAULT);
    errno = 0;
    CHECK(fcntl(sv[0], F_SETSIG, 65) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(ioctl(sv[0], FIOASYNC, (void *)16) == -1 && errno == EFAULT);
    /* an eventfd has no O_ASYNC: FIOASYNC says ENOTTY, F_SETFL succeeds without it */
    int e = eventfd(0, 0);
    CHECK(e >= 0);
    errno = 0;
    CHECK(ioctl(e, FIOASYNC, &on) == -1 && errno == ENOTTY);
    CHECK(fcntl(e, F_SETFL, O_ASYNC) == 0);
    CHECK(!(fcntl(e, F_GETFL) & O_ASYNC));
    close(e);
    /* closing an O_ASYNC file with a signal owed is no harm */
    CHECK(fcntl(sv[0], F_SETOWN, getpid()) == 0);
    CHECK(ioctl(sv[0], FIOASYNC, &on) == 0);
    CHECK(write(sv[1], "q", 1) == 1);
    close(sv[0]);
    close(sv[1]);
    sleep_ms(50);
}

/* attack20: owners a program should not be able to make trouble with.
 * INT_MIN (its group would be -INT_MIN: EINVAL, as Linux), a group or
 * pid of no process, negative ids through F_SETOWN_EX (ESRCH: Linux looks
 * the number up and finds none); an owner that exits and is reaped
 * before the file fires (the signal goes nowhere; F_GETOWN shows its number here,
 * 0 on Linux). */
static void hostile_owners(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN, INT32_MIN) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN, -999999) == -1 && errno == ESRCH);
    struct f_owner_ex ex = { F_OWNER_PGRP, -5 };
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN_EX, &ex) == -1 && errno == ESRCH);
    ex = (struct f_owner_ex){ F_OWNER_TID, INT32_MIN };
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN_EX, &ex) == -1 && errno == ESRCH);
    CHECK(fcntl(sv[0], F_GETOWN) == 0);           /* nothing taken */
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(2000);
        _exit(0);
    }
    CHECK(c > 0);
    CHECK(fcntl(sv[0], F_SETOWN, c) == 0);
    CHECK(fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK) == 0);
    CHECK(kill(c, SIGKILL) == 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    int before = sigios;
    CHECK(write(sv[1], "z", 1) == 1);             /* fires for an owner that is no more */
    sleep_ms(100);
    CHECK(sigios == before);
    int own = fcntl(sv[0], F_GETOWN);
    CHECK(own == c || own == 0);                  /* the number kept, or (Linux) none live */
    errno = 0;
    CHECK(fcntl(sv[0], F_SETOWN, c) == -1 && errno == ESRCH);   /* a new owner must be alive */
    close(sv[0]);
    close(sv[1]);
}

/* Two processes whose SIGIO handlers answer each other at once, for
 * ever: the loop's fairness holds, a third process (this one) still runs
 * its sleeps, a fork and its exit. */
static int storm_fd;
static volatile int *storm_n;                     /* shared: the two count here */

static void on_storm(int sig)
{
    (void)sig;
    char b[64];
    while (read(storm_fd, b, sizeof b) > 0)
        ;
    __atomic_fetch_add(storm_n, 1, __ATOMIC_RELAXED);
    if (write(storm_fd, "s", 1) != 1) {
        /* full: the other side still has bytes to answer */
    }
}

static pid_t storm_party(int fd, int other, int ready)
{
    pid_t c = fork();
    if (c == 0) {
        close(other);
        storm_fd = fd;
        struct sigaction sa = { .sa_handler = on_storm };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGIO, &sa, NULL);
        fcntl(fd, F_SETOWN, getpid());
        fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);
        if (write(ready, "r", 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    return c;
}

static void sigio_ping_pong(void)
{
    int sv[2], ready[2];
    storm_n = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(storm_n != MAP_FAILED);
    if (storm_n == MAP_FAILED)
        return;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(ready) == 0);
    pid_t a = storm_party(sv[0], sv[1], ready[1]);
    pid_t b = storm_party(sv[1], sv[0], ready[1]);
    CHECK(a > 0 && b > 0);
    char r[2];
    CHECK(read(ready[0], r, 1) == 1 && read(ready[0], r + 1, 1) == 1);
    CHECK(write(sv[0], "k", 1) == 1);             /* b's end readable: the storm starts */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 10; i++)
        sleep_ms(20);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(*storm_n > 5);                          /* the storm ran */
    CHECK(ms < 3000);                             /* and did not starve this process's sleeps */
    pid_t g = fork();                             /* nor a fork and its exit */
    if (g == 0)
        _exit(7);
    int st = -1;
    CHECK(g > 0 && waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    CHECK(kill(a, SIGKILL) == 0 && kill(b, SIGKILL) == 0);
    CHECK(waitpid(a, &st, 0) == a && waitpid(b, &st, 0) == b);
    close(sv[0]);
    close(sv[1]);
    close(ready[0]);
    close(ready[1]);
    munmap((void *)storm_n, 4096);
}

int main(void)
{
    struct sigaction sa = { .sa_handler = on_sigio };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGIO, &sa, NULL) == 0);
    struct sigaction rt = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
    sigemptyset(&rt.sa_mask);
    CHECK(sigaction(SIGRTMIN + 1, &rt, NULL) == 0);
    socketpair_fioasync();
    pipe_setsig();
    dgram_thread_owner();
    group_owner();
    errors();
    hostile_owners();
    sigio_ping_pong();
    return done("fasync");
}
