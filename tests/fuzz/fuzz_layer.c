/*
 * fuzz_layer.c — libFuzzer target for the layer reader of `aerie import`
 * (tools/imgtree.c): any bytes are applied as two layers (plain, or as
 * whatever compression libarchive recognizes) and either refused with a
 * message or laid out as an image archive that lib/image accepts, in
 * which every path resolves (links followed inside files/, as cm and the
 * fs do) to an entry or a clean error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <aerie/errors.h>
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
        for (uint32_t i = 0; i < img.count && i < 256; i++) {
            struct img_file f;
            img_get(&img, i, &f);
            if (f.path_len > 6 && f.path[5] == '/') {
                int64_t at = img_resolve(&img, "files", 5, f.path + 6, f.path_len - 6u, 40);
                if (at >= (int64_t)img.count || (at < 0 && at != AE_ENOENT && at != AE_ENOTDIR &&
                                                 at != AE_ELOOP && at != AE_EISDIR))
                    abort();
            }
        }
        free(out);
    }
    imgtree_free(t);
    return 0;
}
