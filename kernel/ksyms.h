/*
 * ksyms.h — the kernel's own symbol table, for readable backtraces.
 * The build links the kernel twice: the second link adds the table that
 * tools/ksymgen made from the first (see kernel.mk).
 */
#ifndef AERIE_KSYMS_H
#define AERIE_KSYMS_H

#include <stdint.h>

struct ksym {
    uint64_t addr;
    uint32_t name;     /* offset into ksyms_names */
    uint32_t pad;
};

extern const struct ksym ksyms_table[];
extern const uint64_t ksyms_count;
extern const char ksyms_names[];

/* Finds the function containing addr; returns its name and sets *offset. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
