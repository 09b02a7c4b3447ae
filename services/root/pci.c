/*
 * pci.c — PCI enumeration through ECAM (PCI Express Base Specification,
 * "Enhanced Configuration Access Mechanism": bus << 20 | device << 15 |
 * function << 12), and BAR sizing (PCI Local Bus Specification 3.0
 * §6.2.5.1). Root maps each bus's megabyte of configuration space once,
 * as device memory from its own quota, and keeps it mapped.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/boot.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "pci.h"

#define BUS_BYTES      (1u << 20)
#define PCI_VENDOR     0x00
#define PCI_DEVICE     0x02
#define PCI_COMMAND    0x04
#define PCI_HEADER     0x0e
#define PCI_BAR0       0x10
#define PCI_SECONDARY  0x19             /* bridges (header type 1) */
#define CMD_DECODE     0x0003           /* I/O space and memory space */
#define CMD_MASTER     0x0004           /* bus master: the function may do DMA */

static struct pci_func funcs[PCI_MAX_FUNCS];
static unsigned nfuncs;
static volatile uint8_t *bus_map[256];  /* each scanned bus's ECAM, mapped */
static uint64_t ecam_phys;
static unsigned last_bus;

static volatile uint8_t *map_bus(unsigned bus)
{
    if (bus_map[bus])
        return bus_map[bus];
    uint64_t slot = ae_slot_alloc(), va = ae_vm_reserve(BUS_BYTES);
    if (!slot || !va)
        return NULL;
    if (ae_invokev(AERIE_BOOT_DEVMEM, AERIE_DEVMEM_CREATE, AERIE_BOOT_QUOTA,
                   ecam_phys + ((uint64_t)bus << 20), BUS_BYTES, slot) < 0 ||
        ae_task_map(AERIE_BOOT_TASK, slot, 0, va, BUS_BYTES, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        printf("root: cannot map the configuration space of PCI bus %u\n", bus);
        return NULL;
    }
    bus_map[bus] = (volatile uint8_t *)va;
    return bus_map[bus];
}

static volatile uint8_t *cfg(const struct pci_func *f)
{
    return bus_map[f->bus] + ((unsigned)f->dev << 15 | (unsigned)f->fn << 12);
}

static uint32_t rd32(volatile uint8_t *c, unsigned off) { return *(volatile uint32_t *)(c + off); }
static uint16_t rd16(volatile uint8_t *c, unsigned off) { return *(volatile uint16_t *)(c + off); }
static uint8_t rd8(volatile uint8_t *c, unsigned off) { return *(volatile uint8_t *)(c + off); }
static void wr32(volatile uint8_t *c, unsigned off, uint32_t v) { *(volatile uint32_t *)(c + off) = v; }
static void wr16(volatile uint8_t *c, unsigned off, uint16_t v) { *(volatile uint16_t *)(c + off) = v; }

static void scan_bus(unsigned bus, uint8_t *seen);

static void add_function(unsigned bus, unsigned dev, unsigned fn, volatile uint8_t *c, uint8_t *seen)
{
    if (nfuncs < PCI_MAX_FUNCS) {
        funcs[nfuncs++] = (struct pci_func){
            .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn,
            .vendor = rd16(c, PCI_VENDOR), .device = rd16(c, PCI_DEVICE),
            .cfg_phys = ecam_phys + ((uint64_t)bus << 20 | dev << 15 | fn << 12), .owner = -1,
        };
    }
    unsigned secondary = rd8(c, PCI_SECONDARY);
    if ((rd8(c, PCI_HEADER) & 0x7f) == 1 && secondary > bus && secondary <= last_bus &&
        !(seen[secondary / 8] & (1u << secondary % 8)))
        scan_bus(secondary, seen);
}

/* Every device and function of one bus; bridges lead to their buses. */
static void scan_bus(unsigned bus, uint8_t *seen)
{
    seen[bus / 8] |= (uint8_t)(1u << bus % 8);
    volatile uint8_t *b = map_bus(bus);
    if (!b)
        return;
    for (unsigned dev = 0; dev < 32; dev++) {
        volatile uint8_t *c0 = b + (dev << 15);
        if (rd16(c0, PCI_VENDOR) == 0xffff)
            continue;
        unsigned nfn = rd8(c0, PCI_HEADER) & 0x80 ? 8 : 1;
        for (unsigned fn = 0; fn < nfn; fn++) {
            volatile uint8_t *c = c0 + (fn << 12);
            if (rd16(c, PCI_VENDOR) != 0xffff)
                add_function(bus, dev, fn, c, seen);
        }
    }
}

unsigned pci_scan(uint64_t ecam_base, unsigned bus_end)
{
    if (!ecam_base || nfuncs)
        return nfuncs;
    ecam_phys = ecam_base;
    last_bus = bus_end > 255 ? 255 : bus_end;
    uint8_t seen[32] = { 0 };
    scan_bus(0, seen);
    return nfuncs;
}

/* Sizes BAR i (§6.2.5.1: write all ones, read the mask back, restore);
 * returns how many BAR registers it used (2 for a 64-bit BAR). Decoding
 * is off while the caller sizes. */
static unsigned size_bar(volatile uint8_t *c, unsigned i, struct pci_bar *b)
{
    unsigned off = PCI_BAR0 + 4 * i;
    uint32_t orig = rd32(c, off);
    wr32(c, off, 0xffffffff);
    uint32_t mask = rd32(c, off);
    wr32(c, off, orig);
    *b = (struct pci_bar){ 0 };
    if (orig & 1) {                                    /* I/O space */
        uint32_t m = mask & ~3u;
        b->io = true;
        b->base = orig & ~3u;
        b->size = m ? (~m + 1) & 0xffff : 0;
        return 1;
    }
    uint64_t m = mask & ~0xfu, base = orig & ~0xfu;
    unsigned used = 1;
    if (((orig >> 1) & 3) == 2 && i < PCI_BARS - 1) {  /* 64-bit: the next register is the top half */
        uint32_t orig_hi = rd32(c, off + 4);
        wr32(c, off + 4, 0xffffffff);
        uint64_t mhi = rd32(c, off + 4);
        wr32(c, off + 4, orig_hi);
        m |= mhi << 32;
        base |= (uint64_t)orig_hi << 32;
        used = 2;
    } else {
        m |= 0xffffffff00000000ull;
    }
    b->base = base;
    b->size = (mask & ~0xfu) || m >> 32 != 0xffffffffu ? ~m + 1 : 0;
    return used;
}

static void size_bars(struct pci_func *f)
{
    volatile uint8_t *c = cfg(f);
    uint16_t cmd = rd16(c, PCI_COMMAND);
    wr16(c, PCI_COMMAND, cmd & ~CMD_DECODE);           /* no decoding of half-written BARs */
    for (unsigned i = 0; i < PCI_BARS;)
        i += size_bar(c, i, &f->bar[i]);
    wr16(c, PCI_COMMAND, cmd);
    for (unsigned i = 0; i < PCI_BARS; i++)
        if (!f->bar[i].base)
            f->bar[i].size = 0;                        /* the firmware did not place it: absent */
    f->sized = true;
}

struct pci_func *pci_claim(uint16_t vendor, uint16_t device, int owner)
{
    for (unsigned i = 0; i < nfuncs; i++) {
        struct pci_func *f = &funcs[i];
        if (f->vendor != vendor || f->device != device || (f->owner >= 0 && f->owner != owner))
            continue;
        if (!f->sized)
            size_bars(f);
        f->owner = owner;
        return f;
    }
    return NULL;
}

void pci_quiesce(int owner)
{
    for (unsigned i = 0; i < nfuncs; i++) {
        if (funcs[i].owner != owner)
            continue;
        volatile uint8_t *c = cfg(&funcs[i]);
        wr16(c, PCI_COMMAND, rd16(c, PCI_COMMAND) & ~CMD_MASTER);
    }
}
