#define _GNU_SOURCE
/*
 * epoll.c — epoll as a simple event loop uses it (lxtest runs it with UDP
 * ports 7000-7009 and TCP port 7100 granted): a loop over a pipe, a UDP
 * socket and a listening TCP socket that a child process feeds; level-
 * and edge-triggered and one-shot items; a small maxevents taking every
 * ready item in turn; closing a watched file; nested instances; timeouts,
 * signals and epoll_pwait's mask; and the errors epoll_ctl and epoll_wait
 * give for bad arguments. Checks itself.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "inet.h"

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The event loop: a child writes 5 lines into a pipe and sends 5
 * datagrams, interleaved, then exits; the parent's loop, blocked in
 * epoll_wait, takes them as they come, and ends when the pipe hangs up. */
static void event_loop(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    int u = udp_bound(7008), l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in la = addr(INADDR_ANY, 7100);
    int one = 1;
    CHECK(u >= 0 && l >= 0);
    CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    CHECK(bind(l, (struct sockaddr *)&la, sizeof la) == 0 && listen(l, 4) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        int o = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = addr(INADDR_LOOPBACK, 7008);
        for (int i = 0; i < 5; i++) {
            char msg[16];
            usleep(20000);
            int n = snprintf(msg, sizeof msg, "line %d\n", i);
            if (write(p[1], msg, (size_t)n) != n)
                _exit(1);
            n = snprintf(msg, sizeof msg, "dgram %d", i);
            if (sendto(o, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) != n)
                _exit(2);
        }
        _exit(0);
    }
    close(p[1]);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    CHECK(fcntl(ep, F_GETFD) == FD_CLOEXEC);
    CHECK(add(ep, p[0], EPOLLIN, 1) == 0);
    CHECK(add(ep, u, EPOLLIN, 2) == 0);
    CHECK(add(ep, l, EPOLLIN, 3) == 0);
    char lines[256] = "";
    int dgrams = 0, wakeups = 0, bad = 0;
    bool hup = false;
    while (!hup && wakeups < 100) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, 10000);
        wakeups++;
        if (n <= 0) {
            printf("epoll_wait returned %d (errno %d) in the loop\n", n, errno);
            bad++;
            break;
        }
        for (int i = 0; i < n; i++) {
            char buf[64];
            if (evs[i].data.u64 == 1 && (evs[i].events & EPOLLIN)) {
                ssize_t k = read(p[0], buf, sizeof buf - 1);
                if (k > 0) {
                    buf[k] = 0;
                    strncat(lines, buf, sizeof lines - strlen(lines) - 1);
                } else if (k == 0) {
                    hup = true;
                }
            } else if (evs[i].data.u64 == 1 && (evs[i].events & EPOLLHUP)) {
                hup = true;
            } else if (evs[i].data.u64 == 2 && (evs[i].events & EPOLLIN)) {
                ssize_t k = recv(u, buf, sizeof buf - 1, MSG_DONTWAIT);
                char want[24];
                snprintf(want, sizeof want, "dgram %d", dgrams);
                if (k > 0) {
                    buf[k] = 0;
                    if (strcmp(buf, want))
                        printf("datagram '%s', expected '%s'\n", buf, want);
                    bad += strcmp(buf, want) != 0;
                    dgrams++;
                }
            } else {
                printf("unexpected event %#x data %lu\n", evs[i].events, (unsigned long)evs[i].data.u64);
                bad++;
            }
        }
    }
    CHECK(hup);
    CHECK(bad == 0);
    CHECK(!strcmp(lines, "line 0\nline 1\nline 2\nline 3\nline 4\n"));
    if (strcmp(lines, "line 0\nline 1\nline 2\nline 3\nline 4\n"))
        printf("the pipe gave '%s'\n", lines);
    /* the datagrams may still be on their way when the pipe hangs up (and
     * the pipe, at its end, is readable for good: out of the set first) */
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0);
    while (dgrams < 5) {
        struct epoll_event ev;
        char buf[64], want[24];
        int n = epoll_wait(ep, &ev, 1, 5000);
        if (n != 1 || ev.data.u64 != 2) {
            printf("waiting for datagram %d: epoll_wait returned %d, data %lu (errno %d)\n", dgrams, n,
                   (unsigned long)ev.data.u64, errno);
            break;
        }
        ssize_t k = recv(u, buf, sizeof buf - 1, MSG_DONTWAIT);
        snprintf(want, sizeof want, "dgram %d", dgrams);
        CHECK(k > 0 && (buf[k] = 0, !strcmp(buf, want)));
        dgrams++;
    }
    CHECK(dgrams == 5);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* nothing is left: the listening socket had no connection, the UDP socket is empty */
    struct epoll_event ev;
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    /* a UDP socket is writable */
    struct epoll_event mod = { .events = EPOLLIN | EPOLLOUT, .data.u64 = 2 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, u, &mod) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.events == EPOLLOUT && ev.data.u64 == 2);
    close(ep);
    close(p[0]);
    close(u);
    close(l);
}

