/*
 * server.c — the service main loop (see libaerie/server.h).
 */
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include <aerie/proto/proto.h>
#include <aerie/errors.h>

static int dispatch(const struct ae_server *s, struct ae_request *rq)
{
    if (rq->label < s->nops && s->ops[rq->label].fn) {
        if (rq->nwords < s->ops[rq->label].min_words)
            return AE_EPROTO;
        return s->ops[rq->label].fn(s->ctx, rq);
    }
    return s->other ? s->other(s->ctx, rq) : AE_ENOSYS;
}

/* Empties the receive window after a request and sets it again (a
 * handler's own calls may have changed it). */
static void window_reset(struct aerie_utcb *u, const uint32_t *window, const uint32_t *got, unsigned ngot)
{
    for (unsigned i = 0; i < ngot && i < AERIE_MSG_CAPS; i++)
        if (got[i])
            ae_cap_delete(got[i]);          /* AE_ECAP if the handler moved it away */
    for (unsigned i = 0; i < AERIE_MSG_CAPS; i++)
        u->recv_slots[i] = window[i];
}

int ae_serve(const struct ae_server *s)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t badge;
    uint32_t window[AERIE_MSG_CAPS] = { 0 };
    for (unsigned i = 0; i < s->recv_caps && i < AERIE_MSG_CAPS; i++)
        window[i] = (uint32_t)ae_slot_alloc();
    window_reset(u, window, 0, 0);
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
            .badge = badge, .label = AERIE_INFO_LABEL((uint64_t)r), .w = words,
            .nwords = nwords, .ncaps = (unsigned)AERIE_INFO_NCAPS((uint64_t)r),
            .caps = caps, .reply = reply,
        };
        int status = dispatch(s, &rq);
        window_reset(u, window, caps, rq.ncaps);
        if (rq.no_reply) {
            r = ae_recv(s->ep, AERIE_TIMEOUT_FOREVER, &badge);
            continue;
        }
        for (unsigned i = 0; i < rq.nreply && i < AERIE_MSG_WORDS; i++)
            u->mr[i] = reply[i];
        for (unsigned i = 0; i < rq.nreply_caps; i++)
            u->caps[i] = rq.reply_caps[i];
        uint64_t info = AERIE_INFO(proto_label_of(status), status ? 0 : rq.nreply, status ? 0 : rq.nreply_caps);
        r = ae_reply_recv(s->ep, info, AERIE_TIMEOUT_FOREVER, &badge);
    }
}
