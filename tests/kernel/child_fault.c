/*
 * child_fault.c — the child role of t_faultstop.c: a thread that spends
 * its life in fault calls (a foreign system call twice, an invalid
 * opcode, its exit notice), each of which the test interrupts with Task
 * SUSPEND and clones. Every call must end as if nothing had happened:
 * the handler's answer arrives, never a death or ENOSYS. Exit status:
 * 0, or a bit for each answer that was wrong.
 */
#include "kt.h"

volatile uint64_t mtf_stage;

int kt_child_mtfault(void)
{
    int bad = 0;
    if (ae_syscall(KT_FOREIGN_NR, 7, 0, 0, 0, 0, 0) != 7 * 3 + 1)
        bad |= 1;
    mtf_stage = 1;
    if (ae_syscall(KT_FOREIGN_NR, 8, 0, 0, 0, 0, 0) != 8 * 3 + 1)
        bad |= 2;
    mtf_stage = 2;
    uint64_t rax;
    /* The handler moves RIP past the ud2 and sets RAX. */
    __asm__ volatile("xor %%eax, %%eax\n\tud2" : "=a"(rax) : : "memory");
    if (rax != 99)
        bad |= 4;
    mtf_stage = 3;
    return bad;
}
