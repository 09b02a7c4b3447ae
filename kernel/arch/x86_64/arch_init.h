/*
 * arch_init.h — the machine layer's start-up steps, in the order kmain
 * calls them.
 */
#ifndef AERIE_ARCH_INIT_H
#define AERIE_ARCH_INIT_H

#include <stdint.h>

struct cpu;

void arch_init_early(uint32_t magic, uint64_t info);  /* console, boot info, traps */
void arch_init_memory(void);                          /* direct map, page allocator */
void arch_init_cpus(void);                            /* ACPI, APICs, timer, SMP */
_Noreturn void ap_entry(struct cpu *c);               /* APs arrive here */

/* Set up per CPU: syscall MSRs, CR4 protections, FPU. */
void arch_init_cpu_features(void);

#endif
