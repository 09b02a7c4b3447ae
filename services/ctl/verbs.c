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
#include <aerie/objects.h>
#include <aerie/utcb.h>
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

void ctl_create(struct ctl_session *s, const char *id, const char *spec, bool run)
{
    char err[200] = "";
    uint64_t cid;
    if (run && stream_count(s->ctl) == CTL_STREAMS) {
        reply_err(s, id, "already streaming %d containers: wait for one to end", CTL_STREAMS);
        return;
    }
    int r = ae_cm_create(s->ctl->cm, spec, run, &cid, err, sizeof err);
    if (r) {
        reply_err(s, id, "%s", err[0] ? err : "the container manager refused the spec");
        return;
    }
    if (!run) {
        reply_ok(s, id, "%lu", cid);
        return;
    }
    char w[24];
    snprintf(w, sizeof w, "%lu", cid);
    reply_line(s, id, "started", w);
    stream_add(s, id, cid, 0);
}

static void create(struct ctl_session *s, const struct ctl_request *rq, bool run)
{
    char spec[CTL_LINE_MAX + 1];             /* the words of one line, joined */
    if (spec_arg(s, rq, spec, sizeof spec))
        ctl_create(s, rq->id, spec, run);
}

static void verb_create(struct ctl_session *s, const struct ctl_request *rq) { create(s, rq, false); }
static void verb_run(struct ctl_session *s, const struct ctl_request *rq) { create(s, rq, true); }

static void verb_start(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    struct ae_cm_status st;
    int r = ae_cm_start(s->ctl->cm, cid);
    if (r == AE_EBUSY && ae_cm_status(s->ctl->cm, cid, &st) == 0 && st.state != CM_RUNNING) {
        char state[256];
        reply_state(&st, state, sizeof state);
        reply_err(s, rq->id, "container %lu has ended (%s): a container is not started again; run makes a new one",
                  cid, state);
    } else if (r == AE_EBUSY)
        reply_err(s, rq->id, "container %lu is running already", cid);
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
             "objects=%lu objects_limit=%lu mem_run=%lu mem_log=%lu mem_rest=%lu mem_cm=%lu "
             "uptime_ns=%lu cpu_ns=%lu ipc_calls=%lu fs_read=%lu fs_written=%lu net_rx=%lu net_tx=%lu "
             "threads_live=%lu debug=%lu fs_meta=%lu fs_meta_limit=%lu",
             state_name(t.state), t.cpu, t.uptime_ns / 1000000, t.mem_used, t.mem_limit, t.threads_used,
             t.threads_limit, t.objects_used, t.objects_limit, t.mem_run, t.mem_log, t.mem_rest, t.mem_cm,
             t.uptime_ns, t.cpu_ns, t.ipc_calls, t.fs_read, t.fs_written, t.net_rx, t.net_tx, t.threads_live, t.debug_stop,
             t.fs_meta, t.fs_meta_limit);
}

/* trace CID start BYTES KINDS | read | stop | names (CM_TRACE): read
 * answers one row per record (numbers in hex), then ok with the dropped
 * count and how many records still wait. */
