/*
 * dynattack.c — a hostile dynamically linked program (musl-gcc) against
 * the programs' cache behind read-only private file mappings
 * (docs/LINUX.md, "Dynamically linked programs"; SECURITY.md 77c..).
 * What it does is its first argument:
 *   cache     every route to a cached page: write(2)/pwrite, rename over,
 *             truncate, futimens back to the old times, a MAP_SHARED
 *             write, read(2) into the mapping, mprotect in a child, a
 *             split mapping made writable in its middle — a later mapping
 *             must show the file's bytes as they are now, the file and
 *             the other processes must never see a private write
 *   reclaim   maps one page of a sparse 40 MiB file read-only and unmaps
 *             it, then uses 36 MiB of anonymous memory: the cache must give
 *             its pages back when the container needs them (mem=64M)
 *   reclaimfs the same, then 36 MiB written to a file (the fs's pages come
 *             from the container's memory too)
 *   partial   that page kept mapped, then 36 MiB used: a page of a large
 *             file must not cost the whole file
 *   interp    execve of programs whose PT_INTERP is a directory,
 *             /dev/zero, /proc/self/exe, a link to itself, a static
 *             ET_EXEC program, the program itself: each fails with the
 *             errno Linux gives, and the caller runs on; a static
 *             program runs from it
 *   procexe   execve of /proc/PID/exe twice while PID runs two programs of
 *             one size in turn (copies of this one, a byte apart): the
 *             second exec runs the second program, not the first one again
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../progs/check.h"

#define PG 4096

/* path made of n pages, page i filled with base + i. */
static int make_file(const char *path, char base, int n)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char b[PG];
    for (int i = 0; fd >= 0 && i < n; i++) {
        memset(b, base + i, PG);
        if (write(fd, b, PG) != PG)
            return -1;
    }
    return fd;
}

