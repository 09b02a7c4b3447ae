/* lineping.c — the host's cache-line round trip between its CPUs 0 and 1:
 * two pinned threads bounce one line BATCH times per sample; prints the
 * minimum and median over SAMPLES samples in ns per round trip. Under TCG
 * every guest cross-CPU hand-over is made of such transfers between the
 * two vCPU threads, so bench/aerie/ipc-compare.sh prints this beside the
 * guest's cross-CPU IPC figures (docs/EVALUATION.md, branch ipcx). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH   500
#define SAMPLES 201

static _Alignas(64) volatile long flag;

static int pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *pong(void *arg)
{
    (void)arg;
    if (pin(1) != 0)
        fprintf(stderr, "lineping: cannot pin to CPU 1\n");
    for (long i = 0; i < (long)BATCH * SAMPLES; i++) {
        while (flag != 2 * i + 1)
            ;
        flag = 2 * i + 2;
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    static double ns[SAMPLES];
    pthread_t t;
    if (pin(0) != 0) {
        fprintf(stderr, "lineping: cannot pin to CPU 0 (needs two CPUs)\n");
        return 1;
    }
    if (pthread_create(&t, NULL, pong, NULL) != 0) {
        fprintf(stderr, "lineping: cannot start the second thread\n");
        return 1;
    }
    long k = 0;
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_ns();
        for (int i = 0; i < BATCH; i++, k++) {
            flag = 2 * k + 1;
            while (flag != 2 * k + 2)
                ;
        }
        ns[s] = (now_ns() - t0) / BATCH;
    }
    pthread_join(t, NULL);
    qsort(ns, SAMPLES, sizeof ns[0], cmp);
    printf("host cache-line round trip, CPU 0 <-> 1: min %.0f ns, median %.0f ns\n", ns[0], ns[SAMPLES / 2]);
    return 0;
}
