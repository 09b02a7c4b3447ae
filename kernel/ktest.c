/*
 * ktest.c — in-kernel self tests for what exists before user space: CPU
 * bring-up, the page allocator, the panic path, and TASK_BORROW's
 * lending locks (ktest_lend.c). Each test prints
 * "TEST PASS name" or "TEST FAIL name: why", then "TESTS DONE n"; the host
 * runner (tools/testrun.c) reads those lines.
 */
#include "kmain.h"
#include "arch_hooks.h"
#include "percpu.h"
#include "pmm.h"
#include "printk.h"
#include "memory.h"
#include "apic.h"
#include "lib/string.h"
#include "cpu.h"

static unsigned ktests_run;

static void report(const char *name, bool ok, const char *why)
{
    ktests_run++;
    if (ok)
        kprintf("TEST PASS %s\n", name);
    else
        kprintf("TEST FAIL %s: %s\n", name, why);
}

static void ktest_cpus_online(void)
{
    char why[96] = "";
    bool ok = true;
    for (unsigned i = 0; i < ncpus; i++) {
        if (!cpus[i].online) {
            ok = false;
            kprintf("cpu%u is not online\n", i);
        }
    }
    /* Every CPU must also be taking timer interrupts (the kernel runs with
     * them off, so this CPU opens the window for the wait). */
    irq_enable();
    udelay(50000);
    irq_disable();
    for (unsigned i = 0; i < ncpus; i++) {
        if (__atomic_load_n(&cpus[i].timer_ticks, __ATOMIC_RELAXED) == 0) {
            ok = false;
            kprintf("cpu%u has taken no timer interrupts\n", i);
        }
    }
    if (!ok)
        memcpy(why, "a CPU is offline or has no timer", 33);
    report("cpus_online", ok, why);
}

/* Allocates every free page, chaining them through their first word. */
static uint64_t alloc_all(uint64_t *head)
{
    uint64_t n = 0, p;
    *head = 0;
    while ((p = pmm_alloc_page())) {
        *(uint64_t *)phys_to_virt(p) = *head;
        *head = p;
        n++;
    }
    return n;
}

static void free_chain(uint64_t head)
{
    while (head) {
        uint64_t next = *(uint64_t *)phys_to_virt(head);
        pmm_free_page(head);
        head = next;
    }
}

static void ktest_pmm_all(void)
{
    uint64_t before = pmm_free_pages(), head;
    uint64_t first = alloc_all(&head);
    bool empty = pmm_free_pages() == 0;
    free_chain(head);
    uint64_t after_free = pmm_free_pages();
    uint64_t second = alloc_all(&head);
    free_chain(head);
    kprintf("pmm: %lu free, allocated %lu then %lu, %lu free after\n",
            before, first, second, pmm_free_pages());
    bool ok = first == before && second == first && empty && after_free == before &&
              pmm_free_pages() == before && pmm_check(kprintf);
    report("pmm_alloc_all_free_all", ok, "page counts differ between rounds");
}

static void ktest_pmm_orders(void)
{
    uint64_t before = pmm_free_pages();
    uint64_t blocks[PMM_MAX_ORDER + 1];
    bool ok = true;
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
        blocks[o] = pmm_alloc(o);
        if (!blocks[o] || (blocks[o] & ((PMM_PAGE_SIZE << o) - 1)))
            ok = false;
    }
    for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
        if (blocks[o])
            pmm_free(blocks[o], o);
    ok = ok && pmm_free_pages() == before && pmm_alloc(PMM_MAX_ORDER + 1) == 0 && pmm_check(kprintf);
    report("pmm_orders_aligned", ok, "a block was missing, misaligned or leaked");
}

__attribute__((noinline)) _Noreturn static void ktest_fault(void)
{
    kprintf("ktest: reading unmapped address 0xdead0000 on purpose\n");
    volatile uint64_t *p = (volatile uint64_t *)0xdead0000ull;
    (void)*p;
    panic("ktest: the read of an unmapped address did not fault");
}

_Noreturn void ktest_run(const char *name)
{
    if (strcmp(name, "boot") == 0) {
        ktest_cpus_online();
    } else if (strcmp(name, "pmm") == 0) {
        ktest_pmm_orders();
        ktest_pmm_all();
    } else if (strcmp(name, "lend") == 0) {
        ktest_lend(report);
    } else if (strcmp(name, "fault") == 0) {
        ktest_fault();
    } else {
        kprintf("ktest: unknown test '%s'\n", name);
        report(name, false, "no such kernel test");
    }
    kprintf("TESTS DONE %u\n", ktests_run);
    arch_qemu_exit(0);
    for (;;)
        __asm__ volatile("cli; hlt");
}
