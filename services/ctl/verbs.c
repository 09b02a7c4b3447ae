/*
 * verbs.c — one handler per request verb of the control protocol
 * (docs/CM.md, "Control protocol"), found through one table that also
 * gives each verb's argument count and usage. A handler checks its
 * arguments, calls the container manager, and answers with exactly one
 * final line ("ok", "err", or for streams "exit") under the request id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "ctl.h"

#define PS_MAX 1024

struct verb {
    const char *name;
    unsigned min, max;               /* words after the verb */
    const char *usage;
    void (*fn)(struct ctl_session *s, const struct ctl_request *rq);
};

/* ---- arguments ---- */

bool num_arg(struct ctl_session *s, const struct ctl_request *rq, unsigned i, int base, uint64_t *out)
{
    const char *a = rq->args[i];
    uint64_t v = 0;
    bool ok = a[0] != 0;
    for (const char *p = a; *p && ok; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : -1;
        ok = d >= 0 && d < base && v <= (UINT64_MAX - (uint64_t)d) / (uint64_t)base;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (!ok) {
        char w[64];
        reply_err(s, rq->id, "'%s' is not a number", reply_word(a, w, sizeof w));
        return false;
    }
    *out = v;
    return true;
}

bool cid_arg(struct ctl_session *s, const struct ctl_request *rq, unsigned i, uint64_t *out)
{
    const char *a = rq->args[i];
    uint64_t v = 0;
    bool ok = a[0] != 0;
    for (const char *p = a; *p && ok; p++) {
        ok = *p >= '0' && *p <= '9' && v <= (UINT64_MAX - 9) / 10;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!ok || v == 0) {
        char w[64];
        reply_err(s, rq->id, "'%s' is not a container id (a number, as 'ps' lists)", reply_word(a, w, sizeof w));
        return false;
    }
    *out = v;
    return true;
}

/* The words after the verb joined by spaces: a cm spec. */
static bool spec_arg(struct ctl_session *s, const struct ctl_request *rq, char *spec, size_t cap)
{
    size_t n = 0;
    for (unsigned i = 0; i < rq->nargs; i++) {
        size_t k = strlen(rq->args[i]);
        if (n + k + 1 >= cap) {
            reply_err(s, rq->id, "spec: longer than %zu bytes", cap - 1);
            return false;
        }
        if (i)
            spec[n++] = ' ';
        memcpy(spec + n, rq->args[i], k);
        n += k;
    }
    spec[n] = 0;
    return true;
}

/* Answers a container manager error about container cid. */
static void cm_err(struct ctl_session *s, const char *id, uint64_t cid, int r, const char *doing)
{
    if (r == AE_ESRCH)
        reply_err(s, id, "no such container %lu", cid);
    else
        reply_err(s, id, "%s container %lu: the container manager said error %d", doing, cid, r);
}

/* ---- verbs ---- */

static void verb_help(struct ctl_session *s, const struct ctl_request *rq);

static void verb_hello(struct ctl_session *s, const struct ctl_request *rq)
{
    reply_ok(s, rq->id, "aerie-ctl %d", CTL_PROTO_VERSION);   /* each client has a session of its own */
}

static void create(struct ctl_session *s, const struct ctl_request *rq, bool run)
{
    char spec[CM_TEXT_MAX + 1], err[200] = "";
    uint64_t cid;
    if (!spec_arg(s, rq, spec, sizeof spec))
        return;
    if (run && stream_count(s->ctl) == CTL_STREAMS) {
        reply_err(s, rq->id, "already streaming %d containers: wait for one to end", CTL_STREAMS);
        return;
    }
    int r = ae_cm_create(s->ctl->cm, spec, run, &cid, err, sizeof err);
    if (r) {
        reply_err(s, rq->id, "%s", err[0] ? err : "the container manager refused the spec");
        return;
    }
    if (!run) {
        reply_ok(s, rq->id, "%lu", cid);
        return;
    }
    char w[24];
    snprintf(w, sizeof w, "%lu", cid);
    reply_line(s, rq->id, "started", w);
    stream_add(s, rq->id, cid, 0);
}

static void verb_create(struct ctl_session *s, const struct ctl_request *rq) { create(s, rq, false); }
static void verb_run(struct ctl_session *s, const struct ctl_request *rq) { create(s, rq, true); }

static void verb_start(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    int r = ae_cm_start(s->ctl->cm, cid);
    if (r == AE_EBUSY)
        reply_err(s, rq->id, "container %lu was started already", cid);
    else if (r)
        cm_err(s, rq->id, cid, r, "start");
    else
        reply_ok(s, rq->id, "%s", "");
}

static bool from_arg(struct ctl_session *s, const struct ctl_request *rq, uint64_t *from)
{
    *from = 0;
    if (rq->nargs < 2)
        return true;
    char *end;
    *from = strtoull(rq->args[1], &end, 10);
    if (*end || !rq->args[1][0] || rq->args[1][0] == '-') {
        reply_err(s, rq->id, "FROM must be a byte position (a number)");
        return false;
    }
    return true;
}

static void verb_follow(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid, from;
    struct ae_cm_status st;
    if (!cid_arg(s, rq, 0, &cid) || !from_arg(s, rq, &from))
        return;
    int r = ae_cm_status(s->ctl->cm, cid, &st);
    if (r)
        cm_err(s, rq->id, cid, r, "follow");
    else if (stream_add(s, rq->id, cid, from))
        reply_err(s, rq->id, "already streaming %d containers: wait for one to end", CTL_STREAMS);
}

static void verb_logs(struct ctl_session *s, const struct ctl_request *rq)
{
    static char buf[CM_TEXT_MAX];
    uint64_t cid, from;
    if (!cid_arg(s, rq, 0, &cid) || !from_arg(s, rq, &from))
        return;
    for (unsigned i = 0; i < 64; i++) {          /* the console keeps 8 KiB: ~17 reads */
        int64_t n = ae_cm_logs(s->ctl->cm, cid, &from, buf, sizeof buf);
        if (n == AE_ENOENT)
            break;                               /* no console grant: no log */
        if (n < 0) {
            cm_err(s, rq->id, cid, (int)n, "logs of");
            return;
        }
        if (n == 0)
            break;
        reply_out(s, rq->id, buf, (size_t)n);
    }
    reply_ok(s, rq->id, "%lu", from);
}

static void verb_status(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct ae_cm_status st;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    int r = ae_cm_status(s->ctl->cm, cid, &st);
    if (r) {
        cm_err(s, rq->id, cid, r, "status of");
        return;
    }
    char state[256];
    reply_state(&st, state, sizeof state);
    reply_ok(s, rq->id, "%s", state);
}

static const char *state_name(int state)
{
    static const char *const names[] = { "unknown", "created", "running", "exited", "faulted", "killed" };
    return state >= 0 && state <= CM_KILLED ? names[state] : "unknown";
}

static void verb_stats(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct ae_cm_stats t;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    int r = ae_cm_stats(s->ctl->cm, cid, &t);
    if (r) {
        cm_err(s, rq->id, cid, r, "stats of");
        return;
    }
    reply_ok(s, rq->id, "state=%s cpu=%d uptime_ms=%lu mem=%lu mem_limit=%lu threads=%lu threads_limit=%lu "
             "objects=%lu objects_limit=%lu mem_run=%lu mem_log=%lu mem_rest=%lu mem_cm=%lu",
             state_name(t.state), t.cpu, t.uptime_ns / 1000000, t.mem_used, t.mem_limit, t.threads_used,
             t.threads_limit, t.objects_used, t.objects_limit, t.mem_run, t.mem_log, t.mem_rest, t.mem_cm);
}

static void verb_kill(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct ae_cm_status st;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    int r = ae_cm_kill(s->ctl->cm, cid);
    if (r == AE_EBUSY && ae_cm_status(s->ctl->cm, cid, &st) == 0) {
        char state[256];
        reply_state(&st, state, sizeof state);
        reply_err(s, rq->id, "container %lu is not running (%s)", cid, state);
    } else if (r) {
        cm_err(s, rq->id, cid, r, "kill");
    } else {
        reply_ok(s, rq->id, "%s", "");
    }
}

/* A signal by number or name (TERM, SIGTERM, 15); 0 if none. */
static int signal_number(const char *w)
{
    static const char *const names[] = { 0, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
                                         "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM" };
    if (w[0] >= '0' && w[0] <= '9') {
        int n = atoi(w);
        return n >= 1 && n <= 64 ? n : 0;
    }
    if (!strncmp(w, "SIG", 3))
        w += 3;
    for (int i = 1; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(w, names[i]))
            return i;
    return 0;
}

static void verb_signal(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct ae_cm_status st;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    int sig = signal_number(rq->args[1]);
    if (!sig) {
        reply_err(s, rq->id, "'%s' is not a signal (a number 1..64, or a name: TERM, INT, HUP...)", rq->args[1]);
        return;
    }
    int r = sig == 9 ? ae_cm_kill(s->ctl->cm, cid) : ae_cm_signal(s->ctl->cm, cid, sig);
    if (r == AE_ENOTSUP) {
        reply_err(s, rq->id, "container %lu does not run a Linux program: only kill ends it", cid);
    } else if (r == AE_EBUSY && ae_cm_status(s->ctl->cm, cid, &st) == 0) {
        char state[256];
        reply_state(&st, state, sizeof state);
        reply_err(s, rq->id, "container %lu is not running (%s)", cid, state);
    } else if (r) {
        cm_err(s, rq->id, cid, r, "signal");
    } else {
        reply_ok(s, rq->id, "%s", "");
    }
}

static void verb_rm(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    struct ae_cm_status st;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    bool force = rq->nargs > 1 && !strcmp(rq->args[1], "-f");
    if (rq->nargs > 1 && !force) {
        reply_err(s, rq->id, "rm takes only '-f' after the id");
        return;
    }
    int r = ae_cm_status(s->ctl->cm, cid, &st);
    if (!r && !force && (st.state == CM_RUNNING || st.state == CM_CREATED)) {
        reply_err(s, rq->id, "container %lu is %s: kill it first, or use rm -f", cid, state_name(st.state));
        return;
    }
    if (!r)
        r = ae_cm_remove(s->ctl->cm, cid);
    if (r) {
        cm_err(s, rq->id, cid, r, "remove");
        return;
    }
    reply_ok(s, rq->id, "%s", "");
}

/* One "row" of ps for container cid in state. */
static void ps_row(struct ctl_session *s, const char *id, uint64_t cid)
{
    char info[2 * 32 + 2] = "? -", image[80], name[80], rest[256];
    struct ae_cm_stats t = { 0 };
    struct ae_cm_status st = { 0 };
    uint64_t cm = s->ctl->cm;
    if (ae_cm_info(cm, cid, info, sizeof info) || ae_cm_stats(cm, cid, &t) || ae_cm_status(cm, cid, &st))
        return;                                  /* removed meanwhile */
    char *space = strchr(info, ' ');
    if (space)
        *space++ = 0;
    int n = snprintf(rest, sizeof rest, "id=%lu image=%s name=%s state=%s", cid, reply_word(info, image, sizeof image),
                     reply_word(space ? space : "", name, sizeof name), state_name(st.state));
    char kind[32];
    if (st.state == CM_EXITED)
        n += snprintf(rest + n, sizeof rest - (size_t)n, " exit=%lu", st.exit_status);
    if (st.state == CM_FAULTED) {
        reply_fault_kind(&st, kind, sizeof kind);
        n += snprintf(rest + n, sizeof rest - (size_t)n, " fault=%s", kind);
    }
    snprintf(rest + n, sizeof rest - (size_t)n, " uptime_ms=%lu mem=%lu mem_limit=%lu",
             t.uptime_ns / 1000000, t.mem_used, t.mem_limit);
    reply_line(s, id, "row", rest);
}

static void verb_ps(struct ctl_session *s, const struct ctl_request *rq)
{
    static uint64_t ids[PS_MAX];
    static int states[PS_MAX];
    int n = ae_cm_list(s->ctl->cm, 1, ids, states, PS_MAX);
    if (n < 0) {
        reply_err(s, rq->id, "the container manager did not list (error %d)", n);
        return;
    }
    for (int i = 0; i < n; i++)
        ps_row(s, rq->id, ids[i]);
    reply_ok(s, rq->id, "%d", n);
}

static void verb_images(struct ctl_session *s, const struct ctl_request *rq)
{
    struct ae_cm_image im;
    unsigned i = 0;
    while (ae_cm_image_info(s->ctl->cm, i, &im) == 0) {
        char name[100], prog[400], row[600];
        snprintf(row, sizeof row, "name=%s bytes=%lu prog=%s imported=%lu", reply_word(im.name, name, sizeof name),
                 im.bytes, reply_word(im.prog, prog, sizeof prog), im.imported);
        reply_line(s, rq->id, "row", row);
        i++;
    }
    reply_ok(s, rq->id, "%u", i);
}

static const struct verb verbs[] = {
    { "hello",  0, 1, "hello [VERSION]: -> ok aerie-ctl VERSION", verb_hello },
    { "help",   0, 1, "help [VERB]: lists the verbs, or shows one's usage", verb_help },
    { "create", 1, CTL_WORDS_MAX, "create SPEC...: makes a container, not started -> ok ID", verb_create },
    { "start",  1, 1, "start ID: starts a created container", verb_start },
    { "run",    1, CTL_WORDS_MAX, "run SPEC...: creates and starts -> started ID, out..., exit STATE", verb_run },
    { "follow", 1, 2, "follow ID [FROM]: streams the log until the end -> out..., exit STATE", verb_follow },
    { "logs",   1, 2, "logs ID [FROM]: the log so far -> out..., ok NEXT", verb_logs },
    { "status", 1, 1, "status ID: -> ok STATE", verb_status },
    { "stats",  1, 1, "stats ID: -> ok key=value...", verb_stats },
    { "kill",   1, 1, "kill ID: ends a running container", verb_kill },
    { "signal", 2, 2, "signal ID SIG: a signal (TERM, INT, 15...) to a container's Linux program", verb_signal },
    { "rm",     1, 2, "rm ID [-f]: removes a container (-f: even a running one)", verb_rm },
    { "ps",     0, 0, "ps: -> row id=.. image=.. name=.. state=.. ..., ok COUNT", verb_ps },
    { "images", 0, 0, "images: -> row name=.. bytes=.. prog=.. imported=.. ..., ok COUNT", verb_images },
    { "fstat",  2, 2, "fstat ID PATH: -> ok file|dir SIZE MODE", verb_fstat },
    { "get",    2, 2, "get ID PATH: -> data N (then N bytes)..., ok SIZE", verb_get },
    { "put",    4, 4, "put ID PATH SIZE MODE, then SIZE bytes: writes a file -> ok SIZE", NULL },
    { "mkdir",  3, 3, "mkdir ID PATH MODE: makes a directory in a container's files", verb_mkdir },
    { "ls",     3, 3, "ls ID PATH COOKIE: -> row file|dir NAME..., ok NEXT END", verb_ls },
    { "import", 2, 2, "import NAME SIZE, then SIZE bytes of image archive: -> ok", NULL },
    { "rmi",    1, 1, "rmi NAME: removes an imported image no container uses", verb_rmi },
};

static const struct verb *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(verbs[i].name, name))
            return &verbs[i];
    return 0;
}

