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

/*
 * A piece of the IPC path, inline wherever the path uses it: from the
 * system call to the thread switch, and from the switch back to sysret,
 * the path makes no call and no return of its own (after a CR3 write
 * each would be one more jump-cache look-up: ~35 ns under TCG). The files
 * that define these pieces (cap, object, trace, sched, thread, ipc,
 * syscall) are compiled as one unit, kernel/ipc_unit.c, so the path
 * inlines across them without link-time optimisation; a piece used
 * elsewhere keeps an ordinary function of the name without _inline.
 */
#define HOT_INLINE static inline __attribute__((always_inline))

#endif
