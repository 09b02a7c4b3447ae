#define _GNU_SOURCE
/*
 * mmsg.c — recvmmsg as recvmmsg(2) describes it, over UDP through the
 * container's granted ports (lxtest gives 7000-7009; this uses 7005-7008):
 * a blocking call waits for all vlen messages, MSG_WAITFORONE for the
 * first, MSG_DONTWAIT for none; the timeout is looked at after each
 * message and the time left written back; msg_len and MSG_TRUNC per
 * message; an error after the first message is the socket's next answer;
 * bad arguments get EINVAL/EFAULT/EBADF/ENOTSOCK, and garbage never
 * crashes anything. Passes on Linux too. Checks itself.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "inet.h"

#define PORT 7005
#define N 8

/* The loopback address at port. */
static struct sockaddr_in to_port(uint16_t port)
{
    return addr(INADDR_LOOPBACK, port);
}

static int out;                                 /* the sending socket */
static char bufs[N][64];
static struct iovec iov[N];
static struct mmsghdr m[N];

static void send_str(const char *s)
{
    struct sockaddr_in a = to_port(PORT);
    CHECK(sendto(out, s, strlen(s), 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)strlen(s));
}

static void reset(size_t room)
{
    memset(bufs, 0, sizeof bufs);
    memset(m, 0, sizeof m);
    for (int i = 0; i < N; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = room;
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
        m[i].msg_len = 0xdead;
    }
}

/* Waits until s has something to read (loopback datagrams go through the net service). */
static void readable(int s)
{
    struct pollfd p = { .fd = s, .events = POLLIN };
    CHECK(poll(&p, 1, 5000) == 1);
}

/* Datagrams just sent to s have landed: the first is seen, the rest
 * come right behind it (loopback through the net service). */
static void queued(int s)
{
    readable(s);
    usleep(100000);
}

/* The call itself: musl's recvmmsg writes the padding of every msghdr
 * first, so a bad vector or vlen would fault in the program. */
static int rmm(int fd, void *vec, unsigned vlen, unsigned flags, struct timespec *ts)
{
    return (int)syscall(SYS_recvmmsg, fd, vec, vlen, flags, ts);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A child sends the strings of msgs, each after delay_ms. */
static pid_t sender(int delay_ms, int count)
{
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < count; i++) {
            usleep((useconds_t)delay_ms * 1000);
            char b[16];
            snprintf(b, sizeof b, "late%d", i);
            struct sockaddr_in a = to_port(PORT);
            if (sendto(out, b, strlen(b), 0, (struct sockaddr *)&a, sizeof a) < 0)
                _exit(1);
        }
        _exit(0);
    }
    return c;
}

