/* syscall.h — the system-call dispatcher (called from entry.S). */
#ifndef AERIE_KSYSCALL_H
#define AERIE_KSYSCALL_H

#include <stdint.h>

struct trap_frame;
struct thread;

/* What a system call returns to be entered again: syscall_dispatch
 * leaves with every register as the thread entered and RIP back on its
 * syscall instruction (never seen by user code). A preemption point (a
 * long revoke), and a SEND or CALL a SUSPEND took back before anyone
 * received it (ipc_send): made again once the thread runs. */
#define SYSCALL_RESTART INT64_MIN

void syscall_dispatch(struct trap_frame *tf);
/* Reaping, stop requests and rescheduling before a return to user mode. */
void return_to_user_checks(struct thread *t);

#endif
