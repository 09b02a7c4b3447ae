/*
 * aerie_inspect.c — `aerie inspect ID|NAME...` (docs/CM.md): asks ctl's
 * inspect verb, whose "row KEY VALUE" lines carry everything cm knows
 * of a container, and prints them as "key: value" lines (a person's) or,
 * with --format json, as one JSON object a container (a script's: every
 * string escaped, numbers as numbers, argv, env and ports as arrays).
 * Times come as ms ago by Aerie's clock and are shown as the host's
 * dates, the way docker shows them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aerie_inspect.h"

#define ROWS_MAX 600

struct fact { char key[24]; char *value; };

static bool numeric(const char *key)
{
    static const char *const keys[] = { "id", "exit_code", "cpu", "mem_used", "mem_limit", "threads",
                                        "threads_limit", "objects", "objects_limit", "cpu_ns", "truncated" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(key, keys[i]))
            return true;
    return false;
}

/* The bytes of the UTF-8 character at p (lead byte >= 0x80), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
    if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0) || (*p == 0xf0 && p[1] < 0x90) ||
        (*p == 0xf4 && p[1] >= 0x90))
        n = 0;                                   /* overlong, a surrogate, or past U+10FFFF */
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            printf("\\n");
        else if (*p == '\t')
            printf("\\t");
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else if (*p >= 0x80 && utf8_len(p))
            p += fwrite(p, 1, utf8_len(p), stdout) - 1;   /* a whole UTF-8 character, as it is */
        else if (*p >= 0x80)
            printf("\\u%04x", *p);       /* a byte that is not UTF-8: its Latin-1 character */
        else
            putchar(*p);
    }
    putchar('"');
}

/* "2026-12-03 20:50:01 UTC" for a time ms_ago before now. */
static const char *date_of(const char *ms_ago, char *buf, size_t cap, bool iso)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t = (double)now.tv_sec + now.tv_nsec / 1e9 - strtod(ms_ago, NULL) / 1000.0;
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, cap, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, iso ? ".%03dZ" : ".%03d UTC", (int)((t - (double)secs) * 1000));
    return buf;
}

/* One byte or character of a value for a terminal: a UTF-8 character as it
 * is, but no control character (C0, DEL, C1 such as U+009B, the one-byte
 * CSI) and no byte that is not UTF-8 — those are shown as \xNN, \n, \r, \t.
 * The values are an image's and an operator's words: raw, an ESC sequence
 * would move the cursor and rewrite what inspect printed before it.
 * Returns the bytes of s it used. */
static size_t put_safe(const unsigned char *p)
{
    size_t n = *p >= 0x80 ? utf8_len(p) : 1;
    bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
    if (*p == '\n' || *p == '\r' || *p == '\t')
        printf("\\%c", *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
    else if (n == 0 || c1 || *p < 0x20 || *p == 0x7f) {
        for (size_t i = 0; i < (c1 ? 2 : 1); i++)
            printf("\\x%02x", p[i]);
        return c1 ? 2 : 1;
    } else
        fwrite(p, 1, n, stdout);
    return n ? n : 1;
}

static void put_safe_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;)
        p += put_safe(p);
}

