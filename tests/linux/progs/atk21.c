#define _GNU_SOURCE
/*
 * atk21.c — attack21 on the calls lxcompat2 and realprogs added
 * (docs/SECURITY.md 78m-78s): POSIX timers that send nothing (SIGEV_NONE)
 * with signal numbers nobody checked, asked for their overruns while
 * signals are pending; timer and timerfd times too large to be times; a
 * 1 ns interval with its signal blocked;
 * O_PATH descriptors (of a file, a directory, a symbolic link) handed to
 * every call that works on a file's bytes, size, mode, offset, mappings
 * or locks; fds in flight to a process whose fd table is full (the rest
 * closed, nothing left counted); a control shorter than a header; pidfds
 * of reaped processes; close_range's bounds. Checks itself; passes on
 * Linux too (the checks of Aerie's own bounds run only there). It
 * changes files only in a directory of its own it makes under /tmp.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static bool aerie;

/* timer_create as the kernel has it (the C library's keeps its own ids). */
static int raw_create(clockid_t clk, struct sigevent *ev, int *id)
{
    return (int)syscall(SYS_timer_create, clk, ev, id);
}

/* ---- POSIX timers ---- */

/* A SIGEV_NONE timer's signal number is never checked (Linux's
 * good_sigevent), so any int comes in; timer_getoverrun must not read a
 * pending bit or a siginfo slot by it. Signals 1, 40, 63 and 64 (the
 * bits wild numbers land on) are pending and blocked meanwhile. */
static void sigev_none_wild_signo(void)
{
    int wild[] = { 0, -1, INT_MIN, INT_MAX, 65, 1000, -1000000 };
    int pend[] = { SIGHUP, 40, 63, 64 };
    sigset_t all, old;
    sigfillset(&all);
    CHECK(sigprocmask(SIG_BLOCK, &all, &old) == 0);
    for (unsigned i = 0; i < sizeof pend / sizeof pend[0]; i++)
        CHECK(kill(getpid(), pend[i]) == 0);
    int ids[8];
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof wild / sizeof wild[0]; i++) {
        struct sigevent ev = { .sigev_notify = SIGEV_NONE, .sigev_signo = wild[i] };
        int id = -1;
        CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
        if (id < 0)
            continue;
        ids[n++] = id;
        struct itimerspec its = { .it_value = { 0, 1 }, .it_interval = { 0, 100000 } }, cur;
        CHECK(syscall(SYS_timer_getoverrun, id) == 0);
        CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0);
        CHECK(syscall(SYS_timer_getoverrun, id) >= 0);
        CHECK(syscall(SYS_timer_gettime, id, &cur) == 0);
    }
    struct timespec ms5 = { 0, 5000000 };
    nanosleep(&ms5, NULL);
    for (unsigned i = 0; i < n; i++) {
        CHECK(syscall(SYS_timer_getoverrun, ids[i]) >= 0);
        CHECK(syscall(SYS_timer_delete, ids[i]) == 0);
    }
    /* take the pending signals back, then unblock */
    struct timespec zero = { 0, 0 };
    sigset_t p;
    sigemptyset(&p);
    for (unsigned i = 0; i < sizeof pend / sizeof pend[0]; i++)
        sigaddset(&p, pend[i]);
    int got = 0;
    while (sigtimedwait(&p, NULL, &zero) > 0)
        got++;
    CHECK(got == 4);
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

/* A timer of 1 ns intervals whose signal is blocked: its expirations are
 * counted as overruns of the one pending signal while the process
 * sleeps (and the personality's loop is not kept from ever waiting). */
static void tiny_interval_blocked(void)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &s, &old) == 0);
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
    int id;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec its = { .it_value = { 0, 1 }, .it_interval = { 0, 1 } };
    CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0);
    struct timespec ms30 = { 0, 30000000 }, zero = { 0, 0 };
    CHECK(nanosleep(&ms30, NULL) == 0);
    siginfo_t si;
    CHECK(sigtimedwait(&s, &si, &zero) == SIGUSR2);
    CHECK(si.si_code == SI_TIMER && si.si_overrun > 1000);
    CHECK(syscall(SYS_timer_delete, id) == 0);
    while (sigtimedwait(&s, &si, &zero) > 0)
        ;
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

