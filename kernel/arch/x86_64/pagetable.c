/*
 * pagetable.c — writing x86-64 page-table entries for user address spaces,
 * and TLB shootdowns across CPUs.
 *
 * The kernel half of every top-level table is copied from the boot tables
 * at creation; those entries never change afterwards, so no task needs
 * updating when the kernel maps something.
 */
#include "pagetable.h"
#include "memory.h"
#include "kmem.h"
#include "quota.h"
#include "apic.h"
#include "percpu.h"
#include "trap.h"
#include "cpu.h"
#include "sched.h"
#include "lib/string.h"
#include "arch_hooks.h"
#include <aerie/errors.h>

#define PTE_P   0x1ull
#define PTE_W   0x2ull
#define PTE_U   0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS  0x80ull
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

extern uint64_t boot_pml4[];

uint64_t pt_kernel_root(void)
{
    return (uint64_t)boot_pml4 - KERNEL_VMA;        /* it lives in the kernel image */
}

static uint64_t *table(uint64_t phys) { return phys_to_virt(phys); }

uint64_t pt_create(struct quota *q, int *err)
{
    *err = quota_charge(q, PAGE_SIZE, 0, 0);
    if (*err)
        return 0;
    uint64_t root = kmem_alloc_pages(0);
    if (!root) {
        quota_release(q, PAGE_SIZE, 0, 0);
        *err = AE_ENOMEM;
        return 0;
    }
    memcpy(table(root) + 256, boot_pml4 + 256, 256 * sizeof(uint64_t));
    return root;
}

/* The next-level table under entry e, created if asked. */
static uint64_t *next_level(uint64_t *e, bool create, struct quota *q, uint64_t *pt_pages, int *err)
{
    if (*e & PTE_P)
        return table(*e & PTE_ADDR);
    if (!create)
        return NULL;
    *err = quota_charge(q, PAGE_SIZE, 0, 0);
    if (*err)
        return NULL;
    uint64_t p = kmem_alloc_pages(0);
    if (!p) {
        quota_release(q, PAGE_SIZE, 0, 0);
        *err = AE_ENOMEM;
        return NULL;
    }
    (*pt_pages)++;
    *e = p | PTE_P | PTE_W | PTE_U;
    return table(p);
}

static uint64_t *walk(uint64_t root, uint64_t va, bool create, struct quota *q, uint64_t *pt_pages, int *err)
{
    uint64_t *t = table(root);
    for (int shift = 39; shift > 12; shift -= 9) {
        t = next_level(&t[(va >> shift) & 511], create, q, pt_pages, err);
        if (!t)
            return NULL;
    }
    return &t[(va >> 12) & 511];
}

/* va's entry in its last-level table; NULL when a table on the way is
 * missing, with *span the pages from va that table would have held (so a
 * range walk skips a whole missing table at once). */
static uint64_t *walk_span(uint64_t root, uint64_t va, uint64_t *span)
{
    uint64_t *t = table(root);
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t e = t[(va >> shift) & 511];
        if (!(e & PTE_P)) {
            uint64_t size = 1ull << shift;
            *span = (size - (va & (size - 1))) / PAGE_SIZE;
            return NULL;
        }
        t = table(e & PTE_ADDR);
    }
    *span = 512 - ((va >> 12) & 511);
    return &t[(va >> 12) & 511];
}

static uint64_t entry_bits(unsigned flags)
{
    uint64_t e = PTE_P | PTE_U;
    if (flags & PT_W)
        e |= PTE_W;
    if (!(flags & PT_X))
        e |= PTE_NX;
    if (flags & PT_UNCACHED)
        e |= PTE_PCD | PTE_PWT;
    return e;
}

int pt_map(uint64_t root, struct quota *q, uint64_t *pt_pages, uint64_t va, uint64_t pa, unsigned flags)
{
    int err = 0;
    uint64_t *pte = walk(root, va, true, q, pt_pages, &err);
    if (!pte)
        return err ? err : AE_ENOMEM;
    *pte = pa | entry_bits(flags);
    return 0;
}

