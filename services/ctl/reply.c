/*
 * reply.c — the lines ctl sends to a client (docs/CM.md, "Control
 * protocol"). Whatever a caller passes, a line leaves as printable ASCII
 * ending in one newline, so a message that quotes a client's bytes can
 * never forge another reply; raw bytes leave only inside a `data` reply
 * that announces their count first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <aerie/fault.h>
#include <aerie/proto/linux.h>
#include "ctl.h"

#define REPLY_MAX (4 * CTL_LINE_MAX)
/* A whole line: room for an inspect row, a value of up to CM_INSPECT_KEEP
 * bytes each escaped as "\xNN" (ctl's buffers are static: no stack cost). */
#define REPLY_LINE_MAX (4 * CM_INSPECT_KEEP + 4 * CTL_ID_MAX + 64)

void reply_line(struct ctl_session *s, const char *id, const char *kind, const char *rest)
{
    static char line[REPLY_LINE_MAX + 2];
    int n = snprintf(line, sizeof line - 1, "%s %s%s%s", id, kind, rest[0] ? " " : "", rest);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    for (size_t i = 0; i < len; i++)
        if (line[i] < 0x20 || line[i] > 0x7e)
            line[i] = '?';               /* a caller's mistake must not break the framing */
    line[len++] = '\n';
    session_out(s, line, len);
}

void reply_ok(struct ctl_session *s, const char *id, const char *fmt, ...)
{
    char rest[REPLY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    reply_line(s, id, "ok", rest);
}

void reply_err(struct ctl_session *s, const char *id, const char *fmt, ...)
{
    char msg[512], esc[REPLY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctl_escape(msg, strlen(msg), esc, sizeof esc, false);
    reply_line(s, id, "err", esc);
}

void reply_out(struct ctl_session *s, const char *id, const char *data, size_t n)
{
    char esc[4 * CTL_CHUNK_MAX + 1];
    while (n) {
        size_t k = n < CTL_CHUNK_MAX ? n : CTL_CHUNK_MAX;
        ctl_escape(data, k, esc, sizeof esc, false);     /* 4 bytes per byte at most: all fits */
        reply_line(s, id, "out", esc);
        data += k;
        n -= k;
    }
}

void reply_data(struct ctl_session *s, const char *id, const void *data, size_t n)
{
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    reply_line(s, id, "data", count);
    session_out(s, data, n);
}

const char *reply_word(const char *s, char *buf, size_t cap)
{
    if (!s[0])
        s = "-";                                        /* an empty word would vanish */
    ctl_escape(s, strlen(s), buf, cap, true);
    return buf;
}

void reply_fault_kind(const struct ae_cm_status *st, char *buf, size_t cap)
{
    uint64_t label = st->fault_label & 0xFFFFFFFF;
    if (label == AERIE_FAULT_PAGE)
        snprintf(buf, cap, "page");
    else if (label == AERIE_FAULT_EXCEPTION)
        snprintf(buf, cap, "exception:%lu", st->fault_addr);
    else if (label == AERIE_FAULT_SYSCALL)
        snprintf(buf, cap, "syscall:%lu", st->fault_addr);
    else if (label == CM_FAULT_LINUX_SIGNAL)
        snprintf(buf, cap, "signal:%lu", st->fault_label >> 32);
    else
        snprintf(buf, cap, "fault:%lu", label);
}

void reply_state(const struct ae_cm_status *st, char *buf, size_t cap)
{
    char kind[32], what[160];
    switch (st->state) {
    case CM_CREATED: snprintf(buf, cap, "created"); break;
    case CM_RUNNING: snprintf(buf, cap, "running"); break;
    case CM_EXITED: snprintf(buf, cap, "exited %lu", st->exit_status); break;
    case CM_KILLED: snprintf(buf, cap, "killed"); break;
    case CM_FAULTED:
        reply_fault_kind(st, kind, sizeof kind);
        ae_cm_describe(st, what, sizeof what);
        snprintf(buf, cap, "faulted %s %s", kind, what);
        break;
    default: snprintf(buf, cap, "unknown %d", st->state); break;
    }
}
