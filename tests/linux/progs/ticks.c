/*
 * ticks.c — a Linux program that `aerie fork` copies while it runs
 * (lxtest's linux_fork_*): it ticks N times, each tick filling a part
 * of a heap array, sleeping (nanosleep: a call the personality holds,
 * which the fork's SUSPEND takes back and the kernel makes again) and
 * checking that part, and prints each tick; then "ticks done bad=B".
 * Exit status 0 unless a part did not hold what was written.
 * Built twice on the host, with musl-gcc and with glibc (-static).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 40, bad = 0;
    unsigned *a = malloc((size_t)n * 1024 * sizeof *a);
    if (!a)
        return 2;
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 1024; j++)
            a[i * 1024 + j] = (unsigned)(i * 7919 + j);
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        for (int j = 0; j < 1024; j++)
            if (a[i * 1024 + j] != (unsigned)(i * 7919 + j))
                bad++;
        printf("tick %d\n", i);
        fflush(stdout);
    }
    printf("ticks done bad=%d\n", bad);
    return bad ? 1 : 0;
}
