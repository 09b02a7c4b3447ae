/* gettimeofday.c — POSIX gettimeofday (obsolescent, but widely called);
 * the time zone argument is ignored, as POSIX allows. */
#include <sys/time.h>
#include "sys.h"

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    if (tv) {
        uint64_t ns = __sys_clock_realtime_ns();
        tv->tv_sec = (time_t)(ns / 1000000000u);
        tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
    }
    return 0;
}
