/*
 * cm_files.c — client stubs for a container's files through the container
 * manager (CM_FS_*, aerie/proto/cm.h): what ctl uses for `aerie cp`.
 */
#include <libaerie/cm.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include <aerie/errors.h>

static size_t len_of(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void copy_bytes(void *dst, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((char *)dst)[i] = ((const char *)src)[i];
}

/* Puts id, extra words and the path (then data) from word 0; returns the
 * word count or 0 when they do not fit one message. */
static unsigned request(uint64_t id, const uint64_t *extra, unsigned nextra, const char *path,
                        const void *data, size_t len)
{
    struct aerie_utcb *u = ae_utcb();
    size_t plen = len_of(path);
    if (plen == 0 || plen + len > CM_FS_CHUNK)
        return 0;
    u->mr[0] = id;
    for (unsigned i = 0; i < nextra; i++)
        u->mr[1 + i] = extra[i];
    char *p = (char *)&u->mr[1 + nextra];
    copy_bytes(p, path, plen);
    copy_bytes(p + plen, data, len);
    return 1 + nextra + (unsigned)((plen + len + 7) / 8);
}

static int call(uint64_t cm, unsigned op, unsigned n)
{
    if (!n)
        return AE_ENAMETOOLONG;
    int64_t r = ae_call(cm, AERIE_INFO(op, n, 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return (int)r;
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    return label ? proto_status_of(label) : (int)(int64_t)ae_utcb()->mr[0];
}

int ae_cm_fs_stat(uint64_t cm, uint64_t id, const char *path, uint32_t *type, uint64_t *size,
                  uint32_t *mode)
{
    uint64_t plen = len_of(path);
    int r = call(cm, CM_FS_STAT, request(id, &plen, 1, path, 0, 0));
    if (r)
        return r;
    const uint64_t *w = ae_utcb()->mr;
    *type = (uint32_t)w[1];
    *size = w[2];
    *mode = (uint32_t)w[3];
    return 0;
}

int64_t ae_cm_fs_read(uint64_t cm, uint64_t id, const char *path, uint64_t off, void *buf,
                      size_t len, uint64_t *size)
{
    if (len > CM_FS_CHUNK)
        len = CM_FS_CHUNK;
    uint64_t x[3] = { off, len, len_of(path) };
    int r = call(cm, CM_FS_READ, request(id, x, 3, path, 0, 0));
    if (r)
        return r;
    const uint64_t *w = ae_utcb()->mr;
    uint64_t n = w[1] < len ? w[1] : len;
    copy_bytes(buf, &w[3], n);
    if (size)
        *size = w[2];
    return (int64_t)n;
}

int64_t ae_cm_fs_write(uint64_t cm, uint64_t id, const char *path, uint64_t off, const void *buf,
                       size_t len, unsigned flags, uint32_t mode)
{
    size_t plen = len_of(path);
    if (plen < CM_FS_CHUNK && len > CM_FS_CHUNK - plen)
        len = CM_FS_CHUNK - plen;
    uint64_t x[5] = { off, flags, mode, plen, len };
    int r = call(cm, CM_FS_WRITE, request(id, x, 5, path, buf, len));
    return r ? r : (int64_t)ae_utcb()->mr[1];
}

int ae_cm_fs_mkdir(uint64_t cm, uint64_t id, const char *path, uint32_t mode)
{
    uint64_t x[2] = { mode, len_of(path) };
    return call(cm, CM_FS_MKDIR, request(id, x, 2, path, 0, 0));
}

int ae_cm_fs_list(uint64_t cm, uint64_t id, const char *path, uint64_t *cookie, int *eof,
                  void *recs, size_t cap, unsigned *count)
{
    uint64_t x[2] = { *cookie, len_of(path) };
    int r = call(cm, CM_FS_LIST, request(id, x, 2, path, 0, 0));
    if (r)
        return r;
    const uint64_t *w = ae_utcb()->mr;
    const unsigned char *b = (const unsigned char *)&w[4];
    size_t used = 0;
    for (uint64_t i = 0; i < w[3]; i++) {
        if (used + 2 > (64 - 4) * 8)
            return AE_EPROTO;
        used += 2 + b[used + 1];
    }
    if (used > cap || used > (64 - 4) * 8)
        return AE_EPROTO;
    copy_bytes(recs, b, used);
    *cookie = w[1];
    *eof = w[2] != 0;
    *count = (unsigned)w[3];
    return (int)used;
}
