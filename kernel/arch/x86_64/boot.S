/*
 * boot.S — the kernel's first instructions.
 *
 * Entered through multiboot (v1) in 32-bit protected mode, from QEMU's
 * -kernel or from GRUB. The header uses the a.out kludge so both loaders
 * load the image as a flat blob at physical 1 MiB whatever the ELF class.
 * We check the CPU can do long mode, build boot page tables (identity,
 * direct map and kernel map of the first 4 GiB), enable long mode, and
 * call kmain(magic, info_phys) on the boot stack in the higher half.
 */
#include "layout.h"

#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  ((1 << 0) | (1 << 1) | (1 << 16))  /* align modules, mem info, a.out kludge */

#define PTE_P   0x1
#define PTE_W   0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS  0x80

#define PHYS(x) ((x) - KERNEL_VMA)

    .section .boot.header, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long PHYS(mb_header)
    .long _kernel_start_phys
    .long _kernel_load_end_phys
    .long _kernel_end_phys
    .long PHYS(boot_entry32)

    .section .boot.text, "ax"
    .code32
    .global boot_entry32
boot_entry32:
    cli
    cld
    movl    %eax, %edi                  /* multiboot magic */
    movl    %ebx, %esi                  /* multiboot info (physical) */
    movl    $PHYS(boot_stack_top), %esp

    /* Long mode needs CPUID leaf 0x80000001 with the LM bit. */
    movl    $0x80000000, %eax
    cpuid
    cmpl    $0x80000001, %eax
    jb      no_long_mode
    movl    $0x80000001, %eax
    cpuid
    testl   $(1 << 29), %edx
    jz      no_long_mode
    movl    %edx, %ebp                  /* keep: bit 20 = NX */

    /* Four page directories map 0..4 GiB with 2 MiB pages; the last GiB
     * (PCI hole, LAPIC, IOAPIC) is uncached. */
    movl    $PHYS(boot_pd), %ebx
    xorl    %ecx, %ecx
1:  movl    %ecx, %eax
    shll    $21, %eax
    orl     $(PTE_P | PTE_W | PTE_PS), %eax
    cmpl    $(3 * 512), %ecx
    jb      2f
    orl     $(PTE_PCD | PTE_PWT), %eax
2:  movl    %eax, (%ebx, %ecx, 8)
    movl    %ecx, %eax
    shrl    $11, %eax                   /* bits 32+ of the physical address */
    movl    %eax, 4(%ebx, %ecx, 8)
    incl    %ecx
    cmpl    $(4 * 512), %ecx
    jb      1b

    /* One PDPT serves the identity map and the direct map; the kernel map
     * at -2 GiB points its slot 510 at the first directory (phys 0..1 GiB). */
    movl    $PHYS(boot_pdpt), %ebx
    xorl    %ecx, %ecx
3:  movl    %ecx, %eax
    shll    $12, %eax
    addl    $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
    movl    %eax, (%ebx, %ecx, 8)
    incl    %ecx
    cmpl    $4, %ecx
    jb      3b
    movl    $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
    movl    %eax, PHYS(boot_pdpt_kernel) + 510 * 8
    movl    $(PHYS(boot_pd) + 4096 + PTE_P + PTE_W), %eax
    movl    %eax, PHYS(boot_pdpt_kernel) + 511 * 8

    movl    $(PHYS(boot_pdpt) + PTE_P + PTE_W), %eax
    movl    %eax, PHYS(boot_pml4)                 /* identity, until APs are up */
    movl    %eax, PHYS(boot_pml4) + 256 * 8       /* direct map */
    movl    $(PHYS(boot_pdpt_kernel) + PTE_P + PTE_W), %eax
    movl    %eax, PHYS(boot_pml4) + 511 * 8       /* kernel image */

    movl    %cr4, %eax
    orl     $((1 << 5) | (1 << 7)), %eax          /* PAE, PGE */
    movl    %eax, %cr4
    movl    $PHYS(boot_pml4), %eax
    movl    %eax, %cr3

    movl    $0xC0000080, %ecx                     /* EFER */
    rdmsr
    orl     $((1 << 8) | (1 << 0)), %eax          /* LME, SCE */
    testl   $(1 << 20), %ebp
    jz      4f
    orl     $(1 << 11), %eax                      /* NXE when the CPU has NX */
4:  wrmsr

    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16) | 1), %eax    /* PG, WP, PE */
    movl    %eax, %cr0

    lgdt    PHYS(boot_gdtr)
    ljmp    $SEL_KCODE, $PHYS(boot_entry64_low)

no_long_mode:
    /* Say why on COM1 (already usable at 38400 baud after the BIOS) and halt. */
    movl    $PHYS(no_lm_msg), %esi
5:  lodsb
    testb   %al, %al
    jz      6f
    movw    $0x3F8, %dx
    outb    %al, %dx
    jmp     5b
6:  cli
    hlt
    jmp     6b

    .code64
boot_entry64_low:
    movabsq $boot_entry64, %rax
    jmp     *%rax

    .text
boot_entry64:
    movw    $SEL_KDATA, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    xorw    %ax, %ax
    movw    %ax, %fs
    movw    %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl    %ebp, %ebp
    /* rdi = magic, rsi = info: zero-extended by the 32-bit moves above */
    call    kmain
7:  cli
    hlt
    jmp     7b

    .section .boot.data, "aw"
    .align 4096
    .global boot_pml4
boot_pml4:        .fill 512, 8, 0
boot_pdpt:        .fill 512, 8, 0
    .global boot_pdpt_kernel
boot_pdpt_kernel: .fill 512, 8, 0
    .global boot_pd
boot_pd:          .fill 4 * 512, 8, 0

    .align 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF        /* 0x08: kernel code, 64-bit */
    .quad 0x00CF92000000FFFF        /* 0x10: kernel data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)

no_lm_msg:
    .asciz "Aerie: this CPU cannot run 64-bit code; halting.\r\n"

    .bss
    .align 4096
    .global boot_stack_top
boot_stack:
    .skip KSTACK_SIZE
boot_stack_top:
