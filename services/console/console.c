/*
 * console.c — the console service (aerie/proto/console.h). Each client
 * is a stream named by the badge of its capability: the service keeps the
 * last CON_LOG_BYTES of every stream for `aerie logs`, and prints whole
 * lines on the kernel console, each behind the stream's name. Streams are
 * made on first write; past MAX_STREAMS the least recently written is
 * dropped, so a flood of clients cannot exhaust the service.
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

#define MAX_STREAMS 512
#define BUCKETS     256
#define LINE_MAX    240

struct stream {
    uint64_t badge;
    char name[CON_NAME_MAX + 1];
    uint64_t total;                      /* bytes ever written */
    char log[CON_LOG_BYTES];             /* the last bytes, at total % size */
    char line[LINE_MAX];                 /* the line being printed */
    unsigned linelen;
    struct stream *hnext;                /* hash chain */
    struct stream *newer, *older;        /* LRU by last write */
};

struct console {
    struct stream *buckets[BUCKETS];
    struct stream *newest, *oldest;
    unsigned nstreams;
    uint64_t kdebug;
    uint64_t server;                    /* our unbadged endpoint capability */
    uint64_t next_opened;               /* counter for CON_OPEN badges */
    uint64_t minted;                    /* the capability just minted for a reply */
};

static unsigned bucket(uint64_t badge) { return (unsigned)((badge * 0x9E3779B97F4A7C15ull) >> 56) % BUCKETS; }

static struct stream *find(struct console *c, uint64_t badge)
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
    lru_unlink(c, s);
    c->nstreams--;
    free(s);
}

static struct stream *get(struct console *c, uint64_t badge)
{
    struct stream *s = find(c, badge);
    if (s)
        return s;
    if (c->nstreams == MAX_STREAMS)
        drop(c, c->oldest);
    s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    s->badge = badge;
    snprintf(s->name, sizeof s->name, "#%lu", badge);
    s->hnext = c->buckets[bucket(badge)];
    c->buckets[bucket(badge)] = s;
    lru_front(c, s);
    c->nstreams++;
    return s;
}

static void print_line(struct console *c, struct stream *s)
{
    char out[LINE_MAX + CON_NAME_MAX + 8];
    int n = snprintf(out, sizeof out, "[%s] %.*s\n", s->name, (int)s->linelen, s->line);
    ae_kdebug_write(c->kdebug, out, (uint64_t)n < sizeof out ? (uint64_t)n : sizeof out - 1);
    s->linelen = 0;
}

static void append(struct console *c, struct stream *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->log[(s->total + i) % CON_LOG_BYTES] = p[i];
        if (p[i] == '\n') {
            print_line(c, s);
            continue;
        }
        s->line[s->linelen++] = p[i] >= ' ' || p[i] == '\t' ? p[i] : '?';   /* no escapes */
        if (s->linelen == LINE_MAX)
            print_line(c, s);
    }
    s->total += n;
    lru_unlink(c, s);
    lru_front(c, s);
}

static int con_write(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[0];
    if (len > CON_CHUNK || len > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EPROTO;
    char buf[CON_CHUNK];
    memcpy(buf, &rq->w[1], len);
    struct stream *s = get(c, rq->badge);
    if (!s)
        return AE_ENOMEM;
    append(c, s, buf, len);
    return 0;
}

static int con_name(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[1];
    if (len > CON_NAME_MAX || len > (uint64_t)(rq->nwords - 2) * 8)
        return AE_EINVAL;
    struct stream *s = get(c, rq->w[0]);
    if (!s)
        return AE_ENOMEM;
    memcpy(s->name, &rq->w[2], len);
    s->name[len] = 0;
    for (uint64_t i = 0; i < len; i++)
        if (s->name[i] < ' ' || s->name[i] == ']')
            s->name[i] = '?';
    return 0;
}

static int con_read(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = find(c, rq->w[0]);
    uint64_t from = rq->w[1];
    if (!s) {
        rq->reply[0] = rq->reply[1] = 0;
        rq->nreply = 2;
        return 0;
    }
    uint64_t oldest = s->total > CON_LOG_BYTES ? s->total - CON_LOG_BYTES : 0;
    if (from < oldest)
        from = oldest;
    uint64_t n = s->total > from ? s->total - from : 0;
    if (n > CON_CHUNK - 8)
        n = CON_CHUNK - 8;
    char *dst = (char *)&rq->reply[2];
    for (uint64_t i = 0; i < n; i++)
        dst[i] = s->log[(from + i) % CON_LOG_BYTES];
    rq->reply[0] = from + n;               /* where to read next */
    rq->reply[1] = n;
    rq->nreply = 2 + (unsigned)((n + 7) / 8);
    return 0;
}

static int con_forget(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = find(c, rq->w[0]);
    if (s) {
        if (s->linelen)
            print_line(c, s);
        drop(c, s);
    }
    return 0;
}

/* Opens a stream for a new client and hands back a capability to it. */
static int con_open(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t len = rq->w[0];
    if (len > CON_NAME_MAX || len > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EINVAL;
    uint64_t badge = CON_OPENED_BADGE | ++c->next_opened;
    struct stream *s = get(c, badge);
    if (!s)
        return AE_ENOMEM;
    memcpy(s->name, &rq->w[1], len);
    s->name[len] = 0;
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

static const struct ae_op ops[CON_OP_COUNT] = {
    [CON_WRITE] = { con_write, 1, AE_CALLER_ANY },
    [CON_NAME] = { con_name, 2, AE_CALLER_ADMIN },
    [CON_READ] = { con_read, 2, AE_CALLER_ADMIN },
    [CON_FORGET] = { con_forget, 1, AE_CALLER_ADMIN },
    [CON_OPEN] = { con_open, 1, AE_CALLER_ADMIN },
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
    struct ae_server srv = { .ep = ep, .ops = ops, .nops = CON_OP_COUNT, .ctx = &c };
    return ae_serve(&srv);
}
