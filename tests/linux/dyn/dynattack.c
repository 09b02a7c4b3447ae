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
 *   stale     a cached file unlinked and made again (same size), a
 *             program rewritten in place, unlinked and made again, and
 *             replaced by rename: each new mapping and execve sees the
 *             file as it is now, a mapping already read keeps its bytes
 *   holder    a cached file, then another holder of the container's files
 *             (the operator's `aerie cp`, lxtest) writes it: a new mapping
 *             shows the new bytes, the one already read keeps its own
 *   tight     the container's memory filled to its last few KiB by files
 *             only the cache keeps (sparse files mapped whole, unmapped),
 *             then a fork, a touch of fresh pages far apart (page tables)
 *             and a file write: each must get the cache's memory back
 *             first, not fail for room the container really has
 *   late      40 MiB kept by the cache alone, the rest of the container's
 *             memory used but 512 KiB; a 4 KiB write (queued), then
 *             lxtest's writes (the operator's cp) take the fs's room, then
 *             a 64 KiB write: if it says it wrote, the first write's bytes
 *             must be in the file — an earlier write's ENOSPC is never
 *             hidden by making the later one again after the cache gave
 *             room back; the program's own retry then works
 *   sigbus    a file mapping past the file's end: the last page's tail is
 *             zeroes, a whole page past it is SIGBUS (BUS_ADRERR, its
 *             address), read-only and writable, cached and read in, an
 *             empty file, an offset past the end; a system call given
 *             such a page gets EFAULT
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/sysinfo.h>
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

/* The mark of the program at path, run. */
static int exec_mark(const char *path)
{
    return status_of(spawn(path, "mark", NULL, NULL));
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

/* ---- stale: every way a cached file changes under its path ---- */

static int stale(void)
{
    on_aerie();
    const char *a = "/attack-s";
    int fd = make_file(a, 'A', 2);
    CHECK(fd >= 0);
    close(fd);
    char *m1 = map_ro(a, 2);
    CHECK(m1 && all(m1, 'A', PG) && all(m1 + PG, 'B', PG));
    /* unlinked and made again, the same size: a new file, its own bytes */
    CHECK(unlink(a) == 0);
    fd = make_file(a, 'U', 2);
    CHECK(fd >= 0);
    close(fd);
    char *m2 = map_ro(a, 2);
    CHECK(m2 && all(m2, 'U', PG) && all(m2 + PG, 'V', PG));
    CHECK(m1 && all(m1, 'A', PG));                   /* read already: its own */
    /* rewritten through O_TRUNC, the same size */
    fd = make_file(a, 'T', 2);
    CHECK(fd >= 0);
    close(fd);
    char *m3 = map_ro(a, 2);
    CHECK(m3 && all(m3, 'T', PG) && all(m3 + PG, 'U', PG));
    CHECK(m2 && all(m2, 'U', PG));

    /* programs: run, rewritten in place (O_TRUNC, the same size), unlinked
     * and made again, replaced by rename: execve runs what is there now */
    const char *x = "/attack-sx";
    CHECK(copy_self(x, '1') == 0);
    CHECK(exec_mark(x) == 1);
    CHECK(copy_self(x, '2') == 0);
    CHECK(exec_mark(x) == 2);
    CHECK(unlink(x) == 0 && copy_self(x, '3') == 0);
    CHECK(exec_mark(x) == 3);
    CHECK(copy_self("/attack-sy", '4') == 0 && rename("/attack-sy", x) == 0);
    CHECK(exec_mark(x) == 4);
    CHECK(unlink(x) == 0 && unlink(a) == 0);
    return done("dynattack-stale");
}

/* ---- holder: the file written by another holder of the container's files ---- */

static int holder(void)
{
    on_aerie();
    const char *a = "/attack-h";
    int fd = make_file(a, 'A', 2);
    CHECK(fd >= 0);
    close(fd);
    char *m1 = map_ro(a, 2);
    CHECK(m1 && all(m1, 'A', PG));
    printf("dynattack: holder ready\n");
    fflush(stdout);
    char *m = NULL;
    for (int i = 0; i < 3000; i++) {                 /* lxtest writes 'H' over page 0, in pieces, in order */
        m = map_ro(a, 2);
        if (m && m[PG - 1] == 'H')
            break;
        if (m)
            munmap(m, 2 * PG);
        m = NULL;
        usleep(10000);
    }
    CHECK(m != NULL);
    CHECK(m && all(m, 'H', PG) && all(m + PG, 'B', PG));
    CHECK(m1 && all(m1, 'A', PG) && all(m1 + PG, 'B', PG));
    CHECK(at(a, 0) == 'H');
    CHECK(unlink(a) == 0);
    return done("dynattack-holder");
}

/* ---- sigbus: touching a file mapping past the file's end ---- */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_sig, bus_code;
static void *volatile bus_addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    bus_sig = sig;
    bus_code = si->si_code;
    bus_addr = si->si_addr;
    siglongjmp(bus_jmp, 1);
}

