/*
 * ops.c — the container manager's protocol handlers (aerie/proto/cm.h),
 * one per opcode, and the handler for its containers' fault messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/proto/console.h>
#include <aerie/proto/linux.h>
#include <aerie/proto/fs.h>
#include <aerie/proto/net.h>
#include <libaerie/fs.h>
#include <libaerie/syscall.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/server.h>
#include "cm.h"
#include "images.h"

/* An error reply with a message (words 1.., after the status). */
static int fail_msg(struct ae_request *rq, int status, const char *msg)
{

    size_t len = strlen(msg);
    if (len > CM_TEXT_MAX)
        len = CM_TEXT_MAX;
    rq->reply[0] = (uint64_t)(int64_t)status;
    rq->reply[1] = len;
    memcpy(&rq->reply[2], msg, len);
    rq->nreply = 2 + (unsigned)((len + 7) / 8);
    return status;
}

static int ok(struct ae_request *rq, unsigned nwords)
{
    rq->reply[0] = 0;
    rq->nreply = nwords;
    return 0;
}

/* Copies the text in words 0 (length), 1.. out of the request. */
static int text_arg(const struct ae_request *rq, char *buf, size_t cap, size_t *len)
{
    uint64_t n = rq->w[0];
    if (n >= cap || n > (uint64_t)(rq->nwords - 1) * 8)
        return AE_EPROTO;
    memcpy(buf, &rq->w[1], n);
    buf[n] = 0;
    *len = n;
    return 0;
}

/* The rest of a create, with the spec parsed. */
static int create_parsed(struct ae_request *rq, struct spec *s, bool start)
{
    char err[200];
    /* An imported image is a root of files its program expects to find
     * (docker run always gives it them): its files are granted unless the
     * spec says which grants it gets. A boot image's program needs none. */
    if (!s->grants_given && images_is_imported(s->image))
        s->grants |= SPEC_GRANT_FS;
    uint64_t id;
    int r = container_create(s, &id, err, sizeof err);
    /* Out of memory just after a container ended may be memory on its way
     * back: a dead task's page tables are freed by the last CPU to leave
     * them, at its next pass through its scheduler, and only then does
     * their charge leave our quota (docs/CM.md, "Memory on its way back").
     * A user who ends N containers and starts N expects them to fit, so
     * the start is tried again for a few ms; past that, no. */
    for (int tries = 0; r == AE_ENOMEM && tries < CM_FULL_RETRIES &&
                        cm_now_ns() - __atomic_load_n(&cm.last_end_ns, __ATOMIC_RELAXED) < CM_FULL_RECENT_NS;
         tries++) {
        ae_sleep_ns(CM_FULL_RETRY_NS);
        r = container_create(s, &id, err, sizeof err);
    }
    if (r)
        return fail_msg(rq, r, err);
    if (start) {
        struct container *c = container_find(id);
        if (c) {
            r = container_start(c);
            container_put(c);
        }
        if (r)
            return fail_msg(rq, r, "start: the container could not be resumed");
        ae_yield();                       /* its first moments at our priority (container_start) */
    }
    rq->reply[1] = id;
    return ok(rq, 2);
}

/* A spec longer than a message: word 0 its length (<= CM_SPEC_MAX), its
 * text at offset 0 of the Memory object whose capability came with the
 * request. Copied out with Memory READ (no mapping: nothing the client
 * does to the object can fault cm) into a buffer of exactly its length,
 * which create frees; the capability goes when the request ends. */
