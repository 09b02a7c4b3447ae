/*
 * gdt.c — per-CPU GDT and TSS, and the GS base that finds the per-CPU
 * block. Each CPU has its own TSS because rsp0 (the kernel stack for
 * interrupts from user mode) changes with the running thread.
 */
#include "percpu.h"
#include "cpu.h"
#include "lib/string.h"

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;

static uint8_t ist_stacks[MAX_CPUS][2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct gdtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static void gdt_set_tss(uint64_t *gdt, struct tss *tss)
{
    uint64_t base = (uint64_t)tss;
    uint64_t limit = sizeof *tss - 1;
    gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[6] = base >> 32;
}

void percpu_init(struct cpu *c)
{
    c->self = c;
    c->gdt[0] = 0;
    c->gdt[1] = 0x00AF9A000000FFFF;   /* 0x08 kernel code 64 */
    c->gdt[2] = 0x00CF92000000FFFF;   /* 0x10 kernel data */
    c->gdt[3] = 0x00CFF2000000FFFF;   /* 0x18 user data (DPL 3) */
    c->gdt[4] = 0x00AFFA000000FFFF;   /* 0x20 user code 64 (DPL 3) */
    memset(&c->tss, 0, sizeof c->tss);
    c->ist_stack = ist_stacks[c->index];
    c->tss.ist[0] = (uint64_t)(c->ist_stack + 2 * PAGE_SIZE);   /* IST1: #DF, NMI, #MC */
    c->tss.iomap_base = sizeof c->tss;                          /* no I/O bitmap */
    gdt_set_tss(c->gdt, &c->tss);

    struct gdtr g = { sizeof c->gdt - 1, (uint64_t)c->gdt };
    __asm__ volatile(
        "lgdt %0\n"
        "movw %w1, %%ds\n"
        "movw %w1, %%es\n"
        "movw %w1, %%ss\n"
        "pushq %2\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        :: "m"(g), "r"(SEL_KDATA), "i"(SEL_KCODE) : "rax", "memory");
    __asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
    __asm__ volatile("movw %w0, %%fs; movw %w0, %%gs" :: "r"(0));
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS, 0);
}
