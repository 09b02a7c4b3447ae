/*
 * attack.c — a hostile Linux program: raw system calls with Aerie's
 * numbers, forged fds and pointers, signals to pids outside the
 * container, huge mmap and brk, and a fork bomb. Each attempt must fail
 * cleanly inside the container (docs/LINUX.md, "Attacks"), and the
 * personality must go on serving; checks itself.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static long raw(long nr, long a, long b, long c)
{
    long r;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}

/* REPLY_RECV (0x1004) with a forged answer: what RSI says of the reply
 * (there is none to make: EINVAL, -1) and what the receive returns. */
static long raw_reply_recv(long slot, long info, long *replied)
{
    long r;
    register long r10 __asm__("r10") = 0;
    register long rsi __asm__("rsi") = info;
    __asm__ volatile("syscall" : "=a"(r), "+r"(rsi) : "a"(0x1004l), "D"(slot), "d"(0l), "r"(r10)
                     : "rcx", "r11", "memory");
    *replied = rsi;
    return r;
}

/* A child process holds no Aerie capability at all: every invocation is
 * ECAP (-2); a REPLY_RECV has nobody to answer (EINVAL in RSI) before its
 * receive finds no capability. */
static void aerie_calls_from_a_child(void)
{
    pid_t c = fork();
    if (c == 0) {
        int bad = 0;
        for (long slot = 1; slot < 64; slot++) {
            long r = raw(0x1000, slot, 0, 0);             /* AERIE_SYS_CALL */
            bad += r != -2;
            r = raw(0x1007, 3, slot, 0);                  /* AERIE_SYS_CAP DELETE */
            bad += r != -2;
            long replied = 0;
            r = raw_reply_recv(slot, (slot << 32) | 0xffff, &replied);   /* a label and too many words */
            bad += r != -2 || replied != -1;
        }
        _exit(bad ? 1 : 0);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void forged_fds_and_pointers(void)
{
    char buf[16];
    CHECK(read(12345, buf, 1) == -1 && errno == EBADF);
    CHECK(write(-1, "x", 1) == -1 && errno == EBADF);
    CHECK(close(999) == -1 && errno == EBADF);
    CHECK(syscall(SYS_read, 0, (void *)1, 10) == -1 && errno == EFAULT);
    CHECK(write(1, (void *)0xffffffffffff0000ul, 10) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_open, (char *)0x10, 0) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_clock_gettime, 0, (void *)0x7ffffffff000ul) == -1 && errno == EFAULT);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork();
    if (c == 0) {
        /* the parent's next fd does not exist here */
        _exit(read(p[1] + 1, buf, 1) == -1 && errno == EBADF ? 0 : 1);
    }
    int fd = dup(p[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 0);
    close(fd);
    close(p[0]);
    close(p[1]);
}

static void signals_stay_inside(void)
{
    CHECK(kill(999999, SIGKILL) == -1 && errno == ESRCH);
    CHECK(kill(4194303, SIGTERM) == -1 && errno == ESRCH);
    CHECK(syscall(SYS_tgkill, 424242, 424242, SIGKILL) == -1 && errno == ESRCH);
    CHECK(kill(-999999, SIGTERM) == -1 && errno == ESRCH);
}

static void huge_memory(void)
{
    void *p = mmap(NULL, 1ul << 40, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p == MAP_FAILED && errno == ENOMEM);
    long b0 = syscall(SYS_brk, 0);
    CHECK(syscall(SYS_brk, b0 + (1l << 40)) == b0);  /* refused: the break stays */
    /* touching more than the container's memory ends the toucher, not the
     * container: SIGKILL, as Linux's memory cgroup kills at its limit */
    pid_t c = fork();
    if (c == 0) {
        size_t len = 1ul << 32;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            _exit(3);
        for (size_t i = 0; i < len; i += 4096)
            m[i] = 1;
        _exit(4);
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* eventfd, timerfd, signalfd, memfd (services/linux/eventfd.c, sigfd.c,
 * memfd.c): a memfd past the container's memory fails with ENOSPC/ENOMEM
 * and its memory comes back on close; a size past the bound is EFBIG;
 * eventfds until the fd table is full end with EMFILE; bad flags and
 * sizes are EINVAL; and the container goes on. */
static void event_files_bounded(void)
{
    int fd = (int)syscall(SYS_memfd_create, "huge", 0);
    CHECK(fd >= 0);
    errno = 0;
    CHECK(ftruncate(fd, 1l << 40) == -1 && errno == EFBIG);
    static char mb[1 << 20];
    memset(mb, 0x5a, sizeof mb);
    long wrote = 0, r = 0;
    for (int i = 0; i < 64 && (r = write(fd, mb, sizeof mb)) > 0; i++)
        wrote += r;
    CHECK(r == -1 && (errno == ENOSPC || errno == ENOMEM));
    CHECK(wrote < (24l << 20));
    printf("attack: memfd full after %ld KiB (errno %d)\n", wrote >> 10, errno);
    CHECK(ftruncate(fd, 512l << 20) == 0);              /* a hole: costs nothing yet */
    void *m = mmap(NULL, 512ul << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m == MAP_FAILED && errno == ENOMEM);
    struct stat st;                                     /* the failed mapping left no blocks behind */
    CHECK(fstat(fd, &st) == 0 && st.st_blocks * 512 == ((wrote + 65535) & ~65535l));
    close(fd);
    fd = (int)syscall(SYS_memfd_create, "again", 0);   /* the memory came back with the close */
    CHECK(fd >= 0 && write(fd, mb, sizeof mb) == (long)sizeof mb);
    close(fd);
    errno = 0;
    CHECK(syscall(SYS_memfd_create, "x", 0x4 /* MFD_HUGETLB */) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_memfd_create, (char *)-4096l, 0) == -1 && errno == EFAULT);

    static int fds[1100];
    int n = 0;
    while (n < 1100 && (fds[n] = (int)syscall(SYS_eventfd2, 0, 0)) >= 0)
        n++;
    CHECK(n < 1100 && errno == EMFILE);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    printf("attack: eventfds until EMFILE: %d\n", n);
    int e = (int)syscall(SYS_eventfd2, 1, 0);
    CHECK(e >= 0);
    uint64_t v = ~0ull;
    errno = 0;
    CHECK(write(e, &v, 8) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(read(e, &v, 7) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_read, e, 8l, 8l) == -1 && errno == EFAULT);
    close(e);
    errno = 0;
    CHECK(syscall(SYS_eventfd2, 0, ~0l) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_timerfd_create, 1, ~0l) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_timerfd_create, -1, 0) == -1 && errno == EINVAL);
    int tf = (int)syscall(SYS_timerfd_create, 1, 0);
    struct timespec bad[2] = { { 0, 0 }, { -1, 0 } };
    errno = 0;
    CHECK(syscall(SYS_timerfd_settime, tf, 0, bad) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_timerfd_settime, tf, 0, (void *)8) == -1 && errno == EFAULT);
    close(tf);
    uint64_t mask = ~0ull;
    errno = 0;
    CHECK(syscall(SYS_signalfd4, -1, &mask, 1l << 40, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_signalfd4, 1000, &mask, 8, 0) == -1 && errno == EBADF);
    errno = 0;
    CHECK(syscall(SYS_signalfd4, -1, (void *)8, 8, 0) == -1 && errno == EFAULT);
}

