/*
 * fifo.c — named FIFOs (docs/LINUX.md, "FIFOs"): mkfifo and mknod make
 * them and stat, lstat and readdir say so; open waits for the other side
 * as Linux's does (a reader for a writer and the other way round, in
 * another process, forked or started by exec, opening by path), O_NONBLOCK
 * readers open at once and writers without a reader get ENXIO, O_RDWR
 * opens at once; data, the end of the file, SIGPIPE and EPIPE, poll's
 * POLLHUP only once a writer came, epoll; unlink while open; a signal
 * ends a waiting open with EINTR and leaves no end behind. Every check
 * also holds on Linux; the files live in a fresh directory under /tmp.
 *
 * Arguments: (none) the checks; "writer PATH TEXT" writes TEXT into the
 * FIFO PATH (the exec'd partner); "hold" keeps a FIFO /iso open with
 * bytes in it and waits; "probe" checks that another container's FIFO of
 * the same name is neither visible nor joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static char dir[64];

static const char *at(const char *name)
{
    static char buf[4][128];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static bool on_aerie_now(void)
{
    struct utsname u;
    return !uname(&u) && strstr(u.release, "-aerie") != NULL;
}

static void makes_and_stats(void)
{
    umask(022);
    CHECK(mkfifo(at("f"), 0666) == 0);
    CHECK(mkfifo(at("f"), 0666) == -1 && errno == EEXIST);
    CHECK(mkfifo(at("nodir/f"), 0666) == -1 && errno == ENOENT);
    struct stat st;
    CHECK(stat(at("f"), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_size == 0);
    CHECK(lstat(at("f"), &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(mknod(at("m"), S_IFIFO | 0600, 0) == 0);
    CHECK(stat(at("m"), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0600);
    CHECK(mknodat(AT_FDCWD, at("r"), S_IFREG | 0600, 0) == 0);
    CHECK(stat(at("r"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    CHECK(mknod(at("r"), S_IFIFO | 0600, 0) == -1 && errno == EEXIST);
    CHECK(mknod(at("bad"), 0170000 | 0600, 0) == -1 && errno == EINVAL);
    if (on_aerie_now()) {                 /* a container may make no devices (Linux: root may) */
        CHECK(mknod(at("c"), S_IFCHR | 0600, makedev(1, 3)) == -1 && errno == EPERM);
        CHECK(mknod(at("b"), S_IFBLK | 0600, makedev(8, 0)) == -1 && errno == EPERM);
        CHECK(stat(at("c"), &st) == -1 && errno == ENOENT);
    }
    DIR *d = opendir(dir);
    int fifos = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        fifos += (!strcmp(e->d_name, "f") || !strcmp(e->d_name, "m")) && e->d_type == DT_FIFO;
    if (d)
        closedir(d);
    CHECK(fifos == 2);
    CHECK(truncate(at("f"), 0) == -1 && errno == EINVAL);
    CHECK(unlink(at("m")) == 0 && unlink(at("r")) == 0);
}

/* O_NONBLOCK: a writer without a reader is ENXIO; a reader opens at once,
 * reads the end of the file and polls no POLLHUP before a writer came. */
static void nonblocking_opens(void)
{
    CHECK(open(at("f"), O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
    int r = open(at("f"), O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0);
    char buf[16];
    CHECK(read(r, buf, sizeof buf) == 0);
    struct pollfd p = { r, POLLIN, 0 };
    CHECK(poll(&p, 1, 0) == 0);                           /* no writer yet: no POLLHUP */
    int w = open(at("f"), O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0);
    CHECK(read(r, buf, sizeof buf) == -1 && errno == EAGAIN);
    CHECK(write(w, "abc", 3) == 3);
    p.revents = 0;
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
    CHECK(read(r, buf, sizeof buf) == 3 && !memcmp(buf, "abc", 3));
    struct pollfd pw = { w, POLLOUT, 0 };
    CHECK(poll(&pw, 1, 0) == 1 && (pw.revents & POLLOUT));
    struct stat st;
    CHECK(fstat(r, &st) == 0 && S_ISFIFO(st.st_mode));
    struct stat sp;
    CHECK(stat(at("f"), &sp) == 0 && sp.st_ino == st.st_ino && sp.st_dev == st.st_dev);
    CHECK(close(w) == 0);
    p.revents = 0;
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLHUP));   /* a writer came and went */
    CHECK(read(r, buf, sizeof buf) == 0);
    /* O_RDWR opens at once, whatever else holds the FIFO */
    int rw = open(at("f"), O_RDWR);
    CHECK(rw >= 0);
    CHECK(write(rw, "xy", 2) == 2);
    CHECK(read(r, buf, 1) == 1 && buf[0] == 'x');
    CHECK(read(rw, buf, 1) == 1 && buf[0] == 'y');
    CHECK(close(rw) == 0 && close(r) == 0);
}