static int spec_from_memory(struct ae_request *rq, char **text, size_t *len)
{
    uint64_t n = rq->w[0];
    if (rq->nwords != 1)
        return fail_msg(rq, AE_EPROTO, "spec: with a Memory capability, word 0 (its length) is the whole request");
    if (n > CM_SPEC_MAX) {
        char m[120];
        snprintf(m, sizeof m, "spec: %lu bytes, longer than the %d a spec may have", n, CM_SPEC_MAX);
        return fail_msg(rq, AE_EMSGSIZE, m);
    }
    uint64_t info[3];
    uint64_t mem = rq->caps[0];
    int r = (int)ae_invoke(mem, AERIE_MEM_INFO, 0, NULL, info, 3);
    if (r == AE_ERIGHTS)
        return fail_msg(rq, AE_ERIGHTS, "spec: its Memory object could not be read (the capability lacks READ)");
    if (r)
        return fail_msg(rq, AE_EINVAL, "spec: the capability sent is not a Memory object");
    if (n > info[0]) {
        char m[120];
        snprintf(m, sizeof m, "spec: its length %lu is past the end of its Memory object (%lu bytes)", n, info[0]);
        return fail_msg(rq, AE_ERANGE, m);
    }
    char *t = malloc(n + 1);
    if (!t)
        return fail_msg(rq, AE_ENOMEM, "spec: no memory to copy it");
    for (uint64_t at = 0; at < n; at += AERIE_MEM_RW_MAX) {
        uint64_t k = n - at < AERIE_MEM_RW_MAX ? n - at : AERIE_MEM_RW_MAX;
        uint64_t words[AERIE_MEM_RW_MAX / 8];
        r = (int)ae_invoke(mem, AERIE_MEM_READ, 2, AE_ARGS(at, k), words, (unsigned)((k + 7) / 8));
        if (r) {
            free(t);
            char m[120];
            snprintf(m, sizeof m, "spec: its Memory object could not be read (%s)", r == AE_ERIGHTS ?
                     "the capability lacks READ" : "error");
            return fail_msg(rq, r == AE_ERIGHTS ? AE_ERIGHTS : AE_EINVAL, m);
        }
        memcpy(t + at, words, k);
    }
    t[n] = 0;
    *text = t;
    *len = n;
    return 0;
}

_Static_assert(CM_SPEC_MAX == SPEC_TEXT_MAX, "cm's bound on a spec is its parser's");

static int create(struct ae_request *rq, bool start)
{
    char inline_text[CM_TEXT_MAX + 1], err[200];
    char *text = inline_text, *big = NULL;
    size_t len;
    if (rq->ncaps) {
        int r = spec_from_memory(rq, &big, &len);
        if (r)
            return r;
        text = big;
    } else if (text_arg(rq, inline_text, sizeof inline_text, &len)) {
        return fail_msg(rq, AE_EPROTO, "spec: longer than one message can carry (send a Memory object)");
    }
    static __thread struct spec s;        /* not on the stack: its offsets are 1.3 KiB */
    spec_defaults(&s);
    int r = spec_parse(text, len, &s, err, sizeof err);
    free(big);                            /* parsed: the strings are in s */
    if (r) {
        spec_free(&s);
        return fail_msg(rq, AE_EINVAL, err);
    }
    r = create_parsed(rq, &s, start);
    spec_free(&s);
    return r;
}

static int op_create(void *ctx, struct ae_request *rq) { return create(rq, false); }
static int op_run(void *ctx, struct ae_request *rq) { return create(rq, true); }

/* Looks up the container named by word 0 or fails the request. */
#define WITH_CONTAINER(rq, c) \
    struct container *c = container_find((rq)->w[0]); \
    if (!c) return fail_msg((rq), AE_ESRCH, "no such container")

static int op_start(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = container_start(c);
    container_put(c);
    if (r)
        return fail_msg(rq, r, "start: it is not waiting to start");
    ae_yield();                           /* its first moments at our priority (container_start) */
    return ok(rq, 1);
}

static unsigned put_status(const struct container *c, uint64_t *w)
{
    w[1] = (uint64_t)c->state;
    w[2] = c->exit_status;
    w[3] = c->fault[0];
    w[4] = c->fault[1];
    w[5] = c->fault[2];
    return 6;
}

static int op_status(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    unsigned n = put_status(c, rq->reply);
    container_put(c);
    return ok(rq, n);
}

