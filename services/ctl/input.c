/*
 * input.c — a container's standard input from the host (`aerie run -i`):
 * "input CID SIZE" and its SIZE raw bytes go to cm (CM_INPUT) as fast as
 * the container's input ring takes them; what it has no room for stays
 * in the session's input ring, so no CREDIT goes back for it and the
 * engine stops reading that client: the CLI waits, and no other session
 * does. "input CID eof" ends the input. A container that ends, or was
 * not given input, makes the rest of the payload a discard answered with
 * the reason (docs/ENGINE.md, docs/CONSOLE.md "Input"). "input CID 0" is
 * the CLI's claim: the input ends when this session does, and cm marks
 * it fed, so a ctl that dies with the session still ends it
 * (CM_INPUT_ORPHANS, called by the next ctl at its start).
 */
#include <string.h>
#include <aerie/errors.h>
#include "ctl.h"

static bool parse_cid(const char *a, uint64_t *cid)
{
    uint64_t v = 0;
    if (!*a || strlen(a) > 19)
        return false;
    for (; *a; a++) {
        if (*a < '0' || *a > '9')
            return false;
        v = v * 10 + (uint64_t)(*a - '0');
    }
    *cid = v;
    return v != 0;
}

static const char *why(int r)
{
    return r == AE_ENOENT ? "it was not started with input (run -i)" :
           r == AE_ESRCH ? "no such container, or it has ended" :
           r == AE_EDEAD ? "its input was lost (the console restarted)" : "the container manager did not take it";
}

void input_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size)
{
    uint64_t cid;
    if (!parse_cid(rq->args[0], &cid)) {
        session_discard(s, rq->id, size, "input: '%.24s' is not a container id", rq->args[0]);
        return;
    }
    if (!size) {                             /* a claim (the CLI's first): cm hears it too, so */
        int64_t r = ae_cm_input(s->ctl->cm, cid, false, NULL, 0);   /* a restarted ctl ends it */
        if (r < 0) {
            reply_err(s, rq->id, "input: container %lu: %s", cid, why((int)r));
            return;
        }
    }
    s->input_cid = cid;
    session_payload(s, PAY_INPUT, rq->id, size);
}

size_t input_data(struct ctl_session *s, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < CM_INPUT_CHUNK ? n - done : CM_INPUT_CHUNK;
        int64_t r = ae_cm_input(s->ctl->cm, s->input_cid, false, p + done, k);
        if (r < 0) {                         /* the rest is dropped, and the reason answered */
            uint64_t left = s->pay_left;     /* consume() takes the n off it on return */
            char id[CTL_ID_MAX + 1];
            memcpy(id, s->pay_id, sizeof id);
            s->pay = PAY_NONE;
            session_discard(s, id, left, "input: container %lu: %s", s->input_cid, why((int)r));
            return n;
        }
        done += (size_t)r;
        if ((size_t)r < k) {
            s->input_blocked = true;         /* its ring is full: again next round */
            break;
        }
    }
    return done;
}

void input_end(struct ctl_session *s)
{
    reply_ok(s, s->pay_id, "%s", "");
}

void verb_input_eof(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (strcmp(rq->args[1], "eof")) {
        reply_err(s, rq->id, "usage: input ID SIZE, then SIZE bytes | input ID eof");
        return;
    }
    if (!parse_cid(rq->args[0], &cid)) {
        reply_err(s, rq->id, "input: '%.24s' is not a container id", rq->args[0]);
        return;
    }
    int64_t r = ae_cm_input(s->ctl->cm, cid, true, NULL, 0);
    if (r < 0)
        reply_err(s, rq->id, "input: container %lu: %s", cid, why((int)r));
    else
        reply_ok(s, rq->id, "%s", "");
}

bool input_waiting(const struct ctl *c)
{
    for (unsigned i = 0; i < FRAME_CHANNELS; i++)
        if (c->sessions[i].open && c->sessions[i].input_blocked)
            return true;
    return false;
}

void input_drop(struct ctl_session *s)
{
    if (s->input_cid)
        ae_cm_input(s->ctl->cm, s->input_cid, true, NULL, 0);   /* it may have ended: nothing to say */
    s->input_cid = 0;
}
