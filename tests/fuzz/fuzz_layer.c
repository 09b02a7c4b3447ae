/*
 * fuzz_layer.c — libFuzzer target for the layer reader of `aerie import`
 * (tools/imgtree.c): any bytes are applied as two layers (plain, or as
 * whatever compression libarchive recognizes) and either refused with a
 * message or laid out as an image archive that lib/image accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "image/img.h"
#include "imgtree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400] = "";
    struct imgtree *t = imgtree_new(16u << 20);
    size_t half = size / 2;
    int r = imgtree_apply_layer(t, data, size, 1, err, sizeof err);
    if (!r)
        r = imgtree_apply_layer(t, data + half, size - half, 2, err, sizeof err);
    if (r && !err[0])
        abort();
    uint8_t *out;
    uint64_t len;
    unsigned links;
    if (imgtree_archive(t, "cmd=/x\n", &out, &len, &links, err, sizeof err) == 0) {
        struct img img;
        if (img_open(&img, out, len, NULL))
            abort();
        free(out);
    }
    imgtree_free(t);
    return 0;
}