int pt_map_range(uint64_t root, struct quota *q, uint64_t *pt_pages, uint64_t va, uint64_t npages,
                 unsigned flags, uint64_t (*page)(void *ctx, uint64_t i), void *ctx)
{
    uint64_t bits = entry_bits(flags), done = 0;
    while (done < npages) {
        uint64_t in_table = 512 - ((va >> 12) & 511);        /* entries left in this table */
        uint64_t n = in_table < npages - done ? in_table : npages - done;
        uint64_t *pte = NULL;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t pa = page(ctx, done + i);
            if (!pa)
                continue;                     /* a lazy page not touched: no table needed for it */
            if (!pte) {
                int err = 0;
                pte = walk(root, va, true, q, pt_pages, &err);
                if (!pte)
                    return err ? err : AE_ENOMEM;
            }
            pte[i] = pa | bits;
        }
        va += n * PAGE_SIZE;
        done += n;
    }
    return 0;
}

void pt_unmap(uint64_t root, uint64_t va)
{
    int err;
    uint64_t *pte = walk(root, va, false, NULL, NULL, &err);
    if (pte)
        *pte = 0;
}

void pt_unmap_range(uint64_t root, uint64_t va, uint64_t npages)
{
    while (npages) {
        uint64_t span, *pte = walk_span(root, va, &span);
        uint64_t n = span < npages ? span : npages;
        for (uint64_t i = 0; pte && i < n; i++)
            pte[i] = 0;
        va += n * PAGE_SIZE;
        npages -= n;
    }
}

void pt_write_protect(uint64_t root, uint64_t va, uint64_t npages)
{
    while (npages) {
        uint64_t span, *pte = walk_span(root, va, &span);
        uint64_t n = span < npages ? span : npages;
        for (uint64_t i = 0; pte && i < n; i++)
            pte[i] &= ~PTE_W;                                 /* no table: nothing mapped there */
        va += n * PAGE_SIZE;
        npages -= n;
    }
}

uint64_t pt_translate(uint64_t root, uint64_t va, bool *writable)
{
    int err;
    uint64_t *pte = walk(root, va, false, NULL, NULL, &err);
    if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U))
        return 0;
    *writable = *pte & PTE_W;
    return (*pte & PTE_ADDR) | (va & 0xFFF);
}

static uint64_t free_level(uint64_t phys, int level)
{
    uint64_t freed = 0;
    if (level > 1) {
        uint64_t *t = table(phys);
        for (int i = 0; i < 512; i++)
            if (t[i] & PTE_P)
                freed += free_level(t[i] & PTE_ADDR, level - 1);
    }
    kmem_free_pages(phys, 0);
    return freed + 1;
}

uint64_t pt_destroy(uint64_t root)
{
    uint64_t *t = table(root), freed = 0;
    for (int i = 0; i < 256; i++)
        if (t[i] & PTE_P)
            freed += free_level(t[i] & PTE_ADDR, 3);
    kmem_free_pages(root, 0);
    return freed + 1;
}

/* The lent ranges in table indices: the region [2 MiB, 4 MiB) is entry 1
 * of the page directory under entry 0 of entry 0; the high range is
 * top-level entries 1..255 (the user half ends at 256). */
#define LEND_PD_INDEX   1
#define LEND_TOP_FIRST  1

static uint64_t *region_pde(uint64_t root)
{
    uint64_t e = table(root)[0];
    if (!(e & PTE_P))
        return NULL;
    e = table(e & PTE_ADDR)[0];
    if (!(e & PTE_P))
        return NULL;
    return &table(e & PTE_ADDR)[LEND_PD_INDEX];
}

int pt_lend(uint64_t croot, uint64_t proot, uint64_t *saved)
{
    uint64_t *c = table(croot), *p = table(proot);
    uint64_t *cpde = region_pde(croot), *ppde = region_pde(proot);
    /* Both exist: every space maps the kernel info page in that region. */
    if (!cpde || !ppde || !(*ppde & PTE_P))
        return AE_EBUSY;
    for (int i = LEND_TOP_FIRST; i < 256; i++)
        if (c[i] & PTE_P)
            return AE_EBUSY;
    *saved = *cpde;
    *cpde = *ppde;
    for (int i = LEND_TOP_FIRST; i < 256; i++)
        c[i] = __atomic_load_n(&p[i], __ATOMIC_RELAXED);
    return 0;
}

void pt_unlend(uint64_t croot, uint64_t saved)
{
    uint64_t *c = table(croot);
    for (int i = LEND_TOP_FIRST; i < 256; i++)
        c[i] = 0;
    uint64_t *cpde = region_pde(croot);
    if (cpde)
        *cpde = saved;
}

