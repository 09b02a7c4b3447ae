/*
 * arch_hooks.h — what the machine layer calls in the portable kernel, and
 * what the portable kernel calls in the machine layer. Kept in one place so
 * the boundary between kernel/ and kernel/arch/ stays visible.
 */
#ifndef AERIE_ARCH_HOOKS_H
#define AERIE_ARCH_HOOKS_H

#include <stdint.h>

struct trap_frame;

/* An exception raised by user code (page fault, #GP, #UD, ...). */
void arch_user_exception(struct trap_frame *tf);
/* Called before every return to user mode after an interrupt. */
void arch_return_to_user_hook(struct trap_frame *tf);
/* Stops this CPU for good (panic, NMI). */
_Noreturn void arch_halt_forever(void);
/* Sends an NMI to every other CPU so they stop (used by panic). */
void arch_stop_other_cpus(void);
/* Ends the QEMU run through the isa-debug-exit device, if present. */
void arch_qemu_exit(int code);
/* KDEBUG_FLUSH_BENCH: TSC cycles for `rounds` of two CR3 writes, each
 * followed by a read from each of `pages` distinct kernel-image pages. */
uint64_t arch_flush_bench(uint64_t rounds, unsigned pages);
/* AERIE_KIP_CPU_* for the KIP: how user code can read its CPU's index
 * (set in IA32_TSC_AUX on every CPU by arch_init_cpu_features). */
uint32_t arch_kip_cpu_flags(void);

#endif
