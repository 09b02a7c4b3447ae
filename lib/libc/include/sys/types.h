/* sys/types.h — POSIX data types. */
#ifndef _SYS_TYPES_H
#define _SYS_TYPES_H

#define __NEED_size_t
#define __NEED_ssize_t
#define __NEED_off_t
#define __NEED_time_t
#define __NEED_clock_t
#define __NEED_clockid_t
#define __NEED_suseconds_t
#define __NEED_useconds_t
#define __NEED_pid_t
#define __NEED_id_t
#define __NEED_pthread_types
#include <bits/alltypes.h>

#endif
