/*
 * image_ops.c — the container manager's operations on imported images
 * (CM_IMAGE_*, images.c) and CM_FS_SESSION, which hands ctl a copy of a
 * container's fs session capability so `aerie cp` moves file bytes
 * through fs's shared buffers instead of message words. Each decodes its
 * words, then calls images.c, and fills the reply itself (words from 1,
 * or an error message as ops.c's do). All but CM_IMAGE_INFO are for the
 * holder of "cm.admin" (ops.c's table says so).
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include "cm.h"
#include "images.h"

static int reply_error(struct ae_request *rq, int status, const char *msg)
{
    size_t len = strlen(msg) < CM_TEXT_MAX ? strlen(msg) : CM_TEXT_MAX;
    rq->reply[0] = (uint64_t)(int64_t)status;
    rq->reply[1] = len;
    memcpy(&rq->reply[2], msg, len);
    rq->nreply = 2 + (unsigned)((len + 7) / 8);
    return status;
}

static int reply_ok(struct ae_request *rq, unsigned nwords)
{
    rq->reply[0] = 0;
    rq->nreply = nwords;
    return 0;
}

/* Answers at once with capability slot (ours, made for this reply, deleted
 * once sent: the caller gets a copy derived from what slot was derived
 * from), so no other request can change the slot before it goes. */
static int reply_cap_now(struct ae_request *rq, uint64_t slot)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = 0;
    u->caps[0] = (uint32_t)slot;
    ae_reply(AERIE_INFO(0, 1, 1));
    ae_cap_delete(slot);
    ae_slot_free(slot);
    rq->no_reply = true;
    return 0;
}

/* The name at word w (length) and w+1.. (bytes). */
static bool name_arg(const struct ae_request *rq, unsigned w, const char **name, size_t *len)
{
    if (w >= rq->nwords || rq->w[w] == 0 || rq->w[w] > CM_NAME_MAX ||
        rq->w[w] > (uint64_t)(rq->nwords - w - 1) * 8)
        return false;
    *name = (const char *)&rq->w[w + 1];
    *len = rq->w[w];
    return true;
}

int cm_image_begin(struct ae_request *rq)
{
    const char *name;
    size_t len;
    char err[160] = "";
    uint64_t stage;
    if (!name_arg(rq, 1, &name, &len))
        return reply_error(rq, AE_EPROTO, "image name: 1 to 31 bytes");
    int r = images_begin(name, len, rq->w[0], &stage, err, sizeof err);
    return r ? reply_error(rq, r, err) : reply_cap_now(rq, stage);   /* revoked at commit or abort */
}

int cm_image_write(struct ae_request *rq)
{
    const char *name;
    size_t len;
    if (rq->nwords < 3 || !name_arg(rq, 2, &name, &len))
        return reply_error(rq, AE_EPROTO, "a malformed image write");
    int r = images_write(name, len, rq->w[0], rq->w[1]);
    return r ? reply_error(rq, r, r == AE_ERANGE ? "past the announced size or the staging memory"
                                                 : "no such load") : reply_ok(rq, 1);
}

int cm_image_commit(struct ae_request *rq)
{
    const char *name;
    size_t len;
    char err[200] = "";
    if (!name_arg(rq, 0, &name, &len))
        return reply_error(rq, AE_EPROTO, "image name: 1 to 31 bytes");
    int r = images_commit(name, len, err, sizeof err);
    return r ? reply_error(rq, r, err) : reply_ok(rq, 1);
}

int cm_image_abort(struct ae_request *rq)
{
    const char *name;
    size_t len;
    if (!name_arg(rq, 0, &name, &len))
        return reply_error(rq, AE_EPROTO, "image name: 1 to 31 bytes");
    int r = images_abort(name, len);
    return r ? reply_error(rq, r, "no such load") : reply_ok(rq, 1);
}

int cm_image_remove(struct ae_request *rq)
{
    const char *name;
    size_t len;
    char err[200] = "";
    if (!name_arg(rq, 0, &name, &len))
        return reply_error(rq, AE_EPROTO, "image name: 1 to 31 bytes");
    int r = images_remove(name, len, err, sizeof err);
    return r ? reply_error(rq, r, err) : reply_ok(rq, 1);
}

int cm_image_info(struct ae_request *rq)
{
    char name[SPEC_NAME_MAX], prog[IMGCFG_STR];
    uint64_t bytes, imported;
    if (rq->w[0] > UINT32_MAX ||
        images_info((unsigned)rq->w[0], name, sizeof name, &bytes, prog, sizeof prog, &imported))
        return reply_error(rq, AE_ENOENT, "no more images");
    size_t nl = strlen(name), pl = strlen(prog);
    rq->reply[1] = bytes;
    rq->reply[2] = imported;
    rq->reply[3] = nl;
    rq->reply[4] = pl;
    memcpy(&rq->reply[5], name, nl);
    memcpy((char *)&rq->reply[5] + nl, prog, pl);
    return reply_ok(rq, 5 + (unsigned)((nl + pl + 7) / 8));
}

int cm_fs_session(struct ae_request *rq)
{
    struct container *c = container_find(rq->w[0]);
    if (!c)
        return reply_error(rq, AE_ESRCH, "no such container");
    uint64_t slot = c->fs_cap ? ae_slot_alloc() : 0;
    int r = slot ? (int)ae_cap_copy(c->fs_cap, slot, AERIE_R_ALL, 0) : AE_EACCES;
    container_put(c);
    if (r) {
        if (slot)
            ae_slot_free(slot);
        return reply_error(rq, r == AE_EACCES ? r : AE_EDEAD, "the container was not granted fs: it has no files");
    }
    return reply_cap_now(rq, slot);
}
