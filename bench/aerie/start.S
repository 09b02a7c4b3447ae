/*
 * start.S — entry for the benchmark programs that run as the boot task
 * without libc: hand the start block to bench_main on an aligned stack.
 */
    .section .text.start, "ax"
    .global _start
_start:
    movq    %rsp, %rdi
    andq    $-16, %rsp
    xorl    %ebp, %ebp
    call    bench_main
1:  ud2
    jmp     1b
