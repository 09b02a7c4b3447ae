/*
 * fuzz_image.c — libFuzzer target for the archive validator: any bytes
 * either are refused with a named error or validate, and then every
 * lookup and subtree walk over them stays inside the archive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan sees any read past the end. */
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct img img;
    struct img_error err;
    if (img_open(&img, buf, size, &err)) {
        if (err.code >= 0 || !err.field || !err.reason)
            abort();
        free(buf);
        return 0;
    }
    for (uint32_t i = 0; i < img.count; i++) {
        struct img_file f;
        img_get(&img, i, &f);
        if (img_lookup(&img, f.path, f.path_len) != i)
            abort();                     /* sorted and unique: found exactly here */
        volatile uint8_t sum = 0;
        if (f.size)
            sum = f.data[0] ^ f.data[f.size - 1];
        (void)sum;
        uint32_t first, end;
        img_subtree(&img, f.path, f.path_len, &first, &end);
        if (end < first || end > img.count || (first && first != i + 1))
            abort();
    }
    free(buf);
    return 0;
}
