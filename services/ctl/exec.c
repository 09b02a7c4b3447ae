/*
 * exec.c — "exec CID [-i] [-e NAME=VALUE]... [-w DIR] [--] PROGRAM [ARG]...": a new
 * process in a running Linux container (`aerie exec`; docs/CM.md, docs/
 * LINUX.md "Programs run from outside"). cm asks the container's
 * personality (CM_EXEC) and answers at once with the exec's number; what
 * became of it we learn by asking cm each turn (CM_EXEC_STATUS), which
 * reads the container's exec board. Meanwhile its output — the
 * container's console log, from where it stood when we asked — goes out
 * as "out" lines, as for "run"; then "started N PID" once it runs, and
 * "exit STATE" once it ended and the log is drained, or "err" naming why
 * it did not start. Its input, with -i, comes as "input CID:N SIZE"
 * (input.c).
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/proto/linux.h>
#include "ctl.h"

#define EXEC_END_PUMPS 4                 /* stream_pumps once an exec ended: twice the log (see exec_turn) */
#define PENDING_TURNS 3000               /* ~30 s of 10 ms rounds without a word from the personality */

/* Where the log ends now: its output starts there (the log holds at most
 * a few KiB, so a few reads). */
static uint64_t log_end(struct ctl *c, uint64_t cid)
{
    static char buf[CM_TEXT_MAX];
    uint64_t from = 0;
    for (unsigned i = 0; i < 64; i++) {
        int64_t n = ae_cm_logs(c->cm, cid, &from, buf, sizeof buf);
        if (n <= 0)
            break;
    }
    return from;
}

void verb_exec(struct ctl_session *s, const struct ctl_request *rq)
{
    uint64_t cid;
    if (!cid_arg(s, rq, 0, &cid))
        return;
    unsigned i = 1, flags = 0, nenv = 0;
    const char *env[CTL_WORDS_MAX], *workdir = NULL;
    static char pwd[CTL_LINE_MAX + 8];
    for (; i < rq->nargs && rq->args[i][0] == '-'; i++) {
        if (!strcmp(rq->args[i], "--")) {
            i++;
            break;
        }
        if (!strcmp(rq->args[i], "-i")) {
            flags |= CM_EXEC_STDIN;
        } else if (!strcmp(rq->args[i], "-t")) {
            flags |= CM_EXEC_TTY;
        } else if (!strcmp(rq->args[i], "-e") && i + 1 < rq->nargs && strchr(rq->args[i + 1], '=') &&
                   rq->args[i + 1][0] != '=') {
            env[nenv++] = rq->args[++i];
        } else if (!strcmp(rq->args[i], "-w") && i + 1 < rq->nargs) {
            workdir = rq->args[++i];
        } else {
            char w[64];
            reply_err(s, rq->id, "exec: '%s' is not an option (-i, -t, -e NAME=VALUE, -w DIR, --)",
                      reply_word(rq->args[i], w, sizeof w));
            return;
        }
    }
    if (i >= rq->nargs || !rq->args[i][0]) {
        reply_err(s, rq->id, "exec: no program to run (exec ID [-i] [-t] [-e NAME=VALUE]... PROGRAM [ARG]...)");
        return;
    }
    if (workdir && (workdir[0] != '/' || strlen(workdir) >= 256)) {
        char w[300];
        reply_err(s, rq->id, "exec: -w '%s': the working directory must be an absolute path (under 256 bytes)",
                  reply_word(workdir, w, sizeof w));
        return;
    }
    if (workdir) {
        /* checked here, so a missing one is named as such and not as a
         * missing program: the personality starts it in PWD (linux/outside.c) */
        uint32_t type = 0, mode = 0;
        uint64_t size = 0;
        char w[300];
        int fr = ae_cm_fs_stat(s->ctl->cm, cid, workdir, &type, &size, &mode);
        if (fr == AE_ESRCH) {
            reply_err(s, rq->id, "no such container %lu", cid);
            return;
        }
        if (fr || type != FS_TYPE_DIR) {
            reply_err(s, rq->id, "exec: -w '%s': %s in container %lu", reply_word(workdir, w, sizeof w),
                      fr == AE_ENOENT ? "no such directory" : !fr ? "not a directory" :
                      "its files cannot be read (started without the fs grant?)", cid);
            return;
        }
        snprintf(pwd, sizeof pwd, "PWD=%s", workdir);
        env[nenv++] = pwd;
    }
    char text[CM_EXEC_TEXT_MAX];
    size_t len = 0;
    unsigned argc = rq->nargs - i;
    for (unsigned k = 0; k < argc + nenv; k++) {
        const char *w = k < argc ? rq->args[i + k] : env[k - argc];
        size_t n = strlen(w) + 1;
        if (len + n > sizeof text) {
            reply_err(s, rq->id, "exec: the program, its arguments and -e words are longer than %d bytes in all",
                      CM_EXEC_TEXT_MAX);
            return;
        }
        memcpy(text + len, w, n);
        len += n;
    }
    if (stream_count(s->ctl) == CTL_STREAMS) {
        reply_err(s, rq->id, "already streaming %d containers: wait for one to end", CTL_STREAMS);
        return;
    }
    struct ae_cm_status st;
    int r = ae_cm_status(s->ctl->cm, cid, &st);
    if (r == AE_ESRCH) {
        reply_err(s, rq->id, "no such container %lu", cid);
        return;
    }
    if (!r && st.state != CM_RUNNING) {
        char state[200];
        reply_state(&st, state, sizeof state);
        reply_err(s, rq->id, "container %lu is not running (%s): exec does not start it", cid, state);
        return;
    }
    uint64_t from = log_end(s->ctl, cid), n = 0;
    char err[200] = "";
    r = ae_cm_exec(s->ctl->cm, cid, argc, flags, text, len, &n, err, sizeof err);
    if (r) {
        reply_err(s, rq->id, "container %lu: %s", cid, err[0] ? err : "the container manager refused exec");
        return;
    }
    stream_add(s, rq->id, cid, from);
    for (unsigned k = 0; k < CTL_STREAMS; k++) {
        struct ctl_stream *x = &s->ctl->streams[k];
        if (x->active && x->s == s && x->cid == cid && !x->exec && !strcmp(x->id, rq->id)) {
            x->exec = n;
            snprintf(x->prog, sizeof x->prog, "%s", rq->args[i]);
            break;
        }
    }
}

