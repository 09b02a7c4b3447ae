/*
 * usermode.c — placeholder hooks for user mode until threads exist: no
 * user code can run yet, so reaching any of these is a kernel bug.
 */
#include "arch_hooks.h"
#include "printk.h"
#include "trap.h"

void arch_user_exception(struct trap_frame *tf)
{
    panic_trap(tf, "user-mode exception before user mode exists");
}

void arch_return_to_user_hook(struct trap_frame *tf) { }

void syscall_dispatch(struct trap_frame *tf);
void syscall_dispatch(struct trap_frame *tf)
{
    panic_trap(tf, "system call before user mode exists");
}

void sched_finish_switch(void);
void sched_finish_switch(void) { }