static volatile sig_atomic_t usr1s;
static void on_usr1(int s)
{
    (void)s;
    usr1s++;
}

/* Times too large to be times are "never" (Linux takes any valid
 * timespec): a timer and a timerfd armed for INT64_MAX seconds (relative
 * and absolute), with an interval as large, say so and do not fire. */
static void huge_times(void)
{
    signal(SIGUSR1, on_usr1);
    usr1s = 0;
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
    int id;
    CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec big = { .it_value = { INT64_MAX, 999999999 }, .it_interval = { INT64_MAX, 999999999 } }, cur;
    CHECK(syscall(SYS_timer_settime, id, 0, &big, NULL) == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0);
    CHECK(cur.it_value.tv_sec > 200ll * 365 * 86400 && cur.it_interval.tv_sec > 200ll * 365 * 86400);
    CHECK(syscall(SYS_timer_settime, id, TIMER_ABSTIME, &big, NULL) == 0);
    CHECK(syscall(SYS_timer_gettime, id, &cur) == 0);
    CHECK(cur.it_value.tv_sec > 200ll * 365 * 86400);
    int rt;
    CHECK(raw_create(CLOCK_REALTIME, &ev, &rt) == 0);
    CHECK(syscall(SYS_timer_settime, rt, TIMER_ABSTIME, &big, NULL) == 0);
    CHECK(syscall(SYS_timer_gettime, rt, &cur) == 0);
    CHECK(cur.it_value.tv_sec > 100ll * 365 * 86400);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    CHECK(tfd >= 0);
    CHECK(timerfd_settime(tfd, 0, &big, NULL) == 0);
    CHECK(timerfd_gettime(tfd, &cur) == 0);
    CHECK(cur.it_value.tv_sec > 200ll * 365 * 86400 && cur.it_interval.tv_sec > 200ll * 365 * 86400);
    struct timespec ms20 = { 0, 20000000 };
    nanosleep(&ms20, NULL);
    uint64_t ticks;
    errno = 0;
    CHECK(read(tfd, &ticks, sizeof ticks) == -1 && errno == EAGAIN);
    CHECK(usr1s == 0);
    /* still refused: a negative time, nanoseconds out of range */
    struct itimerspec neg = { .it_value = { -1, 0 } }, ns = { .it_value = { 1, 1000000000 } };
    errno = 0;
    CHECK(syscall(SYS_timer_settime, id, 0, &neg, NULL) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(timerfd_settime(tfd, 0, &ns, NULL) == -1 && errno == EINVAL);
    CHECK(syscall(SYS_timer_delete, id) == 0);
    CHECK(syscall(SYS_timer_delete, rt) == 0);
    close(tfd);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- O_PATH ---- */

/* Every call that works on the file itself refuses an O_PATH fd (EBADF)
 * and leaves the file as it was. */
static void o_path_refused(int fd, const char *what, bool reg)
{
    int p[2];
    CHECK(pipe(p) == 0);
    errno = 0;
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m == MAP_FAILED && errno == EBADF);
    if (m != MAP_FAILED) {
        printf("  %s: mmap of an O_PATH fd mapped it\n", what);
        munmap(m, 4096);
    }
    errno = 0;
    CHECK(sendfile(p[1], fd, NULL, 16) == -1 && errno == EBADF);
    errno = 0;
    CHECK(splice(fd, NULL, p[1], NULL, 16, SPLICE_F_NONBLOCK) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_copy_file_range, fd, NULL, p[1], NULL, 16, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_fchmod, fd, 0600) == -1 && errno == EBADF);     /* (musl's fchmod goes on by path) */
    errno = 0;
    CHECK(syscall(SYS_fchown, fd, 0, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(ftruncate(fd, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_fallocate, fd, 0, 0, 8192) == -1 && errno == EBADF);
    errno = 0;
    CHECK(lseek(fd, 0, SEEK_SET) == -1 && errno == EBADF);
    int k;
    errno = 0;
    CHECK(ioctl(fd, FIONREAD, &k) == -1 && errno == EBADF);
    errno = 0;
    CHECK(ioctl(fd, FIOCLEX) == -1 && errno == EBADF);
    errno = 0;
    CHECK(fsync(fd) == -1 && errno == EBADF);
    errno = 0;
    CHECK(fdatasync(fd) == -1 && errno == EBADF);
    errno = 0;
    CHECK(flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_fadvise64, fd, 0, 0, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == -1 && errno == EBADF);
    struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
    errno = 0;
    CHECK(fcntl(fd, F_SETLK, &lk) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_utimensat, fd, NULL, NULL, 0) == -1 && errno == EBADF);
    char b[8];
    errno = 0;
    CHECK(read(fd, b, sizeof b) == -1 && errno == EBADF);
    errno = 0;
    CHECK(write(fd, "x", 1) == -1 && errno == EBADF);
    int ep = epoll_create1(0);
    struct epoll_event e = { .events = EPOLLIN };
    errno = 0;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == -1 && errno == EBADF);
    close(ep);
    /* what an O_PATH fd is for still works */
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK(!reg || S_ISREG(st.st_mode));
    struct statfs sf;
    CHECK(fstatfs(fd, &sf) == 0);
    CHECK(fcntl(fd, F_GETFL) & O_PATH);
    CHECK(fcntl(fd, F_GETFD) >= 0);
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0);
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    CHECK(d >= 0);
    close(d);
    close(p[0]);
    close(p[1]);
    (void)what;
}

