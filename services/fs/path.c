/*
 * path.c — normalizing client paths (see path.h). One left-to-right pass;
 * the output never grows past the input, so FS_PATH_MAX bounds both.
 */
#include <aerie/errors.h>
#include "path.h"
#include "mem.h"

bool fs_path_is_dot(const char *c, size_t len)
{
    return len == 1 && c[0] == '.';
}

bool fs_path_is_dotdot(const char *c, size_t len)
{
    return len == 2 && c[0] == '.' && c[1] == '.';
}

int fs_path_parse(const char *in, size_t len, struct fs_path *out)
{
    if (len > FS_PATH_MAX)
        return AE_ENAMETOOLONG;
    size_t o = 0, i = 0;
    bool dir = false;
    while (i < len) {
        size_t start = i;
        while (i < len && in[i] != '/') {
            if (in[i] == 0)
                return AE_EINVAL;
            i++;
        }
        size_t clen = i - start;
        dir = i < len;                            /* a '/' follows */
        if (i < len)
            i++;
        if (clen > FS_NAME_MAX)
            return AE_ENAMETOOLONG;
        if (clen == 0)
            continue;
        if (fs_path_is_dot(in + start, clen)) {
            dir = true;
            continue;
        }
        dir |= fs_path_is_dotdot(in + start, clen);
        if (o > 0)
            out->name[o++] = '/';
        memcpy(out->name + o, in + start, clen);
        o += clen;
    }
    out->name[o] = 0;
    out->len = (uint16_t)o;
    out->must_dir = dir && o > 0;
    out->absolute = len > 0 && in[0] == '/';
    out->base = 0;
    return 0;
}

bool fs_path_next(const char *p, size_t len, size_t *pos, const char **comp, size_t *clen)
{
    size_t i = *pos;
    while (i < len && p[i] == '/')
        i++;
    if (i >= len)
        return false;
    size_t start = i;
    while (i < len && p[i] != '/')
        i++;
    *comp = p + start;
    *clen = i - start;
    *pos = i;
    return true;
}

bool fs_path_within(const char *a, size_t alen, const char *b, size_t blen)
{
    if (blen == 0)
        return true;
    return alen >= blen && memcmp(a, b, blen) == 0 && (alen == blen || a[blen] == '/');
}
