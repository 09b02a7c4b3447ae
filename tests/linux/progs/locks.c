/*
 * locks.c — file locks between the processes of one container
 * (docs/LINUX.md, "File locks"): flock(2) owned by the open file
 * description (shared by dup and fork, converted, released with its last
 * descriptor), fcntl's POSIX record locks owned by the process (not
 * inherited, byte ranges split and merged, F_GETLK naming the holder, all
 * of a process's locks on a file gone when it closes any descriptor of it
 * or exits), open-file-description (OFD) locks, blocking waits woken by the release and ended by a signal,
 * and the errors Linux gives. Every check also holds on Linux; the file
 * lives in a fresh directory under /tmp. On Aerie it also meets the
 * container's bound on lock records (ENOLCK).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static char path[96];

static int opn(int flags)
{
    int fd = open(path, flags);
    CHECK(fd >= 0);
    return fd;
}

/* Runs fn in a forked child; its checks count there, its status here. */
static void in_child(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        failed = 0;                             /* the child's own checks */
        fn(arg);
        fflush(stdout);
        _exit(failed ? 1 : 0);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int setlk(int fd, int cmd, int type, int whence, off_t start, off_t len)
{
    struct flock fl = { .l_type = (short)type, .l_whence = (short)whence, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

static struct flock getlk(int fd, int type, off_t start, off_t len)
{
    struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = -7 };
    CHECK(fcntl(fd, F_GETLK, &fl) == 0);
    return fl;
}

/* ---- flock ---- */

static void flock_ex_held(void *arg)
{
    int inherited = *(int *)arg;
    int fd = opn(O_RDONLY);
    errno = 0;
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    CHECK(flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    if (inherited >= 0)                         /* the same description: its lock */
        CHECK(flock(inherited, LOCK_EX | LOCK_NB) == 0);
    close(fd);
}

static void flock_sh_held(void *arg)
{
    (void)arg;
    int fd = opn(O_RDONLY);
    CHECK(flock(fd, LOCK_SH | LOCK_NB) == 0);
    errno = 0;
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);   /* the parent's SH stays */
    CHECK(flock(fd, LOCK_UN) == 0);
    close(fd);
}

static void flock_free(void *arg)
{
    (void)arg;
    int fd = opn(O_RDONLY);
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
    close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void arm(long ms)
{
    struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

static void flock_tests(void)
{
    int fd = opn(O_RDWR);
    CHECK(flock(fd, LOCK_EX) == 0);
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);   /* held already */
    in_child(flock_ex_held, &fd);
    int none = -1;
    in_child(flock_ex_held, &none);
    CHECK(flock(fd, LOCK_SH) == 0);             /* converted */
    in_child(flock_sh_held, NULL);
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
    /* held until the description's last fd closes */
    int d = dup(fd);
    CHECK(d >= 0);
    close(fd);
    in_child(flock_ex_held, &none);
    close(d);
    in_child(flock_free, NULL);
    /* errors */
    fd = opn(O_RDONLY);
    errno = 0;
    CHECK(flock(fd, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(flock(fd, LOCK_SH | LOCK_EX) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(flock(-1, LOCK_SH) == -1 && errno == EBADF);
    errno = 0;
    CHECK(flock(999, LOCK_SH) == -1 && errno == EBADF);
    int p = open(path, O_PATH);
    CHECK(p >= 0);
    errno = 0;
    CHECK(flock(p, LOCK_SH) == -1 && errno == EBADF);
    close(p);
    CHECK(flock(fd, LOCK_UN) == 0);             /* nothing held: fine */
    /* a blocking LOCK_EX waits for the release */
    CHECK(flock(fd, LOCK_EX) == 0);
    int go[2], got[2];
    CHECK(pipe(go) == 0 && pipe(got) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        failed = 0;                             /* the child's own checks */
        char c;
        int f2 = opn(O_RDONLY);
        CHECK(read(go[0], &c, 1) == 1);
        CHECK(flock(f2, LOCK_EX) == 0);
        CHECK(write(got[1], "g", 1) == 1);
        /* a signal without SA_RESTART ends a wait: the parent holds it again */
        struct sigaction sa = { .sa_handler = on_alarm };
        sigaction(SIGALRM, &sa, NULL);
        CHECK(flock(f2, LOCK_UN) == 0);
        CHECK(read(go[0], &c, 1) == 1);
        arm(150);
        errno = 0;
        CHECK(flock(f2, LOCK_EX) == -1 && errno == EINTR && alarms == 1);
        fflush(stdout);
        _exit(failed ? 1 : 0);
    }
    CHECK(write(go[1], "x", 1) == 1);
    usleep(200000);
    CHECK(fcntl(got[0], F_SETFL, O_NONBLOCK) == 0);
    char c;
    errno = 0;
    CHECK(read(got[0], &c, 1) == -1 && errno == EAGAIN);   /* still waiting */
    CHECK(flock(fd, LOCK_UN) == 0);
    CHECK(fcntl(got[0], F_SETFL, 0) == 0);
    CHECK(read(got[0], &c, 1) == 1 && c == 'g');
    /* the child unlocked after; take it and let the child wait in vain */
    CHECK(flock(fd, LOCK_EX) == 0);
    CHECK(write(go[1], "y", 1) == 1);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(flock(fd, LOCK_UN) == 0);
    close(fd);
    close(go[0]); close(go[1]); close(got[0]); close(got[1]);
}

/* ---- POSIX record locks ---- */

static void posix_child(void *arg)
{
    int ppid = *(int *)arg;
    int fd = opn(O_RDWR);
    struct flock fl = getlk(fd, F_WRLCK, 5, 1);
    CHECK(fl.l_type == F_WRLCK && fl.l_pid == ppid && fl.l_whence == SEEK_SET && fl.l_start == 0 && fl.l_len == 10);
    fl = getlk(fd, F_RDLCK, 10, 10);
    CHECK(fl.l_type == F_UNLCK && fl.l_start == 10 && fl.l_len == 10);
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10) == 0);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 9, 1) == -1 && (errno == EAGAIN || errno == EACCES));
    errno = 0;
    CHECK(lockf(fd, F_TLOCK, 0) == -1 && (errno == EAGAIN || errno == EACCES));   /* lockf: the bug seen */
    fl = getlk(fd, F_WRLCK, 100, 0);           /* a read lock on the parent's 100.. */
    CHECK(fl.l_type == F_RDLCK && fl.l_start == 100 && fl.l_len == 0);
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 100, 5) == 0);   /* shared */
    close(fd);
}

