/*
 * client.c — the engine's clients: each connection to the --socket gets a
 * channel of the link and speaks the control protocol (services/ctl/
 * ctlproto.h) with its own ctl session. The engine reads the client's
 * lines only to find the requests it answers itself:
 *
 *   import NAME SIZE + SIZE bytes   the image archive is written to the
 *                                   store, sent to Aerie, and kept only if
 *                                   Aerie takes it (store.c, job.c)
 *   rmi NAME                        Aerie forgets it, then the store does
 *   engine                          -> ok link=up|down clients=N store=DIR
 *
 * Everything else goes to ctl byte for byte, with the raw payload a `put`
 * announces (ctl_payload_size, the same rule ctl applies).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "engine.h"

void client_accept(struct engine *e)
{
    int fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (unsigned i = 0; i < ENGINE_CLIENTS; i++) {
        struct client *c = &e->clients[i];
        if (c->used)
            continue;
        memset(c, 0, sizeof *c);
        c->used = true;
        c->fd = fd;
        return;
    }
    static const char busy[] = "- err the engine serves " AERIE_STR(ENGINE_CLIENTS) " clients already: try again\n";
    ssize_t said = write(fd, busy, sizeof busy - 1);   /* it may be gone already */
    (void)said;
    close(fd);
}

void client_reply(struct engine *e, struct client *c, const char *id, const char *kind, const char *fmt, ...)
{
    char text[1024], esc[4096], line[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ctl_escape(text, strlen(text), esc, sizeof esc, false);
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", id, kind, esc[0] ? " " : "", esc);
    if (c && c->used && c != ENGINE_SELF(e) && !bq_put(&c->out, line, (size_t)n))
        client_close(e, c);
}

void client_close(struct engine *e, struct client *c)
{
    if (!c->used || c == ENGINE_SELF(e))
        return;
    if (c->up.f) {
        fclose(c->up.f);
        char part[4200];
        store_path(e->store_dir, c->up.name, ".part", part, sizeof part);
        unlink(part);                        /* an interrupted import leaves nothing */
        engine_log("import of %s interrupted (its client left after %llu of %llu bytes)", c->up.name,
                   (unsigned long long)c->up.got, (unsigned long long)c->up.size);
    }
    job_forget(e, c);
    if (c->chan) {
        if (e->state == LINK_UP && !e->closing[c->chan]) {
            link_frame(e, FRAME_CLOSE, c->chan, NULL, 0);
            e->closing[c->chan] = true;      /* reserved until ctl's CLOSE comes */
        }
        e->chans[c->chan] = NULL;
    }
    close(c->fd);
    bq_free(&c->in);
    bq_free(&c->out);
    memset(c, 0, sizeof *c);
}

/* ---- imports ---- */

static void import_done(struct engine *e, struct client *c, const char *id, bool ok, const char *msg,
                        const char *name)
{
    char part[4200], img[4200];
    store_path(e->store_dir, name, ".part", part, sizeof part);
    store_path(e->store_dir, name, ".img", img, sizeof img);
    if (!c) {                                /* its client left before the answer: an interrupted import */
        unlink(part);
        if (ok) {
            job_rmi(e, name, NULL, NULL, NULL);
            engine_log("import of %s interrupted (its client left): Aerie is told to forget it", name);
        }
        return;
    }
    if (ok && rename(part, img) == 0) {
        engine_log("image %s imported and stored as %s", name, img);
        client_reply(e, c, id, "ok", "%s", msg);
        return;
    }
    unlink(part);
    engine_log("image %s not imported: %s", name, ok ? "the store could not keep it" : msg);
    client_reply(e, c, id, "err", "%s", ok ? "the store could not keep it" : msg);
}

/* An import's payload starts: it goes to DIR/NAME.part, or, when the
 * request is refused at once (answered here), is read and dropped. */
static void upload_start(struct engine *e, struct client *c, const struct ctl_request *rq, uint64_t size)
{
    struct upload *u = &c->up;
    const char *name = rq->args[0];
    char part[4200];
    *u = (struct upload){ .active = size > 0, .size = size };
    snprintf(u->id, sizeof u->id, "%s", rq->id);
    if (!store_valid_name(name)) {
        client_reply(e, c, rq->id, "err", "image name: '%.40s' is not 1 to %d of a-z 0-9 - _ . (starting with a "
                     "letter or digit)", name, CM_NAME_MAX);
        return;
    }
    if (!size) {
        client_reply(e, c, rq->id, "err", "import %s: the archive is empty", name);
        return;
    }
    snprintf(u->name, sizeof u->name, "%s", name);
    store_path(e->store_dir, name, ".part", part, sizeof part);
    u->f = fopen(part, "wbx");               /* x: another import of this name is under way */
    if (!u->f)
        client_reply(e, c, rq->id, "err", errno == EEXIST ? "image %s is being imported already"
                     : "the store cannot take image %s", name);
}

/* Takes payload bytes of an import; returns how many. */
static size_t upload_take(struct engine *e, struct client *c, const uint8_t *p, size_t n)
{
    struct upload *u = &c->up;
    size_t k = u->size - u->got < n ? (size_t)(u->size - u->got) : n;
    if (u->f && !u->bad && fwrite(p, 1, k, u->f) != k)
        u->bad = true;
    u->got += k;
    if (u->got < u->size)
        return k;
    u->active = false;
    if (u->f) {
        bool bad = fclose(u->f) != 0 || u->bad;
        u->f = NULL;
        char part[4200];
        store_path(e->store_dir, u->name, ".part", part, sizeof part);
        if (bad) {
            unlink(part);
            client_reply(e, c, u->id, "err", "the store could not write image %s", u->name);
        } else {
            job_push(e, u->name, part, c, u->id, import_done);
        }
    }
    return k;
}

/* ---- lines ---- */

static void rmi_done(struct engine *e, struct client *c, const char *id, bool ok, const char *msg,
                     const char *name)
{
    char img[4200];
    store_path(e->store_dir, name, ".img", img, sizeof img);
    if (ok) {
        unlink(img);
        engine_log("image %s removed", name);
        client_reply(e, c, id, "ok", "%s", "");
    } else {
        client_reply(e, c, id, "err", "%s", msg);
    }
}

static void engine_status(struct engine *e, struct client *c, const char *id)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ENGINE_CLIENTS; i++)
        n += e->clients[i].used;
    client_reply(e, c, id, "ok", "link=%s clients=%u store=%s", e->state == LINK_UP ? "up" : "down", n,
                 e->store_dir);
}

