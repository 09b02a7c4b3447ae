/*
 * bootconf.c — the boot configuration parser (see bootconf.h). One line
 * at a time: split into words (double quotes group), then each key=value
 * checked against its rule, every error naming the line and the word.
 */
#include "bootconf.h"
#include "fmt.h"

#define LINE_MAX  512
#define WORDS_MAX 32

struct line {
    unsigned number;
    char buf[LINE_MAX];
    char *words[WORDS_MAX];
    unsigned nwords;
};

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
    dst[n] = 0;
    return true;
}

static int fail(struct line *l, char *err, size_t errlen, const char *what, const char *word)
{
    if (word)
        fmt_snprintf(err, errlen, "boot.conf line %u: %s: '%s'", l->number, what, word);
    else
        fmt_snprintf(err, errlen, "boot.conf line %u: %s", l->number, what);
    return -1;
}

/* Splits l->buf into words in place; quotes group, '#' starts a comment. */
static const char *split(struct line *l)
{
    char *p = l->buf, *out = l->buf;
    l->nwords = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            break;
        if (l->nwords == WORDS_MAX)
            return "too many words";
        l->words[l->nwords++] = out;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\r'))) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
            p++;
        }
        if (quoted)
            return "an unterminated quote";
        if (*p)
            p++;
        *out++ = 0;
    }
    return 0;
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '+'))
            return false;
    }
    return true;
}

bool bootconf_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0, mult = 1;
    size_t i = 0;
    if (len == 0)
        return false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0)
        return false;
    if (i + 1 == len) {
        char c = s[i];
        mult = c == 'K' || c == 'k' ? 1ull << 10 : c == 'M' || c == 'm' ? 1ull << 20 :
               c == 'G' || c == 'g' ? 1ull << 30 : 0;
        if (!mult)
            return false;
    } else if (i != len) {
        return false;
    }
    if (v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

static bool small_number(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (!bootconf_size(s, str_len(s), &v) || v > max)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    *out = (uint32_t)v;
    return true;
}

static int add_grants(struct bc_service *sv, struct line *l, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        const char *q = p;
        while (*q && *q != ',')
            q++;
        if (q == p)
            return fail(l, err, errlen, "an empty name in grant=", list);
        if (sv->ngrants == BC_MAX_GRANTS)
            return fail(l, err, errlen, "too many grants", list);
        char *g = sv->grants[sv->ngrants];
        size_t n = (size_t)(q - p), base = n && p[n - 1] == '?' ? n - 1 : n;   /* NAME?: optional */
        if (!copy_str(g, BC_GRANT_MAX, p, base) || !valid_name(g) || !copy_str(g, BC_GRANT_MAX, p, n))
            return fail(l, err, errlen, "a bad capability name in grant=", list);
        sv->ngrants++;
        p = *q ? q + 1 : q;
    }
    return 0;
}

static int add_args(struct bc_service *sv, struct line *l, const char *v, char *err, size_t errlen)
{
    const char *p = v;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if (q == p)
            break;
        if (sv->nargs == BC_MAX_ARGS || !copy_str(sv->args[sv->nargs], BC_ARG_MAX, p, (size_t)(q - p)))
            return fail(l, err, errlen, "args= has too many or too long words", v);
        sv->nargs++;
        p = q;
    }
    return 0;
}

static int set_mem(struct bc_service *sv, struct line *l, const char *v, char *err, size_t errlen)
{
    size_t n = str_len(v);
    if (n > 1 && v[n - 1] == '%') {
        uint64_t pct;
        if (!bootconf_size(v, n - 1, &pct) || pct == 0 || pct > 100)
            return fail(l, err, errlen, "mem= percent must be 1..100", v);
        sv->mem = pct;
        sv->mem_percent = true;
        return 0;
    }
    if (!bootconf_size(v, n, &sv->mem) || sv->mem < 64 * 1024)
        return fail(l, err, errlen, "mem= must be a size of at least 64K (e.g. 2M)", v);
    return 0;
}

