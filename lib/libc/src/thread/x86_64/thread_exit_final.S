/*
 * thread_exit_final.S — the last steps of a thread: announce THREAD_EXITED
 * (after which a joiner or the reaper may free this stack and TCB), then
 * leave through __sys_thread_exit with a jump, not a call, so nothing is
 * pushed onto the memory that may already be gone. x86 stores are not
 * reordered with earlier stores, so the result written before is visible
 * first.
 *
 * void __thread_exit_final(volatile uint32_t *state)   (never returns)
 */
    .text
    .globl __thread_exit_final
    .type __thread_exit_final, @function
__thread_exit_final:
    movl $3, (%rdi)                 /* THREAD_EXITED */
    jmp __sys_thread_exit
    .size __thread_exit_final, . - __thread_exit_final

    .section .note.GNU-stack, "", @progbits