static char scratch[64];

static void o_path(void)
{
    if (mkdir("/tmp", 01777) && errno != EEXIST)         /* (an image may have none) */
        CHECK(0);
    snprintf(scratch, sizeof scratch, "/tmp/atk21.XXXXXX");
    CHECK(mkdtemp(scratch) != NULL);
    char f[96], dir[96], l[96];
    snprintf(f, sizeof f, "%s/f", scratch);
    snprintf(dir, sizeof dir, "%s/d", scratch);
    snprintf(l, sizeof l, "%s/l", scratch);
    int w = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(w >= 0 && write(w, "0123456789abcdef", 16) == 16);
    close(w);
    CHECK(mkdir(dir, 0755) == 0);
    CHECK(symlink("f", l) == 0);

    int fo = open(f, O_PATH);
    CHECK(fo >= 0);
    o_path_refused(fo, "file", true);
    int lo = open(l, O_PATH | O_NOFOLLOW);
    CHECK(lo >= 0);
    o_path_refused(lo, "link", false);
    struct stat st;
    CHECK(fstat(lo, &st) == 0 && S_ISLNK(st.st_mode));
    int dfd = open(dir, O_PATH | O_DIRECTORY);
    CHECK(dfd >= 0);
    char buf[512];
    errno = 0;
    CHECK(syscall(SYS_getdents64, dfd, buf, sizeof buf) == -1 && errno == EBADF);
    /* the file is as it was: its bytes, size and mode */
    CHECK(stat(f, &st) == 0 && st.st_size == 16 && (st.st_mode & 07777) == 0644);
    /* a link's fd is no directory: not a base for names, not a cwd */
    errno = 0;
    CHECK(openat(lo, "x", O_RDONLY) == -1 && errno == ENOTDIR);
    errno = 0;
    CHECK(fchdir(lo) == -1 && errno == ENOTDIR);
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(fchdir(dfd) == 0);                     /* an O_PATH directory is a cwd */
    char here[256];
    CHECK(getcwd(here, sizeof here) != NULL && !strcmp(here, dir));
    CHECK(chdir(cwd) == 0);
    /* the link's fd passes over a socket and stays what it is there */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { "p", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &lo, sizeof lo);
    CHECK(sendmsg(sv[0], &m, 0) == 1);
    memset(&u, 0, sizeof u);
    char one;
    struct iovec riov = { &one, 1 };
    struct msghdr r = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
    CHECK(recvmsg(sv[1], &r, 0) == 1);
    c = CMSG_FIRSTHDR(&r);
    int got = -1;
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(&got, CMSG_DATA(c), sizeof got);
    CHECK(got >= 0 && fstat(got, &st) == 0 && S_ISLNK(st.st_mode));
    if (got >= 0) {
        errno = 0;
        CHECK(read(got, buf, 4) == -1 && errno == EBADF);
        errno = 0;
        CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, got, 0) == MAP_FAILED && errno == EBADF);
        close(got);
    }
    close(sv[0]);
    close(sv[1]);
    close(fo);
    close(lo);
    close(dfd);
    /* a read-only fd is not written by sendfile, a write-only one not read */
    int ro = open(f, O_RDONLY), wo = open(f, O_WRONLY | O_APPEND), src = open(f, O_RDONLY);
    CHECK(ro >= 0 && wo >= 0 && src >= 0);
    errno = 0;
    CHECK(sendfile(ro, src, NULL, 4) == -1 && errno == EBADF);
    errno = 0;
    CHECK(sendfile(ro, wo, NULL, 4) == -1 && errno == EBADF);
    CHECK(stat(f, &st) == 0 && st.st_size == 16);
    close(ro);
    close(wo);
    close(src);
    unlink(l);
    unlink(f);
    rmdir(dir);
    rmdir(scratch);
}