static int set_key(struct bc_service *sv, struct line *l, const char *word, char *err, size_t errlen)
{
    const char *eq = word;
    while (*eq && *eq != '=')
        eq++;
    if (!*eq)
        return fail(l, err, errlen, "expected key=value", word);
    char key[16];
    if (!copy_str(key, sizeof key, word, (size_t)(eq - word)))
        return fail(l, err, errlen, "unknown key", word);
    const char *v = eq + 1;
    if (str_eq(key, "mem"))
        return set_mem(sv, l, v, err, errlen);
    if (str_eq(key, "threads"))
        return small_number(v, 1u << 24, &sv->threads) && sv->threads ? 0 :
               fail(l, err, errlen, "threads= must be 1..16777216", v);
    if (str_eq(key, "objects"))
        return small_number(v, 1u << 30, &sv->objects) && sv->objects ? 0 :
               fail(l, err, errlen, "objects= must be 1..1073741824", v);
    if (str_eq(key, "prio"))
        return small_number(v, 31, &sv->prio) && sv->prio ? 0 : fail(l, err, errlen, "prio= must be 1..31", v);
    if (str_eq(key, "cpu")) {
        uint32_t c;
        if (!small_number(v, 63, &c))
            return fail(l, err, errlen, "cpu= must be 0..63", v);
        sv->cpu = (int32_t)c;
        return 0;
    }
    if (str_eq(key, "restart")) {
        if (!str_eq(v, "yes") && !str_eq(v, "no"))
            return fail(l, err, errlen, "restart= must be yes or no", v);
        sv->restart = str_eq(v, "yes");
        return 0;
    }
    if (str_eq(key, "grant"))
        return add_grants(sv, l, v, err, errlen);
    if (str_eq(key, "serve"))
        return copy_str(sv->serve, BC_NAME_MAX, v, str_len(v)) && valid_name(v) ? 0 :
               fail(l, err, errlen, "a bad endpoint name in serve=", v);
    if (str_eq(key, "args"))
        return add_args(sv, l, v, err, errlen);
    return fail(l, err, errlen, "unknown key", key);
}

static int parse_service(struct bootconf *bc, struct line *l, char *err, size_t errlen)
{
    if (l->nwords < 3)
        return fail(l, err, errlen, "expected: service NAME PROGRAM [key=value]...", 0);
    if (bc->nservices == BC_MAX_SERVICES)
        return fail(l, err, errlen, "too many services", 0);
    struct bc_service *sv = &bc->services[bc->nservices];
    *sv = (struct bc_service){ .mem = 1 << 20, .threads = 4, .objects = 256, .cpu = -1 };
    if (!valid_name(l->words[1]) || !copy_str(sv->name, BC_NAME_MAX, l->words[1], str_len(l->words[1])))
        return fail(l, err, errlen, "a bad service name", l->words[1]);
    for (unsigned i = 0; i < bc->nservices; i++)
        if (str_eq(bc->services[i].name, sv->name))
            return fail(l, err, errlen, "a second service with this name", sv->name);
    if (!l->words[2][0])
        return fail(l, err, errlen, "the program path is empty", 0);
    if (!copy_str(sv->program, BC_PATH_MAX, l->words[2], str_len(l->words[2])))
        return fail(l, err, errlen, "the program path is too long", l->words[2]);
    for (unsigned i = 3; i < l->nwords; i++)
        if (set_key(sv, l, l->words[i], err, errlen))
            return -1;
    bc->nservices++;
    return 0;
}

/* Parses one line (already in l->buf); 0 or -1 with the message in err. */
static int parse_line(struct bootconf *bc, struct line *l, char *err, size_t errlen)
{
    const char *why = split(l);
    if (why)
        return fail(l, err, errlen, why, 0);
    if (l->nwords == 0)
        return 0;
    if (!str_eq(l->words[0], "service"))
        return fail(l, err, errlen, "expected 'service'", l->words[0]);
    return parse_service(bc, l, err, errlen);
}

int bootconf_parse(const char *text, size_t len, struct bootconf *bc, char *err, size_t errlen)
{
    struct line l = { 0 };
    size_t pos = 0, used = 0;
    int errors = 0;
    bc->nservices = 0;
    err[0] = 0;
    while (pos < len) {
        size_t n = 0;
        bool bad = false;
        l.number++;
        for (; pos < len && text[pos] != '\n'; pos++) {
            if (text[pos] == 0 || n + 1 >= LINE_MAX)
                bad = true;
            else
                l.buf[n++] = text[pos];
        }
        l.buf[n] = 0;
        pos++;
        char msg[160];
        int r = bad ? fail(&l, msg, sizeof msg, "a NUL byte, or longer than 511 bytes", 0)
                    : parse_line(bc, &l, msg, sizeof msg);
        if (r) {
            errors++;
            if (used + 1 < errlen)
                used += (size_t)fmt_snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "", msg);
            if (used >= errlen)
                used = errlen - 1;
        }
    }
    return errors;
}
