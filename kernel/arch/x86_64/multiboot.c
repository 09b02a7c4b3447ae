/*
 * multiboot.c — reads the multiboot (v1) information structure into
 * struct boot_info. Everything is copied out, so the loader's structures
 * need not be reserved afterwards (the modules' contents are).
 */
#include "bootinfo.h"
#include "printk.h"
#include "layout.h"
#include "lib/string.h"

#define MB_BOOT_MAGIC   0x2BADB002
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)
#define MB_MEM_AVAILABLE 1

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

struct mb_module {
    uint32_t start, end, string, reserved;
} __attribute__((packed));

struct boot_info bootinfo;

/* The boot page tables map the first 4 GiB in the direct map; multiboot
 * structures are always below 4 GiB. */
static void *boot_phys(uint64_t p)
{
    return (void *)(DIRECT_MAP_BASE + p);
}

static void copy_string(char *dst, size_t max, uint32_t phys)
{
    const char *s = boot_phys(phys);
    size_t n = 0;
    while (n + 1 < max && s[n])
        n++;
    memcpy(dst, s, n);
    dst[n] = 0;
}

static void add_ram(uint64_t base, uint64_t len)
{
    /* Whole pages only. */
    uint64_t start = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (base + len) & ~(uint64_t)(PAGE_SIZE - 1);
    if (end <= start)
        return;
    if (bootinfo.nram == BOOT_MAX_RANGES) {
        kprintf("boot: more than %d RAM ranges, ignoring %lx..%lx\n", BOOT_MAX_RANGES, start, end);
        return;
    }
    unsigned i = bootinfo.nram++;
    while (i > 0 && bootinfo.ram[i - 1].base > start) {     /* keep sorted */
        bootinfo.ram[i] = bootinfo.ram[i - 1];
        i--;
    }
    bootinfo.ram[i] = (struct boot_range){ start, end - start };
    bootinfo.ram_bytes += end - start;
    if (end > bootinfo.ram_top)
        bootinfo.ram_top = end;
}

static void read_mmap(const struct mb_info *mb)
{
    uint64_t p = mb->mmap_addr, end = p + mb->mmap_length;
    while (p + sizeof(struct mb_mmap_entry) <= end) {
        const struct mb_mmap_entry *e = boot_phys(p);
        if (e->type == MB_MEM_AVAILABLE)
            add_ram(e->base, e->len);
        p += e->size + 4;
    }
}

static void read_modules(const struct mb_info *mb)
{
    const struct mb_module *m = boot_phys(mb->mods_addr);
    for (uint32_t i = 0; i < mb->mods_count; i++) {
        if (bootinfo.nmodules == BOOT_MAX_MODULES) {
            kprintf("boot: more than %d modules, ignoring the rest\n", BOOT_MAX_MODULES);
            return;
        }
        struct boot_module *bm = &bootinfo.modules[bootinfo.nmodules++];
        bm->base = m[i].start;
        bm->len = m[i].end > m[i].start ? m[i].end - m[i].start : 0;
        if (m[i].string)
            copy_string(bm->name, sizeof bm->name, m[i].string);
    }
}

void bootinfo_from_multiboot(uint32_t magic, uint64_t info)
{
    if (magic != MB_BOOT_MAGIC)
        panic("not started by a multiboot loader (magic 0x%x)", magic);
    const struct mb_info *mb = boot_phys(info);
    if (mb->flags & MB_INFO_CMDLINE)
        copy_string(bootinfo.cmdline, sizeof bootinfo.cmdline, mb->cmdline);
    if (mb->flags & MB_INFO_MMAP)
        read_mmap(mb);
    else if (mb->flags & MB_INFO_MEM)
        add_ram(0x100000, (uint64_t)mb->mem_upper * 1024);
    if (mb->flags & MB_INFO_MODS)
        read_modules(mb);
    if (bootinfo.nram == 0)
        panic("the boot loader reported no usable memory");
}