static void verb_trace(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid, w[2] = { 0 }, res[AERIE_MSG_WORDS - 1];
    if (!cid_arg(s, rq, 0, &cid))
        return;
    const char *op = rq->args[1];
    int r;
    if (!strcmp(op, "start")) {
        if (rq->nargs != 4 || !num_arg(s, rq, 2, 10, &w[0]) || !num_arg(s, rq, 3, 10, &w[1])) {
            if (rq->nargs != 4)
                reply_err(s, rq->id, "usage: trace ID start BYTES KINDS");
            return;
        }
        r = ae_cm_trace(s->ctl->cm, cid, CM_TRACE_START, w, 2, 0, 0);
    } else if (!strcmp(op, "stop")) {
        r = ae_cm_trace(s->ctl->cm, cid, CM_TRACE_STOP, 0, 0, 0, 0);
    } else if (!strcmp(op, "names")) {
        r = ae_cm_trace(s->ctl->cm, cid, CM_TRACE_NAMES, 0, 0, res, 21);
        if (!r) {
            char names[161];
            size_t n = res[0] < 160 ? res[0] : 160;
            memcpy(names, &res[1], n);
            names[n] = 0;
            reply_ok(s, rq->id, "%s", names);
            return;
        }
    } else if (!strcmp(op, "read")) {
        r = ae_cm_trace(s->ctl->cm, cid, CM_TRACE_READ, 0, 0, res, 3 + 7 * 8);
        if (!r) {
            for (uint64_t i = 0; i < res[1] && i < 7; i++) {
                const uint64_t *x = &res[3 + 8 * i];
                char row[256];
                snprintf(row, sizeof row, "ts=%lx dur=%lx kind=%lx cpu=%lx tid=%lx a=%lx b=%lx c=%lx d=%lx", x[0],
                         x[1], x[2] & 0xffff, (x[2] >> 16) & 0xffff, x[2] >> 32, x[3], x[4], x[5], x[6]);
                reply_line(s, rq->id, "row", row);
            }
            reply_ok(s, rq->id, "dropped=%lu more=%lu", res[0], res[2]);
            return;
        }
    } else {
        reply_err(s, rq->id, "trace: no operation '%.32s' (start stop read names)", op);
        return;
    }
    if (r == AE_EDEAD)
        reply_err(s, rq->id, "container %lu is not running", cid);
    else if (r == AE_ENOENT)
        reply_err(s, rq->id, "container %lu is not traced", cid);
    else if (r == AE_ENOMEM)
        reply_err(s, rq->id, "container %lu: its memory limit has no room for the trace buffer", cid);
    else if (r == AE_EINVAL)
        reply_err(s, rq->id, "trace: a buffer of 8K to 16M bytes and known kinds only");
    else if (r)
        cm_err(s, rq->id, cid, r, "trace");
    else
        reply_ok(s, rq->id, "%s", "");
}

/* debug CID OP [HEX...]: a debugger's primitives (CM_DEBUG); numbers in
 * hex both ways, memory as hex bytes. tools/aerie_debug.c speaks gdb's
 * remote protocol on the host and sends these. */
