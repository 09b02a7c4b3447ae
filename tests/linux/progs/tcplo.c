/*
 * tcplo.c — TCP to ourselves from a Linux program (the net service's
 * loopback): a server and a client in two processes of one container.
 * lxtest runs it with TCP port 7110 to listen on and destination ports
 * 7110-7111 to connect to. Over 127.0.0.1 the server is an epoll loop,
 * over the container's own address (10.0.2.15 under QEMU) a poll loop;
 * the client sends 1 MiB and checks every byte comes back, and both ends'
 * names are checked against each other. A port nobody listens on is
 * ECONNREFUSED at once; one without an out: grant is EACCES. Last, a
 * connection made as Go's runtime makes one (non-blocking connect, an
 * edge-triggered EPOLLOUT, SO_ERROR and getpeername, never connect again)
 * to a server that echoes through splice and then sends a file with
 * sendfile (Go's io.Copy between connections, and from a file).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "inet.h"

#define PORT 7110
#define TOTAL (1 << 20)

static uint8_t byte_at(uint32_t i)
{
    uint32_t x = (i / 4) * 2654435761u ^ 0x5bd1e995u;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    return (uint8_t)(x >> (8 * (i % 4)));
}

static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child: connects to ip, checks its names, sends TOTAL bytes and
 * reads them back (non-blocking, poll), closes. Exit 0 if all held. */
static int client(uint32_t ip)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = addr(ip, PORT), me, peer;
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to)) {
        printf("client: connect: %s\n", strerror(errno));
        return 1;
    }
    socklen_t l = sizeof me;
    CHECK(getsockname(s, (struct sockaddr *)&me, &l) == 0);
    l = sizeof peer;
    CHECK(getpeername(s, (struct sockaddr *)&peer, &l) == 0);
    CHECK(peer.sin_addr.s_addr == htonl(ip) && ntohs(peer.sin_port) == PORT);
    /* toward 127/8 we are 127.0.0.1, toward our own address that address */
    CHECK(me.sin_addr.s_addr == htonl((ip >> 24) == 127 ? INADDR_LOOPBACK : ip));
    /* tell the server our name: it must see the same as its peer */
    CHECK(write(s, &me, sizeof me) == sizeof me);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    static uint8_t buf[16384];
    uint32_t sent = 0, got = 0, bad = 0;
    long last = ms_now();
    while (got < TOTAL && ms_now() - last < 20000) {
        struct pollfd p = { s, (short)(POLLIN | (sent < TOTAL ? POLLOUT : 0)), 0 };
        if (poll(&p, 1, 1000) < 0)
            break;
        if (sent < TOTAL && (p.revents & POLLOUT)) {
            uint32_t n = TOTAL - sent < sizeof buf ? TOTAL - sent : sizeof buf;
            for (uint32_t k = 0; k < n; k++)
                buf[k] = byte_at(sent + k);
            ssize_t w = write(s, buf, n);
            if (w > 0) {
                sent += (uint32_t)w;
                last = ms_now();
            }
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(s, buf, sizeof buf);
            if (r == 0)
                break;
            for (ssize_t k = 0; k < r; k++)
                bad += buf[k] != byte_at(got + (uint32_t)k);
            if (r > 0) {
                got += (uint32_t)r;
                last = ms_now();
            }
        }
    }
    CHECK(sent == TOTAL);
    CHECK(got == TOTAL);
    CHECK(bad == 0);
    /* once both halves are closed the peer is gone: ENOTCONN, as Linux's
     * socket in its CLOSE state says (the server closes at our EOF, so
     * how long the half-closed state lasts is a race: not checked) */
    CHECK(shutdown(s, SHUT_WR) == 0);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
    CHECK(read(s, buf, sizeof buf) == 0);                       /* the server closes at our EOF */
    int gone = 0;
    for (long t0 = ms_now(); !gone && ms_now() - t0 < 5000;) {
        l = sizeof peer;
        gone = getpeername(s, (struct sockaddr *)&peer, &l) < 0 && errno == ENOTCONN;
        if (!gone)
            usleep(10000);
    }
    CHECK(gone);
    close(s);
    return failed ? 1 : 0;
}

