/*
 * files.c — the control protocol's file verbs, for `aerie cp`: a
 * container's files through the container manager (CM_FS_*). File bytes
 * travel as hexadecimal words, so any byte (NUL included) fits a line.
 *
 *   fstat ID PATH                  -> ok file|dir SIZE MODE
 *   fread ID PATH OFF LEN          -> ok N SIZE HEX
 *   fwrite ID PATH OFF FLAGS MODE HEX -> ok N        (FLAGS: "-", c, t or ct)
 *   mkdir ID PATH MODE             -> ok
 *   ls ID PATH COOKIE              -> row file|dir NAME..., ok NEXT END(0|1)
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/fs.h>
#include "ctl.h"

static bool num_arg(struct ctl *c, const struct ctl_request *rq, unsigned i, int base, uint64_t *out)
{
    const char *s = rq->args[i];
    uint64_t v = 0;
    bool ok = s[0] != 0;
    for (const char *p = s; *p && ok; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : -1;
        ok = d >= 0 && d < base && v <= (UINT64_MAX - (uint64_t)d) / (uint64_t)base;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (!ok) {
        char w[64];
        reply_err(c, rq->id, "'%s' is not a number", reply_word(s, w, sizeof w));
        return false;
    }
    *out = v;
    return true;
}

static void fs_err(struct ctl *c, const char *id, const char *path, int r)
{
    char w[300];
    reply_word(path, w, sizeof w);
    switch (r) {
    case AE_ESRCH:   reply_err(c, id, "no such container"); break;
    case AE_EACCES:  reply_err(c, id, "the container was not granted fs: it has no files"); break;
    case AE_ENOENT:  reply_err(c, id, "%s: no such file or directory", w); break;
    case AE_EEXIST:  reply_err(c, id, "%s: exists", w); break;
    case AE_ENOTDIR: reply_err(c, id, "%s: a path component is not a directory", w); break;
    case AE_EISDIR:  reply_err(c, id, "%s: is a directory", w); break;
    case AE_ENOSPC:  reply_err(c, id, "%s: the container's fs.bytes or fs.inodes limit is reached", w); break;
    case AE_ENAMETOOLONG: reply_err(c, id, "%s: the path is too long", w); break;
    default:         reply_err(c, id, "%s: the container manager said error %d", w, r); break;
    }
}

static const char *type_name(uint32_t t) { return t == FS_TYPE_DIR ? "dir" : "file"; }

void verb_fstat(struct ctl *c, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(c, rq, 0, &cid))
        return;
    uint32_t type, mode;
    uint64_t size;
    int r = ae_cm_fs_stat(c->cm, cid, rq->args[1], &type, &size, &mode);
    if (r)
        fs_err(c, rq->id, rq->args[1], r);
    else
        reply_ok(c, rq->id, "%s %lu %o", type_name(type), size, mode);
}

void verb_fread(struct ctl *c, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(c, rq, 0, &cid))
        return;
    uint64_t off, len, size = 0;
    if (!num_arg(c, rq, 2, 10, &off) || !num_arg(c, rq, 3, 10, &len))
        return;
    if (len > CTL_FILE_CHUNK)
        len = CTL_FILE_CHUNK;
    unsigned char data[CTL_FILE_CHUNK];
    int64_t n = ae_cm_fs_read(c->cm, cid, rq->args[1], off, data, len, &size);
    if (n < 0) {
        fs_err(c, rq->id, rq->args[1], (int)n);
        return;
    }
    char hex[2 * CTL_FILE_CHUNK + 2];
    for (int64_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", data[i]);
    hex[2 * n] = 0;
    reply_ok(c, rq->id, "%ld %lu %s", (long)n, size, n ? hex : "-");
}

static int hex_digit(char h)
{
    return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 :
           h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

void verb_fwrite(struct ctl *c, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(c, rq, 0, &cid))
        return;
    uint64_t off, mode;
    const char *f = rq->args[3], *hex = rq->args[5];
    if (!num_arg(c, rq, 2, 10, &off) || !num_arg(c, rq, 4, 8, &mode))
        return;
    unsigned flags = 0;
    for (const char *p = f; *p; p++)
        flags |= *p == 'c' ? CM_FS_W_CREATE : *p == 't' ? CM_FS_W_TRUNC : *p == '-' ? 0 : 0x80;
    size_t hl = strcmp(hex, "-") ? strlen(hex) : 0;
    if (flags & 0x80 || hl % 2 || hl / 2 > CTL_FILE_CHUNK || mode > 07777) {
        reply_err(c, rq->id, "usage: fwrite ID PATH OFF FLAGS(-|c|t|ct) MODE(octal) HEX (at most %d bytes)",
                  CTL_FILE_CHUNK);
        return;
    }
    unsigned char data[CTL_FILE_CHUNK];
    for (size_t i = 0; i < hl / 2; i++) {
        int a = hex_digit(hex[2 * i]), b = hex_digit(hex[2 * i + 1]);
        if (a < 0 || b < 0) {
            reply_err(c, rq->id, "the data is not hexadecimal");
            return;
        }
        data[i] = (unsigned char)(a << 4 | b);
    }
    size_t done = 0;
    do {                                   /* cm takes fewer bytes when the path is long */
        int64_t n = ae_cm_fs_write(c->cm, cid, rq->args[1], off + done, data + done, hl / 2 - done,
                                   done ? flags & CM_FS_W_CREATE : flags, (uint32_t)mode);
        if (n < 0) {
            fs_err(c, rq->id, rq->args[1], (int)n);
            return;
        }
        if (n == 0 && hl / 2)
            break;
        done += (size_t)n;
    } while (done < hl / 2);
    reply_ok(c, rq->id, "%zu", done);
}

void verb_mkdir(struct ctl *c, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(c, rq, 0, &cid))
        return;
    uint64_t mode;
    if (!num_arg(c, rq, 2, 8, &mode))
        return;
    int r = mode > 07777 ? AE_EINVAL : ae_cm_fs_mkdir(c->cm, cid, rq->args[1], (uint32_t)mode);
    if (r)
        fs_err(c, rq->id, rq->args[1], r);
    else
        reply_ok(c, rq->id, "%s", "");
}

void verb_ls(struct ctl *c, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(c, rq, 0, &cid))
        return;
    uint64_t cookie;
    if (!num_arg(c, rq, 2, 10, &cookie))
        return;
    int eof = 0;
    unsigned char recs[512];
    unsigned count;
    int n = ae_cm_fs_list(c->cm, cid, rq->args[1], &cookie, &eof, recs, sizeof recs, &count);
    if (n < 0) {
        fs_err(c, rq->id, rq->args[1], n);
        return;
    }
    for (int at = 0; at + 2 <= n; at += 2 + recs[at + 1]) {
        char name[256], w[1100], row[1200];
        memcpy(name, recs + at + 2, recs[at + 1]);
        name[recs[at + 1]] = 0;
        snprintf(row, sizeof row, "%s %s", type_name(recs[at]), reply_word(name, w, sizeof w));
        reply_line(c, rq->id, "row", row);
    }
    reply_ok(c, rq->id, "%lu %d", cookie, eof ? 1 : 0);
}
