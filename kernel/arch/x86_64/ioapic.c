/*
 * ioapic.c — routes global system interrupts (GSIs) to vectors through the
 * I/O APICs the MADT lists. Every entry starts masked; the kernel unmasks a
 * line when a user-level driver binds and acknowledges its IRQ object.
 */
#include "apic.h"
#include "acpi.h"
#include "layout.h"
#include "printk.h"
#include "lib/spinlock.h"
#include <stddef.h>

#define IOREGSEL 0x00
#define IOWIN    0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))

static spinlock_t ioapic_lock = SPINLOCK_INIT;
static unsigned ioapic_lines[ACPI_MAX_IOAPICS];

static uint32_t ioapic_read(const struct acpi_ioapic *io, uint32_t reg)
{
    volatile uint32_t *base = (volatile uint32_t *)(DIRECT_MAP_BASE + io->phys);
    base[IOREGSEL / 4] = reg;
    return base[IOWIN / 4];
}

static void ioapic_write(const struct acpi_ioapic *io, uint32_t reg, uint32_t v)
{
    volatile uint32_t *base = (volatile uint32_t *)(DIRECT_MAP_BASE + io->phys);
    base[IOREGSEL / 4] = reg;
    base[IOWIN / 4] = v;
}

/* Finds the I/O APIC serving gsi and the line number on it. */
static const struct acpi_ioapic *ioapic_for(uint32_t gsi, unsigned *line)
{
    for (unsigned i = 0; i < acpi.nioapics; i++) {
        const struct acpi_ioapic *io = &acpi.ioapics[i];
        if (gsi >= io->gsi_base && gsi < io->gsi_base + ioapic_lines[i]) {
            *line = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

void ioapic_init(void)
{
    /* The legacy 8259 PICs: remap out of the exception range, then mask. */
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFF); outb(0xA1, 0xFF);

    for (unsigned i = 0; i < acpi.nioapics; i++) {
        const struct acpi_ioapic *io = &acpi.ioapics[i];
        ioapic_lines[i] = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xFF) + 1;
        for (unsigned l = 0; l < ioapic_lines[i]; l++) {
            ioapic_write(io, IOAPIC_REDTBL(l), 1u << 16);
            ioapic_write(io, IOAPIC_REDTBL(l) + 1, 0);
        }
    }
}

bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic, bool level, bool active_low)
{
    unsigned line;
    const struct acpi_ioapic *io = ioapic_for(gsi, &line);
    if (!io)
        return false;
    uint32_t lo = vector | (1u << 16) | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0);
    spin_lock(&ioapic_lock);
    ioapic_write(io, IOAPIC_REDTBL(line) + 1, dest_apic << 24);
    ioapic_write(io, IOAPIC_REDTBL(line), lo);
    spin_unlock(&ioapic_lock);
    return true;
}

void ioapic_mask(uint32_t gsi, bool masked)
{
    unsigned line;
    const struct acpi_ioapic *io = ioapic_for(gsi, &line);
    if (!io)
        return;
    spin_lock(&ioapic_lock);
    uint32_t lo = ioapic_read(io, IOAPIC_REDTBL(line));
    lo = masked ? (lo | (1u << 16)) : (lo & ~(1u << 16));
    ioapic_write(io, IOAPIC_REDTBL(line), lo);
    spin_unlock(&ioapic_lock);
}
