/*
 * start.S — entry of the kernel test program. RSP points at the System V
 * start block (aerie/capenv.h); hand it to C with the stack aligned as a
 * call expects.
 */
    .section .text.start, "ax"
    .global _start
_start:
    movq    %rsp, %rdi
    andq    $-16, %rsp
    xorl    %ebp, %ebp
    call    ktest_main
1:  ud2
    jmp     1b
