/*
 * bits/alltypes.h — every type more than one public header must define,
 * each written once. A header asks for the types it needs with
 * "#define __NEED_name" before including this file; each type is defined
 * at most once however many headers ask (C99 forbids repeating a typedef,
 * and one definition keeps each layout in one place).
 * Layouts follow the x86-64 SysV ABI and Linux where POSIX leaves a choice.
 */

#if defined(__NEED_size_t) && !defined(__DEFINED_size_t)
typedef __SIZE_TYPE__ size_t;
#define __DEFINED_size_t
#endif

#if defined(__NEED_ssize_t) && !defined(__DEFINED_ssize_t)
typedef long ssize_t;
#define __DEFINED_ssize_t
#endif

#if defined(__NEED_wchar_t) && !defined(__DEFINED_wchar_t)
typedef __WCHAR_TYPE__ wchar_t;
#define __DEFINED_wchar_t
#endif

#if defined(__NEED_off_t) && !defined(__DEFINED_off_t)
typedef long off_t;
#define __DEFINED_off_t
#endif

#if defined(__NEED_time_t) && !defined(__DEFINED_time_t)
typedef long time_t;
#define __DEFINED_time_t
#endif

#if defined(__NEED_clock_t) && !defined(__DEFINED_clock_t)
typedef long clock_t;
#define __DEFINED_clock_t
#endif

#if defined(__NEED_clockid_t) && !defined(__DEFINED_clockid_t)
typedef int clockid_t;
#define __DEFINED_clockid_t
#endif

#if defined(__NEED_suseconds_t) && !defined(__DEFINED_suseconds_t)
typedef long suseconds_t;
#define __DEFINED_suseconds_t
#endif

#if defined(__NEED_useconds_t) && !defined(__DEFINED_useconds_t)
typedef unsigned useconds_t;
#define __DEFINED_useconds_t
#endif

#if defined(__NEED_pid_t) && !defined(__DEFINED_pid_t)
typedef int pid_t;
#define __DEFINED_pid_t
#endif

#if defined(__NEED_id_t) && !defined(__DEFINED_id_t)
typedef unsigned uid_t;
typedef unsigned gid_t;
typedef unsigned mode_t;
typedef unsigned long dev_t;
typedef unsigned long ino_t;
typedef unsigned long nlink_t;
typedef long blksize_t;
typedef long blkcnt_t;
#define __DEFINED_id_t
#endif

#if defined(__NEED_struct_timespec) && !defined(__DEFINED_struct_timespec)
struct timespec { time_t tv_sec; long tv_nsec; };
#define __DEFINED_struct_timespec
#endif

#if defined(__NEED_struct_timeval) && !defined(__DEFINED_struct_timeval)
struct timeval { time_t tv_sec; suseconds_t tv_usec; };
#define __DEFINED_struct_timeval
#endif

#if defined(__NEED_va_list) && !defined(__DEFINED_va_list)
typedef __builtin_va_list va_list;
#define __DEFINED_va_list
#endif

#if defined(__NEED_FILE) && !defined(__DEFINED_FILE)
typedef struct _IO_FILE FILE;
#define __DEFINED_FILE
#endif

/* The pthread types. Their fields are private to libc (src/thread/). */
#if defined(__NEED_pthread_types) && !defined(__DEFINED_pthread_types)
typedef struct __pthread *pthread_t;
typedef unsigned pthread_key_t;
typedef int pthread_once_t;
typedef struct {
    __SIZE_TYPE__ __stacksize;
    int __detached;
    int __reserved;
} pthread_attr_t;
typedef struct {
    volatile unsigned __state;          /* 0 free, 1 locked, 2 locked with waiters */
    int __type;
    struct __pthread *volatile __owner; /* recursive and error-checking mutexes */
    unsigned __count;
} pthread_mutex_t;
typedef struct { int __type; } pthread_mutexattr_t;
typedef struct {
    volatile unsigned __seq;            /* bumped by every signal and broadcast */
    volatile unsigned __waiters;
    int __clock;                        /* a clockid_t */
} pthread_cond_t;
typedef struct { int __clock; } pthread_condattr_t;
#define __DEFINED_pthread_types
#endif
