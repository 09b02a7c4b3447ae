/*
 * memory.c — turns the boot loader's memory map into free pages.
 * Reserved: the first MiB (BIOS data, the AP trampoline), the kernel image,
 * the boot modules (the root task's boot image), and the page allocator's
 * own metadata, which we place in the first low RAM range big enough.
 */
#include "memory.h"
#include "bootinfo.h"
#include "cpu.h"
#include "pmm.h"
#include "printk.h"

extern char _kernel_end_phys[];
extern uint64_t boot_pml4[];

#define MAX_RESERVED (BOOT_MAX_MODULES + 4)
#define GiB (1ull << 30)

static struct boot_range reserved[MAX_RESERVED];
static unsigned nreserved;

static void reserve(uint64_t base, uint64_t len)
{
    if (nreserved == MAX_RESERVED)
        panic("memory: too many reserved ranges");
    uint64_t start = base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (base + len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    reserved[nreserved++] = (struct boot_range){ start, end - start };
}

static bool overlaps_reserved(uint64_t base, uint64_t len)
{
    for (unsigned i = 0; i < nreserved; i++)
        if (base < reserved[i].base + reserved[i].len && reserved[i].base < base + len)
            return true;
    return false;
}

/* Returns the end of the reserved range containing addr, or 0. */
static uint64_t reserved_end_at(uint64_t addr)
{
    for (unsigned i = 0; i < nreserved; i++)
        if (reserved[i].base <= addr && addr < reserved[i].base + reserved[i].len)
            return reserved[i].base + reserved[i].len;
    return 0;
}

/* Adds the part of [base, base+len) inside [lo, hi) minus every reserved
 * range to the page allocator. */
static void add_free(uint64_t base, uint64_t len, uint64_t lo, uint64_t hi)
{
    uint64_t start = base < lo ? lo : base;
    uint64_t end = base + len > hi ? hi : base + len;
    while (start < end) {
        uint64_t skip = reserved_end_at(start);
        if (skip) {
            start = skip;
            continue;
        }
        uint64_t stop = end;
        for (unsigned i = 0; i < nreserved; i++)
            if (reserved[i].base > start && reserved[i].base < stop)
                stop = reserved[i].base;
        pmm_add_range(start, stop - start);
        start = stop;
    }
}

/* First page-aligned spot below 4 GiB, in RAM and clear of every reserved
 * range, that holds bytes. */
static uint64_t place_metadata(size_t bytes)
{
    for (unsigned i = 0; i < bootinfo.nram; i++) {
        uint64_t base = bootinfo.ram[i].base;
        uint64_t end = bootinfo.ram[i].base + bootinfo.ram[i].len;
        if (end > 4 * GiB)
            end = 4 * GiB;
        while (base + bytes <= end) {
            if (!overlaps_reserved(base, bytes))
                return base;
            uint64_t next = base + PAGE_SIZE;
            for (unsigned k = 0; k < nreserved; k++) {
                uint64_t re = reserved[k].base + reserved[k].len;
                if (base < re && reserved[k].base < base + bytes && re > next)
                    next = re;
            }
            base = next;
        }
    }
    panic("memory: no room below 4 GiB for %lu bytes of page metadata", (uint64_t)bytes);
}

/* Maps RAM above 4 GiB into the direct map (boot.S did the first 4 GiB). */
static void extend_direct_map(void)
{
    uint32_t r[4];
    cpuid(0x80000001, 0, r);
    bool gib_pages = r[3] & (1u << 26);
    uint64_t *pdpt = phys_to_virt(boot_pml4[256] & ~0xFFFull);
    for (uint64_t g = 4; g * GiB < bootinfo.ram_top; g++) {
        if (g >= 512)
            panic("memory: RAM beyond 512 GiB is not supported");
        if (gib_pages) {
            pdpt[g] = (g * GiB) | 0x83;                /* P, W, PS */
            continue;
        }
        uint64_t pd = pmm_alloc_page();
        if (!pd)
            panic("memory: no page for the direct map");
        uint64_t *e = phys_to_virt(pd);
        for (int i = 0; i < 512; i++)
            e[i] = (g * GiB + (uint64_t)i * (2u << 20)) | 0x83;
        pdpt[g] = pd | 0x3;
    }
    write_cr3(read_cr3());
}

void memory_init(void)
{
    reserve(0, 0x100000);
    reserve(KERNEL_PHYS, (uint64_t)_kernel_end_phys - KERNEL_PHYS);
    for (unsigned i = 0; i < bootinfo.nmodules; i++)
        reserve(bootinfo.modules[i].base, bootinfo.modules[i].len);

    uint64_t npfn = bootinfo.ram_top / PAGE_SIZE;
    size_t meta = pmm_metadata_bytes(npfn);
    uint64_t meta_phys = place_metadata(meta);
    reserve(meta_phys, meta);
    pmm_init(phys_to_virt(meta_phys), npfn);

    /* Low RAM first, so page tables for the rest of the direct map come
     * from memory that is already mapped. */
    for (unsigned i = 0; i < bootinfo.nram; i++)
        add_free(bootinfo.ram[i].base, bootinfo.ram[i].len, 0, 4 * GiB);
    extend_direct_map();
    for (unsigned i = 0; i < bootinfo.nram; i++)
        add_free(bootinfo.ram[i].base, bootinfo.ram[i].len, 4 * GiB, ~0ull);
}
