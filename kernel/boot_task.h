/* boot_task.h — the kernel info page and the first user program. */
#ifndef AERIE_BOOT_TASK_H
#define AERIE_BOOT_TASK_H

#include <stdint.h>

struct thread;

void kip_init(void);
void boot_task_start(void);

/* The boot task's first thread (compared, never followed). */
extern struct thread *boot_thread;
/* It ended with status: said on the console, and with exit_on_halt the
 * QEMU run ends with that status. */
void boot_task_exited(uint64_t status);

#endif
