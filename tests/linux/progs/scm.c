#define _GNU_SOURCE
/*
 * scm.c — file descriptors passed over AF_UNIX sockets (SCM_RIGHTS), as
 * nginx's master hands its workers their channels: over a stream
 * socketpair to a child process, over datagrams by name (and MSG_PEEK),
 * each message's fds with its own bytes, MSG_CMSG_CLOEXEC, a control too
 * short (MSG_CTRUNC, the rest closed), fds closed when read(2) takes
 * their message or nobody ever receives it, SCM_CREDENTIALS; and the
 * attacks: fds that are not ours (another process's numbers), 254 fds in
 * one message, broken headers, a huge control, and the container's bound
 * on fds in flight. Checks itself; passes on Linux too (the checks of
 * Aerie's own bounds run only there).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static bool aerie;

/* Sends n bytes of data with the fds fds[0..nfd) in one SCM_RIGHTS. */
static ssize_t send_fds(int s, const void *data, size_t n, const int *fds, int nfd, int flags)
{
    union { char buf[CMSG_SPACE(sizeof(int) * 256)]; struct cmsghdr align; } u;
    struct iovec iov = { (void *)data, n };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfd) {
        memset(&u, 0, sizeof u);
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
    }
    return syscall(SYS_sendmsg, s, &m, flags);       /* musl's sendmsg refuses controls past 1 KiB */
}

/* Receives into buf with room for `room` fds; the fds land in fds, their
 * count in *nfd, the msghdr's flags in *mflags. */
static ssize_t recv_fds(int s, void *buf, size_t n, int *fds, int room, int *nfd, int *mflags, int flags)
{
    union { char buf[CMSG_SPACE(sizeof(int) * 256)]; struct cmsghdr align; } u;
    struct iovec iov = { buf, n };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    memset(&u, 0, sizeof u);
    m.msg_control = room >= 0 ? u.buf : NULL;
    m.msg_controllen = room > 0 ? CMSG_LEN(sizeof(int) * room) : 0;     /* room for exactly `room` */
    ssize_t r = recvmsg(s, &m, flags);
    *nfd = 0;
    *mflags = m.msg_flags;
    if (r < 0)
        return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds + *nfd, CMSG_DATA(c), sizeof(int) * k);
            *nfd += k;
        }
    return r;
}

static bool same_file(int a, int b)
{
    struct stat x, y;
    return !fstat(a, &x) && !fstat(b, &y) && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* A pipe's write end passed to a child over a stream socketpair: the
 * child writes through it and the parent reads what it wrote. */
static void to_a_child(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    if (c == 0) {
        close(sv[0]);
        close(p[0]);
        close(p[1]);
        char b[8];
        int fds[4], n, fl;
        ssize_t r = recv_fds(sv[1], b, sizeof b, fds, 4, &n, &fl, 0);
        if (r != 3 || memcmp(b, "fd!", 3) || n != 1)
            _exit(10);
        if (write(fds[0], "from the child", 14) != 14)
            _exit(11);
        _exit(0);
    }
    close(sv[1]);
    CHECK(send_fds(sv[0], "fd!", 3, &p[1], 1, 0) == 3);
    close(p[1]);
    char b[32] = { 0 };
    CHECK(read(p[0], b, sizeof b) == 14);
    CHECK(!strcmp(b, "from the child"));
    CHECK(read(p[0], b, sizeof b) == 0);               /* the child's copy was the last writer */
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p[0]);
    close(sv[0]);
}

/* Each message's fds come with its own bytes; MSG_CMSG_CLOEXEC. */
static void in_order(void)
{
    int sv[2], a[2], b[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    CHECK(send_fds(sv[0], "A", 1, &a[0], 1, 0) == 1);
    CHECK(send_fds(sv[0], "B", 1, &b[0], 1, 0) == 1);
    char buf[16];
    int fds[4], n, fl;
    CHECK(recv_fds(sv[1], buf, sizeof buf, fds, 4, &n, &fl, MSG_CMSG_CLOEXEC) == 1 && buf[0] == 'A');
    CHECK(n == 1 && same_file(fds[0], a[0]) && fds[0] != a[0]);
    CHECK(n == 1 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC));
    if (n == 1)
        close(fds[0]);
    CHECK(recv_fds(sv[1], buf, sizeof buf, fds, 4, &n, &fl, 0) == 1 && buf[0] == 'B');
    CHECK(n == 1 && same_file(fds[0], b[0]));
    CHECK(n == 1 && !(fcntl(fds[0], F_GETFD) & FD_CLOEXEC));
    CHECK(!(fl & MSG_CTRUNC));
    if (n == 1)
        close(fds[0]);
    /* plain data after them carries none */
    CHECK(write(sv[0], "C", 1) == 1);
    CHECK(recv_fds(sv[1], buf, sizeof buf, fds, 4, &n, &fl, 0) == 1 && buf[0] == 'C' && n == 0);
    close(a[0]); close(a[1]); close(b[0]); close(b[1]);
    close(sv[0]);
    close(sv[1]);
}

