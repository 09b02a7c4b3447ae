#define _GNU_SOURCE
/*
 * seals.c — memfd sealing as memfd_create(2) and fcntl(2) describe it:
 * without MFD_ALLOW_SEALING only F_SEAL_SEAL; F_SEAL_SHRINK/GROW refuse
 * truncation and writes past the end, F_SEAL_WRITE/FUTURE_WRITE refuse
 * write() and writable MAP_SHARED (EPERM), F_SEAL_WRITE while a writable
 * shared mapping exists is EBUSY, F_SEAL_SEAL ends sealing; private
 * mappings stay writable; bad commands and garbage get EINVAL/EPERM/EBADF.
 * Passes on Linux too. Checks itself.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int mfd(unsigned flags)
{
    return (int)syscall(SYS_memfd_create, "seals", flags);
}

static void without_the_flag(void)
{
    int fd = mfd(MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM);
    CHECK(write(fd, "abc", 3) == 3 && ftruncate(fd, 1) == 0);
    close(fd);
    /* a file that is no memfd has no seals */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[0], F_GET_SEALS) == -1 && errno == EINVAL);
    CHECK(fcntl(p[1], F_ADD_SEALS, F_SEAL_SEAL) == -1 && errno == EINVAL);
    close(p[0]);
    close(p[1]);
}

static void shrink_and_grow(void)
{
    int fd = mfd(MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && fcntl(fd, F_GET_SEALS) == 0);
    CHECK(ftruncate(fd, 8192) == 0);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
    CHECK(fcntl(fd, F_GET_SEALS) == F_SEAL_SHRINK);
    CHECK(ftruncate(fd, 4096) == -1 && errno == EPERM);
    CHECK(ftruncate(fd, 12288) == 0);            /* growing still may */
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0);
    CHECK(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW));
    CHECK(ftruncate(fd, 16384) == -1 && errno == EPERM);
    CHECK(ftruncate(fd, 12288) == 0);            /* the same size is no change */
    CHECK(pwrite(fd, "in", 2, 100) == 2);        /* inside: fine */
    /* page by page, as shmem_write_begin: the page that would pass the end is refused */
    CHECK(pwrite(fd, "past", 4, 12286) == 2);
    CHECK(ftruncate(fd, 12288) == 0);
    CHECK(pwrite(fd, "past", 4, 12287) == 1);
    CHECK(pwrite(fd, "x", 1, 12288) == -1 && errno == EPERM);
    CHECK(lseek(fd, 0, SEEK_END) == 12288 && write(fd, "y", 1) == -1 && errno == EPERM);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 12288);
    CHECK(fallocate(fd, 0, 0, 20000) == -1 && errno == EPERM);
    close(fd);
}

static void write_seal(void)
{
    int fd = mfd(MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0 && pwrite(fd, "hello", 5, 0) == 5);
    /* a writable shared mapping: F_SEAL_WRITE is EBUSY while it is there */
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(w != MAP_FAILED);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EBUSY);
    /* ... also in a child that inherited it */
    int sync[2];
    CHECK(pipe(sync) == 0);
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(sync[1]);
        _exit(read(sync[0], &b, 1) == 0 ? 0 : 1);
    }
    CHECK(munmap(w, 4096) == 0);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EBUSY);   /* the child's */
    close(sync[0]);
    close(sync[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
    char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);   /* read-only: may, but stays so */
    CHECK(r != MAP_FAILED);
    CHECK(mprotect(r, 4096, PROT_READ | PROT_WRITE) == -1 && errno == EACCES);
    CHECK(fcntl(fd, F_GET_SEALS) == F_SEAL_WRITE);
    CHECK(write(fd, "x", 1) == -1 && errno == EPERM);
    CHECK(pwrite(fd, "x", 1, 10) == -1 && errno == EPERM);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
    char b[8] = "";
    CHECK(pread(fd, b, 5, 0) == 5 && !memcmp(b, "hello", 5));
    CHECK(r[0] == 'h');
    /* a private mapping is the program's own copy: writable */
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        p[0] = 'J';
        CHECK(pread(fd, b, 1, 0) == 1 && b[0] == 'h');
        munmap(p, 4096);
    }
    CHECK(ftruncate(fd, 8192) == 0);             /* WRITE alone does not bar the size */
    munmap(r, 4096);
    close(fd);
}

/* attack18: a read-only shared mapping made before the seal could be
 * mprotect'ed writable after it, and the "sealed" bytes changed. Linux
 * counts every shared mapping that may become writable (VM_MAYWRITE: the
 * file is open for writing), so the seal is EBUSY while one is there. */
static void read_only_mapping_before_the_seal(void)
{
    int fd = mfd(MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0 && pwrite(fd, "hello", 5, 0) == 5);
    char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(r != MAP_FAILED);
    int sealed = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE);
    CHECK(sealed == -1 && errno == EBUSY);
    if (sealed == 0 && mprotect(r, 4096, PROT_READ | PROT_WRITE) == 0) {
        r[0] = 'J';                              /* what the seal was to forbid */
        char b = 0;
        CHECK(pread(fd, &b, 1, 0) == 1 && b == 'h');
    }
    CHECK(munmap(r, 4096) == 0);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);   /* gone: now it may */
    close(fd);
}

static void future_write_and_seal(void)
{
    int fd = mfd(MFD_ALLOW_SEALING);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(w != MAP_FAILED);
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0);   /* an old mapping may stay */
    w[0] = 'o';                                  /* and still writes */
    char b = 0;
    CHECK(pread(fd, &b, 1, 0) == 1 && b == 'o');
    CHECK(write(fd, "x", 1) == -1 && errno == EPERM);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EPERM);
    char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(r != MAP_FAILED && r[0] == 'o');
    CHECK(mprotect(r, 4096, PROT_READ | PROT_WRITE) == -1 && errno == EACCES);
    /* F_SEAL_SEAL: no more seals, no fewer */
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0);
    CHECK(fcntl(fd, F_GET_SEALS) == (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL));
    CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == -1 && errno == EPERM);
    CHECK(fcntl(fd, F_ADD_SEALS, 0) == -1 && errno == EPERM);
    munmap(w, 4096);
    munmap(r, 4096);
    /* seals belong to the file: a dup sees them */
    int d = dup(fd);
    CHECK(fcntl(d, F_GET_SEALS) == (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL));
    close(d);
    close(fd);
}

static void bad_arguments(void)
{
    int fd = mfd(MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_ADD_SEALS, 0x40) == -1 && errno == EINVAL);      /* unknown seal */
    CHECK(fcntl(fd, F_ADD_SEALS, -1) == -1 && errno == EINVAL);
    CHECK(fcntl(fd, F_GET_SEALS) == 0);                                /* nothing taken */
    CHECK(fcntl(-1, F_GET_SEALS) == -1 && errno == EBADF);
    CHECK(fcntl(999, F_ADD_SEALS, F_SEAL_SEAL) == -1 && errno == EBADF);
    /* garbage: an errno or a value, never a crash */
    unsigned seed = 777;
    int odd = 0;
    for (int i = 0; i < 200; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned v = seed;
        long r = syscall(SYS_fcntl, i % 3 ? fd : (int)v, 1033 + (i & 1), (unsigned long)v << (i & 31));
        if (r < 0 && errno != EINVAL && errno != EBADF && errno != EPERM && errno != EBUSY)
            odd++;
    }
    CHECK(odd == 0);
    close(fd);
}

int main(void)
{
    without_the_flag();
    shrink_and_grow();
    write_seal();
    read_only_mapping_before_the_seal();
    future_write_and_seal();
    bad_arguments();
    return done("seals");
}
