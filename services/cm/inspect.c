/*
 * inspect.c — CM_INSPECT (`aerie inspect`): what cm knows of a container
 * beyond its state and counters — when it was made, started and ended,
 * its grants, its ports, and the argv and environment its program was
 * started with. The argv and environment are not otherwise kept once the
 * program has them (they live in its stack), so a bounded copy is made
 * at creation; a long `sh -c` script is cut at CM_INSPECT_KEEP bytes and
 * the reply says how much was left out, rather than cm's heap growing
 * with every container's spec.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <aerie/errors.h>
#include <libaerie/server.h>
#include "cm.h"

/* What is kept: "arg X\0arg Y\0env Z\0" (len bytes), and how many bytes of
 * records past CM_INSPECT_KEEP were not. Apart from struct container,
 * which stays in malloc's 512-byte class (cm.h). */
struct cm_about {
    uint32_t len, lost;
    char text[];
};

/* Appends "KEY VALUE\0" to buf if it fits whole; else counts it lost. */
static void add(char *buf, uint32_t *len, uint32_t *lost, const char *key, const char *value)
{
    size_t k = strlen(key), v = strlen(value), n = k + 1 + v + 1;
    if (*lost || *len + n > CM_INSPECT_KEEP) {
        *lost += (uint32_t)n;                 /* records stay whole: none is cut in the middle */
        return;
    }
    memcpy(buf + *len, key, k);
    buf[*len + k] = ' ';
    memcpy(buf + *len + k + 1, value, v + 1);
    *len += (uint32_t)n;
}

void cm_about_keep(struct container *c, const char *const *argv, const char *const *envp)
{
    static __thread char buf[CM_INSPECT_KEEP];
    uint32_t len = 0, lost = 0;
    for (unsigned i = 0; argv && argv[i]; i++)
        add(buf, &len, &lost, "arg", argv[i]);
    for (unsigned i = 0; envp && envp[i]; i++)
        add(buf, &len, &lost, "env", envp[i]);
    cm_about_free(c);
    c->about = malloc(sizeof *c->about + len);   /* none: inspect shows no args (out of memory) */
    if (c->about) {
        c->about->len = len;
        c->about->lost = lost;
        memcpy(c->about->text, buf, len);
    }
}

void cm_about_copy(struct container *to, const struct container *from)
{
    size_t n = from->about ? sizeof *from->about + from->about->len : 0;
    to->about = n ? malloc(n) : NULL;
    if (to->about)
        memcpy(to->about, from->about, n);
}

void cm_about_free(struct container *c)
{
    free(c->about);
    c->about = NULL;
}

/* The whole text: grants and ports as they are now, then what was kept. */
static uint32_t inspect_text(const struct container *c, char *out, size_t cap)
{
    uint32_t len = 0, lost = 0;
    char port[32], n[24];
    if (c->slot_names[0])
        add(out, &len, &lost, "grants", c->slot_names);
    for (unsigned i = 0; cm_port_nth(c, i, port, sizeof port); i++)
        add(out, &len, &lost, "port", port);
    uint32_t kept = c->about ? c->about->len : 0;
    if (len + kept <= cap) {
        memcpy(out + len, c->about->text, kept);
        len += kept;
    } else {
        lost += kept;
    }
    lost += c->about ? c->about->lost : 0;
    if (lost) {
        snprintf(n, sizeof n, "%u", lost);
        if (len + 10 + strlen(n) + 1 <= cap) {
            memcpy(out + len, "truncated ", 10);
            memcpy(out + len + 10, n, strlen(n) + 1);
            len += 10 + (uint32_t)strlen(n) + 1;
        }
    }
    return len;
}

int cm_inspect_op(struct container *c, struct ae_request *rq)
{
    static __thread char text[CM_INSPECT_KEEP + 512];   /* + grants, ports, the truncation record */
    uint32_t len = inspect_text(c, text, sizeof text);
    uint64_t off = rq->nwords > 1 ? rq->w[1] : 0;
    if (off > len)
        return AE_ERANGE;
    uint64_t n = len - off < CM_INSPECT_CHUNK ? len - off : CM_INSPECT_CHUNK;
    rq->reply[1] = c->created_ns;
    rq->reply[2] = c->started_ns;
    rq->reply[3] = c->ended_ns;
    rq->reply[4] = cm_now_ns();
    rq->reply[5] = len;
    rq->reply[6] = n;
    memcpy(&rq->reply[7], text + off, n);
    rq->reply[0] = 0;
    rq->nreply = 7 + (unsigned)((n + 7) / 8);
    return 0;
}
