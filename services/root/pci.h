/*
 * pci.h — root's view of the PCI bus: it walks PCI Express configuration
 * space (ECAM, found through the ACPI MCFG table in the boot info) once,
 * remembers every function, and hands a service exactly one function:
 * that function's 4 KiB of configuration space, its BARs and an MSI
 * vector, and nothing else (root.c, grant "pci:VENDOR:DEVICE").
 *
 * Root is the only program that touches other functions' configuration
 * space; it does so only here, before any driver runs.
 */
#ifndef AERIE_ROOT_PCI_H
#define AERIE_ROOT_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_FUNCS 64
#define PCI_BARS      6

struct pci_bar {
    uint64_t base;              /* physical address or I/O port; 0: absent */
    uint64_t size;              /* bytes or ports */
    bool io;                    /* an I/O-space BAR */
};

struct pci_func {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint64_t cfg_phys;          /* its 4 KiB of ECAM */
    bool sized;                 /* bar[] is filled in */
    struct pci_bar bar[PCI_BARS];
    int owner;                  /* service index it was given to, -1: none */
};

/* Walks the buses reachable from bus 0 through bridges (at most up to
 * bus_end). Returns the number of functions found (0 without ECAM). */
unsigned pci_scan(uint64_t ecam_base, unsigned bus_end);

/* The first function with this vendor and device that no other service
 * owns (or that `owner` already owns), its BARs sized; NULL if none. */
struct pci_func *pci_claim(uint16_t vendor, uint16_t device, int owner);

/* The functions `owner` holds stop mastering the bus (no more DMA), for
 * when it has stopped and its memory is about to be freed. They stay its
 * own for a restart, whose driver enables them again. */
void pci_quiesce(int owner);

#endif
