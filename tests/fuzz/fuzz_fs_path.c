/*
 * fuzz_fs_path.c — libFuzzer target for the fs path parser, checked
 * against a deliberately plain second implementation (split on '/', keep
 * every component but "." and empty ones): both must agree on every
 * input, the output must be in normal form, and parsing the output again
 * must not change it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: the rules of docs/FS.md written out the slow way. */
static int reference(const char *in, size_t len, char *out, size_t *outlen, int *dir)
{
    static size_t start[FS_PATH_MAX + 1], clen[FS_PATH_MAX + 1];
    size_t depth = 0, i = 0;
    if (len > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    *dir = 0;
    while (i <= len) {
        size_t s = i;
        while (i < len && in[i] != '/') {
            if (in[i] == 0)
                return AE_EINVAL;
            i++;
        }
        size_t n = i - s;
        if (n > FS_NAME_MAX)
            return AE_ENAMETOOLONG;
        int last = i >= len;
        if (n == 1 && in[s] == '.') {
            *dir = 1;
        } else if (n == 2 && in[s] == '.' && in[s + 1] == '.') {
            start[depth] = s;                     /* the walk resolves it, not the parser */
            clen[depth++] = n;
            *dir = 1;
        } else if (n > 0) {
            start[depth] = s;
            clen[depth++] = n;
            *dir = !last;
        } else if (!last) {
            *dir = 1;
        }
        i++;
    }
    size_t o = 0;
    for (size_t k = 0; k < depth; k++) {
        if (k)
            out[o++] = '/';
        memcpy(out + o, in + start[k], clen[k]);
        o += clen[k];
    }
    *outlen = o;
    if (o == 0)
        *dir = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fs_path p, again;
    static char ref[FS_PATH_MAX + 1];
    char *in = malloc(size ? size : 1);          /* exact size: ASan sees overreads */
    memcpy(in, data, size);
    size_t rlen = 0;
    int rdir = 0;
    int want = reference(in, size, ref, &rlen, &rdir);
    int got = fs_path_parse(in, size, &p);
    if (got != want)
        abort();
    if (got == 0) {
        if (p.len != rlen || memcmp(p.name, ref, rlen) != 0 || p.must_dir != rdir ||
            p.name[p.len] != 0 || p.absolute != (size > 0 && in[0] == '/') || p.base != 0)
            abort();
        if (fs_path_parse(p.name, p.len, &again) || again.len != p.len ||
            memcmp(again.name, p.name, p.len) != 0)
            abort();                              /* normal form is a fixed point */
    }
    free(in);
    return 0;
}
