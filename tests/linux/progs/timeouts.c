/*
 * timeouts.c — timeouts too large to be times (attack20): a timespec of
 * INT64_MAX seconds (coreutils' `sleep infinity` asks nanosleep for
 * exactly that), 585 years, a select timeval whose microseconds are many
 * seconds, an itimer interval of INT64_MAX seconds, SO_RCVTIMEO of as
 * much. Linux clamps every one of them to "never"; the personality
 * multiplied seconds by 1e9 and wrapped, so the sleep ended at once, the
 * wait said EAGAIN at once and the itimer fired at every pass of the
 * loop. Each wait runs in a child that must still be waiting after a
 * while (or is woken by what it waits for). Checks itself; passes on a
 * Linux host too (it changes no files).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define FUTEX_WAIT_PRIV 128            /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG (musl has no linux/futex.h) */
#define FOREVER_SEC INT64_MAX
#define YEARS_585   18446744074LL     /* the seconds whose ns pass 2^64 (attack18's recvmmsg) */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* The child says it is about to wait, then runs fn; 300 ms later it must
 * still be in its wait. Then wake() (if any) ends the wait and the child
 * must exit 0; else SIGKILL. */
static void still_waiting(const char *what, int (*fn)(long), long arg, void (*wake)(pid_t))
{
    int ready[2];
    char r;
    CHECK(pipe(ready) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(ready[0]);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        _exit(fn(arg));
    }
    CHECK(c > 0);
    close(ready[1]);
    CHECK(read(ready[0], &r, 1) == 1);
    close(ready[0]);
    sleep_ms(300);
    int st = -1;
    pid_t w = waitpid(c, &st, WNOHANG);
    if (w != 0)
        printf("%s: ended early (status %#x)\n", what, st);
    CHECK(w == 0);
    if (w == 0 && wake) {
        wake(c);
        CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    } else if (w == 0) {
        kill(c, SIGKILL);
        CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    }
}

static int do_nanosleep(long sec)
{
    struct timespec ts = { (time_t)sec, 999999999 };
    syscall(SYS_nanosleep, &ts, NULL);
    return 3;                                     /* woke: wrong */
}

static int do_clock_nanosleep(long sec)
{
    struct timespec ts = { (time_t)sec, 0 };
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
    return 3;
}

static int do_clock_nanosleep_abs(long sec)
{
    struct timespec ts = { (time_t)sec, 0 };
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
    return 3;
}

static int do_futex(long sec)
{
    static int word;
    struct timespec ts = { (time_t)sec, 0 };
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIV, 0, &ts, NULL, 0);
    return 3;
}

static int pipe_fds[2];

static int do_ppoll(long sec)
{
    struct timespec ts = { (time_t)sec, 0 };
    struct pollfd p = { .fd = pipe_fds[0], .events = POLLIN };
    return syscall(SYS_ppoll, &p, 1, &ts, NULL, 8) == 1 && (p.revents & POLLIN) ? 0 : 3;
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
static int do_epoll_pwait2(long sec)
{
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN }, got;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pipe_fds[0], &e))
        return 5;
    struct timespec ts = { (time_t)sec, 0 };
    return syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, NULL, 8) == 1 ? 0 : 3;
}

static int do_select(long usec_too)
{
    struct timeval tv = { usec_too ? 0 : FOREVER_SEC, usec_too ? INT64_MAX : 0 };
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipe_fds[0], &r);
    return syscall(SYS_select, pipe_fds[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(pipe_fds[0], &r) ? 0 : 3;
}

static void write_pipe(pid_t c)
{
    (void)c;
    CHECK(write(pipe_fds[1], "w", 1) == 1);
}

static int do_sigtimedwait(long sec)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    struct timespec ts = { (time_t)sec, 0 };
    return sigtimedwait(&set, NULL, &ts) == SIGUSR1 ? 0 : 3;
}

static void send_usr1(pid_t c)
{
    CHECK(kill(c, SIGUSR1) == 0);
}

