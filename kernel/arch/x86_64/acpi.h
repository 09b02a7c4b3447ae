/*
 * acpi.h — the ACPI facts the kernel needs: where the CPUs, I/O APICs and
 * the PCI configuration space (MCFG) are, and how ISA IRQs map to GSIs.
 */
#ifndef AERIE_ACPI_H
#define AERIE_ACPI_H

#include <stdint.h>
#include <stdbool.h>
#include "percpu.h"

#define ACPI_MAX_IOAPICS 8

struct acpi_ioapic {
    uint32_t id, phys, gsi_base;
};

struct acpi_info {
    uint64_t lapic_phys;
    uint32_t cpu_apic_ids[MAX_CPUS];
    unsigned ncpus;                  /* enabled CPUs listed in the MADT */
    unsigned ncpus_ignored;          /* beyond MAX_CPUS */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned nioapics;
    uint32_t isa_gsi[16];            /* ISA IRQ -> GSI */
    uint16_t isa_flags[16];          /* MPS INTI flags from overrides */
    uint64_t mcfg_base;              /* PCI ECAM base for segment 0, or 0 */
    uint8_t mcfg_bus_start, mcfg_bus_end;
};

extern struct acpi_info acpi;

/* Finds and parses the ACPI tables; panics with the reason if the MADT is
 * missing (Aerie needs it to find the CPUs). */
void acpi_init(void);

#endif
