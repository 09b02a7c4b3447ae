/*
 * specup.c — a container spec too long for a request line: "runspec SIZE"
 * or "createspec SIZE", then SIZE raw bytes of spec text (at most
 * CM_SPEC_MAX). The bytes gather in a buffer of exactly SIZE the session
 * owns until the payload ends (so one session holds at most one spec and
 * its bound); then the spec goes to cm as `run`/`create` would send it
 * (ae_cm_create: through a Memory object past one message).
 */
#include <stdlib.h>
#include <string.h>
#include "ctl.h"

void spec_begin(struct ctl_session *s, const struct ctl_request *rq, uint64_t size, bool run)
{
    if (size > CM_SPEC_MAX) {
        session_discard(s, rq->id, size, "spec: %lu bytes, longer than the %d a spec may have", size, CM_SPEC_MAX);
        return;
    }
    spec_drop(s);
    s->spec = malloc(size + 1);
    if (!s->spec) {
        session_discard(s, rq->id, size, "spec: no memory for its %lu bytes", size);
        return;
    }
    s->spec_len = 0;
    s->spec_run = run;
    session_payload(s, PAY_SPEC, rq->id, size);
}

void spec_data(struct ctl_session *s, const uint8_t *p, size_t n)
{
    memcpy(s->spec + s->spec_len, p, n);    /* the payload's size bounds it (spec_begin) */
    s->spec_len += n;
}

void spec_end(struct ctl_session *s)
{
    s->spec[s->spec_len] = 0;
    if (strlen(s->spec) != s->spec_len)
        reply_err(s, s->pay_id, "spec: contains a NUL byte");
    else
        ctl_create(s, s->pay_id, s->spec, s->spec_run);
    spec_drop(s);
}

void spec_drop(struct ctl_session *s)
{
    free(s->spec);
    s->spec = NULL;
    s->spec_len = 0;
}