/* Reads the client's name, then echoes to EOF through a non-blocking
 * socket: epoll (use_epoll) or poll. */
static void serve(int c, const struct sockaddr_in *peer, uint32_t ip, int use_epoll)
{
    struct sockaddr_in me, told;
    socklen_t l = sizeof me;
    CHECK(getsockname(c, (struct sockaddr *)&me, &l) == 0);
    CHECK(me.sin_addr.s_addr == htonl(ip) && ntohs(me.sin_port) == PORT);
    size_t have = 0;
    while (have < sizeof told) {
        ssize_t r = read(c, (char *)&told + have, sizeof told - have);
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    CHECK(have == sizeof told);
    CHECK(told.sin_addr.s_addr == peer->sin_addr.s_addr && told.sin_port == peer->sin_port);
    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    int ep = -1;
    if (use_epoll) {
        ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = c };
        CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0);
    }
    static uint8_t buf[16384];
    size_t pend = 0, off = 0;
    uint32_t total = 0;
    int eof = 0;
    long last = ms_now();
    while ((!eof || pend) && ms_now() - last < 20000) {
        int in = 0, out = 0;
        if (use_epoll) {
            struct epoll_event ev = { .events = (uint32_t)(pend ? EPOLLOUT : EPOLLIN), .data.fd = c }, got;
            epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
            if (epoll_wait(ep, &got, 1, 1000) == 1) {
                in = (got.events & (EPOLLIN | EPOLLHUP)) != 0;
                out = (got.events & EPOLLOUT) != 0;
            }
        } else {
            struct pollfd p = { c, (short)(pend ? POLLOUT : POLLIN), 0 };
            if (poll(&p, 1, 1000) == 1) {
                in = (p.revents & (POLLIN | POLLHUP)) != 0;
                out = (p.revents & POLLOUT) != 0;
            }
        }
        if (!pend && in) {
            ssize_t r = read(c, buf, sizeof buf);
            if (r == 0)
                eof = 1;
            if (r > 0) {
                pend = (size_t)r;
                off = 0;
                total += (uint32_t)r;
                last = ms_now();
            }
        }
        if (pend && out) {
            ssize_t w = write(c, buf + off, pend);
            if (w > 0) {
                off += (size_t)w;
                pend -= (size_t)w;
                last = ms_now();
            }
        }
    }
    CHECK(eof);
    CHECK(total == TOTAL);
    if (ep >= 0)
        close(ep);
    close(c);
}

/* A server process (this one) and a client process over ip. */
static void round_trip(int l, uint32_t ip, int use_epoll)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(client(ip));
    CHECK(pid > 0);
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    int c = -1;
    if (use_epoll) {
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = l }, got;
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0);
        CHECK(epoll_wait(ep, &got, 1, 10000) == 1 && got.data.fd == l);
        close(ep);
    }
    c = accept(l, (struct sockaddr *)&peer, &pl);
    CHECK(c >= 0);
    if (c >= 0) {
        CHECK(peer.sin_addr.s_addr == htonl((ip >> 24) == 127 ? INADDR_LOOPBACK : ip));
        serve(c, &peer, ip, use_epoll);
    }
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("tcplo: 1 MiB echoed over %s (%s)\n", (ip >> 24) == 127 ? "127.0.0.1" : "our address",
           use_epoll ? "epoll" : "poll");
}

#define MSG 4096
#define MSGS 16
#define FILE_BYTES 100000

/* The server of go_style: echoes through a pipe with splice until the
 * client shuts down its side, then sends FILE_BYTES of a file. */
