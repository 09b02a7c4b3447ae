/* get_tp.c — the thread pointer on x86-64: the TCB's self-pointer at %fs:0
 * (one load, no system call). The host tests replace this file. */
#include "pthread_impl.h"

void *__get_tp(void)
{
    void *tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}