bool pt_lend_sync(uint64_t croot, uint64_t proot, uint64_t va)
{
    unsigned i = (va >> 39) & 511;
    if (i < LEND_TOP_FIRST || i >= 256)
        return false;
    uint64_t *c = table(croot), pe = __atomic_load_n(&table(proot)[i], __ATOMIC_RELAXED);
    if ((c[i] & PTE_P) || !(pe & PTE_P))
        return false;
    c[i] = pe;
    return true;
}

/* What an address-space switch costs under emulation apart from the path
 * around it (docs/EVALUATION.md, IPC): CR3 is written with the tables it
 * holds (under QEMU TCG any CR3 write empties the software TLB and the
 * jump cache), then `pages` pages are read, each of which then needs a
 * refill. The image is mapped for good, so every read is safe. */
uint64_t arch_flush_bench(uint64_t rounds, unsigned pages)
{
    extern char _kernel_start[];
    const volatile char *img = _kernel_start;
    uint64_t cr3 = read_cr3(), t0 = rdtsc();
    for (uint64_t r = 0; r < rounds * 2; r++) {
        write_cr3(cr3);
        for (unsigned p = 0; p < pages; p++)
            (void)img[(uint64_t)p * PAGE_SIZE];
    }
    return rdtsc() - t0;
}

/* ---- shootdowns ----
 * Each CPU has a request counter others bump and a done counter it
 * advances after flushing. The kernel runs with interrupts off, so a CPU
 * may be spinning on a lock when asked: spin loops call tlb_service().
 * An idle CPU that watches its run queue (sched_cpu_polling) gets no IPI:
 * its loop services the request, and looks once more after it stops
 * watching (the same Dekker pattern as a wake-up, sched.c). */

static uint64_t tlb_requested[MAX_CPUS], tlb_done[MAX_CPUS];

void tlb_flush_pages_local(uint64_t va, uint64_t npages)
{
    for (uint64_t i = 0; i < npages; i++)
        invlpg(va + i * PAGE_SIZE);
}

void tlb_service(void)
{
    unsigned me = cpu_index();
    uint64_t want = __atomic_load_n(&tlb_requested[me], __ATOMIC_SEQ_CST);
    if (want != __atomic_load_n(&tlb_done[me], __ATOMIC_RELAXED)) {
        sched_tlb_flush_local();
        __atomic_store_n(&tlb_done[me], want, __ATOMIC_RELEASE);
    }
}

/* What each CPU waits for from each other one: per CPU rather than on
 * the stack (512 bytes), since an unmap may shoot down from deep in a
 * chain of releases; a CPU never runs two shootdowns at once. */
static uint64_t tlb_wanted[MAX_CPUS][MAX_CPUS];

void tlb_shootdown(uint64_t cpu_mask, bool tables_freed)
{
    unsigned me = cpu_index();
    uint64_t *want = tlb_wanted[me], wait = 0;
    if (cpu_mask & (1ull << me))
        sched_tlb_flush_local();
    for (unsigned c = 0; c < ncpus; c++) {
        if (c == me || !(cpu_mask & (1ull << c)))
            continue;
        /* An idle CPU only borrowing the tables flushes before it uses
         * them; one about to free them must be off them first (a CPU may
         * walk the tables CR3 names even while it uses none of them):
         * a lender's tables under a borrower's (vspace.c). A task's own
         * tables wait for no CPU (vspace_release). */
        if (!tables_freed && sched_tlb_defer(c))
            continue;
        wait |= 1ull << c;
        want[c] = __atomic_add_fetch(&tlb_requested[c], 1, __ATOMIC_SEQ_CST);
        if (!sched_cpu_polling(c))          /* an idle CPU watching its queue sees it anyway */
            lapic_send_ipi(cpus[c].apic_id, VEC_TLB_SHOOTDOWN);
    }
    for (unsigned c = 0; c < ncpus; c++) {
        if (!(wait & (1ull << c)))
            continue;
        while ((int64_t)(__atomic_load_n(&tlb_done[c], __ATOMIC_ACQUIRE) - want[c]) < 0) {
            tlb_service();
            cpu_relax();
        }
    }
}

void spin_relax(void)
{
    cpu_relax();
    if (cpus[0].self)                  /* per-CPU data is up */
        tlb_service();
}

static void tlb_ipi(struct trap_frame *tf, unsigned vec)
{
    lapic_eoi();
    tlb_service();
}

void tlb_init(void);
void tlb_init(void)
{
    trap_set_handler(VEC_TLB_SHOOTDOWN, tlb_ipi);
}
