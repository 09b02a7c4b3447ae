/*
 * files.c — the control protocol's file verbs besides the bulk ones
 * (xfer.c), for `aerie cp`: a container's files through the container
 * manager (CM_FS_*).
 *
 *   fstat ID PATH                  -> ok file|dir SIZE MODE
 *   mkdir ID PATH MODE             -> ok
 *   ls ID PATH COOKIE              -> row file|dir|link NAME..., ok NEXT END(0|1)
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/fs.h>
#include "ctl.h"

void fs_err(struct ctl_session *s, const char *id, uint64_t cid, const char *path, int r)
{
    char w[300];
    reply_word(path, w, sizeof w);
    switch (r) {
    case AE_ESRCH:   reply_err(s, id, "no such container %lu", cid); break;
    case AE_EACCES:  reply_err(s, id, "the container was not granted fs: it has no files"); break;
    case AE_ENOENT:  reply_err(s, id, "%s: no such file or directory", w); break;
    case AE_EEXIST:  reply_err(s, id, "%s: exists", w); break;
    case AE_ENOTDIR: reply_err(s, id, "%s: a path component is not a directory", w); break;
    case AE_EISDIR:  reply_err(s, id, "%s: is a directory", w); break;
    case AE_ENOSPC:  reply_err(s, id, "%s: the container's fs.bytes or fs.inodes limit is reached", w); break;
    case AE_ENAMETOOLONG: reply_err(s, id, "%s: the path is too long", w); break;
    default:         reply_err(s, id, "%s: the container manager said error %d", w, r); break;
    }
}

/* fstat follows links (it names what a get would read); ls names them.
 * A FIFO is "fifo": `aerie cp` skips it rather than make a host file a
 * get then fails to fill (attack22). */
static const char *type_name(uint32_t t)
{
    return t == FS_TYPE_DIR ? "dir" : t == FS_TYPE_SYMLINK ? "link" : t == FS_TYPE_FIFO ? "fifo" : "file";
}

void verb_fstat(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    uint32_t type, mode;
    uint64_t size;
    int r = ae_cm_fs_stat(s->ctl->cm, cid, rq->args[1], &type, &size, &mode);
    if (r)
        fs_err(s, rq->id, cid, rq->args[1], r);
    else
        reply_ok(s, rq->id, "%s %lu %o", type_name(type), size, mode);
}

void verb_mkdir(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    uint64_t mode;
    if (!num_arg(s, rq, 2, 8, &mode))
        return;
    int r = mode > 07777 ? AE_EINVAL : ae_cm_fs_mkdir(s->ctl->cm, cid, rq->args[1], (uint32_t)mode);
    if (r)
        fs_err(s, rq->id, cid, rq->args[1], r);
    else
        reply_ok(s, rq->id, "%s", "");
}

void verb_ls(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    uint64_t cookie;
    if (!num_arg(s, rq, 2, 10, &cookie))
        return;
    int eof = 0;
    unsigned char recs[512];
    unsigned count;
    int n = ae_cm_fs_list(s->ctl->cm, cid, rq->args[1], &cookie, &eof, recs, sizeof recs, &count);
    if (n < 0) {
        fs_err(s, rq->id, cid, rq->args[1], n);
        return;
    }
    for (int at = 0; at + 2 <= n; at += 2 + recs[at + 1]) {
        char name[256], w[1100], row[1200];
        memcpy(name, recs + at + 2, recs[at + 1]);
        name[recs[at + 1]] = 0;
        snprintf(row, sizeof row, "%s %s", type_name(recs[at]), reply_word(name, w, sizeof w));
        reply_line(s, rq->id, "row", row);
    }
    reply_ok(s, rq->id, "%lu %d", cookie, eof ? 1 : 0);
}