/* The signal a read (or a write) of p brings: 0 for none. */
static int touch(volatile char *p, int write)
{
    bus_sig = 0;
    bus_addr = NULL;
    if (!sigsetjmp(bus_jmp, 1)) {
        if (write)
            *p = 'w';
        else
            (void)*p;
    }
    return bus_sig;
}

static int sigbus(void)
{
    on_aerie();
    struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGBUS, &sa, NULL) == 0 && sigaction(SIGSEGV, &sa, NULL) == 0);
    const char *a = "/attack-bus";
    int fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char b[PG + 1000];
    memset(b, 'b', sizeof b);
    CHECK(fd >= 0 && write(fd, b, sizeof b) == (ssize_t)sizeof b);      /* a page and 1000 bytes */
    /* read-only (the programs' cache) and writable (read in) */
    for (int w = 0; w < 2; w++) {
        char *m = mmap(NULL, 4 * PG, w ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE, fd, 0);
        CHECK(m != MAP_FAILED);
        if (m == MAP_FAILED)
            continue;
        CHECK(all(m, 'b', PG + 1000) && all(m + PG + 1000, 0, PG - 1000));   /* the tail: zeroes */
        CHECK(touch(m + PG + 1000, w) == 0);
        CHECK(touch(m + 2 * PG, 0) == SIGBUS);
        CHECK(bus_code == BUS_ADRERR && bus_addr == m + 2 * PG);
        CHECK(touch(m + 4 * PG - 1, w) == SIGBUS && bus_addr == m + 4 * PG - 1);
        /* a system call given the page: EFAULT, nothing signalled */
        int p[2];
        CHECK(pipe(p) == 0);
        CHECK(write(p[1], m + 2 * PG, 16) == -1 && errno == EFAULT);
        if (w)
            CHECK(read(fd, m + 3 * PG, 16) == -1 && errno == EFAULT);
        close(p[0]);
        close(p[1]);
        CHECK(munmap(m, 4 * PG) == 0);
    }
    /* an offset past the end: every page */
    char *far = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 4 * PG);
    CHECK(far != MAP_FAILED && touch(far, 0) == SIGBUS);
    /* an empty file */
    int e = open("/attack-empty", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char *em = e >= 0 ? mmap(NULL, PG, PROT_READ, MAP_PRIVATE, e, 0) : MAP_FAILED;
    CHECK(em != MAP_FAILED && touch(em, 0) == SIGBUS);
    /* no access allowed: still SIGSEGV */
    char *none = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE, fd, 0);
    CHECK(none != MAP_FAILED && touch(none + PG, 0) == SIGSEGV && touch(none + PG, 0) == SIGSEGV);
    close(e);
    close(fd);
    CHECK(unlink(a) == 0 && unlink("/attack-empty") == 0);
    return done("dynattack-sigbus");
}

/* ---- tight: the cache holds all but a few KiB of the container ---- */

static uint64_t free_ram(void)
{
    struct sysinfo si;
    return sysinfo(&si) ? 0 : (uint64_t)si.freeram * si.mem_unit;
}

