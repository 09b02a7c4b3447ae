/* sys/time.h — POSIX gettimeofday. */
#ifndef _SYS_TIME_H
#define _SYS_TIME_H

#define __NEED_time_t
#define __NEED_suseconds_t
#define __NEED_struct_timeval
#include <bits/alltypes.h>

int gettimeofday(struct timeval *restrict tv, void *restrict tz);

#endif
