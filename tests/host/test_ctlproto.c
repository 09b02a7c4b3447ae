/*
 * test_ctlproto.c — the control protocol's text layer (services/ctl/
 * ctlproto.c): lines cut from a byte stream, requests split and refused
 * with a message, replies split, and escapes that carry every byte.
 */
#include <stdio.h>
#include <string.h>
#include "ctlproto.h"
#include "ktest_host.h"

static struct ctl_lines lines;
static struct ctl_request rq;
static char err[200];

/* Feeds s; returns the number of events of kind ev, the last in out. */
static int feed(const char *s, size_t n, enum ctl_feed ev, char *out, size_t cap)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *line;
        size_t len;
        if (ctl_lines_feed(&lines, s[i], &line, &len) != ev)
            continue;
        count++;
        snprintf(out, cap, "%.*s", (int)len, line);
    }
    return count;
}

static void ctl_lines_cut_at_newline_strip_cr(void)
{
    char out[64];
    memset(&lines, 0, sizeof lines);
    CHECK_EQ(feed("1 ps\r\n2 ima", 11, CTL_LINE, out, sizeof out), 1);
    CHECK(!strcmp(out, "1 ps"));
    CHECK_EQ(feed("ges\n", 4, CTL_LINE, out, sizeof out), 1);
    CHECK(!strcmp(out, "2 images"));
    CHECK_EQ(feed("\n", 1, CTL_LINE, out, sizeof out), 1);
    CHECK(!strcmp(out, ""));
}

static void ctl_lines_overlong_reported_once(void)
{
    static char big[3 * CTL_LINE_MAX];
    char out[CTL_LINE_MAX + 1];
    memset(&lines, 0, sizeof lines);
    memset(big, 'a', sizeof big);
    memcpy(big, "7 run ", 6);
    big[sizeof big - 1] = '\n';
    CHECK_EQ(feed(big, sizeof big, CTL_OVERLONG, out, sizeof out), 1);
    CHECK_EQ(strlen(out), CTL_LINE_MAX);
    char id[CTL_ID_MAX + 1];
    ctl_line_id(out, strlen(out), id);
    CHECK(!strcmp(id, "7"));
    CHECK_EQ(feed("8 ps\n", 5, CTL_LINE, out, sizeof out), 1);   /* the next line is whole again */
    CHECK(!strcmp(out, "8 ps"));
    memset(big, 'b', CTL_LINE_MAX);                               /* exactly the limit is fine */
    big[CTL_LINE_MAX] = '\n';
    CHECK_EQ(feed(big, CTL_LINE_MAX + 1, CTL_LINE, out, sizeof out), 1);
}

static int parse(const char *s)
{
    return ctl_parse_request(s, strlen(s), &rq, err, sizeof err);
}

static void ctl_request_words_and_escapes(void)
{
    CHECK_EQ(parse("a-1.x run  image=hello env=GREETING=hi\\sthere args=\\\\x\\x41"), 0);
    CHECK(!strcmp(rq.id, "a-1.x"));
    CHECK(!strcmp(rq.verb, "run"));
    CHECK_EQ(rq.nargs, 3);
    CHECK(!strcmp(rq.args[1], "env=GREETING=hi there"));
    CHECK(!strcmp(rq.args[2], "args=\\xA"));
    CHECK_EQ(parse("9 ps"), 0);
    CHECK_EQ(rq.nargs, 0);
    CHECK_EQ(parse("  9   kill   3  "), 0);
    CHECK(!strcmp(rq.id, "9") && rq.nargs == 1 && !strcmp(rq.args[0], "3"));
}

static void refused(const char *line, size_t len, const char *id, const char *needle)
{
    int r = ctl_parse_request(line, len, &rq, err, sizeof err);
    if (r == 0 || !strstr(err, needle) || strcmp(rq.id, id))
        printf("  '%.*s' -> %d id '%s' '%s' (expected id '%s', '%s')\n", (int)len, line, r, rq.id, err, id, needle);
    CHECK(r != 0 && strstr(err, needle) && !strcmp(rq.id, id));
}

static void ctl_request_mistakes_refused(void)
{
    refused("", 0, "-", "a request is 'ID VERB");
    refused("bad/id ps", 9, "-", "a request is 'ID VERB");
    refused("12345678901234567 ps", 20, "-", "a request is");
    refused("5", 1, "5", "no verb");
    refused("5 ps \x01", 6, "5", "byte 0x01 at column 6");
    refused("5 ps \xff", 6, "5", "byte 0xff at column 6");
    refused("5 p\0s", 5, "5", "byte 0x00 at column 4");
    refused("5 ps\t", 5, "5", "byte 0x09");
    refused("5 run x\\q", 9, "5", "word 1 has a bad escape at '\\q'");
    refused("5 run x\\x4", 10, "5", "bad escape");
    refused("5 run a \\x00", 12, "5", "word 2 contains \\x00");
    char many[400] = "5 run";
    for (int i = 0; i < CTL_WORDS_MAX + 1; i++)
        strcat(many, " w");
    refused(many, strlen(many), "5", "more than 48 words");
}

