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

#define PT_LOAD 1
#define PT_TLS  7
#define PAGE 4096ull
#define MAX_SEG_BYTES (1ull << 30)

/* Copies n bytes at off from the file; the caller checked bounds. */
static void read_at(const uint8_t *file, uint64_t off, void *dst, uint64_t n)
{
    uint8_t *d = dst;
    for (uint64_t i = 0; i < n; i++)
        d[i] = file[off + i];
}

static const char *check_header(const struct ehdr *e, uint64_t len)
{
    if (e->ident[0] != 0x7F || e->ident[1] != 'E' || e->ident[2] != 'L' || e->ident[3] != 'F')
        return "not an ELF file (bad magic)";
    if (e->ident[4] != 2)
        return "not a 64-bit ELF file";
    if (e->ident[5] != 1)
        return "not a little-endian ELF file";
    if (e->machine != 62)
        return "not an x86-64 program";
    if (e->type != 2)
        return "not a static executable (ET_EXEC)";
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

static bool entry_executable(const struct elf_image *img)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_seg *s = &img->seg[i];
        if ((s->flags & ELF_PF_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            return true;
    }
    return false;
}

const char *elf_parse(const void *file, uint64_t len, uint64_t user_min, uint64_t user_max,
                      struct elf_image *img)
{
    const uint8_t *f = file;
    struct ehdr e;
    if (!file || len < sizeof e)
        return "the file is shorter than an ELF header";
    read_at(f, 0, &e, sizeof e);
    const char *why = check_header(&e, len);
    if (why)
        return why;
    *img = (struct elf_image){ .entry = e.entry, .phoff = e.phoff, .phnum = e.phnum };
    for (unsigned i = 0; i < e.phnum; i++) {
        struct phdr p;
        read_at(f, e.phoff + i * sizeof p, &p, sizeof p);
        if (p.type == PT_LOAD && p.memsz) {
            if ((why = check_load(&p, len, user_min, user_max)) || (why = add_segment(img, &p)))
                return why;
        } else if (p.type == PT_TLS) {
            if ((why = check_tls(img, &p, len)))
                return why;
        }
    }
    if (img->nseg == 0)
        return "no loadable segment";
    if (!entry_executable(img))
        return "the entry point is not in an executable segment";
    return 0;
}
