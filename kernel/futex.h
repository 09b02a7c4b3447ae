/*
 * futex.h — waiting on a 32-bit word in the caller's own memory, so user
 * mutexes and condition variables sleep in the kernel only when they must.
 * It needs no capability: a thread can only name its own address space.
 */
#ifndef AERIE_FUTEX_H
#define AERIE_FUTEX_H

#include <stdint.h>

struct thread;

void futex_init(void);
int64_t futex_wait(struct thread *t, uint64_t addr, uint32_t expected, uint64_t timeout);
int64_t futex_wake(struct thread *t, uint64_t addr, uint64_t count);

#endif
