/*
 * trampoline.S — where application processors start. smp.c copies this
 * code to AP_TRAMPOLINE_PHYS and fills in the data words at its end; each
 * AP then goes real mode -> protected mode -> long mode on the kernel's
 * page tables (which still identity-map low memory during bring-up) and
 * jumps to ap_entry(struct cpu *) on its own stack.
 */
#include "layout.h"

#define T(x) (AP_TRAMPOLINE_PHYS + (x) - trampoline_start)

    .text
    .code16
    .global trampoline_start
trampoline_start:
    cli
    cld
    xorw    %ax, %ax
    movw    %ax, %ds
    lgdtl   T(tramp_gdtr)
    movl    %cr0, %eax
    orl     $1, %eax
    movl    %eax, %cr0
    ljmpl   $0x08, $T(tramp32)

    .code32
tramp32:
    movw    $0x10, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movl    %cr4, %eax
    orl     $((1 << 5) | (1 << 7)), %eax        /* PAE, PGE */
    movl    %eax, %cr4
    movl    T(tramp_cr3), %eax
    movl    %eax, %cr3
    movl    $0xC0000080, %ecx
    rdmsr
    orl     T(tramp_efer), %eax
    wrmsr
    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16)), %eax      /* PG, WP */
    movl    %eax, %cr0
    ljmpl   $0x18, $T(tramp64)

    .code64
tramp64:
    movw    $0x10, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movq    T(tramp_stack), %rsp
    movq    T(tramp_arg), %rdi
    movq    T(tramp_entry), %rax
    xorl    %ebp, %ebp
    jmpq    *%rax

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: code, 32-bit */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: code, 64-bit */
tramp_gdtr:
    .word 31
    .long T(tramp_gdt)

    .align 8
    .global tramp_cr3, tramp_efer, tramp_stack, tramp_entry, tramp_arg
tramp_cr3:   .long 0
tramp_efer:  .long 0
tramp_stack: .quad 0
tramp_entry: .quad 0
tramp_arg:   .quad 0
    .global trampoline_end
trampoline_end:
