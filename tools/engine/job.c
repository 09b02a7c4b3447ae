/*
 * job.c — the engine's own requests to ctl, on channel 1 (ENGINE_CHAN),
 * one at a time in the order they came:
 *
 *   push  "import NAME SIZE" + the archive from a file: every stored
 *         image after each boot (before clients are let in), and each
 *         image a client imports (kept in the store only if Aerie took it)
 *   rmi   "rmi NAME": removed from the store only if Aerie removed it
 *
 * The archive is read from its file as channel 1's queue empties, so a
 * large image never sits in memory whole.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "engine.h"

#define JOBS_MAX 256
#define CHUNK    (64u << 10)

enum job_kind { JOB_PUSH, JOB_RMI };

struct job {
    enum job_kind kind;
    char name[CM_NAME_MAX + 1];
    char path[4200];
    struct client *requester;            /* NULL: the engine's own (the store at boot) */
    char id[CTL_ID_MAX + 1];             /* the requester's request id */
    job_done done;
    FILE *f;
    uint64_t size, sent;
    bool started;
};

static struct job jobs[JOBS_MAX];
static unsigned head, count, next_id;
static char current_id[CTL_ID_MAX + 1];

bool job_idle(const struct engine *e)
{
    (void)e;
    return count == 0;
}

static struct job *job_add(struct engine *e, enum job_kind kind, const char *name, struct client *requester,
                           const char *id, job_done done)
{
    if (count == JOBS_MAX) {
        if (done)
            done(e, requester, id ? id : "-", false, "the engine has too many requests queued: try again", name);
        return NULL;
    }
    struct job *j = &jobs[(head + count++) % JOBS_MAX];
    *j = (struct job){ .kind = kind, .requester = requester, .done = done };
    snprintf(j->name, sizeof j->name, "%s", name);
    snprintf(j->id, sizeof j->id, "%s", id ? id : "-");
    return j;
}

void job_push(struct engine *e, const char *name, const char *path, struct client *requester, const char *id,
              job_done done)
{
    struct job *j = job_add(e, JOB_PUSH, name, requester, id, done);
    if (j)
        snprintf(j->path, sizeof j->path, "%s", path);
}

void job_rmi(struct engine *e, const char *name, struct client *requester, const char *id, job_done done)
{
    job_add(e, JOB_RMI, name, requester, id, done);
}

/* The head job ends: its requester is told, the next one may start. */
static void finish(struct engine *e, bool ok, const char *msg)
{
    struct job *j = &jobs[head];
    if (j->f)
        fclose(j->f);
    j->f = NULL;
    head = (head + 1) % JOBS_MAX;
    count--;
    if (j->done)
        j->done(e, j->requester, j->id, ok, msg, j->name);
}

void job_forget(struct engine *e, struct client *c)
{
    (void)e;
    for (unsigned i = 0; i < count; i++)
        if (jobs[(head + i) % JOBS_MAX].requester == c)
            jobs[(head + i) % JOBS_MAX].requester = NULL;
}

static void boot_done(struct engine *e, struct client *c, const char *id, bool ok, const char *msg,
                      const char *name)
{
    (void)e, (void)c, (void)id;
    if (ok)
        engine_log("stored image %s sent to Aerie", name);
    else
        engine_log("stored image %s was not taken: %s", name, msg);
}

static void queue_stored(void *ctx, const char *name, const char *path)
{
    job_push(ctx, name, path, NULL, NULL, boot_done);
}

void job_link_up(struct engine *e)
{
    struct client *self = ENGINE_SELF(e);
    bq_free(&self->in);
    memset(&self->lines, 0, sizeof self->lines);
    self->chan = ENGINE_CHAN;
    self->credit = FRAME_WINDOW_DOWN;
    self->consumed = 0;
    e->chans[ENGINE_CHAN] = self;
    link_frame(e, FRAME_OPEN, ENGINE_CHAN, NULL, 0);
    e->ready = false;
    store_each(e->store_dir, queue_stored, e);
}

void job_link_down(struct engine *e)
{
    struct client *self = ENGINE_SELF(e);
    while (count) {
        struct job *j = &jobs[head];
        if (!j->started && !j->requester) {          /* a stored image: sent again next boot */
            head = (head + 1) % JOBS_MAX;
            count--;
            continue;
        }
        finish(e, false, "Aerie went away before it answered");
    }
    bq_free(&self->in);
    self->chan = 0;
}

/* Starts the head job: its request line (and opens its archive). */
static void start(struct engine *e, struct job *j)
{
    struct client *self = ENGINE_SELF(e);
    char line[256];
    struct stat st;
    snprintf(current_id, sizeof current_id, "e.%u", ++next_id);
    j->started = true;
    if (j->kind == JOB_RMI) {
        snprintf(line, sizeof line, "%s rmi %s\n", current_id, j->name);
    } else {
        j->f = fopen(j->path, "rb");
        if (!j->f || fstat(fileno(j->f), &st) < 0) {
            finish(e, false, "the store could not read the image");
            return;
        }
        j->size = (uint64_t)st.st_size;
        snprintf(line, sizeof line, "%s import %s %llu\n", current_id, j->name, (unsigned long long)j->size);
    }
    bq_put(&self->in, line, strlen(line));
}

void job_pump(struct engine *e)
{
    struct client *self = ENGINE_SELF(e);
    static uint8_t buf[CHUNK];
    if (e->state != LINK_UP || self->chan != ENGINE_CHAN)
        return;
    if (!count) {
        if (!e->ready)
            engine_log("ready: clients may come in");
        e->ready = true;
        return;
    }
    struct job *j = &jobs[head];
    if (!j->started)
        start(e, j);
    while (count && j->f && j->sent < j->size && self->in.len < FRAME_WINDOW_DOWN) {
        size_t n = fread(buf, 1, CHUNK, j->f);
        if (!n) {
            finish(e, false, "the store could not read the image");      /* ctl still expects bytes: */
            link_down(e, "an image file in the store shrank while it was sent");   /* start over */
            return;
        }
        bq_put(&self->in, buf, n);
        j->sent += n;
    }
}

/* One reply line from ctl on channel 1. */
static void reply_line(struct engine *e, char *line)
{
    struct ctl_reply r;
    if (!count || ctl_split_reply(line, &r) || strcmp(r.id, current_id))
        return;
    if (strcmp(r.kind, "ok") && strcmp(r.kind, "err"))
        return;                              /* rows and the like: not for our requests */
    size_t bad;
    long n = ctl_unescape(r.rest, strlen(r.rest), &bad);
    if (n < 0)
        r.rest[0] = 0;
    finish(e, !strcmp(r.kind, "ok"), r.rest);
}

void job_input(struct engine *e, const uint8_t *p, size_t n)
{
    struct client *self = ENGINE_SELF(e);
    for (size_t i = 0; i < n; i++) {
        const char *line;
        size_t len;
        if (ctl_lines_feed(&self->lines, (char)p[i], &line, &len) != CTL_LINE)
            continue;
        char copy[CTL_LINE_MAX + 1];
        memcpy(copy, line, len);
        copy[len] = 0;
        reply_line(e, copy);
    }
    link_consumed(e, self, n);
}
