/*
 * arch_init.c — brings the x86-64 machine up in order: console and traps
 * first (so every later failure is reported), then memory, then the
 * interrupt controllers, the timer, and the other CPUs.
 */
#include "arch_init.h"
#include "arch_hooks.h"
#include "acpi.h"
#include "apic.h"
#include "bootinfo.h"
#include "cpu.h"
#include "memory.h"
#include "percpu.h"
#include "printk.h"
#include "serial.h"
#include "smp.h"
#include "trap.h"
#include "kmain.h"
#include <aerie/kip.h>

void arch_init_early(uint32_t magic, uint64_t info)
{
    serial_init();
    cpus[0].index = 0;
    percpu_init(&cpus[0]);
    trap_init();
    trap_init_cpu();
    bootinfo_from_multiboot(magic, info);
}

void arch_init_memory(void)
{
    memory_init();
}

void arch_init_cpu_features(void)
{
    uint32_t r[4];
    cpuid(7, 0, r);
    uint64_t cr4 = read_cr4();
    cr4 |= (1u << 9) | (1u << 10);              /* OSFXSR, OSXMMEXCPT: user SSE */
    if (r[1] & (1u << 7))
        cr4 |= 1u << 20;                        /* SMEP: never execute user pages */
    if (r[1] & (1u << 20))
        cr4 |= 1u << 21;                        /* SMAP: never touch user pages */
    write_cr4(cr4);
    /* FPU on, no emulation, #MF reported natively. */
    uint64_t cr0 = read_cr0();
    cr0 = (cr0 & ~(1ull << 2)) | (1ull << 1) | (1ull << 5);
    __asm__ volatile("mov %0, %%cr0; fninit" :: "r"(cr0));

    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, ((uint64_t)(SEL_KDATA | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT);
    /* This CPU's index where RDTSCP/RDPID give it to user code: the Linux
     * personality's vDSO answers getcpu with it, no system call. Not a
     * secret: getcpu tells it anyway. */
    if (arch_kip_cpu_flags() & AERIE_KIP_CPU_TSC_AUX)
        wrmsr(MSR_TSC_AUX, cpu_index());
}

uint32_t arch_kip_cpu_flags(void)
{
    uint32_t r[4], flags = 0;
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000001u) {
        cpuid(0x80000001u, 0, r);
        if (r[3] & (1u << 27))                  /* RDTSCP */
            flags |= AERIE_KIP_CPU_TSC_AUX;
    }
    cpuid(7, 0, r);
    if (flags && (r[2] & (1u << 22)))           /* RDPID (reads IA32_TSC_AUX too) */
        flags |= AERIE_KIP_CPU_RDPID;
    return flags;
}

static void timer_tick(struct trap_frame *tf, unsigned vec)
{
    this_cpu()->timer_ticks++;
    lapic_eoi();
    kernel_timer_tick(tf);
}

void arch_init_cpus(void)
{
    acpi_init();
    arch_init_cpu_features();
    lapic_init_cpu();
    cpus[0].apic_id = lapic_id();
    ioapic_init();
    lapic_calibrate();
    trap_set_handler(VEC_TIMER, timer_tick);
    cpus[0].online = true;
    smp_boot();
    smp_finish();
}

_Noreturn void ap_entry(struct cpu *c)
{
    percpu_init(c);
    trap_init_cpu();
    arch_init_cpu_features();
    lapic_init_cpu();
    kprintf("cpu%u online (APIC %u)\n", c->index, c->apic_id);
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    kmain_ap();
}

_Noreturn void arch_halt_forever(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void arch_stop_other_cpus(void)
{
    if (ncpus > 1 && acpi.lapic_phys)
        lapic_send_nmi_all_others();
}

void arch_qemu_exit(int code)
{
    /* isa-debug-exit at port 0xf4: QEMU exits with (code << 1) | 1. */
    outb(0xF4, (uint8_t)code);
}
