#define _GNU_SOURCE
/*
 * iov2.c — preadv2/pwritev2 and sync_file_range as their man pages
 * describe them, on a memfd and a pipe (no file of the root is touched,
 * so it runs on Linux too): offset -1 is the file position, RWF_HIPRI/
 * DSYNC/SYNC accepted, unknown flags EOPNOTSUPP, offsets below -1 EINVAL;
 * sync_file_range's flag, offset and length checks, ESPIPE for a pipe,
 * EBADF; garbage never crashes anything. Checks itself.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "check.h"

#ifndef RWF_HIPRI
#define RWF_HIPRI 1
#define RWF_DSYNC 2
#define RWF_SYNC 4
#endif

static long p2(int wr, int fd, struct iovec *iov, int n, long off, unsigned flags)
{
    return syscall(wr ? SYS_pwritev2 : SYS_preadv2, fd, iov, n, off, 0L, flags);
}

static void vectors(void)
{
    int fd = (int)syscall(SYS_memfd_create, "iov2", 0);
    CHECK(fd >= 0);
    char a[] = "hello ", b[] = "world";
    struct iovec w[2] = { { a, 6 }, { b, 5 } };
    CHECK(p2(1, fd, w, 2, 0, 0) == 11);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0);                  /* a positioned write moves nothing */
    CHECK(lseek(fd, 11, SEEK_SET) == 11);
    CHECK(p2(1, fd, w, 2, -1, RWF_DSYNC) == 11);           /* -1: at the position, moving it */
    CHECK(lseek(fd, 0, SEEK_CUR) == 22);
    char x[6] = "", y[16] = "";
    struct iovec r[2] = { { x, 6 }, { y, 16 } };
    CHECK(p2(0, fd, r, 2, 11, RWF_HIPRI) == 11 && !memcmp(x, "hello ", 6) && !memcmp(y, "world", 5));
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(p2(0, fd, r, 2, -1, RWF_SYNC) == 22 && lseek(fd, 0, SEEK_CUR) == 22);
    CHECK(p2(0, fd, r, 2, -2, 0) == -1 && errno == EINVAL);
    CHECK(p2(0, fd, r, 2, 0, 0x80000) == -1 && errno == EOPNOTSUPP);
    CHECK(p2(1, fd, w, 2, 0, 0x40000000) == -1 && errno == EOPNOTSUPP);
    CHECK(p2(0, -1, r, 2, 0, 0) == -1 && errno == EBADF);
    CHECK(p2(0, fd, (struct iovec *)8, 2, 0, 0) == -1 && errno == EFAULT);
    CHECK(p2(0, fd, r, 5000, 0, 0) == -1 && errno == EINVAL);
    /* a pipe: -1 reads as readv does */
    int p[2];
    CHECK(pipe(p) == 0 && write(p[1], "pipe", 4) == 4);
    char q[8] = "";
    struct iovec pr = { q, sizeof q };
    CHECK(p2(0, p[0], &pr, 1, -1, 0) == 4 && !memcmp(q, "pipe", 4));
    CHECK(p2(0, p[0], &pr, 1, 0, 0) == -1 && errno == ESPIPE);
    /* sync_file_range */
    CHECK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0);
    CHECK(sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                           SYNC_FILE_RANGE_WAIT_AFTER) == 0);
    CHECK(sync_file_range(fd, 0, 0, 8) == -1 && errno == EINVAL);
    CHECK(sync_file_range(fd, -1, 0, 0) == -1 && errno == EINVAL);
    CHECK(sync_file_range(fd, 0, -1, 0) == -1 && errno == EINVAL);
    CHECK(sync_file_range(fd, INT64_MAX, 2, 0) == -1 && errno == EINVAL);
    CHECK(sync_file_range(-1, 0, 0, 0) == -1 && errno == EBADF);
    CHECK(sync_file_range(p[0], 0, 0, 0) == -1 && errno == ESPIPE);
    /* garbage */
    unsigned seed = 99;
    int odd = 0;
    for (int i = 0; i < 300; i++) {
        uint64_t v[4];
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t hi = seed;
            seed = seed * 1103515245u + 12345u;
            v[k] = hi << 32 | seed;
        }
        int f = (i % 3 == 0) ? fd : (i % 3 == 1) ? p[0] : (int)v[3];
        long res;
        if (i & 1)
            res = syscall(SYS_sync_file_range, f, (long)v[0], (long)v[1], (unsigned)v[2] & 0xf);
        else
            res = syscall((i & 2) ? SYS_pwritev2 : SYS_preadv2, f, (i & 4) ? (uint64_t)(uintptr_t)r : v[0],
                          v[1] & 7, (long)v[2], 0L, (i & 8) ? 0u : (unsigned)v[3]);
        if (res < 0 && errno != EINVAL && errno != EBADF && errno != EFAULT && errno != EOPNOTSUPP &&
            errno != ESPIPE && errno != EAGAIN && errno != EFBIG)
            odd++;
    }
    CHECK(odd == 0);
    close(p[0]);
    close(p[1]);
    close(fd);
}

int main(void)
{
    vectors();
    return done("iov2");
}
