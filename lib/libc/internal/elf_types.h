/*
 * elf_types.h — the few ELF64 definitions startup needs to find the TLS
 * segment (System V gABI, "Program Header"). Internal: <elf.h> is not a
 * standard header and programs here have no use for it.
 */
#ifndef LIBC_ELF_TYPES_H
#define LIBC_ELF_TYPES_H

#include <stdint.h>

typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

#define PT_TLS  7
#define PT_PHDR 6

_Static_assert(sizeof(Elf64_Ehdr) == 64, "gABI size");
_Static_assert(sizeof(Elf64_Phdr) == 56, "gABI size");

#endif
