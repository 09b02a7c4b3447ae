/*
 * test_elf.c — the ELF parser (lib/elf) on good and malformed programs:
 * a real Aerie program parses; every truncation and each broken field is
 * refused with a message, never read past the buffer (ASan watches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elf.h"
#include "ktest_host.h"

#define LO 0x1000ull
#define HI 0x00007FFFFFFFF000ull

static unsigned char *prog;
static size_t prog_len;

static unsigned char *copy_prog(void)
{
    unsigned char *p = malloc(prog_len);
    memcpy(p, prog, prog_len);
    return p;
}

static void elf_real_program_parses(void)
{
    struct elf_image img;
    const char *why = elf_parse(prog, prog_len, LO, HI, &img);
    CHECK(why == NULL);
    CHECK(img.nseg >= 2);
    CHECK(img.entry >= 0x200000);
    bool exec = false;
    for (unsigned i = 0; i < img.nseg; i++)
        exec |= (img.seg[i].flags & ELF_PF_X) != 0;
    CHECK(exec);
}

/* Every cut before the end of the last segment's file data is refused
 * (what follows — symbols, debug information — is not needed). */
static void elf_every_truncation_refused(void)
{
    struct elf_image img;
    CHECK(elf_parse(prog, prog_len, LO, HI, &img) == NULL);
    uint64_t needed = 0;
    for (unsigned i = 0; i < img.nseg; i++)
        if (img.seg[i].filesz && img.seg[i].offset + img.seg[i].filesz > needed)
            needed = img.seg[i].offset + img.seg[i].filesz;
    CHECK(needed > 4096 && needed <= prog_len);
    for (size_t n = 0; n < needed; n += (n < 1024 ? 1 : 97)) {
        unsigned char *p = malloc(n ? n : 1);
        memcpy(p, prog, n);
        const char *why = elf_parse(p, n, LO, HI, &img);
        if (!why)
            printf("  a cut at %zu of %lu bytes was accepted\n", n, (unsigned long)needed);
        CHECK(why != NULL);
        free(p);
    }
}

static void expect_refused(const char *what, void (*breakit)(unsigned char *), const char *needle)
{
    unsigned char *p = copy_prog();
    breakit(p);
    struct elf_image img;
    const char *why = elf_parse(p, prog_len, LO, HI, &img);
    if (!why || !strstr(why, needle)) {
        printf("  %s: got '%s', expected a message with '%s'\n", what, why ? why : "(accepted)", needle);
        CHECK(why && strstr(why, needle));
    }
    free(p);
}

static void bad_magic(unsigned char *p) { p[1] = 'X'; }
static void bad_class(unsigned char *p) { p[4] = 1; }
static void bad_machine(unsigned char *p) { p[18] = 3; }
static void bad_type(unsigned char *p) { p[16] = 3; }
static void bad_phentsize(unsigned char *p) { p[54] = 40; }
static void huge_phoff(unsigned char *p) { memset(p + 32, 0xFF, 8); }
static void zero_phnum(unsigned char *p) { p[56] = 0; p[57] = 0; }

static unsigned char *first_load(unsigned char *p)
{
    uint64_t phoff;
    memcpy(&phoff, p + 32, 8);
    for (int i = 0; i < 16; i++) {
        unsigned char *ph = p + phoff + 56 * i;
        if (ph[0] == 1)
            return ph;
    }
    return p + phoff;
}

static void kernel_vaddr(unsigned char *p) { uint64_t v = 0xFFFF800000000000ull; memcpy(first_load(p) + 16, &v, 8); }
static void filesz_over_memsz(unsigned char *p) { uint64_t v = 1ull << 20; memcpy(first_load(p) + 32, &v, 8); }
static void data_past_end(unsigned char *p) { uint64_t v = 1ull << 40; memcpy(first_load(p) + 8, &v, 8); }
static void huge_memsz(unsigned char *p) { uint64_t v = 1ull << 31; memcpy(first_load(p) + 40, &v, 8); }
static void entry_outside(unsigned char *p) { uint64_t v = 0x900000; memcpy(p + 24, &v, 8); }
static void wrapping_segment(unsigned char *p)
{
    uint64_t v = HI - 0x1000;
    memcpy(first_load(p) + 16, &v, 8);
    v = 0x10000;
    memcpy(first_load(p) + 40, &v, 8);
}

