/*
 * layout.h — the kernel's virtual memory layout, shared by C and assembly.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff   user space (per task)
 *   0xffff800000000000 .. +max(4 GiB, RAM top)   direct map of physical memory
 *   0xffffc00000000000 ..                       uncached device windows (LAPIC, IOAPIC)
 *   0xffffffff80000000 .. +1 GiB                the kernel image (phys 0 .. 1 GiB)
 *
 * The boot code builds the first 4 GiB of the direct map with 2 MiB pages;
 * paging.c extends it over RAM above 4 GiB.
 */
#ifndef AERIE_LAYOUT_H
#define AERIE_LAYOUT_H

#define KERNEL_VMA        0xFFFFFFFF80000000
#define KERNEL_PHYS       0x100000
#define DIRECT_MAP_BASE   0xFFFF800000000000
#define DEVICE_MAP_BASE   0xFFFFC00000000000
#define USER_TOP          0x0000800000000000

#define PAGE_SIZE         4096
#define PAGE_SHIFT        12
#define KSTACK_SIZE       16384   /* boot and per-CPU stacks */

#define AP_TRAMPOLINE_PHYS 0x8000

/* Selectors in the per-CPU GDT (see gdt.c). The order of the user
 * selectors is fixed by sysret: user data = STAR[63:48]+8, user code = +16. */
#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UDATA   0x1b   /* 0x18 | RPL 3 */
#define SEL_UCODE   0x23   /* 0x20 | RPL 3 */
#define SEL_TSS     0x28

#endif
