/*
 * link.c — the engine's end of the link to ctl (services/ctl/frame.h):
 * QEMU connects to the --vm socket; ctl's HELLO starts the link (the
 * engine answers with the same nonce, then its own channel sends the
 * stored images, then clients get channels); DATA goes to the client of
 * its channel, CREDIT lets more of a client's bytes go, CLOSE ends a
 * channel. A new HELLO, a broken frame or QEMU leaving ends every
 * client's session: they are told Aerie went away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "engine.h"

bool bq_put(struct bq *q, const void *p, size_t n)
{
    if (q->start + q->len + n > q->cap && q->start) {
        memmove(q->p, q->p + q->start, q->len);
        q->start = 0;
    }
    if (q->len + n > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n)
            cap *= 2;
        uint8_t *bigger = realloc(q->p, cap);
        if (!bigger)
            return false;
        q->p = bigger;
        q->cap = cap;
    }
    memcpy(q->p + q->start + q->len, p, n);
    q->len += n;
    return true;
}

void bq_take(struct bq *q, size_t n)
{
    q->start += n;
    q->len -= n;
    if (!q->len)
        q->start = 0;
}

void bq_free(struct bq *q)
{
    free(q->p);
    memset(q, 0, sizeof *q);
}

void link_frame(struct engine *e, uint8_t type, uint16_t chan, const void *p, uint32_t n)
{
    uint8_t h[FRAME_HDR];
    frame_header(h, type, chan, n);
    if (!bq_put(&e->vmout, h, sizeof h) || (n && !bq_put(&e->vmout, p, n)))
        link_down(e, "out of memory");
}

void link_down(struct engine *e, const char *why)
{
    if (e->state == LINK_UP)
        engine_log("link down: %s", why);
    e->state = e->vm_fd >= 0 ? LINK_SYNC : LINK_DOWN;   /* before closing: no frames for them */
    for (unsigned i = 0; i < ENGINE_CLIENTS; i++)
        if (e->clients[i].used && e->clients[i].chan)
            client_close(e, &e->clients[i]);
    job_link_down(e);
    memset(e->chans, 0, sizeof e->chans);
    memset(e->closing, 0, sizeof e->closing);
    e->ready = false;
    bq_free(&e->vmout);
    /* The frame reader is left as it is: a HELLO of a restarted ctl ends
     * the link from inside the reader's callback, and the frames after it
     * in the same read are the new link's (resetting it here dropped them
     * all, so a restarted ctl was never heard). A broken stream resyncs
     * by itself (frame.h), a new connection starts a new reader. */
}

void link_drop_vm(struct engine *e, const char *why)
{
    if (e->vm_fd >= 0)
        close(e->vm_fd);
    e->vm_fd = -1;
    link_down(e, why);
    frame_reader_init(&e->rd);
}

