/*
 * pmm_platform.h (host) — lets kernel/pmm.c build as a host program for
 * unit tests: a no-op lock (the tests are single-threaded) and abort().
 */
#ifndef AERIE_PMM_PLATFORM_H
#define AERIE_PMM_PLATFORM_H

#include <stdio.h>
#include <stdlib.h>

typedef struct { int unused; } spinlock_t;
#define SPINLOCK_INIT { 0 }
static inline void spin_lock(spinlock_t *l) { (void)l; }
static inline void spin_unlock(spinlock_t *l) { (void)l; }

#define pmm_fatal(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())

#endif
