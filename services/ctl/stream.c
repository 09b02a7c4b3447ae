/*
 * stream.c — requests that stream a container's output until it ends
 * ("run", "follow"), any number per session up to CTL_STREAMS in all.
 * Each gets a turn every round while its session's output has room: new
 * log bytes go out as "ID out" lines, bytes the console dropped before we
 * read them as "ID lost N", and the end as "ID exit STATE ..." — sent only
 * after the log is drained, so no output follows the exit line.
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include "ctl.h"

#define READS_PER_TURN 16            /* log reads per stream per turn: ~8 KiB */

int stream_add(struct ctl_session *s, const char *id, uint64_t cid, uint64_t from)
{
    struct ctl *c = s->ctl;
    for (unsigned i = 0; i < CTL_STREAMS; i++) {
        struct ctl_stream *st = &c->streams[i];
        if (st->active)
            continue;
        *st = (struct ctl_stream){ .active = true, .s = s, .cid = cid, .from = from };
        snprintf(st->id, sizeof st->id, "%s", id);
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

void stream_drop(struct ctl_session *s)
{
    for (unsigned i = 0; i < CTL_STREAMS; i++)
        if (s->ctl->streams[i].s == s)
            s->ctl->streams[i].active = false;
}

int stream_pump(struct ctl *c, struct ctl_stream *st)
{
    static char buf[CM_TEXT_MAX];
    for (unsigned i = 0; i < READS_PER_TURN; i++) {
        uint64_t before = st->from;
        int64_t n = ae_cm_logs(c->cm, st->cid, &st->from, buf, sizeof buf);
        if (n == AE_ENOENT)
            return 0;                    /* no console grant: no output to stream */
        if (n < 0)
            return (int)n;
        if (st->from - (uint64_t)n > before) {
            char lost[24];
            snprintf(lost, sizeof lost, "%lu", st->from - (uint64_t)n - before);
            reply_line(st->s, st->id, "lost", lost);
        }
        if (n == 0)
            return 0;
        reply_out(st->s, st->id, buf, (size_t)n);
    }
    return 1;
}

static bool ended(int state)
{
    return state == CM_EXITED || state == CM_FAULTED || state == CM_KILLED;
}

static void turn(struct ctl *c, struct ctl_stream *st)
{
    struct ae_cm_status status = { 0 };
    int r = stream_pump(c, st);
    if (r == 0)
        r = ae_cm_status(c->cm, st->cid, &status);
    if (r == 0 && ended(status.state))
        while ((r = stream_pump(c, st)) == 1)
            ;                            /* it ended: its log grows no more */
    if (r == AE_ESRCH) {
        reply_err(st->s, st->id, "container %lu was removed", st->cid);
        st->active = false;
    } else if (r < 0) {
        reply_err(st->s, st->id, "container %lu: the manager did not answer (error %d)", st->cid, r);
        st->active = false;
    } else if (r == 0 && ended(status.state)) {
        char state[256];
        reply_state(&status, state, sizeof state);
        reply_line(st->s, st->id, "exit", state);
        st->active = false;
    }
}

void stream_poll(struct ctl *c)
{
    for (unsigned i = 0; i < CTL_STREAMS; i++)
        if (c->streams[i].active && session_has_room(c->streams[i].s)) {
            if (c->streams[i].exec)
                exec_turn(c, &c->streams[i]);
            else
                turn(c, &c->streams[i]);
        }
}