/* Level-triggered reports while ready; edge-triggered once per change;
 * one-shot once until re-armed. */
static void triggers(void)
{
    int p[2], ep = epoll_create(1);
    struct epoll_event ev;
    char buf[8];
    CHECK(pipe(p) == 0 && ep >= 0);
    CHECK(add(ep, p[0], EPOLLIN, 10) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    CHECK(write(p[1], "ab", 2) == 2);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.events == EPOLLIN && ev.data.u64 == 10);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1);                 /* still ready: reported again */
    CHECK(read(p[0], buf, 2) == 2);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);

    struct epoll_event et = { .events = EPOLLIN | EPOLLET, .data.u64 = 11 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &et) == 0);
    CHECK(write(p[1], "a", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 11);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);                 /* no new edge, though data waits */
    CHECK(write(p[1], "b", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 11);   /* more data: an edge */
    CHECK(read(p[0], buf, sizeof buf) == 2);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);

    struct epoll_event os = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 12 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &os) == 0);
    CHECK(write(p[1], "c", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 12);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);                 /* disabled until MOD */
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &os) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 12);
    CHECK(read(p[0], buf, sizeof buf) == 1);

    /* the write end: writable; edge-triggered only once while it stays so */
    CHECK(add(ep, p[1], EPOLLOUT | EPOLLET, 13) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.events == EPOLLOUT && ev.data.u64 == 13);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    /* closing the read end: the writer sees an error */
    struct epoll_event lt = { .events = EPOLLOUT, .data.u64 = 14 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &lt) == 0);
    close(p[0]);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && (ev.events & EPOLLERR) && ev.data.u64 == 14);
    /* closing the last fd of a watched file removes its item */
    close(p[1]);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    CHECK(pipe(p) == 0);
    CHECK(add(ep, p[0], EPOLLIN, 15) == 0);
    int d = dup(p[0]);
    close(p[0]);                                           /* the file stays open through d */
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 15);
    close(d);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    /* the reader closes: a watched read end hangs up when the writer goes */
    CHECK(pipe(p) == 0);
    CHECK(add(ep, p[0], EPOLLIN | EPOLLRDHUP, 16) == 0);
    close(p[1]);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && (ev.events & EPOLLHUP) && ev.data.u64 == 16);
    close(p[0]);
    close(ep);
}

/* Three ready pipes and maxevents 1: three waits report three items. */
static void takes_turns(void)
{
    int ep = epoll_create1(0), p[3][2];
    unsigned seen = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(pipe(p[i]) == 0);
        CHECK(write(p[i][1], "x", 1) == 1);
        CHECK(add(ep, p[i][0], EPOLLIN, (uint64_t)i) == 0);
    }
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev;
        CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 < 3);
        seen |= 1u << ev.data.u64;
    }
    CHECK(seen == 7);
    struct epoll_event evs[8];
    CHECK(epoll_wait(ep, evs, 8, 0) == 3);
    for (int i = 0; i < 3; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
    close(ep);
}

/* An instance inside another: the inner one is readable when it has an
 * event; cycles are refused. */