static const char *const debug_ops[] = {
    [CM_DBG_ATTACH] = "attach", [CM_DBG_DETACH] = "detach", [CM_DBG_STATUS] = "status",
    [CM_DBG_STOP] = "stop", [CM_DBG_CONT] = "cont", [CM_DBG_STEP] = "step", [CM_DBG_REGS] = "regs",
    [CM_DBG_SET_REGS] = "setregs", [CM_DBG_READ] = "read", [CM_DBG_WRITE] = "write",
};

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void verb_debug(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid, w[AERIE_MSG_WORDS] = { 0 }, res[AERIE_MSG_WORDS - 1];
    unsigned op = 0, n = 0;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    for (unsigned i = 1; i < sizeof debug_ops / sizeof debug_ops[0]; i++)
        if (!strcmp(rq->args[1], debug_ops[i]))
            op = i;
    if (!op) {
        reply_err(s, rq->id, "debug: no operation '%.32s' (attach detach status stop cont step regs setregs "
                  "read write)", rq->args[1]);
        return;
    }
    for (unsigned i = 2; i < rq->nargs; i++) {
        const char *a = rq->args[i];
        if (op == CM_DBG_WRITE && i == 4) {        /* the bytes, in hex */
            size_t len = strlen(a);
            if (len % 2 || len / 2 > AERIE_MEM_WRITE_MAX || len / 2 != w[1]) {
                reply_err(s, rq->id, "debug write: the bytes do not match the length");
                return;
            }
            for (size_t j = 0; j < len / 2; j++) {
                int hi = hex_digit(a[2 * j]), lo = hex_digit(a[2 * j + 1]);
                if (hi < 0 || lo < 0) {
                    reply_err(s, rq->id, "debug write: the bytes are not hex");
                    return;
                }
                ((uint8_t *)&w[2])[j] = (uint8_t)(hi << 4 | lo);
            }
            n = 2 + (unsigned)((len / 2 + 7) / 8);
            continue;
        }
        uint64_t v = 0;
        bool ok = a[0] && strlen(a) <= 16 && n < 2 + AERIE_REG_COUNT;
        for (const char *p = a; ok && *p; p++) {
            ok = hex_digit(*p) >= 0;
            v = v << 4 | (uint64_t)(ok ? hex_digit(*p) : 0);
        }
        if (!ok) {
            char wd[64];
            reply_err(s, rq->id, "debug: '%s' is not a hex number", reply_word(a, wd, sizeof wd));
            return;
        }
        w[n++] = v;
    }
    unsigned nres = op == CM_DBG_REGS ? AERIE_REG_COUNT : op == CM_DBG_READ ? (unsigned)((w[1] + 7) / 8)
                  : op == CM_DBG_STATUS || op == CM_DBG_ATTACH ? 7 : 0;
    if (op == CM_DBG_READ && w[1] > AERIE_MEM_RW_MAX) {
        reply_err(s, rq->id, "debug read: at most %d bytes at once", AERIE_MEM_RW_MAX);
        return;
    }
    int r = ae_cm_debug(s->ctl->cm, cid, op, w, n, res, nres);
    if (r == AE_EPERM)
        reply_err(s, rq->id, "container %lu was not created with debug=yes or debug=hold", cid);
    else if (r == AE_EDEAD)
        reply_err(s, rq->id, "container %lu is not running", cid);
    else if (r == AE_EBUSY)
        reply_err(s, rq->id, "container %lu is running: stop it first", cid);
    else if (r == AE_EFAULT || r == AE_ERIGHTS || r == AE_EINVAL)
        reply_err(s, rq->id, "debug %s: refused (error %d): not mapped%s", debug_ops[op], r,
                  r == AE_ERIGHTS ? " writable" : "");
    else if (r)
        cm_err(s, rq->id, cid, r, "debug");
    else if (op == CM_DBG_READ) {
        char hex[2 * AERIE_MEM_RW_MAX + 1];
        for (uint64_t j = 0; j < w[1]; j++)
            snprintf(hex + 2 * j, 3, "%02x", ((const uint8_t *)res)[j]);
        hex[2 * w[1]] = 0;
        reply_ok(s, rq->id, "%s", hex);
    } else {
        char out[AERIE_REG_COUNT * 17 + 1] = "";
        for (unsigned j = 0; j < nres; j++)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%lx", j ? " " : "", res[j]);
        reply_ok(s, rq->id, "%s", out);
    }
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
    } else if (r == AE_ETIMEOUT) {
        /* its personality did not receive (a container keeps it busy or
         * deaf as it likes: attack17): a signal is only asked, and only
         * kill needs nothing of the container (aerie kill falls back to it) */
        reply_err(s, rq->id, "container %lu did not take the signal (its Linux personality did not receive it): "
                  "only kill ends it", cid);
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

/* rename ID NAME: cm checks the name (a letter first, then letters,
 * digits, _ . -) and that no other container has it. */
static void verb_rename(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    char err[CM_TEXT_MAX + 1] = "", w[64];
    if (!cid_arg(s, rq, 0, &cid))
        return;
    if (!rq->args[1][0] || strlen(rq->args[1]) > CM_NAME_MAX) {
        reply_err(s, rq->id, "name: '%s' is not 1 to %d bytes", reply_word(rq->args[1], w, sizeof w), CM_NAME_MAX);
        return;
    }
    int r = ae_cm_rename(s->ctl->cm, cid, rq->args[1], err, sizeof err);
    if (r == AE_ESRCH)
        reply_err(s, rq->id, "no such container %lu", cid);
    else if (r && err[0])
        reply_err(s, rq->id, "%s", err);
    else if (r)
        cm_err(s, rq->id, cid, r, "rename");
    else
        reply_ok(s, rq->id, "%s", "");
}

/* Its command as its program got it ("arg" records of CM_INSPECT's
 * first chunk, joined by spaces: enough for ps's column), and when it
 * was created and finished, ms ago by cm's clock. */
static void ps_about(uint64_t cm, uint64_t cid, char *cmd, size_t cap, uint64_t *created, uint64_t *finished)
{
    static char text[CM_INSPECT_CHUNK + 1];
    uint64_t times[4], total;
    size_t got = 0, n = 0;
    cmd[0] = 0;
    *created = *finished = 0;
    if (ae_cm_inspect(cm, cid, 0, times, text, sizeof text - 1, &total, &got))
        return;
    text[got] = 0;
    *created = (times[3] - times[0]) / 1000000;
    *finished = times[2] ? (times[3] - times[2]) / 1000000 : 0;
    for (size_t at = 0; at < got; at += strlen(text + at) + 1) {
        if (strncmp(text + at, "arg ", 4) || at + strlen(text + at) >= got)
            continue;                            /* not an argument, or cut at the chunk's end */
        const char *w = text + at + 4;           /* a word with blanks or quotes in sh's single quotes */
        bool quote = !w[0] || strpbrk(w, " \t'\"\\") != NULL;
        if (n + 2 >= cap)
            break;
        if (n)
            cmd[n++] = ' ';
        if (quote)
            cmd[n++] = '\'';
        for (; *w && n + 5 < cap; w++) {
            if (*w == '\'' && quote) {
                memcpy(cmd + n, "'\\''", 4);
                n += 4;
            } else {
                cmd[n++] = *w;
            }
        }
        if (quote && n + 1 < cap)
            cmd[n++] = '\'';
        cmd[n] = 0;
        if (*w)
            break;                               /* full: the rest would not show anyway */
    }
}

/* One "row" of ps for container cid in state. */
static void ps_row(struct ctl_session *s, const char *id, uint64_t cid)
{
    char info[2 * 32 + 2] = "? -", image[80], name[80], rest[1024], cmd[160], cmdw[4 * 160 + 8];
    struct ae_cm_stats t = { 0 };
    struct ae_cm_status st = { 0 };
    uint64_t cm = s->ctl->cm, created, finished;
    if (ae_cm_info(cm, cid, info, sizeof info) || ae_cm_stats(cm, cid, &t) || ae_cm_status(cm, cid, &st))
        return;                                  /* removed meanwhile */
    ps_about(cm, cid, cmd, sizeof cmd, &created, &finished);
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
    snprintf(rest + n, sizeof rest - (size_t)n, " uptime_ms=%lu mem=%lu mem_limit=%lu created_ms_ago=%lu "
             "finished_ms_ago=%lu cmd=%s", t.uptime_ns / 1000000, t.mem_used, t.mem_limit, created, finished,
             reply_word(cmd, cmdw, sizeof cmdw));
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

/* Fault injection (docs/RESTART.md): root kills a boot service and starts
 * it again; the reply says how long the restart took. */
static void verb_debug_kill_service(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t started, answered, kills;
    char w[64];
    int r = ae_cm_debug_kill_service(s->ctl->cm, rq->args[0], &started, &answered, &kills);
    if (r == AE_ENOENT)
        reply_err(s, rq->id, "no running service '%s'", reply_word(rq->args[0], w, sizeof w));
    else if (r == AE_EPERM)
        reply_err(s, rq->id, "service '%s' is not one root restarts", reply_word(rq->args[0], w, sizeof w));
    else if (r)
        reply_err(s, rq->id, "the container manager refused (error %d)", r);
    else
        reply_ok(s, rq->id, "started_us=%lu answered_us=%lu kills=%lu", started / 1000, answered / 1000, kills);
}

/* fork ID [N]: N clones of a running container (docs/FORK.md). */
static void verb_fork(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid, ids[CM_FORK_MAX], ns = 0;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    unsigned long n = 1;
    if (rq->nargs > 1) {
        char *end;
        n = strtoul(rq->args[1], &end, 10);
        if (*end || n < 1 || n > CM_FORK_MAX) {
            reply_err(s, rq->id, "N: a number of clones from 1 to %d", CM_FORK_MAX);
            return;
        }
    }
    unsigned made = 0;
    char err[CM_TEXT_MAX + 1] = "";
    int r = ae_cm_fork(s->ctl->cm, cid, (unsigned)n, ids, &made, &ns, err, sizeof err);
    if (r == AE_ESRCH) {
        reply_err(s, rq->id, "no container %lu", cid);
        return;
    }
    if (r) {
        reply_err(s, rq->id, "%s", err[0] ? err : "the container manager refused the fork");
        return;
    }
    char list[CM_FORK_MAX * 21 + 64];
    size_t at = (size_t)snprintf(list, sizeof list, "us=%lu ids=", ns / 1000);
    for (unsigned i = 0; i < made && at < sizeof list; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%lu", i ? "," : "", ids[i]);
    reply_ok(s, rq->id, "%s", list);
}

static const struct verb verbs[] = {
    { "hello",  0, 1, "hello [VERSION]: -> ok aerie-ctl VERSION", verb_hello },
    { "help",   0, 1, "help [VERB]: lists the verbs, or shows one's usage", verb_help },
    { "create", 1, CTL_WORDS_MAX, "create SPEC...: makes a container, not started -> ok ID", verb_create },
    { "createspec", 1, 1, "createspec SIZE, then SIZE bytes of spec (a long one): as create", NULL },
    { "start",  1, 1, "start ID: starts a created container", verb_start },
    { "run",    1, CTL_WORDS_MAX, "run SPEC...: creates and starts -> started ID, out..., exit STATE", verb_run },
    { "runspec", 1, 1, "runspec SIZE, then SIZE bytes of spec (a long one): as run", NULL },
    { "follow", 1, 2, "follow ID [FROM]: streams the log until the end -> out..., exit STATE", verb_follow },
    { "logs",   1, 2, "logs ID [FROM]: the log so far -> out..., ok NEXT", verb_logs },
    { "status", 1, 1, "status ID: -> ok STATE", verb_status },
    { "stats",  1, 1, "stats ID: -> ok key=value...", verb_stats },
    { "inspect", 1, 1, "inspect ID: -> row KEY VALUE... (id name image state ... arg env), ok", verb_inspect },
    { "trace",  2, 4, "trace ID start BYTES KINDS|read|stop|names: its trace (docs/CM.md)", verb_trace },
    { "debug",  2, 3 + AERIE_REG_COUNT, "debug ID OP [HEX...]: a debugger's primitives (docs/CM.md)", verb_debug },
    { "exec",   2, CTL_WORDS_MAX, "exec ID [-i] [-e NAME=VALUE]... [-w DIR] [--] PROGRAM [ARG]...: a new process in a "
      "running Linux container -> started N PID, out..., exit STATE", verb_exec },
    { "kill",   1, 1, "kill ID: ends a running container", verb_kill },
    { "signal", 2, 2, "signal ID SIG: a signal (TERM, INT, 15...) to a container's Linux program", verb_signal },
    { "rm",     1, 2, "rm ID [-f]: removes a container (-f: even a running one)", verb_rm },
    { "rename", 2, 2, "rename ID NAME: gives a container another name (no other may have it)", verb_rename },
    { "fork",   1, 2, "fork ID [N]: N clones of a running container -> ok us=.. ids=ID,ID...", verb_fork },
    { "ps",     0, 0, "ps: -> row id=.. image=.. name=.. state=.. ... created_ms_ago=.. cmd=.., ok COUNT", verb_ps },
    { "images", 0, 0, "images: -> row name=.. bytes=.. prog=.. imported=.. ..., ok COUNT", verb_images },
    { "fstat",  2, 2, "fstat ID PATH: -> ok file|dir|fifo SIZE MODE", verb_fstat },
    { "get",    2, 2, "get ID PATH: -> data N (then N bytes)..., ok SIZE", verb_get },
    { "put",    4, 4, "put ID PATH SIZE MODE, then SIZE bytes: writes a file -> ok SIZE", NULL },
    { "mkdir",  3, 3, "mkdir ID PATH MODE: makes a directory in a container's files", verb_mkdir },
    { "ls",     3, 3, "ls ID PATH COOKIE: -> row file|dir|link|fifo NAME..., ok NEXT END", verb_ls },
    { "symlink", 3, 3, "symlink ID PATH TARGET: makes PATH a symbolic link (replaces a link there)", verb_symlink },
    { "readlink", 2, 2, "readlink ID PATH: -> ok TARGET", verb_readlink },
    { "import", 2, 2, "import NAME SIZE, then SIZE bytes of image archive: -> ok", NULL },
    { "rmi",    1, 1, "rmi NAME: removes an imported image no container uses", verb_rmi },
    { "input",  2, 2, "input ID SIZE, then SIZE bytes | input ID eof: a container's standard input "
      "(run -i) -> ok", verb_input_eof },
    { "debug-kill-service", 1, 1, "debug-kill-service NAME: kills a boot service (console, fs, net); root "
      "restarts it -> ok started_us=.. answered_us=.. kills=..", verb_debug_kill_service },
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
    char list[512] = "";
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
    else if (!strcmp(v->name, "input"))
        input_begin(s, rq, size);
    else if (!strcmp(v->name, "runspec") || !strcmp(v->name, "createspec"))
        spec_begin(s, rq, size, !strcmp(v->name, "runspec"));
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
