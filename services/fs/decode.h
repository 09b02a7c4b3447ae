/*
 * decode.h — from IPC message to file-system operation and back.
 * fs_decode checks a request (label, words, the session's shared buffer)
 * and copies what it validates into a typed struct fs_request; it alone
 * decides protocol errors. fs_perform runs the request on a session and
 * fills the reply; its errors are the operation's. The glue's loop:
 *
 *     receive(&label, words, &nwords)   -> session s (by badge), buffer b
 *     fs_serve(s, label, words, nwords, &b, req, &reply)
 *     reply(reply.status, reply.w, reply.nwords)
 *
 * struct fs_request is large (two paths and scratch): keep one per service
 * thread rather than on a small stack.
 */
#ifndef AERIE_FS_DECODE_H
#define AERIE_FS_DECODE_H

#include <stdint.h>
#include "fs.h"

/* The session's shared buffer as the service has it mapped. The client
 * can write it at any time; the service reads each byte it checks once. */
struct fs_shbuf {
    uint8_t *base;
    uint64_t size;
};

struct fs_request {
    uint32_t op;                  /* FS_OP_* */
    uint32_t flags, mode, whence; /* flags: OPEN's FS_O_*, or FS_AT_* / FS_RENAME_* */
    uint32_t uid, gid;            /* CHOWN, FCHOWN */
    uint64_t handle;
    uint64_t off;                 /* file offset, seek offset, size, or cookie */
    uint64_t atime, mtime;        /* UTIMENS, FUTIMENS */
    uint64_t buf_off, buf_len;    /* a range inside the shared buffer */
    struct fs_path path, path2;
    uint32_t target_len;          /* SYMLINK: the target, in scratch */
    char scratch[FS_PATH_MAX];    /* a path's bytes, copied before parsing; then a target */
};

struct fs_reply {
    int64_t status;               /* the reply label: 0 or a negative AE_* */
    uint32_t nwords;
    uint64_t w[FS_REPLY_WORDS_MAX];
};

/* Returns 0, or: AE_ENOSYS (unknown opcode), AE_EPROTO (too few words),
 * AE_EFAULT (a range outside the shared buffer), AE_ENAMETOOLONG or
 * AE_EINVAL (a path, flag, mode or whence out of range). */
int fs_decode(uint64_t label, const uint64_t *words, uint32_t nwords, const struct fs_shbuf *buf,
              struct fs_request *req);

void fs_perform(struct fs_session *s, const struct fs_request *req, const struct fs_shbuf *buf,
                struct fs_reply *rep);

/* Decode, then perform if the request is well formed. */
void fs_serve(struct fs_session *s, uint64_t label, const uint64_t *words, uint32_t nwords,
              const struct fs_shbuf *buf, struct fs_request *req, struct fs_reply *rep);

#endif
