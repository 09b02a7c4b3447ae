/*
 * hot.h — marks the functions an IPC round trip runs through.
 *
 * kernel.ld places them together at the start of the kernel's text, so
 * the round trip touches few code pages. Under emulation (QEMU TCG) every
 * CR3 write empties the software TLB, and each page touched afterwards
 * costs a refill: the fewer pages the path spans, the cheaper a call
 * between two address spaces (docs/EVALUATION.md, IPC).
 */
#ifndef AERIE_HOT_H
#define AERIE_HOT_H

#define KERNEL_HOT __attribute__((section(".text.hot")))

#endif
