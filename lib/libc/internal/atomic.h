/*
 * atomic.h — the few atomic operations libc's locks and threads use, as
 * thin names over the compiler's __atomic builtins (sequentially
 * consistent unless the name says otherwise).
 */
#ifndef LIBC_ATOMIC_H
#define LIBC_ATOMIC_H

#include <stdint.h>

/* Compare-and-swap; returns the value *p held before. */
static inline uint32_t a_cas32(volatile uint32_t *p, uint32_t old, uint32_t new)
{
    __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return old;
}

static inline uint32_t a_swap32(volatile uint32_t *p, uint32_t v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

static inline int a_fetch_add(volatile int *p, int v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

static inline uint32_t a_load32(const volatile uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void a_store32(volatile uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Tells the CPU we are spinning (x86 PAUSE). */
static inline void a_spin(void)
{
    __builtin_ia32_pause();
}

#endif
