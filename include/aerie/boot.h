/*
 * aerie/boot.h — what the boot task (the first program, loaded from the
 * first boot module) holds when it starts: these capability slots, and in
 * RDI the address of its struct aerie_bootinfo (mapped read-only).
 */
#ifndef AERIE_BOOT_H
#define AERIE_BOOT_H

#include <stdint.h>

enum aerie_boot_slot {
    AERIE_BOOT_TASK = 1,        /* its own task */
    AERIE_BOOT_THREAD,          /* its own first thread */
    AERIE_BOOT_QUOTA,           /* all free memory */
    AERIE_BOOT_IRQ_CONTROL,
    AERIE_BOOT_IOPORT,          /* every I/O port */
    AERIE_BOOT_DEVMEM,          /* all physical address space that is not RAM */
    AERIE_BOOT_KDEBUG,
    AERIE_BOOT_UTCB_MEM,        /* the Memory holding its UTCB */
    AERIE_BOOT_MODULE0,         /* boot module i at AERIE_BOOT_MODULE0 + i, read-only Memory */
    AERIE_BOOT_FIRST_FREE = AERIE_BOOT_MODULE0 + 8,
};

#define AERIE_BOOT_MAX_MODULES 8

struct aerie_bootinfo {
    uint64_t magic;                    /* AERIE_KIP_MAGIC */
    uint32_t nmodules;
    uint32_t ncpus;
    struct {
        uint64_t bytes;
        char name[48];
    } modules[AERIE_BOOT_MAX_MODULES];
    char cmdline[256];                 /* the kernel command line */
    uint64_t utcb_addr;                /* where its UTCB is mapped */
    uint64_t acpi_mcfg_base;           /* PCI ECAM base (segment 0) or 0 */
    uint32_t acpi_mcfg_bus_end;
    uint32_t pad;
};

#endif
