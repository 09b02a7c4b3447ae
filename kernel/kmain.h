/*
 * kmain.h — the portable kernel's entry points from the machine layer.
 */
#ifndef AERIE_KMAIN_H
#define AERIE_KMAIN_H

#include <stdint.h>

struct trap_frame;

_Noreturn void kmain(uint32_t magic, uint64_t info);   /* boot CPU, from boot.S */
_Noreturn void kmain_ap(void);                         /* every other CPU */
void kernel_timer_tick(struct trap_frame *tf);         /* each local timer tick */

/* In-kernel self tests selected with ktest=NAME (ktest.c). */
_Noreturn void ktest_run(const char *name);

#endif
