/*
 * shmfile.c — MAP_SHARED file mappings (docs/LINUX.md, "Shared file
 * mappings"): two processes (fork) share a file's pages, writes through
 * one mapping are seen through the other and by read(), write() is seen
 * through the mappings, msync and munmap put the bytes in the file (a
 * fresh open reads them), ftruncate-extend-then-map as SQLite's -shm
 * does, a read-only fd refuses PROT_WRITE, /dev/zero shared across fork, the pages are charged to the
 * container and return at munmap, and a mapping larger than the
 * container's memory fails with ENOMEM leaving the container well.
 * args "hold" / "probe": the isolation halves (lxtest runs them as two
 * containers at once). Checks itself.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PG 4096
#define MARK "shm-secret-of-the-holder"

static unsigned long free_ram(void)
{
    struct sysinfo si;
    return sysinfo(&si) ? 0 : si.freeram * si.mem_unit;
}

/* free_ram() once it is back to within 64 KiB of before, or after about a
 * second: a waited-for child's page tables are given back by the CPU it
 * last ran on, at that CPU's next pass through its scheduler (docs/CM.md,
 * "Memory on its way back"), a moment after waitpid has answered. A real
 * leak never comes back. */
static unsigned long free_ram_back(unsigned long before)
{
    unsigned long now = free_ram();
    for (int i = 0; i < 100 && now + (64 << 10) < before; i++) {
        usleep(10000);
        now = free_ram();
    }
    return now;
}

static bool file_has(const char *path, off_t off, const char *want)
{
    char buf[64] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, strlen(want), off);
    if (fd >= 0)
        close(fd);
    return n == (ssize_t)strlen(want) && !memcmp(buf, want, strlen(want));
}

/* Holds a shared mapping of /iso with MARK in it (not written back) until killed. */
static int hold(void)
{
    int fd = open("/iso", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, PG) == 0);
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED)
        strcpy(p, MARK);
    printf("shmfile: holding\n");
    fflush(stdout);
    for (;;)
        pause();
    return 0;
}

/* Another container: no /iso of the holder, and no MARK in any it has. */
static int probe(void)
{
    int fd = open("/iso", O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0 && ftruncate(fd, PG) == 0);
    char *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED && !memmem(p, PG, MARK, strlen(MARK)));
    char buf[PG];
    CHECK(pread(fd, buf, PG, 0) == PG && !memmem(buf, PG, MARK, strlen(MARK)));
    return done("shmfile");
}