static void fork_bomb(void)
{
    int made = 0, err = 0;
    pid_t kids[512];
    for (; made < 512; made++) {
        pid_t c = fork();
        if (c == 0) {
            pause();
            _exit(0);
        }
        if (c < 0) {
            err = errno;
            break;
        }
        kids[made] = c;
    }
    printf("attack: fork bomb stopped after %d children (errno %d)\n", made, err);
    CHECK(made < 512 && err == EAGAIN);
    for (int i = 0; i < made; i++)
        kill(kids[i], SIGKILL);
    int n = 0;
    while (wait(NULL) > 0)
        n++;
    CHECK(n == made);
    pid_t c = fork();                                     /* room again */
    if (c == 0)
        _exit(0);
    CHECK(c > 0 && waitpid(c, NULL, 0) == c);
}

/* What a child process reaches through the personality's lent ranges
 * (docs/LINUX.md, "On the process's own page tables"): its container's
 * windows, where it finds its parent's marker (a random one per run), and
 * never another container's — run as "attack lent" in two containers at
 * once, each with its own marker at the same address. */
#define MIRROR_BASE 0x100000000000ull          /* 16 TiB, aerie/proto/linux.h */
#define WINDOW      0x1000000000ull            /* 64 GiB */
static char marker[64] __attribute__((aligned(4096)));
static sigjmp_buf probe_jb;
static void probe_segv(int sig) { (void)sig; siglongjmp(probe_jb, 1); }

