/*
 * fuzz_strtol.c — libFuzzer target: libc's strtol family against glibc's.
 * The first byte picks the base (also invalid ones), the rest is the
 * subject string; value, *endptr and errno must agree for strtol,
 * strtoul, strtoll and strtoull.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aerie.h"

#define CHECK_ONE(fn, s, base) do { \
    char *ee = NULL, *ae = NULL; \
    errno = 0; aerie_errno = 0; \
    __typeof__(fn(s, &ee, base)) ev = fn(s, &ee, base); \
    int eerr = errno; \
    __typeof__(ev) av = aerie_##fn(s, &ae, base); \
    int aerr = aerie_errno; \
    int base_ok = base == 0 || (base >= 2 && base <= 36); \
    if (ev != av || eerr != aerr || (base_ok && ee - s != ae - s)) { \
        fprintf(stderr, #fn "(\"%s\", %d): glibc %lld end %td errno %d, libc %lld end %td errno %d\n", \
                s, base, (long long)ev, ee - s, eerr, (long long)av, ae - s, aerr); \
        abort(); \
    } \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int base = data[0] % 40 - 1;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    CHECK_ONE(strtol, s, base);
    CHECK_ONE(strtoul, s, base);
    CHECK_ONE(strtoll, s, base);
    CHECK_ONE(strtoull, s, base);
    free(s);
    return 0;
}
