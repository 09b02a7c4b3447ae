/* smp.h — bringing up the application processors. */
#ifndef AERIE_SMP_H
#define AERIE_SMP_H

/* Starts every CPU the MADT lists; returns when each is online or has
 * been reported as failing to start. */
void smp_boot(void);

/* Drops the low identity mapping once no CPU needs the trampoline. */
void smp_finish(void);

#endif
