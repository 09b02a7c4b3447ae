#define _GNU_SOURCE
/*
 * unix.c — socket(AF_UNIX) inside one container: a stream server and a
 * client in another process (bind, listen, accept, connect, a request and
 * an answer, shutdown), names relative to the working directory and
 * abstract ones, the listener's backlog, epoll over a listener and a
 * connection, datagrams between named and unnamed sockets, and the errors
 * for names nobody bound, the wrong socket type and a name in use;
 * socketpairs: datagrams kept whole, MSG_DONTWAIT, sendmmsg and recvmmsg,
 * and a sendmmsg on a stream pair that fills up part way through a message;
 * a bound path seen by stat, access, chmod, open and unlink.
 * Checks itself (and passes on Linux too, run in a scratch directory).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static socklen_t name(struct sockaddr_un *a, const char *path, bool abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    memcpy(a->sun_path + (abstract ? 1 : 0), path, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 0) + (abstract ? 0 : 1));
}

static int listener(const char *path, bool abstract, int backlog)
{
    struct sockaddr_un a;
    socklen_t len = name(&a, path, abstract);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (!abstract)
        unlink(path);
    if (s < 0 || bind(s, (struct sockaddr *)&a, len) || listen(s, backlog)) {
        printf("listening on %s: %s\n", path, strerror(errno));
        return -1;
    }
    return s;
}

static int connected(const char *path, bool abstract, int flags)
{
    struct sockaddr_un a;
    socklen_t len = name(&a, path, abstract);
    int s = socket(AF_UNIX, SOCK_STREAM | flags, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, len))
        return -1;
    return s;
}

/* A server answers one request from a client in another process. */
static void stream_between_processes(void)
{
    int l = listener("srv.sock", false, 4);
    CHECK(l >= 0);
    struct sockaddr_un me;
    socklen_t ml = sizeof me;
    CHECK(getsockname(l, (struct sockaddr *)&me, &ml) == 0 && me.sun_family == AF_UNIX);
    CHECK(strstr(me.sun_path, "srv.sock") != NULL);
    pid_t c = fork();
    if (c == 0) {
        int s = connected("srv.sock", false, 0);
        char buf[16];
        if (s < 0 || write(s, "ping", 4) != 4 || read(s, buf, sizeof buf) != 4 || memcmp(buf, "pong", 4))
            _exit(1);
        if (shutdown(s, SHUT_WR) || read(s, buf, sizeof buf) != 0)   /* the server closes after our end */
            _exit(2);
        _exit(0);
    }
    struct sockaddr_un peer;
    socklen_t pl = sizeof peer;
    int a = accept(l, (struct sockaddr *)&peer, &pl);
    CHECK(a >= 0);
    CHECK(pl == sizeof(sa_family_t) && peer.sun_family == AF_UNIX);   /* the client has no name */
    char buf[16];
    CHECK(read(a, buf, sizeof buf) == 4 && !memcmp(buf, "ping", 4));
    CHECK(send(a, "pong", 4, 0) == 4);
    CHECK(read(a, buf, sizeof buf) == 0);                /* its shutdown(SHUT_WR) */
    close(a);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (WIFEXITED(st) && WEXITSTATUS(st))
        printf("the client ended with %d\n", WEXITSTATUS(st));
    int type = 0;
    socklen_t tl = sizeof type;
    CHECK(getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM);
    close(l);
    unlink("srv.sock");
}

/* A full queue refuses a non-blocking connect; accept takes them in
 * order; epoll sees the listener and the connections. */
