/*
 * linux_sys_x86_64.S — the two Linux sys.h pieces that cannot be C:
 * starting a thread with clone(2) on the stack libc chose, and ending one
 * without touching its stack (sys.h's contract for __sys_thread_exit).
 */
    .text

/* long __linux_clone(flags, stack_top, tls, entry, arg)
 *                    rdi    rsi        rdx  rcx    r8
 * The child starts on stack_top with entry and arg popped from it and a
 * zero return address pushed, as sys.h promises. */
    .globl __linux_clone
    .type __linux_clone, @function
__linux_clone:
    sub $16, %rsi
    mov %rcx, (%rsi)                /* entry */
    mov %r8, 8(%rsi)                /* arg */
    mov %rdx, %r8                   /* tls: clone's fifth argument */
    xor %edx, %edx                  /* parent_tid */
    xor %r10d, %r10d                /* child_tid */
    mov $56, %eax                   /* clone */
    syscall
    test %rax, %rax
    jnz 1f
    xor %ebp, %ebp                  /* child */
    pop %rax
    pop %rdi
    push $0
    jmp *%rax
1:  ret
    .size __linux_clone, . - __linux_clone

/* _Noreturn void __sys_thread_exit(void): exit(2) of this thread only. */
    .globl __sys_thread_exit
    .type __sys_thread_exit, @function
__sys_thread_exit:
    xor %edi, %edi
    mov $60, %eax
    syscall
    ud2
    .size __sys_thread_exit, . - __sys_thread_exit

    .section .note.GNU-stack, "", @progbits