/* A write end in flight is closed when nobody takes it: a control too
 * short, read(2), or the socket closed with it unread. The pipe's reader
 * then sees the end of the file. */
static void closed_when_not_received(void)
{
    for (int how = 0; how < 3; how++) {
        int sv[2], p[2];
        CHECK(socketpair(AF_UNIX, how == 2 ? SOCK_DGRAM : SOCK_STREAM, 0, sv) == 0);
        CHECK(pipe(p) == 0);
        int three[3] = { p[1], p[1], 0 };
        CHECK(send_fds(sv[0], "x", 1, three, 3, 0) == 1);
        close(p[1]);
        char buf[8];
        int fds[4], n, fl;
        if (how == 0) {                                 /* room for one: the rest closed */
            CHECK(recv_fds(sv[1], buf, sizeof buf, fds, 1, &n, &fl, 0) == 1);
            CHECK(n == 1 && (fl & MSG_CTRUNC));
            CHECK(n == 1 && same_file(fds[0], three[0]));
            char c;
            if (n == 1) {
                CHECK(write(fds[0], "k", 1) == 1);
                CHECK(read(p[0], &c, 1) == 1 && c == 'k');
                close(fds[0]);
            }
        } else if (how == 1) {
            CHECK(read(sv[1], buf, sizeof buf) == 1);   /* read(2) takes no fds */
        }
        close(sv[0]);
        close(sv[1]);
        CHECK(read(p[0], buf, 1) == 0);                 /* no writer left anywhere */
        close(p[0]);
    }
    /* no control at all: MSG_CTRUNC */
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    CHECK(send_fds(sv[0], "y", 1, &p[1], 1, 0) == 1);
    close(p[1]);
    char buf[8];
    int fds[4], n, fl;
    CHECK(recv_fds(sv[1], buf, sizeof buf, fds, -1, &n, &fl, 0) == 1 && n == 0 && (fl & MSG_CTRUNC));
    CHECK(read(p[0], buf, 1) == 0);
    close(p[0]);
    close(sv[0]);
    close(sv[1]);
}

/* Datagrams by name, MSG_PEEK gives the fds too, and 253 fds at once. */
static void datagrams(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    memcpy(a.sun_path, "\0scm-test", 9);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 9);
    int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(r >= 0 && s >= 0 && bind(r, (struct sockaddr *)&a, alen) == 0);
    CHECK(connect(s, (struct sockaddr *)&a, alen) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(send_fds(s, "d", 1, &p[0], 1, 0) == 1);
    char buf[8];
    int fds[256], n, fl;
    CHECK(recv_fds(r, buf, sizeof buf, fds, 4, &n, &fl, MSG_PEEK) == 1 && n == 1);
    int peeked = n == 1 ? fds[0] : -1;
    CHECK(recv_fds(r, buf, sizeof buf, fds, 4, &n, &fl, 0) == 1 && n == 1);
    CHECK(n == 1 && fds[0] != peeked && same_file(fds[0], p[0]) && same_file(peeked, p[0]));
    if (n == 1)
        close(fds[0]);
    close(peeked);
    /* SCM_MAX_FD: 253 of fd p[1] in one message, every one a new fd */
    int many[254];
    for (int i = 0; i < 254; i++)
        many[i] = p[1];
    CHECK(send_fds(s, "m", 1, many, 253, 0) == 1);
    CHECK(recv_fds(r, buf, sizeof buf, fds, 256, &n, &fl, 0) == 1 && n == 253 && !(fl & MSG_CTRUNC));
    bool all = n == 253;
    for (int i = 0; i < n; i++) {
        all = all && same_file(fds[i], p[1]) && (i == 0 || fds[i] != fds[i - 1]);
        close(fds[i]);
    }
    CHECK(all);
    errno = 0;
    CHECK(send_fds(s, "m", 1, many, 254, 0) == -1 && errno == EINVAL);
    close(p[0]);
    close(p[1]);
    close(r);
    close(s);
}

static ssize_t send_control(int s, void *ctl, size_t len)
{
    struct iovec iov = { "z", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = len };
    return syscall(SYS_sendmsg, s, &m, MSG_DONTWAIT);       /* musl's copies the control itself */
}

/* Attacks: numbers that are not open here (another process's), broken
 * headers, a huge control, a forged credential, and the bound on fds in
 * flight in the container. None leaves anything queued. */
