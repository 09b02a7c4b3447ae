/* time.h — C11 7.27 (the clock and sleep parts; calendar conversion is
 * missing, see docs/LIBC.md) and POSIX clock_gettime, nanosleep. */
#ifndef _TIME_H
#define _TIME_H

#define __NEED_size_t
#define __NEED_time_t
#define __NEED_clock_t
#define __NEED_clockid_t
#define __NEED_struct_timespec
#include <bits/alltypes.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

#define CLOCKS_PER_SEC  1000000L
#define TIME_UTC        1
#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1

clock_t clock(void);
time_t time(time_t *t);
double difftime(time_t t1, time_t t0);
int timespec_get(struct timespec *ts, int base);
int clock_gettime(clockid_t clk, struct timespec *ts);
int clock_getres(clockid_t clk, struct timespec *ts);
int nanosleep(const struct timespec *req, struct timespec *rem);

#endif
