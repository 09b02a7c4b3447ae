/*
 * spinlock.h — ticket spinlocks. The kernel runs with interrupts disabled
 * (interrupt gates, syscall FMASK clears IF; only the idle loop enables
 * them), so a lock never needs to save the interrupt flag.
 * Every lock is a leaf or has its place in the order written in
 * docs/ARCHITECTURE.md ("Locks").
 */
#ifndef AERIE_SPINLOCK_H
#define AERIE_SPINLOCK_H

#include <stdint.h>
#include <stdbool.h>
#include "cpu.h"

typedef struct {
    uint32_t next;    /* next ticket to hand out */
    uint32_t owner;   /* ticket now holding the lock */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

/* Called while spinning: pauses, and services requests other CPUs are
 * waiting on (TLB shootdowns), since interrupts are off in the kernel. */
void spin_relax(void);

static inline void spin_init(spinlock_t *l) { l->next = l->owner = 0; }

/* always_inline: in a function as large as the IPC path (kernel/hot.h)
 * the compiler would otherwise call a copy. */
static inline __attribute__((always_inline)) void spin_lock(spinlock_t *l)
{
    uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__builtin_expect(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t, 0))
        spin_relax();                  /* out of the straight line (kernel/hot.h) */
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint32_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint32_t expected = o;
    return __atomic_compare_exchange_n(&l->next, &expected, o + 1, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline __attribute__((always_inline)) void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
    return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
           __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

#endif
