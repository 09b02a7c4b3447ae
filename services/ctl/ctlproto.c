/*
 * ctlproto.c — the control protocol's text layer (see ctlproto.h): line
 * assembly, request splitting, reply splitting and escapes. Every input
 * is untrusted: bytes arrive from the host over a serial line.
 */
#include <stdio.h>
#include <string.h>
#include "ctlproto.h"

/* ---- lines ---- */

enum ctl_feed ctl_lines_feed(struct ctl_lines *l, char c, const char **line, size_t *len)
{
    if (c == '\n') {
        enum ctl_feed ev = l->overlong ? CTL_OVERLONG : CTL_LINE;
        size_t n = l->len;
        if (ev == CTL_LINE && n && l->buf[n - 1] == '\r')
            n--;
        *line = l->buf;
        *len = n;
        l->len = 0;
        l->overlong = false;
        return ev;
    }
    if (l->len == CTL_LINE_MAX)
        l->overlong = true;      /* keep the start (it names the id), drop the rest */
    else
        l->buf[l->len++] = c;
    return CTL_MORE;
}

/* ---- requests ---- */

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

bool ctl_valid_id(const char *s, size_t len)
{
    if (len == 0 || len > CTL_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!id_char(s[i]))
            return false;
    return true;
}

void ctl_line_id(const char *line, size_t len, char *id)
{
    size_t start = 0, n = 0;
    while (start < len && line[start] == ' ')
        start++;
    while (start + n < len && line[start + n] != ' ')
        n++;
    if (!ctl_valid_id(line + start, n)) {
        strcpy(id, "-");
        return;
    }
    memcpy(id, line + start, n);
    id[n] = 0;
}

/* The first byte that may not appear in a request line, or len. */
static size_t first_unprintable(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && line[i] >= 0x20 && line[i] <= 0x7e)
        i++;
    return i;
}

/* Splits buf in place at spaces into words (at most max); returns the
 * count, or max + 1 if there are more. */
static unsigned split_words(char *buf, char **words, unsigned max)
{
    unsigned n = 0;
    char *p = buf;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return max + 1;
        words[n++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = 0;
    }
}

static int unescape_word(char *w, unsigned index, char *err, size_t errlen)
{
    size_t len = strlen(w), bad;
    long n = ctl_unescape(w, len, &bad);
    if (n < 0) {
        snprintf(err, errlen, "word %u has a bad escape at '%.8s' (use \\\\ \\s \\n \\t \\r or \\xHH)",
                 index, w + bad);
        return -1;
    }
    if (strlen(w) != (size_t)n) {
        snprintf(err, errlen, "word %u contains \\x00, which no argument may hold", index);
        return -1;
    }
    return 0;
}

int ctl_parse_request(const char *line, size_t len, struct ctl_request *rq, char *err, size_t errlen)
{
    char *words[CTL_WORDS_MAX + 2];
    ctl_line_id(line, len, rq->id);
    rq->verb = 0;
    rq->nargs = 0;
    size_t bad = first_unprintable(line, len);
    if (bad < len) {
        snprintf(err, errlen, "byte 0x%02x at column %zu is not printable ASCII (escape bytes as \\xHH)",
                 (unsigned char)line[bad], bad + 1);
        return -1;
    }
    if (len > CTL_LINE_MAX)
        len = CTL_LINE_MAX;
    memcpy(rq->buf, line, len);
    rq->buf[len] = 0;
    unsigned n = split_words(rq->buf, words, CTL_WORDS_MAX + 2);
    if (n == 0 || !ctl_valid_id(words[0], strlen(words[0]))) {
        snprintf(err, errlen, "a request is 'ID VERB [ARGS]', with an ID of 1 to %d of A-Z a-z 0-9 . _ -",
                 CTL_ID_MAX);
        return -1;
    }
    if (n < 2) {
        snprintf(err, errlen, "no verb after the id (try 'help')");
        return -1;
    }
    if (n > CTL_WORDS_MAX + 2) {
        snprintf(err, errlen, "more than %d words after the verb", CTL_WORDS_MAX);
        return -1;
    }
    rq->verb = words[1];
    for (unsigned i = 2; i < n; i++) {
        if (unescape_word(words[i], i - 1, err, errlen))
            return -1;
        rq->args[rq->nargs++] = words[i];
    }
    return 0;
}

bool ctl_payload_size(const struct ctl_request *rq, uint64_t *size)
{
    unsigned at;
    if (!rq->verb)
        return false;
    if (!strcmp(rq->verb, "put") && rq->nargs == 4)
        at = 2;
    else if (!strcmp(rq->verb, "import") && rq->nargs == 2)
        at = 1;
    else if (!strcmp(rq->verb, "input") && rq->nargs == 2)
        at = 1;
    else if ((!strcmp(rq->verb, "runspec") || !strcmp(rq->verb, "createspec")) && rq->nargs == 1)
        at = 0;
    else
        return false;
    const char *p = rq->args[at];
    uint64_t v = 0;
    if (!*p || strlen(p) > 13)
        return false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > CTL_PAYLOAD_MAX)
        return false;
    *size = v;
    return true;
}

/* ---- replies ---- */

/* Cuts the word at *p off (NUL after it) and moves *p past it. */
static char *next_word(char **p)
{
    char *w = *p;
    while (**p && **p != ' ')
        (*p)++;
    if (**p)
        *(*p)++ = 0;
    return w;
}

int ctl_split_reply(char *line, struct ctl_reply *r)
{
    char *p = line;
    r->id = next_word(&p);
    r->kind = next_word(&p);
    r->rest = p;
    return r->id[0] && r->kind[0] ? 0 : -1;
}

/* ---- escapes ---- */

static const char hexdigits[] = "0123456789abcdef";

/* The escape for byte c into e (at most 4 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char *e, bool words)
{
    const char *named = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" :
                        c == ' ' && words ? "\\s" : 0;
    if (named) {
        memcpy(e, named, 2);
        return 2;
    }
    if (c >= 0x20 && c <= 0x7e) {
        e[0] = (char)c;
        return 1;
    }
    e[0] = '\\';
    e[1] = 'x';
    e[2] = hexdigits[c >> 4];
    e[3] = hexdigits[c & 15];
    return 4;
}

size_t ctl_escape(const char *in, size_t n, char *out, size_t cap, bool words)
{
    size_t o = 0, i = 0;
    if (cap == 0)
        return 0;
    for (; i < n; i++) {
        char e[4];
        size_t k = escape_byte((unsigned char)in[i], e, words);
        if (o + k >= cap)
            break;
        memcpy(out + o, e, k);
        o += k;
    }
    out[o] = 0;
    return i;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the escape at s[i] (a backslash); returns the byte or -1, and
 * how many bytes the escape took in *k. */
static int decode_escape(const char *s, size_t len, size_t i, size_t *k)
{
    *k = 2;
    if (i + 1 >= len)
        return -1;
    switch (s[i + 1]) {
    case '\\': return '\\';
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 's': return ' ';
    case 'x':
        *k = 4;
        if (i + 3 >= len || hexval(s[i + 2]) < 0 || hexval(s[i + 3]) < 0)
            return -1;
        return hexval(s[i + 2]) * 16 + hexval(s[i + 3]);
    default: return -1;
    }
}

long ctl_unescape(char *s, size_t len, size_t *bad)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '\\') {
            s[o++] = s[i++];
            continue;
        }
        size_t k;
        int c = decode_escape(s, len, i, &k);
        if (c < 0) {
            *bad = i;
            return -1;
        }
        s[o++] = (char)c;
        i += k;
    }
    s[o] = 0;
    return (long)o;
}
