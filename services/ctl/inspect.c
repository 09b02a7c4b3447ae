/*
 * inspect.c — the inspect verb (`aerie inspect`, docs/CM.md): everything
 * cm knows about one container, gathered from CM_INFO, CM_STATUS,
 * CM_STATS and CM_INSPECT, as one "row KEY VALUE" line per fact (VALUE
 * escaped as a word, so an argument or environment value holding spaces,
 * quotes or line breaks stays one field) and a final "ok". Times are ms
 * ago by cm's clock: the host turns them into its own dates.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include "ctl.h"

/* Every value arrives whole: one of cm's records is at most CM_INSPECT_KEEP
 * bytes, and each byte escapes to at most 4 (reply_line's line holds that),
 * so a long argument of bytes that are not ASCII is never cut — cut, it
 * would reach the client as a broken escape and be shown as nothing. */
static void row(struct ctl_session *s, const char *id, const char *key, const char *value)
{
    static char esc[4 * CM_INSPECT_KEEP + 8], line[4 * CM_INSPECT_KEEP + 48];
    reply_word(value, esc, sizeof esc);
    snprintf(line, sizeof line, "%s %s", key, esc);
    reply_line(s, id, "row", line);
}

static void row_num(struct ctl_session *s, const char *id, const char *key, uint64_t v)
{
    char n[24];
    snprintf(n, sizeof n, "%lu", v);
    row(s, id, key, n);
}

void verb_inspect(struct ctl_session *s, const struct ctl_request *rq)
{
    static char text[CM_INSPECT_KEEP + 512];
    uint64_t cid, cm = s->ctl->cm, times[4], total = 0;
    char info[2 * 32 + 2] = "", state[256], kind[32];
    struct ae_cm_status st;
    struct ae_cm_stats t;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    /* the text first: it may take several calls, and the figures after it are the newer */
    size_t len = 0;
    int r = 0;
    do {
        size_t got = 0;
        r = ae_cm_inspect(cm, cid, len, times, text + len, sizeof text - 1 - len, &total, &got);
        len += got;
        if (!r && !got)
            break;
    } while (!r && len < total && len < sizeof text - 1);
    if (!r)
        r = ae_cm_info(cm, cid, info, sizeof info);
    if (!r)
        r = ae_cm_status(cm, cid, &st);
    if (!r)
        r = ae_cm_stats(cm, cid, &t);
    if (r == AE_ESRCH) {
        reply_err(s, rq->id, "no such container %lu", cid);
        return;
    } else if (r) {
        reply_err(s, rq->id, "inspect container %lu: the container manager said error %d", cid, r);
        return;
    }
    char *name = strchr(info, ' ');
    if (name)
        *name++ = 0;
    row_num(s, rq->id, "id", cid);
    row(s, rq->id, "name", name && strcmp(name, "-") ? name : "");
    row(s, rq->id, "image", info);
    reply_state(&st, state, sizeof state);
    char *sp = strchr(state, ' ');
    if (sp)
        *sp = 0;
    row(s, rq->id, "state", state);
    if (st.state == CM_EXITED)
        row_num(s, rq->id, "exit_code", st.exit_status);
    if (st.state == CM_FAULTED) {
        char what[160];
        reply_fault_kind(&st, kind, sizeof kind);
        ae_cm_describe(&st, what, sizeof what);
        row(s, rq->id, "fault", kind);
        row(s, rq->id, "ended_by", what);
    } else if (st.state == CM_KILLED) {
        row(s, rq->id, "ended_by", "killed (aerie kill or rm -f, or its Linux program by SIGKILL)");
    } else if (st.state == CM_EXITED) {
        row(s, rq->id, "ended_by", "its program exited");
    }
    row_num(s, rq->id, "created_ms_ago", (times[3] - times[0]) / 1000000);
    if (times[1])
        row_num(s, rq->id, "started_ms_ago", (times[3] - times[1]) / 1000000);
    if (times[2])
        row_num(s, rq->id, "finished_ms_ago", (times[3] - times[2]) / 1000000);
    row_num(s, rq->id, "cpu", (uint64_t)t.cpu);
    row_num(s, rq->id, "mem_used", t.mem_used);
    row_num(s, rq->id, "mem_limit", t.mem_limit);
    row_num(s, rq->id, "threads", t.threads_live);
    row_num(s, rq->id, "threads_limit", t.threads_limit);
    row_num(s, rq->id, "objects", t.objects_used);
    row_num(s, rq->id, "objects_limit", t.objects_limit);
    row_num(s, rq->id, "cpu_ns", t.cpu_ns);
    text[len] = 0;
    for (size_t at = 0; at < len; at += strlen(text + at) + 1) {   /* "KEY VALUE" records */
        char *value = strchr(text + at, ' ');
        if (!value)
            continue;
        *value = 0;
        if (!strcmp(text + at, "grants") || !strcmp(text + at, "port") || !strcmp(text + at, "arg") ||
            !strcmp(text + at, "env") || !strcmp(text + at, "truncated"))
            row(s, rq->id, text + at, value + 1);
        *value = ' ';
    }
    reply_ok(s, rq->id, "%s", "");
}