static int op_wait(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    if (c->state != CM_CREATED && c->state != CM_RUNNING) {
        unsigned n = put_status(c, rq->reply);
        container_put(c);
        return ok(rq, n);
    }
    if (c->nwaiters == CM_WAITERS_MAX) {
        container_put(c);
        return fail_msg(rq, AE_EBUSY, "too many waiters");
    }
    uint64_t slot = ae_slot_alloc();
    if (ae_reply_save(slot) < 0) {
        ae_slot_free(slot);
        container_put(c);
        return fail_msg(rq, AE_EDEAD, "the caller went away");
    }
    c->waiters[c->nwaiters++] = (uint32_t)slot;
    container_put(c);
    rq->no_reply = true;                 /* answered when it ends */
    return 0;
}

static int op_kill(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = container_kill(c);
    container_put(c);
    return r ? fail_msg(rq, r, "kill: it is not running") : ok(rq, 1);
}

static int op_signal(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = cm_linux_signal(c, (int)rq->w[1]);
    container_put(c);
    return r ? fail_msg(rq, r, r == AE_ENOTSUP ? "signal: not a Linux program" : r == AE_EINVAL ?
                        "signal: not a signal number (1..64)" : "signal: it is not running") : ok(rq, 1);
}

/* `aerie exec`: a new process in a running Linux container (linux.c). */
static int exec_err(struct ae_request *rq, int r)
{
    return fail_msg(rq, r, r == AE_ENOTSUP ? "exec: it does not run a Linux program (exec needs a Linux image)" :
                    r == AE_EBUSY ? "exec: it is not running" :
                    r == AE_ETIMEOUT ? "exec: its Linux personality did not take the request (busy for a quarter of a second)" :
                    r == AE_EINVAL ? "exec: bad arguments (an exec number it was not given, or too long)" :
                    "exec: the kernel refused");
}

static int op_exec(void *ctx, struct ae_request *rq)
{
    uint64_t len = rq->w[2], argc = rq->w[1] & 0xFFFFFFFFu, flags = rq->w[1] >> 32;
    if (len > CM_EXEC_TEXT_MAX || len > (uint64_t)(rq->nwords - 3) * 8 || argc < 1 || argc > 64 ||
        flags & ~(uint64_t)(CM_EXEC_STDIN | CM_EXEC_TTY))
        return fail_msg(rq, AE_EINVAL, "exec: bad arguments (a program, at most 64 words, 488 bytes in all)");
    /* the words must be there: argc NUL-terminated ones, nothing after the last NUL */
    const char *t = (const char *)&rq->w[3];
    uint64_t words = 0;
    for (uint64_t i = 0; i < len; i++)
        words += t[i] == 0;
    if (!len || t[len - 1] || words < argc || !t[0])
        return fail_msg(rq, AE_EINVAL, "exec: bad arguments (the program's name is empty, or a word is not ended)");
    WITH_CONTAINER(rq, c);
    uint64_t n = 0;
    int r = cm_linux_exec(c, argc | flags << 32, t, len, &n);
    container_put(c);
    if (r)
        return exec_err(rq, r);
    rq->reply[1] = n;
    return ok(rq, 2);
}

static int op_exec_status(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = cm_linux_exec_status(c, rq->w[1], &rq->reply[1]);
    container_put(c);
    return r ? exec_err(rq, r) : ok(rq, 4);
}

static int op_exec_input(void *ctx, struct ae_request *rq)
{
    uint64_t len = rq->w[3];
    if (len > CM_EXEC_IN_CHUNK || len > (uint64_t)(rq->nwords - 4) * 8 ||
        (rq->w[2] & ~LX_EXEC_IN_EOF) >= (1ull << 48))
        return fail_msg(rq, AE_EINVAL, "exec: input: a length over what the message carries");
    WITH_CONTAINER(rq, c);
    int r = cm_linux_exec_input(c, rq->w[1], rq->w[2], &rq->w[4], len);
    container_put(c);
    return r ? exec_err(rq, r) : ok(rq, 1);
}

/* Input for a container's standard input, passed to the console while
 * it runs (input.c); c stays locked, so its end cannot come between. */
