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
#include <aerie/proto/linux.h>
#include "ctl.h"

static bool parse_num(const char **a, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = *a;
    for (; *p >= '0' && *p <= '9' && p - *a < 19; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (p == *a || v == 0)
        return false;
    *a = p;
    *out = v;
    return true;
}

/* CID, or CID:N for exec N's input (`aerie exec -i`: exec.c). */
static bool parse_target(const char *a, uint64_t *cid, uint64_t *exec)
{
    *exec = 0;
    if (!parse_num(&a, cid))
        return false;
    if (*a == ':') {
        a++;
        if (!parse_num(&a, exec))
            return false;
    }
    return *a == 0;
}

/* Exec n's input: the piece at s->input_off, then how far its board says
 * it took (it takes only at the offset it expects, as far as its pipe
 * has room): the bytes taken, or an error. */
static int64_t exec_input(struct ctl_session *s, uint64_t cid, uint64_t n, bool eof, const uint8_t *p, size_t k)
{
    uint64_t state, value, in;
    int r = ae_cm_exec_input(s->ctl->cm, cid, n, s->input_off, eof, p, k);
    if (r == AE_ETIMEOUT)
        return 0;                             /* its personality was busy: again next round */
    if (!r)
        r = ae_cm_exec_status(s->ctl->cm, cid, n, &state, &value, &in);
    if (r)
        return r == AE_EBUSY ? AE_ESRCH : r;
    if (state != CM_EXEC_RUNNING)
        return state == CM_EXEC_PENDING ? 0 : AE_ESRCH;
    if (in == LX_EXEC_IN_EOF && s->input_off == 0 && (k || !eof))
        return AE_ENOENT;                     /* started without -i: its input ended before it began */
    in &= ~LX_EXEC_IN_EOF;
    if (in < s->input_off || in - s->input_off > k)
        return AE_EPROTO;
    uint64_t took = in - s->input_off;
    s->input_off = in;
    return (int64_t)took;
}

static const char *why(int r)
{
    return r == AE_ENOENT ? "it was not started with input (run -i, exec -i)" :
           r == AE_ESRCH ? "no such container, or it has ended" :
           r == AE_EDEAD ? "its input was lost (the console restarted)" : "the container manager did not take it";
}

void input_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size)
{
    uint64_t cid, exec;
    if (!parse_target(rq->args[0], &cid, &exec)) {
        session_discard(s, rq->id, size, "input: '%.24s' is not a container id (or CID:N, exec N's)", rq->args[0]);
        return;
    }
    if (cid != s->input_cid || exec != s->input_exec)
        s->input_off = 0;
    if (!size && !exec) {                    /* a claim (the CLI's first): cm hears it too, so */
        int64_t r = ae_cm_input(s->ctl->cm, cid, false, NULL, 0);   /* a restarted ctl ends it */
        if (r < 0) {
            reply_err(s, rq->id, "input: container %lu: %s", cid, why((int)r));
            return;
        }
    }
    s->input_cid = cid;
    s->input_exec = exec;
    session_payload(s, PAY_INPUT, rq->id, size);
}

size_t input_data(struct ctl_session *s, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t chunk = s->input_exec ? CM_EXEC_IN_CHUNK : CM_INPUT_CHUNK;
        size_t k = n - done < chunk ? n - done : chunk;
        int64_t r = s->input_exec ? exec_input(s, s->input_cid, s->input_exec, false, p + done, k) :
                    ae_cm_input(s->ctl->cm, s->input_cid, false, p + done, k);
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
    uint64_t cid, exec;
    if (strcmp(rq->args[1], "eof")) {
        reply_err(s, rq->id, "usage: input ID SIZE, then SIZE bytes | input ID eof");
        return;
    }
    if (!parse_target(rq->args[0], &cid, &exec)) {
        reply_err(s, rq->id, "input: '%.24s' is not a container id (or CID:N, exec N's)", rq->args[0]);
        return;
    }
    if (cid != s->input_cid || exec != s->input_exec)
        s->input_off = 0;
    int64_t r = exec ? exec_input(s, cid, exec, true, NULL, 0) : ae_cm_input(s->ctl->cm, cid, true, NULL, 0);
    if (exec)
        s->input_cid = s->input_exec = 0;      /* ended: nothing to end when the session closes */
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
    if (s->input_cid && s->input_exec)
        exec_input(s, s->input_cid, s->input_exec, true, NULL, 0);
    else if (s->input_cid)
        ae_cm_input(s->ctl->cm, s->input_cid, true, NULL, 0);   /* it may have ended: nothing to say */
    s->input_cid = s->input_exec = 0;
}
