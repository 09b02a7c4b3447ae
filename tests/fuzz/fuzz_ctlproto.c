/*
 * fuzz_ctlproto.c — libFuzzer target for the control protocol's text
 * layer: any byte stream is cut into lines and each parsed as a request
 * (what ctl does with whatever arrives on the serial line), and every
 * input survives an escape and unescape round trip unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ctlproto.h"

static void check_request(const char *line, size_t len)
{
    static struct ctl_request rq;
    char err[200];
    if (ctl_parse_request(line, len, &rq, err, sizeof err) == 0) {
        uint64_t n;
        if (!ctl_valid_id(rq.id, strlen(rq.id)) || !rq.verb || !rq.verb[0] || rq.nargs > CTL_WORDS_MAX)
            abort();
        if (ctl_payload_size(&rq, &n) && n > CTL_PAYLOAD_MAX)
            abort();
    } else if (!err[0] || strlen(err) >= sizeof err || !rq.id[0] || strlen(rq.id) > CTL_ID_MAX) {
        abort();
    }
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    static char out[4 * 4096 + 1];
    size_t n = size > 4096 ? 4096 : size;
    if (ctl_escape((const char *)data, n, out, sizeof out, true) != n)
        abort();
    size_t bad;
    if (ctl_unescape(out, strlen(out), &bad) != (long)n || memcmp(out, data, n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ctl_lines lines;
    memset(&lines, 0, sizeof lines);
    for (size_t i = 0; i < size; i++) {
        const char *line;
        size_t len;
        enum ctl_feed ev = ctl_lines_feed(&lines, (char)data[i], &line, &len);
        if (ev == CTL_LINE)
            check_request(line, len);
        else if (ev == CTL_OVERLONG && len != CTL_LINE_MAX)
            abort();
    }
    check_round_trip(data, size);
    return 0;
}
