/*
 * fuzz_spec.c — libFuzzer target for the container spec parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct spec s;
    char err[200];
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    spec_defaults(&s);
    if (spec_parse(copy, size, &s, err, sizeof err) == 0) {
        if (!s.image[0] || s.nargs > SPEC_MAX_ARGS || s.nenv > SPEC_MAX_ENV || s.nports > SPEC_MAX_PORTS)
            abort();
        if (s.mem < (128u << 10) || s.prio < 1 || s.prio > 15 || s.threads < 1)
            abort();
        for (unsigned i = 0; i < s.nargs; i++)     /* every string inside what it holds */
            if (s.arg_at[i] >= s.strs_len || strlen(spec_arg(&s, i)) >= SPEC_STR_MAX)
                abort();
        for (unsigned i = 0; i < s.nenv; i++)
            if (s.env_at[i] >= s.strs_len || strlen(spec_env(&s, i)) >= SPEC_STR_MAX)
                abort();
    } else if (!err[0] || strlen(err) >= sizeof err) {
        abort();
    }
    spec_free(&s);
    free(copy);
    return 0;
}
