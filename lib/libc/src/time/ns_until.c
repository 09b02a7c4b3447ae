/* ns_until.c — turns an absolute deadline into the relative nanoseconds a
 * futex wait takes (libc.h). */
#include <errno.h>
#include <stdint.h>
#include "libc.h"
#include "sys.h"

int __ns_until(clockid_t clk, const struct timespec *abs, uint64_t *ns)
{
    if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
        return EINVAL;
    uint64_t now;
    if (clk == CLOCK_MONOTONIC)
        now = __sys_clock_monotonic_ns();
    else if (clk == CLOCK_REALTIME)
        now = __sys_clock_realtime_ns();
    else
        return EINVAL;
    if (abs->tv_sec < 0)
        return ETIMEDOUT;
    uint64_t deadline;
    if (__builtin_mul_overflow((uint64_t)abs->tv_sec, 1000000000ull, &deadline) ||
        __builtin_add_overflow(deadline, (uint64_t)abs->tv_nsec, &deadline))
        deadline = UINT64_MAX - 1;      /* practically forever, but not "no timeout" */
    if (deadline <= now)
        return ETIMEDOUT;
    *ns = deadline - now;
    return 0;
}
