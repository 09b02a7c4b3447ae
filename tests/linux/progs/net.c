#define _GNU_SOURCE
/*
 * net.c — sockets as a Linux program sees them under a container's net
 * grant (lxtest runs it with UDP ports 7000-7009, TCP port 7100 to listen
 * on and destination port 7101 to connect to): a UDP echo through granted
 * ports between two processes, connected UDP sockets, poll, timeouts,
 * peeking and truncation, sendmsg/recvmsg, ports the grant does not name;
 * TCP's bind, listen and a refused connection. With "nogrant" it checks
 * that a container without the grant gets EACCES from socket(). Checks
 * itself.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "inet.h"

/* A child echoes n datagrams on port 7001; the parent sends and reads back. */
static void echo_between_processes(void)
{
    int sync[2];
    CHECK(pipe(sync) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(sync[0]);
        int s = udp_bound(7001);
        if (s < 0)
            _exit(1);
        (void)!write(sync[1], "r", 1);
        for (int i = 0; i < 3; i++) {
            char buf[256];
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            if (n < 0 || sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n)
                _exit(2);
        }
        _exit(0);
    }
    close(sync[1]);
    char r;
    CHECK(read(sync[0], &r, 1) == 1);
    close(sync[0]);
    int s = udp_bound(7000);
    CHECK(s >= 0);
    struct sockaddr_in to = addr(INADDR_LOOPBACK, 7001);
    for (int i = 0; i < 3; i++) {
        char msg[32], buf[64];
        int len = snprintf(msg, sizeof msg, "ping %d", i);
        CHECK(sendto(s, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof to) == len);
        struct pollfd p = { .fd = s, .events = POLLIN };
        CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        CHECK(n == len && !memcmp(buf, msg, (size_t)len));
        CHECK(fl == sizeof from && from.sin_family == AF_INET && ntohs(from.sin_port) == 7001);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(s);
}

/* connect, send, recv, getsockname, getpeername; a blocked reader woken by a thread-less sender */
static void connected_sockets(void)
{
    int a = udp_bound(7002), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(a >= 0 && b >= 0);
    struct sockaddr_in to = addr(INADDR_LOOPBACK, 7002), me;
    CHECK(connect(b, (struct sockaddr *)&to, sizeof to) == 0);
    socklen_t ml = sizeof me;
    CHECK(getsockname(b, (struct sockaddr *)&me, &ml) == 0);
    uint16_t bport = ntohs(me.sin_port);
    CHECK(bport >= 7000 && bport <= 7009);          /* an implicit bind takes a granted port */
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    CHECK(getpeername(b, (struct sockaddr *)&peer, &pl) == 0 && ntohs(peer.sin_port) == 7002);
    CHECK(getpeername(a, (struct sockaddr *)&peer, &pl) == -1 && errno == ENOTCONN);
    CHECK(send(b, "hello", 5, 0) == 5);
    char buf[16];
    CHECK(recv(a, buf, sizeof buf, 0) == 5 && !memcmp(buf, "hello", 5));
    /* a reader that waits before the datagram is sent */
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        int s = udp_bound(7003);
        struct sockaddr_in t2 = addr(INADDR_LOOPBACK, bport);
        _exit(s >= 0 && sendto(s, "late", 4, 0, (struct sockaddr *)&t2, sizeof t2) == 4 ? 0 : 1);
    }
    /* b is connected to 7002: a datagram from 7003 is not for it; from 7002 it is */
    CHECK(write(b, "x", 1) == 1);                    /* write() on a connected socket */
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(recv(b, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    struct sockaddr_in back = addr(INADDR_LOOPBACK, bport);
    CHECK(sendto(a, "reply", 5, 0, (struct sockaddr *)&back, sizeof back) == 5);
    CHECK(read(b, buf, sizeof buf) == 5 && !memcmp(buf, "reply", 5));
    CHECK(recv(a, buf, sizeof buf, 0) == 1 && buf[0] == 'x');
    close(a);
    close(b);
}

static void blocked_reader_is_woken(void)
{
    int s = udp_bound(7004);
    CHECK(s >= 0);
    pid_t c = fork();
    if (c == 0) {
        usleep(200000);                              /* the parent is in recv by now */
        int o = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = addr(INADDR_LOOPBACK, 7004);
        _exit(sendto(o, "wake", 4, 0, (struct sockaddr *)&to, sizeof to) == 4 ? 0 : 1);
    }
    char buf[16];
    CHECK(recv(s, buf, sizeof buf, 0) == 4 && !memcmp(buf, "wake", 4));
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(s);
}

static void options_timeouts_and_flags(void)
{
    int s = udp_bound(7005);
    CHECK(s >= 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_DGRAM);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0);
    /* what Python's socket(fileno=) asks of a socket it is handed */
    CHECK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &vl) == 0 && v == AF_INET);
    CHECK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_UDP);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0);
    CHECK(setsockopt(s, SOL_SOCKET, 9999, &one, sizeof one) == -1 && errno == ENOPROTOOPT);
    struct timeval tv = { 0, 100000 };
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    char buf[64];
    CHECK(recv(s, buf, sizeof buf, 0) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
    struct pollfd p = { .fd = s, .events = POLLIN | POLLOUT };
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    p.events = POLLIN;
    CHECK(poll(&p, 1, 50) == 0);
    struct sockaddr_in me = addr(INADDR_LOOPBACK, 7005);
    CHECK(sendto(s, "0123456789", 10, 0, (struct sockaddr *)&me, sizeof me) == 10);   /* to itself */
    CHECK(poll(&p, 1, 5000) == 1);
    CHECK(recv(s, buf, 4, MSG_PEEK) == 4 && !memcmp(buf, "0123", 4));
    CHECK(recv(s, buf, 4, MSG_TRUNC) == 10 && !memcmp(buf, "0123", 4));   /* the rest is gone */
    CHECK(recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    /* sendmsg and recvmsg with two pieces each */
    struct iovec out[2] = { { "ab", 2 }, { "cdef", 4 } };
    struct msghdr m = { .msg_name = &me, .msg_namelen = sizeof me, .msg_iov = out, .msg_iovlen = 2 };
    CHECK(sendmsg(s, &m, 0) == 6);
    char x[3], y[8];
    struct iovec in[2] = { { x, 3 }, { y, sizeof y } };
    struct sockaddr_in from;
    struct msghdr r = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in, .msg_iovlen = 2 };
    CHECK(recvmsg(s, &r, 0) == 6 && !memcmp(x, "abc", 3) && !memcmp(y, "def", 3));
    CHECK(r.msg_namelen == sizeof from && ntohs(from.sin_port) == 7005 && !(r.msg_flags & MSG_TRUNC));
    close(s);
}

