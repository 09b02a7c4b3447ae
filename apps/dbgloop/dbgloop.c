/*
 * dbgloop.c — a program to debug (tests/cli/test_observe.sh): it calls
 * step() until a debugger sets stop_now, then prints what it counted and
 * exits 0. Alone, it stops by itself after `dbgloop N` seconds (default
 * 60), exiting 3, so a test that never attaches still ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile int stop_now;
volatile unsigned long counter;

unsigned long step(unsigned long x);

__attribute__((noinline, noipa)) unsigned long step(unsigned long x)
{
    return x * 3 + 1;
}

int main(int argc, char **argv)
{
    long limit = argc > 1 ? atol(argv[1]) : 60;
    time_t start = time(NULL);
    unsigned long v = 7;
    printf("dbgloop: running\n");
    fflush(stdout);
    while (!stop_now) {
        v = step(v);
        counter++;
        if ((counter & 0xfffff) == 0 && time(NULL) - start > limit) {
            printf("dbgloop: nobody stopped me\n");
            return 3;
        }
    }
    printf("dbgloop: stopped after %lu steps (v %lu)\n", counter, v);
    return 0;
}
