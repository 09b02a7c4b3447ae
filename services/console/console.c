/*
 * console.c — the console service (aerie/proto/console.h). Each client
 * is a stream named by the badge of its capability: the service keeps the
 * last bytes of every stream for `aerie logs`, and prints whole lines on
 * the kernel console, each behind the stream's name.
 *
 * Who pays for a log. A stream the container manager opens for a
 * container (CON_OPEN) keeps its log in a Memory object cm made from the
 * container's own quota; the console never maps it, it reads and writes
 * it with the kernel's Memory READ/WRITE, so the container pays for its
 * log and the console holds only a small fixed record for it (log.c).
 * Streams of root's services, made on first write, keep their log in the
 * console's own memory; there are few, and past MAX_HEAP_STREAMS the
 * least recently written of them is dropped, so no flood of clients can
 * exhaust the service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/proto/console.h>
#include <aerie/errors.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include <libaerie/invoke.h>
#include <libaerie/syscall.h>
#include "console.h"

#define MAX_HEAP_STREAMS 128

static unsigned bucket(uint64_t badge) { return (unsigned)((badge * 0x9E3779B97F4A7C15ull) >> 56) % BUCKETS; }

struct stream *stream_find(struct console *c, uint64_t badge)
{
    for (struct stream *s = c->buckets[bucket(badge)]; s; s = s->hnext)
        if (s->badge == badge)
            return s;
    return 0;
}

static void lru_unlink(struct console *c, struct stream *s)
{
    if (s->newer) s->newer->older = s->older; else c->newest = s->older;
    if (s->older) s->older->newer = s->newer; else c->oldest = s->newer;
    s->newer = s->older = 0;
}

static void lru_front(struct console *c, struct stream *s)
{
    s->older = c->newest;
    s->newer = 0;
    if (c->newest) c->newest->newer = s;
    c->newest = s;
    if (!c->oldest) c->oldest = s;
}

static void drop(struct console *c, struct stream *s)
{
    struct stream **pp = &c->buckets[bucket(s->badge)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    con_in_free(c, s);
    if (s->mem) {
        ae_cap_delete(s->mem);
        ae_slot_free(s->mem);
        c->nopened--;
    } else {
        lru_unlink(c, s);
        c->nheap--;
    }
    free(s->heap_log);
    free(s);
}

/* A new stream record, linked in; its log is set up by the caller. */
static struct stream *add(struct console *c, uint64_t badge)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    s->badge = badge;
    snprintf(s->name, sizeof s->name, "#%lu", badge);
    s->hnext = c->buckets[bucket(badge)];
    c->buckets[bucket(badge)] = s;
    return s;
}

/* The stream of a root-granted client, made on its first write. */
static struct stream *get_heap_stream(struct console *c, uint64_t badge)
{
    struct stream *s = stream_find(c, badge);
    if (s)
        return s;
    if (c->nheap == MAX_HEAP_STREAMS)
        drop(c, c->oldest);
    char *log = malloc(CON_LOG_BYTES);
    if (!log || !(s = add(c, badge))) {
        free(log);
        return 0;
    }
    s->heap_log = log;
    s->log_bytes = CON_LOG_BYTES;
    lru_front(c, s);
    c->nheap++;
    return s;
}

/* Prints the line that ends at stream position end (its bytes are the
 * ring's last linelen before end). */
static void print_line(struct console *c, struct stream *s, uint64_t end)
{
    char line[PRINT_LINE_MAX], out[PRINT_LINE_MAX + CON_NAME_MAX + 8];
    unsigned n = s->linelen;
    if (log_get(s, end - n, line, n) < 0)
        n = 0;
    for (unsigned i = 0; i < n; i++)
        if (line[i] < ' ' && line[i] != '\t')
            line[i] = '?';                   /* no escapes, no faked prefixes */
    int len = snprintf(out, sizeof out, "[%s] %.*s\n", s->name, (int)n, line);
    ae_kdebug_write(c->kdebug, out, (uint64_t)len < sizeof out ? (uint64_t)len : sizeof out - 1);
    s->linelen = 0;
}

static void append(struct console *c, struct stream *s, const char *p, size_t n)
{
    if (log_put(s, s->total, p, n) < 0 || log_put_total(s, s->total + n) < 0)
        return;                              /* its memory is gone: the write is lost */
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            print_line(c, s, s->total + i);
            continue;
        }
        if (++s->linelen == PRINT_LINE_MAX)
            print_line(c, s, s->total + i + 1);
    }
    s->total += n;
    if (!s->mem) {
        lru_unlink(c, s);
        lru_front(c, s);
    }
}