/* A fresh read-only private mapping of path's first n pages. */
static char *map_ro(const char *path, int n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *m = mmap(NULL, (size_t)n * PG, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

static int all(const char *p, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static char at(const char *path, off_t off)
{
    char c = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, &c, 1, off) != 1)
        c = '?';
    if (fd >= 0)
        close(fd);
    return c;
}

static int cache(void)
{
    on_aerie();
    const char *a = "/attack-a", *b = "/attack-b";
    int fd = make_file(a, 'A', 3);
    CHECK(fd >= 0);
    char *m1 = map_ro(a, 3);
    CHECK(m1 && all(m1, 'A', PG) && all(m1 + PG, 'B', PG));

    /* pwrite of the same size after the file is cached: the next mapping shows it */
    char w[PG];
    memset(w, 'w', PG);
    CHECK(pwrite(fd, w, PG, 0) == PG);
    char *m2 = map_ro(a, 3);
    CHECK(m2 && all(m2, 'w', PG) && all(m2 + PG, 'B', PG));

    /* the times put back as they were: ctime still moves, the cache sees it */
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    memset(w, 'x', PG);
    CHECK(pwrite(fd, w, PG, 0) == PG);
    struct timespec ts[2] = { st.st_atim, st.st_mtim };
    CHECK(futimens(fd, ts) == 0);
    char *m3 = map_ro(a, 1);
    CHECK(m3 && all(m3, 'x', PG));

    /* read(2) into the cached pages: EFAULT, nothing written */
    CHECK(pread(fd, m3, 16, PG) == -1 && errno == EFAULT);
    CHECK(m3 && all(m3, 'x', PG));
    CHECK(read(fd, (void *)(uintptr_t)printf, 16) == -1 && errno == EFAULT);

    /* a child makes the shared pages writable and writes: only its copy changes */
    pid_t pid = fork();
    if (pid == 0) {
        if (mprotect(m3, PG, PROT_READ | PROT_WRITE) || (m3[0] = 'Z', m3[0] != 'Z'))
            _exit(1);
        _exit(0);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
    CHECK(all(m3, 'x', PG) && at(a, 0) == 'x');
    char *m4 = map_ro(a, 1);
    CHECK(m4 && all(m4, 'x', PG));

    /* the same here: a write after mprotect stays in this mapping */
    CHECK(mprotect(m4, PG, PROT_READ | PROT_WRITE) == 0);
    m4[0] = 'Q';
    char *m5 = map_ro(a, 1);
    CHECK(m5 && all(m5, 'x', PG) && at(a, 0) == 'x' && all(m3, 'x', PG));

    /* a split mapping: its middle page made writable holds that page's bytes */
    char *m6 = map_ro(a, 3);
    CHECK(m6 && mprotect(m6 + PG, PG, PROT_READ | PROT_WRITE) == 0);
    CHECK(m6 && all(m6, 'x', PG) && all(m6 + PG, 'B', PG) && all(m6 + 2 * PG, 'C', PG));
    if (m6)
        m6[PG] = 'q';
    CHECK(at(a, PG) == 'B');

    /* a MAP_SHARED write: a private mapping made after it shows it, as on Linux */
    char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED);
    if (s != MAP_FAILED) {
        s[0] = 'S';
        char *m7 = map_ro(a, 1);
        CHECK(m7 && m7[0] == 'S');
        CHECK(munmap(s, PG) == 0);
        char *m8 = map_ro(a, 1);
        CHECK(m8 && m8[0] == 'S' && m8[1] == 'x');
    }

    /* another file renamed over it, the same size: a mapping shows the new one */
    int fb = make_file(b, 'K', 3);
    CHECK(fb >= 0 && rename(b, a) == 0);
    char *m9 = map_ro(a, 3);
    CHECK(m9 && all(m9, 'K', PG) && all(m9 + 2 * PG, 'M', PG));

    /* truncated: the cached pages are not shown past the new end */
    CHECK(ftruncate(fb, 100) == 0);
    char *m10 = map_ro(a, 1);
    CHECK(m10 && all(m10, 'K', 100) && all(m10 + 100, 0, PG - 100));
    close(fb);
    close(fd);
    return done("dynattack-cache");
}

/* One page of a sparse 40 MiB file (3 pages in the fs) mapped and unmapped. */
static void map_sparse(void)
{
    int fd = open("/attack-sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 40 << 20) == 0 && pwrite(fd, "r", 1, 0) == 1);
    char *m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && m[0] == 'r');
    CHECK(munmap(m, PG) == 0);
    close(fd);
}

/* the same, then 36 MiB written to a file: the fs pays from the same quota */
static int reclaimfs(void)
{
    on_aerie();
    map_sparse();
    static char buf[1 << 20];
    memset(buf, 'f', sizeof buf);
    int fd = open("/attack-full", O_RDWR | O_CREAT | O_TRUNC, 0644);
    size_t total = 0;
    ssize_t w = fd >= 0 ? 1 : -1;
    while (w > 0 && total < (36u << 20)) {
        size_t want = sizeof buf - total % sizeof buf;
        if ((w = write(fd, buf, want)) > 0)
            total += (size_t)w;
    }
    if (total < (36u << 20))
        printf("dynattack: wrote %zu bytes, then %zd\n", total, w);
    CHECK(total == (36u << 20));
    CHECK(fd >= 0 && fsync(fd) == 0 && close(fd) == 0);
    CHECK(unlink("/attack-full") == 0 && unlink("/attack-sparse") == 0);
    return done("dynattack-reclaimfs");
}

/* one page of a sparse 40 MiB file kept mapped, then 36 MiB used */
static int partial(void)
{
    on_aerie();
    int fd = open("/attack-sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 40 << 20) == 0 && pwrite(fd, "p", 1, 0) == 1);
    char *m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && m[0] == 'p');
    close(fd);
    size_t n = 36u << 20;
    char *big = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(big != MAP_FAILED);
    printf("dynattack: one page mapped, touching %zu MiB\n", n >> 20);
    fflush(stdout);
    for (size_t i = 0; big != MAP_FAILED && i < n; i += PG)
        big[i] = 1;
    CHECK(m != MAP_FAILED && m[0] == 'p');
    CHECK(unlink("/attack-sparse") == 0);
    return done("dynattack-partial");
}

static int reclaim(void)
{
    on_aerie();
    map_sparse();
    /* the mapping is gone: the container's memory is its own again */
    size_t n = 36u << 20;
    char *big = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    CHECK(big != MAP_FAILED);
    printf("dynattack: touching %zu MiB\n", n >> 20);
    fflush(stdout);
    for (size_t i = 0; big != MAP_FAILED && i < n; i += PG)
        big[i] = 1;
    CHECK(unlink("/attack-sparse") == 0);
    return done("dynattack-reclaim");
}

extern char **environ;

static int exec_errno(const char *path)
{
    char *argv[] = { (char *)path, NULL };
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, environ);
        _exit(errno);
    }
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    printf("dynattack: exec %s: errno %d\n", path, WEXITSTATUS(status));
    return WEXITSTATUS(status);
}

