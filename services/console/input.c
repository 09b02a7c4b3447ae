/*
 * input.c — a container's standard input (`aerie run -i`): a ring of
 * CON_IN_BYTES in the console's memory for each opened stream cm attached
 * input to (at most CON_IN_STREAMS at once, so at most 1 MiB in all). cm
 * pushes what ctl brought from the host (CON_IN_PUSH), taking only what
 * fits: the rest stays with ctl, which stops crediting the engine, which
 * stops reading the CLI — a slow reader holds back its writer and no one
 * else. The container reads its own stream's ring by the badge of its
 * console capability (CON_IN_READ), so it can read no other's; when the
 * ring is empty it waits on the notification cm granted it as "stdin",
 * which we signal when bytes or the end come.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include "console.h"

struct con_input {
    uint64_t ntfn;                       /* the container's notification (ours to signal) */
    uint32_t head, len;                  /* bytes in the ring start at head */
    bool eof;                            /* the writer is done: read the rest, then the end */
    uint8_t ring[CON_IN_BYTES];
};

void con_in_free(struct console *c, struct stream *s)
{
    if (!s->in)
        return;
    ae_cap_delete(s->in->ntfn);
    ae_slot_free(s->in->ntfn);
    free(s->in);
    s->in = NULL;
    c->ninputs--;
}

static bool is_signal_ntfn(uint64_t slot)
{
    uint64_t badge;
    int64_t t = ae_cap_info(slot, &badge);
    return t >= 0 && (t & 0xff) == AERIE_OBJ_NOTIFICATION && ((t >> 8) & AERIE_R_WRITE);
}

int con_in_attach(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = stream_find(c, rq->w[0]);
    if (!s || !s->mem || rq->ncaps != 1 || !is_signal_ntfn(rq->caps[0]))
        return AE_EINVAL;                /* an opened stream and a notification to signal */
    if (s->in)
        return AE_EEXIST;
    if (c->ninputs == CON_IN_STREAMS)
        return AE_ELIMIT;
    if (!(s->in = calloc(1, sizeof *s->in)))
        return AE_ENOMEM;
    s->in->ntfn = rq->caps[0];
    rq->caps_kept = 1;
    c->ninputs++;
    return 0;
}

int con_in_push(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    uint64_t flags = rq->w[1], len = rq->w[2];
    if (flags & ~(uint64_t)(CON_IN_EOF | CON_IN_DROP) || len > CON_IN_CHUNK ||
        len > (uint64_t)(rq->nwords - 3) * 8)
        return AE_EINVAL;
    struct stream *s = stream_find(c, rq->w[0]);
    if (!s || !s->in)
        return AE_ENOENT;
    struct con_input *in = s->in;
    if (flags & CON_IN_DROP) {
        ae_signal(in->ntfn, CON_IN_SIGNAL);   /* a reader still waiting sees the end */
        con_in_free(c, s);
        rq->reply[0] = 0;
        rq->nreply = 1;
        return 0;
    }
    if (in->eof && len)
        return AE_EINVAL;                /* nothing comes after the end */
    uint32_t room = CON_IN_BYTES - in->len, k = len < room ? (uint32_t)len : room;
    const uint8_t *p = (const uint8_t *)&rq->w[3];
    for (uint32_t i = 0; i < k; i++)
        in->ring[(in->head + in->len + i) % CON_IN_BYTES] = p[i];
    in->len += k;
    if ((flags & CON_IN_EOF) && k == len)
        in->eof = true;
    if (k || in->eof)
        ae_signal(in->ntfn, CON_IN_SIGNAL);
    rq->reply[0] = k;
    rq->nreply = 1;
    return 0;
}

int con_in_read(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = stream_find(c, rq->badge);
    uint64_t want = rq->w[0] < CON_IN_READ_MAX ? rq->w[0] : CON_IN_READ_MAX;
    struct con_input *in = s && s->mem ? s->in : NULL;
    if (in && !in->len && !in->eof && want)
        return AE_EAGAIN;
    uint32_t k = in ? (in->len < want ? in->len : (uint32_t)want) : 0;
    uint8_t *out = (uint8_t *)&rq->reply[2];
    for (uint32_t i = 0; i < k; i++)
        out[i] = in->ring[(in->head + i) % CON_IN_BYTES];
    if (k % 8)
        memset(out + k, 0, 8 - k % 8);
    if (in) {
        in->head = (in->head + k) % CON_IN_BYTES;
        in->len -= k;
    }
    rq->reply[0] = k;
    rq->reply[1] = !in || (in->eof && !in->len);   /* no input attached reads as ended */
    rq->nreply = 2 + (k + 7) / 8;
    return 0;
}
