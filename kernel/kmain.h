/*
 * kmain.h — the portable kernel's entry points from the machine layer.
 */
#ifndef AERIE_KMAIN_H
#define AERIE_KMAIN_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

_Noreturn void kmain(uint32_t magic, uint64_t info);   /* boot CPU, from boot.S */
_Noreturn void kmain_ap(void);                         /* every other CPU */
void kernel_timer_tick(struct trap_frame *tf);         /* each local timer tick */

/* In-kernel self tests selected with ktest=NAME (ktest.c). */
_Noreturn void ktest_run(const char *name);
/* ktest=lend: TASK_BORROW's lending locks (ktest_lend.c). */
void ktest_lend(void (*report)(const char *name, bool ok, const char *why));

#endif
