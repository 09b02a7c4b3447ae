/*
 * input.c — a container's standard input (grant=stdin, `aerie run -i`):
 * the console keeps a small ring on the container's stream (CON_IN_*,
 * docs/CONSOLE.md "Input"); cm attaches it at creation with a
 * notification made from the container's run quota (granted to it as
 * "stdin", to wait on), passes on what ctl brings (CM_INPUT) while the
 * container runs, and drops the ring when it ends, so input pending
 * then is discarded and a later CM_INPUT is refused.
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/console.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "cm.h"

/* Attaches input to c's console stream; *ntfn receives the notification
 * to grant the container (the console holds its own copy). */
int cm_attach_input(struct container *c, uint64_t *ntfn)
{
    if (!c->console_badge || !cm.console_admin)
        return AE_ECAP;
    *ntfn = ae_slot_alloc();
    int r = (int)ae_quota_create(c->run, AERIE_OBJ_NOTIFICATION, *ntfn, 0, 0, 0);
    if (r) {
        ae_slot_free(*ntfn);
        *ntfn = 0;
        return r;
    }
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = c->console_badge;
    u->caps[0] = (uint32_t)*ntfn;            /* a copy: ours stays for the grant */
    int64_t rr = ae_call(cm.console_admin, AERIE_INFO(CON_IN_ATTACH, 1, 1), AERIE_TIMEOUT_FOREVER);
    if (rr < 0 || AERIE_INFO_LABEL((uint64_t)rr)) {
        cm_free_slot(ntfn);
        return rr < 0 ? (int)rr : proto_status_of(AERIE_INFO_LABEL((uint64_t)rr));
    }
    c->has_input = true;
    return 0;
}

/* Pushes n bytes (and the end, with eof) to the console: the bytes taken,
 * or a negative AE_* error. */
static int64_t push(uint64_t badge, unsigned flags, const void *p, uint64_t n)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = badge;
    u->mr[1] = flags;
    u->mr[2] = n;
    if (n % 8)
        u->mr[3 + n / 8] = 0;
    memcpy(&u->mr[3], p, n);
    int64_t rr = ae_call(cm.console_admin, AERIE_INFO(CON_IN_PUSH, 3 + (unsigned)((n + 7) / 8), 0),
                         AERIE_TIMEOUT_FOREVER);
    if (rr < 0)
        return rr;
    if (AERIE_INFO_LABEL((uint64_t)rr))
        return proto_status_of(AERIE_INFO_LABEL((uint64_t)rr));
    return u->mr[0] <= n ? (int64_t)u->mr[0] : AE_EPROTO;
}

void cm_drop_input(struct container *c)
{
    if (c->has_input && cm.console_admin)
        push(c->console_badge, CON_IN_DROP, NULL, 0);
    c->has_input = false;
}

int64_t cm_input(struct container *c, bool eof, const void *p, uint64_t n)
{
    if (!c->has_input)
        return c->state == CM_RUNNING || c->state == CM_CREATED ? AE_ENOENT : AE_ESRCH;
    if (n > CON_IN_CHUNK)
        return AE_EINVAL;
    int64_t r = push(c->console_badge, eof ? CON_IN_EOF : 0, p, n);
    return r == AE_ENOENT ? AE_EDEAD : r;  /* the console restarted: the ring went with it */
}
