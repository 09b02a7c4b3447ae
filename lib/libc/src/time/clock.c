/*
 * clock.c — C11 7.27.2.1. There is no per-process CPU-time clock yet, so
 * clock() reports the monotonic time since the program started: exact for
 * a program that computes without sleeping, an upper bound otherwise.
 */
#include <time.h>
#include "libc.h"
#include "sys.h"

clock_t clock(void)
{
    uint64_t ns = __sys_clock_monotonic_ns() - __libc.start_ns;
    return (clock_t)(ns / (1000000000u / CLOCKS_PER_SEC));
}
