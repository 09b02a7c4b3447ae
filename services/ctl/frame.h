/*
 * frame.h — the link between ctl and the host's engine (docs/ENGINE.md,
 * "The link"): one byte stream over the virtio-console port, cut into
 * frames that each carry one channel — one client of the engine, who sees
 * a byte stream of its own (the line protocol of ctlproto.h). Pure C
 * with no system calls: ctl and tools/engine share it, and it is
 * unit-tested and fuzzed on the host.
 *
 * A frame is an 8-byte header (type, flags 0, channel, payload length;
 * little-endian) and its payload:
 *
 *   HELLO  ch 0, 24 bytes: "AERIECTL", version, role, nonce. ctl says it
 *          whenever the host side connects (and after any stream error);
 *          the engine answers with the same nonce. Each side drops
 *          everything before the other's HELLO, so a link always starts
 *          at a frame boundary whatever was cut off before.
 *   OPEN   engine -> ctl: a client came; its session starts.
 *   CLOSE  either way: the client went, or the session ended; the other
 *          side answers with CLOSE, and only then is the channel reused.
 *   DATA   the channel's bytes, at most FRAME_DATA_MAX.
 *   CREDIT 4 bytes: the receiver consumed that many DATA bytes of the
 *          channel, so the sender may send that many more. Each channel
 *          starts with FRAME_WINDOW_DOWN bytes of credit towards ctl and
 *          FRAME_WINDOW_UP towards the engine, so neither side ever holds
 *          more than a window per channel of the other's data (ctl's is
 *          smaller: guest memory), and a slow client slows only its own
 *          channel.
 */
#ifndef AERIE_CTL_FRAME_H
#define AERIE_CTL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR        8
#define FRAME_DATA_MAX   (64u << 10)
#define FRAME_CTRL_MAX   24           /* the largest payload of any other frame */
#define FRAME_CHANNELS   64           /* channel ids 1..63; 0 is the link itself */
#define FRAME_WINDOW_DOWN (256u << 10) /* engine -> ctl: DATA unacknowledged per channel (ctl's ring) */
#define FRAME_WINDOW_UP  (1u << 20)   /* ctl -> engine: DATA unacknowledged per channel (host memory) */
#define FRAME_VERSION    2            /* 2: 64 channels (1 had 32) */
#define FRAME_HELLO_LEN  24

enum frame_type { FRAME_HELLO = 1, FRAME_OPEN = 2, FRAME_CLOSE = 3, FRAME_DATA = 4, FRAME_CREDIT = 5 };
enum frame_role { FRAME_ROLE_CTL = 0, FRAME_ROLE_ENGINE = 1 };

struct frame_hdr {
    uint8_t type;
    uint16_t chan;
    uint32_t len;
};

struct frame_hello {
    uint32_t version, role;
    uint64_t nonce;
};

/* What a reader delivers. frame: any frame but DATA, its whole payload;
 * data: DATA bytes as they arrive (a frame may come in several pieces);
 * lost: the stream broke a rule (the reader is looking for a HELLO again). */
struct frame_sink {
    void *ctx;
    void (*frame)(void *ctx, const struct frame_hdr *h, const uint8_t *payload);
    void (*data)(void *ctx, uint16_t chan, const uint8_t *p, size_t n);
    void (*lost)(void *ctx, const char *why);
};

enum frame_state { FRAME_SYNC, FRAME_HEAD, FRAME_BODY };

struct frame_reader {
    enum frame_state state;
    uint8_t buf[FRAME_HDR + FRAME_CTRL_MAX];   /* a header, or a whole control frame */
    unsigned have;
    struct frame_hdr cur;
    uint32_t left;                             /* DATA payload bytes still to come */
    uint64_t frames, lost;
};

/* Starts (or restarts) looking for a HELLO: nothing before one is taken. */
void frame_reader_init(struct frame_reader *r);

/* Takes n bytes of the stream, calling the sink for what they complete. */
void frame_feed(struct frame_reader *r, const uint8_t *p, size_t n, const struct frame_sink *s);

/* A header's problem, or NULL if it is well formed. */
const char *frame_check(const struct frame_hdr *h);

/* Writers: each writes a whole frame (frame_header: only the header of a
 * DATA frame whose len bytes follow) and returns its size. */
size_t frame_header(uint8_t *out, uint8_t type, uint16_t chan, uint32_t len);
size_t frame_hello(uint8_t *out, uint32_t role, uint64_t nonce);
size_t frame_credit(uint8_t *out, uint16_t chan, uint32_t bytes);

/* Decodes a HELLO payload; false if it is not one. */
bool frame_hello_parse(const uint8_t *payload, uint32_t len, struct frame_hello *h);
/* A CREDIT payload's byte count. */
uint32_t frame_credit_bytes(const uint8_t *payload);

#endif
