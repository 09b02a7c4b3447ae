/*
 * ctlproto.h — the control protocol's text layer (docs/CM.md, "Control
 * protocol"): cutting a byte stream into lines, splitting a request line
 * into its id, verb and words, and the escapes that let any byte travel
 * as printable ASCII. Pure C with no system calls: ctl uses it in the
 * guest, the aerie CLI on the host, and it is unit-tested and fuzzed.
 */
#ifndef AERIE_CTLPROTO_H
#define AERIE_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_PROTO_VERSION 2
#define CTL_LINE_MAX      1024   /* bytes of a request line, without its newline */
#define CTL_ID_MAX        16     /* bytes of a request id */
#define CTL_WORDS_MAX     48     /* words after the verb */
#define CTL_CHUNK_MAX     256    /* raw bytes in one "out" reply (at most 4x that escaped) */
#define CTL_PAYLOAD_MAX   (1ull << 40)   /* raw bytes one request may carry */

/* ---- lines ---- */

struct ctl_lines {
    char buf[CTL_LINE_MAX];
    size_t len;
    bool overlong;               /* this line passed CTL_LINE_MAX: the rest is dropped */
};

enum ctl_feed {
    CTL_MORE,                    /* no whole line yet */
    CTL_LINE,                    /* *line, *len: a line, its "\n" (and a "\r" before it) removed */
    CTL_OVERLONG,                /* a line longer than CTL_LINE_MAX ended; *line holds its start */
};

/* Feeds one byte. The line reported stays valid until the next call. */
enum ctl_feed ctl_lines_feed(struct ctl_lines *l, char c, const char **line, size_t *len);

/* ---- requests: "ID VERB [WORD]..." ---- */

struct ctl_request {
    char id[CTL_ID_MAX + 1];     /* "-" when the line has no valid id */
    const char *verb;
    char *args[CTL_WORDS_MAX];   /* unescaped, NUL-terminated, without NUL inside */
    unsigned nargs;
    char buf[CTL_LINE_MAX + 1];
};

/* Parses one line. Returns 0, or -1 with what is wrong in err; rq->id is
 * set whenever the line begins with a valid id, so the error can be
 * answered under it. */
int ctl_parse_request(const char *line, size_t len, struct ctl_request *rq, char *err, size_t errlen);

/* Copies the id the line begins with into id (CTL_ID_MAX + 1 bytes), or
 * "-" if it does not begin with a valid one. */
void ctl_line_id(const char *line, size_t len, char *id);

bool ctl_valid_id(const char *s, size_t len);

/* Whether raw bytes follow the request line, and how many: the SIZE of
 * "put CID PATH SIZE MODE", "import NAME SIZE", "input CID SIZE",
 * "runspec SIZE" and "createspec SIZE", when it is a
 * decimal number of at most CTL_PAYLOAD_MAX. Both ends of a channel (ctl
 * and the engine) decide with this one function, so they agree where a
 * payload ends whatever else is wrong with the request. */
bool ctl_payload_size(const struct ctl_request *rq, uint64_t *size);

/* ---- replies: "ID KIND [REST]" ---- */

struct ctl_reply {
    const char *id, *kind;       /* NUL-terminated, inside the line */
    char *rest;                  /* what follows the kind ("" if nothing) */
};

/* Splits a reply line in place; -1 if it has no id and kind. */
int ctl_split_reply(char *line, struct ctl_reply *r);

/* ---- escapes ---- */

/* Escapes n bytes of in into out (NUL-terminated, at most cap bytes with
 * the NUL): "\\" for a backslash, \n \t \r, \xHH for any other byte
 * outside 0x20..0x7e, and \s for a space when words is true (inside a
 * request word; in free text a space stays a space). Returns how many
 * input bytes it consumed: all unless out filled up, and never half an
 * escape. */
size_t ctl_escape(const char *in, size_t n, char *out, size_t cap, bool words);

/* Undoes ctl_escape in place on s[0..len); s[len] must be writable, as
 * the result is NUL-terminated. Returns the new length (the result may
 * hold NUL bytes), or -1 with *bad the offset of a malformed escape. */
long ctl_unescape(char *s, size_t len, size_t *bad);

#endif
