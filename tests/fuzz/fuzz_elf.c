/*
 * fuzz_elf.c — libFuzzer target for the ELF parser: any bytes, never a
 * read outside them, and what it accepts must be self-consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);     /* exact size: ASan sees overreads */
    memcpy(copy, data, size);
    struct elf_image img;
    if (!elf_parse(copy, size, 0x1000, 0x00007FFFFFFFF000ull, &img)) {
        if (img.nseg == 0 || img.nseg > ELF_MAX_SEGS)
            abort();
        for (unsigned i = 0; i < img.nseg; i++)
            if (img.seg[i].filesz > img.seg[i].memsz || img.seg[i].offset + img.seg[i].filesz > size)
                abort();
    }
    free(copy);
    return 0;
}
