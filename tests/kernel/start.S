/*
 * start.S — entry of the kernel test program: RDI holds the boot info
 * address; align the stack as the SysV ABI expects at a call and go.
 */
    .section .text.start, "ax"
    .global _start
_start:
    andq    $-16, %rsp
    xorl    %ebp, %ebp
    call    ktest_main
1:  ud2
    jmp     1b
