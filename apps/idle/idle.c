/*
 * idle.c — an idle container for the benchmarks (bench/aerie/startbench.c):
 * it blocks forever without a timer, Aerie's pause(). Start-up is timed
 * with many of these present, and their memory is what "memory per idle
 * container" counts.
 */
#include <aerie/syscall.h>
#include <libaerie/syscall.h>

int main(void)
{
    for (;;)
        ae_sleep_ns(AERIE_TIMEOUT_FOREVER);
}
