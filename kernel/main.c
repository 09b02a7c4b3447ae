/*
 * main.c — kmain: the order in which Aerie comes up, and what every CPU
 * does once it is up.
 */
#include "kmain.h"
#include "arch_init.h"
#include "bootinfo.h"
#include "kconfig.h"
#include "percpu.h"
#include "pmm.h"
#include "printk.h"
#include "layout.h"
#include "cpu.h"
#include "apic.h"
#include "kmem.h"
#include "sched.h"
#include "futex.h"
#include "irq.h"
#include "boot_task.h"
#include "pagetable.h"

void sched_init(void);
void tlb_init(void);

#ifndef AERIE_VERSION
#define AERIE_VERSION "unknown"
#endif

static volatile bool boot_done;

static void banner(void)
{
    kprintf("Aerie %s: %u CPUs, %lu MiB RAM (%lu MiB free), TSC %lu MHz\n",
            AERIE_VERSION, ncpus, bootinfo.ram_bytes >> 20,
            (pmm_free_pages() * PMM_PAGE_SIZE) >> 20, tsc_hz / 1000000);
}

_Noreturn void kmain(uint32_t magic, uint64_t info)
{
    arch_init_early(magic, info);
    kprintf("\nAerie %s booting\n", AERIE_VERSION);
    kconfig_parse(bootinfo.cmdline);
    arch_init_memory();
    kmem_init();
    futex_init();
    sched_init();
    tlb_init();
    irq_init();
    sched_init_cpu();
    arch_init_cpus();
    kip_init();
    banner();
    lapic_timer_start();
    __atomic_store_n(&boot_done, true, __ATOMIC_RELEASE);
    if (kconfig.ktest[0])
        ktest_run(kconfig.ktest);
    if (bootinfo.nmodules)
        boot_task_start();
    else
        kprintf("No boot module given: nothing to start. Idle.\n");
    sched_idle_loop();
}

_Noreturn void kmain_ap(void)
{
    sched_init_cpu();
    while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
        cpu_relax();
    lapic_timer_start();
    sched_idle_loop();
}

void kernel_timer_tick(struct trap_frame *tf)
{
    sched_tick();
}
