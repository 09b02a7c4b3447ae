/*
 * trap.h — the register frame every kernel entry builds (exceptions,
 * interrupts and system calls share one shape), and the vector plan.
 * A thread's user registers are the trap_frame at the top of its kernel
 * stack while it is in the kernel.
 */
#ifndef AERIE_TRAP_H
#define AERIE_TRAP_H

#define VEC_PAGE_FAULT   14
#define VEC_IRQ_BASE     32      /* device interrupts: 32 .. 223 */
#define VEC_IRQ_LAST     223
#define VEC_TLB_SHOOTDOWN 0xF0
#define VEC_RESCHEDULE   0xF1
#define VEC_TIMER        0xF2
#define VEC_SPURIOUS     0xFF
#define VEC_SYSCALL      0x100   /* not a vector: marks a frame made by syscall */

/* Offsets of the trap_frame fields, for entry.S. */
#define TF_RAX     112
#define TF_VECTOR  120
#define TF_ERROR   128
#define TF_RIP     136
#define TF_CS      144
#define TF_RFLAGS  152
#define TF_RSP     160
#define TF_SS      168
#define TF_SIZE    176

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;        /* pushed by the CPU */
};

_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, vector) == TF_VECTOR, "trap_frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == TF_RIP, "trap_frame layout");

static inline int trap_from_user(const struct trap_frame *tf) { return (tf->cs & 3) == 3; }

void trap_init(void);              /* builds the IDT (boot CPU) */
void trap_init_cpu(void);          /* loads it (every CPU) */
void trap_dispatch(struct trap_frame *tf);
const char *trap_name(uint64_t vector);

/* Installs the handler for one interrupt vector (IRQs, IPIs, timer). */
typedef void (*irq_handler_fn)(struct trap_frame *tf, unsigned vector);
void trap_set_handler(unsigned vector, irq_handler_fn fn);

/* entry.S */
extern char isr_stubs[];           /* 256 stubs, ISR_STUB_SIZE bytes apart */
void syscall_entry(void);
void return_to_user(void) __attribute__((noreturn));
#endif

#define ISR_STUB_SIZE 16

#endif
