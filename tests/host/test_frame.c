/*
 * test_frame.c — the link's frames (services/ctl/frame.c), shared by ctl
 * and the engine: writers and reader agree byte for byte, whatever pieces
 * the stream arrives in; nothing before a HELLO is taken; a header that
 * breaks a rule is reported and the reader looks for a HELLO again.
 */
#include <stdlib.h>
#include <string.h>
#include "frame.h"
#include "ktest_host.h"

/* What the sink saw. */
static struct {
    unsigned frames, lost;
    struct frame_hdr last;
    uint8_t payload[FRAME_CTRL_MAX];
    uint8_t data[1 << 18];
    size_t ndata;
    uint16_t data_chan;
} seen;

static void on_frame(void *ctx, const struct frame_hdr *h, const uint8_t *p)
{
    (void)ctx;
    seen.frames++;
    seen.last = *h;
    memcpy(seen.payload, p, h->len <= FRAME_CTRL_MAX ? h->len : 0);
}

static void on_data(void *ctx, uint16_t chan, const uint8_t *p, size_t n)
{
    (void)ctx;
    seen.data_chan = chan;
    if (seen.ndata + n <= sizeof seen.data)
        memcpy(seen.data + seen.ndata, p, n);
    seen.ndata += n;
}

static void on_lost(void *ctx, const char *why)
{
    (void)ctx, (void)why;
    seen.lost++;
}

static const struct frame_sink sink = { NULL, on_frame, on_data, on_lost };
static struct frame_reader rd;

static void reset(void)
{
    memset(&seen, 0, sizeof seen);
    frame_reader_init(&rd);
}

/* Feeds buf in pieces of step bytes. */
static void feed(const uint8_t *buf, size_t n, size_t step)
{
    for (size_t at = 0; at < n; at += step)
        frame_feed(&rd, buf + at, n - at < step ? n - at : step, &sink);
}

static void frame_hello_round_trip(void)
{
    uint8_t f[64];
    struct frame_hello h;
    size_t n = frame_hello(f, FRAME_ROLE_ENGINE, 0x1122334455667788ull);
    CHECK_EQ(n, FRAME_HDR + FRAME_HELLO_LEN);
    reset();
    feed(f, n, 1);
    CHECK_EQ(seen.frames, 1);
    CHECK_EQ(seen.last.type, FRAME_HELLO);
    CHECK(frame_hello_parse(seen.payload, seen.last.len, &h));
    CHECK_EQ(h.role, FRAME_ROLE_ENGINE);
    CHECK_EQ(h.version, FRAME_VERSION);
    CHECK_EQ(h.nonce, 0x1122334455667788ull);
}

/* A stream of frames, fed whole and in every piece size up to 17 bytes. */
static void frame_stream_in_any_pieces(void)
{
    static uint8_t buf[4096], payload[1000];
    size_t n = frame_hello(buf, FRAME_ROLE_CTL, 7);
    n += frame_header(buf + n, FRAME_OPEN, 3, 0);
    for (unsigned i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    n += frame_header(buf + n, FRAME_DATA, 3, sizeof payload);
    memcpy(buf + n, payload, sizeof payload);
    n += sizeof payload;
    n += frame_credit(buf + n, 3, 65536);
    n += frame_header(buf + n, FRAME_CLOSE, 3, 0);
    for (size_t step = 1; step <= 17; step++) {
        reset();
        feed(buf, n, step);
        CHECK_EQ(seen.frames, 4);                 /* HELLO, OPEN, CREDIT, CLOSE */
        CHECK_EQ(seen.last.type, FRAME_CLOSE);
        CHECK_EQ(seen.ndata, sizeof payload);
        CHECK_EQ(seen.data_chan, 3);
        CHECK(!memcmp(seen.data, payload, sizeof payload));
        CHECK_EQ(seen.lost, 0);
    }
}

static void frame_nothing_before_hello(void)
{
    uint8_t buf[256];
    size_t n = frame_header(buf, FRAME_DATA, 2, 4);
    memcpy(buf + n, "junk", 4);
    n += 4;
    n += frame_header(buf + n, FRAME_OPEN, 5, 0);
    memcpy(buf + n, "AERIECT", 7);                 /* half a magic */
    n += 7;
    n += frame_hello(buf + n, FRAME_ROLE_CTL, 9);
    n += frame_credit(buf + n, 4, 100);
    reset();
    feed(buf, n, 3);
    CHECK_EQ(seen.ndata, 0);
    CHECK_EQ(seen.frames, 2);                       /* the HELLO, then the CREDIT */
    CHECK_EQ(seen.last.type, FRAME_CREDIT);
    CHECK_EQ(frame_credit_bytes(seen.payload), 100);
}

/* Each broken header is reported once; a HELLO after it is taken again. */
static void frame_broken_rules_resync(void)
{
    static const struct frame_hdr bad[] = {
        { 0, 1, 0 }, { 9, 1, 0 }, { FRAME_OPEN, FRAME_CHANNELS, 0 }, { FRAME_OPEN, 0, 0 },
        { FRAME_HELLO, 1, FRAME_HELLO_LEN }, { FRAME_DATA, 1, 0 }, { FRAME_DATA, 1, FRAME_DATA_MAX + 1 },
        { FRAME_CREDIT, 1, 5 }, { FRAME_CLOSE, 1, 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[128];
        size_t n = frame_hello(buf, FRAME_ROLE_CTL, 1);
        CHECK(frame_check(&bad[i]) != NULL);
        n += frame_header(buf + n, bad[i].type, bad[i].chan, bad[i].len);
        n += frame_header(buf + n, FRAME_OPEN, 2, 0);      /* dropped: no HELLO since */
        n += frame_hello(buf + n, FRAME_ROLE_CTL, 2);
        n += frame_header(buf + n, FRAME_OPEN, 4, 0);
        reset();
        feed(buf, n, n);
        CHECK_EQ(seen.lost, 1);
        CHECK_EQ(seen.frames, 3);                   /* HELLO, HELLO, OPEN 4 */
        CHECK_EQ(seen.last.chan, 4);
    }
}

static void frame_bad_hello_payload(void)
{
    uint8_t f[64];
    struct frame_hello h;
    frame_hello(f, FRAME_ROLE_CTL, 3);
    CHECK(frame_hello_parse(f + FRAME_HDR, FRAME_HELLO_LEN, &h));
    CHECK(!frame_hello_parse(f + FRAME_HDR, FRAME_HELLO_LEN - 1, &h));
    f[FRAME_HDR] = 'X';
    CHECK(!frame_hello_parse(f + FRAME_HDR, FRAME_HELLO_LEN, &h));
}

int main(void)
{
    RUN(frame_hello_round_trip);
    RUN(frame_stream_in_any_pieces);
    RUN(frame_nothing_before_hello);
    RUN(frame_broken_rules_resync);
    RUN(frame_bad_hello_payload);
    return TESTS_DONE();
}