static void posix_after_split(void *arg)
{
    int ppid = *(int *)arg;
    int fd = opn(O_RDWR);
    struct flock fl = getlk(fd, F_WRLCK, 0, 5);
    CHECK(fl.l_type == F_UNLCK);
    fl = getlk(fd, F_WRLCK, 0, 0);
    CHECK(fl.l_type == F_WRLCK && fl.l_pid == ppid && fl.l_start == 5 && fl.l_len == 5);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5) == 0);
    close(fd);
}

static void posix_merged(void *arg)
{
    (void)arg;
    int fd = opn(O_RDWR);
    struct flock fl = getlk(fd, F_RDLCK, 0, 0);
    CHECK(fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 20);
    fl = getlk(fd, F_RDLCK, 45, 1);            /* neg. len: 40..49 */
    CHECK(fl.l_type == F_WRLCK && fl.l_start == 40 && fl.l_len == 10);
    fl = getlk(fd, F_RDLCK, 60, 1);            /* SEEK_END -10: 90.. */
    CHECK(fl.l_type == F_UNLCK);
    fl = getlk(fd, F_RDLCK, 95, 1);
    CHECK(fl.l_type == F_WRLCK && fl.l_start == 90 && fl.l_len == 0);
    close(fd);
}

static void posix_free(void *arg)
{
    (void)arg;
    int fd = opn(O_RDWR);
    struct flock fl = getlk(fd, F_WRLCK, 0, 0);
    CHECK(fl.l_type == F_UNLCK);
    close(fd);
}

static void posix_tests(void)
{
    int me = getpid();
    int fd = opn(O_RDWR);
    CHECK(ftruncate(fd, 100) == 0);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 100, 0) == 0);
    struct flock fl = getlk(fd, F_WRLCK, 0, 0);   /* one's own locks do not conflict */
    CHECK(fl.l_type == F_UNLCK);
    in_child(posix_child, &me);
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 5) == 0);   /* split: 5..9 left */
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 100, 0) == 0);
    in_child(posix_after_split, &me);
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
    /* merged: 0..4 and 5..19 of one owner and type are one */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5) == 0);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 15) == 0);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 50, -10) == 0);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 0) == 0);
    CHECK(lseek(fd, 5, SEEK_SET) == 5);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -5, 20) == 0);
    in_child(posix_merged, NULL);
    /* closing any fd of the file drops all the process's locks on it */
    int other = opn(O_RDONLY);
    close(other);
    in_child(posix_free, NULL);
    /* errors */
    int ro = opn(O_RDONLY), wo = opn(O_WRONLY);
    errno = 0;
    CHECK(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1) == -1 && errno == EBADF);
    errno = 0;
    CHECK(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1) == -1 && errno == EBADF);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, 9, 0, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(setlk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, -1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, -1, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, INT64_MAX, 2) == -1 && errno == EOVERFLOW);
    errno = 0;
    CHECK(fcntl(fd, F_SETLK, (void *)8) == -1 && errno == EFAULT);
    int p = open(path, O_PATH);
    errno = 0;
    CHECK(setlk(p, F_SETLK, F_RDLCK, SEEK_SET, 0, 1) == -1 && errno == EBADF);
    close(p);
    close(ro);
    close(wo);
    /* F_SETLKW waits for the holder's exit; a signal ends it with EINTR */
    int go[2];
    CHECK(pipe(go) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        failed = 0;                             /* the child's own checks */
        CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0) == 0);
        CHECK(write(go[1], "h", 1) == 1);
        usleep(200000);
        _exit(0);
    }
    char c;
    CHECK(read(go[0], &c, 1) == 1);
    CHECK(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) == 0);   /* granted once it exits */
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        failed = 0;                             /* the child's own checks */
        struct sigaction sa = { .sa_handler = on_alarm };
        sigaction(SIGALRM, &sa, NULL);
        int f2 = opn(O_RDWR);
        arm(150);
        errno = 0;
        CHECK(setlk(f2, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1) == -1 && errno == EINTR && alarms == 1);
        fflush(stdout);
        _exit(failed ? 1 : 0);
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(go[0]);
    close(go[1]);
    close(fd);
}

