/*
 * spec.c — the container spec parser (see spec.h and docs/SPEC.md).
 */
#include <stdlib.h>
#include <string.h>
#include "spec.h"
#include "fmt.h"

#define MAX_PRIO 15                  /* below the services' priorities */


static bool seq(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* n bytes of src as a string in dst[cap]; false if they do not fit. */
static bool copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = 0;
    return true;
}

void spec_free(struct spec *s)
{
    free(s->strs);
    s->strs = NULL;
    s->strs_len = s->strs_cap = 0;
    s->nargs = s->nenv = 0;
}

/* Room for n more bytes of strings; false when out of memory. What is
 * kept is what the spec's text wrote (at most SPEC_TEXT_MAX and a NUL
 * per string), not the bounds. */
static bool reserve(struct spec *s, size_t n)
{
    if (s->strs_len + n <= s->strs_cap)
        return true;
    size_t cap = s->strs_cap ? s->strs_cap : 256;
    while (cap < s->strs_len + n)
        cap *= 2;
    if (cap > UINT32_MAX)
        return false;
    char *p = realloc(s->strs, cap);
    if (!p)
        return false;
    s->strs = p;
    s->strs_cap = (uint32_t)cap;
    return true;
}

void spec_defaults(struct spec *s)
{
    *s = (struct spec){
        .grants = SPEC_GRANT_CONSOLE | SPEC_GRANT_SELF, .mem = 16ull << 20, .threads = 8,
        .objects = 256, .prio = 10, .stack = 16 * 1024, .fs_bytes = 8ull << 20, .fs_inodes = 1024,
    };
}

static int bad(char *err, size_t errlen, const char *field, const char *value, const char *why)
{
    /* a long value is cut: the message must still say why */
    bool cut = strlen(value) > 60;
    fmt_snprintf(err, errlen, "spec: %s: '%.*s%s' %s", field, cut ? 57 : 60, value, cut ? "..." : "", why);
    return -1;
}

