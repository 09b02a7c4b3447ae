/*
 * files.c — files over the container's fs session, pipes, /dev and /proc
 * as a Linux program sees them; checks itself (needs grant fs). It works
 * in /lxt-files of the container's own root, and refuses to run anywhere
 * but under Aerie (check.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define TOP "/lxt-files"

static void files(void)
{
    CHECK(mkdir(TOP, 0755) == 0);
    CHECK(mkdir(TOP, 0755) == -1 && errno == EEXIST);
    CHECK(chdir(TOP) == 0);
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) && !strcmp(cwd, TOP));
    int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello, files\n", 13) == 13);
    struct iovec iov[2] = { { "vec", 3 }, { "tor\n", 4 } };
    CHECK(writev(fd, iov, 2) == 7);
    CHECK(lseek(fd, 0, SEEK_CUR) == 20);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    char buf[64] = { 0 };
    CHECK(read(fd, buf, sizeof buf) == 20 && !memcmp(buf, "hello, files\nvector\n", 20));
    CHECK(pread(fd, buf, 5, 7) == 5 && !memcmp(buf, "files", 5));
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 20 && S_ISREG(st.st_mode));
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(close(fd) == 0);
    CHECK(close(fd) == -1 && errno == EBADF);
    fd = open(TOP "/a.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "!", 1) == 1 && close(fd) == 0);
    CHECK(stat("a.txt", &st) == 0 && st.st_size == 6);
    CHECK(access("a.txt", R_OK | W_OK) == 0);
    CHECK(access("nothing", F_OK) == -1 && errno == ENOENT);
    CHECK(rename("a.txt", "b.txt") == 0 && stat("a.txt", &st) == -1 && errno == ENOENT);
    CHECK(mkdir("sub", 0755) == 0 && mkdir("sub/deeper", 0755) == 0);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    fd = openat(dfd, "deeper/x", O_CREAT | O_WRONLY, 0600);
    CHECK(fd >= 0 && close(fd) == 0);
    CHECK(fstatat(dfd, "deeper/x", &st, 0) == 0 && st.st_size == 0);
    CHECK(fchdir(dfd) == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, TOP "/sub"));
    CHECK(chdir("..") == 0);
    close(dfd);
    DIR *d = opendir(TOP);
    int seen = 0, n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        n++;
        seen |= !strcmp(e->d_name, "b.txt") ? 1 : !strcmp(e->d_name, "sub") ? 2 : !strcmp(e->d_name, ".") ? 4 : 0;
        if (!strcmp(e->d_name, "sub"))
            CHECK(e->d_type == DT_DIR);
    }
    CHECK(d && seen == 7 && n == 4);
    if (d)
        closedir(d);
    CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY);
    CHECK(unlink("sub/deeper/x") == 0 && rmdir("sub/deeper") == 0 && rmdir("sub") == 0);
    CHECK(unlink("b.txt") == 0);
    CHECK(open(TOP "/none/x", O_RDONLY) == -1 && errno == ENOENT);
    struct statfs sf;
    CHECK(statfs("/", &sf) == 0 && sf.f_bsize == 4096);
    /* no extended attributes: none to get, an empty list (ls -l asks) */
    char xv[32];
    CHECK(getxattr(TOP, "system.posix_acl_access", xv, sizeof xv) == -1 && errno == ENODATA);
    CHECK(lgetxattr(TOP, "security.selinux", xv, sizeof xv) == -1 && errno == ENODATA);
    CHECK(listxattr(TOP, xv, sizeof xv) == 0 && llistxattr(TOP, xv, sizeof xv) == 0);
    CHECK(getxattr(TOP "/none", "user.x", xv, sizeof xv) == -1 && errno == ENOENT);
    CHECK(fgetxattr(0, "user.x", xv, sizeof xv) == -1 && errno == ENODATA);
    CHECK(flistxattr(999, xv, sizeof xv) == -1 && errno == EBADF);
    /* setting one: EOPNOTSUPP, as a file system without them (sed -i and
     * cp -a copy an ACL so); removing one: ENODATA, there is none */
    CHECK(setxattr(TOP, "user.x", "v", 1, 0) == -1 && errno == EOPNOTSUPP);
    CHECK(lsetxattr(TOP, "system.posix_acl_access", "v", 1, XATTR_CREATE) == -1 && errno == EOPNOTSUPP);
    CHECK(fsetxattr(1, "user.x", "v", 1, XATTR_REPLACE) == -1 && errno == EOPNOTSUPP);
    CHECK(removexattr(TOP, "user.x") == -1 && errno == ENODATA);
    CHECK(lremovexattr(TOP, "user.x") == -1 && errno == ENODATA);
    CHECK(fremovexattr(1, "user.x") == -1 && errno == ENODATA);
    CHECK(setxattr(TOP "/none", "user.x", "v", 1, 0) == -1 && errno == ENOENT);
    CHECK(removexattr(TOP "/none", "user.x") == -1 && errno == ENOENT);
    CHECK(fsetxattr(999, "user.x", "v", 1, 0) == -1 && errno == EBADF);
    CHECK(fremovexattr(999, "user.x") == -1 && errno == EBADF);
    CHECK(setxattr(TOP, "user.x", "v", 1, 4) == -1 && errno == EINVAL);             /* unknown flag */
    CHECK(setxattr(TOP, "", "v", 1, 0) == -1 && errno == ERANGE);                   /* empty name */
    static char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    CHECK(setxattr(TOP, longname, "v", 1, 0) == -1 && errno == ERANGE);             /* over 255 bytes */
    static char big[65537];
    CHECK(setxattr(TOP, "user.x", big, sizeof big, 0) == -1 && errno == E2BIG);    /* over 64 KiB */
    CHECK(setxattr(TOP, (const char *)8, "v", 1, 0) == -1 && errno == EFAULT);
}