static int lent_reach(void)
{
    uint64_t r = 0;
    syscall(SYS_getrandom, &r, sizeof r, 0);
    r ^= (uint64_t)(uintptr_t)&r;
    snprintf(marker, sizeof marker, "LENT-MARK-%016llx", (unsigned long long)r);
    pid_t c = fork();
    if (c == 0) {
        signal(SIGSEGV, probe_segv);
        int own = 0, foreign = 0, faults = 0;
        for (uint64_t k = 0; k < 32; k++) {
            volatile const char *p = (volatile const char *)(MIRROR_BASE + k * WINDOW + (uintptr_t)marker);
            char got[64];
            if (sigsetjmp(probe_jb, 1)) {
                faults++;
                continue;
            }
            for (int i = 0; i < 64; i++)
                got[i] = p[i];
            if (!memcmp(got, "LENT-MARK-", 10))
                memcmp(got, marker, sizeof marker) ? foreign++ : own++;
        }
        printf("attack: lent windows: own %d foreign %d unmapped %d\n", own, foreign, faults);
        fflush(stdout);
        _exit(own >= 1 && !foreign ? 0 : 1);
    }
    int st;
    CHECK(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return done("attack lent");
}

/* A child process that writes over its personality through the lent
 * ranges (attack9): every page of the personality's heap and stacks it can
 * reach (LX_SELF_VM_BASE, aerie/proto/linux.h) gets a wild word, then it
 * makes a system call. Its own container is then the personality's to
 * lose — and only its own: a neighbour runs on, and cm removes the wreck
 * (lxtest.c, linux_lent_scribble_stays_inside). Whether the parent ever
 * prints again is not promised. */
static int lent_scribble(void)
{
    printf("attack: scribbling\n");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        for (uint64_t off = 0; off < (16ull << 20); off += 4096) {
            /* no signal handler: its delivery is the personality's too; a
             * page the personality does not have ends the probe here */
            volatile uint64_t *q = (volatile uint64_t *)(0x00007E0000000000ull + off);
            for (int i = 0; i < 512; i++)
                q[i] = 0x4141414141414141ull;
        }
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("attack: scribbled and still here\n");
    return 0;
}

/* Processes that keep the personality in fs calls on their behalf while
 * they die under it (attack12: the personality back from fs runs on the
 * tables of the process it owes an answer, kernel/sched.c "Back from a
 * call onto its caller's tables"): children read, stat and rewrite a file
 * in a loop, fork children of their own, one execs itself; the parent
 * kills them at moving moments, for a few seconds; half of them have a
 * second thread in calls too, and one execs while it is. The file must read
 * back whole and the personality go on serving. */
static void *storm_thread(void *arg)
{
    (void)arg;
    struct stat st;
    char buf[512];
    for (;;) {
        stat("/replystorm.dat", &st);
        int fd = open("/replystorm.dat", O_RDONLY);
        if (fd >= 0) {
            read(fd, buf, sizeof buf);
            close(fd);
        }
    }
    return NULL;
}

static void storm_child(int k)
{
    char buf[4096];
    pthread_t th;
    if (k % 2 == 0)                            /* a second thread in calls too, on either CPU */
        pthread_create(&th, NULL, storm_thread, NULL);
    for (int n = 0;; n++) {
        int fd = open("/replystorm.dat", O_RDONLY);
        if (fd >= 0) {
            while (read(fd, buf, sizeof buf) > 0)
                ;
            close(fd);
        }
        struct stat st;
        stat("/replystorm.dat", &st);
        if (n % 8 == 0 && fork() == 0) {
            stat("/", &st);
            _exit(0);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (k == 0 && n == 40) {
            char *av[] = { "attack", "lent", NULL };
            execv("/proc/self/exe", av);
        }
    }
}

static int reply_storm(void)
{
    on_aerie();
    static char data[65536];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 31 + 7);
    int fd = open("/replystorm.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, data, sizeof data) == (ssize_t)sizeof data);
    close(fd);
    pid_t kids[6] = { 0 };
    unsigned rounds = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int k = 0; k < 6; k++) {
            if (kids[k] > 0 && (rounds + (unsigned)k) % 3 == 0) {
                kill(kids[k], SIGKILL);
                waitpid(kids[k], NULL, 0);
                kids[k] = 0;
            }
            if (kids[k] <= 0 && (kids[k] = fork()) == 0)
                storm_child(k);
        }
        for (volatile unsigned i = 0, n = (rounds * 7919) % 200000; i < n; i++)
            ;
        rounds++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (t.tv_sec - t0.tv_sec < 4);
    for (int k = 0; k < 6; k++)
        if (kids[k] > 0) {
            kill(kids[k], SIGKILL);
            waitpid(kids[k], NULL, 0);
        }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    static char back[65536];
    fd = open("/replystorm.dat", O_RDONLY);
    ssize_t got = 0, r;
    while (fd >= 0 && got < (ssize_t)sizeof back && (r = read(fd, back + got, sizeof back - (size_t)got)) > 0)
        got += r;
    close(fd);
    CHECK(got == (ssize_t)sizeof back && !memcmp(back, data, sizeof data));
    unlink("/replystorm.dat");
    printf("attack: reply storm, %u rounds\n", rounds);
    return done("attack replystorm");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "lent"))
        return lent_reach();
    if (argc > 1 && !strcmp(argv[1], "scribble"))
        return lent_scribble();
    if (argc > 1 && !strcmp(argv[1], "replystorm"))
        return reply_storm();
    aerie_calls_from_a_child();
    forged_fds_and_pointers();
    signals_stay_inside();
    huge_memory();
    event_files_bounded();
    fork_bomb();
    return done("attack");
}
