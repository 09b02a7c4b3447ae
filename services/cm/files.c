/*
 * files.c — a container's files from outside (`aerie cp`): cm forwards
 * stat, read, write, mkdir and list on the container's fs session to the
 * fs service's admin operations. The session outlives the container's
 * end, so files can be copied out of a container that exited or crashed,
 * until it is removed.
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/fs.h>
#include <libaerie/fs.h>
#include <libaerie/server.h>
#include "cm.h"

/* The session of container w[0] and the path (length in word plen_word,
 * bytes from word from); extra bytes follow the path in the request. */
static int target(struct ae_request *rq, unsigned plen_word, unsigned from, uint64_t extra,
                  char *path, uint32_t *session)
{
    if (plen_word >= rq->nwords)
        return AE_EPROTO;
    uint64_t plen = rq->w[plen_word], avail = (uint64_t)(rq->nwords - from) * 8;
    if (rq->nwords < from || plen == 0 || plen > CM_FS_CHUNK || plen > avail || extra > avail - plen)
        return AE_EPROTO;
    memcpy(path, &rq->w[from], plen);
    path[plen] = 0;
    if (strlen(path) != plen)
        return AE_EINVAL;                  /* a NUL inside */
    struct container *c = container_find(rq->w[0]);
    if (!c)
        return AE_ESRCH;
    *session = (uint32_t)c->fs_session;
    container_put(c);
    return *session ? 0 : AE_EACCES;      /* not granted fs */
}

int cm_fs_stat(struct ae_request *rq)
{
    char path[CM_FS_CHUNK + 1];
    uint32_t id, type, mode;
    uint64_t size;
    int r = target(rq, 1, 2, 0, path, &id);
    if (!r)
        r = ae_fs_admin_stat(cm.fs_admin, id, path, &type, &size, &mode);
    if (r)
        return r;
    rq->reply[1] = type;
    rq->reply[2] = size;
    rq->reply[3] = mode;
    return 4;
}

int cm_fs_read(struct ae_request *rq)
{
    char path[CM_FS_CHUNK + 1];
    uint32_t id;
    uint64_t size = 0, len = rq->nwords > 2 ? rq->w[2] : 0;
    int r = target(rq, 3, 4, 0, path, &id);
    if (r)
        return r;
    if (len > CM_FS_CHUNK)
        return AE_EINVAL;
    int64_t n = ae_fs_admin_read(cm.fs_admin, id, path, rq->w[1], &rq->reply[3], len, &size);
    if (n < 0)
        return (int)n;
    rq->reply[1] = (uint64_t)n;
    rq->reply[2] = size;
    return 3 + (int)((n + 7) / 8);
}

int cm_fs_write(struct ae_request *rq)
{
    char path[CM_FS_CHUNK + 1];
    uint32_t id;
    if (rq->nwords < 6)
        return AE_EPROTO;
    uint64_t flags = rq->w[2], len = rq->w[5];
    if (flags & ~(uint64_t)(CM_FS_W_CREATE | CM_FS_W_TRUNC) || rq->w[4] + len > CM_FS_CHUNK)
        return AE_EINVAL;
    int r = target(rq, 4, 6, len, path, &id);
    if (r)
        return r;
    uint32_t f = (flags & CM_FS_W_CREATE ? FS_ADMIN_W_CREATE : 0) |
                 (flags & CM_FS_W_TRUNC ? FS_ADMIN_W_TRUNC : 0);
    const char *data = (const char *)&rq->w[6] + rq->w[4];
    int64_t n = ae_fs_admin_write(cm.fs_admin, id, path, rq->w[1], data, len, f, (uint32_t)rq->w[3]);
    if (n < 0)
        return (int)n;
    rq->reply[1] = (uint64_t)n;
    return 2;
}

int cm_fs_mkdir(struct ae_request *rq)
{
    char path[CM_FS_CHUNK + 1];
    uint32_t id;
    int r = target(rq, 2, 3, 0, path, &id);
    if (!r)
        r = ae_fs_admin_mkdir(cm.fs_admin, id, path, (uint32_t)rq->w[1]);
    return r ? r : 1;
}

int cm_fs_list(struct ae_request *rq)
{
    char path[CM_FS_CHUNK + 1];
    uint32_t id;
    int r = target(rq, 2, 3, 0, path, &id);
    if (r)
        return r;
    uint64_t cookie = rq->w[1];
    bool eof;
    unsigned count;
    int n = ae_fs_admin_list(cm.fs_admin, id, path, &cookie, &eof, &rq->reply[4],
                             (64 - 4) * 8, &count);
    if (n < 0)
        return n;
    rq->reply[1] = cookie;
    rq->reply[2] = eof;
    rq->reply[3] = count;
    return 4 + (n + 7) / 8;
}
