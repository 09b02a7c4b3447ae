/*
 * lock.h — libc's internal futex lock, also the core of normal pthread
 * mutexes. The word is 0 (free), 1 (held) or 2 (held, maybe waiters),
 * so an uncontended lock and unlock are one atomic each and never enter
 * the OS.
 */
#ifndef LIBC_LOCK_H
#define LIBC_LOCK_H

#include <stdint.h>
#include <time.h>

void __lock(volatile uint32_t *l);
void __unlock(volatile uint32_t *l);

/* 0 if taken, EBUSY if held. */
int __trylock(volatile uint32_t *l);

/* Takes the lock, waiting at most until *abs on clock clk (NULL: forever).
 * Returns 0, ETIMEDOUT, or EINVAL for a bad abs (checked only if it must
 * wait, as POSIX asks of pthread_mutex_timedlock). */
int __lock_until(volatile uint32_t *l, clockid_t clk, const struct timespec *abs);

#endif
