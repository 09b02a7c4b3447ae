/*
 * bootinfo.h — what the boot loader told us, in a loader-independent form:
 * usable RAM, boot modules and the command line. Filled once by the
 * machine layer (multiboot.c) from memory that is then given back.
 */
#ifndef AERIE_BOOTINFO_H
#define AERIE_BOOTINFO_H

#include <stdint.h>

#define BOOT_MAX_RANGES  64
#define BOOT_MAX_MODULES 8
#define BOOT_NAME_LEN    64
#define BOOT_CMDLINE_LEN 512

struct boot_range {
    uint64_t base, len;
};

struct boot_module {
    uint64_t base, len;
    char name[BOOT_NAME_LEN];
};

struct boot_info {
    struct boot_range ram[BOOT_MAX_RANGES];    /* usable RAM, sorted by base */
    unsigned nram;
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned nmodules;
    char cmdline[BOOT_CMDLINE_LEN];
    uint64_t ram_bytes;                          /* sum of usable RAM */
    uint64_t ram_top;                            /* highest usable address + 1 */
};

extern struct boot_info bootinfo;

/* Parses the multiboot information at physical address info; panics with
 * the reason when the loader gave us nothing usable. */
void bootinfo_from_multiboot(uint32_t magic, uint64_t info);

#endif
