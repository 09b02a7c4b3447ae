/*
 * smp.c — starts the application processors one at a time with the
 * INIT-SIPI-SIPI sequence (Intel SDM vol. 3, 8.4.4.1), each on a fresh
 * kernel stack, and waits until it reports itself online.
 */
#include "smp.h"
#include "acpi.h"
#include "apic.h"
#include "cpu.h"
#include "percpu.h"
#include "printk.h"
#include "pmm.h"
#include "arch_init.h"
#include "lib/string.h"

extern char trampoline_start[], trampoline_end[];
extern char tramp_cr3[], tramp_efer[], tramp_stack[], tramp_entry[], tramp_arg[];
extern uint64_t boot_pml4[];

#define KSTACK_ORDER 2          /* 16 KiB */

static void *tramp_field(char *sym)
{
    return (void *)(DIRECT_MAP_BASE + AP_TRAMPOLINE_PHYS + (sym - trampoline_start));
}

static bool start_one(struct cpu *c)
{
    uint64_t stack = pmm_alloc(KSTACK_ORDER);
    if (!stack) {
        kprintf("smp: no memory for cpu%u's stack\n", c->index);
        return false;
    }
    *(uint32_t *)tramp_field(tramp_cr3) = (uint32_t)read_cr3();
    *(uint32_t *)tramp_field(tramp_efer) = (uint32_t)(rdmsr(MSR_EFER) & (EFER_SCE | EFER_NXE | (1u << 8)));
    *(uint64_t *)tramp_field(tramp_stack) = DIRECT_MAP_BASE + stack + (PAGE_SIZE << KSTACK_ORDER);
    *(uint64_t *)tramp_field(tramp_entry) = (uint64_t)ap_entry;
    *(uint64_t *)tramp_field(tramp_arg) = (uint64_t)c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    lapic_send_init(c->apic_id);
    udelay(10000);
    for (int i = 0; i < 2 && !c->online; i++) {
        lapic_send_startup(c->apic_id, AP_TRAMPOLINE_PHYS >> 12);
        udelay(200);
    }
    for (int ms = 0; ms < 2000 && !c->online; ms++)
        udelay(1000);
    if (!c->online) {
        kprintf("smp: cpu%u (APIC %u) did not come online\n", c->index, c->apic_id);
        pmm_free(stack, KSTACK_ORDER);
    }
    return c->online;
}

void smp_boot(void)
{
    size_t len = (size_t)(trampoline_end - trampoline_start);
    memcpy((void *)(DIRECT_MAP_BASE + AP_TRAMPOLINE_PHYS), trampoline_start, len);
    uint32_t self = lapic_id();
    unsigned next = 1;
    for (unsigned i = 0; i < acpi.ncpus; i++) {
        if (acpi.cpu_apic_ids[i] == self)
            continue;
        struct cpu *c = &cpus[next];
        c->index = next;
        c->apic_id = acpi.cpu_apic_ids[i];
        if (start_one(c))
            next++;
    }
    ncpus = next;
}

void smp_finish(void)
{
    /* APs are in the higher half now; user space owns the lower half. */
    boot_pml4[0] = 0;
    write_cr3(read_cr3());
}