static int splice_server(int l)
{
    int c = accept(l, NULL, NULL), p[2];
    if (c < 0 || pipe(p))
        return 1;
    for (;;) {
        ssize_t in = splice(c, NULL, p[1], NULL, 65536, 0);
        if (in <= 0)
            break;
        while (in > 0) {
            ssize_t out = splice(p[0], NULL, c, NULL, (size_t)in, 0);
            if (out <= 0)
                return 2;
            in -= out;
        }
    }
    int f = open("sendfile.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static uint8_t buf[FILE_BYTES];
    for (uint32_t i = 0; i < FILE_BYTES; i++)
        buf[i] = byte_at(i);
    if (f < 0 || write(f, buf, FILE_BYTES) != FILE_BYTES || lseek(f, 0, SEEK_SET) != 0)
        return 3;
    off_t at = 0;
    while (at < FILE_BYTES) {
        ssize_t n = sendfile(c, f, &at, FILE_BYTES - (size_t)at);   /* the offset moves, not the position */
        if (n <= 0)
            return 4;
    }
    if (lseek(f, 0, SEEK_CUR) != 0)
        return 5;
    close(c);
    return 0;
}

static void go_style(void)
{
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr(INADDR_LOOPBACK, PORT), peer;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(splice_server(l));
    close(l);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
    CHECK(connect(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == EINPROGRESS);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = s }, got;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
    CHECK(epoll_wait(ep, &got, 1, 10000) == 1 && (got.events & EPOLLOUT));
    int err = -1;
    socklen_t el = sizeof err, pl = sizeof peer;
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0);
    CHECK(getpeername(s, (struct sockaddr *)&peer, &pl) == 0 && ntohs(peer.sin_port) == PORT);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
    static uint8_t buf[FILE_BYTES];
    uint32_t bad = 0, echoed = 0;
    for (uint32_t m = 0; m < MSGS; m++) {
        for (uint32_t k = 0; k < MSG; k++)
            buf[k] = byte_at(m * MSG + k);
        CHECK(write(s, buf, MSG) == MSG);
        for (uint32_t have = 0; have < MSG;) {
            ssize_t r = read(s, buf + have, MSG - have);
            if (r <= 0)
                break;
            have += (uint32_t)r;
        }
        for (uint32_t k = 0; k < MSG; k++)
            bad += buf[k] != byte_at(m * MSG + k);
        echoed += MSG;
    }
    CHECK(shutdown(s, SHUT_WR) == 0);
    uint32_t have = 0;
    for (ssize_t r; have < FILE_BYTES && (r = read(s, buf + have, FILE_BYTES - have)) > 0;)
        have += (uint32_t)r;
    for (uint32_t k = 0; k < have; k++)
        bad += buf[k] != byte_at(k);
    CHECK(have == FILE_BYTES);
    CHECK(read(s, buf, 1) == 0);
    CHECK(bad == 0);
    close(s);
    close(ep);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        printf("tcplo: the splice server ended with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("tcplo: %u bytes echoed through splice, %u sent with sendfile, after a connect as Go makes it\n",
           echoed, have);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr(INADDR_ANY, PORT);   /* both addresses, as on Linux */
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
    struct sockaddr_in ln;
    socklen_t lnl = sizeof ln;
    CHECK(getsockname(l, (struct sockaddr *)&ln, &lnl) == 0 && ln.sin_addr.s_addr == htonl(INADDR_ANY) &&
          ntohs(ln.sin_port) == PORT);
    round_trip(l, INADDR_LOOPBACK, 1);
    round_trip(l, 0x0a00020f, 0);                    /* 10.0.2.15: the service's address under QEMU */
    close(l);
    /* a listener bound to 127.0.0.1 says so (Go's ln.Addr(), for one, prints it) */
    l = socket(AF_INET, SOCK_STREAM, 0);
    a = addr(INADDR_LOOPBACK, PORT);
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    lnl = sizeof ln;                                 /* only bound, not yet listening: the same */
    CHECK(getsockname(l, (struct sockaddr *)&ln, &lnl) == 0 && ln.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
          ntohs(ln.sin_port) == PORT);
    CHECK(listen(l, 4) == 0);
    lnl = sizeof ln;
    CHECK(getsockname(l, (struct sockaddr *)&ln, &lnl) == 0 && ln.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    close(l);
    /* nobody listens on 7111: refused at once, not after a timeout */
    int u = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = addr(INADDR_LOOPBACK, 7111);
    long t0 = ms_now();
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == ECONNREFUSED);
    CHECK(ms_now() - t0 < 3000);
    close(u);
    /* 7112 is no out: port of ours, at any address of ours */
    u = socket(AF_INET, SOCK_STREAM, 0);
    to = addr(INADDR_LOOPBACK, 7112);
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == EACCES);
    to = addr(0x0a00020f, 7112);
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == EACCES);
    close(u);
    go_style();
    return done("tcplo");
}
