/*
 * stream.c — requests that stream a container's output until it ends
 * ("run", "follow"). Each is polled between requests: new log bytes go
 * out as "ID out" lines, bytes the console dropped before we read them
 * as "ID lost N", and the end as "ID exit STATE ..." — sent only after
 * the log is drained, so no output follows the exit line.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include "ctl.h"

#define READS_PER_POLL 16            /* log reads per stream per poll: ~8 KiB */

int stream_add(struct ctl *c, const char *id, uint64_t cid, uint64_t from)
{
    for (unsigned i = 0; i < CTL_STREAMS; i++) {
        struct ctl_stream *s = &c->streams[i];
        if (s->active)
            continue;
        *s = (struct ctl_stream){ .active = true, .cid = cid, .from = from };
        strcpy(s->id, id);
        return 0;
    }
    return AE_EBUSY;
}

unsigned stream_count(const struct ctl *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < CTL_STREAMS; i++)
        n += c->streams[i].active;
    return n;
}

void stream_drop_all(struct ctl *c)
{
    for (unsigned i = 0; i < CTL_STREAMS; i++)
        c->streams[i].active = false;
}

/* Sends what the log holds past s->from (a bounded amount). Returns 0
 * when it is drained, 1 when more is left, or a negative error. */
static int pump(struct ctl *c, struct ctl_stream *s)
{
    static char buf[CM_TEXT_MAX];
    for (unsigned i = 0; i < READS_PER_POLL; i++) {
        uint64_t before = s->from;
        int64_t n = ae_cm_logs(c->cm, s->cid, &s->from, buf, sizeof buf);
        if (n == AE_ENOENT)
            return 0;                    /* no console grant: no output to stream */
        if (n < 0)
            return (int)n;
        if (s->from - (uint64_t)n > before) {
            char lost[24];
            snprintf(lost, sizeof lost, "%lu", s->from - (uint64_t)n - before);
            reply_line(c, s->id, "lost", lost);
        }
        if (n == 0)
            return 0;
        reply_out(c, s->id, buf, (size_t)n);
    }
    return 1;
}

static bool ended(int state)
{
    return state == CM_EXITED || state == CM_FAULTED || state == CM_KILLED;
}

static void poll_one(struct ctl *c, struct ctl_stream *s)
{
    struct ae_cm_status st = { 0 };
    int r = pump(c, s);
    if (r == 0)
        r = ae_cm_status(c->cm, s->cid, &st);
    if (r == 0 && ended(st.state))
        while ((r = pump(c, s)) == 1)
            ;                            /* it ended: its log grows no more */
    if (r == AE_ESRCH) {
        reply_err(c, s->id, "container %lu was removed", s->cid);
        s->active = false;
    } else if (r < 0) {
        reply_err(c, s->id, "container %lu: the manager did not answer (error %d)", s->cid, r);
        s->active = false;
    } else if (r == 0 && ended(st.state)) {
        char state[256];
        reply_state(&st, state, sizeof state);
        reply_line(c, s->id, "exit", state);
        s->active = false;
    }
}

void stream_poll(struct ctl *c)
{
    for (unsigned i = 0; i < CTL_STREAMS; i++)
        if (c->streams[i].active)
            poll_one(c, &c->streams[i]);
}
