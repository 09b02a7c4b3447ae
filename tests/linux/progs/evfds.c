/*
 * evfds.c — the files event loops wake on (services/linux/eventfd.c,
 * sigfd.c, memfd.c): eventfd counting, semaphore mode, overflow, epoll
 * level and edge readiness written from another thread, sharing across
 * fork and dup; timerfd intervals, absolute times, blocking reads;
 * signalfd reading blocked signals (its own after fork, SIGCHLD of a
 * child) instead of delivering them; memfd written, truncated, mapped
 * shared across fork and private; mlock, tee. Checks itself; passes on
 * a Linux host too (it changes no files).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static uint64_t rd(int fd)
{
    uint64_t v = 0;
    return read(fd, &v, 8) == 8 ? v : ~0ull;
}

static int wr(int fd, uint64_t v)
{
    return write(fd, &v, 8) == 8 ? 0 : -1;
}

/* ---- eventfd ---- */

static void eventfd_counts(void)
{
    int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    uint32_t small;
    errno = 0;
    CHECK(read(fd, &small, 4) == -1 && errno == EINVAL);
    CHECK(write(fd, &small, 4) == -1 && errno == EINVAL);
    CHECK(rd(fd) == 3);
    errno = 0;
    CHECK(rd(fd) == ~0ull && errno == EAGAIN);
    errno = 0;
    CHECK(wr(fd, ~0ull) == -1 && errno == EINVAL);
    CHECK(wr(fd, 0xfffffffffffffffeull) == 0);
    errno = 0;
    CHECK(wr(fd, 1) == -1 && errno == EAGAIN);         /* would overflow */
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN);
    CHECK(rd(fd) == 0xfffffffffffffffeull);
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    CHECK(wr(fd, 0) == 0);                             /* adds nothing, wakes nobody */
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    close(fd);

    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(rd(fd) == 1 && rd(fd) == 1);
    errno = 0;
    CHECK(rd(fd) == ~0ull && errno == EAGAIN);
    CHECK(wr(fd, 5) == 0 && rd(fd) == 1);
    close(fd);
    errno = 0;
    CHECK(syscall(SYS_eventfd2, 0, 0x80) == -1 && errno == EINVAL);
    CHECK((fd = (int)syscall(SYS_eventfd, 7)) >= 0 && rd(fd) == 7);
    close(fd);
}

struct later {
    int fd;
    uint64_t v;
    long ms;
};

static void *write_later(void *arg)
{
    struct later *l = arg;
    sleep_ms(l->ms);
    wr(l->fd, l->v);
    return NULL;
}

static void eventfd_threads_and_epoll(void)
{
    int a = eventfd(0, 0), b = eventfd(0, EFD_NONBLOCK), ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(a >= 0 && b >= 0 && ep >= 0);
    /* a blocking read woken by a write of another thread */
    pthread_t th;
    struct later l = { a, 9, 50 };
    pthread_create(&th, NULL, write_later, &l);
    CHECK(rd(a) == 9);
    pthread_join(th, NULL);
    /* level-triggered: epoll_wait woken by the other thread's write */
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xA }, out[4];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev) == 0);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 0xB };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev) == 0);
    CHECK(epoll_wait(ep, out, 4, 0) == 0);
    l = (struct later){ a, 1, 50 };
    pthread_create(&th, NULL, write_later, &l);
    CHECK(epoll_wait(ep, out, 4, 5000) == 1 && out[0].data.u64 == 0xA && (out[0].events & EPOLLIN));
    pthread_join(th, NULL);
    CHECK(epoll_wait(ep, out, 4, 0) == 1);              /* level: still readable */
    CHECK(rd(a) == 1);
    CHECK(epoll_wait(ep, out, 4, 0) == 0);
    /* edge-triggered: reported once per write, not again until the next */
    l = (struct later){ b, 2, 30 };
    pthread_create(&th, NULL, write_later, &l);
    CHECK(epoll_wait(ep, out, 4, 5000) == 1 && out[0].data.u64 == 0xB);
    pthread_join(th, NULL);
    CHECK(epoll_wait(ep, out, 4, 0) == 0);
    CHECK(wr(b, 3) == 0);
    CHECK(epoll_wait(ep, out, 4, 1000) == 1 && out[0].data.u64 == 0xB);
    CHECK(rd(b) == 5);
    close(ep);

    /* shared by dup and by fork: the child's blocking read is woken by the parent */
    int d = dup(a);
    CHECK(wr(d, 4) == 0 && rd(a) == 4);
    close(d);
    pid_t kid = fork();
    if (kid == 0)
        _exit(rd(a) == 77 ? 0 : 1);
    sleep_ms(50);
    CHECK(wr(a, 77) == 0);
    int status = -1;
    CHECK(waitpid(kid, &status, 0) == kid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(a);
    close(b);
}