static int con_write(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[0];
    if (len > CON_CHUNK || len > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EPROTO;
    char buf[CON_CHUNK];
    memcpy(buf, &rq->w[1], len);
    struct stream *s = stream_find(c, rq->badge);
    if (!s && !(s = get_heap_stream(c, rq->badge)))
        return AE_ENOMEM;
    append(c, s, buf, len);
    return 0;
}

static void set_name(struct stream *s, const uint64_t *words, uint64_t len)
{
    memcpy(s->name, words, len);
    s->name[len] = 0;
    for (uint64_t i = 0; i < len; i++)
        if (s->name[i] < ' ' || s->name[i] == ']')
            s->name[i] = '?';
}

static int con_name(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[1];
    if (len > CON_NAME_MAX || len > (uint64_t)(rq->nwords - 2) * 8)
        return AE_EINVAL;
    struct stream *s = stream_find(c, rq->w[0]);
    if (!s && !(s = get_heap_stream(c, rq->w[0])))
        return AE_ENOMEM;
    set_name(s, &rq->w[2], len);
    return 0;
}

static int con_read(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = stream_find(c, rq->w[0]);
    uint64_t from = rq->w[1];
    if (!s) {
        rq->reply[0] = rq->reply[1] = 0;
        rq->nreply = 2;
        return 0;
    }
    uint64_t oldest = s->total > s->log_bytes ? s->total - s->log_bytes : 0;
    if (from < oldest)
        from = oldest;
    uint64_t n = s->total > from ? s->total - from : 0;
    if (n > CON_CHUNK - 8)
        n = CON_CHUNK - 8;
    if (n % 8)
        rq->reply[2 + n / 8] = 0;
    if (log_get(s, from, (char *)&rq->reply[2], n) < 0)
        n = 0;                               /* the memory went with its container */
    rq->reply[0] = from + n;                 /* where to read next */
    rq->reply[1] = n;
    rq->nreply = 2 + (unsigned)((n + 7) / 8);
    return 0;
}

static int con_forget(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = stream_find(c, rq->w[0]);
    if (s) {
        if (s->linelen)
            print_line(c, s, s->total);
        drop(c, s);
    }
    return 0;
}

/* Opens a stream for a new client and hands back a capability to it. Its
 * log lives in caps[0], Memory the opener made from the client's quota. */
static int con_open(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[0], bytes;
    if (len > CON_NAME_MAX || len > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EINVAL;
    if (rq->ncaps != 1 || !log_memory_ok(rq->caps[0], &bytes))
        return AE_EINVAL;
    if (c->next_opened + 1 >= 1ull << CON_INCARNATION_SHIFT)
        return AE_ELIMIT;
    uint64_t badge = CON_OPENED_BADGE | c->incarnation << CON_INCARNATION_SHIFT | ++c->next_opened;
    struct stream *s = add(c, badge);
    if (!s)
        return AE_ENOMEM;
    s->mem = rq->caps[0];
    s->log_bytes = bytes - CON_LOG_HDR;
    rq->caps_kept = 1;                       /* (the header is written with the first bytes: lazy Memory) */
    c->nopened++;
    set_name(s, &rq->w[1], len);
    /* The previous reply has carried its capability by now: reuse the slot. */
    if (c->minted)
        ae_cap_delete(c->minted);
    else
        c->minted = ae_slot_alloc();
    if (ae_cap_copy(c->server, c->minted, AERIE_R_WRITE, badge) < 0) {
        drop(c, s);
        return AE_ENOMEM;
    }
    rq->reply[0] = badge;
    rq->nreply = 1;
    rq->reply_caps[0] = (uint32_t)c->minted;
    rq->nreply_caps = 1;
    return 0;
}

/* After a restart (docs/RESTART.md): the container manager gives back an
 * opened stream — the badge its container's capability still carries, its
 * name and its log Memory. The stream goes on from the position the log's
 * header holds. Lines a container wrote between our start and this call
 * went to a stream of our own memory under the same badge: they were
 * printed already and move into the log now, so none is lost. */
static int con_reopen(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t badge = rq->w[0], len = rq->w[1], bytes;
    if (!(badge & CON_OPENED_BADGE) || (badge & CON_ADMIN_BADGE) || len > CON_NAME_MAX ||
        len > (uint64_t)(rq->nwords - 2) * 8)
        return AE_EINVAL;
    if (rq->ncaps != 1 || !log_memory_ok(rq->caps[0], &bytes))
        return AE_EINVAL;
    struct stream *old = stream_find(c, badge);
    if (old && old->mem)
        return 0;                            /* attached already */
    struct stream *s = add(c, badge);
    if (!s)
        return AE_ENOMEM;
    s->mem = rq->caps[0];
    s->log_bytes = bytes - CON_LOG_HDR;
    rq->caps_kept = 1;
    c->nopened++;
    set_name(s, &rq->w[2], len);
    s->total = log_get_total(s);
    if (old) {                               /* written meanwhile: keep it */
        uint64_t n = old->total < old->log_bytes ? old->total : old->log_bytes;
        char buf[256];
        for (uint64_t done = 0; done < n;) {
            size_t k = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
            if (log_get(old, old->total - n + done, buf, k) < 0 || log_put(s, s->total, buf, k) < 0)
                break;
            s->total += k;
            done += k;
        }
        s->linelen = old->linelen;
        log_put_total(s, s->total);
        drop(c, old);
    }
    return 0;
}

static const struct ae_op ops[CON_OP_COUNT] = {
    [CON_WRITE] = { con_write, 1, AE_CALLER_ANY },
    [CON_NAME] = { con_name, 2, AE_CALLER_ADMIN },
    [CON_READ] = { con_read, 2, AE_CALLER_ADMIN },
    [CON_FORGET] = { con_forget, 1, AE_CALLER_ADMIN },
    [CON_OPEN] = { con_open, 1, AE_CALLER_ADMIN },
    [CON_REOPEN] = { con_reopen, 2, AE_CALLER_ADMIN },
    [CON_IN_ATTACH] = { con_in_attach, 1, AE_CALLER_ADMIN },
    [CON_IN_PUSH] = { con_in_push, 3, AE_CALLER_ADMIN },
    [CON_IN_READ] = { con_in_read, 1, AE_CALLER_CLIENT },
};

int main(void)
{
    static struct console c;
    c.kdebug = ae_capenv_lookup("kdebug");
    uint64_t ep = ae_capenv_lookup("console.server");
    if (!c.kdebug || !ep) {
        fprintf(stderr, "console: needs the grants kdebug and serve=console\n");
        return 1;
    }
    c.server = ep;
    const char *inc = getenv("AERIE_INCARNATION");
    c.incarnation = inc ? strtoull(inc, 0, 10) & 0xfff : 0;
    struct ae_server srv = { .ep = ep, .ops = ops, .nops = CON_OP_COUNT, .ctx = &c, .recv_caps = 2 };
    return ae_serve(&srv);
}
