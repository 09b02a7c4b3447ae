/* syscall.h — the system-call dispatcher (called from entry.S). */
#ifndef AERIE_KSYSCALL_H
#define AERIE_KSYSCALL_H

struct trap_frame;
struct thread;

void syscall_dispatch(struct trap_frame *tf);
/* Reaping, stop requests and rescheduling before a return to user mode. */
void return_to_user_checks(struct thread *t);

#endif
