/*
 * nanosleep.c — POSIX nanosleep, and sleep and usleep on top of it. There
 * are no signals to interrupt a sleep, so rem is never written (POSIX
 * writes it only for EINTR).
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "libc.h"
#include "sys.h"

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    (void)rem;
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) {
        errno = EINVAL;
        return -1;
    }
    uint64_t ns;
    if (__builtin_mul_overflow((uint64_t)req->tv_sec, 1000000000ull, &ns) ||
        __builtin_add_overflow(ns, (uint64_t)req->tv_nsec, &ns))
        ns = UINT64_MAX - 1;
    return (int)__ae_ret(__sys_sleep_ns(ns));
}

unsigned sleep(unsigned seconds)
{
    struct timespec ts = { (time_t)seconds, 0 };
    return nanosleep(&ts, NULL) == 0 ? 0 : seconds;
}

int usleep(useconds_t usec)
{
    struct timespec ts = { (time_t)(usec / 1000000u), (long)(usec % 1000000u) * 1000 };
    return nanosleep(&ts, NULL);
}