static void ctl_escape_carries_every_byte(void)
{
    char in[256], out[1100];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    CHECK_EQ(ctl_escape(in, 256, out, sizeof out, true), 256);
    CHECK(strchr(out, ' ') == NULL);
    for (size_t i = 0; out[i]; i++)
        CHECK(out[i] >= 0x21 && out[i] <= 0x7e);
    size_t bad;
    CHECK_EQ(ctl_unescape(out, strlen(out), &bad), 256);
    CHECK(!memcmp(out, in, 256));
    CHECK_EQ(ctl_escape("a b", 3, out, sizeof out, false), 3);
    CHECK(!strcmp(out, "a b"));
}

static void ctl_escape_never_cuts_an_escape(void)
{
    char out[6];
    CHECK_EQ(ctl_escape("ab\x01z", 4, out, sizeof out, false), 2);   /* \x01 needs 4 more */
    CHECK(!strcmp(out, "ab"));
    CHECK_EQ(ctl_escape("abcdefg", 7, out, sizeof out, false), 5);
    CHECK_EQ(ctl_escape("x", 1, out, 0, false), 0);
}

/* Whether raw bytes follow: put's and import's SIZE, decimal, bounded;
 * anything else carries none (both ends must agree on this). */
static bool payload_of(const char *line, uint64_t *size)
{
    *size = 12345;
    return ctl_parse_request(line, strlen(line), &rq, err, sizeof err) == 0 && ctl_payload_size(&rq, size);
}

static void ctl_payload_only_put_import_and_input(void)
{
    uint64_t n;
    CHECK(payload_of("1 put 3 /a 4096 644", &n) && n == 4096);
    CHECK(payload_of("1 import img 0", &n) && n == 0);
    CHECK(payload_of("1 import img 1099511627776", &n) && n == 1ull << 40);
    CHECK(!payload_of("1 import img 1099511627777", &n));      /* over CTL_PAYLOAD_MAX */
    CHECK(!payload_of("1 import img 99999999999999999999", &n));
    CHECK(!payload_of("1 put 3 /a -1 644", &n));
    CHECK(!payload_of("1 put 3 /a 12x 644", &n));
    CHECK(!payload_of("1 put 3 /a 10", &n));                   /* no MODE: no payload */
    CHECK(!payload_of("1 get 3 /a", &n));
    CHECK(!payload_of("1 ps 10", &n));
    CHECK(!payload_of("1 input 3 eof", &n));                  /* the end: no payload */
    CHECK(!payload_of("1 input 3", &n));
    CHECK_EQ(n, 12345);                                        /* untouched when false */
    CHECK(payload_of("1 input 3 4096", &n) && n == 4096);      /* stdin for run -i */
    CHECK(payload_of("1 input 3 0", &n) && n == 0);
    CHECK(payload_of("1 runspec 70000", &n) && n == 70000);   /* a long spec (ctl bounds it) */
    CHECK(payload_of("1 createspec 11", &n) && n == 11);
    CHECK(!payload_of("1 runspec", &n));
    CHECK(!payload_of("1 runspec 11 12", &n));
    CHECK(!payload_of("1 run image=hello", &n));
}

static void ctl_reply_split(void)
{
    char line[] = "a7 err no such container 3";
    struct ctl_reply r;
    CHECK_EQ(ctl_split_reply(line, &r), 0);
    CHECK(!strcmp(r.id, "a7") && !strcmp(r.kind, "err") && !strcmp(r.rest, "no such container 3"));
    char bare[] = "a8 ok";
    CHECK_EQ(ctl_split_reply(bare, &r), 0);
    CHECK(!strcmp(r.kind, "ok") && !strcmp(r.rest, ""));
    char lone[] = "a9";
    CHECK(ctl_split_reply(lone, &r) != 0);
}

int main(void)
{
    RUN(ctl_lines_cut_at_newline_strip_cr);
    RUN(ctl_lines_overlong_reported_once);
    RUN(ctl_request_words_and_escapes);
    RUN(ctl_request_mistakes_refused);
    RUN(ctl_escape_carries_every_byte);
    RUN(ctl_escape_never_cuts_an_escape);
    RUN(ctl_reply_split);
    RUN(ctl_payload_only_put_import_and_input);
    return TESTS_DONE();
}