static void ports_outside_the_grant(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = addr(INADDR_ANY, 53);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == EACCES);
    a = addr(INADDR_ANY, 7010);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == EACCES);
    a = addr(0x08080808, 7006);                      /* not an address of ours */
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == EADDRNOTAVAIL);
    int t = udp_bound(7006);
    a = addr(INADDR_ANY, 7006);
    CHECK(t >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == -1 && errno == EADDRINUSE);
    close(t);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);   /* free again once closed */
    close(s);
    CHECK(socket(AF_INET6, SOCK_DGRAM, 0) == -1 && errno == EAFNOSUPPORT);
    CHECK(sendto(1, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == -1 && errno == ENOTSOCK);
    CHECK(recv(999, (char[4]){ 0 }, 4, 0) == -1 && errno == EBADF);
}

static void tcp_basics(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0);
    int one = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    struct sockaddr_in a = addr(INADDR_ANY, 7100), me;
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s, 4) == 0);
    int v = 0;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1);
    CHECK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_TCP);
    socklen_t ml = sizeof me;
    CHECK(getsockname(s, (struct sockaddr *)&me, &ml) == 0 && ntohs(me.sin_port) == 7100);
    struct pollfd p = { .fd = s, .events = POLLIN };
    CHECK(poll(&p, 1, 20) == 0);                     /* nobody connects */
    CHECK(fcntl(s, F_SETFL, O_NONBLOCK) == 0);
    CHECK(accept4(s, NULL, NULL, SOCK_CLOEXEC) == -1 && errno == EAGAIN);
    int n = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(accept(n, NULL, NULL) == -1 && errno == EINVAL);
    close(n);
    int u = socket(AF_INET, SOCK_STREAM, 0);
    a = addr(INADDR_ANY, 7101);                      /* an out: port, not one to listen on */
    CHECK(bind(u, (struct sockaddr *)&a, sizeof a) == -1 && errno == EACCES);
    struct sockaddr_in to = addr(0x0a000202, 7102);  /* a destination port the grant does not name */
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == EACCES);
    close(u);
    u = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    to = addr(INADDR_LOOPBACK, 7101);                /* loopback: nobody listens on 7101 */
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 &&
          (errno == EADDRNOTAVAIL || errno == ECONNREFUSED));
    close(u);
    /* a connection under way: QEMU's restricted user networking refuses it (or says nothing) */
    u = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    to = addr(0x0a000202, 7101);
    CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == EINPROGRESS);
    struct pollfd q = { .fd = u, .events = POLLOUT };
    int r = poll(&q, 1, 5000);
    if (r == 1) {
        int e = 0;
        socklen_t el = sizeof e;
        CHECK(q.revents & (POLLERR | POLLHUP));
        CHECK(getsockopt(u, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == ECONNREFUSED);
        CHECK(send(u, "x", 1, MSG_NOSIGNAL) == -1);
        close(u);
        u = socket(AF_INET, SOCK_STREAM, 0);      /* a blocking connect waits for the answer */
        CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == ECONNREFUSED);
    } else {
        CHECK(r == 0);
        CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == -1 && errno == EALREADY);
    }
    close(u);
    close(s);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && !strcmp(argv[1], "nogrant")) {
        CHECK(socket(AF_INET, SOCK_DGRAM, 0) == -1 && errno == EACCES);
        CHECK(socket(AF_INET, SOCK_STREAM, 0) == -1 && errno == EACCES);
        return done("net");
    }
    if (argc > 1 && !strcmp(argv[1], "udponly")) {
        CHECK(socket(AF_INET, SOCK_STREAM, 0) == -1 && errno == EACCES);   /* no tcp: ports */
        echo_between_processes();
        return done("net");
    }
    echo_between_processes();
    connected_sockets();
    blocked_reader_is_woken();
    options_timeouts_and_flags();
    ports_outside_the_grant();
    tcp_basics();
    return done("net");
}