static const char *errno_why(uint64_t e)
{
    switch (e) {
    case 2: return "no such program in the container (ENOENT; one started without the fs grant sees no files)";
    case 13: return "not a program it may run: not a regular file, or not executable (EACCES)";
    case 11: return "no room for another process: the container's limits (threads, objects) are reached (EAGAIN)";
    case 12: return "no memory left in the container's limit (ENOMEM)";
    case 8: return "not a program Linux runs (ENOEXEC)";
    case 80: return "its program interpreter is not one Linux runs (ELIBBAD)";
    case 7: return "its arguments and environment are too long (E2BIG)";
    case 36: return "its path is too long (ENAMETOOLONG)";
    case 40: return "too many symbolic links (ELOOP)";
    case 20: return "a directory on its path is not a directory (ENOTDIR)";
    case 22: return "bad arguments (EINVAL)";
    default: return NULL;
    }
}

static void finish(struct ctl_stream *st, const char *kind, const char *rest)
{
    reply_line(st->s, st->id, kind, rest);
    st->active = false;
}

void exec_turn(struct ctl *c, struct ctl_stream *st)
{
    uint64_t state = 0, value = 0, in = 0;
    /* its state first: "started" (or "err") comes before any output */
    int r = ae_cm_exec_status(c->cm, st->cid, st->exec, &state, &value, &in);
    if (r >= 0 && st->exec_started)
        r = stream_pump(c, st);
    char w[96], line[256];
    if (r == AE_EBUSY) {
        /* the container ended: its processes, this one too, ended with it */
        if (!st->exec_started) {
            reply_err(st->s, st->id, "container %lu ended before exec %lu started", st->cid, st->exec);
            st->active = false;
            return;
        }
        while (stream_pump(c, st) == 1)
            ;
        finish(st, "exit", "killed");
        return;
    }
    if (r == AE_ESRCH) {
        reply_err(st->s, st->id, "container %lu was removed", st->cid);
        st->active = false;
        return;
    }
    if (r < 0) {
        reply_err(st->s, st->id, "container %lu: the manager did not answer (error %d)", st->cid, r);
        st->active = false;
        return;
    }
    if (state == CM_EXEC_FAILED) {
        const char *why = errno_why(value);
        reply_word(st->prog, w, sizeof w);
        if (why)
            reply_err(st->s, st->id, "exec %s: %s", w, why);
        else
            reply_err(st->s, st->id, "exec %s: it could not start (Linux error %lu)", w, value);
        st->active = false;
        return;
    }
    if (state == CM_EXEC_LOST) {
        reply_err(st->s, st->id, "exec %lu of container %lu: its end was not seen (64 later execs took its "
                  "place on the exec board)", st->exec, st->cid);
        st->active = false;
        return;
    }
    if (state == CM_EXEC_PENDING) {
        if (++st->exec_turns > PENDING_TURNS) {
            reply_err(st->s, st->id, "container %lu: its Linux personality never answered exec", st->cid);
            st->active = false;
        }
        return;
    }
    if (!st->exec_started && (state == CM_EXEC_RUNNING || state == CM_EXEC_EXITED)) {
        snprintf(line, sizeof line, "%lu %lu", st->exec, state == CM_EXEC_RUNNING ? value : 0);
        reply_line(st->s, st->id, "started", line);
        st->exec_started = true;
    }
    if (state != CM_EXEC_EXITED)
        return;
    /* it ended: what it wrote is in the log, at most the log's 4 KiB
     * behind its end, which two pumps (16 reads of 496 bytes each) cover.
     * Bounded, not "until nothing is new": the container's other
     * processes may write on as fast as we read, and this one thread
     * serves every client (attack17) */
    for (unsigned k = 0; k < EXEC_END_PUMPS && (r = stream_pump(c, st)) == 1; k++)
        ;
    /* a wait status: exit code << 8, or the signal that ended it */
    struct ae_cm_status es = { .state = CM_EXITED, .exit_status = (value >> 8) & 0xff };
    if (value & 0x7f) {
        es.state = CM_FAULTED;
        es.fault_label = CM_FAULT_LINUX_SIGNAL | (value & 0x7f) << 32;
    }
    reply_state(&es, line, sizeof line);
    finish(st, "exit", line);
}
