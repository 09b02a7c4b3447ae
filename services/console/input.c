/*
 * input.c — a container's standard input (`aerie run -i`): a ring of
 * CON_IN_BYTES for each opened stream cm attached input to. The ring's
 * bytes live in Memory cm made from the container's own quota and handed
 * us with the attach, so the container pays for its input as for its
 * log; we keep only a small record (where the bytes start, how many, the
 * end) and reach the bytes with the kernel's Memory READ and WRITE (log.c),
 * never mapping them: the container's memory vanishing makes a call fail,
 * never us. cm pushes what ctl brought from the host (CON_IN_PUSH),
 * taking only what fits: the rest stays with ctl, which stops crediting
 * the engine, which stops reading the CLI — a slow reader holds back its
 * writer and no one else. The container reads its own stream's ring by
 * the badge of its console capability (CON_IN_READ), so it can read no
 * other's; when the ring is empty it waits on the notification cm
 * granted it as "stdin", which we signal when bytes or the end come.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include <libaerie/syscall.h>
#include "console.h"

struct con_input {
    uint64_t ntfn;                       /* the container's notification (ours to signal) */
    uint64_t mem;                        /* the ring's bytes: the container's Memory */
    uint32_t head, len;                  /* bytes in the ring start at head */
    bool eof;                            /* the writer is done: read the rest, then the end */
};

static void drop_cap(uint64_t slot)
{
    if (slot) {
        ae_cap_delete(slot);
        ae_slot_free(slot);
    }
}

void con_in_free(struct console *c, struct stream *s)
{
    if (!s->in)
        return;
    drop_cap(s->in->ntfn);
    drop_cap(s->in->mem);
    free(s->in);
    s->in = NULL;
    c->ninputs--;
}

static bool cap_is(uint64_t slot, unsigned type, uint64_t rights)
{
    uint64_t badge;
    int64_t t = ae_cap_info(slot, &badge);
    return t >= 0 && (t & 0xff) == type && (((uint64_t)t >> 8) & rights) == rights;
}

/* Memory the ring can live in: READ and WRITE, at least CON_IN_BYTES. */
static bool ring_memory_ok(uint64_t slot)
{
    uint64_t info[2];
    return cap_is(slot, AERIE_OBJ_MEMORY, AERIE_R_READ | AERIE_R_WRITE) &&
           ae_invoke(slot, AERIE_MEM_INFO, 0, 0, info, 2) >= 0 && info[0] >= CON_IN_BYTES;
}

int con_in_attach(void *ctx, struct ae_request *rq)
{
    struct console *c = ctx;
    struct stream *s = stream_find(c, rq->w[0]);
    if (!s || !s->mem || rq->ncaps != 2 || !cap_is(rq->caps[0], AERIE_OBJ_NOTIFICATION, AERIE_R_WRITE) ||
        !ring_memory_ok(rq->caps[1]))
        return AE_EINVAL;                /* an opened stream, a notification to signal, the ring's Memory */
    if (s->in)
        return AE_EEXIST;
    if (!(s->in = calloc(1, sizeof *s->in)))
        return AE_ENOMEM;
    s->in->ntfn = rq->caps[0];
    s->in->mem = rq->caps[1];
    rq->caps_kept = 3;
    c->ninputs++;
    return 0;
}

/* Moves n bytes between p and the ring at offset pos (wrapping); put:
 * into the ring. 0, or the kernel's error (the container's memory went). */
static int ring_move(const struct con_input *in, uint32_t pos, uint8_t *p, uint32_t n, bool put)
{
    while (n) {
        uint32_t off = pos % CON_IN_BYTES, piece = CON_IN_BYTES - off < n ? CON_IN_BYTES - off : n;
        int r = put ? con_mem_put(in->mem, off, (const char *)p, piece) : con_mem_get(in->mem, off, (char *)p, piece);
        if (r)
            return r;
        pos += piece;
        p += piece;
        n -= piece;
    }
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
    int r = ring_move(in, in->head + in->len, (uint8_t *)&rq->w[3], k, true);
    if (r)
        return r;                        /* its memory is gone: it is ending */
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
    if (k) {
        int r = ring_move(in, in->head, out, k, false);
        if (r)
            return r;
    }
    if (k % 8)
        memset(out + k, 0, 8 - k % 8);
    if (in) {
        in->head = (in->head + k) % CON_IN_BYTES;
        in->len -= k;
        /* A signal wakes one waiter: when another thread of the reader
         * waits too, pass on what is left for it (bytes, or the end,
         * which would otherwise wake only the first of them). */
        if (in->len || in->eof)
            ae_signal(in->ntfn, CON_IN_SIGNAL);
    }
    rq->reply[0] = k;
    rq->reply[1] = !in || (in->eof && !in->len);   /* no input attached reads as ended */
    rq->nreply = 2 + (k + 7) / 8;
    return 0;
}
