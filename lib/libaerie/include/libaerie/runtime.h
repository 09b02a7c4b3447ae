/*
 * libaerie/runtime.h — what every Aerie program's runtime knows about
 * itself: its own task, thread and quota capabilities, its UTCB, a slot
 * allocator for its capability space and an address-range allocator for
 * its address space.
 *
 * The thread pointer (FS base) points at a thread control block whose
 * word 0 is its own address and word 1 the thread's UTCB address; libc's
 * TLS layout keeps those two words.
 */
#ifndef LIBAERIE_RUNTIME_H
#define LIBAERIE_RUNTIME_H

#include <stdint.h>
#include <stddef.h>
#include <aerie/utcb.h>

struct ae_tcb_head {
    struct ae_tcb_head *self;
    struct aerie_utcb *utcb;
};

static inline struct aerie_utcb *ae_utcb(void)
{
    struct aerie_utcb *u;
    __asm__ volatile("movq %%fs:8, %0" : "=r"(u));
    return u;
}

/* This program's own capabilities (0 if it was not given one). */
struct ae_self {
    uint64_t task, thread, quota, utcb_mem, kdebug;
};
extern struct ae_self ae_self;

/* Sets up the runtime for the first thread: tcb is its control block,
 * utcb where its UTCB is mapped; slots from first_free are free. */
int ae_runtime_init(struct ae_tcb_head *tcb, struct aerie_utcb *utcb, uint64_t first_free_slot);

/* Capability slots: a free one, or 0 when the space is full. */
uint64_t ae_slot_alloc(void);
void ae_slot_free(uint64_t slot);

/* A free, page-aligned address range of bytes, never handed out twice. */
uint64_t ae_vm_reserve(uint64_t bytes);

/* Memory from the own quota, mapped read-write into the own task.
 * Returns the address (0 on failure) and the memory's slot. */
void *ae_mem_map_new(uint64_t bytes, uint64_t *mem_slot);
/* Unmaps and deletes what ae_mem_map_new made. */
void ae_mem_unmap_delete(void *addr, uint64_t bytes, uint64_t mem_slot);

/* Threads in the own task. A thread gets its stack, TCB and UTCB in one
 * Memory object. ae_thread_start returns its thread slot or a negative error. */
struct ae_thread {
    uint64_t thread_slot, mem_slot;
    void *mem;
    uint64_t mem_bytes;
};
int ae_thread_start(struct ae_thread *th, void (*fn)(void *), void *arg, int cpu, uint64_t stack_bytes);
/* Destroys the thread and frees its memory. */
void ae_thread_destroy(struct ae_thread *th);

#endif