/* bad() with a limit in its reason: why_fmt holds one %lu. */
static int over(char *err, size_t errlen, const char *field, const char *value, const char *why_fmt, uint64_t limit)
{
    char why[96];
    fmt_snprintf(why, sizeof why, why_fmt, limit);
    return bad(err, errlen, field, value, why);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_size(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    char num[24];
    uint64_t mult = 1;
    if (n == 0 || n >= sizeof num)
        return false;
    char c = s[n - 1];
    if (c == 'K' || c == 'k') mult = 1ull << 10;
    else if (c == 'M' || c == 'm') mult = 1ull << 20;
    else if (c == 'G' || c == 'g') mult = 1ull << 30;
    if (mult > 1)
        n--;
    if (!copy(num, sizeof num, s, n) || !parse_u64(num, out) || *out > UINT64_MAX / mult)
        return false;
    *out *= mult;
    return true;
}

static bool valid_image(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* A container's name reads back as that container wherever it is shown
 * or typed: a letter first (the CLI takes a leading digit for an id, and
 * ctl's "-" means "no name"), then letters, digits, '_', '.', '-' — no
 * space, quote, control byte or escape sequence (ps's columns, the
 * operator's terminal). docker's rule, less a leading digit. */
bool spec_valid_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return false;
    return true;
}

/* Splits a comma list; calls each(item, len) for every item. */
static int each_item(const char *v, int (*each)(struct spec *, const char *, size_t, char *, size_t),
                     struct spec *s, char *err, size_t errlen)
{
    const char *p = v;
    while (*p) {
        const char *q = p;
        while (*q && *q != ',')
            q++;
        if (each(s, p, (size_t)(q - p), err, errlen))
            return -1;
        p = *q ? q + 1 : q;
    }
    return 0;
}

static int add_grant(struct spec *s, const char *g, size_t n, char *err, size_t errlen)
{
    char name[24];
    if (!copy(name, sizeof name, g, n))
        return bad(err, errlen, "grant", "?", "is too long");
    if (seq(name, "console")) s->grants |= SPEC_GRANT_CONSOLE;
    else if (seq(name, "fs")) s->grants |= SPEC_GRANT_FS;
    else if (seq(name, "net")) s->grants |= SPEC_GRANT_NET;
    else if (seq(name, "self")) s->grants |= SPEC_GRANT_SELF;
    else if (seq(name, "stdin")) s->grants |= SPEC_GRANT_STDIN;
    else if (seq(name, "none")) s->grants = 0;
    else return bad(err, errlen, "grant", name, "is not console, fs, net, self, stdin or none");
    return 0;
}

static int add_cpu(struct spec *s, const char *c, size_t n, char *err, size_t errlen)
{
    char num[8];
    uint64_t v;
    if (!copy(num, sizeof num, c, n) || !parse_u64(num, &v) || v > 63)
        return bad(err, errlen, "cpus", n < 8 ? num : "?", "must be CPU numbers 0..63, e.g. 0,1");
    s->cpus |= 1ull << v;
    return 0;
}

/* One item of ports=: [udp:|tcp:|out:]PORT or LO-HI (a bare one is UDP). */
static int add_ports(struct spec *s, const char *p, size_t n, char *err, size_t errlen)
{
    char item[24], whole[24];
    if (!copy(item, sizeof item, p, n) || !copy(whole, sizeof whole, p, n))
        return bad(err, errlen, "ports", "?", "is too long");
    char *buf = item;
    uint8_t kind = SPEC_PORTS_UDP;
    if (!strncmp(buf, "udp:", 4) || !strncmp(buf, "tcp:", 4) || !strncmp(buf, "out:", 4)) {
        kind = buf[0] == 'u' ? SPEC_PORTS_UDP : buf[0] == 't' ? SPEC_PORTS_TCP : SPEC_PORTS_OUT;
        buf += 4;
    }
    char *dash = buf;
    while (*dash && *dash != '-')
        dash++;
    uint64_t a, b;
    bool range = *dash == '-';
    *dash = 0;
    if (!parse_u64(buf, &a) || (range ? !parse_u64(dash + 1, &b) : (b = a, false)) || a == 0 || b > 65535 || a > b)
        return bad(err, errlen, "ports", whole, "must be a port or range in 1..65535 with an optional udp:, "
                   "tcp: or out: in front, e.g. 7000-7010 or tcp:80");
    if (s->nports == SPEC_MAX_PORTS)
        return bad(err, errlen, "ports", whole, "is more than 8 ranges");
    s->ports[s->nports].first = (uint16_t)a;
    s->ports[s->nports].last = (uint16_t)b;
    s->ports[s->nports].kind = kind;
    s->nports++;
    return 0;
}

/* args: words split at spaces; a word in single quotes keeps its spaces
 * ('echo hi | wc -c' is one argument), and in it \' and \\ stand for '
 * and \ (any other backslash is itself: 'printf a\n' keeps its \n). */
static int add_args(struct spec *s, const char *v, char *err, size_t errlen)
{
    const char *p = v;
    /* the words and their NULs take at most the value's bytes and one */
    if (!reserve(s, strlen(v) + 1))
        return bad(err, errlen, "args", v, "does not fit the memory the spec parser has");
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (s->nargs == SPEC_MAX_ARGS)
            return over(err, errlen, "args", v, "has more than %lu words", SPEC_MAX_ARGS);
        char *out = s->strs + s->strs_len;
        size_t n = 0;
        bool single = *p == '\'';
        if (single)
            p++;
        for (; *p && (single ? *p != '\'' : *p != ' '); p++) {
            if (single && *p == '\\' && (p[1] == '\'' || p[1] == '\\'))
                p++;
            if (n + 1 >= SPEC_STR_MAX)
                return over(err, errlen, "args", v, "has a word over %lu bytes", SPEC_STR_MAX - 1);
            out[n++] = *p;
        }
        if (single && !*p)
            return bad(err, errlen, "args", v, "has an unterminated single quote");
        out[n] = 0;
        s->arg_at[s->nargs++] = s->strs_len;
        s->strs_len += (uint32_t)n + 1;
        if (single)
            p++;
    }
    return 0;
}

static int add_env(struct spec *s, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (!strchr(v, '=') || v[0] == '=')
        return bad(err, errlen, "env", v, "must be NAME=VALUE");
    if (s->nenv == SPEC_MAX_ENV)
        return over(err, errlen, "env", v, "is more than %lu variables", SPEC_MAX_ENV);
    if (n + 1 > SPEC_STR_MAX)
        return over(err, errlen, "env", v, "is over %lu bytes", SPEC_STR_MAX - 1);
    if (!reserve(s, n + 1))
        return bad(err, errlen, "env", v, "does not fit the memory the spec parser has");
    memcpy(s->strs + s->strs_len, v, n + 1);
    s->env_at[s->nenv++] = s->strs_len;
    s->strs_len += (uint32_t)n + 1;
    return 0;
}

static int set_number(const char *field, const char *v, uint64_t lo, uint64_t hi, uint64_t *out,
                      char *err, size_t errlen)
{
    if (!parse_u64(v, out) || *out < lo || *out > hi) {
        char why[64];
        fmt_snprintf(why, sizeof why, "must be a number from %lu to %lu", lo, hi);
        return bad(err, errlen, field, v, why);
    }
    return 0;
}

/* tty=no | yes | ROWSxCOLS (docs/LINUX.md "Terminals"). */
static int set_tty(struct spec *s, const char *v, char *err, size_t errlen)
{
    const char *why = "must be no, yes or ROWSxCOLS (each 1 to 9999), e.g. 24x80";
    if (seq(v, "no")) {
        s->tty_rows = s->tty_cols = 0;
        return 0;
    }
    if (seq(v, "yes")) {
        s->tty_rows = SPEC_TTY_ROWS;
        s->tty_cols = SPEC_TTY_COLS;
        return 0;
    }
    uint64_t dim[2] = { 0, 0 };
    const char *p = v;
    for (int i = 0; i < 2; i++) {
        const char *start = p;
        while (*p >= '0' && *p <= '9' && p - start < 5)
            dim[i] = dim[i] * 10 + (uint64_t)(*p++ - '0');
        if (p == start || dim[i] < 1 || dim[i] > SPEC_TTY_MAX || (i == 0 && *p++ != 'x'))
            return bad(err, errlen, "tty", v, why);
    }
    if (*p)
        return bad(err, errlen, "tty", v, why);
    s->tty_rows = (uint16_t)dim[0];
    s->tty_cols = (uint16_t)dim[1];
    return 0;
}

static int set_field(struct spec *s, const char *key, const char *v, char *err, size_t errlen)
{
    uint64_t n;
    if (seq(key, "image")) {
        if (!valid_image(v) || !copy(s->image, SPEC_NAME_MAX, v, strlen(v)))
            return bad(err, errlen, key, v, "must be an image name (a-z 0-9 - _ .), up to 31 bytes");
        return 0;
    }
    if (seq(key, "name")) {
        if (!spec_valid_name(v))
            return bad(err, errlen, key, v, "must start with a letter, then letters, digits, _ . - (a name "
                       "reads back as its container)");
        return copy(s->name, SPEC_NAME_MAX, v, strlen(v)) ? 0 : bad(err, errlen, key, v, "is longer than 31 bytes");
    }
    if (seq(key, "args"))
        return add_args(s, v, err, errlen);
    if (seq(key, "env"))
        return add_env(s, v, err, errlen);
    if (seq(key, "grant")) {
        s->grants_given = true;
        s->grants &= SPEC_GRANT_SELF;
        return each_item(v, add_grant, s, err, errlen);
    }
    if (seq(key, "mem")) {
        if (!parse_size(v, &s->mem) || s->mem < (128u << 10) || s->mem > (64ull << 30))
            return bad(err, errlen, key, v, "must be a size from 128K to 64G, e.g. 16M");
        return 0;
    }
    if (seq(key, "stack")) {
        if (!parse_size(v, &s->stack) || s->stack < 8192 || s->stack > (64u << 20))
            return bad(err, errlen, key, v, "must be a size from 8K to 64M");
        return 0;
    }
    if (seq(key, "threads")) {
        if (set_number(key, v, 1, 4096, &n, err, errlen)) return -1;
        s->threads = (uint32_t)n;
        return 0;
    }
    if (seq(key, "objects")) {
        if (set_number(key, v, 16, 1u << 20, &n, err, errlen)) return -1;
        s->objects = (uint32_t)n;
        return 0;
    }
    if (seq(key, "prio")) {
        if (set_number(key, v, 1, MAX_PRIO, &n, err, errlen)) return -1;
        s->prio = (uint32_t)n;
        return 0;
    }
    if (seq(key, "cpus")) {
        s->cpus = 0;
        if (!v[0])
            return bad(err, errlen, key, v, "must list at least one CPU, e.g. 0,1");
        return each_item(v, add_cpu, s, err, errlen);
    }
    if (seq(key, "entrypoint")) {
        if (v[0] != '/' || !copy(s->entrypoint, SPEC_PATH_MAX, v, strlen(v)))
            return bad(err, errlen, key, v, "must be an absolute path in the image, under 128 bytes");
        return 0;
    }
    if (seq(key, "ports")) {
        s->nports = 0;
        return each_item(v, add_ports, s, err, errlen);
    }
    if (seq(key, "net.conns")) {
        if (set_number(key, v, 1, 1024, &n, err, errlen)) return -1;
        s->net_conns = (uint32_t)n;
        return 0;
    }
    if (seq(key, "fs.bytes")) {
        if (!parse_size(v, &s->fs_bytes) || s->fs_bytes > (64ull << 30))
            return bad(err, errlen, key, v, "must be a size up to 64G");
        return 0;
    }
    if (seq(key, "fs.inodes")) {
        if (set_number(key, v, 1, 1u << 24, &n, err, errlen)) return -1;
        s->fs_inodes = (uint32_t)n;
        return 0;
    }
    if (seq(key, "debug")) {
        if (seq(v, "no"))
            s->debug = SPEC_DEBUG_NO;
        else if (seq(v, "yes"))
            s->debug = SPEC_DEBUG_YES;
        else if (seq(v, "hold"))
            s->debug = SPEC_DEBUG_HOLD;
        else
            return bad(err, errlen, key, v, "must be no, yes or hold");
        return 0;
    }
    if (seq(key, "stdin")) {             /* grant=...,stdin without naming the rest (`aerie run -i`) */
        if (seq(v, "yes"))
            s->input = true;
        else if (seq(v, "no"))
            s->input = false;
        else
            return bad(err, errlen, key, v, "must be yes or no");
        return 0;
    }
    if (seq(key, "tty"))
        return set_tty(s, v, err, errlen);
    return bad(err, errlen, key, v, "is not a spec field (image name entrypoint args env grant mem stack "
               "threads objects prio cpus ports net.conns fs.bytes fs.inodes debug stdin tty)");
}

/* One word of the spec: key=value (value may be "quoted" with spaces). */
static int parse_word(struct spec *s, char *word, char *err, size_t errlen)
{
    char *eq = word;
    while (*eq && *eq != '=')
        eq++;
    if (!*eq || eq == word)
        return bad(err, errlen, "spec", word, "is not key=value");
    *eq = 0;
    return set_field(s, word, eq + 1, err, errlen);
}

/* Cuts text into words and hands each to parse_word; word is scratch of
 * at least len + 1 bytes. */
static int parse_words(const char *text, size_t len, struct spec *s, char *word, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        size_t n = 0;
        bool quoted = false;
        for (; i < len && (quoted || (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')); i++) {
            if (text[i] == 0)
                return bad(err, errlen, "spec", "\\0", "contains a NUL byte");
            if (text[i] == '"') {
                quoted = !quoted;
                continue;
            }
            /* in quotes, \" and \\ stand for " and \ (any other backslash is itself) */
            if (quoted && text[i] == '\\' && i + 1 < len && (text[i + 1] == '"' || text[i + 1] == '\\'))
                i++;
            word[n++] = text[i];             /* n <= i < len: a word is never longer than the text */
        }
        word[n] = 0;
        if (quoted)
            return bad(err, errlen, "spec", word, "has an unterminated quote");
        if (parse_word(s, word, err, errlen))
            return -1;
    }
    return 0;
}

int spec_parse(const char *text, size_t len, struct spec *s, char *err, size_t errlen)
{
    err[0] = 0;
    if (len > SPEC_TEXT_MAX) {
        char n[24];
        fmt_snprintf(n, sizeof n, "%lu bytes", (uint64_t)len);
        return over(err, errlen, "spec", n, "is longer than the %lu bytes a spec may have", SPEC_TEXT_MAX);
    }
    char *word = malloc(len + 1);
    if (!word)
        return bad(err, errlen, "spec", "", "does not fit the memory the spec parser has");
    int r = parse_words(text, len, s, word, err, errlen);
    free(word);
    if (r)
        return r;
    if (!s->image[0])
        return bad(err, errlen, "image", "", "is required");
    if (s->input)
        s->grants |= SPEC_GRANT_STDIN;
    /* ports named with no grant= at all: the user asked for a server on
     * them (docker run -p), so the default grants gain net; a grant=
     * written without net still says what it means and is refused below */
    if (s->nports && !s->grants_given)
        s->grants |= SPEC_GRANT_NET;
    if ((s->grants & SPEC_GRANT_STDIN) && !(s->grants & SPEC_GRANT_CONSOLE))
        return bad(err, errlen, "grant", "stdin", "needs console: the input comes on the console stream");
    if (s->tty_rows && !(s->grants & SPEC_GRANT_CONSOLE))
        return bad(err, errlen, "grant", "no console", "cannot go with a terminal (tty=, -t): the terminal is the console stream");
    if ((s->grants & SPEC_GRANT_NET) && s->nports == 0)
        return bad(err, errlen, "ports", "", "must name at least one port when net is granted");
    /* ports without net would be ignored: a server that cannot be reached,
     * with nothing said. Say it now. */
    if (!(s->grants & SPEC_GRANT_NET) && s->nports) {
        /* named as grant's fault: the ports are right, the grant lacks net
         * (and `aerie run --ports X` checked alone must not fail on it) */
        char have[48] = "";
        static const char *const names[] = { "console", "fs", "net", "self", "stdin" };
        for (unsigned g = 0; g < 5; g++)
            if (s->grants & (1u << g))
                fmt_snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", have[0] ? "," : "",
                             names[g]);
        return bad(err, errlen, "grant", have[0] ? have : "none", "lacks net, which the ports given need");
    }
    return 0;
}