static void reap(pid_t c)
{
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void lengths_and_truncation(int s)
{
    reset(8);
    send_str("one");
    send_str("a longer datagram");
    send_str("three");
    queued(s);
    CHECK(rmm(s, m, 3, 0, NULL) == 3);
    CHECK(m[0].msg_len == 3 && !strcmp(bufs[0], "one") && !(m[0].msg_hdr.msg_flags & MSG_TRUNC));
    CHECK(m[1].msg_len == 8 && !memcmp(bufs[1], "a longer", 8) && (m[1].msg_hdr.msg_flags & MSG_TRUNC));
    CHECK(m[2].msg_len == 5 && !strcmp(bufs[2], "three") && !(m[2].msg_hdr.msg_flags & MSG_TRUNC));
    CHECK(m[3].msg_len == 0xdead);
    /* with the sender's name per message */
    struct sockaddr_in from[2];
    reset(16);
    for (int i = 0; i < 2; i++) {
        m[i].msg_hdr.msg_name = &from[i];
        m[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    send_str("x");
    send_str("yy");
    queued(s);
    CHECK(rmm(s, m, 2, MSG_DONTWAIT, NULL) == 2);
    CHECK(m[0].msg_len == 1 && m[1].msg_len == 2);
    CHECK(from[1].sin_family == AF_INET && m[1].msg_hdr.msg_namelen == sizeof from[1]);
}

static void waiting(int s)
{
    /* nothing there: MSG_DONTWAIT says so */
    reset(16);
    CHECK(rmm(s, m, 4, MSG_DONTWAIT, NULL) == -1 && errno == EAGAIN);
    /* MSG_WAITFORONE: the first is waited for, then what is there */
    pid_t c = sender(100, 1);
    CHECK(rmm(s, m, 4, MSG_WAITFORONE, NULL) == 1);
    CHECK(!strcmp(bufs[0], "late0") && m[0].msg_len == 5);
    reap(c);
    /* a blocking call waits for all vlen, arriving one by one */
    reset(16);
    c = sender(60, 3);
    CHECK(rmm(s, m, 3, 0, NULL) == 3);
    CHECK(!strcmp(bufs[0], "late0") && !strcmp(bufs[1], "late1") && !strcmp(bufs[2], "late2"));
    reap(c);
    /* a vlen over UIO_MAXIOV is cut to it, not refused */
    reset(16);
    send_str("p");
    send_str("q");
    queued(s);
    static struct mmsghdr big[1024];
    static struct iovec bigiov[1024];
    static char bigbuf[1024][4];
    for (int i = 0; i < 1024; i++) {
        bigiov[i].iov_base = bigbuf[i];
        bigiov[i].iov_len = 4;
        big[i].msg_hdr.msg_iov = &bigiov[i];
        big[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(rmm(s, big, 100000, MSG_WAITFORONE, NULL) == 2);
    CHECK(big[0].msg_len == 1 && big[1].msg_len == 1 && bigbuf[1][0] == 'q');
}

static void timeouts(int s)
{
    struct timespec ts;
    /* the timeout is looked at after each message: 300 ms, the second
     * message 600 ms after the first; the call ends with the first
     * message after the time is up (both, or the first alone if even it
     * came late on a loaded machine), never waiting for all 8 */
    reset(16);
    ts = (struct timespec){ 0, 300 * 1000000L };
    uint64_t t0 = now_ms();
    pid_t c = sender(0, 1);
    pid_t c2 = sender(600, 1);
    int r = rmm(s, m, 8, 0, &ts);
    uint64_t took = now_ms() - t0;
    CHECK(r == 1 || r == 2);
    CHECK(took >= 300 && took < 5000);
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);          /* time left: none */
    reap(c);
    reap(c2);
    if (r == 1) {
        reset(16);
        CHECK(rmm(s, m, 8, MSG_WAITFORONE, NULL) == 1);  /* the other */
    }
    /* all there before the end: the time left is written back */
    reset(16);
    send_str("a");
    send_str("b");
    queued(s);
    ts = (struct timespec){ 10, 0 };
    CHECK(rmm(s, m, 2, 0, &ts) == 2);
    CHECK(ts.tv_sec == 9 || (ts.tv_sec == 10 && ts.tv_nsec == 0));
    CHECK(ts.tv_sec <= 10 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
    /* a zero timeout: over after the first message */
    reset(16);
    send_str("c");
    send_str("d");
    queued(s);
    ts = (struct timespec){ 0, 0 };
    CHECK(rmm(s, m, 2, 0, &ts) == 1 && !strcmp(bufs[0], "c"));
    reset(16);
    CHECK(rmm(s, m, 2, MSG_DONTWAIT, NULL) == 1 && !strcmp(bufs[0], "d"));
    /* bad timeouts: EINVAL, EFAULT, before anything is taken */
    send_str("e");
    queued(s);
    ts = (struct timespec){ 0, 1000000000L };
    CHECK(rmm(s, m, 2, 0, &ts) == -1 && errno == EINVAL);
    ts = (struct timespec){ -1, 0 };
    CHECK(rmm(s, m, 2, 0, &ts) == -1 && errno == EINVAL);
    CHECK(rmm(s, m, 2, 0, (struct timespec *)8) == -1 && errno == EFAULT);
    reset(16);
    CHECK(rmm(s, m, 2, MSG_DONTWAIT, NULL) == 1 && !strcmp(bufs[0], "e"));
    /* attack18: a timeout of 585 years (2^64 ns and a bit) is not a short
     * one: the time left written back is about what was given */
    send_str("f");
    queued(s);
    reset(16);
    ts = (struct timespec){ 18446744074LL, 0 };
    CHECK(rmm(s, m, 1, 0, &ts) == 1 && !strcmp(bufs[0], "f"));
    CHECK(ts.tv_sec >= 18446744000LL);
}

/* An error after the first message ends the call with the count; the
 * socket's next call answers it (recvmmsg(2): "the error is ... returned
 * on a subsequent call"), then reads on. */
static void errors_on_the_next_call(int s)
{
    reset(16);
    send_str("first");
    send_str("second");
    queued(s);
    m[1].msg_hdr.msg_iov = (struct iovec *)8;    /* unreadable iovec array */
    CHECK(rmm(s, m, 2, 0, NULL) == 1 && !strcmp(bufs[0], "first"));
    struct pollfd p = { .fd = s, .events = POLLIN };
    CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLERR));
    char b[16] = "";
    CHECK(recv(s, b, sizeof b, MSG_DONTWAIT) == -1 && errno == EFAULT);
    CHECK(recv(s, b, sizeof b, MSG_DONTWAIT) == 6 && !memcmp(b, "second", 6));
    /* at the first message: the call's own error */
    reset(16);
    m[0].msg_hdr.msg_iov = (struct iovec *)8;
    send_str("third");
    queued(s);
    CHECK(rmm(s, m, 2, 0, NULL) == -1 && errno == EFAULT);
    reset(16);
    CHECK(rmm(s, m, 2, MSG_DONTWAIT, NULL) == 1 && !strcmp(bufs[0], "third"));
    /* vlen 0 is 0 */
    CHECK(rmm(s, m, 0, 0, NULL) == 0);
}

static void bad_arguments(int s)
{
    int p[2];
    CHECK(pipe(p) == 0);
    reset(16);
    CHECK(rmm(-1, m, 1, 0, NULL) == -1 && errno == EBADF);
    CHECK(rmm(999, m, 1, 0, NULL) == -1 && errno == EBADF);
    CHECK(rmm(p[0], m, 1, MSG_DONTWAIT, NULL) == -1 && errno == ENOTSOCK);
    CHECK(rmm(s, NULL, 1, MSG_DONTWAIT, NULL) == -1 && errno == EFAULT);
    CHECK(rmm(s, (struct mmsghdr *)-4096L, 1, MSG_DONTWAIT, NULL) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_recvmmsg, s, m, 1, 0x80000000u | MSG_DONTWAIT, NULL) == -1 && errno == EINVAL);
    close(p[0]);
    close(p[1]);
    /* garbage: every answer an errno or a count, never a crash or a wait */
    int ns = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    CHECK(ns >= 0);
    unsigned seed = 12345;
    int odd = 0;
    for (int i = 0; i < 300; i++) {
        uint64_t w[4];
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t hi = seed;
            seed = seed * 1103515245u + 12345u;
            w[k] = hi << 32 | seed;
        }
        long fds[] = { ns, -1, 0, 12345 };
        uint64_t vec = (i & 3) == 0 ? (uint64_t)(uintptr_t)m : w[0];
        uint64_t tsp = (i & 4) ? 0 : (i & 8) ? (uint64_t)(uintptr_t)&w[3] : w[2];
        long r = syscall(SYS_recvmmsg, fds[i % 4], vec, w[1] & 0xffff, (w[3] & 0x7fffffff) | MSG_DONTWAIT, tsp);
        if (!(r >= 0 || errno == EFAULT || errno == EINVAL || errno == EAGAIN || errno == EBADF ||
              errno == ENOTSOCK || errno == EMSGSIZE || errno == EOPNOTSUPP)) {
            if (odd++ < 5)
                printf("garbage recvmmsg %d: %ld errno %d\n", i, r, errno);
        }
    }
    CHECK(odd == 0);
    close(ns);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int s = udp_bound(PORT);
    if (s < 0)
        exit(1);
    out = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(out >= 0);
    lengths_and_truncation(s);
    waiting(s);
    timeouts(s);
    errors_on_the_next_call(s);
    bad_arguments(s);
    return done("mmsg");
}
