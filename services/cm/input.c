/*
 * input.c — a container's standard input (grant=stdin, `aerie run -i`):
 * the console keeps a small ring on the container's stream (CON_IN_*,
 * docs/CONSOLE.md "Input"); cm attaches it at creation with a
 * notification (granted to it as "stdin", to wait on) and the ring's
 * CON_IN_BYTES of Memory, both made from the container's run quota, so
 * the container pays for its input and no table in the console fills
 * up; cm passes on what ctl brings (CM_INPUT) while the
 * container runs, and drops the ring when it ends, so input pending
 * then is discarded and a later CM_INPUT is refused. A ctl restart ends
 * the input of every container a client was feeding (CM_INPUT_ORPHANS):
 * its clients went with the old ctl. A console restart
 * loses the rings: cm gives the stream an ended one instead, signalled
 * by the console, so a reader waiting then is woken to read the end
 * (without it, nobody would signal its notification again).
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/console.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "cm.h"

/* CON_IN_ATTACH of c's stream with copies of the notification and the
 * ring's Memory (ours stay). */
static int attach(const struct container *c, uint64_t ntfn, uint64_t mem)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = c->console_badge;
    u->caps[0] = (uint32_t)ntfn;
    u->caps[1] = (uint32_t)mem;
    int64_t rr = ae_call(cm.console_admin, AERIE_INFO(CON_IN_ATTACH, 1, 2), AERIE_TIMEOUT_FOREVER);
    if (rr < 0)
        return (int)rr;
    return AERIE_INFO_LABEL((uint64_t)rr) ? proto_status_of(AERIE_INFO_LABEL((uint64_t)rr)) : 0;
}

/* Attaches input to c's console stream; *ntfn receives the notification
 * to grant the container (the console holds its own copy). The ring's
 * Memory is allocated now (not lazily): the container's limit has room
 * for its input from the start, or it is not created. */
int cm_attach_input(struct container *c, uint64_t *ntfn)
{
    if (!c->console_badge || !cm.console_admin)
        return AE_ECAP;
    *ntfn = ae_slot_alloc();
    uint64_t mem = ae_slot_alloc();
    int r = (int)ae_quota_create(c->run, AERIE_OBJ_NOTIFICATION, *ntfn, 0, 0, 0);
    if (!r)
        r = (int)ae_quota_create(c->run, AERIE_OBJ_MEMORY, mem, CON_IN_BYTES, 0, 0);
    if (!r)
        r = attach(c, *ntfn, mem);
    if (r) {
        cm_free_slot(ntfn);
        cm_free_slot(&mem);
        return r;
    }
    c->input_mem = (uint32_t)mem;
    c->has_input = true;
    uint64_t mine = ae_slot_alloc();          /* ours, for a restarted console (reattach) */
    if (ae_cap_copy(*ntfn, mine, AERIE_R_WRITE, 0) < 0)
        cm_free_slot(&mine);
    c->input_ntfn = (uint32_t)mine;
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
    cm_free_input_ntfn(c);
}

void cm_free_input_ntfn(struct container *c)
{
    uint64_t slot = c->input_ntfn, mem = c->input_mem;
    cm_free_slot(&slot);
    cm_free_slot(&mem);
    c->input_ntfn = 0;
    c->input_mem = 0;
}

void cm_reattach_input(struct container *c)
{
    if (!c->has_input || !cm.console_admin)
        return;
    c->input_lost = true;                    /* more input is refused: AE_EDEAD */
    if (!c->input_ntfn || !c->input_mem)
        return;
    if (!attach(c, c->input_ntfn, c->input_mem))     /* copies: ours stay for the next restart */
        push(c->console_badge, CON_IN_EOF, NULL, 0);   /* the console signals: the reader sees the end */
}

int64_t cm_input(struct container *c, bool eof, const void *p, uint64_t n)
{
    if (!c->has_input)
        return c->state == CM_RUNNING || c->state == CM_CREATED ? AE_ENOENT : AE_ESRCH;
    if (n > CON_IN_CHUNK)
        return AE_EINVAL;
    if (c->input_lost)
        return AE_EDEAD;                     /* the console restarted: its ring has ended (reattach) */
    int64_t r = push(c->console_badge, eof ? CON_IN_EOF : 0, p, n);
    if (r >= 0)
        c->input_fed = !eof || (uint64_t)r < n;  /* the end counts once every byte was taken */
    return r == AE_ENOENT ? AE_EDEAD : r;  /* the console restarted: the ring went with it */
}

unsigned cm_input_orphans(void)
{
    unsigned n = 0;
    int state;
    for (uint64_t id = container_next_id(1, &state); id; id = container_next_id(id + 1, &state)) {
        struct container *c = container_find(id);
        if (!c)
            continue;
        if (c->has_input && c->input_fed && !c->input_lost && cm.console_admin &&
            push(c->console_badge, CON_IN_EOF, NULL, 0) >= 0) {
            c->input_fed = false;
            n++;
        }
        container_put(c);
    }
    return n;
}
