#define _GNU_SOURCE
/*
 * atk22.c — attack22 on the memory calls (docs/SECURITY.md, rows
 * 78t-78x): madvise with a length that rounds up to nothing, a range
 * that wraps, advice Linux does not know; munmap and mprotect outside
 * the address space and past its end; mremap of a MAP_SHARED anonymous
 * mapping a forked child shares (it must stay shared once moved),
 * MREMAP_FIXED (onto a mapping, shrinking, overlapping, unaligned) and
 * MREMAP_DONTUNMAP; brk and mmap at the edges; exec of a FIFO. Checks
 * itself and passes on Linux too; it changes files only in a directory
 * of its own it makes under /tmp.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG 4096ul

static bool aerie;

static char *map_anon(size_t len, int flags)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    return p == MAP_FAILED ? NULL : p;
}

/* The calls themselves: the C libraries' wrappers round (musl's mprotect
 * rounds the address down and the length up) or refuse (musl's mmap and
 * mremap: lengths of PTRDIFF_MAX and more) before the kernel sees them,
 * and glibc's mremap passes no new address unless MREMAP_FIXED. */
static long sys_madvise(void *p, size_t len, long advice) { return syscall(SYS_madvise, p, len, advice); }
static long sys_munmap(void *p, size_t len) { return syscall(SYS_munmap, p, len); }
static long sys_mprotect(void *p, size_t len, long prot) { return syscall(SYS_mprotect, p, len, prot); }
static void *sys_mmap(void *p, size_t len, long prot, long flags)
{
    return (void *)syscall(SYS_mmap, p, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}
static void *sys_mremap(void *p, size_t olen, size_t nlen, long flags, void *to)
{
    return (void *)syscall(SYS_mremap, p, olen, nlen, flags, to);
}

/* Whether the page at p is mapped (msync says ENOMEM for a hole). */
static bool mapped(const void *p)
{
    return msync((void *)((uintptr_t)p & ~(PG - 1)), PG, MS_ASYNC) == 0;
}

/* ---- madvise ---- */

static void madvise_edges(void)
{
    char *p = map_anon(2 * PG, MAP_PRIVATE);
    if (!p)
        return;
    memset(p, 0x5a, 2 * PG);
    /* a length that rounds up to 0, and a range whose end wraps to 0:
     * EINVAL, and nothing zeroed (it said 0) */
    errno = 0;
    CHECK(sys_madvise(p, SIZE_MAX, MADV_DONTNEED) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_madvise(p, (size_t)0 - (uintptr_t)p, MADV_DONTNEED) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_madvise(p, SIZE_MAX - PG + 2, MADV_DONTNEED) == -1 && errno == EINVAL);
    CHECK(p[0] == 0x5a && p[PG] == 0x5a);
    /* advice Linux does not know: EINVAL, even for no bytes (it said 0) */
    int bad[] = { 5, 6, 7, 26, 99, 12345, -1 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        CHECK(sys_madvise(p, PG, bad[i]) == -1 && errno == EINVAL);
        errno = 0;
        CHECK(sys_madvise(p, 0, bad[i]) == -1 && errno == EINVAL);
    }
    CHECK(sys_madvise(p, PG, MADV_NORMAL) == 0);
    CHECK(sys_madvise(p, 0, MADV_DONTNEED) == 0);
    CHECK(sys_madvise(p, PG, MADV_WILLNEED) == 0);
    CHECK(p[0] == 0x5a);
    CHECK(sys_madvise(p, PG, MADV_DONTNEED) == 0);
    CHECK(p[0] == 0 && p[PG] == 0x5a);            /* private anonymous: zero after DONTNEED */
    errno = 0;
    CHECK(sys_madvise(p + 1, PG, MADV_DONTNEED) == -1 && errno == EINVAL);
    munmap(p, 2 * PG);
}

/* ---- munmap, mprotect ---- */

static void unmap_protect_edges(void)
{
    /* nothing mapped there: 0 (it said EINVAL below its address space
     * and above 64 GiB) */
    CHECK(sys_munmap((void *)0x1000, PG) == 0);
    CHECK(sys_munmap((void *)(1ull << 40), PG) == 0);
    CHECK(sys_munmap((void *)(1ull << 40), 1ull << 40) == 0);
    /* past Linux's TASK_SIZE, of no bytes, unaligned: EINVAL */
    errno = 0;
    CHECK(sys_munmap((void *)(1ull << 47), PG) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_munmap((void *)((1ull << 47) - PG), 2 * PG) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_munmap((void *)0x10000, SIZE_MAX) == -1 && errno == EINVAL);
    char *p = map_anon(PG, MAP_PRIVATE);
    if (!p)
        return;
    p[0] = 1;
    errno = 0;
    CHECK(sys_munmap(p, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_munmap(p + 1, PG) == -1 && errno == EINVAL);
    /* mprotect of what is not mapped, or a range that wraps: ENOMEM (it
     * said EINVAL) */
    errno = 0;
    CHECK(sys_mprotect((void *)(1ull << 40), PG, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mprotect((void *)0x1000, PG, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mprotect(p, SIZE_MAX - PG + 1, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mprotect(p, SIZE_MAX, PROT_READ) == -1 && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mprotect(p + 1, PG, PROT_READ) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(sys_mprotect(p, PG, PROT_READ | 0x10) == -1 && errno == EINVAL);
    CHECK(sys_mprotect(p, 0, PROT_READ) == 0);
    CHECK(sys_mprotect(p, PG, PROT_READ | PROT_WRITE | 0x8) == 0);   /* PROT_SEM: accepted on x86 */
    CHECK(p[0] == 1);
    munmap(p, PG);
}

/* ---- brk, mmap ---- */

static void brk_mmap_edges(void)
{
    long cur = syscall(SYS_brk, 0);
    CHECK(cur > 0);
    CHECK(syscall(SYS_brk, 1ul) == cur);
    if (aerie) {                                  /* (Linux's answer hangs on its overcommit policy) */
        CHECK(syscall(SYS_brk, ~0ul) == cur);
        CHECK(syscall(SYS_brk, 1ul << 47) == cur);
        CHECK(syscall(SYS_brk, ~0ul - PG + 2) == cur);
    }
    errno = 0;
    CHECK(sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(sys_mmap(NULL, SIZE_MAX, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mmap(NULL, SIZE_MAX - PG + 2, PROT_READ, MAP_PRIVATE) == MAP_FAILED && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mmap((void *)(1ull << 47), PG, PROT_READ, MAP_PRIVATE | MAP_FIXED) == MAP_FAILED && errno == ENOMEM);
    errno = 0;
    CHECK(sys_mmap((void *)(SIZE_MAX & ~(PG - 1)), PG, PROT_READ, MAP_PRIVATE | MAP_FIXED) == MAP_FAILED &&
          errno == ENOMEM);
    /* MAP_FIXED over a range and part of its neighbour: both replaced */
    char *p = map_anon(3 * PG, MAP_PRIVATE);
    if (!p)
        return;
    memset(p, 7, 3 * PG);
    CHECK(mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + PG);
    CHECK(p[0] == 7 && p[PG] == 0 && p[2 * PG] == 7);
    munmap(p, 3 * PG);
}

/* ---- mremap ---- */

/* A MAP_SHARED anonymous mapping a forked child shares, moved by the
 * parent (grown where it cannot grow in place): what either writes
 * afterwards, the other sees. It was copied into private pages. */
static void mremap_shared_stays_shared(void)
{
    char *p = map_anon(2 * PG, MAP_SHARED);
    char *fence = p ? mmap(p + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
                    : MAP_FAILED;
    if (!p)
        return;
    p[0] = 1;
    p[PG] = 2;
    int go[2], back[2];
    CHECK(pipe(go) == 0 && pipe(back) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        char seen[2] = { p[0], p[PG] };           /* what the parent wrote after its move */
        p[PG + 1] = 99;                           /* for the parent to see at its new place */
        _exit(write(back[1], seen, 2) == 2 ? 0 : 4);
    }
    CHECK(pid > 0);
    char *q = mremap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED);
    if (q != MAP_FAILED) {
        CHECK(q[0] == 1 && q[PG] == 2);
        q[0] = 41;
        q[PG] = 42;
    }
    CHECK(write(go[1], "g", 1) == 1);
    char seen[2] = { 0, 0 };
    CHECK(read(back[0], seen, 2) == 2);
    CHECK(seen[0] == 41 && seen[1] == 42);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (q != MAP_FAILED) {
        CHECK(q[PG + 1] == 99);
        munmap(q, 4 * PG);
    }
    if (fence != MAP_FAILED)
        munmap(fence, PG);
    close(go[0]);
    close(go[1]);
    close(back[0]);
    close(back[1]);
}

static void mremap_fixed(void)
{
    char *p = map_anon(2 * PG, MAP_PRIVATE), *q = map_anon(3 * PG, MAP_PRIVATE);
    if (!p || !q)
        return;
    p[0] = 'a';
    p[PG] = 'b';
    memset(q, 'q', 3 * PG);
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_FIXED, q) == MAP_FAILED && errno == EINVAL);    /* needs MAYMOVE */
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, q + 1) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(1ull << 47)) == MAP_FAILED &&
          errno == EINVAL);
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, 8 | MREMAP_MAYMOVE, NULL) == MAP_FAILED && errno == EINVAL);
    CHECK(p[0] == 'a' && p[PG] == 'b' && q[0] == 'q');
    /* onto q, grown: q's old pages gone, p's bytes there, the rest zero */
    char *r = sys_mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, q);
    CHECK(r == q);
    if (r == q) {
        CHECK(q[0] == 'a' && q[PG] == 'b' && q[2 * PG] == 0);
        CHECK(!mapped(p) && !mapped(p + PG));
    }
    /* shrinking onto a new place: the first page moves, the rest goes */
    char *s = map_anon(3 * PG, MAP_PRIVATE), *d = map_anon(PG, MAP_PRIVATE);
    if (s && d) {
        s[0] = 'x';
        s[PG] = 'y';
        CHECK(sys_mremap(s, 3 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, d) == d);
        CHECK(d[0] == 'x');
        CHECK(!mapped(s) && !mapped(s + PG) && !mapped(s + 2 * PG));
        munmap(d, PG);
    }
    munmap(q, 3 * PG);
}

