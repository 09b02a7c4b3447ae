/*
 * server.c — the service main loop (see libaerie/server.h).
 */
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include <aerie/proto/proto.h>
#include <aerie/errors.h>

unsigned ae_caller_class(uint64_t badge, uint64_t info)
{
    if (AERIE_INFO_FLAGS(info) & AERIE_INFO_KERNEL)
        return badge & PROTO_FAULT_BADGE ? AE_CALLER_FAULT : 0;
    if (badge & PROTO_FAULT_BADGE)
        return 0;                         /* a thread sending through its fault capability */
    if (badge == 0 || (badge & PROTO_ADMIN_BADGE))
        return AE_CALLER_ADMIN;
    return AE_CALLER_CLIENT;
}

/* Refuses, before any handler runs, a caller the operation does not name:
 * unknown opcodes get ENOSYS, known ones called by the wrong class EPERM,
 * and anything from a fault capability that the kernel did not build
 * gets EPERM whatever its label. */
static int dispatch(const struct ae_server *s, struct ae_request *rq)
{
    if (rq->caller == AE_CALLER_FAULT)
        return s->fault ? s->fault(s->ctx, rq) : AE_EPERM;
    if (!rq->caller)
        return AE_EPERM;
    if (rq->label >= s->nops || !s->ops[rq->label].fn)
        return AE_ENOSYS;
    const struct ae_op *op = &s->ops[rq->label];
    if (!(op->callers & rq->caller & AE_CALLER_ANY))
        return AE_EPERM;
    if (rq->nwords < op->min_words)
        return AE_EPROTO;
    return op->fn(s->ctx, rq);
}

/* Fills the receive window with empty slots: window[i] for i < want
 * (allocating where 0), nothing beyond. Returns how many it has. */
static unsigned fill_window(struct aerie_utcb *u, uint32_t *window, unsigned want)
{
    unsigned n = 0;
    for (unsigned i = 0; i < AERIE_MSG_CAPS; i++) {
        if (i < want && !window[i])
            window[i] = (uint32_t)ae_slot_alloc();
        u->recv_slots[i] = i < want ? window[i] : 0;
        n += u->recv_slots[i] != 0;
    }
    return n;
}

/* After a handler: capabilities it kept leave the window (a new slot takes
 * their place next time); the others are deleted, so the slot is empty. */
static void settle_caps(const struct ae_request *rq, uint32_t *window)
{
    for (unsigned i = 0; i < rq->ncaps && i < AERIE_MSG_CAPS; i++) {
        if (rq->caps_kept & (1u << i)) {
            for (unsigned j = 0; j < AERIE_MSG_CAPS; j++)
                if (window[j] == rq->caps[i])
                    window[j] = 0;
        } else {
            ae_cap_delete(rq->caps[i]);
        }
    }
}

int ae_serve(const struct ae_server *s)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    uint32_t window[AERIE_MSG_CAPS] = { 0 };
    unsigned want = s->recv_caps < AERIE_MSG_CAPS ? s->recv_caps : AERIE_MSG_CAPS;
    fill_window(u, window, want);
    int64_t r = ae_recv(s->ep, AERIE_TIMEOUT_FOREVER, &badge);
    for (;;) {
        if (r < 0) {
            if (r == AE_EDEAD || r == AE_ECAP)
                return (int)r;
            r = ae_recv(s->ep, AERIE_TIMEOUT_FOREVER, &badge);
            continue;
        }
        /* Handlers may make calls of their own (malloc does), which use
         * the UTCB: the message and the reply live in local copies. */
        uint64_t words[AERIE_MSG_WORDS], reply[AERIE_MSG_WORDS];
        uint32_t caps[AERIE_MSG_CAPS];
        unsigned nwords = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
        for (unsigned i = 0; i < nwords; i++)
            words[i] = u->mr[i];
        for (unsigned i = 0; i < AERIE_MSG_CAPS; i++)
            caps[i] = u->caps[i];
        struct ae_request rq = {
            .badge = badge, .caller = ae_caller_class(badge, (uint64_t)r),
            .label = AERIE_INFO_LABEL((uint64_t)r), .w = words,
            .nwords = nwords, .ncaps = (unsigned)AERIE_INFO_NCAPS((uint64_t)r),
            .caps = caps, .reply = reply,
        };
        if (rq.ncaps > AERIE_MSG_CAPS)
            rq.ncaps = 0;
        int status = dispatch(s, &rq);
        if (want) {
            settle_caps(&rq, window);
            fill_window(u, window, want);
        }
        if (rq.no_reply) {
            r = ae_recv(s->ep, AERIE_TIMEOUT_FOREVER, &badge);
            continue;
        }
        if (rq.nreply > AERIE_MSG_WORDS || rq.nreply_caps > AERIE_MSG_CAPS) {
            /* A handler's bug: the kernel would refuse the reply and leave
             * the caller waiting forever. It gets an error instead. */
            status = AE_EPROTO;
            rq.nreply = rq.nreply_caps = 0;
        }
        for (unsigned i = 0; i < rq.nreply; i++)
            u->mr[i] = reply[i];
        for (unsigned i = 0; i < rq.nreply_caps; i++)
            u->caps[i] = rq.reply_caps[i];
        /* Words go back on errors too: a message explaining them, say. */
        uint64_t info = AERIE_INFO(proto_label_of(status), rq.nreply, status ? 0 : rq.nreply_caps);
        r = ae_reply_recv(s->ep, info, AERIE_TIMEOUT_FOREVER, &badge);
    }
}
