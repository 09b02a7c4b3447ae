/* boot_task.h — the kernel info page and the first user program. */
#ifndef AERIE_BOOT_TASK_H
#define AERIE_BOOT_TASK_H

void kip_init(void);
void boot_task_start(void);

#endif
