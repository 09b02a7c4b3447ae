/*
 * fuzz_imgconfig.c — libFuzzer target for the config of an imported image
 * as cm reads it (services/cm/imgconfig.c): any text is parsed or refused
 * with a message; what parses names a program and keeps every limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imgconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct imgcfg c;
    char err[200] = "";
    if (imgcfg_parse((const char *)data, size, &c, err, sizeof err)) {
        if (!err[0])
            abort();
        return 0;
    }
    if (!imgcfg_program(&c)[0] || c.nentry > IMGCFG_WORDS || c.ncmd > IMGCFG_WORDS || c.nenv > IMGCFG_WORDS)
        abort();
    for (unsigned i = 0; i < c.nenv; i++)
        if (!strchr(c.env[i], '=') || strlen(c.env[i]) >= IMGCFG_STR)
            abort();
    if (c.workdir[0] && c.workdir[0] != '/')
        abort();
    return 0;
}
