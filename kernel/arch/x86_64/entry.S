/*
 * entry.S — every way into and out of the kernel: the 256 interrupt stubs,
 * the syscall entry, the return to user mode, and the thread switch.
 *
 * All entries build a struct trap_frame (trap.h) on the current kernel
 * stack and call C with interrupts disabled. GS holds the per-CPU block in
 * the kernel and the user's value in user mode; we swap on every crossing.
 */
#include "layout.h"
#include "trap.h"

/* Per-CPU block offsets (percpu.h). */
#define PCPU_KERNEL_RSP  8
#define PCPU_USER_RSP    16

.macro PUSH_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro POP_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

    .text
/* 256 stubs of ISR_STUB_SIZE bytes each. Vectors with a CPU-pushed error
 * code (8, 10-14, 17, 21, 29, 30) skip the dummy push. */
    .align 16
    .global isr_stubs
isr_stubs:
.set vec, 0
.rept 256
    .align ISR_STUB_SIZE
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp   trap_common
.set vec, vec + 1
.endr

trap_common:
    PUSH_GPRS
    testb $3, TF_CS(%rsp)
    jz    1f
    swapgs
1:  cld
    movq  %rsp, %rdi
    call  trap_dispatch
    /* fall through: return to whatever trapped */
trap_exit:
    testb $3, TF_CS(%rsp)
    jnz   return_to_user
    POP_GPRS
    addq  $16, %rsp
    iretq

/* The system-call path, the way back to user mode and the thread switch
 * sit with the rest of the IPC path (kernel/hot.h). */
    .section .text.hot, "ax", @progbits

/*
 * syscall: RCX = user RIP, R11 = user RFLAGS, IF already cleared by FMASK.
 * We are on the user stack until we load the thread's kernel stack.
 */
    .global syscall_entry
syscall_entry:
    swapgs
    movq  %rsp, %gs:PCPU_USER_RSP
    movq  %gs:PCPU_KERNEL_RSP, %rsp
    pushq $SEL_UDATA
    pushq %gs:PCPU_USER_RSP
    pushq %r11
    pushq $SEL_UCODE
    pushq %rcx
    pushq $0
    pushq $VEC_SYSCALL
    PUSH_GPRS
    cld
    movq  %rsp, %rdi
    call  syscall_dispatch
    /* fall through */

/*
 * return_to_user: RSP points at the current thread's trap frame (the top
 * of its kernel stack). A frame made by syscall leaves through sysret,
 * unless its RIP is not a canonical user address (sysret would fault in
 * ring 0 then), in which case iretq restores everything.
 */
    .global return_to_user
return_to_user:
    cmpq  $VEC_SYSCALL, TF_VECTOR(%rsp)
    jne   2f
    movabsq $(USER_TOP - PAGE_SIZE), %rax
    cmpq  %rax, TF_RIP(%rsp)
    jae   2f
    POP_GPRS
    movq  16(%rsp), %rcx              /* RIP    (TF_RIP - TF_VECTOR) */
    movq  32(%rsp), %r11              /* RFLAGS */
    movq  40(%rsp), %rsp              /* user RSP; NMIs use their own stack */
    swapgs
    sysretq
2:  POP_GPRS
    addq  $16, %rsp
    swapgs
    iretq

/*
 * void context_switch(uint64_t *save_rsp, uint64_t load_rsp)
 * Saves the callee-saved registers on this stack, stores the stack pointer
 * in *save_rsp, and resumes the stack at load_rsp the same way.
 */
    .global context_switch
context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq  %rsp, (%rdi)
    movq  %rsi, %rsp
    popq  %r15
    popq  %r14
    popq  %r13
    popq  %r12
    popq  %rbx
    popq  %rbp
    ret

/* A new thread's first switch lands here (see thread_init_stack): it
 * finishes the switch in C, makes the fault call a copy of a thread
 * stopped in one inherited (thread_first_run), and leaves for user mode. */
    .global thread_first_entry
thread_first_entry:
    call  sched_finish_switch
    call  thread_first_run
    jmp   return_to_user
