/*
 * session.c — one channel of the link: the byte stream of one client of
 * the engine. Input is kept in a ring of FRAME_WINDOW_DOWN bytes (the credit
 * the engine starts with, so it always fits) and worked through while the
 * session's output has room (the ring exists only while it holds bytes:
 * idle sessions are cheap, so the link can have many channels): cut into
 * request lines (ctlproto.h), except
 * for the raw payload a `put` or `import` line announces, which goes
 * straight to its transfer. Consumed bytes go back to the engine as
 * CREDIT. Output is a buffer the link sends as the engine's credit allows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"

#define OUT_FIRST   (16u << 10)
#define RING_SPARES 8                /* drained input rings kept for the next DATA */

/* Input rings: a session holds one only while it has unconsumed DATA. A
 * few drained ones are kept, so busy sessions (a bulk put's every frame)
 * do not map and unmap 256 KiB per frame; the rest go back. */
static uint8_t *ring_spare[RING_SPARES];
static unsigned ring_nspare;

static uint8_t *ring_get(void)
{
    return ring_nspare ? ring_spare[--ring_nspare] : malloc(FRAME_WINDOW_DOWN);
}

static void ring_put(uint8_t *ring)
{
    if (ring && ring_nspare < RING_SPARES)
        ring_spare[ring_nspare++] = ring;
    else
        free(ring);
}

void session_open(struct ctl *c, uint16_t chan)
{
    struct ctl_session *s = &c->sessions[chan];
    memset(s, 0, sizeof *s);
    s->out = malloc(OUT_FIRST);
    if (!s->out) {                          /* no memory: refuse the client */
        link_control(c, FRAME_CLOSE, chan, 0);
        return;
    }
    s->open = true;
    s->chan = chan;
    s->ctl = c;
    s->out_cap = OUT_FIRST;
    s->credit = FRAME_WINDOW_UP;
}

void session_close(struct ctl_session *s)
{
    if (!s->open)
        return;
    stream_drop(s);
    xfer_drop(s);
    import_drop(s);
    input_drop(s);
    spec_drop(s);
    ring_put(s->in);
    free(s->out);
    memset(s, 0, sizeof *s);
}

bool session_input(struct ctl_session *s, const uint8_t *p, size_t n)
{
    if (s->in_len + n > FRAME_WINDOW_DOWN)
        return false;
    if (!s->in && !(s->in = ring_get()))
        return false;                        /* no memory: the session ends (link.c) */
    size_t tail = (s->in_head + s->in_len) % FRAME_WINDOW_DOWN, first = FRAME_WINDOW_DOWN - tail;
    first = first < n ? first : n;
    memcpy(s->in + tail, p, first);
    memcpy(s->in, p + first, n - first);
    s->in_len += (uint32_t)n;
    return true;
}

size_t session_pending(const struct ctl_session *s)
{
    return s->out_len;
}

bool session_has_room(const struct ctl_session *s)
{
    return s->open && s->out_len < CTL_OUT_HIGH && !s->out_broken;
}

void session_out(struct ctl_session *s, const void *p, size_t n)
{
    if (s->out_broken)
        return;
    if (s->out_start + s->out_len + n > s->out_cap && s->out_start) {
        memmove(s->out, s->out + s->out_start, s->out_len);
        s->out_start = 0;
    }
    if (s->out_len + n > s->out_cap) {
        size_t cap = s->out_cap;
        while (cap < s->out_len + n)
            cap *= 2;
        uint8_t *bigger = realloc(s->out, cap);
        if (!bigger) {
            s->out_broken = true;           /* the loop closes it: a reply half sent is no reply */
            return;
        }
        s->out = bigger;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_start + s->out_len, p, n);
    s->out_len += n;
}

/* The end of a payload: its transfer answers. */
static void payload_end(struct ctl_session *s)
{
    enum ctl_payload pay = s->pay;
    s->pay = PAY_NONE;
    if (pay == PAY_PUT)
        xfer_put_end(s);
    else if (pay == PAY_IMPORT)
        import_end(s);
    else if (pay == PAY_INPUT)
        input_end(s);
    else if (pay == PAY_SPEC)
        spec_end(s);
    else if (pay == PAY_DISCARD)
        reply_err(s, s->pay_id, "%s", s->pay_err);
}

void session_payload(struct ctl_session *s, enum ctl_payload pay, const char *id, uint64_t size)
{
    s->pay = pay;
    s->pay_left = size;
    snprintf(s->pay_id, sizeof s->pay_id, "%s", id);
    if (!size)
        payload_end(s);
}

void session_discard(struct ctl_session *s, const char *id, uint64_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->pay_err, sizeof s->pay_err, fmt, ap);
    va_end(ap);
    session_payload(s, PAY_DISCARD, id, size);
}

/* Takes up to n bytes at p: payload, or line bytes up to the end of one
 * line (which is handled, and may start a payload). Returns the bytes
 * taken: at least one, except for input a container has no room for. */
static size_t consume(struct ctl_session *s, const uint8_t *p, size_t n)
{
    if (s->pay != PAY_NONE) {
        size_t k = s->pay_left < n ? (size_t)s->pay_left : n;
        if (s->pay == PAY_INPUT && !(k = input_data(s, p, k)))
            return 0;
        if (s->pay == PAY_PUT)
            xfer_put_data(s, p, k);
        else if (s->pay == PAY_IMPORT)
            import_data(s, p, k);
        else if (s->pay == PAY_SPEC)
            spec_data(s, p, k);
        s->pay_left -= k;
        if (!s->pay_left)
            payload_end(s);
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        const char *line;
        size_t len;
        enum ctl_feed ev = ctl_lines_feed(&s->lines, (char)p[i], &line, &len);
        if (ev == CTL_LINE && len > 0) {
            ctl_handle(s, line, len);
            return i + 1;
        }
        if (ev == CTL_OVERLONG) {
            char id[CTL_ID_MAX + 1];
            ctl_line_id(line, len, id);
            reply_err(s, id, "line longer than %d bytes: refused", CTL_LINE_MAX);
            return i + 1;
        }
    }
    return n;
}

bool session_work(struct ctl_session *s)
{
    s->input_blocked = false;
    while (s->in_len && session_has_room(s)) {
        size_t chunk = FRAME_WINDOW_DOWN - s->in_head;
        chunk = chunk < s->in_len ? chunk : s->in_len;
        size_t k = consume(s, s->in + s->in_head, chunk);
        if (!k)
            break;                           /* input_blocked: its container reads slower */
        s->in_head = (uint32_t)((s->in_head + k) % FRAME_WINDOW_DOWN);
        s->in_len -= (uint32_t)k;
        s->uncredited += (uint32_t)k;
        if (!s->open)
            return false;
    }
    if (!s->in_len && s->in) {
        ring_put(s->in);                     /* idle: no ring until DATA comes again */
        s->in = NULL;
        s->in_head = 0;
    }
    if (s->uncredited >= FRAME_WINDOW_DOWN / 4 || (s->uncredited && !s->in_len)) {
        link_control(s->ctl, FRAME_CREDIT, s->chan, s->uncredited);
        s->uncredited = 0;
    }
    return s->in_len && session_has_room(s) && !s->input_blocked;
}
