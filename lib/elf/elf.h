/*
 * elf.h — the one ELF64 parser, shared by the kernel (the boot task),
 * libaerie's program loader, and a host fuzzer. It reads nothing outside
 * the buffer it is given and returns a message naming the first problem.
 */
#ifndef AERIE_ELF_H
#define AERIE_ELF_H

#include <stdint.h>
#include <stdbool.h>

#define ELF_MAX_SEGS 8

#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4

struct elf_seg {
    uint64_t vaddr, memsz;       /* where it goes */
    uint64_t offset, filesz;     /* what of the file fills it; the rest is zero */
    uint32_t flags;              /* ELF_PF_* */
};

struct elf_image {
    uint64_t entry;
    uint64_t phoff;              /* program headers, within the file */
    unsigned phnum;
    unsigned nseg;
    struct elf_seg seg[ELF_MAX_SEGS];
    bool has_tls;
    uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;
};

/* Validates a static x86-64 executable whose loadable segments must lie
 * in [user_min, user_max) and must not share pages. Returns NULL and
 * fills img, or returns a description of what is wrong. */
const char *elf_parse(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                      struct elf_image *img);

#endif
