/*
 * crt0.S — the program's entry point. The initial stack is the System V
 * x86-64 one (ABI 3.4.1): at %rsp, argc; then argv[0..argc-1], NULL;
 * envp..., NULL; then auxv (type, value) pairs ending with AT_NULL. %rsp
 * is 16-byte aligned on entry; %rdx (an exit function from a dynamic
 * linker) is ignored, as static programs have none.
 *
 * Calls __libc_start(argc, argv, envp, auxv) with %rsp 16-byte aligned at
 * the call, so the callee sees the ABI's usual entry alignment.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp                  /* outermost frame, for backtraces */
    mov (%rsp), %rdi                /* argc */
    lea 8(%rsp), %rsi               /* argv */
    lea 8(%rsi,%rdi,8), %rdx        /* envp = argv + argc + 1 */
    mov %rdx, %rcx
1:  cmpq $0, (%rcx)                 /* auxv follows envp's NULL */
    lea 8(%rcx), %rcx
    jne 1b
    and $-16, %rsp
    call __libc_start
    ud2                             /* __libc_start does not return */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