static void descriptors(void)
{
    int fd = dup(1);
    CHECK(fd > 2);
    CHECK(dup2(fd, 20) == 20 && fcntl(20, F_GETFD) == 0);
    CHECK(fcntl(20, F_SETFD, FD_CLOEXEC) == 0 && fcntl(20, F_GETFD) == FD_CLOEXEC);
    CHECK(fcntl(fd, F_DUPFD, 30) == 30);
    CHECK(close(20) == 0 && close(30) == 0 && close(fd) == 0);
    CHECK(dup2(99, 5) == -1 && errno == EBADF);
    CHECK(isatty(1) == 0 && errno == ENOTTY);
}

static void pipes(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "through", 7) == 7);
    struct pollfd pf = { p[0], POLLIN, 0 };
    CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = { 0, 0 };
    CHECK(select(p[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &r));
    char buf[16];
    CHECK(read(p[0], buf, sizeof buf) == 7 && !memcmp(buf, "through", 7));
    CHECK(poll(&pf, 1, 10) == 0);                 /* empty: times out */
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && read(p[0], buf, 1) == -1 && errno == EAGAIN);
    close(p[1]);
    CHECK(read(p[0], buf, 1) == 0);               /* no writer: the end */
    close(p[0]);
    CHECK(pipe(p) == 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
    close(p[1]);
}

static void devices_and_proc(void)
{
    int fd = open("/dev/null", O_RDWR);
    char buf[4096];
    CHECK(fd >= 0 && write(fd, "gone", 4) == 4 && read(fd, buf, 10) == 0);
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    buf[0] = 1;
    CHECK(fd >= 0 && read(fd, buf, 100) == 100 && buf[0] == 0 && buf[99] == 0);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    unsigned char r[32] = { 0 };
    CHECK(fd >= 0 && read(fd, r, sizeof r) == (ssize_t)sizeof r);
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof r; i++)
        nonzero += r[i] != 0;
    CHECK(nonzero > 16);
    close(fd);
    CHECK(open("/dev/tty", O_RDWR) == -1);
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
    CHECK(n > 0);
    fd = open("/proc/meminfo", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0);
    buf[4095] = 0;
    CHECK(strstr(buf, "MemTotal:") != NULL);
    close(fd);
    fd = open("/proc/stat", O_RDONLY);         /* procps' ps -ef needs its btime */
    memset(buf, 0, sizeof buf);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0);
    char *bt = strstr(buf, "\nbtime ");
    CHECK(!strncmp(buf, "cpu ", 4) && bt && strtol(bt + 7, NULL, 10) > 1000000000L);
    close(fd);
    struct stat st;
    CHECK(stat("/proc/self/fd", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat("/proc/99999", &st) == -1 && errno == ENOENT);
}

