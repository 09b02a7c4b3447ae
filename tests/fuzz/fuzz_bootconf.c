/*
 * fuzz_bootconf.c — libFuzzer target for the boot configuration parser:
 * any text, bounded output, every kept service well formed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bootconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bootconf bc;
    char err[512];
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    bootconf_parse(copy, size, &bc, err, sizeof err);
    if (bc.nservices > BC_MAX_SERVICES || strlen(err) >= sizeof err)
        abort();
    for (unsigned i = 0; i < bc.nservices; i++) {
        const struct bc_service *s = &bc.services[i];
        if (!s->name[0] || !s->program[0] || s->ngrants > BC_MAX_GRANTS || s->nargs > BC_MAX_ARGS)
            abort();
        if (s->mem_percent ? (s->mem < 1 || s->mem > 100) : s->mem < 65536)
            abort();
    }
    free(copy);
    return 0;
}