static int op_input(void *ctx, struct ae_request *rq)
{
    uint64_t n = rq->w[2];
    if (rq->w[1] & ~(uint64_t)CM_INPUT_EOF || n > CM_INPUT_CHUNK || n > (uint64_t)(rq->nwords - 3) * 8)
        return fail_msg(rq, AE_EINVAL, "input: flags, or a length over what the message carries");
    WITH_CONTAINER(rq, c);
    int64_t r = cm_input(c, rq->w[1] & CM_INPUT_EOF, &rq->w[3], n);
    container_put(c);
    if (r < 0)
        return fail_msg(rq, (int)r, r == AE_ENOENT ? "input: it was not started with input (run -i)" :
                        r == AE_ESRCH ? "input: it has ended" : r == AE_EDEAD ?
                        "input: the console restarted and its input went with it" : "input: the console did not take it");
    rq->reply[1] = (uint64_t)r;
    return ok(rq, 2);
}

/* ctl started: the clients that fed input went with its last life. */
static int op_input_orphans(void *ctx, struct ae_request *rq)
{
    rq->reply[1] = cm_input_orphans();
    return ok(rq, 2);
}

static int op_remove(void *ctx, struct ae_request *rq)
{
    int r = container_remove(rq->w[0]);
    return r ? fail_msg(rq, r, "no such container") : ok(rq, 1);
}

static int op_list(void *ctx, struct ae_request *rq)
{
    uint64_t from = rq->w[0];
    unsigned n = 0;
    while (n < 30) {
        int state;
        uint64_t id = container_next_id(from, &state);
        if (!id)
            break;
        rq->reply[2 + 2 * n] = id;
        rq->reply[3 + 2 * n] = (uint64_t)state;
        n++;
        from = id + 1;
    }
    rq->reply[1] = n;
    return ok(rq, 2 + 2 * n);
}

/* File bytes read and written by its fs session, packets received and
 * sent by its net client (0 without them), into w[0..3]; its session's
 * metadata bytes and their cap into meta[0..1]. */
static void io_counters(uint64_t fs, uint64_t net, uint64_t *w, uint64_t *meta)
{
    uint64_t f[FS_SSTAT_WORDS] = { 0 };
    w[0] = w[1] = w[2] = w[3] = 0;
    meta[0] = meta[1] = 0;
    if (fs && cm.fs_admin && ae_fs_admin_session_stats(cm.fs_admin, (uint32_t)fs, f) == 0) {
        w[0] = f[FS_SSTAT_READ_BYTES];
        w[1] = f[FS_SSTAT_WRITE_BYTES];
        meta[0] = f[FS_SSTAT_META_BYTES];
        meta[1] = f[FS_SSTAT_META_LIMIT];
    }
    if (net && cm.net_admin) {
        struct aerie_utcb *u = ae_utcb();
        u->mr[0] = net;
        int64_t r = ae_call(cm.net_admin, AERIE_INFO(NET_ADMIN_CLIENT_STATS, 1, 0), AERIE_TIMEOUT_FOREVER);
        if (r >= 0 && !AERIE_INFO_LABEL((uint64_t)r) && AERIE_INFO_NWORDS((uint64_t)r) >= 3) {
            w[2] = u->mr[0];                 /* rx_delivered */
            w[3] = u->mr[2];                 /* tx_sent */
        }
    }
}

/* Where a container's memory is: keep's figures are all of it (its limit
 * bounds everything); the breakdown says what each part holds. */