/* What the personality queues or keeps (docs/LINUX.md, "Fewer round
 * trips to fs") must not show: a stat right after a create and a write,
 * a listing's names stat'ed, spellings with // and /./, a removed name,
 * another process reading what this one just wrote, a write to a
 * read-only fd refused at once, and small files read whole. */
static void queued_and_kept(void)
{
    CHECK(mkdir(TOP "/q", 0755) == 0);
    struct stat st, st2;
    int fd = open(TOP "/q/f", O_CREAT | O_WRONLY | O_TRUNC, 0640);
    CHECK(fd >= 0);
    CHECK(stat(TOP "/q/f", &st) == 0 && st.st_size == 0 && (st.st_mode & 07777) == 0640);
    CHECK(write(fd, "0123456789", 10) == 10);
    CHECK(stat(TOP "/q/f", &st) == 0 && st.st_size == 10);        /* the queued write counts */
    CHECK(write(fd, "ab", 2) == 2 && close(fd) == 0);
    CHECK(stat(TOP "//q/./f", &st2) == 0 && st2.st_size == 12 && st2.st_ino == st.st_ino);
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof name, TOP "/q/n%d", i);
        fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        CHECK(fd >= 0 && write(fd, name, (size_t)i) == i && close(fd) == 0);
    }
    DIR *d = opendir(TOP "/q");
    CHECK(d != NULL);
    int seen = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] != 'n')
            continue;
        char name[300];
        snprintf(name, sizeof name, TOP "/q/%s", e->d_name);
        CHECK(lstat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 &&
              st.st_size == atoi(e->d_name + 1) && st.st_ino == e->d_ino);
        seen++;
    }
    CHECK(d && closedir(d) == 0 && seen == 20);
    CHECK(unlink(TOP "/q/n3") == 0);
    CHECK(lstat(TOP "/q/n3", &st) == -1 && errno == ENOENT);
    CHECK(open(TOP "/q/n3", O_RDONLY) == -1 && errno == ENOENT);
    CHECK(unlink(TOP "/q/n3") == -1 && errno == ENOENT);
    fd = open(TOP "/q/f", O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "cd", 2) == 2);
    pid_t pid = fork();
    if (pid == 0) {                                               /* another process reads it */
        char b[32] = { 0 };
        int r = open(TOP "/q/f", O_RDONLY);
        _exit(r >= 0 && read(r, b, sizeof b) == 14 && !memcmp(b, "0123456789abcd", 14) &&
              read(r, b, sizeof b) == 0 ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(close(fd) == 0);
    int ro = open(TOP "/q/f", O_RDONLY), src = open(TOP "/q/n5", O_RDONLY);
    CHECK(ro >= 0 && src >= 0);
    CHECK(write(ro, "x", 1) == -1 && errno == EBADF);
    CHECK(sendfile(ro, src, NULL, 5) == -1 && errno == EBADF);
    CHECK(close(ro) == 0 && close(src) == 0);
    CHECK(stat(TOP "/q/f", &st) == 0 && st.st_size == 14);
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof name, TOP "/q/n%d", i);
        CHECK(unlink(name) == 0 || i == 3);
    }
    CHECK(unlink(TOP "/q/f") == 0 && rmdir(TOP "/q") == 0);
    CHECK(stat(TOP "/q", &st) == -1 && errno == ENOENT);
}

int main(void)
{
    on_aerie();
    files();
    queued_and_kept();
    descriptors();
    pipes();
    devices_and_proc();
    return done("files");
}
