/* time.c — C11 7.27.2.4 time, 7.27.2.2 difftime, 7.27.2.5 timespec_get. */
#include <time.h>
#include "sys.h"

time_t time(time_t *t)
{
    time_t now = (time_t)(__sys_clock_realtime_ns() / 1000000000u);
    if (t)
        *t = now;
    return now;
}

double difftime(time_t t1, time_t t0)
{
    return (double)(t1 - t0);
}

int timespec_get(struct timespec *ts, int base)
{
    if (base != TIME_UTC || clock_gettime(CLOCK_REALTIME, ts) != 0)
        return 0;
    return base;
}
