/*
 * link.c — ctl's end of the link to the engine (frame.h, docs/ENGINE.md):
 * a HELLO whenever the host side connects or the stream breaks, channels
 * opened and closed as the engine says, DATA into sessions, CREDIT both
 * ways, and the transmit side: control frames first, then each session's
 * output in turn (at most FRAME_DATA_MAX per session per round, so one
 * busy session cannot hold the others back), packed into the device's
 * transmit buffers. Nothing here waits: what cannot go now goes next
 * round.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "ctl.h"

#define HELLO_AGAIN_NS 2000000000ull        /* unanswered HELLO: say it again */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t hello_sent_ns;

/* Every session ends, and a new HELLO goes out (if the host is there). */
static void link_restart(struct ctl *c)
{
    struct ctl_link *l = &c->link;
    for (unsigned i = 0; i < FRAME_CHANNELS; i++)
        if (c->sessions[i].open)
            session_close(&c->sessions[i]);
    frame_reader_init(&l->rd);
    l->up = false;
    l->lost = false;
    l->ctrl_len = 0;
    l->tx_len = 0;                          /* a half-filled buffer of the old link goes unsent */
    l->nonce = now_ns() ^ (l->nonce << 7) ^ (l->hellos + 1);
    l->hello_due = l->host;
}

void link_events(struct ctl *c, unsigned ev)
{
    struct ctl_link *l = &c->link;
    if (ev & VCON_HOST_CLOSED) {
        l->host = false;
        link_restart(c);
    }
    if (ev & VCON_HOST_OPENED) {
        l->host = true;
        link_restart(c);
    }
    if (l->lost)
        link_restart(c);
    if (l->host && !l->up && !l->hello_due && now_ns() - hello_sent_ns > HELLO_AGAIN_NS)
        l->hello_due = true;
}

void link_control(struct ctl *c, uint8_t type, uint16_t chan, uint32_t credit)
{
    struct ctl_link *l = &c->link;
    const size_t one = FRAME_HDR + 4;
    if (type == FRAME_CREDIT) {              /* merge with a CREDIT still waiting */
        for (size_t at = 0; at + FRAME_HDR <= l->ctrl_len; at += l->ctrl[at] == FRAME_CREDIT ? one : FRAME_HDR) {
            if (l->ctrl[at] == FRAME_CREDIT && (l->ctrl[at + 2] | l->ctrl[at + 3] << 8) == chan) {
                frame_credit(l->ctrl + at, chan, frame_credit_bytes(l->ctrl + at + FRAME_HDR) + credit);
                return;
            }
        }
    }
    if (l->ctrl_len + one > sizeof l->ctrl)
        return;                             /* cannot happen: one CREDIT and one CLOSE per channel */
    l->ctrl_len += type == FRAME_CREDIT ? frame_credit(l->ctrl + l->ctrl_len, chan, credit)
                                        : frame_header(l->ctrl + l->ctrl_len, type, chan, 0);
}

/* ---- receiving ---- */

static void on_frame(void *ctx, const struct frame_hdr *h, const uint8_t *payload)
{
    struct ctl *c = ctx;
    struct ctl_link *l = &c->link;
    struct ctl_session *s = &c->sessions[h->chan];
    struct frame_hello hello;
    switch (h->type) {
    case FRAME_HELLO:
        if (frame_hello_parse(payload, h->len, &hello) && hello.role == FRAME_ROLE_ENGINE &&
            hello.nonce == l->nonce && hello.version == FRAME_VERSION && !l->up) {
            l->up = true;
            printf("ctl: the engine is connected (link version %u)\n", hello.version);
        }
        return;                             /* an old or foreign HELLO: ignored */
    case FRAME_OPEN:
        if (l->up && !s->open)
            session_open(c, h->chan);
        else
            l->bad_frames++;
        return;
    case FRAME_CLOSE:
        l->closes++;
        if (s->open) {
            session_close(s);
            link_control(c, FRAME_CLOSE, h->chan, 0);   /* the engine may reuse it after this */
        }
        return;
    case FRAME_CREDIT:
        l->credit_frames++;
        if (s->open) {
            uint64_t credit = (uint64_t)s->credit + frame_credit_bytes(payload);
            s->credit = credit > 4 * FRAME_WINDOW_UP ? 4 * FRAME_WINDOW_UP : (uint32_t)credit;
        }
        return;
    }
}