static int op_stats(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    uint64_t q[6] = { 0 }, run[8] = { 0 };
    ae_quota_info(c->keep, q);
    if (c->run)
        ae_invoke(c->run, AERIE_QUOTA_INFO, 0, 0, run, 8);
    else
        memcpy(run, c->final, sizeof run);
    uint64_t end = c->ended_ns ? c->ended_ns : cm_now_ns();
    uint64_t mem[3] = { 0 };
    if (c->log_mem)
        ae_invoke(c->log_mem, AERIE_MEM_INFO, 0, 0, mem, 3);   /* the log's pages written so far */
    uint64_t log = mem[2], run_now = c->run ? run[1] : 0;
    rq->reply[1] = q[1];
    rq->reply[2] = q[0];
    rq->reply[3] = q[3];
    rq->reply[4] = q[2];
    rq->reply[5] = q[5];
    rq->reply[6] = q[4];
    rq->reply[7] = c->started_ns ? end - c->started_ns : 0;
    rq->reply[8] = (uint64_t)c->state;
    rq->reply[9] = (uint64_t)(int64_t)c->cpu;
    rq->reply[10] = run_now;                        /* program, stack, threads, page tables */
    rq->reply[11] = log;                            /* its console log */
    rq->reply[12] = q[1] > run_now + log ? q[1] - run_now - log : 0;   /* files, kernel records */
    rq->reply[13] = sizeof *c;                      /* cm's record of it */
    rq->reply[14] = run[6];                         /* CPU ns: the kernel's count */
    rq->reply[15] = run[7];                         /* endpoint calls */
    rq->reply[20] = c->run ? run[3] : 0;            /* live threads */
    rq->reply[21] = c->run ? (uint64_t)c->dbg.stop : 0;   /* stopped by a debugger, or held in a fault */
    uint64_t fs = c->fs_session, net = c->net_client;
    container_put(c);
    io_counters(fs, net, &rq->reply[16], &rq->reply[22]);
    return ok(rq, 24);
}

/* Log bytes one CM_LOGS reply carries: 64 words less status, next and
 * length. The console may send more; the rest comes with the next call. */
#define LOG_CHUNK ((AERIE_MSG_WORDS - 3) * 8)