static void verb_help(struct ctl_session *s, const struct ctl_request *rq)
{
    char list[256] = "";
    if (rq->nargs == 1) {
        const struct verb *v = find_verb(rq->args[0]);
        if (!v) {
            reply_err(s, rq->id, "no verb '%.32s' (help lists them)", rq->args[0]);
            return;
        }
        char w[512];
        ctl_escape(v->usage, strlen(v->usage), w, sizeof w, false);
        reply_ok(s, rq->id, "%s", w);
        return;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "", verbs[i].name);
    reply_ok(s, rq->id, "%s", list);
}

/* A request that carries a payload (put, import): the payload is taken
 * whatever else is wrong, as the engine and the client expect. */
static void with_payload(struct ctl_session *s, const struct ctl_request *rq, const struct verb *v, uint64_t size)
{
    if (!v || rq->nargs < v->min || rq->nargs > v->max)
        session_discard(s, rq->id, size, "usage: %s", v ? v->usage : "?");
    else if (!strcmp(v->name, "put"))
        xfer_put_begin(s, rq, size);
    else
        import_begin(s, rq, size);
}

void ctl_handle(struct ctl_session *s, const char *line, size_t len)
{
    static struct ctl_request rq;
    char err[200];
    uint64_t size;
    if (ctl_parse_request(line, len, &rq, err, sizeof err)) {
        reply_err(s, rq.id, "%s", err);
        return;
    }
    const struct verb *v = find_verb(rq.verb);
    if (ctl_payload_size(&rq, &size)) {
        with_payload(s, &rq, v, size);
        return;
    }
    if (!v) {
        char w[64];
        reply_err(s, rq.id, "unknown verb '%s' (help lists them)", reply_word(rq.verb, w, sizeof w));
        return;
    }
    if (rq.nargs < v->min || rq.nargs > v->max || !v->fn) {
        reply_err(s, rq.id, "usage: %s", v->usage);
        return;
    }
    v->fn(s, &rq);
}