static int tight(void)
{
    on_aerie();
    int fds[8];
    char name[32];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "/attack-t%d", i);
        fds[i] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
        CHECK(fds[i] >= 0);
    }
    uint64_t f0 = free_ram(), f = f0;
    int kept = 0;
    /* each file as large as the free memory less what keeping it costs
     * (its Memory's records and page tables: under 1/128 of it), halved
     * while that is still too much */
    for (int i = 0; i < 8 && (f = free_ram()) >= (12u << 10); i++) {
        uint64_t s = f > (64u << 10) ? f - (32u << 10) - f / 128 : f / 2;
        char *m = MAP_FAILED;
        for (int k = 0; k < 8 && m == MAP_FAILED && s >= PG; k++, s /= 2) {
            s &= ~(uint64_t)(PG - 1);
            if (ftruncate(fds[i], (off_t)s))
                break;
            m = mmap(NULL, s, PROT_READ, MAP_PRIVATE, fds[i], 0);
            if (m != MAP_FAILED)
                munmap(m, s);
        }
        if (m == MAP_FAILED)
            break;
        kept++;
    }
    printf("dynattack: %d files kept by the cache alone, %llu of %llu bytes free\n", kept,
           (unsigned long long)free_ram(), (unsigned long long)f0);
    fflush(stdout);
    CHECK(kept >= 2);
    /* a fork: its task and page tables, then its copies */
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7);
    if (pid < 0)
        printf("dynattack: fork: errno %d\n", errno);
    /* single pages 1 GiB apart: each needs page tables of its own */
    size_t span = 8ull << 30;
    char *far = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(far != MAP_FAILED);
    for (size_t off = 0; far != MAP_FAILED && off < span; off += 1ull << 30)
        far[off] = 1;
    if (far != MAP_FAILED)
        munmap(far, span);
    /* a write of the fs's pages, from the same memory */
    char b[64 << 10];
    memset(b, 'w', sizeof b);
    CHECK(pwrite(fds[0], b, sizeof b, 0) == (ssize_t)sizeof b && fsync(fds[0]) == 0);
    CHECK(free_ram() > f0 / 2);                      /* the cache gave its files back */
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "/attack-t%d", i);
        close(fds[i]);
        CHECK(unlink(name) == 0);
    }
    return done("dynattack-tight");
}

/* ---- late: an earlier queued write's ENOSPC, then a write ---- */

static void on_usr1(int sig)
{
    (void)sig;
}

static int late(void)
{
    on_aerie();
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    size_t big = 40u << 20;
    int fd = open("/attack-sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)big) == 0 && pwrite(fd, "s", 1, 0) == 1);
    char *m = mmap(NULL, big, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && m[0] == 's');
    if (m != MAP_FAILED)
        munmap(m, big);                              /* kept by the cache alone */
    close(fd);
    uint64_t f;
    while ((f = free_ram()) > (3u << 20)) {          /* the rest used, 2 MiB at a time */
        char *a = mmap(NULL, 2u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED)
            break;
        for (size_t i = 0; i < (2u << 20); i += PG)
            a[i] = 1;
    }
    size_t last = (size_t)(f - (512u << 10)) & ~(size_t)(PG - 1);
    char *a = mmap(NULL, last, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; a != MAP_FAILED && i < last; i += PG)
        a[i] = 1;
    printf("dynattack: late: %llu bytes free\n", (unsigned long long)free_ram());
    CHECK(free_ram() < (2u << 20));                  /* (the cache was not trimmed yet) */
    fd = open("/attack-late", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char b[64 << 10];
    memset(b, 'L', PG);
    CHECK(fd >= 0 && write(fd, b, PG) == PG);        /* queued, most likely */
    printf("dynattack: late: queued\n");
    fflush(stdout);
    pause();                                         /* lxtest takes the fs's room, then SIGUSR1 */
    memset(b, 'M', sizeof b);
    ssize_t w = pwrite(fd, b, sizeof b, 64 << 10);
    int e = errno;
    char c = at("/attack-late", 0);
    printf("dynattack: late: the 64 KiB write: %zd (errno %d); the first write's byte: %d\n", w, w < 0 ? e : 0, c);
    CHECK(w == (ssize_t)sizeof b || (w == -1 && e == ENOSPC));
    if (w == (ssize_t)sizeof b)
        CHECK(c == 'L');                             /* it said it wrote: nothing before it was lost */
    /* the program's own retry, once told: the cache's room is its own again */
    memset(b, 'L', PG);
    CHECK(pwrite(fd, b, PG, 0) == PG);
    memset(b, 'M', sizeof b);
    CHECK(pwrite(fd, b, sizeof b, 64 << 10) == (ssize_t)sizeof b);
    CHECK(fsync(fd) == 0 && close(fd) == 0);
    CHECK(at("/attack-late", 0) == 'L' && at("/attack-late", (64 << 10) + 5) == 'M');
    CHECK(unlink("/attack-late") == 0 && unlink("/attack-sparse") == 0);
    return done("dynattack-late");
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
    if (argc > 1 && !strcmp(argv[1], "stale"))
        return stale();
    if (argc > 1 && !strcmp(argv[1], "holder"))
        return holder();
    if (argc > 1 && !strcmp(argv[1], "sigbus"))
        return sigbus();
    if (argc > 1 && !strcmp(argv[1], "tight"))
        return tight();
    if (argc > 1 && !strcmp(argv[1], "late"))
        return late();
    printf("dynattack: cache | reclaim\n");
    return 2;
}
