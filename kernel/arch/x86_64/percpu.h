/*
 * percpu.h — the per-CPU block. GS points at it in kernel mode; its first
 * fields have fixed offsets because entry.S reads them.
 */
#ifndef AERIE_PERCPU_H
#define AERIE_PERCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "layout.h"
#include "lib/list.h"

#define MAX_CPUS 63            /* bit 63 of a vspace's cpus_active is VS_RETIRED */
#define CPU_SCHED_BYTES 640    /* room for sched.c's struct runqueue (checked there) */

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct thread;
struct vspace;

struct cpu {
    struct cpu *self;            /* %gs:0  */
    uint64_t kernel_rsp;         /* %gs:8  top of the current thread's kernel stack */
    uint64_t user_rsp;           /* %gs:16 scratch for syscall entry */
    struct thread *current;      /* %gs:24 */

    unsigned index;              /* 0 .. ncpus-1, boot CPU is 0 */
    uint32_t apic_id;
    volatile bool online;

    uint64_t gdt[7];
    struct tss tss;
    uint8_t *ist_stack;          /* double fault / NMI / machine check */

    uint64_t timer_ticks;        /* local APIC timer interrupts taken */
    uint64_t ipc_local;          /* messages handed to a receiver on this CPU (ipc.c) */
    uint64_t ipc_remote;         /* ... and to one on another CPU */

    /* What the IPC path reads on every switch lives here, in the page of
     * this block, rather than in arrays of its own elsewhere: under QEMU
     * TCG each CR3 write empties the software TLB, and every further page
     * the path touches costs a refill (docs/EVALUATION.md, IPC). */
    struct list reap_list;       /* object.c: objects to reap here */
    struct vspace *retired;      /* vspace.c: tables this CPU was the last to leave */
    _Alignas(64) unsigned char sched[CPU_SCHED_BYTES];   /* sched.c: the run queue */
} __attribute__((aligned(1024)));   /* never across a page boundary */

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

static inline unsigned cpu_index(void) { return this_cpu()->index; }

/* Sets up GDT, TSS and GS for the calling CPU. */
void percpu_init(struct cpu *c);

#endif
