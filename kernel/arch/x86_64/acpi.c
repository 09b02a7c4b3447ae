/*
 * acpi.c — finds the RSDP in the BIOS areas, walks the RSDT/XSDT, and
 * reads the MADT (CPUs, I/O APICs, interrupt overrides) and the MCFG (PCI
 * ECAM). Every table's checksum is verified; a bad table is reported and
 * skipped rather than trusted.
 */
#include "acpi.h"
#include "printk.h"
#include "layout.h"
#include "lib/string.h"

struct acpi_info acpi;

struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t xchecksum;
    uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct madt {
    struct sdt_header h;
    uint32_t lapic;
    uint32_t flags;
    uint8_t entries[];
} __attribute__((packed));

struct mcfg_entry {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start, bus_end;
    uint32_t reserved;
} __attribute__((packed));

static void *acpi_phys(uint64_t p) { return (void *)(DIRECT_MAP_BASE + p); }

static bool checksum_ok(const void *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static struct rsdp *scan_rsdp(uint64_t start, uint64_t len)
{
    for (uint64_t p = start; p + sizeof(struct rsdp) <= start + len; p += 16) {
        struct rsdp *r = acpi_phys(p);
        if (memcmp(r->sig, "RSD PTR ", 8) == 0 && checksum_ok(r, 20))
            return r;
    }
    return NULL;
}

static struct rsdp *find_rsdp(void)
{
    uint64_t ebda = (uint64_t)*(uint16_t *)acpi_phys(0x40E) << 4;
    struct rsdp *r = NULL;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        r = scan_rsdp(ebda, 1024);
    return r ? r : scan_rsdp(0xE0000, 0x20000);
}

static void parse_madt(const struct madt *m)
{
    acpi.lapic_phys = m->lapic;
    const uint8_t *p = m->entries, *end = (const uint8_t *)m + m->h.length;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        switch (p[0]) {
        case 0:                                   /* processor local APIC */
            if (p[4] & 3) {                       /* enabled or online-capable */
                if (acpi.ncpus < MAX_CPUS)
                    acpi.cpu_apic_ids[acpi.ncpus++] = p[3];
                else
                    acpi.ncpus_ignored++;
            }
            break;
        case 1:                                   /* I/O APIC */
            if (acpi.nioapics < ACPI_MAX_IOAPICS) {
                struct acpi_ioapic *io = &acpi.ioapics[acpi.nioapics++];
                io->id = p[2];
                memcpy(&io->phys, p + 4, 4);
                memcpy(&io->gsi_base, p + 8, 4);
            }
            break;
        case 2: {                                 /* interrupt source override */
            uint8_t irq = p[3];
            if (irq < 16) {
                memcpy(&acpi.isa_gsi[irq], p + 4, 4);
                memcpy(&acpi.isa_flags[irq], p + 8, 2);
            }
            break;
        }
        case 5:                                   /* 64-bit LAPIC address */
            memcpy(&acpi.lapic_phys, p + 4, 8);
            break;
        }
        p += p[1];
    }
}

static void parse_mcfg(const struct sdt_header *h)
{
    const struct mcfg_entry *e = (const void *)((const uint8_t *)h + sizeof *h + 8);
    size_t n = (h->length - sizeof *h - 8) / sizeof *e;
    for (size_t i = 0; i < n; i++) {
        if (e[i].segment == 0) {
            acpi.mcfg_base = e[i].base;
            acpi.mcfg_bus_start = e[i].bus_start;
            acpi.mcfg_bus_end = e[i].bus_end;
        }
    }
}

static void visit_table(uint64_t phys)
{
    struct sdt_header *h = acpi_phys(phys);
    if (h->length < sizeof *h || h->length > (1u << 20) || !checksum_ok(h, h->length)) {
        kprintf("acpi: table at 0x%lx has a bad length or checksum, skipped\n", phys);
        return;
    }
    if (memcmp(h->sig, "APIC", 4) == 0)
        parse_madt((const struct madt *)h);
    else if (memcmp(h->sig, "MCFG", 4) == 0 && h->length >= sizeof *h + 8)
        parse_mcfg(h);
}

void acpi_init(void)
{
    for (unsigned i = 0; i < 16; i++)
        acpi.isa_gsi[i] = i;
    struct rsdp *r = find_rsdp();
    if (!r)
        panic("acpi: no RSDP found in the BIOS areas; cannot find the CPUs");
    bool use_xsdt = r->revision >= 2 && r->xsdt && checksum_ok(r, r->length);
    struct sdt_header *root = acpi_phys(use_xsdt ? r->xsdt : r->rsdt);
    if (!checksum_ok(root, root->length))
        panic("acpi: the %s has a bad checksum", use_xsdt ? "XSDT" : "RSDT");
    size_t esize = use_xsdt ? 8 : 4;
    size_t n = (root->length - sizeof *root) / esize;
    for (size_t i = 0; i < n; i++) {
        uint64_t p = 0;
        memcpy(&p, (uint8_t *)root + sizeof *root + i * esize, esize);
        visit_table(p);
    }
    if (acpi.ncpus == 0 || acpi.lapic_phys == 0)
        panic("acpi: no MADT with local APICs found");
    if (acpi.ncpus_ignored)
        kprintf("acpi: %u CPUs beyond the limit of %d are not used\n", acpi.ncpus_ignored, MAX_CPUS);
}