static int interp(void)
{
    on_aerie();
    CHECK(mkdir("/attack-dir", 0755) == 0);
    CHECK(symlink("/attack-loop", "/attack-loop") == 0);
    CHECK(exec_errno("/bin/odd-dir") == EACCES);
    CHECK(exec_errno("/bin/odd-dev") == EACCES);
    CHECK(exec_errno("/bin/odd-self") == ELIBBAD);    /* this program: it needs an interpreter */
    CHECK(exec_errno("/bin/odd-loop") == ELOOP);
    CHECK(exec_errno("/bin/odd-exec") == ELIBBAD);    /* ET_EXEC: Aerie refuses it (Linux loads it) */
    CHECK(exec_errno("/bin/odd-selfref") == ELIBBAD);
    CHECK(exec_errno("/bin/static") == 0);            /* a static program from a dynamic one */
    return done("dynattack-interp");
}

/* Which copy this is: the last byte of the mark is patched in the second. */
static const volatile char mark[] = "DYNATTACK-MARK-1";

/* /proc/self/exe copied to to, 0755, its mark ending in last. */
static int copy_self(const char *to, char last)
{
    static char buf[256 << 10];
    int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ssize_t n = in >= 0 ? read(in, buf, sizeof buf) : -1;
    char needle[] = "DYNATTACK-MARK-0";
    needle[sizeof needle - 2] = '1';
    char *at = n > 0 ? memmem(buf, (size_t)n, needle, sizeof needle - 1) : NULL;
    if (at)
        at[sizeof needle - 2] = last;
    int ok = at && n < (ssize_t)sizeof buf && write(out, buf, (size_t)n) == n;
    close(in);
    close(out);
    return ok ? 0 : -1;
}

/* A child running path with arg; fds 10 and 11 its ends of the go and
 * ack pipes (the holder's handshake) when go is not NULL. */
static pid_t spawn(const char *path, const char *arg, const int *go, const int *ack)
{
    char *argv[] = { (char *)path, (char *)arg, NULL };
    pid_t pid = fork();
    if (pid == 0) {
        if (go && (dup2(go[0], 10) < 0 || dup2(ack[1], 11) < 0))
            _exit(97);
        execve(path, argv, environ);
        _exit(99);
    }
    return pid;
}

static int status_of(pid_t pid)
{
    int status = -1;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The holder: says it runs, waits for the word, then execs next (or ends). */
static int hold(const char *next)
{
    char c = 0;
    if (write(11, "r", 1) != 1 || read(10, &c, 1) != 1)
        return 96;
    if (!next)
        return 0;
    char *hargv[] = { (char *)next, "hold2", NULL };
    execve(next, hargv, environ);
    return 98;
}

static int procexe(void)
{
    on_aerie();
    CHECK(copy_self("/attack-x1", '1') == 0 && copy_self("/attack-x2", '2') == 0);
    int go[2], ack[2];
    CHECK(pipe(go) == 0 && pipe(ack) == 0);
    pid_t holder = spawn("/attack-x1", "hold", go, ack);    /* runs x1, then x2 */
    CHECK(holder > 0);
    char exe[64], c;
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)holder);
    CHECK(read(ack[0], &c, 1) == 1);                        /* x1 runs */
    int first = status_of(spawn(exe, "mark", NULL, NULL));
    CHECK(write(go[1], "g", 1) == 1 && read(ack[0], &c, 1) == 1);   /* x2 runs */
    int second = status_of(spawn(exe, "mark", NULL, NULL));
    CHECK(write(go[1], "g", 1) == 1);
    printf("dynattack: %s ran copy %d, then copy %d\n", exe, first, second);
    CHECK(first == 1);
    CHECK(second == 2);
    CHECK(status_of(holder) == 0);
    CHECK(unlink("/attack-x1") == 0 && unlink("/attack-x2") == 0);
    return done("dynattack-procexe");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "mark"))
        return mark[sizeof mark - 2] - '0';
    if (argc > 1 && !strcmp(argv[1], "hold"))
        return hold("/attack-x2");
    if (argc > 1 && !strcmp(argv[1], "hold2"))
        return hold(NULL);
    if (argc > 1 && !strcmp(argv[1], "procexe"))
        return procexe();
    if (argc > 1 && !strcmp(argv[1], "interp"))
        return interp();
    if (argc > 1 && !strcmp(argv[1], "cache"))
        return cache();
    if (argc > 1 && !strcmp(argv[1], "reclaim"))
        return reclaim();
    if (argc > 1 && !strcmp(argv[1], "reclaimfs"))
        return reclaimfs();
    if (argc > 1 && !strcmp(argv[1], "partial"))
        return partial();
    printf("dynattack: cache | reclaim\n");
    return 2;
}