/* ---- SCM_RIGHTS ---- */

static ssize_t send_fds(int s, const int *fds, int nfd)
{
    union { char buf[CMSG_SPACE(sizeof(int) * 253)]; struct cmsghdr align; } u;
    struct iovec iov = { "m", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    memset(&u, 0, sizeof u);
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
    return syscall(SYS_sendmsg, s, &m, MSG_DONTWAIT);
}

/* Fds sent to a process whose table is nearly full: those that fit are
 * installed, MSG_CTRUNC, the rest closed (a pipe's writers all gone:
 * its reader sees the end); afterwards the container's whole bound of
 * fds in flight can be sent again: nothing is left counted. */
static void full_table(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    int many[40];
    for (int i = 0; i < 40; i++)
        many[i] = p[1];
    CHECK(send_fds(sv[0], many, 40) == 1);
    close(p[1]);
    pid_t c = fork();
    if (c == 0) {
        /* a table of 64 filled, then room for exactly 3 */
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = 64;
        if (setrlimit(RLIMIT_NOFILE, &rl))
            _exit(10);
        int last[3] = { -1, -1, -1 }, d;
        while ((d = dup(0)) >= 0) {
            last[0] = last[1];
            last[1] = last[2];
            last[2] = d;
        }
        if (errno != EMFILE || last[0] < 0)
            _exit(14);
        for (int i = 0; i < 3; i++)
            close(last[i]);
        union { char buf[CMSG_SPACE(sizeof(int) * 40)]; struct cmsghdr align; } u;
        char one;
        struct iovec iov = { &one, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
        if (recvmsg(sv[1], &m, 0) != 1)
            _exit(11);
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        int n = h ? (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int)) : 0;
        if (!(m.msg_flags & MSG_CTRUNC))
            _exit(12);
        if (n != 3)
            _exit(13);
        int fds[40];
        memcpy(fds, CMSG_DATA(h), sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            close(fds[i]);
        _exit(0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        printf("  full_table: the child ended with status %#x\n", st);
    close(sv[0]);
    close(sv[1]);
    close(p[1]);
    /* every write end is closed: the received ones by the child, the
     * rest by the personality when they did not fit */
    char x;
    CHECK(read(p[0], &x, 1) == 0);
    close(p[0]);
    if (aerie) {
        /* the container's 4,096 fds in flight, all of them, again */
        CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
        int z[253];
        for (int i = 0; i < 253; i++)
            z[i] = 0;
        int sent = 0;
        while (sent < 16 && send_fds(sv[0], z, 253) == 1)
            sent++;
        CHECK(sent == 16);
        close(sv[0]);
        close(sv[1]);
    }
}

/* The kernel's msghdr (musl's has 32-bit lengths with padding). */
struct kmsghdr {
    void *name;
    uint64_t namelen;
    struct iovec *iov;
    uint64_t iovlen;
    void *control;
    uint64_t controllen;
    int32_t flags;
};

/* A control shorter than a header holds no message (Linux's
 * CMSG_FIRSTHDR is NULL): the data goes, nothing else; a cmsg_len whose
 * top bit is set is EINVAL; a control of 2^62 bytes ENOBUFS. */
static void short_and_lying_controls(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    uint64_t u[8] = { 0 };
    struct iovec iov = { "s", 1 };
    struct kmsghdr m = { .iov = &iov, .iovlen = 1, .control = u, .controllen = 8 };
    CHECK(syscall(SYS_sendmsg, sv[0], &m, 0) == 1);
    char b[4];
    CHECK(recv(sv[1], b, sizeof b, MSG_DONTWAIT) == 1);
    u[0] = 1ull << 63;                                   /* cmsg_len */
    u[1] = (uint64_t)SCM_RIGHTS << 32 | SOL_SOCKET;      /* level, type */
    m.controllen = 32;
    errno = 0;
    CHECK(syscall(SYS_sendmsg, sv[0], &m, 0) == -1 && errno == EINVAL);
    u[0] = CMSG_LEN(4);
    m.controllen = 1ull << 62;
    errno = 0;
    CHECK(syscall(SYS_sendmsg, sv[0], &m, 0) == -1 && errno == ENOBUFS);
    errno = 0;
    CHECK(recv(sv[1], b, sizeof b, MSG_DONTWAIT) == -1 && errno == EAGAIN);
    close(sv[0]);
    close(sv[1]);
}

/* ---- pidfds, close_range ---- */

static void pidfd_of_reaped(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    CHECK(pfd >= 0);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
    errno = 0;
    CHECK(syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == -1 && errno == ESRCH);
    siginfo_t si;
    errno = 0;
    CHECK(waitid(P_PIDFD, (id_t)pfd, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD);
    /* its pid is nobody's now */
    errno = 0;
    CHECK(syscall(SYS_pidfd_open, c, 0) == -1 && errno == ESRCH);
    close(pfd);
    /* many pidfds of one process, all closed: nothing held */
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    int fds[64], n = 0;
    for (; n < 64; n++)
        if ((fds[n] = (int)syscall(SYS_pidfd_open, c, 0)) < 0)
            break;
    CHECK(n == 64);
    CHECK(syscall(SYS_pidfd_send_signal, fds[n - 1], SIGKILL, NULL, 0) == 0);
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void close_range_bounds(void)
{
    errno = 0;
    CHECK(syscall(SYS_close_range, 10u, 5u, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_close_range, 3u, ~0u, 1u) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_close_range, 3u, ~0u, 1u << 31) == -1 && errno == EINVAL);
    int d = dup(1);
    CHECK(d >= 3);
    CHECK(syscall(SYS_close_range, (unsigned)d, (unsigned)d, 4u) == 0);   /* CLOEXEC */
    CHECK(fcntl(d, F_GETFD) == FD_CLOEXEC);
    CHECK(syscall(SYS_close_range, (unsigned)d, ~0u, 0) == 0);
    errno = 0;
    CHECK(fcntl(d, F_GETFD) == -1 && errno == EBADF);
    CHECK(syscall(SYS_close_range, ~0u, ~0u, 0) == 0);                    /* nothing there */
    CHECK(fcntl(1, F_GETFD) >= 0);
}

int main(void)
{
    struct utsname un;
    size_t n;
    aerie = !uname(&un) && (n = strlen(un.release)) >= 6 && !strcmp(un.release + n - 6, "-aerie");
    sigev_none_wild_signo();
    huge_times();
    tiny_interval_blocked();
    o_path();
    full_table();
    short_and_lying_controls();
    pidfd_of_reaped();
    close_range_bounds();
    return done("atk21");
}