/* EPIPE and SIGPIPE: a writer whose readers all left. */
static void no_reader_left(void)
{
    int r = open(at("f"), O_RDONLY | O_NONBLOCK);
    int w = open(at("f"), O_WRONLY | O_NONBLOCK);
    CHECK(r >= 0 && w >= 0);
    CHECK(close(r) == 0);
    struct pollfd pw = { w, POLLOUT, 0 };
    CHECK(poll(&pw, 1, 0) == 1 && (pw.revents & POLLERR));
    signal(SIGPIPE, SIG_IGN);
    CHECK(write(w, "x", 1) == -1 && errno == EPIPE);
    signal(SIGPIPE, SIG_DFL);
    pid_t c = fork();
    if (c == 0) {
        (void)write(w, "x", 1);           /* SIGPIPE ends it */
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(c, &status, 0) == c && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    CHECK(close(w) == 0);
}

/* A blocking open waits for its partner: the child makes a mark, then
 * opens the other side; the parent's open returns only after the mark. */
static void blocking_opens(void)
{
    unlink(at("mark"));
    pid_t c = fork();
    if (c == 0) {
        nap_ms(300);
        close(open(at("mark"), O_CREAT | O_WRONLY, 0600));
        int w = open(at("f"), O_WRONLY);
        _exit(w >= 0 && write(w, "hello", 5) == 5 ? 0 : 1);
    }
    int r = open(at("f"), O_RDONLY);
    CHECK(r >= 0);
    CHECK(access(at("mark"), F_OK) == 0);                /* it waited for the writer */
    char buf[16];
    ssize_t n = 0, k;
    while ((k = read(r, buf + n, sizeof buf - (size_t)n)) > 0)
        n += k;
    CHECK(n == 5 && !memcmp(buf, "hello", 5));           /* then the end: the writer left */
    int status = 0;
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(close(r) == 0);

    /* the other way round: a writer waits for a reader */
    unlink(at("mark"));
    c = fork();
    if (c == 0) {
        nap_ms(300);
        close(open(at("mark"), O_CREAT | O_WRONLY, 0600));
        int rr = open(at("f"), O_RDONLY);
        char b[8];
        ssize_t got = 0, kk;
        while ((kk = read(rr, b + got, sizeof b - (size_t)got)) > 0)
            got += kk;
        _exit(rr >= 0 && got == 3 && !memcmp(b, "pq!", 3) ? 0 : 1);
    }
    int w = open(at("f"), O_WRONLY);
    CHECK(w >= 0);
    CHECK(access(at("mark"), F_OK) == 0);
    CHECK(write(w, "pq!", 3) == 3);
    CHECK(close(w) == 0);
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* An unrelated program (this one, exec'd) opens the FIFO by its path and
 * writes; a PIPE_BUF write arrives whole. */
static void exec_partner(void)
{
    pid_t c = fork();
    if (c == 0) {
        execl("/proc/self/exe", "fifo", "writer", at("f"), "from an exec'd writer", (char *)NULL);
        _exit(127);
    }
    int r = open(at("f"), O_RDONLY);
    CHECK(r >= 0);
    char buf[64] = "";
    ssize_t n = 0, k;
    while ((k = read(r, buf + n, sizeof buf - 1 - (size_t)n)) > 0)
        n += k;
    CHECK(n == 21 && !strcmp(buf, "from an exec'd writer"));
    int status = 0;
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(close(r) == 0);
}

static void on_alarm(int s) { (void)s; }

/* A signal ends a waiting open (no SA_RESTART: EINTR), and the end it had
 * made goes with it: a writer then still finds no reader. */
static void interrupted_open(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    int r = open(at("f"), O_RDONLY);
    CHECK(r == -1 && errno == EINTR);
    alarm(0);
    CHECK(open(at("f"), O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
    signal(SIGALRM, SIG_DFL);
}

/* epoll sees a FIFO's bytes; unlink while open keeps the pipe, and a new
 * FIFO of the same name is another one. */
static void epoll_and_unlink(void)
{
    int rw = open(at("f"), O_RDWR | O_NONBLOCK);
    int r = open(at("f"), O_RDONLY | O_NONBLOCK);
    CHECK(rw >= 0 && r >= 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, got;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev) == 0);
    CHECK(epoll_wait(ep, &got, 1, 0) == 0);
    CHECK(unlink(at("f")) == 0);
    CHECK(write(rw, "still", 5) == 5);
    CHECK(epoll_wait(ep, &got, 1, 1000) == 1 && got.data.u32 == 7 && (got.events & EPOLLIN));
    char buf[8];
    CHECK(read(r, buf, sizeof buf) == 5 && !memcmp(buf, "still", 5));
    struct stat st;
    CHECK(fstat(r, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(stat(at("f"), &st) == -1 && errno == ENOENT);
    CHECK(mkfifo(at("f"), 0600) == 0);
    int n = open(at("f"), O_RDWR | O_NONBLOCK);
    CHECK(n >= 0);
    CHECK(write(rw, "old", 3) == 3);
    CHECK(read(n, buf, sizeof buf) == -1 && errno == EAGAIN);   /* not the unlinked one's bytes */
    CHECK(read(r, buf, sizeof buf) == 3);
    close(n);
    close(ep);
    close(r);
    close(rw);
}

/* The FIFOs a container holds open at once are bounded (docs/LINUX.md):
 * past LX_FIFO_MAX (128) an open is ENFILE, and one closed makes room
 * (each open end also holds one of the container's fs handles, 256 by
 * default: EMFILE past them). Linux has no such count; there only the fd
 * limit stops it. */
static void bounded(void)
{
    if (!on_aerie_now())
        return;
    static int fds[200];
    int n = 0, err = 0;
    char name[32];
    for (; n < 200; n++) {
        snprintf(name, sizeof name, "many%d", n);
        if (mkfifo(at(name), 0600)) {
            err = errno;
            break;
        }
        if ((fds[n] = open(at(name), O_RDWR | O_NONBLOCK)) < 0) {
            err = errno;
            break;
        }
    }
    CHECK(n == 128 && err == ENFILE);
    CHECK(close(fds[0]) == 0);
    snprintf(name, sizeof name, "many%d", n);
    int again = open(at(name), O_RDWR | O_NONBLOCK);
    CHECK(again >= 0);
    close(again);
    for (int i = 1; i < n; i++)
        close(fds[i]);
    for (int i = 0; i <= n; i++) {
        snprintf(name, sizeof name, "many%d", i);
        unlink(at(name));
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 4 && !strcmp(argv[1], "writer")) {
        int w = open(argv[2], O_WRONLY);
        return w >= 0 && write(w, argv[3], strlen(argv[3])) == (ssize_t)strlen(argv[3]) ? 0 : 1;
    }
    if (argc == 2 && !strcmp(argv[1], "hold")) {
        /* another container's FIFO: /iso, with bytes in it, held open */
        int rw = mkfifo("/iso", 0600) == 0 ? open("/iso", O_RDWR) : -1;
        if (rw < 0 || write(rw, "secret", 6) != 6) {
            printf("fifo: cannot hold /iso (errno %d)\n", errno);
            return 1;
        }
        printf("fifo: holding /iso\n");
        for (;;)
            pause();
    }
    if (argc == 2 && !strcmp(argv[1], "probe")) {
        /* Same image, same name, likely the same inode number in each
         * container's fs: still not the holder's node nor its pipe. */
        struct stat st;
        CHECK(stat("/iso", &st) == -1 && errno == ENOENT);
        CHECK(mkfifo("/iso", 0600) == 0);
        CHECK(open("/iso", O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);   /* the holder reads it */
        int r = open("/iso", O_RDONLY | O_NONBLOCK);
        char buf[8];
        CHECK(r >= 0 && read(r, buf, sizeof buf) == 0);                     /* not its "secret" */
        int rw = open("/iso", O_RDWR | O_NONBLOCK);
        CHECK(rw >= 0 && read(rw, buf, sizeof buf) == -1 && errno == EAGAIN);
        unlink("/iso");
        return done("fifo");
    }
    mkdir("/tmp", 01777);
    snprintf(dir, sizeof dir, "/tmp/fifoXXXXXX");
    if (!mkdtemp(dir)) {
        printf("fifo: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    makes_and_stats();
    nonblocking_opens();
    no_reader_left();
    blocking_opens();
    exec_partner();
    interrupted_open();
    epoll_and_unlink();
    bounded();
    unlink(at("f"));
    unlink(at("mark"));
    rmdir(dir);
    return done("fifo");
}
