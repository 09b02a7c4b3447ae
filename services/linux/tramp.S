/*
 * tramp.S — the signal trampoline: a page the personality copies into a
 * Memory object and maps at LX_TRAMP_ADDR in every Linux process (it is
 * position-independent). The personality cannot reach a thread's FPU
 * state, so the thread saves and restores it itself, here, around its
 * signal handler.
 */
    .text
    .globl lx_tramp_start, lx_tramp_sigenter, lx_tramp_sigreturn, lx_tramp_restorer, lx_tramp_end
    .align 16
lx_tramp_start:

/* Entered with RDI = signal, RSI = &siginfo, RDX = &ucontext, RCX = the
 * handler, R8 = the frame's FPU area, RSP = the frame (its return address
 * is the restorer): saves the interrupted FPU state, runs the handler. */
lx_tramp_sigenter:
    fxsave64 (%r8)
    jmp     *%rcx

/* After rt_sigreturn: RDI = the FPU area to restore; then the private
 * call LX_SYS_RESTORE (0x7FF) asks for the rest of the registers. */
lx_tramp_sigreturn:
    fxrstor64 (%rdi)
    movl    $0x7FF, %eax
    syscall
    ud2

/* The restorer of handlers installed without SA_RESTORER. */
lx_tramp_restorer:
    movl    $15, %eax
    syscall
    ud2

lx_tramp_end:
    .section .note.GNU-stack, "", @progbits
