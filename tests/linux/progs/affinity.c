/*
 * affinity.c — sched_setaffinity and sched_getaffinity inside a
 * container's CPUs (docs/LINUX.md; SECURITY.md 78f): getaffinity says the
 * container's CPUs; a set with none of them is EINVAL and changes
 * nothing; a set with some of them keeps the thread to those (getcpu
 * says one of them), and new threads and fork children have the maker's.
 * Run with cpus=1 on two CPUs (lxtest) it sees {1} and is refused CPU 0;
 * with every CPU it narrows itself to its last one. Checks itself.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static cpu_set_t mine;                   /* the container's CPUs, as first read */

static int last_cpu(const cpu_set_t *s)
{
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, s))
            last = c;
    return last;
}

static void *thread_sees(void *arg)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CHECK(sched_getaffinity(0, sizeof s, &s) == 0);
    CHECK(CPU_EQUAL(&s, (cpu_set_t *)arg));
    CHECK(CPU_ISSET(sched_getcpu(), (cpu_set_t *)arg));
    return NULL;
}

/* A set with none of the container's CPUs: EINVAL, nothing changes. */
static void outside_refused(void)
{
    cpu_set_t s, now;
    CPU_ZERO(&s);
    for (int c = 0; c < 64; c++)
        if (!CPU_ISSET(c, &mine))
            CPU_SET(c, &s);
    errno = 0;
    CHECK(sched_setaffinity(0, sizeof s, &s) == -1 && errno == EINVAL);
    CPU_ZERO(&s);
    errno = 0;
    CHECK(sched_setaffinity(0, sizeof s, &s) == -1 && errno == EINVAL);   /* empty */
    CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &mine));
    errno = 0;
    CHECK(sched_setaffinity(999999, sizeof mine, &mine) == -1 && errno == ESRCH);
}

int main(void)
{
    CPU_ZERO(&mine);
    CHECK(sched_getaffinity(0, sizeof mine, &mine) == 0);
    CHECK(CPU_COUNT(&mine) >= 1);
    CHECK(CPU_ISSET(sched_getcpu(), &mine));
    outside_refused();
    /* every CPU asked for: the container's are kept, no more */
    cpu_set_t all, one, now;
    CPU_ZERO(&all);
    for (int c = 0; c < 64; c++)
        CPU_SET(c, &all);
    CHECK(sched_setaffinity(0, sizeof all, &all) == 0);
    CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &mine));
    /* its last CPU alone: it runs there, and so do its thread and child */
    CPU_ZERO(&one);
    CPU_SET(last_cpu(&mine), &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &one));
    for (int i = 0; i < 20; i++)
        CHECK(sched_getcpu() == last_cpu(&mine));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_sees, &one) == 0 && pthread_join(th, NULL) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &one));
        CHECK(sched_getcpu() == last_cpu(&mine));
        _exit(failed ? 1 : 0);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(sched_setaffinity(0, sizeof mine, &mine) == 0);
    CHECK(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &mine));
    if (CPU_COUNT(&mine) == 1 && CPU_ISSET(1, &mine))
        printf("affinity: cpus=1 seen, CPU 0 refused\n");
    return done("affinity");
}