static int op_logs(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    uint64_t badge = c->console_badge, from = rq->w[1];
    container_put(c);
    if (!badge || !cm.console_admin)
        return fail_msg(rq, AE_ENOENT, "it has no console stream");
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = badge;
    u->mr[1] = from;
    int64_t r = ae_call(cm.console_admin, AERIE_INFO(CON_READ, 2, 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0 || AERIE_INFO_LABEL((uint64_t)r) || AERIE_INFO_NWORDS((uint64_t)r) < 2)
        return fail_msg(rq, AE_EDEAD, "the console did not answer");
    uint64_t next = u->mr[0], len = u->mr[1];
    uint64_t sent = (AERIE_INFO_NWORDS((uint64_t)r) - 2) * 8;
    if (len > sent || len > next)
        return fail_msg(rq, AE_EPROTO, "the console sent a malformed log reply");
    if (len > LOG_CHUNK) {
        next -= len - LOG_CHUNK;             /* resume where this reply stops */
        len = LOG_CHUNK;
    }
    rq->reply[1] = next;
    rq->reply[2] = len;
    memcpy(&rq->reply[3], &u->mr[2], len);
    return ok(rq, 3 + (unsigned)((len + 7) / 8));
}

/* The index-th image's name, boot images first, then imported ones. */
static int op_images(void *ctx, struct ae_request *rq)
{
    char name[SPEC_NAME_MAX], prog[IMGCFG_STR];
    uint64_t bytes, imported;
    if (rq->w[0] > UINT32_MAX ||
        images_info((unsigned)rq->w[0], name, sizeof name, &bytes, prog, sizeof prog, &imported))
        return fail_msg(rq, AE_ENOENT, "no more images");
    size_t n = strlen(name);
    rq->reply[1] = n;
    memcpy(&rq->reply[2], name, n);
    return ok(rq, 2 + (unsigned)((n + 7) / 8));
}

static int op_info(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    char text[2 * SPEC_NAME_MAX + 2];
    int n = snprintf(text, sizeof text, "%s %s", c->image, c->name[0] ? c->name : "-");
    container_put(c);
    rq->reply[1] = (uint64_t)n;
    memcpy(&rq->reply[2], text, (size_t)n);
    return ok(rq, 2 + (unsigned)((n + 7) / 8));
}

/* The CM_FS_* operations (files.c), with a message on each error. */
static int files_reply(struct ae_request *rq, int n)
{
    switch (n) {
    case AE_ESRCH:  return fail_msg(rq, n, "no such container");
    case AE_EACCES: return fail_msg(rq, n, "it was not granted fs: it has no files");
    case AE_ENOENT: return fail_msg(rq, n, "no such file or directory");
    case AE_EPROTO: return fail_msg(rq, n, "a malformed request");
    default:
        if (n < 0) {
            char m[64];
            snprintf(m, sizeof m, "the fs service said %d", n);
            return fail_msg(rq, n, m);
        }
        return ok(rq, (unsigned)n);
    }
}

static int op_fs_stat(void *ctx, struct ae_request *rq) { return files_reply(rq, cm_fs_stat(rq)); }
static int op_fs_read(void *ctx, struct ae_request *rq) { return files_reply(rq, cm_fs_read(rq)); }
static int op_fs_write(void *ctx, struct ae_request *rq) { return files_reply(rq, cm_fs_write(rq)); }
static int op_fs_mkdir(void *ctx, struct ae_request *rq) { return files_reply(rq, cm_fs_mkdir(rq)); }
static int op_fs_list(void *ctx, struct ae_request *rq) { return files_reply(rq, cm_fs_list(rq)); }

/* What cm records of a fault: label (with a page fault's error code in
 * the high half), address or vector, rip — from the fault's words. */
static void fault_record(uint64_t label, const uint64_t *w, unsigned n, uint64_t f[3])
{
    f[0] = label;
    f[1] = n > 0 ? w[0] : 0;
    f[2] = 0;
    if (label == AERIE_FAULT_PAGE || label == AERIE_FAULT_EXCEPTION)
        f[2] = n > 2 ? w[2] : 0;
    else if (label == AERIE_FAULT_SYSCALL)
        f[2] = n > 7 ? w[7] : 0;
    if (label == AERIE_FAULT_PAGE && n > 1)
        f[0] = label | (w[1] << 32);         /* keep the error code */
}

/* The kernel's notice that a container's run quota has no live thread
 * left, or was destroyed (its quota watch): however it ended — even by
 * destroying its own quota, task or thread, or by a quiet exit — cm
 * hears of it. Notices for containers cm ended itself find them ended. */
static void on_gone(struct container *c, const uint64_t *w, unsigned n)
{
    uint64_t reason = n > 0 ? w[0] : 0, how = n > 1 ? w[1] : 0, detail = n > 2 ? w[2] : 0;
    if (reason == AERIE_GONE_THREADS && how == AERIE_END_EXIT) {
        container_end(c, CM_EXITED, detail, 0);
        return;
    }
    uint64_t f[3] = { AERIE_FAULT_GONE, 0, 0 };
    if (reason == AERIE_GONE_THREADS && how == AERIE_END_FAULT && n >= 7)
        fault_record(detail, &w[3], 4, f);
    container_end(c, CM_FAULTED, 0, f);
}

/* A container thread faulted or exited (badge CM_FAULT_BADGE | id; the
 * server loop lets only kernel-built messages through such a badge), or
 * its quota watch fired. The faulting thread gets no reply: the container
 * ends here. */
static int on_fault(void *ctx, struct ae_request *rq)
{
    rq->no_reply = true;
    struct container *c = container_find(rq->badge & ~CM_FAULT_BADGE);
    if (!c)
        return 0;
    if (c->debug && cm_debug_fault(c, rq)) {   /* held for its debugger */
        container_put(c);
        return 0;
    }
    if (rq->label == AERIE_FAULT_GONE) {
        on_gone(c, rq->w, rq->nwords);
    } else if (rq->label == AERIE_FAULT_EXIT) {
        uint64_t status = rq->nwords ? rq->w[0] : 0, f[3];
        if (cm_linux_signaled(status, f))
            container_end(c, CM_FAULTED, 0, f);    /* a Linux program's death by a signal */
        else
            container_end(c, CM_EXITED, status, 0);
    } else {
        uint64_t f[3];
        fault_record(rq->label, rq->w, rq->nwords, f);
        container_end(c, CM_FAULTED, 0, f);
    }
    container_put(c);
    return 0;
}

/* Every operation is the operator's (ctl, and programs root grants "cm");
 * containers reach cm only through their fault capabilities, which carry
 * nothing but the kernel's messages (on_fault). */
#define OP(fn, words) { fn, words, AE_CALLER_ANY }
/* Imported images and fs sessions for ctl (image_ops.c). */
static int op_image_begin(void *ctx, struct ae_request *rq) { return cm_image_begin(rq); }
static int op_image_write(void *ctx, struct ae_request *rq) { return cm_image_write(rq); }
static int op_image_commit(void *ctx, struct ae_request *rq) { return cm_image_commit(rq); }
static int op_image_abort(void *ctx, struct ae_request *rq) { return cm_image_abort(rq); }
static int op_image_remove(void *ctx, struct ae_request *rq) { return cm_image_remove(rq); }
static int op_image_info(void *ctx, struct ae_request *rq) { return cm_image_info(rq); }
static int op_fs_session(void *ctx, struct ae_request *rq) { return cm_fs_session(rq); }
static int op_debug_kill(void *ctx, struct ae_request *rq) { return cm_debug_kill_service(rq); }
static int op_restarted(void *ctx, struct ae_request *rq) { return cm_service_restarted(rq); }

static int op_trace(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = cm_trace_op(c, rq);
    container_put(c);
    if (r == AE_EDEAD)
        return fail_msg(rq, r, "it is not running");
    if (r == AE_ENOENT)
        return fail_msg(rq, r, "it is not traced");
    if (r == AE_ENOMEM)
        return fail_msg(rq, r, "its memory limit has no room for the trace buffer");
    if (r == AE_EINVAL)
        return fail_msg(rq, r, "a buffer of 8K to 16M, and only known kinds of event");
    if (r)
        return fail_msg(rq, r, "the kernel refused");
    rq->reply[0] = 0;
    return 0;
}

/* CM_INSPECT (inspect.c): admin, as it shows a container's environment. */
static int op_inspect(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = cm_inspect_op(c, rq);
    container_put(c);
    if (r)
        return fail_msg(rq, r, "inspect: the offset is past the end of its text");
    return 0;
}

static int op_debug(void *ctx, struct ae_request *rq)
{
    WITH_CONTAINER(rq, c);
    int r = cm_debug_op(c, rq);
    container_put(c);
    if (r == AE_EPERM)
        return fail_msg(rq, r, "it was not created with debug=yes or debug=hold");
    if (r == AE_EDEAD)
        return fail_msg(rq, r, "it is not running");
    if (r == AE_EBUSY)
        return fail_msg(rq, r, "it is running: stop it first");
    if (r)
        return fail_msg(rq, r, "the kernel refused the access");
    rq->reply[0] = 0;
    return 0;
}

/* CM_RENAME: the name is checked as a spec's name= is (spec.c). */
static int op_rename(void *ctx, struct ae_request *rq)
{
    char name[SPEC_NAME_MAX], err[160] = "";
    uint64_t len = rq->w[1];
    if (len == 0 || len >= SPEC_NAME_MAX || len > (uint64_t)(rq->nwords - 2) * 8)
        return fail_msg(rq, AE_EINVAL, "name: a name is 1 to 31 bytes");
    memcpy(name, &rq->w[2], len);
    name[len] = 0;
    if (strlen(name) != len || !spec_valid_name(name))
        return fail_msg(rq, AE_EINVAL, "name: a name starts with a letter, then letters, digits, _ . - "
                        "(it reads back as its container)");
    int r = container_rename(rq->w[0], name, err, sizeof err);
    if (r)
        return fail_msg(rq, r, err);
    return ok(rq, 1);
}

/* CM_FORK: n clones of a running container (fork.c, docs/FORK.md). */
static int op_fork(void *ctx, struct ae_request *rq)
{
    uint64_t n = rq->nwords > 1 ? rq->w[1] : 1;
    if (n < 1 || n > CM_FORK_MAX)
        return fail_msg(rq, AE_EINVAL, "fork: between 1 and 32 clones at once");
    struct container *clones[CM_FORK_MAX];
    unsigned made = 0;
    char err[160];
    uint64_t t0 = cm_now_ns();
    WITH_CONTAINER(rq, c);
    int r = cm_fork(c, (unsigned)n, clones, &made, err, sizeof err);
    container_put(c);
    for (unsigned i = 0; i < made; i++) {
        rq->reply[3 + i] = clones[i]->id;
        cm_fork_start(clones[i]);
    }
    if (r)                               /* the clones made before the error run */
        return fail_msg(rq, r, err);
    rq->reply[1] = made;
    rq->reply[2] = cm_now_ns() - t0;
    return ok(rq, 3 + made);
}

/* Adding and removing images and reaching a container's files in bulk
 * change what every container may run or read: they need "cm.admin"
 * (ctl's grant), not only "cm". */
#define ADMIN(fn, words) { fn, words, AE_CALLER_ADMIN }
static const struct ae_op ops[CM_OP_COUNT] = {
    [CM_CREATE] = OP(op_create, 1),     [CM_START] = OP(op_start, 1),   [CM_RUN] = OP(op_run, 1),
    [CM_WAIT] = OP(op_wait, 1),         [CM_STATUS] = OP(op_status, 1), [CM_KILL] = OP(op_kill, 1),
    [CM_REMOVE] = OP(op_remove, 1),     [CM_LIST] = OP(op_list, 1),     [CM_STATS] = OP(op_stats, 1),
    [CM_LOGS] = OP(op_logs, 2),         [CM_IMAGES] = OP(op_images, 1), [CM_INFO] = OP(op_info, 1),
    [CM_FS_STAT] = OP(op_fs_stat, 2),   [CM_FS_READ] = OP(op_fs_read, 4),
    [CM_FS_WRITE] = OP(op_fs_write, 6), [CM_FS_MKDIR] = OP(op_fs_mkdir, 3),
    [CM_FS_LIST] = OP(op_fs_list, 3),
    [CM_IMAGE_BEGIN] = ADMIN(op_image_begin, 3),   [CM_IMAGE_WRITE] = ADMIN(op_image_write, 4),
    [CM_IMAGE_COMMIT] = ADMIN(op_image_commit, 2), [CM_IMAGE_ABORT] = ADMIN(op_image_abort, 2),
    [CM_IMAGE_REMOVE] = ADMIN(op_image_remove, 2), [CM_IMAGE_INFO] = OP(op_image_info, 1),
    [CM_FS_SESSION] = ADMIN(op_fs_session, 1),
    /* Killing services, and being told of their restarts, are root's and
     * the operator's (docs/RESTART.md). */
    [CM_DEBUG_KILL_SERVICE] = ADMIN(op_debug_kill, 1), [CM_SERVICE_RESTARTED] = ADMIN(op_restarted, 1),
    [CM_DEBUG] = OP(op_debug, 2),       [CM_TRACE] = OP(op_trace, 2),
    [CM_SIGNAL] = OP(op_signal, 2),
    [CM_INPUT] = ADMIN(op_input, 3),    [CM_INPUT_ORPHANS] = ADMIN(op_input_orphans, 0),
    /* Clones run with the original's authority, charged to the manager:
     * the operator's (cm.admin) alone. */
    [CM_FORK] = ADMIN(op_fork, 2),
    /* A process with the container's own authority, charged to it: like
     * signals, anyone who may drive the container */
    /* Its argv and environment may hold what its operator keeps from
     * other clients (a password in -e): the operator's (cm.admin) alone */
    [CM_INSPECT] = ADMIN(op_inspect, 2),
    /* Names are how the operator (and its scripts) find containers: a
     * client that could rename one could make the operator's next
     * 'aerie kill NAME' hit another */
    [CM_RENAME] = ADMIN(op_rename, 3),
    [CM_EXEC] = OP(op_exec, 3), [CM_EXEC_STATUS] = OP(op_exec_status, 2), [CM_EXEC_INPUT] = OP(op_exec_input, 4),
};

int cm_serve(void)
{
    /* one capability may come with a request: CM_CREATE/CM_RUN's spec
     * Memory (any other op's is deleted unread when it returns) */
    struct ae_server srv = { .ep = cm.ep, .ops = ops, .nops = CM_OP_COUNT, .fault = on_fault, .recv_caps = 1 };
    return ae_serve(&srv);
}
