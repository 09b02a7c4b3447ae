/*
 * clock.h — the one formula for Linux's clocks under the personality: the
 * TSC ticks since boot, turned into nanoseconds with the KIP's rate. The
 * personality's clock_gettime (main.c, lx_now_ns) and the vDSO
 * (vdso.c) both use it, so the two paths give the same answer for the
 * same TSC reading and monotonic time never goes back between them.
 */
#ifndef LX_VDSO_CLOCK_H
#define LX_VDSO_CLOCK_H

#include <stdint.h>

/* ns for t ticks at hz a second, without overflow for any t: whole
 * seconds and the rest apart (t % hz * 1e9 stays below 2^64 for any
 * hz under 18 GHz). */
static inline uint64_t lx_tsc_to_ns(uint64_t t, uint64_t hz)
{
    return t / hz * 1000000000ull + t % hz * 1000000000ull / hz;
}

#endif