void link_accept(struct engine *e)
{
    int fd = accept4(e->vm_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (e->vm_fd >= 0) {                     /* one QEMU at a time: a running one is never cut off */
        engine_log("refused a second connection on %s: QEMU is connected", e->vm_path);
        close(fd);
        return;
    }
    e->vm_fd = fd;
    e->state = LINK_SYNC;
    frame_reader_init(&e->rd);
    engine_log("QEMU connected; waiting for ctl's HELLO");
}

static void on_hello(struct engine *e, const uint8_t *payload, uint32_t len)
{
    struct frame_hello h;
    if (!frame_hello_parse(payload, len, &h) || h.role != FRAME_ROLE_CTL)
        return;
    if (h.version != FRAME_VERSION) {
        engine_log("ctl speaks link version %u, this engine %u: rebuild (make)", h.version, FRAME_VERSION);
        return;
    }
    if (e->state == LINK_UP)
        link_down(e, "ctl started the link again");
    uint8_t f[FRAME_HDR + FRAME_HELLO_LEN];
    frame_hello(f, FRAME_ROLE_ENGINE, h.nonce);
    bq_put(&e->vmout, f, sizeof f);
    e->state = LINK_UP;
    e->hellos++;
    engine_log("link up (Aerie's ctl said hello)");
    job_link_up(e);
}

/* A CLOSE from ctl: our answer to one we sent, or ctl ending a session. */
static void on_close(struct engine *e, uint16_t chan)
{
    struct client *c = e->chans[chan];
    if (e->closing[chan]) {
        e->closing[chan] = false;            /* the channel is free again */
        e->chans[chan] = NULL;
        return;
    }
    if (c) {
        e->chans[chan] = NULL;
        link_frame(e, FRAME_CLOSE, chan, NULL, 0);
        c->chan = 0;
        if (c != ENGINE_SELF(e))
            client_close(e, c);
    }
}

static void on_frame(void *ctx, const struct frame_hdr *h, const uint8_t *payload)
{
    struct engine *e = ctx;
    if (h->type == FRAME_HELLO) {
        on_hello(e, payload, h->len);
        return;
    }
    if (e->state != LINK_UP)
        return;
    struct client *c = e->chans[h->chan];
    if (h->type == FRAME_CLOSE) {
        on_close(e, h->chan);
    } else if (h->type == FRAME_CREDIT && c && !e->closing[h->chan]) {
        uint64_t credit = (uint64_t)c->credit + frame_credit_bytes(payload);
        c->credit = credit > 4 * FRAME_WINDOW_DOWN ? 4 * FRAME_WINDOW_DOWN : (uint32_t)credit;
    } else {
        e->frames_bad++;                     /* OPEN comes from us, never to us */
    }
}

static void on_data(void *ctx, uint16_t chan, const uint8_t *p, size_t n)
{
    struct engine *e = ctx;
    struct client *c = e->chans[chan];
    if (e->state != LINK_UP || !c || e->closing[chan])
        return;                              /* for a client that left: dropped */
    if (c == ENGINE_SELF(e))
        job_input(e, p, n);
    else if (bq_put(&c->out, p, n))
        c->from_ctl += n;
    else
        client_close(e, c);
}

static void on_lost(void *ctx, const char *why)
{
    struct engine *e = ctx;
    engine_log("the link broke (%s)", why);
    link_down(e, why);
}

void link_read(struct engine *e)
{
    static uint8_t buf[64 << 10];
    const struct frame_sink sink = { e, on_frame, on_data, on_lost };
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(e->vm_fd, buf, sizeof buf);
        if (n > 0) {
            frame_feed(&e->rd, buf, (size_t)n, &sink);
            if (e->vm_fd < 0)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        link_drop_vm(e, "QEMU closed the channel");
        return;
    }
}

bool link_write(struct engine *e)
{
    while (e->vmout.len) {
        ssize_t n = write(e->vm_fd, bq_data(&e->vmout), e->vmout.len);
        if (n > 0) {
            bq_take(&e->vmout, (size_t)n);
            continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
    return true;
}

void link_consumed(struct engine *e, struct client *c, size_t n)
{
    c->consumed += (uint32_t)n;
    if (c->chan && e->state == LINK_UP && (c->consumed >= FRAME_WINDOW_UP / 4 || !c->out.len)) {
        uint8_t f[FRAME_HDR + 4];
        frame_credit(f, c->chan, c->consumed);
        bq_put(&e->vmout, f, sizeof f);
        c->consumed = 0;
    }
}

void link_assign(struct engine *e, struct client *c)
{
    for (uint16_t ch = ENGINE_CHAN + 1; ch < FRAME_CHANNELS; ch++) {
        if (e->chans[ch] || e->closing[ch])
            continue;
        e->chans[ch] = c;
        c->chan = ch;
        c->credit = FRAME_WINDOW_DOWN;
        c->consumed = 0;
        link_frame(e, FRAME_OPEN, ch, NULL, 0);
        return;
    }
}

void link_pump(struct engine *e)
{
    if (e->state != LINK_UP)
        return;
    for (uint16_t ch = 1; ch < FRAME_CHANNELS && e->vmout.len < ENGINE_VMOUT_MAX; ch++) {
        struct client *c = e->chans[ch];
        if (!c || e->closing[ch])
            continue;
        while (c->in.len && c->credit && e->vmout.len < ENGINE_VMOUT_MAX) {
            size_t n = c->in.len < c->credit ? c->in.len : c->credit;
            n = n < FRAME_DATA_MAX ? n : FRAME_DATA_MAX;
            link_frame(e, FRAME_DATA, ch, bq_data(&c->in), (uint32_t)n);
            bq_take(&c->in, n);
            c->credit -= (uint32_t)n;
        }
    }
}
