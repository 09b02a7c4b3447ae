/*
 * pthread_impl.h — the thread control block (TCB) and what threads share.
 *
 * TLS layout (x86-64 ELF TLS "variant II"): the thread pointer (FS base)
 * points at the TCB, whose first word points to itself; the executable's
 * TLS block lies directly below it, so a variable at offset o in PT_TLS
 * lives at tp - __libc.tls_block + o. Offsets 0x28 and 0x30 hold the
 * stack-protector canary and pointer guard where GCC's code expects them.
 *
 * A thread's memory is one page run: [stack][TLS block][TCB], the stack
 * growing down from just below the TLS block. The main thread's TCB lives
 * in a static buffer (or pages, if the TLS is large) and is never freed.
 */
#ifndef LIBC_PTHREAD_IMPL_H
#define LIBC_PTHREAD_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* struct __pthread.state */
enum {
    THREAD_JOINABLE = 0,        /* running; someone will join it */
    THREAD_DETACHED = 1,        /* running; it frees itself */
    THREAD_EXITING  = 2,        /* result stored; still on its stack */
    THREAD_EXITED   = 3,        /* off its stack: its memory may be freed */
};

struct __pthread {
    /* The ABI-fixed prefix (offsets checked in src/thread/tls.c). */
    struct __pthread *self;         /* 0x00: %fs:0 */
    uintptr_t dtv;                  /* 0x08: unused (static linking only) */
    struct __pthread *self2;        /* 0x10: also self, as glibc keeps it */
    uintptr_t reserved[2];          /* 0x18 */
    uintptr_t canary;               /* 0x28: -fstack-protector's guard */
    uintptr_t pointer_guard;        /* 0x30 */

    /* Set at creation, then read-only. */
    void *(*start)(void *);
    void *arg;
    void *map;                      /* page run holding stack, TLS, TCB; NULL: main */
    size_t map_size;
    uint64_t handle;                /* from __sys_thread_create */

    /* Written by the thread itself as it exits, then read by its joiner. */
    void *result;
    volatile uint32_t state;        /* THREAD_*, changed atomically; a futex */

    /* Reaping detached threads; guarded by the zombie lock (pthread_exit.c). */
    struct __pthread *zombie_next;

    /* Thread-specific data; only the thread itself touches it. A value
     * counts only while tsd_seq matches its key's creation number, so a
     * deleted and re-created key reads NULL everywhere. */
    const void *tsd[PTHREAD_KEYS_MAX];
    uint32_t tsd_seq[PTHREAD_KEYS_MAX];
};

/* The calling thread's TCB (arch: src/thread/x86_64/get_tp.c reads %fs:0). */
void *__get_tp(void);
static inline struct __pthread *__pthread_self(void)
{
    return (struct __pthread *)__get_tp();
}

/* Live threads; the program exits when the count drops to zero. */
extern volatile int __thread_count;

/* Default stack for pthread_create (what musl and most programs expect). */
#define DEFAULT_STACK_SIZE (128u << 10)

/* Bytes the TLS block and TCB need, with alignment slack. */
size_t __tls_area_size(void);

/* Lays out TLS block and TCB at the top of [mem, mem + size), copies the
 * TLS image, and returns the TCB (its thread pointer). */
struct __pthread *__tls_install(void *mem, size_t size);

/* Runs and clears the calling thread's TSD destructors. */
void __tsd_run_destructors(struct __pthread *self);

/* Frees the memory of detached threads that have fully exited. */
void __reap_zombies(void);

/* Stores THREAD_EXITED into *state and calls __sys_thread_exit without
 * touching the stack in between (src/thread/x86_64/thread_exit_final.S). */
_Noreturn void __thread_exit_final(volatile uint32_t *state);

#endif