/* A whole line (raw: its bytes as sent, newline included). */
static void line_done(struct engine *e, struct client *c, const char *line, size_t len, const char *raw,
                      size_t raw_len)
{
    static struct ctl_request rq;
    char err[200];
    uint64_t size = 0;
    bool parsed = len && !ctl_parse_request(line, len, &rq, err, sizeof err);
    bool payload = parsed && ctl_payload_size(&rq, &size);
    if (payload && !strcmp(rq.verb, "import")) {
        upload_start(e, c, &rq, size);
        return;
    }
    if (parsed && !strcmp(rq.verb, "rmi") && rq.nargs == 1) {
        job_rmi(e, rq.args[0], c, rq.id, rmi_done);
        return;
    }
    if (parsed && !strcmp(rq.verb, "engine") && rq.nargs == 0) {
        engine_status(e, c, rq.id);
        return;
    }
    if (!bq_put(&c->in, raw, raw_len))
        client_close(e, c);
    else if (payload)
        c->forward_left = size;
}

/* Line bytes: the current line is held until it ends (an overlong one is
 * forwarded as it comes: it cannot be an engine's request). Returns the
 * bytes taken: up to and including one newline. */
static size_t lines_take(struct engine *e, struct client *c, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char b = (char)p[i];
        if (c->overlong)
            bq_put(&c->in, &b, 1);
        else if (c->line_len < sizeof c->line)
            c->line[c->line_len++] = b;
        else {
            bq_put(&c->in, c->line, c->line_len);
            bq_put(&c->in, &b, 1);
            c->line_len = 0;
            c->overlong = true;
        }
        const char *line;
        size_t len;
        enum ctl_feed ev = ctl_lines_feed(&c->lines, b, &line, &len);
        if (ev == CTL_MORE)
            continue;
        if (c->overlong || ev == CTL_OVERLONG) {
            if (!c->overlong)
                bq_put(&c->in, c->line, c->line_len);
            c->overlong = false;
        } else {
            line_done(e, c, line, len, c->line, c->line_len);
        }
        c->line_len = 0;
        return i + 1;
    }
    return n;
}

static void client_feed(struct engine *e, struct client *c, const uint8_t *p, size_t n)
{
    while (n && c->used) {
        size_t k;
        if (c->up.active) {
            k = upload_take(e, c, p, n);
        } else if (c->forward_left) {
            k = c->forward_left < n ? (size_t)c->forward_left : n;
            if (!bq_put(&c->in, p, k)) {
                client_close(e, c);
                return;
            }
            c->forward_left -= k;
        } else {
            k = lines_take(e, c, p, n);
        }
        p += k;
        n -= k;
    }
}

void client_read(struct engine *e, struct client *c, bool hup)
{
    static uint8_t buf[FRAME_WINDOW_DOWN];
    size_t room = c->in.len < FRAME_WINDOW_DOWN ? FRAME_WINDOW_DOWN - c->in.len : 0;
    if (hup && (c->eof || !c->chan)) {
        client_close(e, c);                  /* gone altogether */
        return;
    }
    if (c->eof || !c->chan || !room)
        return;
    ssize_t n = read(c->fd, buf, room);
    if (n > 0) {
        client_feed(e, c, buf, (size_t)n);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    c->eof = true;                           /* half closed: its requests still get their answers */
    if (n < 0 || hup)
        client_close(e, c);
}

bool client_write(struct engine *e, struct client *c)
{
    while (c->out.len) {
        ssize_t n = write(c->fd, bq_data(&c->out), c->out.len);
        if (n > 0) {
            bq_take(&c->out, (size_t)n);
            size_t mine = (size_t)n < c->from_ctl ? (size_t)n : c->from_ctl;
            c->from_ctl -= mine;
            if (mine)
                link_consumed(e, c, mine);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        client_close(e, c);
        return false;
    }
    return true;
}
