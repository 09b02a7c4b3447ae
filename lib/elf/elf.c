/*
 * elf.c — ELF64 parsing and validation (see elf.h). Every offset and size
 * from the file is checked against the buffer before use, with additions
 * written so they cannot overflow.
 */
#include "elf.h"

struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct ehdr) == 64, "ELF header layout");
_Static_assert(sizeof(struct phdr) == 56, "ELF program header layout");

#define PT_LOAD   1
#define PT_INTERP 3
#define PT_NOTE   4
#define PT_TLS    7
#define PT_GNU_RELRO 0x6474e552
#define PAGE 4096ull
#define MAX_SEG_BYTES (1ull << 30)

/* Copies n bytes at off from the file; the caller checked bounds. */
static void read_at(const uint8_t *file, uint64_t off, void *dst, uint64_t n)
{
    uint8_t *d = dst;
    for (uint64_t i = 0; i < n; i++)
        d[i] = file[off + i];
}

static const char *check_header(const struct ehdr *e, uint64_t len, bool lx)
{
    if (e->ident[0] != 0x7F || e->ident[1] != 'E' || e->ident[2] != 'L' || e->ident[3] != 'F')
        return "not an ELF file (bad magic)";
    if (e->ident[4] != 2)
        return "not a 64-bit ELF file";
    if (e->ident[5] != 1)
        return "not a little-endian ELF file";
    if (e->machine != 62)
        return "not an x86-64 program";
    if (e->type != ELF_ET_EXEC && !(lx && e->type == ELF_ET_DYN))
        return lx ? "not an executable (ET_EXEC or ET_DYN)" : "not a static executable (ET_EXEC)";
    if (e->phentsize != sizeof(struct phdr))
        return "bad program header size";
    if (e->phnum == 0 || e->phnum > 64)
        return "bad number of program headers";
    if (e->phoff > len || (uint64_t)e->phnum * sizeof(struct phdr) > len - e->phoff)
        return "program headers lie outside the file";
    return 0;
}

static const char *check_load(const struct phdr *p, uint64_t len, uint64_t lo, uint64_t hi)
{
    if (p->filesz > p->memsz)
        return "a segment's file size exceeds its memory size";
    if (p->offset > len || p->filesz > len - p->offset)
        return "a segment's data lies outside the file";
    if (p->memsz > MAX_SEG_BYTES)
        return "a segment is larger than 1 GiB";
    if (p->vaddr < lo || p->vaddr >= hi || p->memsz > hi - p->vaddr)
        return "a segment lies outside the user address space";
    return 0;
}

static bool pages_overlap(const struct elf_seg *a, const struct elf_seg *b)
{
    uint64_t a0 = a->vaddr & ~(PAGE - 1), a1 = (a->vaddr + a->memsz + PAGE - 1) & ~(PAGE - 1);
    uint64_t b0 = b->vaddr & ~(PAGE - 1), b1 = (b->vaddr + b->memsz + PAGE - 1) & ~(PAGE - 1);
    return a0 < b1 && b0 < a1;
}

static const char *add_segment(struct elf_image *img, const struct phdr *p)
{
    if (img->nseg == ELF_MAX_SEGS)
        return "too many loadable segments";
    struct elf_seg *s = &img->seg[img->nseg];
    *s = (struct elf_seg){ p->vaddr, p->memsz, p->offset, p->filesz, p->flags & 7 };
    for (unsigned i = 0; i < img->nseg; i++)
        if (pages_overlap(s, &img->seg[i]))
            return "two segments share a page";
    img->nseg++;
    return 0;
}

static const char *check_tls(struct elf_image *img, const struct phdr *p, uint64_t len)
{
    if (img->has_tls)
        return "more than one TLS segment";
    if (p->filesz > p->memsz || p->memsz > MAX_SEG_BYTES || p->offset > len || p->filesz > len - p->offset)
        return "bad TLS segment";
    if (p->align > PAGE || (p->align & (p->align - 1)))
        return "bad TLS alignment";
    img->has_tls = true;
    img->tls_vaddr = p->vaddr;
    img->tls_filesz = p->filesz;
    img->tls_memsz = p->memsz;
    img->tls_align = p->align ? p->align : 1;
    return 0;
}

