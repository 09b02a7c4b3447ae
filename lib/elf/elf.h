/*
 * elf.h — the one ELF64 parser, shared by the kernel (the boot task),
 * libaerie's program loader, the container manager, the Linux personality
 * and a host fuzzer. It reads nothing outside the buffer it is given and
 * returns a message naming the first problem.
 *
 * Aerie programs carry a note (ELF_NOTE_AERIE, emitted by lib/user.ld);
 * a static x86-64 program without it is a Linux program, which the
 * container manager runs under the Linux personality (docs/LINUX.md).
 */
#ifndef AERIE_ELF_H
#define AERIE_ELF_H

#include <stdint.h>
#include <stdbool.h>

#define ELF_MAX_SEGS 8

#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4

#define ELF_ET_EXEC 2
#define ELF_ET_DYN  3

/* The Aerie note: name "Aerie", type 1, a 4-byte ABI version. */
#define ELF_NOTE_AERIE_NAME "Aerie"
#define ELF_NOTE_AERIE_TYPE 1

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
    unsigned type;               /* ELF_ET_EXEC or ELF_ET_DYN (static-pie) */
    bool aerie;                  /* carries the Aerie note */
    bool interp;                 /* has PT_INTERP: needs a dynamic linker */
    uint64_t interp_off, interp_len;     /* its path within the file, the NUL included
                                          * (elf_parse_linux checked both) */
    uint64_t relro_vaddr, relro_memsz;   /* PT_GNU_RELRO (0, 0 if none): what the C
                                          * library makes read-only after its start */
};

/* Validates a static x86-64 executable (ET_EXEC) whose loadable segments
 * must lie in [user_min, user_max) and must not share pages. Returns NULL
 * and fills img, or returns a description of what is wrong. */
const char *elf_parse(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                      struct elf_image *img);

/* The same for a Linux program: ET_EXEC within [user_min, user_max), or
 * ET_DYN (a static-pie, a PIE or a shared object such as a dynamic
 * linker) whose segments, counted from address 0, span less than
 * user_max - user_min (the caller picks the load base). A program with
 * PT_INTERP (it needs a dynamic linker) has img->interp set and its
 * interpreter's path checked: inside the file, 2..ELF_INTERP_MAX bytes,
 * ending in its only NUL (Linux's binfmt_elf asks the same). */
#define ELF_INTERP_MAX 256

const char *elf_parse_linux(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                            struct elf_image *img);

/* True when file is an ELF file carrying the Aerie note (nothing else is
 * checked: elf_parse does that). */
bool elf_is_aerie(const void *file, uint64_t len);

#endif
