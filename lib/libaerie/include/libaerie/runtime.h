/*
 * libaerie/runtime.h — what every Aerie program's runtime knows about
 * itself: its own task, thread and quota capabilities, its UTCB, a slot
 * allocator for its capability space and an address-range allocator for
 * its address space.
 *
 * The thread pointer (FS base) points at a struct aerie_tcb (its own
 * address, then the thread's UTCB address); the loader sets it up for
 * the first thread, and the C library keeps the layout for its threads.
 */
#ifndef LIBAERIE_RUNTIME_H
#define LIBAERIE_RUNTIME_H

#include <stdint.h>
#include <stddef.h>
#include <aerie/utcb.h>
#include <aerie/capenv.h>
#include <aerie/boot.h>

static inline struct aerie_utcb *ae_utcb(void)
{
    struct aerie_utcb *u;
    __asm__ volatile("movq %%fs:8, %0" : "=r"(u));
    return u;
}

/* This program's own capabilities (0 if it was not given one). */
struct ae_self {
    uint64_t task, thread, quota, utcb_mem, kdebug;
    uint64_t fault;         /* "self.fault": the handler for threads it starts */
};
extern struct ae_self ae_self;

/* The calling thread's own thread capability: the first thread's is
 * ae_self.thread; threads started through libc have theirs in their UTCB.
 * 0 if it has none. */
static inline uint64_t ae_thread_slot(void)
{
    uint64_t s = ae_utcb()->user[0];
    return s ? s : ae_self.thread;
}

/* What the program started with (aerie/capenv.h). */
struct ae_start {
    int argc;
    char **argv, **envp;
    const uint64_t *auxv;
    const struct aerie_capenv *capenv;          /* NULL for the boot task */
    const struct aerie_bootinfo *bootinfo;      /* the boot task's only */
};
extern struct ae_start ae_start;

/* Reads the start block the first thread's RSP pointed at: arguments,
 * capabilities by name (the boot task's by their fixed slots), free slots. */
void ae_runtime_start(uint64_t *sp);
/* The same from the auxiliary vector alone (libc's start-up hook). */
void ae_runtime_start_auxv(const uint64_t *auxv);
/* The value of auxiliary vector entry key, or 0. */
uint64_t ae_auxv(uint64_t key);
/* This program's clone generation: 0 until it finds itself a clone made
 * by `aerie fork` (then its original's + 1), and its index among the
 * clones of that fork (0 in an original). A program that keeps random
 * state of its own reseeds when the generation changes (docs/FORK.md). */
uint64_t ae_clone_generation(void);
uint64_t ae_clone_index(void);
/* The slot of a granted capability by name, or 0. */
uint64_t ae_capenv_lookup(const char *name);

/* Capability slots: a free one, or 0 when the space is full. */
uint64_t ae_slot_alloc(void);
void ae_slot_free(uint64_t slot);

/* A free, page-aligned address range of bytes (0 if none); ranges are
 * handed out once until released. */
uint64_t ae_vm_reserve(uint64_t bytes);
void ae_vm_release(uint64_t va, uint64_t bytes);

/* Memory from the own quota, mapped read-write into the own task.
 * Returns the address (0 on failure) and the memory's slot. */
void *ae_mem_map_new(uint64_t bytes, uint64_t *mem_slot);
/* Unmaps and deletes what ae_mem_map_new made. */
void ae_mem_unmap_delete(void *addr, uint64_t bytes, uint64_t mem_slot);

/* Threads in the own task (without TLS: the C library has its own). A
 * thread gets its stack, TCB and UTCB in one Memory object.
 * ae_thread_start returns 0 or a negative error. */
struct ae_thread {
    uint64_t quota;            /* charged for the thread and its memory; 0: own quota */
    uint64_t fault_ep;         /* endpoint for its faults and exit; 0: none */
    uint64_t thread_slot, mem_slot;
    void *mem;
    uint64_t mem_bytes;
};
int ae_thread_start(struct ae_thread *th, void (*fn)(void *), void *arg, int cpu, uint64_t stack_bytes);
/* Destroys the thread and frees its memory. */
void ae_thread_destroy(struct ae_thread *th);

#endif
