/*
 * lock.c — libc's internal futex lock (lock.h), after the three-state
 * mutex of Drepper's "Futexes Are Tricky": 0 free, 1 held, 2 held with
 * possible waiters. Unlock wakes someone only if the word was 2. A short
 * spin first catches locks released within a few hundred cycles, which
 * is most of them, without entering the OS.
 */
#include <errno.h>
#include "atomic.h"
#include "libc.h"
#include "lock.h"
#include "sys.h"

#define SPIN_TRIES 100

/* Tries to take a free lock while spinning; returns the last value seen. */
static uint32_t spin_acquire(volatile uint32_t *l)
{
    uint32_t c = a_cas32(l, 0, 1);
    for (int i = 0; c != 0 && i < SPIN_TRIES; i++) {
        a_spin();
        if (*l == 0)
            c = a_cas32(l, 0, 1);
    }
    return c;
}

int __trylock(volatile uint32_t *l)
{
    return a_cas32(l, 0, 1) == 0 ? 0 : EBUSY;
}

void __lock(volatile uint32_t *l)
{
    uint32_t c = spin_acquire(l);
    if (c == 0)
        return;
    /* Mark the lock contended; whoever held it will wake us. */
    while ((c = a_swap32(l, 2)) != 0)
        __sys_futex_wait(l, 2, ~0ull);
}

int __lock_until(volatile uint32_t *l, clockid_t clk, const struct timespec *abs)
{
    if (!abs) {
        __lock(l);
        return 0;
    }
    if (spin_acquire(l) == 0)
        return 0;
    for (;;) {
        if (a_swap32(l, 2) == 0)
            return 0;
        uint64_t ns;
        int e = __ns_until(clk, abs, &ns);
        if (e)
            return e;
        __sys_futex_wait(l, 2, ns);     /* on timeout, one last try above */
    }
}

void __unlock(volatile uint32_t *l)
{
    if (a_swap32(l, 0) == 2)
        __sys_futex_wake(l, 1);
}
