/*
 * fuzz_image.c — libFuzzer target for the archive validator: any bytes
 * either are refused with a named error or validate, and then every
 * lookup and subtree walk over them stays inside the archive. A link's
 * target lies in the string table, 1..4095 bytes without NUL, and
 * resolving any path through the links (img_resolve, as the container
 * manager does for a program) ends in an entry or a clean error.
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
        if (f.type == AE_IMAGE_SYMLINK) {
            const uint8_t *st = img.base + img.strtab_offset;
            if (f.size == 0 || f.size > AE_IMAGE_LINK_MAX || f.data < st ||
                f.data + f.size > st + img.strtab_size || memchr(f.data, 0, f.size))
                abort();
        }
        /* every path resolved from the root, and each link's target from its directory */
        int64_t r = img_resolve(&img, "", 0, f.path, f.path_len, 40);
        if (r >= (int64_t)img.count || (r < 0 && r != AE_ENOENT && r != AE_ENOTDIR &&
                                        r != AE_ELOOP && r != AE_EISDIR))
            abort();
        if (f.type == AE_IMAGE_SYMLINK) {
            size_t dir = f.path_len;
            while (dir && f.path[dir - 1] != '/')
                dir--;
            r = img_resolve(&img, f.path, dir ? dir - 1 : 0, (const char *)f.data, f.size, 40);
            if (r >= (int64_t)img.count)
                abort();
        }
        uint32_t first, end;
        img_subtree(&img, f.path, f.path_len, &first, &end);
        if (end < first || end > img.count || (first && first != i + 1))
            abort();
    }
    free(buf);
    return 0;
}