static void elf_broken_fields_refused(void)
{
    expect_refused("bad magic", bad_magic, "magic");
    expect_refused("32-bit class", bad_class, "64-bit");
    expect_refused("wrong machine", bad_machine, "x86-64");
    expect_refused("not EXEC", bad_type, "static executable");
    expect_refused("phentsize", bad_phentsize, "program header size");
    expect_refused("phoff far away", huge_phoff, "outside the file");
    expect_refused("no program headers", zero_phnum, "number of program headers");
    expect_refused("kernel address", kernel_vaddr, "outside the user address space");
    expect_refused("filesz > memsz", filesz_over_memsz, "exceeds");
    expect_refused("data past the end", data_past_end, "outside the file");
    expect_refused("2 GiB segment", huge_memsz, "larger than 1 GiB");
    expect_refused("entry outside", entry_outside, "entry point");
    expect_refused("segment wraps the top", wrapping_segment, "outside the user address space");
}

/* The last program header turned into a PT_INTERP of len bytes at off,
 * holding path (written at off when it fits the file). */
static unsigned char *with_interp(const char *path, uint64_t off, uint64_t len)
{
    unsigned char *p = copy_prog();
    uint64_t phoff = 0, phnum = 0;
    memcpy(&phoff, p + 32, 8);
    memcpy(&phnum, p + 56, 2);
    unsigned char *ph = p + phoff + 56 * (phnum - 1);
    uint32_t type = 3;
    memcpy(ph, &type, 4);
    memcpy(ph + 8, &off, 8);
    memcpy(ph + 32, &len, 8);
    if (off < prog_len && strlen(path) + 1 <= prog_len - off)
        memcpy(p + off, path, strlen(path) + 1);
    return p;
}

static void interp_case(const char *what, const char *path, uint64_t off, uint64_t len, const char *needle)
{
    unsigned char *p = with_interp(path, off, len);
    struct elf_image img;
    const char *why = elf_parse_linux(p, prog_len, LO, HI, &img);
    if (!needle) {
        CHECK(why == NULL);
        CHECK(img.interp && img.interp_off == off && img.interp_len == len);
    } else if (!why || !strstr(why, needle)) {
        printf("  %s: got '%s', expected a message with '%s'\n", what, why ? why : "(accepted)", needle);
        CHECK(why && strstr(why, needle));
    }
    free(p);
}

/* A Linux program's PT_INTERP: accepted with its path's place, or
 * refused by name when the path is outside, empty, too long or not
 * one NUL-terminated string (what the personality then copies). */
static void elf_interp_path_checked(void)
{
    const char *ld = "/lib/ld-musl-x86_64.so.1";
    uint64_t at = prog_len - 400, n = strlen(ld) + 1;
    interp_case("good", ld, at, n, NULL);
    interp_case("no NUL at the end", ld, at, n - 1, "does not end in a NUL");
    interp_case("a NUL inside", ld, at, n + 1, "holds a NUL");
    interp_case("empty", "", at, 1, "empty or too long");
    interp_case("too long", ld, at, ELF_INTERP_MAX + 1, "empty or too long");
    interp_case("outside the file", ld, prog_len - 4, n, "outside the file");
    interp_case("offset far away", ld, 1ull << 62, n, "outside the file");
}

int main(int argc, char **argv)
{
    FILE *f = fopen(argc > 1 ? argv[1] : "build/hello.elf", "rb");
    if (!f) {
        printf("TEST FAIL elf_setup: cannot open the sample program\nTESTS DONE 1\n");
        return 1;
    }
    prog = malloc(1 << 22);
    prog_len = fread(prog, 1, 1 << 22, f);
    fclose(f);
    RUN(elf_real_program_parses);
    RUN(elf_every_truncation_refused);
    RUN(elf_broken_fields_refused);
    RUN(elf_interp_path_checked);
    free(prog);
    return TESTS_DONE();
}