static void on_data(void *ctx, uint16_t chan, const uint8_t *p, size_t n)
{
    struct ctl *c = ctx;
    struct ctl_session *s = &c->sessions[chan];
    if (!c->link.up || !s->open) {
        c->link.bad_frames++;               /* for a session that is gone: dropped */
        return;
    }
    if (!session_input(s, p, n)) {          /* beyond its credit: end the session */
        c->link.bad_frames++;
        session_close(s);
        link_control(c, FRAME_CLOSE, chan, 0);
    }
}

static void on_lost(void *ctx, const char *why)
{
    struct ctl *c = ctx;
    printf("ctl: the link broke (%s): starting it again\n", why);
    c->link.lost = true;
}

void link_input(void *ctx, const uint8_t *p, size_t n)
{
    struct ctl *c = ctx;
    const struct frame_sink sink = { c, on_frame, on_data, on_lost };
    if (c->link.host)
        frame_feed(&c->link.rd, p, n, &sink);
}

/* ---- sending ---- */

/* Room for want more bytes in the transmit buffer being filled, moving
 * to a new one if needed; false if no buffer is free. */
static bool tx_room(struct ctl *c, size_t want)
{
    struct ctl_link *l = &c->link;
    if (l->tx && l->tx_len + want > VCON_TX_BUF) {
        vcon_tx_put(&c->dev, l->tx, l->tx_len);
        l->tx = NULL;
    }
    if (!l->tx) {
        l->tx = vcon_tx_get(&c->dev);
        l->tx_len = 0;
    }
    return l->tx != NULL;
}

static void tx_append(struct ctl *c, const void *p, size_t n)
{
    memcpy(c->link.tx + c->link.tx_len, p, n);
    c->link.tx_len += n;
}

/* One session's turn: DATA frames of its output, as far as its credit,
 * FRAME_DATA_MAX and the transmit buffers go. False: no buffer. */
static bool flush_session(struct ctl *c, struct ctl_session *s)
{
    size_t budget = FRAME_DATA_MAX;
    while (budget && s->credit && session_pending(s)) {
        if (!tx_room(c, FRAME_HDR + 512))             /* a buffer's last bytes: the next one */
            return false;
        size_t n = session_pending(s), room = VCON_TX_BUF - c->link.tx_len - FRAME_HDR;
        n = n < s->credit ? n : s->credit;
        n = n < budget ? n : budget;
        n = n < room ? n : room;
        uint8_t h[FRAME_HDR];
        frame_header(h, FRAME_DATA, s->chan, (uint32_t)n);
        tx_append(c, h, sizeof h);
        tx_append(c, s->out + s->out_start, n);
        s->out_start += n;
        s->out_len -= n;
        s->credit -= (uint32_t)n;
        budget -= n;
    }
    return true;
}

bool link_flush(struct ctl *c)
{
    struct ctl_link *l = &c->link;
    bool starved = false;
    if (!l->host)
        return false;
    if (l->hello_due && tx_room(c, FRAME_HDR + FRAME_HELLO_LEN)) {
        c->link.tx_len += frame_hello(l->tx + l->tx_len, FRAME_ROLE_CTL, l->nonce);
        l->hello_due = false;
        l->hellos++;
        hello_sent_ns = now_ns();
    }
    starved |= l->hello_due;
    if (l->up && l->ctrl_len) {
        if (tx_room(c, l->ctrl_len)) {
            tx_append(c, l->ctrl, l->ctrl_len);
            l->ctrl_len = 0;
        } else {
            starved = true;
        }
    }
    for (unsigned k = 0; l->up && !starved && k < FRAME_CHANNELS; k++) {
        struct ctl_session *s = &c->sessions[(l->next_chan + k) % FRAME_CHANNELS];
        if (s->open && !flush_session(c, s))
            starved = true;
    }
    l->next_chan = (l->next_chan + 1) % FRAME_CHANNELS;
    if (l->tx && l->tx_len) {
        vcon_tx_put(&c->dev, l->tx, l->tx_len);
        l->tx = NULL;
    }
    vcon_tx_kick(&c->dev);
    return starved;
}