/* PT_INTERP: a path of 2..ELF_INTERP_MAX bytes in the file, its one NUL last. */
static const char *check_interp(const uint8_t *f, uint64_t len, const struct phdr *p)
{
    if (p->offset > len || p->filesz > len - p->offset)
        return "the program interpreter's path lies outside the file";
    if (p->filesz < 2 || p->filesz > ELF_INTERP_MAX)
        return "the program interpreter's path is empty or too long";
    for (uint64_t i = 0; i < p->filesz - 1; i++)
        if (!f[p->offset + i])
            return "the program interpreter's path holds a NUL";
    if (f[p->offset + p->filesz - 1])
        return "the program interpreter's path does not end in a NUL";
    return 0;
}

static bool entry_executable(const struct elf_image *img)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            return true;
    }
    return false;
}

/* Walks the notes of one PT_NOTE segment for the Aerie note. */
static bool note_is_aerie(const uint8_t *f, uint64_t len, const struct phdr *p)
{
    if (p->offset > len || p->filesz > len - p->offset)
        return false;
    uint64_t at = p->offset, end = p->offset + p->filesz;
    while (end - at >= 12) {
        uint32_t hdr[3];
        read_at(f, at, hdr, sizeof hdr);
        uint64_t name = (hdr[0] + 3ull) & ~3ull, desc = (hdr[1] + 3ull) & ~3ull;
        if (name > end - at - 12 || desc > end - at - 12 - name)
            return false;
        char n[6];
        if (hdr[0] == sizeof n && hdr[2] == ELF_NOTE_AERIE_TYPE) {
            read_at(f, at + 12, n, sizeof n);
            if (n[0] == 'A' && n[1] == 'e' && n[2] == 'r' && n[3] == 'i' && n[4] == 'e' && n[5] == 0)
                return true;
        }
        at += 12 + name + desc;
    }
    return false;
}

bool elf_is_aerie(const void *file, uint64_t len)
{
    const uint8_t *f = file;
    struct ehdr e;
    if (!file || len < sizeof e)
        return false;
    read_at(f, 0, &e, sizeof e);
    if (check_header(&e, len, true))
        return false;
    for (unsigned i = 0; i < e.phnum; i++) {
        struct phdr p;
        read_at(f, e.phoff + i * sizeof p, &p, sizeof p);
        if (p.type == PT_NOTE && note_is_aerie(f, len, &p))
            return true;
    }
    return false;
}

static const char *parse(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                         bool lx, struct elf_image *img)
{
    const uint8_t *f = file;
    struct ehdr e;
    if (!file || len < sizeof e)
        return "the file is shorter than an ELF header";
    read_at(f, 0, &e, sizeof e);
    const char *why = check_header(&e, len, lx);
    if (why)
        return why;
    *img = (struct elf_image){ .entry = e.entry, .phoff = e.phoff, .phnum = e.phnum, .type = e.type };
    /* a static-pie's addresses count from 0; the caller adds its base */
    uint64_t lo = e.type == ELF_ET_DYN ? 0 : user_min, hi = e.type == ELF_ET_DYN ? user_max - user_min : user_max;
    for (unsigned i = 0; i < e.phnum; i++) {
        struct phdr p;
        read_at(f, e.phoff + i * sizeof p, &p, sizeof p);
        if (p.type == PT_LOAD && p.memsz) {
            if ((why = check_load(&p, len, lo, hi)) || (why = add_segment(img, &p)))
                return why;
        } else if (p.type == PT_TLS) {
            if ((why = check_tls(img, &p, len)))
                return why;
        } else if (p.type == PT_INTERP) {
            if (img->interp)
                return "more than one program interpreter";
            if ((why = check_interp(f, len, &p)))
                return why;
            img->interp = true;
            img->interp_off = p.offset;
            img->interp_len = p.filesz;
        } else if (p.type == PT_GNU_RELRO && p.memsz && p.vaddr + p.memsz > p.vaddr) {
            img->relro_vaddr = p.vaddr;          /* a hint only: nothing is trusted from it */
            img->relro_memsz = p.memsz;
        } else if (p.type == PT_NOTE && note_is_aerie(f, len, &p)) {
            img->aerie = true;
        }
    }
    if (img->nseg == 0)
        return "no loadable segment";
    if (!entry_executable(img))
        return "the entry point is not in an executable segment";
    return 0;
}

const char *elf_parse(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                      struct elf_image *img)
{
    return parse(file, len, user_min, user_max, false, img);
}

const char *elf_parse_linux(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                            struct elf_image *img)
{
    return parse(file, len, user_min, user_max, true, img);
}