/* ---- timerfd ---- */

static void timerfd_times(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    errno = 0;
    CHECK(rd(fd) == ~0ull && errno == EAGAIN);          /* disarmed */
    uint32_t small;
    errno = 0;
    CHECK(read(fd, &small, 4) == -1 && errno == EINVAL);
    /* intervals: first at 50 ms, then every 20 ms; a blocking read waits for the first */
    struct itimerspec its = { { 0, 20000000 }, { 0, 50000000 } }, old;
    uint64_t t0 = now_ms();                              /* before arming: a loaded host may pause between */
    CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
    CHECK(fcntl(fd, F_SETFL, 0) == 0);
    uint64_t n = rd(fd);
    CHECK(n >= 1 && n != ~0ull);
    CHECK(now_ms() - t0 >= 49);
    sleep_ms(120);
    n = rd(fd);
    CHECK(n >= 4 && n != ~0ull);                        /* expirations counted while nobody read */
    CHECK(timerfd_gettime(fd, &old) == 0);
    CHECK(old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 20000000);
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 20000000);
    /* disarm: the old setting comes back */
    struct itimerspec zero = { { 0, 0 }, { 0, 0 } };
    CHECK(timerfd_settime(fd, 0, &zero, &old) == 0 && old.it_interval.tv_nsec == 20000000);
    CHECK(timerfd_gettime(fd, &old) == 0 && old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
    close(fd);

    /* absolute CLOCK_REALTIME, in epoll */
    fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 }, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    rt.tv_nsec += 30000000;
    if (rt.tv_nsec >= 1000000000) {
        rt.tv_sec++;
        rt.tv_nsec -= 1000000000;
    }
    its = (struct itimerspec){ { 0, 0 }, rt };
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
    CHECK(epoll_wait(ep, out, 2, 0) == 0);
    CHECK(epoll_wait(ep, out, 2, 5000) == 1 && out[0].data.u64 == 5);
    CHECK(rd(fd) == 1);
    CHECK(epoll_wait(ep, out, 2, 0) == 0);
    /* an absolute time already past expires at once */
    its = (struct itimerspec){ { 0, 0 }, { 1, 0 } };
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
    CHECK(rd(fd) == 1);
    close(ep);
    /* bad arguments */
    its = (struct itimerspec){ { 0, 0 }, { 0, 1000000000 } };
    errno = 0;
    CHECK(timerfd_settime(fd, 0, &its, NULL) == -1 && errno == EINVAL);
    its.it_value.tv_nsec = 1;
    errno = 0;
    CHECK(timerfd_settime(fd, 0x10, &its, NULL) == -1 && errno == EINVAL);
    close(fd);
    errno = 0;
    CHECK(timerfd_create(99, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(timerfd_create(CLOCK_MONOTONIC, 0x1) == -1 && errno == EINVAL);
    int e = eventfd(0, 0);
    errno = 0;
    CHECK(timerfd_settime(e, 0, &its, NULL) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(timerfd_gettime(-5, &its) == -1 && errno == EBADF);
    close(e);
}

/* ---- signalfd ---- */

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled++; }

static void signalfd_reads(void)
{
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, &oldset) == 0);
    signal(SIGUSR1, on_usr1);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0);
    struct signalfd_siginfo si;
    errno = 0;
    CHECK(read(fd, &si, sizeof si) == -1 && errno == EAGAIN);
    errno = 0;
    CHECK(read(fd, &si, 16) == -1 && errno == EINVAL);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHECK(si.ssi_signo == SIGUSR1 && si.ssi_code == SI_USER && si.ssi_pid == (uint32_t)getpid());
    CHECK(raise(SIGUSR2) == 0);                         /* tgkill (glibc) or tkill (musl): to the thread */
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHECK(si.ssi_signo == SIGUSR2 && si.ssi_code == SI_TKILL && si.ssi_pid == (uint32_t)getpid());
    CHECK(handled == 0);                                /* read, never delivered */
    /* two at once in one read, lowest number first */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo two[2];
    CHECK(read(fd, two, sizeof two) == sizeof two);
    CHECK(two[0].ssi_signo == SIGUSR1 && two[1].ssi_signo == SIGUSR2);

    /* in epoll */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    CHECK(epoll_wait(ep, out, 2, 0) == 0);
    kill(getpid(), SIGUSR2);
    CHECK(epoll_wait(ep, out, 2, 1000) == 1 && out[0].data.u64 == 7);
    CHECK(read(fd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2);
    close(ep);

    /* fork: the child's signalfd reads the child's own signals; the
     * parent reads its SIGCHLD with the child's exit status, blocking */
    pid_t kid = fork();
    if (kid == 0) {
        struct signalfd_siginfo c;
        kill(getpid(), SIGUSR1);
        int ok = read(fd, &c, sizeof c) == sizeof c && c.ssi_signo == SIGUSR1 && c.ssi_pid == (uint32_t)getpid();
        _exit(ok && !handled ? 5 : 6);
    }
    CHECK(fcntl(fd, F_SETFL, 0) == 0);
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHECK(si.ssi_signo == SIGCHLD && si.ssi_pid == (uint32_t)kid && si.ssi_code == CLD_EXITED);
    CHECK(si.ssi_status == 5);
    int status;
    CHECK(waitpid(kid, &status, 0) == kid && WIFEXITED(status) && WEXITSTATUS(status) == 5);
    /* the mask changed through the same fd */
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR2);
    CHECK(signalfd(fd, &only, SFD_NONBLOCK) == fd);
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    kill(getpid(), SIGUSR1);
    errno = 0;
    CHECK(read(fd, &si, sizeof si) == -1 && errno == EAGAIN);   /* SIGUSR1 is no longer its */
    /* bad arguments */
    errno = 0;
    CHECK(syscall(SYS_signalfd4, -1, &set, 4, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_signalfd4, -1, &set, 8, 0x1) == -1 && errno == EINVAL);
    int e = eventfd(0, 0);
    errno = 0;
    CHECK(signalfd(e, &set, 0) == -1 && errno == EINVAL);
    close(e);
    close(fd);
    CHECK(handled == 0);
    sigprocmask(SIG_SETMASK, &oldset, NULL);            /* the pending SIGUSR1 is delivered now */
    CHECK(handled == 1);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- memfd ---- */

