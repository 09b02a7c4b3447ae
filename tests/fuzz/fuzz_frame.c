/*
 * fuzz_frame.c — libFuzzer target for the link's frame reader
 * (services/ctl/frame.c): any byte stream, fed in pieces the input's first
 * byte chooses, gives only frames that pass frame_check, DATA of its own
 * channel and no more than was fed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "frame.h"

static size_t data_total;

static void on_frame(void *ctx, const struct frame_hdr *h, const uint8_t *p)
{
    struct frame_hello hello;
    (void)ctx;
    if (frame_check(h) || h->type == FRAME_DATA || h->len > FRAME_CTRL_MAX)
        abort();
    if (h->type == FRAME_HELLO && !frame_hello_parse(p, h->len, &hello))
        abort();
}

static void on_data(void *ctx, uint16_t chan, const uint8_t *p, size_t n)
{
    (void)ctx, (void)p;
    if (chan >= FRAME_CHANNELS || !n || n > FRAME_DATA_MAX)
        abort();
    data_total += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct frame_reader rd;
    const struct frame_sink sink = { NULL, on_frame, on_data, NULL };
    size_t step = size ? 1 + data[0] % 64 : 1;
    frame_reader_init(&rd);
    data_total = 0;
    for (size_t at = 0; at < size; at += step)
        frame_feed(&rd, data + at, size - at < step ? size - at : step, &sink);
    if (data_total > size)
        abort();
    return 0;
}