int main(int argc, char **argv)
{
    on_aerie();
    if (argc > 1 && !strcmp(argv[1], "hold"))
        return hold();
    if (argc > 1 && !strcmp(argv[1], "probe"))
        return probe();

    int fd = open("/shared.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char page[PG];
    memset(page, 'f', PG);
    CHECK(write(fd, page, PG) == PG && write(fd, page, PG) == PG);   /* two pages of 'f' */
    char *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    if (a == MAP_FAILED)
        return done("shmfile");
    CHECK(a[0] == 'f' && a[2 * PG - 1] == 'f');                      /* filled from the file */

    /* two processes: the child writes through its mapping (inherited) and
     * through a second one it makes; the parent sees both */
    pid_t c = fork();
    if (c == 0) {
        memcpy(a + 100, "child-wrote", 11);
        char *b = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
        if (b != MAP_FAILED)
            memcpy(b + 8, "second-page", 11);
        _exit(b == MAP_FAILED);
    }
    int status = -1;
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(!memcmp(a + 100, "child-wrote", 11) && !memcmp(a + PG + 8, "second-page", 11));

    /* read() sees the mapping's bytes; write() shows in the mapping */
    char buf[32] = "";
    CHECK(pread(fd, buf, 11, 100) == 11 && !memcmp(buf, "child-wrote", 11));
    CHECK(pwrite(fd, "by-pwrite", 9, 200) == 9 && !memcmp(a + 200, "by-pwrite", 9));
    CHECK(lseek(fd, 300, SEEK_SET) == 300 && write(fd, "by-write", 8) == 8 && !memcmp(a + 300, "by-write", 8));

    /* msync: a fresh open reads the bytes */
    memcpy(a + 400, "synced", 6);
    CHECK(msync(a, 2 * PG, MS_SYNC) == 0);
    CHECK(file_has("/shared.dat", 400, "synced") && file_has("/shared.dat", PG + 8, "second-page"));
    CHECK(msync(a, PG, MS_ASYNC | MS_SYNC) == -1 && errno == EINVAL);

    /* fsync writes back too */
    memcpy(a + 500, "fsynced", 7);
    CHECK(fsync(fd) == 0 && file_has("/shared.dat", 500, "fsynced"));

    /* extend with ftruncate, then map the new range (SQLite's -shm grows
     * 32 KiB at a time); a second mapping of it in a child */
    CHECK(ftruncate(fd, 2 * PG + 32768) == 0);
    char *x = mmap(NULL, 32768, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * PG);
    CHECK(x != MAP_FAILED);
    if (x != MAP_FAILED) {
        CHECK(x[0] == 0 && x[32767] == 0);
        c = fork();
        if (c == 0) {
            char *y = mmap(NULL, 32768, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * PG);
            if (y != MAP_FAILED)
                strcpy(y + 32000, "extended");
            _exit(y == MAP_FAILED);
        }
        CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(!strcmp(x + 32000, "extended"));
        CHECK(munmap(x, 32768) == 0);
    }

    /* munmap of the last mapping writes back: a fresh open sees it */
    memcpy(a + 600, "unmapped", 8);
    CHECK(munmap(a, 2 * PG) == 0);
    CHECK(close(fd) == 0);
    CHECK(file_has("/shared.dat", 600, "unmapped") && file_has("/shared.dat", 2 * PG + 32000, "extended"));

    /* a child's exit (the last mapping) writes back */
    fd = open("/shared.dat", O_RDWR);
    c = fork();
    if (c == 0) {
        char *z = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (z != MAP_FAILED)
            memcpy(z + 700, "at-exit", 7);
        _exit(z == MAP_FAILED);
    }
    CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(file_has("/shared.dat", 700, "at-exit"));

    /* ftruncate shrinks: the pages past the end read zero again */
    char *s = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED && s[PG + 8] == 's');
    CHECK(ftruncate(fd, PG) == 0 && ftruncate(fd, 2 * PG) == 0 && s != MAP_FAILED && s[PG + 8] == 0);
    CHECK(s != MAP_FAILED && s[700] == 'a');
    /* MAP_FIXED over the file's only mapping, with the same file: its
     * bytes go back and come again */
    if (s != MAP_FAILED) {
        memcpy(s + 800, "fixed", 5);
        CHECK(mmap(s, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == s);
        CHECK(!memcmp(s + 800, "fixed", 5) && s[700] == 'a');
        s[PG + 100] = 'q';                                          /* truncate by path too */
        CHECK(truncate("/shared.dat", PG) == 0 && truncate("/shared.dat", 2 * PG) == 0 && s[PG + 100] == 0);
    }
    CHECK(s != MAP_FAILED && munmap(s, 2 * PG) == 0);
    close(fd);

    /* a read-only fd: PROT_READ is shared, PROT_WRITE refused, also by mprotect */
    fd = open("/shared.dat", O_RDONLY);
    CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
    char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(r != MAP_FAILED && !memcmp(r + 600, "unmapped", 8));
    CHECK(mprotect(r, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES);
    CHECK(munmap(r, PG) == 0);
    close(fd);

    /* /dev/zero shared is shared anonymous memory, across fork */
    fd = open("/dev/zero", O_RDWR);
    volatile int *zero = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(zero != MAP_FAILED);
    if (zero != MAP_FAILED) {
        CHECK(zero[10] == 0);
        c = fork();
        if (c == 0) {
            zero[10] = 4321;
            _exit(0);
        }
        CHECK(waitpid(c, &status, 0) == c && zero[10] == 4321);
        CHECK(munmap((void *)zero, PG) == 0);
    }
    close(fd);

    /* charged to the container, and returned at munmap */
    fd = open("/big.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    unsigned long before = free_ram();
    char *m = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    unsigned long during = free_ram();
    CHECK(during + (4 << 20) <= before);
    CHECK(munmap(m, 4 << 20) == 0);
    unsigned long after = free_ram();
    CHECK(after + (64 << 10) >= before);
    printf("shmfile: free %lu KiB, %lu KiB mapped, %lu KiB after munmap\n", before >> 10, during >> 10, after >> 10);

    /* nothing kept after munmap and close, nor after a mapping child's
     * exit: 300 rounds would use up the session's 256 fs handles or the
     * container's objects if a handle or a segment stayed */
    int rounds = 0;
    for (int i = 0; i < 300; i++) {
        int f2 = open("/big.dat", O_RDWR);
        char *q = f2 < 0 ? MAP_FAILED : mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        if (q == MAP_FAILED)
            break;
        q[PG] = (char)i;
        rounds += munmap(q, 2 * PG) == 0 && close(f2) == 0;
    }
    CHECK(rounds == 300);
    for (int i = 0; i < 10; i++) {
        c = fork();
        if (c == 0) {
            int f2 = open("/big.dat", O_RDWR);
            char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
            _exit(q == MAP_FAILED);
        }
        CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK(free_ram_back(before) + (64 << 10) >= before);

    /* larger than the container's memory (mem=64M): ENOMEM, and all is well */
    m = mmap(NULL, 256ul << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m == MAP_FAILED && errno == ENOMEM);
    CHECK(free_ram() + (64 << 10) >= before);
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED && ftruncate(fd, PG) == 0);
    if (m != MAP_FAILED)
        strcpy(m, "still-well");
    CHECK(m != MAP_FAILED && munmap(m, PG) == 0 && file_has("/big.dat", 0, "still-well"));
    close(fd);
    return done("shmfile");
}