static int memfd(const char *name, unsigned flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

static void memfd_file(void)
{
    int fd = memfd("evfds", 1 /* MFD_CLOEXEC */);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(write(fd, "hello", 5) == 5);
    char buf[16] = "";
    CHECK(pread(fd, buf, sizeof buf, 0) == 5 && !memcmp(buf, "hello", 5));
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    CHECK(ftruncate(fd, 3 * 65536 + 100) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 3 * 65536 + 100);
    memset(buf, 1, sizeof buf);
    CHECK(pread(fd, buf, 8, 70000) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8));   /* a hole */
    CHECK(lseek(fd, 0, SEEK_END) == 3 * 65536 + 100);
    CHECK(pwrite(fd, "far", 3, 65536 * 2 + 65534) == 3);   /* across a block boundary */

    /* shared mapping: writes through it are the file's; and a child's too */
    size_t len = 3 * 65536 + 4096;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    if (m == MAP_FAILED)
        return;
    CHECK(!memcmp(m, "hello", 5) && !memcmp(m + 65536 * 2 + 65534, "far", 3));
    memcpy(m + 65536 + 10, "mapped", 6);
    CHECK(pread(fd, buf, 6, 65536 + 10) == 6 && !memcmp(buf, "mapped", 6));
    CHECK(pwrite(fd, "WRITE", 5, 100) == 5 && !memcmp(m + 100, "WRITE", 5));
    pid_t kid = fork();
    if (kid == 0) {
        memcpy(m + 200, "child", 5);
        int ok = !memcmp(m + 65536 + 10, "mapped", 6);
        _exit(ok ? 0 : 1);
    }
    int status;
    CHECK(waitpid(kid, &status, 0) == kid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(!memcmp(m + 200, "child", 5));
    CHECK(pread(fd, buf, 5, 200) == 5 && !memcmp(buf, "child", 5));
    /* a second mapping at an offset sees the same bytes */
    char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 65536);
    CHECK(m2 != MAP_FAILED && !memcmp(m2 + 10, "mapped", 6));
    munmap(m2, 4096);
    /* private: a copy, its writes not the file's */
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED && !memcmp(p, "hello", 5));
    memcpy(p, "PRIV", 4);
    CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5));
    munmap(p, 8192);
    munmap(m, len);
    /* shrinking: bytes past the end are gone, growing again reads zeroes */
    CHECK(ftruncate(fd, 3) == 0);
    CHECK(pread(fd, buf, 8, 0) == 3);
    CHECK(ftruncate(fd, 10) == 0 && pread(fd, buf, 10, 0) == 10 && !memcmp(buf, "hel\0\0\0\0\0\0\0", 10));
    /* sealing: Linux adds the seal; the personality may say EINVAL (docs/LINUX.md) */
    int fs = memfd("sealed", 2 /* MFD_ALLOW_SEALING */);
    int r = fcntl(fs, 1033 /* F_ADD_SEALS */, 8 /* F_SEAL_WRITE */);
    CHECK(r == 0 || errno == EINVAL);
    close(fs);
    errno = 0;
    CHECK(memfd("bad", 0x100) == -1 && errno == EINVAL);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    errno = 0;
    CHECK(memfd(longname, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(memfd((const char *)8, 0) == -1 && errno == EFAULT);
    /* a regular file: epoll refuses it */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    errno = 0;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1 && errno == EPERM);
    close(ep);
    close(fd);
}

/* ---- mlock, tee ---- */

static void mlock_and_tee(void)
{
    char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mlock(pg, 8192) == 0 && munlock(pg, 8192) == 0);
    munmap(pg, 8192);
    errno = 0;
    CHECK(mlock(pg, 4096) == -1 && errno == ENOMEM);    /* nothing mapped there */
    errno = 0;
    CHECK(mlockall(0) == -1 && errno == EINVAL);
    CHECK(munlockall() == 0);

    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    CHECK(write(a[1], "abc", 3) == 3);
    CHECK(tee(a[0], b[1], 10, 0) == 3);
    char buf[8];
    CHECK(read(b[0], buf, 8) == 3 && !memcmp(buf, "abc", 3));
    CHECK(read(a[0], buf, 8) == 3 && !memcmp(buf, "abc", 3));   /* still there after tee */
    errno = 0;
    CHECK(tee(a[0], a[1], 10, 0) == -1 && errno == EINVAL);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

int main(void)
{
    eventfd_counts();
    eventfd_threads_and_epoll();
    timerfd_times();
    signalfd_reads();
    memfd_file();
    mlock_and_tee();
    return done("evfds");
}
