/* clock_gettime.c — POSIX clock_gettime and clock_getres for the two
 * clocks there are: CLOCK_REALTIME and CLOCK_MONOTONIC. */
#include <errno.h>
#include <time.h>
#include "sys.h"

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    uint64_t ns;
    if (clk == CLOCK_MONOTONIC)
        ns = __sys_clock_monotonic_ns();
    else if (clk == CLOCK_REALTIME)
        ns = __sys_clock_realtime_ns();
    else {
        errno = EINVAL;
        return -1;
    }
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

int clock_getres(clockid_t clk, struct timespec *ts)
{
    if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME) {
        errno = EINVAL;
        return -1;
    }
    if (ts)
        *ts = (struct timespec){ 0, 1 };    /* the interface counts nanoseconds */
    return 0;
}