/* ---- open-file-description locks ---- */

static void ofd_child(void *arg)
{
    int fd = *(int *)arg;                       /* the parent's description: its owner too */
    CHECK(setlk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
}

static void ofd_tests(void)
{
    int a = opn(O_RDWR), b = opn(O_RDWR);
    CHECK(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
    errno = 0;                                  /* another description, one process: a conflict */
    CHECK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1) == -1 && errno == EAGAIN);
    errno = 0;
    CHECK(setlk(b, F_SETLK, F_RDLCK, SEEK_SET, 0, 1) == -1 && (errno == EAGAIN || errno == EACCES));
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 1 };
    CHECK(fcntl(b, F_OFD_GETLK, &fl) == 0);
    CHECK(fl.l_type == F_WRLCK && fl.l_pid == -1 && fl.l_start == 0 && fl.l_len == 10);
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1, .l_pid = 5 };
    errno = 0;
    CHECK(fcntl(b, F_OFD_SETLK, &fl) == -1 && errno == EINVAL);   /* l_pid must be 0 */
    int c = opn(O_RDONLY);
    close(c);                                   /* not POSIX's rule: it stays */
    errno = 0;
    CHECK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1) == -1 && errno == EAGAIN);
    in_child(ofd_child, &a);
    close(a);                                   /* its description's last fd: gone */
    CHECK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0) == 0);
    close(b);
}

/* Aerie bounds a container's lock records (docs/SECURITY.md). */
static void bound_test(void)
{
    struct utsname u;
    size_t n;
    if (uname(&u) || (n = strlen(u.release)) < 6 || strcmp(u.release + n - 6, "-aerie"))
        return;
    int fd = opn(O_RDWR);
    int i, r = 0;
    for (i = 0; i < 2000; i++)
        if ((r = setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2 * i, 1)))
            break;
    CHECK(r == -1 && errno == ENOLCK && i >= 1000 && i <= 1024);
    errno = 0;
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 4001, 1) == -1 && errno == ENOLCK);
    close(fd);                                  /* all gone */
    fd = opn(O_RDWR);
    CHECK(flock(fd, LOCK_EX) == 0);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0) == 0);
    close(fd);
}

/* "hold": this container locks /lockiso whole (flock and a POSIX write
 * lock) and waits; "probe", in another container of the same image (its
 * own fs session: likely the same inode number), finds the file free. */
static int hold_or_probe(const char *mode)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    int fd = open("/lockiso", O_RDWR | O_CREAT, 0644);
    if (!strcmp(mode, "hold")) {
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) || fcntl(fd, F_SETLK, &fl)) {
            printf("locks: cannot hold /lockiso (errno %d)\n", errno);
            return 1;
        }
        printf("locks: holding /lockiso\n");
        for (;;)
            pause();
    }
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);       /* no holder seen */
    fl.l_type = F_WRLCK;
    CHECK(fcntl(fd, F_SETLK, &fl) == 0);
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
    close(fd);
    unlink("/lockiso");
    return done("locks");
}

int main(int argc, char **argv)
{
    char dir[64];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && (!strcmp(argv[1], "hold") || !strcmp(argv[1], "probe")))
        return hold_or_probe(argv[1]);
    mkdir("/tmp", 01777);                      /* (an image may have none) */
    snprintf(dir, sizeof dir, "/tmp/locks-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    close(fd);
    flock_tests();
    posix_tests();
    ofd_tests();
    bound_test();
    unlink(path);
    rmdir(dir);
    return done("locks");
}