static void waits_that_do_not_end(void)
{
    CHECK(pipe2(pipe_fds, O_NONBLOCK) == 0);      /* a wait that ended early leaves it empty: no hang */
    sigset_t usr1;                                /* blocked before the fork: sigtimedwait's to take */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0);
    long secs[] = { FOREVER_SEC, YEARS_585 };
    for (unsigned i = 0; i < 2; i++) {
        long s = secs[i];
        still_waiting("nanosleep", do_nanosleep, s, NULL);
        still_waiting("clock_nanosleep", do_clock_nanosleep, s, NULL);
        still_waiting("clock_nanosleep abs", do_clock_nanosleep_abs, s, NULL);
        still_waiting("futex", do_futex, s, NULL);
        still_waiting("ppoll", do_ppoll, s, write_pipe);
        char c;
        CHECK(read(pipe_fds[0], &c, 1) == 1);
        still_waiting("epoll_pwait2", do_epoll_pwait2, s, write_pipe);
        CHECK(read(pipe_fds[0], &c, 1) == 1);
        still_waiting("sigtimedwait", do_sigtimedwait, s, send_usr1);
    }
    still_waiting("select", do_select, 0, write_pipe);
    char c;
    CHECK(read(pipe_fds[0], &c, 1) == 1);
    still_waiting("select usec", do_select, 1, write_pipe);
    CHECK(read(pipe_fds[0], &c, 1) == 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    CHECK(sigprocmask(SIG_UNBLOCK, &usr1, NULL) == 0);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* An itimer of 1 ms, then an interval of INT64_MAX s: one SIGALRM, not
 * one at every pass of the personality's loop. */
static void itimer_interval_forever(void)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = { .it_interval = { FOREVER_SEC, 0 }, .it_value = { 0, 1000 } };
    alarms = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    sleep_ms(300);
    CHECK(alarms == 1);
    struct itimerval got;
    CHECK(getitimer(ITIMER_REAL, &got) == 0);
    CHECK(got.it_interval.tv_sec >= 9223372036LL);   /* Linux's KTIME_MAX; never a small wrapped figure */
    CHECK(got.it_value.tv_sec > 1000000000LL);       /* KTIME_MAX less the time since boot */
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    struct itimerval bad = { .it_interval = { 0, 0 }, .it_value = { -1, 0 } };
    errno = 0;
    CHECK(setitimer(ITIMER_REAL, &bad, NULL) == -1 && errno == EINVAL);
    bad = (struct itimerval){ .it_interval = { -5, 0 }, .it_value = { 1, 0 } };
    errno = 0;
    CHECK(setitimer(ITIMER_REAL, &bad, NULL) == -1 && errno == EINVAL);
    CHECK(getitimer(ITIMER_REAL, &got) == 0 && !got.it_value.tv_sec && !got.it_value.tv_usec);
    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
}

/* SO_RCVTIMEO of INT64_MAX s: "none", as Linux's MAX_SCHEDULE_TIMEOUT
 * (getsockopt says 0), and a receive still waits. */
static int recv_waits(long fd)
{
    char b[8];
    return recv((int)fd, b, sizeof b, 0) == 1 ? 0 : 3;
}

static int udp_pair[2];

static void send_udp(pid_t c)
{
    (void)c;
    CHECK(send(udp_pair[1], "u", 1, 0) == 1);
}

static void rcvtimeo_forever(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0), o = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0 && o >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7003), .sin_addr.s_addr = htonl(0x7f000001) };
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(connect(o, (struct sockaddr *)&a, sizeof a) == 0);
    udp_pair[0] = s;
    udp_pair[1] = o;
    struct timeval tv = { FOREVER_SEC, 0 }, got = { 1, 1 };
    socklen_t len = sizeof got;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0);
    CHECK(got.tv_sec == 0 && got.tv_usec == 0);
    still_waiting("recv", recv_waits, s, send_udp);
    close(s);
    close(o);
}

int main(void)
{
    waits_that_do_not_end();
    itimer_interval_forever();
    rcvtimeo_forever();
    return done("timeouts");
}
