/*
 * aliases.c — attack10: a hostile program against /dev/fd, /dev/stdin|
 * stdout|stderr and /proc/PID/fd/N (services/linux/file.c dev_fd_alias,
 * procfs.c) and against symbolic links as the personality passes them
 * to the fs (readlink, O_NOFOLLOW, lstat, symlinkat) and as the image
 * holds them (links the test image has below /lnk). Every alias may give
 * only what the descriptor it names was opened for, in the container's
 * own processes; every path stays in the container's root. Checks
 * itself (needs grant fs); refuses to run anywhere but under Aerie.
 */
#define _GNU_SOURCE                     /* O_PATH */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define TOP "/lxt-alias"

static int open_alias(const char *fmt, long a, long b, int flags)
{
    char p[128];
    snprintf(p, sizeof p, fmt, a, b);
    return open(p, flags);
}

static int failed_with(int r, int e)
{
    return r == -1 && errno == e;
}

/* Only the direction the descriptor was opened for. */
static void direction(void)
{
    int w = open(TOP "/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(w >= 0 && write(w, "secret", 6) == 6);
    close(w);
    int r = open(TOP "/f", O_RDONLY);
    CHECK(r >= 0);
    CHECK(failed_with(open_alias("/proc/self/fd/%ld", r, 0, O_WRONLY), EACCES));
    CHECK(failed_with(open_alias("/proc/self/fd/%ld", r, 0, O_RDWR), EACCES));
    CHECK(failed_with(open_alias("/proc/self/fd/%ld", r, 0, O_RDWR | O_APPEND), EACCES));
    CHECK(failed_with(open_alias("/dev/fd/%ld", r, 0, O_WRONLY | O_TRUNC), EACCES));
    CHECK(failed_with(open_alias("/proc/%ld/fd/%ld", getpid(), r, O_WRONLY), EACCES));
    CHECK(failed_with(open_alias("/dev/fd/./%ld", r, 0, O_RDWR), EACCES));
    CHECK(failed_with(open_alias("/dev//fd/../fd/%ld", r, 0, O_WRONLY), EACCES));
    int ok = open_alias("/dev/fd/%ld", r, 0, O_RDONLY);
    char buf[16] = { 0 };
    CHECK(ok >= 0 && pread(ok, buf, sizeof buf, 0) == 6 && !memcmp(buf, "secret", 6));
    CHECK(ok < 0 || write(ok, "x", 1) == -1);                       /* the read-only file, still */
    close(ok);
    struct stat st;
    CHECK(stat(TOP "/f", &st) == 0 && st.st_size == 6);              /* nothing truncated */
    /* a write-only descriptor gives no reading */
    int wo = open(TOP "/f", O_WRONLY);
    CHECK(wo >= 0);
    CHECK(failed_with(open_alias("/proc/self/fd/%ld", wo, 0, O_RDONLY), EACCES));
    CHECK(failed_with(open_alias("/dev/fd/%ld", wo, 0, O_RDWR), EACCES));
    ok = open_alias("/proc/thread-self/fd/%ld", wo, 0, O_WRONLY);
    CHECK(ok >= 0);
    CHECK(ok < 0 || read(ok, buf, 1) == -1);
    close(ok);
    /* a directory's descriptor gives no writing */
    int d = open(TOP, O_RDONLY | O_DIRECTORY);
    CHECK(failed_with(open_alias("/dev/fd/%ld", d, 0, O_WRONLY), EACCES));
    CHECK(failed_with(open_alias("/dev/fd/%ld", d, 0, O_RDWR), EACCES));
    /* as Linux: O_DIRECTORY on a file's alias, O_CREAT|O_EXCL on any */
    CHECK(failed_with(open_alias("/dev/fd/%ld", r, 0, O_RDONLY | O_DIRECTORY), ENOTDIR));
    CHECK(failed_with(open_alias("/dev/fd/%ld", r, 0, O_RDONLY | O_CREAT | O_EXCL), EEXIST));
    ok = open_alias("/dev/fd/%ld", d, 0, O_RDONLY | O_DIRECTORY);
    CHECK(ok >= 0);
    close(ok);
    close(d);
    /* a pipe's read end gives no writing, its write end no reading */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(failed_with(open_alias("/dev/fd/%ld", p[0], 0, O_WRONLY), EACCES));
    CHECK(failed_with(open_alias("/dev/fd/%ld", p[1], 0, O_RDONLY), EACCES));
    close(p[0]);
    close(p[1]);
    close(wo);
    close(r);
    /* /dev/stdout and /dev/stderr: the direction fd 1 and 2 have; /dev/stdin
     * gone once fd 0 is closed */
    static const char *const std[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
    for (int i = 0; i < 3; i++) {
        int acc = fcntl(i, F_GETFL);
        if (acc < 0)
            continue;
        acc &= O_ACCMODE;
        int want = acc == O_RDONLY ? O_WRONLY : acc == O_WRONLY ? O_RDONLY : -1;
        if (want >= 0)
            CHECK(failed_with(open(std[i], want), EACCES));
    }
    int saved = dup(0);
    CHECK(saved >= 0 && close(0) == 0);
    CHECK(failed_with(open("/dev/stdin", O_RDONLY), ENOENT));
    CHECK(dup2(saved, 0) == 0);
    close(saved);
}

/* Names that are no descriptor: closed, huge, negative, not a number. */
static void no_such_descriptor(void)
{
    int fd = open(TOP "/f", O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    struct stat st;
    CHECK(failed_with(open_alias("/proc/self/fd/%ld", fd, 0, O_RDONLY), ENOENT));
    CHECK(failed_with(open_alias("/dev/fd/%ld", fd, 0, O_RDONLY), ENOENT));
    static const char *const bad[] = {
        "/dev/fd/1024", "/dev/fd/4294967296", "/dev/fd/18446744073709551617",
        "/dev/fd/99999999999999999999999999999999999999", "/dev/fd/-1", "/dev/fd/+1", "/dev/fd/1x",
        "/dev/fd/0x1", "/dev/fd/ 1", "/proc/self/fd/-0", "/proc/self/fd/1/..x",
        "/proc/self/fd/1/x", "/proc/0/fd/1", "/proc/-1/fd/1", "/proc/99999/fd/1",
        "/proc/4294967297/fd/1", "/proc/self/fdx/1", "/dev/fdx", "/dev/fd0",
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        int r = open(bad[i], O_RDONLY);
        if (r >= 0 || (errno != ENOENT && errno != ENOTDIR))
            printf("  %s: %d errno %d\n", bad[i], r, errno);
        CHECK(r == -1 && (errno == ENOENT || errno == ENOTDIR));
        CHECK(stat(bad[i], &st) == -1);
        char l[64];
        CHECK(readlink(bad[i], l, sizeof l) == -1);
    }
    /* the highest descriptor there is */
    int hi = open(TOP "/f", O_RDONLY);
    CHECK(hi >= 0 && dup2(hi, 1023) == 1023);
    int r = open("/dev/fd/1023", O_RDONLY);
    CHECK(r >= 0);
    close(r);
    close(1023);
    close(hi);
    CHECK(failed_with(open("/dev/fd/1023", O_RDONLY), ENOENT));
}

/* /dev/fd/.. and friends lead back into the container's own tree. */
static void dotdot_games(void)
{
    int m = open(TOP "/marker", O_CREAT | O_WRONLY, 0644);
    CHECK(m >= 0 && write(m, "ours", 4) == 4);
    close(m);
    struct stat want, st;
    CHECK(stat(TOP "/marker", &want) == 0);
    static const char *const up[] = {
        "/dev/fd/../../lxt-alias/marker", "/dev/fd/../../../../../../lxt-alias/marker",
        "/proc/self/fd/../../../lxt-alias/marker", "/dev/stdin/../../lxt-alias/marker",
    };
    for (unsigned i = 0; i < sizeof up / sizeof up[0]; i++) {
        int r = stat(up[i], &st);
        /* wherever it leads, it is ours or nothing */
        CHECK((r == 0 && st.st_ino == want.st_ino) || (r == -1 && (errno == ENOENT || errno == ENOTDIR)));
    }
    int pfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    CHECK(pfd >= 0);
    int r = openat(pfd, "../../../../lxt-alias/marker", O_RDONLY);
    CHECK(r >= 0 || errno == ENOENT);
    if (r >= 0) {
        CHECK(fstat(r, &st) == 0 && st.st_ino == want.st_ino);
        close(r);
    }
    /* a directory fd's own alias, then a name below it: no such file */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d/%d", pfd, pfd);
    CHECK(open(p, O_RDONLY) == -1);
    close(pfd);
}

/* Another process's descriptors: only while it lives, only its
 * directions; no pid outside the container is listed or opened. */
static void other_process(void)
{
    int go[2], ready[2];
    CHECK(pipe(go) == 0 && pipe(ready) == 0);
    pid_t c = fork();
    if (c == 0) {
        int fd = open(TOP "/f", O_RDONLY);
        if (fd >= 0 && dup2(fd, 77) == 77)
            write(ready[1], "r", 1);
        char b;
        read(go[0], &b, 1);
        _exit(0);
    }
    char b = 0;
    CHECK(read(ready[0], &b, 1) == 1);
    int r = open_alias("/proc/%ld/fd/%ld", c, 77, O_RDONLY);
    char buf[8] = { 0 };
    CHECK(r >= 0 && pread(r, buf, 6, 0) == 6 && !memcmp(buf, "secret", 6));
    close(r);
    CHECK(failed_with(open_alias("/proc/%ld/fd/%ld", c, 77, O_WRONLY), EACCES));
    CHECK(failed_with(open_alias("/proc/%ld/fd/%ld", c, 78, O_RDONLY), ENOENT));
    /* every pid /proc lists is ours: self or the child */
    DIR *d = opendir("/proc");
    struct dirent *e;
    int others = 0, seen = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        long pid = atol(e->d_name);
        if (pid == getpid() || pid == c)
            seen++;
        else if (pid != getppid())
            others++;
    }
    if (d)
        closedir(d);
    CHECK(seen == 2 && others == 0);
    CHECK(write(go[1], "g", 1) == 1);
    int status;
    CHECK(waitpid(c, &status, 0) == c);
    CHECK(failed_with(open_alias("/proc/%ld/fd/%ld", c, 77, O_RDONLY), ENOENT));
    struct stat st;
    char p[64];
    snprintf(p, sizeof p, "/proc/%d", c);
    CHECK(stat(p, &st) == -1 && errno == ENOENT);
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
}

/* Links made by the program: loops, O_NOFOLLOW, long targets, links that
 * name /proc or /dev (the fs resolves them in the container's root: they
 * never reach the personality's aliases). */
static void made_links(void)
{
    struct stat st;
    CHECK(symlink("loop", TOP "/loop") == 0);
    CHECK(failed_with(open(TOP "/loop", O_RDONLY), ELOOP));
    CHECK(failed_with(stat(TOP "/loop/x", &st), ELOOP));
    CHECK(lstat(TOP "/loop", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(symlink("b", TOP "/a") == 0 && symlink("a", TOP "/b") == 0);
    CHECK(failed_with(open(TOP "/a", O_RDONLY), ELOOP));
    CHECK(symlink("f", TOP "/tof") == 0);
    CHECK(failed_with(open(TOP "/tof", O_RDONLY | O_NOFOLLOW), ELOOP));
    CHECK(failed_with(open(TOP "/tof", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), ELOOP));
    int fd = open(TOP "/tof", O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    /* O_PATH|O_NOFOLLOW never follows (glibc's lchmod and fchmodat with
     * AT_SYMLINK_NOFOLLOW rely on it: they fstat the result and refuse a
     * link, else chmod it through /proc/self/fd): the link itself, which
     * fstat and readlinkat(fd, "") describe and nothing reads (tar's
     * extraction of a link failed with ELOOP before) */
    fd = open(TOP "/tof", O_PATH | O_NOFOLLOW);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 1);
    CHECK(fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode));
    char tl[8] = { 0 };
    CHECK(readlinkat(fd, "", tl, sizeof tl) == 1 && !strcmp(tl, "f"));
    CHECK(failed_with(read(fd, tl, 1), EBADF) && failed_with(write(fd, "x", 1), EBADF));
    CHECK(failed_with(fchdir(fd), ENOTDIR) && failed_with(openat(fd, "x", O_RDONLY), ENOTDIR));
    CHECK(failed_with(fchmodat(AT_FDCWD, TOP "/tof", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP));
    CHECK(stat(TOP "/f", &st) == 0 && (st.st_mode & 0777) != 0600);   /* never its target */
    close(fd);
    CHECK(failed_with(open(TOP "/tof", O_PATH | O_NOFOLLOW | O_DIRECTORY), ENOTDIR));
    fd = open(TOP "/f", O_PATH | O_NOFOLLOW);               /* not a link: readlinkat(fd, "") has none */
    CHECK(fd >= 0 && failed_with(readlinkat(fd, "", tl, sizeof tl), ENOENT));
    close(fd);
    CHECK(failed_with(readlinkat(AT_FDCWD, "", tl, sizeof tl), ENOENT));
    CHECK(failed_with(readlinkat(999, "", tl, sizeof tl), EBADF));
    fd = open(TOP "/loop", O_PATH | O_NOFOLLOW);            /* a link to itself is a link too */
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(readlinkat(fd, "", tl, sizeof tl) == 4 && !memcmp(tl, "loop", 4));
    close(fd);
    CHECK(failed_with(open(TOP "/a/x", O_PATH | O_NOFOLLOW), ELOOP));   /* a loop on the way */
    /* O_CREAT|O_EXCL never follows: a dangling link is not a way to make
     * its target */
    CHECK(symlink(TOP "/made-through", TOP "/dang") == 0);
    CHECK(failed_with(open(TOP "/dang", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST));
    CHECK(failed_with(stat(TOP "/made-through", &st), ENOENT));
    fd = open(TOP "/dang", O_PATH | O_NOFOLLOW);                    /* the link, not ENOENT from its target */
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode));
    close(fd);
    /* long targets: 4095 bytes is the most */
    static char t[4200];
    memset(t, 'a', sizeof t);
    for (int i = 100; i < 4095; i += 100)
        t[i] = '/';
    t[4095] = 0;
    CHECK(symlink(t, TOP "/long") == 0);
    static char back[4200];
    CHECK(readlink(TOP "/long", back, sizeof back) == 4095 && !memcmp(back, t, 4095));
    CHECK(readlink(TOP "/long", back, 1) == 1 && back[0] == 'a');
    CHECK(failed_with(syscall(SYS_readlink, TOP "/long", back, 0), EINVAL));   /* (musl's readlink hides 0) */
    CHECK(stat(TOP "/long", &st) == -1 && (errno == ENOENT || errno == ENAMETOOLONG));
    t[4095] = 'a';
    t[4096] = 0;
    CHECK(failed_with(symlink(t, TOP "/longer"), ENAMETOOLONG));
    CHECK(failed_with(symlink("", TOP "/empty"), ENOENT));
    /* a link to /proc/self/fd/N or /dev/fd/N: resolved in the fs, where
     * there is no such file (a personality that followed it would hand
     * out the descriptor's file: then only its direction) */
    fd = open(TOP "/f", O_RDONLY);
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    CHECK(symlink(p, TOP "/tofd") == 0);
    int r = open(TOP "/tofd", O_WRONLY);
    CHECK(r == -1 && (errno == ENOENT || errno == EACCES));
    CHECK(symlink("/dev/fd/0", TOP "/tostdin") == 0);
    r = open(TOP "/tostdin", O_RDWR);
    CHECK(r == -1);
    close(fd);
    /* a link as a parent, then a loop through /proc/self/fd/N/.. */
    CHECK(mkdir(TOP "/dir", 0755) == 0 && symlink("dir", TOP "/dl") == 0);
    fd = open(TOP "/dl/new", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && stat(TOP "/dir/new", &st) == 0);
    close(fd);
    CHECK(symlink("/", TOP "/root") == 0 && symlink("../../../../..", TOP "/up") == 0);
    CHECK(stat(TOP "/root/lxt-alias/marker", &st) == 0);
    CHECK(stat(TOP "/up/lxt-alias/marker", &st) == 0);
    CHECK(stat(TOP "/up/../../../lxt-alias/up/lxt-alias/up/lxt-alias/marker", &st) == 0);
    /* symlinkat from a directory fd, and its readlinkat */
    int d = open(TOP, O_RDONLY | O_DIRECTORY);
    CHECK(symlinkat("marker", d, "m2") == 0);
    char l[16] = { 0 };
    CHECK(readlinkat(d, "m2", l, sizeof l) == 6 && !strcmp(l, "marker"));
    CHECK(failed_with(symlinkat("x", d, "m2"), EEXIST));
    CHECK(failed_with(readlinkat(d, "marker", l, sizeof l), EINVAL));
    close(d);
}

/* The image's own links (tests/linux/linux_tests.mk: lnk/ in this image). */
static void image_links(void)
{
    struct stat st;
    char l[64] = { 0 };
    CHECK(readlink("/lnk/up", l, sizeof l) == 14 && !strcmp(l, "../../../../.."));
    CHECK(stat("/lnk/up/lnk/up/lxt-alias/marker", &st) == 0);
    CHECK(stat("/lnk/abs/lxt-alias/marker", &st) == 0);
    CHECK(failed_with(open("/lnk/loop", O_RDONLY), ELOOP));
    CHECK(failed_with(open("/lnk/abs", O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ENOTDIR) ||
          failed_with(open("/lnk/abs", O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ELOOP));
    CHECK(lstat("/lnk/up", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 14);
    /* an image link to /proc: the fs has no /proc */
    CHECK(failed_with(open("/lnk/proc", O_RDONLY), ENOENT));
    /* writing below an image link to a directory: the container's copy */
    int fd = open("/lnk/abs/lxt-alias/through-image-link", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(stat(TOP "/through-image-link", &st) == 0);
    /* replacing an image link (copy-up) and a loop in its place */
    CHECK(unlink("/lnk/up") == 0 && symlink("/lnk/up", "/lnk/up") == 0);
    CHECK(failed_with(stat("/lnk/up/x", &st), ELOOP));
}

int main(void)
{
    on_aerie();
    CHECK(mkdir(TOP, 0755) == 0);
    direction();
    no_such_descriptor();
    dotdot_games();
    other_process();
    made_links();
    image_links();
    return done("aliases");
}
