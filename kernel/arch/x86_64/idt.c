/*
 * idt.c — the interrupt descriptor table and the first-level dispatch of
 * traps: exceptions go to the fault path (user faults become fault IPC,
 * kernel faults panic), interrupts to the handler installed for the vector.
 */
#include "trap.h"
#include "percpu.h"
#include "cpu.h"
#include "printk.h"
#include "arch_hooks.h"

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_fn handlers[256];

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 floating point", "alignment check",
    "machine check", "SIMD floating point", "virtualization", "control protection",
    "reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
    "hypervisor injection", "VMM communication", "security", "reserved",
};

const char *trap_name(uint64_t vector)
{
    if (vector < 32)
        return exception_names[vector];
    if (vector == VEC_SYSCALL)
        return "system call";
    return "interrupt";
}

static void idt_set(unsigned vec, void *fn, uint8_t ist, uint8_t dpl)
{
    uint64_t a = (uint64_t)fn;
    idt[vec] = (struct idt_entry){
        .off_lo = a & 0xFFFF, .sel = SEL_KCODE, .ist = ist,
        .type = 0x8E | (dpl << 5),            /* present, 64-bit interrupt gate */
        .off_mid = (a >> 16) & 0xFFFF, .off_hi = a >> 32,
    };
}

void trap_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, isr_stubs + v * ISR_STUB_SIZE, 0, 0);
    /* Double fault, NMI and machine check run on a known-good stack: they
     * can arrive with a broken or user-controlled RSP (syscall entry). */
    idt_set(8, isr_stubs + 8 * ISR_STUB_SIZE, 1, 0);
    idt_set(2, isr_stubs + 2 * ISR_STUB_SIZE, 1, 0);
    idt_set(18, isr_stubs + 18 * ISR_STUB_SIZE, 1, 0);
    /* int3 from user mode is a breakpoint (#BP, a fault message to the
     * thread's handler, RIP after the instruction), not a #GP. */
    idt_set(3, isr_stubs + 3 * ISR_STUB_SIZE, 0, 3);
}

void trap_init_cpu(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) r = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(r));
}

void trap_set_handler(unsigned vector, irq_handler_fn fn)
{
    handlers[vector] = fn;
}

void trap_dispatch(struct trap_frame *tf)
{
    unsigned vec = (unsigned)tf->vector;
    if (vec == 2) {
        /* NMIs are only used to stop this CPU after a panic elsewhere. */
        arch_halt_forever();
    }
    if (vec < 32) {
        if (trap_from_user(tf))
            arch_user_exception(tf);
        else
            panic_trap(tf, "%s in kernel mode", exception_names[vec]);
        return;
    }
    if (handlers[vec])
        handlers[vec](tf, vec);
    else if (vec != VEC_SPURIOUS)
        kprintf("cpu%u: unexpected interrupt vector %u\n", cpu_index(), vec);
    if (trap_from_user(tf))
        arch_return_to_user_hook(tf);
}