static void attacks(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    /* a child holds fd 77; here 77 is not open */
    int gate[2];
    CHECK(pipe(gate) == 0);
    pid_t c = fork();
    if (c == 0) {
        dup2(gate[0], 77);
        char x;
        close(gate[1]);
        if (read(gate[0], &x, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(77);
    int bad[] = { 77, -1, 1 << 20, 2147483647 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(send_fds(sv[0], "b", 1, &bad[i], 1, 0) == -1 && errno == EBADF);
    }
    int mixed[2] = { 0, 77 };
    errno = 0;
    CHECK(send_fds(sv[0], "b", 1, mixed, 2, 0) == -1 && errno == EBADF);
    close(gate[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    close(gate[0]);

    union { char b[64]; struct cmsghdr align; } u;
    struct cmsghdr *h = (struct cmsghdr *)u.b;
    memset(&u, 0, sizeof u);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = 200;                                   /* past the control */
    errno = 0;
    CHECK(send_control(sv[0], u.b, 32) == -1 && errno == EINVAL);
    h->cmsg_len = 4;                                     /* shorter than its header */
    errno = 0;
    CHECK(send_control(sv[0], u.b, 32) == -1 && errno == EINVAL);
    h->cmsg_len = CMSG_LEN(4);
    h->cmsg_type = 77;                                   /* no such type */
    errno = 0;
    CHECK(send_control(sv[0], u.b, CMSG_SPACE(4)) == -1 && errno == EINVAL);
    h->cmsg_type = SCM_RIGHTS;
    errno = 0;
    CHECK(send_control(sv[0], (void *)8, CMSG_SPACE(4)) == -1 && errno == EFAULT);
    char *big = calloc(1, 1 << 20);
    struct cmsghdr *bh = (struct cmsghdr *)big;
    bh->cmsg_level = SOL_SOCKET;
    bh->cmsg_type = SCM_RIGHTS;
    bh->cmsg_len = (1 << 20);                            /* 262,140 fds of fd 0 */
    errno = 0;
    CHECK(send_control(sv[0], big, 1 << 20) == -1 && (errno == ENOBUFS || errno == EINVAL));
    free(big);
    /* a credential: our own pid passes; another pid is forged (root may
     * forge it on Linux, so that check is Aerie's) */
    struct ucred cr = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
    memset(&u, 0, sizeof u);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_CREDENTIALS;
    h->cmsg_len = CMSG_LEN(sizeof cr);
    memcpy(CMSG_DATA(h), &cr, sizeof cr);
    CHECK(send_control(sv[0], u.b, CMSG_SPACE(sizeof cr)) == 1);
    char buf[8];
    CHECK(recv(sv[1], buf, sizeof buf, 0) == 1);
    if (aerie) {
        cr.pid = getpid() + 1000;                        /* (we may be pid 1 ourselves) */
        memcpy(CMSG_DATA(h), &cr, sizeof cr);
        errno = 0;
        CHECK(send_control(sv[0], u.b, CMSG_SPACE(sizeof cr)) == -1 && errno == EPERM);
    }
    /* nothing was queued by any of them */
    errno = 0;
    CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);

    if (aerie) {
        /* the container's bound on fds in flight: 4,096 (16 messages of
         * 253); then ETOOMANYREFS, and closing the socket frees them */
        int many[253];
        for (int i = 0; i < 253; i++)
            many[i] = 0;
        int sent = 0;
        ssize_t r = 0;
        for (int i = 0; i < 40; i++) {
            errno = 0;
            if ((r = send_fds(sv[0], "f", 1, many, 253, MSG_DONTWAIT)) != 1)
                break;
            sent++;
        }
        CHECK(r == -1 && errno == ETOOMANYREFS);
        CHECK(sent == 4096 / 253);
        close(sv[1]);
        close(sv[0]);
        CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
        CHECK(send_fds(sv[0], "f", 1, many, 253, MSG_DONTWAIT) == 1);
    }
    close(sv[0]);
    close(sv[1]);
}

/* A socket sent over itself and closed: a cycle nobody can receive from
 * (Linux's garbage collector's case). Nothing breaks; the next sockets work. */
static void cycle(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(send_fds(sv[0], "c", 1, &sv[1], 1, 0) == 1);
    CHECK(send_fds(sv[1], "c", 1, &sv[0], 1, 0) == 1);
    close(sv[0]);
    close(sv[1]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "ok", 2) == 2);
    char b[4];
    CHECK(read(sv[1], b, sizeof b) == 2);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct utsname un;
    size_t n;
    aerie = !uname(&un) && (n = strlen(un.release)) >= 6 && !strcmp(un.release + n - 6, "-aerie");
    to_a_child();
    in_order();
    closed_when_not_received();
    datagrams();
    attacks();
    cycle();
    return done("scm");
}
