/*
 * memory.c — memory as a Linux program sees it: brk, anonymous and
 * shared mmap, munmap of part of a mapping, mprotect (a write to a
 * read-only page faults), mremap, madvise, a large sparse reservation,
 * and the clocks and sleeps; checks itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static sigjmp_buf jump;
static void on_segv(int sig) { (void)sig; siglongjmp(jump, 1); }

static bool writes_fault(volatile char *p)
{
    if (sigsetjmp(jump, 1))
        return true;
    *p = 1;
    return false;
}

int main(void)
{
    /* brk itself (musl's sbrk only reports the break) */
    uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
    CHECK(b0 != 0 && (uintptr_t)syscall(SYS_brk, b0 + 65536) == b0 + 65536);
    memset((void *)b0, 7, 65536);
    CHECK((uintptr_t)syscall(SYS_brk, b0) == b0);

    size_t len = 16 * 4096;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(p[0] == 0 && p[len - 1] == 0);
    memset(p, 'a', len);
    CHECK(munmap(p + 4 * 4096, 4096) == 0);          /* a hole in the middle */
    CHECK(p[3 * 4096] == 'a' && p[5 * 4096] == 'a');
    signal(SIGSEGV, on_segv);
    CHECK(writes_fault(p + 4 * 4096));
    CHECK(mprotect(p, 4096, PROT_READ) == 0);
    CHECK(writes_fault(p) && p[0] == 'a');
    CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0 && !writes_fault(p));
    CHECK(madvise(p + 8 * 4096, 4096, MADV_DONTNEED) == 0 && p[8 * 4096] == 0);
    char *q = mremap(p + 10 * 4096, 6 * 4096, 64 * 4096, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q[0] == 'a' && q[6 * 4096 - 1] == 'a' && q[63 * 4096] == 0);
    CHECK(munmap(p, 10 * 4096) == 0 && munmap(q, 64 * 4096) == 0);

    /* mremap with lengths no mapping has: refused, and the mapping stays
     * (raw calls: libc wrappers refuse some of these themselves) */
    char *r = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(r != MAP_FAILED);
    memset(r, 'r', 4 * 4096);
    errno = 0;
    CHECK(syscall(SYS_mremap, r, ~0ul << 12, 4096, 0) == -1 && errno == EINVAL);   /* old length wraps */
    errno = 0;
    CHECK(syscall(SYS_mremap, r, 4096, 1ul << 62, 0) == -1 && errno == EINVAL);    /* past any address space */
    errno = 0;
    CHECK(syscall(SYS_mremap, r, 4096, 1ul << 62, MREMAP_MAYMOVE) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_mremap, r, 8 * 4096, 16 * 4096, MREMAP_MAYMOVE) == -1 && errno == EFAULT); /* past it */
    errno = 0;
    CHECK(syscall(SYS_mremap, r, 4096, ~0ul, 0) == -1 && errno == EINVAL);          /* new length rounds to 0 */
    CHECK(r[0] == 'r' && r[4 * 4096 - 1] == 'r');
    CHECK(munmap(r, 4 * 4096) == 0);

    /* a large reservation costs only what is touched */
    char *big = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(big != MAP_FAILED);
    big[0] = 1;
    big[(1ul << 30) - 1] = 2;
    CHECK(big[0] + big[(1ul << 30) - 1] == 3);
    CHECK(munmap(big, 1ul << 30) == 0);

    /* shared memory stays shared across fork */
    volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    pid_t c = fork();
    if (c == 0) {
        *shared = 1234;
        _exit(0);
    }
    waitpid(c, NULL, 0);
    CHECK(*shared == 1234);

    struct timespec a, b, s = { 0, 30 * 1000000 };
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    CHECK(nanosleep(&s, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CHECK(ms >= 30);
    CHECK(time(NULL) > 1600000000);
    return done("memory");
}
