/*
 * hot.h — marks the functions an IPC round trip runs through.
 *
 * kernel.ld places them together at the start of the kernel's text, so
 * the round trip touches few code pages. Under emulation (QEMU TCG) every
 * CR3 write empties the software TLB, and each page touched afterwards
 * costs a refill: the fewer pages the path spans, the cheaper a call
 * between two address spaces (docs/EVALUATION.md, IPC). The write also
 * empties QEMU's jump cache, so every return, indirect jump and jump to
 * another page afterwards is a hash look-up: the small functions the path
 * calls are inline (obj_put, vspace_left, pt_activate, ...), and what is
 * not IPC stays out of this section so that it fits in three pages.
 */
#ifndef AERIE_HOT_H
#define AERIE_HOT_H

#define KERNEL_HOT __attribute__((section(".text.hot")))

#endif
