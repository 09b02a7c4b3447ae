/*
 * shmdev.c — POSIX shared memory and named semaphores through /dev/shm
 * (docs/LINUX.md, "/dev/shm"), what Python's multiprocessing, PostgreSQL
 * and many others make their locks and shared pages of: shm_open,
 * ftruncate and a MAP_SHARED mapping seen by a forked child, O_EXCL,
 * shm_unlink, the names in readdir and stat; sem_open shared with a child
 * that opens it by name, sem_wait woken by the child's sem_post,
 * sem_trywait, sem_timedwait's timeout, sem_unlink; a process-shared
 * unnamed semaphore in anonymous shared memory; /dev/shm a sticky
 * directory everyone may write, listed in /dev. Every check also holds
 * on Linux; the names carry the pid and are removed.
 *
 * Arguments: (none) the checks; "hold" keeps /dev/shm/iso holding
 * "secret" and waits; "probe" checks that another container's object of
 * the same name is neither seen nor opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static char shm_name[64], sem_name[64];

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static int wait_status(pid_t pid)
{
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool listed(const char *dir, const char *name, unsigned char *type)
{
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strcmp(e->d_name, name)) {
            found = true;
            if (type)
                *type = e->d_type;
        }
    if (d)
        closedir(d);
    return found;
}

static void the_directory(void)
{
    struct stat st;
    CHECK(stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777);
    CHECK(lstat("/dev/shm/", &st) == 0 && S_ISDIR(st.st_mode));
    unsigned char type = 0;
    CHECK(listed("/dev", "shm", &type) && (type == DT_DIR || type == DT_UNKNOWN));
    CHECK(listed("/dev", "null", NULL));                 /* the devices are still there */
    int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
    if (fd >= 0)
        close(fd);
    CHECK(open("/dev/shmx", O_RDONLY) == -1 && errno == ENOENT);
    struct utsname u;
    if (!uname(&u) && strstr(u.release, "-aerie")) {   /* never tried on a development machine's own */
        CHECK(rmdir("/dev/shm") == -1 && errno == EBUSY);  /* a mount point on Linux */
        CHECK(rmdir("/dev/shm/") == -1 && errno == EBUSY);
        CHECK(rename("/dev/shm", "/shm-moved") == -1 && errno == EBUSY);
        CHECK(mkdir("/dev/shm", 0755) == -1 && errno == EEXIST);
        CHECK(stat("/shm-moved", &st) == -1 && errno == ENOENT);
    }
}

static void shared_memory(void)
{
    int fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600) == -1 && errno == EEXIST);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 0777) == 0600);
    CHECK(ftruncate(fd, 8192) == 0 && fstat(fd, &st) == 0 && st.st_size == 8192);
    char path[96];
    snprintf(path, sizeof path, "/dev/shm%s", shm_name);
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8192);
    CHECK(listed("/dev/shm", shm_name + 1, NULL));
    volatile char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    pid_t pid = fork();
    if (pid == 0) {                        /* the child: its own open and mapping, by name */
        int cfd = shm_open(shm_name, O_RDWR, 0);
        char *q = cfd < 0 ? MAP_FAILED : mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        if (q == MAP_FAILED)
            _exit(3);
        strcpy(q + 4096, "from the child");
        p[0] = 'c';                       /* and through the mapping it inherited */
        _exit(0);
    }
    CHECK(pid > 0 && wait_status(pid) == 0);
    CHECK(p[0] == 'c' && !strcmp((const char *)p + 4096, "from the child"));
    char buf[16] = { 0 };
    CHECK(pread(fd, buf, 14, 4096) == 14 && !memcmp(buf, "from the child", 14));   /* and in the file */
    int again = shm_open(shm_name, O_RDONLY, 0);
    CHECK(again >= 0);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0) == MAP_FAILED && errno == EACCES);
    close(again);
    CHECK(shm_unlink(shm_name) == 0);
    CHECK(shm_open(shm_name, O_RDWR, 0) == -1 && errno == ENOENT);
    CHECK(shm_unlink(shm_name) == -1 && errno == ENOENT);
    CHECK(p[0] == 'c');                   /* the mapping outlives the name */
    munmap((void *)p, 8192);
    close(fd);
}

static void named_semaphores(void)
{
    sem_t *s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED);
    if (s == SEM_FAILED)
        return;
    CHECK(sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED && errno == EEXIST);
    char path[96];                          /* glibc's name; musl's has no "sem." */
    snprintf(path, sizeof path, "/dev/shm/sem.%s", sem_name + 1);
    struct stat st;
    if (stat(path, &st))
        snprintf(path, sizeof path, "/dev/shm/%s", sem_name + 1);
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(sem_trywait(s) == -1 && errno == EAGAIN);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    CHECK(sem_timedwait(s, &ts) == -1 && errno == ETIMEDOUT);
    pid_t pid = fork();
    if (pid == 0) {                        /* opens it by name, posts twice after a while */
        sem_t *c = sem_open(sem_name, 0);
        if (c == SEM_FAILED)
            _exit(3);
        nap_ms(50);
        _exit(sem_post(c) || sem_post(c) ? 4 : 0);
    }
    CHECK(sem_wait(s) == 0);               /* woken by the child */
    CHECK(pid > 0 && wait_status(pid) == 0);
    int v = -1;
    CHECK(sem_getvalue(s, &v) == 0 && v == 1);
    CHECK(sem_trywait(s) == 0 && sem_trywait(s) == -1 && errno == EAGAIN);
    CHECK(sem_close(s) == 0);
    CHECK(sem_unlink(sem_name) == 0);
    CHECK(sem_open(sem_name, 0) == SEM_FAILED && errno == ENOENT);
    CHECK(stat(path, &st) == -1 && errno == ENOENT);
}

static void unnamed_shared_semaphore(void)
{
    sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED && sem_init(s, 1, 0) == 0);
    if (s == MAP_FAILED)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        nap_ms(30);
        _exit(sem_post(s) ? 4 : 0);
    }
    CHECK(sem_wait(s) == 0);
    CHECK(pid > 0 && wait_status(pid) == 0);
    sem_destroy(s);
    munmap(s, 4096);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && !strcmp(argv[1], "hold")) {
        int fd = shm_open("/iso", O_CREAT | O_RDWR, 0644);
        if (fd < 0 || write(fd, "secret", 6) != 6) {
            printf("shmdev: cannot hold /dev/shm/iso (errno %d)\n", errno);
            return 1;
        }
        printf("shmdev: holding /dev/shm/iso\n");
        for (;;)
            pause();
    }
    if (argc == 2 && !strcmp(argv[1], "probe")) {
        /* another container of the same image holds /dev/shm/iso */
        struct stat st;
        CHECK(stat("/dev/shm/iso", &st) == -1 && errno == ENOENT);
        CHECK(!listed("/dev/shm", "iso", NULL));
        CHECK(shm_open("/iso", O_RDWR, 0) == -1 && errno == ENOENT);
        int fd = shm_open("/iso", O_CREAT | O_EXCL | O_RDWR, 0600);
        char buf[8];
        CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 0);     /* not its "secret" */
        CHECK(shm_unlink("/iso") == 0);
        return done("shmdev");
    }
    snprintf(shm_name, sizeof shm_name, "/shmdev-%d", (int)getpid());
    snprintf(sem_name, sizeof sem_name, "/shmdev-sem-%d", (int)getpid());
    the_directory();
    shared_memory();
    named_semaphores();
    unnamed_shared_semaphore();
    return done("shmdev");
}