/* A word as sh would read it back: bare when plain, else in single quotes. */
static void shell_word(const char *w)
{
    bool plain = w[0] != 0;
    for (const char *p = w; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", *p) != NULL;
    if (plain) {
        fputs(w, stdout);
        return;
    }
    putchar('\'');
    for (const unsigned char *p = (const unsigned char *)w; *p;) {
        if (*p == '\'') {
            fputs("'\\''", stdout);
            p++;
        } else {
            p += put_safe(p);
        }
    }
    putchar('\'');
}

static void print_text(const struct fact *f, int n)
{
    char d[64];
    bool args = false;
    for (int i = 0; i < n; i++) {
        const char *k = f[i].key;
        if (!strcmp(k, "arg")) {
            if (args)
                continue;
            args = true;
            printf("%-15s ", "command:");
            for (int j = i, first = 1; j < n; j++)
                if (!strcmp(f[j].key, "arg")) {
                    if (!first)
                        putchar(' ');
                    shell_word(f[j].value);
                    first = 0;
                }
            putchar('\n');
        } else if (!strcmp(k, "created_ms_ago") || !strcmp(k, "started_ms_ago") || !strcmp(k, "finished_ms_ago")) {
            char key[24];
            snprintf(key, sizeof key, "%.*s:", (int)(strlen(k) - 7), k);
            printf("%-15s %s (%.1fs ago)\n", key, date_of(f[i].value, d, sizeof d, false),
                   strtod(f[i].value, NULL) / 1000.0);
        } else {
            char key[32];
            snprintf(key, sizeof key, "%.24s:", k);
            printf("%-15s ", key);
            put_safe_text(f[i].value);                         /* one line per fact, whatever it holds */
            putchar('\n');
        }
    }
}

static void json_array(const struct fact *f, int n, const char *key, const char *as)
{
    printf(",\n  \"%s\": [", as);
    for (int j = 0, first = 1; j < n; j++)
        if (!strcmp(f[j].key, key)) {
            printf("%s", first ? "" : ", ");
            json_string(f[j].value);
            first = 0;
        }
    printf("]");
}

static void print_json(const struct fact *f, int n, bool first)
{
    char d[64];
    printf("%s{", first ? "" : ",\n");
    int emitted = 0;
    for (int i = 0; i < n; i++) {
        const char *k = f[i].key;
        if (!strcmp(k, "arg") || !strcmp(k, "env") || !strcmp(k, "port"))
            continue;
        printf("%s\n  ", emitted++ ? "," : "");
        if (!strcmp(k, "created_ms_ago") || !strcmp(k, "started_ms_ago") || !strcmp(k, "finished_ms_ago")) {
            printf("\"%.*s\": ", (int)(strlen(k) - 7), k);
            json_string(date_of(f[i].value, d, sizeof d, true));
            printf(",\n  \"%s\": %s", k, f[i].value);
            continue;
        }
        json_string(k);
        printf(": ");
        if (numeric(k) && f[i].value[0] && strspn(f[i].value, "0123456789") == strlen(f[i].value))
            printf("%s", f[i].value);
        else
            json_string(f[i].value);
    }
    json_array(f, n, "arg", "args");
    json_array(f, n, "env", "env");
    json_array(f, n, "port", "ports");
    printf("\n}");
}

bool inspect_print(struct conn *c, uint64_t cid, bool json, bool first)
{
    static struct fact facts[ROWS_MAX];
    char id[CTL_ID_MAX + 1], num[24];
    const char *w[1] = { num };
    struct ctl_reply r;
    int n = 0;
    snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
    conn_send(c, id, "inspect", w, 1);
    for (conn_expect(c, id, &r); !strcmp(r.kind, "row"); conn_expect(c, id, &r)) {
        char *sp = strchr(r.rest, ' ');
        if (!sp || n == ROWS_MAX)
            continue;
        *sp = 0;
        size_t bad, len = strlen(sp + 1);
        long m = ctl_unescape(sp + 1, len, &bad);
        snprintf(facts[n].key, sizeof facts[n].key, "%s", r.rest);
        facts[n].value = strndup(sp + 1, m < 0 ? 0 : (size_t)m);
        if (facts[n].value && !strcmp(facts[n].value, "-") && !strcmp(facts[n].key, "name"))
            facts[n].value[0] = 0;                       /* ctl's word for "none" */
        if (facts[n].value)
            n++;
    }
    if (strcmp(r.kind, "ok")) {
        size_t bad;
        long m = ctl_unescape(r.rest, strlen(r.rest), &bad);
        r.rest[m < 0 ? 0 : m] = 0;
        fprintf(stderr, "aerie: inspect: %s\n", r.rest);
        return false;
    }
    if (json)
        print_json(facts, n, first);
    else
        print_text(facts, n);
    for (int i = 0; i < n; i++)
        free(facts[i].value);
    return true;
}
