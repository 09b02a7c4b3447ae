/*
 * sched.c — scheduling of a multi-threaded Linux program as it sees it:
 * CPU-bound threads spread over the CPUs it may use (each getcpu sample
 * says where it runs; two threads on two CPUs at the same moment is the
 * proof), and a thread making system calls keeps going while three
 * siblings spin (the kernel puts a woken thread ahead of those that used
 * their slices: kernel/sched.c, "Waking up"). Checks itself; counts and
 * ratios only, no absolute times (the host may be loaded).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static unsigned cpu_now(void)
{
    unsigned cpu = 0;
    if (syscall(SYS_getcpu, &cpu, NULL, NULL))
        return 0;
    return cpu;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- two CPU-bound threads ---- */

#define SPREAD_LIMIT_NS (60ull * 1000000000ull)   /* give up (the check fails) */

static volatile int spread_cpu[2] = { -1, -1 };
static volatile uint64_t spread_seen, spread_apart;   /* CPU mask seen; samples on different CPUs */
static volatile int spread_stop;

static void *spread(void *arg)
{
    int me = (int)(long)arg;
    uint64_t until = now_ns() + SPREAD_LIMIT_NS;
    volatile uint64_t x = 0;
    while (!spread_stop && now_ns() < until) {
        for (int i = 0; i < 200000; i++)
            x += (uint64_t)i * 3;                /* work between samples */
        unsigned c = cpu_now();
        spread_cpu[me] = (int)c;
        __atomic_or_fetch(&spread_seen, 1ull << (c & 63), __ATOMIC_RELAXED);
        int other = spread_cpu[!me];
        if (other >= 0 && other != (int)c && __atomic_add_fetch(&spread_apart, 1, __ATOMIC_RELAXED) >= 20)
            spread_stop = 1;
    }
    return NULL;
}

static void two_threads_use_two_cpus(void)
{
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, spread, (void *)i) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(__builtin_popcountll(spread_seen) >= 2);
    CHECK(spread_apart >= 20);                   /* not once: both ran at once, on two CPUs */
    if (spread_apart < 20)
        printf("sched: CPUs seen %#llx, samples apart %llu\n", (unsigned long long)spread_seen,
               (unsigned long long)spread_apart);
}

/* ---- system calls beside three spinning siblings ---- */

#define CALL_WINDOW_NS 1000000000ull

static volatile int spin_stop;

static void *spin(void *arg)
{
    volatile uint64_t x = 0;
    while (!spin_stop)
        x++;
    return arg;
}

/* How many getcpu calls this thread makes in CALL_WINDOW_NS. */
static uint64_t calls_in_window(void)
{
    uint64_t n = 0, until = now_ns() + CALL_WINDOW_NS;
    while (now_ns() < until) {
        cpu_now();
        n++;
    }
    return n;
}

static void calls_go_on_beside_spinners(void)
{
    uint64_t alone = calls_in_window();
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&t[i], NULL, spin, NULL) == 0);
    usleep(20000);                               /* let them start spinning */
    uint64_t crowded = calls_in_window();
    spin_stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    /* Behind the spinners' 10 ms slices a call took a slice or more:
     * a hundred times fewer calls than alone. Sharing a CPU fairly costs
     * a few times. */
    printf("sched: getcpu calls in %llu ms: %llu alone, %llu beside 3 spinners\n",
           (unsigned long long)(CALL_WINDOW_NS / 1000000), (unsigned long long)alone,
           (unsigned long long)crowded);
    CHECK(alone > 0);
    CHECK(crowded * 20 >= alone);
}

int main(void)
{
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    if (CPU_COUNT(&set) >= 2)
        two_threads_use_two_cpus();
    else
        printf("sched: one CPU, no spreading to check\n");
    calls_go_on_beside_spinners();
    return done("sched");
}
