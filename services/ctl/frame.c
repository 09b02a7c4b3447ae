/*
 * frame.c — the link's frames (see frame.h): the incremental reader that
 * finds a HELLO, checks every header, reassembles control frames and
 * streams DATA through, and the writers. Every byte comes from the other
 * side of a socket or a device: nothing is trusted.
 */
#include <string.h>
#include "frame.h"

static const uint8_t magic[8] = { 'A', 'E', 'R', 'I', 'E', 'C', 'T', 'L' };

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

size_t frame_header(uint8_t *out, uint8_t type, uint16_t chan, uint32_t len)
{
    out[0] = type;
    out[1] = 0;
    put16(out + 2, chan);
    put32(out + 4, len);
    return FRAME_HDR;
}

size_t frame_hello(uint8_t *out, uint32_t role, uint64_t nonce)
{
    frame_header(out, FRAME_HELLO, 0, FRAME_HELLO_LEN);
    memcpy(out + FRAME_HDR, magic, sizeof magic);
    put32(out + FRAME_HDR + 8, FRAME_VERSION);
    put32(out + FRAME_HDR + 12, role);
    put64(out + FRAME_HDR + 16, nonce);
    return FRAME_HDR + FRAME_HELLO_LEN;
}

size_t frame_credit(uint8_t *out, uint16_t chan, uint32_t bytes)
{
    frame_header(out, FRAME_CREDIT, chan, 4);
    put32(out + FRAME_HDR, bytes);
    return FRAME_HDR + 4;
}

bool frame_hello_parse(const uint8_t *payload, uint32_t len, struct frame_hello *h)
{
    if (len != FRAME_HELLO_LEN || memcmp(payload, magic, sizeof magic))
        return false;
    h->version = get32(payload + 8);
    h->role = get32(payload + 12);
    h->nonce = get64(payload + 16);
    return true;
}

uint32_t frame_credit_bytes(const uint8_t *payload)
{
    return get32(payload);
}

const char *frame_check(const struct frame_hdr *h)
{
    static const uint32_t fixed[] = { [FRAME_HELLO] = FRAME_HELLO_LEN, [FRAME_OPEN] = 0, [FRAME_CLOSE] = 0,
                                      [FRAME_CREDIT] = 4 };
    if (h->type < FRAME_HELLO || h->type > FRAME_CREDIT)
        return "unknown frame type";
    if (h->chan >= FRAME_CHANNELS)
        return "channel out of range";
    if ((h->type == FRAME_HELLO) != (h->chan == 0))
        return "channel 0 is for HELLO only";
    if (h->type == FRAME_DATA)
        return h->len == 0 || h->len > FRAME_DATA_MAX ? "DATA length out of range" : NULL;
    return h->len != fixed[h->type] ? "wrong payload length" : NULL;
}

void frame_reader_init(struct frame_reader *r)
{
    r->state = FRAME_SYNC;
    r->have = 0;
    r->left = 0;
}

static void decode_header(const uint8_t *b, struct frame_hdr *h)
{
    h->type = b[0];
    h->chan = get16(b + 2);
    h->len = get32(b + 4);
}

/* A broken rule: report it and look for a HELLO again. */
static void broken(struct frame_reader *r, const struct frame_sink *s, const char *why)
{
    r->lost++;
    frame_reader_init(r);
    if (s->lost)
        s->lost(s->ctx, why);
}

/* SYNC: slides a window of header + magic over the stream until it
 * matches a HELLO's; then the rest of the HELLO is read as a body. */
static size_t feed_sync(struct frame_reader *r, const uint8_t *p, size_t n)
{
    static const uint8_t want[FRAME_HDR] = { FRAME_HELLO, 0, 0, 0, FRAME_HELLO_LEN, 0, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        if (r->have == FRAME_HDR + sizeof magic) {
            memmove(r->buf, r->buf + 1, r->have - 1);
            r->have--;
        }
        r->buf[r->have++] = p[i];
        if (r->have == FRAME_HDR + sizeof magic && !memcmp(r->buf, want, FRAME_HDR) &&
            !memcmp(r->buf + FRAME_HDR, magic, sizeof magic)) {
            decode_header(r->buf, &r->cur);
            r->state = FRAME_BODY;
            return i + 1;
        }
    }
    return n;
}

static void deliver(struct frame_reader *r, const struct frame_sink *s)
{
    r->frames++;
    r->state = FRAME_HEAD;
    r->have = 0;
    if (r->cur.type == FRAME_HELLO) {
        struct frame_hello h;
        if (!frame_hello_parse(r->buf + FRAME_HDR, r->cur.len, &h)) {
            broken(r, s, "a HELLO without its magic");
            return;
        }
    }
    s->frame(s->ctx, &r->cur, r->buf + FRAME_HDR);
}

void frame_feed(struct frame_reader *r, const uint8_t *p, size_t n, const struct frame_sink *s)
{
    while (n) {
        size_t k;
        if (r->state == FRAME_SYNC) {
            k = feed_sync(r, p, n);
        } else if (r->state == FRAME_HEAD) {
            k = FRAME_HDR - r->have < n ? FRAME_HDR - r->have : n;
            memcpy(r->buf + r->have, p, k);
            r->have += (unsigned)k;
            if (r->have == FRAME_HDR) {
                decode_header(r->buf, &r->cur);
                const char *why = frame_check(&r->cur);
                if (why) {
                    broken(r, s, why);
                } else if (r->cur.type == FRAME_DATA) {
                    r->left = r->cur.len;
                    r->state = FRAME_BODY;
                } else if (r->cur.len == 0) {
                    deliver(r, s);
                } else {
                    r->state = FRAME_BODY;
                }
            }
        } else if (r->cur.type == FRAME_DATA) {
            k = r->left < n ? r->left : n;
            r->left -= (uint32_t)k;
            s->data(s->ctx, r->cur.chan, p, k);
            if (!r->left) {
                r->frames++;
                r->state = FRAME_HEAD;
                r->have = 0;
            }
        } else {
            size_t want = FRAME_HDR + r->cur.len - r->have;
            k = want < n ? want : n;
            memcpy(r->buf + r->have, p, k);
            r->have += (unsigned)k;
            if (r->have == FRAME_HDR + r->cur.len)
                deliver(r, s);
        }
        p += k;
        n -= k;
    }
}
