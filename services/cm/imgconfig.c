/*
 * imgconfig.c — the config text of an imported image (imgconfig.h). The
 * text comes from an archive the host sent: every line is checked, and
 * a mistake is reported with its line number.
 */
#include <stdio.h>
#include <string.h>
#include "imgconfig.h"

/* Copies value[0..len) into dst (IMGCFG_STR bytes); false if too long or
 * it holds a NUL. */
static bool take(char *dst, const char *value, size_t len)
{
    if (len >= IMGCFG_STR || memchr(value, 0, len))
        return false;
    memcpy(dst, value, len);
    dst[len] = 0;
    return true;
}

static bool digits(const char *v, size_t len, uint64_t *out)
{
    uint64_t n = 0;
    if (!len || len > 19)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return true;
}

/* One "key=value" line. Returns NULL or what is wrong with it. */
static const char *line(struct imgcfg *c, const char *p, size_t len)
{
    const char *eq = memchr(p, '=', len);
    if (!eq)
        return "not key=value";
    size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
    const char *v = eq + 1;
    if (klen == 10 && !memcmp(p, "entrypoint", 10)) {
        if (c->nentry == IMGCFG_WORDS)
            return "more than 16 entrypoint words";
        return take(c->entry[c->nentry++], v, vlen) ? NULL : "an entrypoint word longer than 127 bytes";
    }
    if (klen == 3 && !memcmp(p, "cmd", 3)) {
        if (c->ncmd == IMGCFG_WORDS)
            return "more than 16 cmd words";
        return take(c->cmd[c->ncmd++], v, vlen) ? NULL : "a cmd word longer than 127 bytes";
    }
    if (klen == 3 && !memcmp(p, "env", 3)) {
        if (c->nenv == IMGCFG_WORDS)
            return "more than 16 env entries";
        if (!memchr(v, '=', vlen) || vlen == 0 || v[0] == '=')
            return "env is not NAME=VALUE";
        return take(c->env[c->nenv++], v, vlen) ? NULL : "an env entry longer than 127 bytes";
    }
    if (klen == 7 && !memcmp(p, "workdir", 7)) {
        if (!vlen || v[0] != '/')
            return "workdir is not an absolute path";
        return take(c->workdir, v, vlen) ? NULL : "workdir longer than 127 bytes";
    }
    if (klen == 8 && !memcmp(p, "imported", 8))
        return digits(v, vlen, &c->imported) ? NULL : "imported is not a number of seconds";
    return "unknown key";
}

int imgcfg_parse(const char *text, size_t len, struct imgcfg *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    unsigned lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        lineno++;
        const char *why = n ? line(c, text + at, n) : NULL;
        if (why) {
            snprintf(err, errlen, "config line %u: %s", lineno, why);
            return -1;
        }
        at += n + 1;
    }
    const char *prog = imgcfg_program(c);
    if (!prog[0]) {
        snprintf(err, errlen, "config: it names no program (no entrypoint, no cmd)");
        return -1;
    }
    return 0;
}

const char *imgcfg_program(const struct imgcfg *c)
{
    return c->nentry ? c->entry[0] : c->ncmd ? c->cmd[0] : "";
}
