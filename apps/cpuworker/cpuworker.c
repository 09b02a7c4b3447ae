/*
 * cpuworker.c — a CPU-bound worker: counts primes below N (argv[1],
 * default 200000) and prints how many and how long it took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int is_prime(unsigned n)
{
    if (n < 2)
        return 0;
    for (unsigned d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], 0, 10) : 200000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++)
        count += (unsigned)is_prime(i);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("cpuworker: %u primes below %u in %ld ms\n", count, n, ms);
    return 0;
}