static void backlog_and_epoll(void)
{
    int l = listener("\x01" "aerie-test", true, 1), ep = epoll_create1(0);
    CHECK(l >= 0 && ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0);
    CHECK(accept(l, NULL, NULL) == -1 && errno == EAGAIN);
    int c1 = connected("\x01" "aerie-test", true, SOCK_NONBLOCK);
    int c2 = connected("\x01" "aerie-test", true, SOCK_NONBLOCK);
    CHECK(c1 >= 0 && c2 >= 0);                           /* Linux queues backlog + 1 */
    CHECK(connected("\x01" "aerie-test", true, SOCK_NONBLOCK) == -1 && errno == EAGAIN);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u32 == 1);
    CHECK(write(c1, "one", 3) == 3 && write(c2, "two", 3) == 3);
    int a1 = accept4(l, NULL, NULL, SOCK_CLOEXEC), a2 = accept(l, NULL, NULL);
    CHECK(a1 >= 0 && a2 >= 0 && fcntl(a1, F_GETFD) == FD_CLOEXEC);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);               /* the queue is empty again */
    char buf[8];
    CHECK(read(a1, buf, sizeof buf) == 3 && !memcmp(buf, "one", 3));
    CHECK(read(a2, buf, sizeof buf) == 3 && !memcmp(buf, "two", 3));
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 2 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a1, &ev) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
    CHECK(write(c1, "x", 1) == 1);
    CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u32 == 2 && (ev.events & EPOLLIN));
    close(c1);
    CHECK(read(a1, buf, sizeof buf) == 1 && read(a1, buf, sizeof buf) == 0);
    signal(SIGPIPE, SIG_DFL);                             /* MSG_NOSIGNAL: no SIGPIPE to die of */
    CHECK(send(a1, "y", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
    signal(SIGPIPE, SIG_IGN);
    close(a1);
    close(a2);
    close(c2);
    close(l);
    close(ep);
}

/* Datagrams carry their sender's name (none for an unnamed socket). */
static void datagrams(void)
{
    struct sockaddr_un sa, ca, from;
    socklen_t sl = name(&sa, "dsrv.sock", false), cl = name(&ca, "dcli.sock", false), fl;
    unlink("dsrv.sock");
    unlink("dcli.sock");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(s >= 0 && c >= 0 && u >= 0);
    CHECK(bind(s, (struct sockaddr *)&sa, sl) == 0 && bind(c, (struct sockaddr *)&ca, cl) == 0);
    char buf[64];
    CHECK(recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    CHECK(sendto(c, "hello", 5, 0, (struct sockaddr *)&sa, sl) == 5);
    CHECK(sendto(c, "again", 5, 0, (struct sockaddr *)&sa, sl) == 5);
    fl = sizeof from;
    CHECK(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 5 && !memcmp(buf, "hello", 5));
    CHECK(fl > sizeof(sa_family_t) && strstr(from.sun_path, "dcli.sock") != NULL);
    CHECK(sendto(s, "reply", 5, 0, (struct sockaddr *)&from, fl) == 5);
    CHECK(recv(c, buf, sizeof buf, 0) == 5 && !memcmp(buf, "reply", 5));
    /* boundaries are kept: a short read truncates one datagram, not two */
    CHECK(recv(s, buf, 2, MSG_PEEK) == 2 && !memcmp(buf, "ag", 2));
    CHECK(recv(s, buf, 2, 0) == 2);
    CHECK(recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    /* an unnamed sender, connected */
    CHECK(connect(u, (struct sockaddr *)&sa, sl) == 0);
    CHECK(send(u, "anon", 4, 0) == 4);
    fl = sizeof from;
    CHECK(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 4 && fl == 0);
    /* a child's datagram wakes a blocked reader */
    pid_t k = fork();
    if (k == 0) {
        usleep(50000);
        _exit(sendto(u, "late", 4, 0, NULL, 0) == 4 ? 0 : 1);
    }
    CHECK(recv(s, buf, sizeof buf, 0) == 4 && !memcmp(buf, "late", 4));
    int st;
    CHECK(waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(s);
    close(c);
    close(u);
    unlink("dsrv.sock");
    unlink("dcli.sock");
}

/* sendmmsg/recvmmsg (glibc's resolver sends its two queries with one
 * sendmmsg): several datagrams a call, each length written back; a
 * recvmmsg takes what is there once the first has come */
static void many_messages(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    char out[3][8] = { "one", "two22", "three" }, in[4][16];
    struct iovec oi[3], ii[4];
    struct mmsghdr om[3], im[4];
    memset(om, 0, sizeof om);
    memset(im, 0, sizeof im);
    for (int i = 0; i < 3; i++) {
        oi[i] = (struct iovec){ out[i], strlen(out[i]) };
        om[i].msg_hdr.msg_iov = &oi[i];
        om[i].msg_hdr.msg_iovlen = 1;
    }
    for (int i = 0; i < 4; i++) {
        ii[i] = (struct iovec){ in[i], sizeof in[i] };
        im[i].msg_hdr.msg_iov = &ii[i];
        im[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(sendmmsg(sv[0], om, 3, 0) == 3);
    CHECK(om[0].msg_len == 3 && om[1].msg_len == 5 && om[2].msg_len == 5);
    CHECK(recvmmsg(sv[1], im, 4, MSG_WAITFORONE, NULL) == 3);
    CHECK(im[0].msg_len == 3 && !memcmp(in[0], "one", 3));
    CHECK(im[1].msg_len == 5 && !memcmp(in[1], "two22", 5));
    CHECK(im[2].msg_len == 5 && !memcmp(in[2], "three", 5));
    CHECK(recvmmsg(sv[1], im, 4, MSG_DONTWAIT, NULL) == -1 && errno == EAGAIN);
    CHECK(sendmmsg(sv[0], om, 0, 0) == 0);
    /* the raw call: musl's sendmmsg reads the vector itself */
    CHECK(syscall(SYS_sendmmsg, sv[0], (struct mmsghdr *)8, 2, 0) == -1 && errno == EFAULT);
    /* a datagram pair keeps each datagram whole; its end gone, a send is refused */
    char buf[16];
    CHECK(send(sv[0], "ab", 2, 0) == 2 && send(sv[0], "cde", 3, 0) == 3);
    CHECK(recv(sv[1], buf, sizeof buf, 0) == 2 && recv(sv[1], buf, sizeof buf, 0) == 3 && !memcmp(buf, "cde", 3));
    CHECK(send(sv[1], "back", 4, 0) == 4 && read(sv[0], buf, sizeof buf) == 4 && !memcmp(buf, "back", 4));
    close(sv[1]);
    CHECK(send(sv[0], "x", 1, 0) == -1 && errno == ECONNREFUSED);
    close(sv[0]);
    /* MSG_DONTWAIT on a stream pair's empty end: EAGAIN, not a wait */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    CHECK(send(sv[0], "s", 1, MSG_DONTWAIT) == 1 && recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == 1);
    close(sv[0]);
    close(sv[1]);
}

/* sendmmsg on a stream pair whose second message fills the pair part
 * way through (a byte, then twice the pair's room): whatever the call
 * says it sent — its count and each message's length — is exactly what
 * the reader gets (SECURITY 77h: the part of the message that went in
 * was neither counted nor taken back, so a program sending the rest
 * again sent it twice). Linux waits for the reader and sends it all. */
static void stream_mmsg_fills_up(void)
{
    int sv[2], res[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(res) == 0);
    pid_t pid = fork();
    if (pid == 0) {                          /* the reader: every byte until the end */
        close(sv[0]);
        close(res[0]);
        static char rb[16384];
        long got = 0, n;
        usleep(100000);
        while ((n = read(sv[1], rb, sizeof rb)) > 0)
            got += n;
        if (write(res[1], &got, sizeof got) != sizeof got)
            _exit(1);
        _exit(0);
    }
    close(sv[1]);
    close(res[1]);
    static char big[128 << 10];
    memset(big, 'b', sizeof big);
    struct iovec io[2] = { { "a", 1 }, { big, sizeof big } };
    struct mmsghdr m[2];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; i++) {
        m[i].msg_hdr.msg_iov = &io[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(sv[0], m, 2, 0);
    long said = 0, got = -1;
    for (int i = 0; i < r; i++)
        said += m[i].msg_len;
    CHECK(r >= 1);
    close(sv[0]);
    CHECK(read(res[0], &got, sizeof got) == sizeof got);
    if (got != said)
        printf("sendmmsg said %d messages, %ld bytes; the reader got %ld\n", r, said, got);
    CHECK(got == said);
    close(res[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void errors(void)
{
    struct sockaddr_un a;
    socklen_t len = name(&a, "nobody.sock", false);
    unlink("nobody.sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0), d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(connect(s, (struct sockaddr *)&a, len) == -1 && errno == ENOENT);
    CHECK(sendto(d, "x", 1, 0, (struct sockaddr *)&a, len) == -1 && errno == ENOENT);
    CHECK(send(d, "x", 1, 0) == -1 && errno == ENOTCONN);
    CHECK(write(s, "x", 1) == -1 && errno == ENOTCONN);
    CHECK(accept(s, NULL, NULL) == -1 && errno == EINVAL);   /* not listening */
    /* a name taken; a stream socket not listening; the wrong type */
    struct sockaddr_un b;
    socklen_t bl = name(&b, "taken.sock", false);
    unlink("taken.sock");
    int t = socket(AF_UNIX, SOCK_STREAM, 0), t2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(t, (struct sockaddr *)&b, bl) == 0);
    CHECK(bind(t2, (struct sockaddr *)&b, bl) == -1 && errno == EADDRINUSE);
    CHECK(connect(s, (struct sockaddr *)&b, bl) == -1 && errno == ECONNREFUSED);
    CHECK(listen(t, 2) == 0);
    CHECK(connect(d, (struct sockaddr *)&b, bl) == -1 && errno == EPROTOTYPE);
    CHECK(bind(s, (struct sockaddr *)&a, 1) == -1 && errno == EINVAL);
    CHECK(bind(s, (struct sockaddr *)16, len) == -1 && errno == EFAULT);
    CHECK(socket(AF_UNIX, 7, 0) == -1 && errno == ESOCKTNOSUPPORT);
    CHECK(listen(d, 1) == -1 && errno == EOPNOTSUPP);
    close(t);
    close(t2);
    close(s);
    close(d);
    unlink("taken.sock");
    /* a closed and unlinked name can be bound again */
    t = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(t, (struct sockaddr *)&b, bl) == 0);
    close(t);
    unlink("taken.sock");
}

/* What programs do with a bound path: stat or access it to see it is
 * there, chmod it (Python's multiprocessing forkserver), unlink it when
 * done; the socket goes on after its path is gone, and the path may be
 * bound again. */
static void bound_paths(void)
{
    struct sockaddr_un a;
    socklen_t len = name(&a, "path.sock", false);
    unlink("path.sock");
    mode_t old = umask(022);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (struct sockaddr *)&a, len) == 0 && listen(l, 2) == 0);
    umask(old);
    struct stat st;
    CHECK(stat("path.sock", &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0755);
    CHECK(lstat("path.sock", &st) == 0 && S_ISSOCK(st.st_mode) && st.st_nlink == 1);
    CHECK(access("path.sock", F_OK) == 0);
    CHECK(chmod("path.sock", 0600) == 0 && stat("path.sock", &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(chown("path.sock", 0, 0) == 0);
    CHECK(open("path.sock", O_RDONLY) == -1 && errno == ENXIO);
    int c = connected("path.sock", false, 0);
    CHECK(c >= 0);
    int v = -1;                               /* what Python's socket(fileno=) asks */
    socklen_t vl = sizeof v;
    CHECK(getsockopt(l, SOL_SOCKET, SO_DOMAIN, &v, &vl) == 0 && v == AF_UNIX);
    CHECK(getsockopt(l, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == 0);
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1);
    CHECK(getsockopt(c, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0);
    CHECK(getsockopt(c, SOL_SOCKET, SO_DOMAIN, &v, &vl) == 0 && v == AF_UNIX);
    CHECK(unlink("path.sock") == 0);
    CHECK(stat("path.sock", &st) == -1 && errno == ENOENT);
    CHECK(connected("path.sock", false, 0) == -1 && errno == ENOENT);
    int s = accept(l, NULL, NULL);            /* what was queued before still comes */
    CHECK(s >= 0 && write(c, "k", 1) == 1);
    char ch = 0;
    CHECK(s >= 0 && read(s, &ch, 1) == 1 && ch == 'k');
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l2, (struct sockaddr *)&a, len) == 0 && listen(l2, 1) == 0);   /* the path is free */
    CHECK(stat("path.sock", &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0755);
    int c2 = connected("path.sock", false, 0), s2 = accept(l2, NULL, NULL);
    CHECK(c2 >= 0 && s2 >= 0);
    close(c2);
    close(s2);
    close(l2);
    close(c);
    close(s);
    close(l);
    unlink("path.sock");
}

/* Two containers (lxtest): "serve" listens on an abstract name and a path
 * and waits; "probe", in another container, must not reach either. */
static int isolation(const char *role)
{
    if (!strcmp(role, "serve")) {
        int a = listener("aerie-shared", true, 4), p = listener("/shared.sock", false, 4);
        printf("unix: serving %s\n", a >= 0 && p >= 0 ? "ready" : "failed");
        fflush(stdout);
        sleep(60);
        return 0;
    }
    CHECK(connected("aerie-shared", true, 0) == -1 && errno == ECONNREFUSED);
    CHECK(connected("/shared.sock", false, 0) == -1 && errno == ENOENT);
    struct stat st;
    CHECK(stat("/shared.sock", &st) == -1 && errno == ENOENT);
    CHECK(chmod("/shared.sock", 0600) == -1 && errno == ENOENT);
    int l = listener("aerie-shared", true, 1);             /* the name is free here */
    CHECK(l >= 0);
    return done("unix");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1)
        return isolation(argv[1]);
    stream_between_processes();
    backlog_and_epoll();
    datagrams();
    many_messages();
    stream_mmsg_fills_up();
    errors();
    bound_paths();
    return done("unix");
}