static void nested(void)
{
    int outer = epoll_create1(0), inner = epoll_create1(0), p[2];
    struct epoll_event ev;
    CHECK(pipe(p) == 0);
    CHECK(add(inner, p[0], EPOLLIN, 1) == 0);
    CHECK(add(outer, inner, EPOLLIN, 2) == 0);
    CHECK(epoll_wait(outer, &ev, 1, 0) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(epoll_wait(outer, &ev, 1, 0) == 1 && ev.data.u64 == 2 && ev.events == EPOLLIN);
    CHECK(epoll_wait(inner, &ev, 1, 0) == 1 && ev.data.u64 == 1);
    CHECK(add(inner, outer, EPOLLIN, 3) == -1 && errno == ELOOP);
    close(inner);                                          /* its item in outer goes with it */
    CHECK(epoll_wait(outer, &ev, 1, 0) == 0);
    close(outer);
    close(p[0]);
    close(p[1]);
}

/* One instance added to others again and again through dup'd fds, at
 * several levels: each add either works or is refused with EINVAL (a
 * bound on wakeup paths, Linux's and ours), and waits stay prompt. */
static void nested_through_dups(void)
{
    int level[4];
    for (int l = 0; l < 4; l++)
        level[l] = epoll_create1(0);
    for (int l = 1; l < 4; l++)
        for (int k = 0; k < 32; k++) {
            int d = dup(level[l - 1]);
            CHECK(d >= 0);
            int r = add(level[l], d, EPOLLIN, (uint64_t)k);
            CHECK(r == 0 || errno == EINVAL);
            if (r)
                close(d);
        }
    struct epoll_event ev;
    CHECK(epoll_wait(level[3], &ev, 1, 0) == 0);
    for (int l = 0; l < 4; l++)
        close(level[l]);
}

static volatile int alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A timeout waits at least as long as asked; a signal interrupts the
 * wait (EINTR, even with SA_RESTART); epoll_pwait's mask holds it off. */
static void timeouts_and_signals(void)
{
    int ep = epoll_create1(0), p[2];
    struct epoll_event ev;
    struct timespec t0;
    CHECK(pipe(p) == 0);
    CHECK(add(ep, p[0], EPOLLIN, 1) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(epoll_wait(ep, &ev, 1, 60) == 0);
    CHECK(ms_since(&t0) >= 55);
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = { .it_value = { 0, 50000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 10000) == -1 && errno == EINTR && alarms == 1);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    CHECK(epoll_pwait(ep, &ev, 1, 150, &block) == 0);     /* held off for the call */
    CHECK(alarms == 2);                                    /* and delivered as it returns */
    /* a writer in another process wakes a blocked wait */
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
    }
    CHECK(epoll_wait(ep, &ev, 1, 10000) == 1 && ev.data.u64 == 1);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static void errors(void)
{
    int ep = epoll_create1(0), p[2];
    struct epoll_event ev = { .events = EPOLLIN };
    CHECK(pipe(p) == 0);
    CHECK(syscall(SYS_epoll_create, 0) == -1 && errno == EINVAL);   /* musl's epoll_create does not look */
    CHECK(epoll_create1(0x1234) == -1 && errno == EINVAL);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev) == -1 && errno == EBADF);
    CHECK(epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EBADF);
    CHECK(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EINVAL);   /* not an epoll fd */
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL);
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == -1 && errno == ENOENT);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT);
    CHECK(epoll_ctl(ep, 99, p[0], &ev) == -1 && errno == EINVAL);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (struct epoll_event *)(uintptr_t)16) == -1 && errno == EFAULT);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST);
    int f = open("/proc/self/status", O_RDONLY);
    CHECK(f >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev) == -1 && errno == EPERM);   /* a regular file */
    close(f);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0);      /* stdin may be watched */
    CHECK(epoll_wait(ep, &ev, 0, 0) == -1 && errno == EINVAL);
    CHECK(epoll_wait(p[0], &ev, 1, 0) == -1 && errno == EINVAL);
    CHECK(epoll_wait(999, &ev, 1, 0) == -1 && errno == EBADF);
    CHECK(write(p[1], "x", 1) == 1);
    struct epoll_event *volatile bad = (struct epoll_event *)16;
    CHECK(epoll_wait(ep, bad, 1, 0) == -1 && errno == EFAULT);
    char b;
    CHECK(read(ep, &b, 1) == -1 && errno == EINVAL);
    close(ep);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    errors();
    triggers();
    takes_turns();
    nested();
    nested_through_dups();
    timeouts_and_signals();
    event_loop();
    return done("epoll");
}
