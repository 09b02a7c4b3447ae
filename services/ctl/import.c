/*
 * import.c — images into the container manager (docs/CM.md, "Imported
 * images"):
 *
 *   import NAME SIZE + SIZE raw bytes of image archive  -> ok
 *   rmi NAME                                             -> ok
 *
 * The engine sends every stored image this way after each boot, and each
 * new one as `aerie import` makes it. cm gives us a staging memory of
 * CM_IMAGE_STAGE bytes to fill; each full one is copied into the image
 * (CM_IMAGE_WRITE), and at the end cm checks the whole archive (COMMIT)
 * before any container can run it. One import at a time; a session that
 * goes away mid-import aborts it, so nothing half-imported stays.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "ctl.h"

static struct {
    bool active;
    struct ctl_session *s;
    char id[CTL_ID_MAX + 1];
    char name[CM_NAME_MAX + 1];
    uint64_t stage;                  /* our copy of the staging memory's capability */
    uint8_t *va;
    uint64_t off;                    /* bytes copied into the image */
    size_t fill;                     /* bytes in the staging memory */
    int err;
    char why[200];
} imp;

static void unmap_stage(void)
{
    if (imp.va)
        ae_mem_unmap_delete(imp.va, CM_IMAGE_STAGE, imp.stage);
    else if (imp.stage) {
        ae_cap_delete(imp.stage);
        ae_slot_free(imp.stage);
    }
    imp.va = NULL;
    imp.stage = 0;
}

static void finish(void)
{
    unmap_stage();
    memset(&imp, 0, sizeof imp);
}

void import_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size)
{
    const char *name = rq->args[0];
    char why[200] = "";
    if (imp.active) {
        session_discard(s, rq->id, size, "another import (of '%s') is under way: try again", imp.name);
        return;
    }
    if (strlen(name) > CM_NAME_MAX) {
        session_discard(s, rq->id, size, "image name: at most %d bytes", CM_NAME_MAX);
        return;
    }
    uint64_t stage;
    int r = ae_cm_image_begin(s->ctl->cm, name, size, &stage, why, sizeof why);
    if (r) {
        session_discard(s, rq->id, size, "%s", why[0] ? why : "the container manager refused the import");
        return;
    }
    imp.active = true;
    imp.s = s;
    imp.stage = stage;
    snprintf(imp.id, sizeof imp.id, "%s", rq->id);
    snprintf(imp.name, sizeof imp.name, "%s", name);
    uint64_t va = ae_vm_reserve(CM_IMAGE_STAGE);
    if (!va || ae_task_map(ae_self.task, stage, 0, va, CM_IMAGE_STAGE, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, CM_IMAGE_STAGE);
        imp.err = AE_ENOMEM;
        snprintf(imp.why, sizeof imp.why, "ctl could not map the staging memory");
    } else {
        imp.va = (uint8_t *)va;
    }
    session_payload(s, PAY_IMPORT, rq->id, size);
}

static void flush(void)
{
    if (imp.fill && !imp.err) {
        int r = ae_cm_image_write(imp.s->ctl->cm, imp.name, imp.off, imp.fill);
        if (r) {
            imp.err = r;
            snprintf(imp.why, sizeof imp.why, "the container manager refused a piece (error %d)", r);
        }
        imp.off += imp.fill;
    }
    imp.fill = 0;
}

void import_data(struct ctl_session *s, const uint8_t *p, size_t n)
{
    (void)s;
    while (n) {
        size_t k = CM_IMAGE_STAGE - imp.fill < n ? CM_IMAGE_STAGE - imp.fill : n;
        if (!imp.err)
            memcpy(imp.va + imp.fill, p, k);
        imp.fill += k;
        p += k;
        n -= k;
        if (imp.fill == CM_IMAGE_STAGE)
            flush();
    }
}

void import_end(struct ctl_session *s)
{
    char why[300] = "";
    flush();
    unmap_stage();                           /* cm revokes it at commit anyway */
    int r = imp.err;
    if (!r)
        r = ae_cm_image_commit(s->ctl->cm, imp.name, why, sizeof why);
    else
        ae_cm_image_abort(s->ctl->cm, imp.name);
    if (r)
        reply_err(s, imp.id, "import %s: %s", imp.name, imp.err ? imp.why : why[0] ? why : "refused");
    else
        reply_ok(s, imp.id, "%lu", imp.off);
    finish();
}

void import_drop(struct ctl_session *s)
{
    if (!imp.active || imp.s != s)
        return;
    unmap_stage();
    ae_cm_image_abort(s->ctl->cm, imp.name);  /* interrupted: nothing of it stays */
    finish();
}

void verb_rmi(struct ctl_session *s, const struct ctl_request *rq)
{
    char why[300] = "";
    if (imp.active && !strcmp(imp.name, rq->args[0])) {
        reply_err(s, rq->id, "image '%s' is being imported", imp.name);
        return;
    }
    int r = ae_cm_image_remove(s->ctl->cm, rq->args[0], why, sizeof why);
    if (r)
        reply_err(s, rq->id, "%s", why[0] ? why : "the container manager refused");
    else
        reply_ok(s, rq->id, "%s", "");
}