static void mremap_dontunmap(void)
{
    char *p = map_anon(2 * PG, MAP_PRIVATE);
    if (!p)
        return;
    p[0] = 7;
    p[PG] = 8;
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_DONTUNMAP, NULL) == MAP_FAILED && errno == EINVAL);    /* needs MAYMOVE */
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL) == MAP_FAILED && errno == EINVAL);
    char *q = sys_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    errno = 0;
    CHECK(sys_mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, (void *)(PG + 1)) == MAP_FAILED &&
          errno == EINVAL);                      /* its address is a hint, but a page's */
    CHECK(q != MAP_FAILED && q != p);
    if (q != MAP_FAILED && q != p) {
        CHECK(q[0] == 7 && q[PG] == 8);
        CHECK(mapped(p) && p[0] == 0 && p[PG] == 0);    /* left mapped, empty */
        p[0] = 9;
        CHECK(q[0] == 7);
        munmap(q, 2 * PG);
    }
    munmap(p, 2 * PG);
}

/* ---- exec of a FIFO ---- */

static void exec_fifo(void)
{
    char dir[] = "/tmp/atk22XXXXXX", path[64];
    if (mkdir("/tmp", 01777) && errno != EEXIST)          /* (an image may have none) */
        CHECK(0);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/f", dir);
    CHECK(mkfifo(path, 0755) == 0);
    char *argv[] = { path, NULL }, *envp[] = { NULL };
    errno = 0;
    CHECK(execve(path, argv, envp) == -1 && errno == EACCES);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    struct utsname un;
    size_t n;
    aerie = !uname(&un) && (n = strlen(un.release)) >= 6 && !strcmp(un.release + n - 6, "-aerie");
    madvise_edges();
    unmap_protect_edges();
    brk_mmap_edges();
    mremap_shared_stays_shared();
    mremap_fixed();
    mremap_dontunmap();
    exec_fifo();
    return done("atk22");
}
