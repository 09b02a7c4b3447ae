/*
 * cm_client.c — the container manager's client stubs (libaerie/cm.h).
 */
#include <libaerie/cm.h>
#include <libaerie/syscall.h>
#include <libaerie/runtime.h>
#include <libaerie/invoke.h>
#include <aerie/objects.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/proto/linux.h>
#include "fmt.h"

/* The status of a reply with info word r (its message into err). */
static int reply_status(int64_t r, char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    int status = label ? proto_status_of(label) : (int)(int64_t)u->mr[0];
    if (status && err && errlen) {
        uint64_t len = AERIE_INFO_NWORDS((uint64_t)r) >= 2 ? u->mr[1] : 0;
        if (len >= errlen)
            len = errlen - 1;
        const char *m = (const char *)&u->mr[2];
        for (uint64_t i = 0; i < len; i++)
            err[i] = m[i];
        err[len] = 0;
    }
    return status;
}

/* Calls op with n words already in the UTCB; returns word 0's status. */
static int call(uint64_t cm, unsigned op, unsigned n, char *err, size_t errlen)
{
    int64_t r = ae_call(cm, AERIE_INFO(op, n, 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return (int)r;
    return reply_status(r, err, errlen);
}

/* A spec past one message: a Memory object of our quota holding it,
 * mapped here only while it is written; a READ-only copy of its
 * capability goes to cm with the length (aerie/proto/cm.h, CM_CREATE). */
static int create_through_memory(uint64_t cm, const char *spec, uint64_t len, int start, uint64_t *id,
                                 char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t bytes = (len + 4095) & ~4095ull, mem = ae_slot_alloc(), ro = ae_slot_alloc();
    uint64_t va = ae_vm_reserve(bytes);
    int r = !mem || !ro ? AE_ELIMIT : !va ? AE_ENOMEM : 0;
    if (!r)
        r = (int)ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, mem, bytes, 0, 0);
    if (!r && !(r = (int)ae_task_map(ae_self.task, mem, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W))) {
        char *dst = (char *)va;
        for (uint64_t i = 0; i < len; i++)
            dst[i] = spec[i];
        ae_task_unmap(ae_self.task, va, bytes);
    }
    if (!r)
        r = (int)ae_cap_copy(mem, ro, AERIE_R_READ, 0);
    if (r) {
        if (err)
            fmt_snprintf(err, errlen, "spec: no memory to send its %lu bytes (error %d)", len, r);
    } else {
        u->mr[0] = len;
        u->caps[0] = (uint32_t)ro;
        int64_t rr = ae_call(cm, AERIE_INFO(start ? CM_RUN : CM_CREATE, 1, 1), AERIE_TIMEOUT_FOREVER);
        r = rr < 0 ? (int)rr : reply_status(rr, err, errlen);
        if (!r)
            *id = u->mr[1];
    }
    if (va)
        ae_vm_release(va, bytes);
    if (ro) {
        ae_cap_delete(ro);
        ae_slot_free(ro);
    }
    if (mem) {
        ae_cap_delete(mem);                /* its last capability: the object goes */
        ae_slot_free(mem);
    }
    return r;
}

int ae_cm_create(uint64_t cm, const char *spec, int start, uint64_t *id, char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t len = 0;
    while (spec[len])
        len++;
    if (len > CM_SPEC_MAX) {
        if (err)
            fmt_snprintf(err, errlen, "spec: %lu bytes, longer than the %d a spec may have", len, CM_SPEC_MAX);
        return AE_EMSGSIZE;
    }
    if (len > CM_TEXT_MAX)
        return create_through_memory(cm, spec, len, start, id, err, errlen);
    u->mr[0] = len;
    char *dst = (char *)&u->mr[1];
    for (uint64_t i = 0; i < len; i++)
        dst[i] = spec[i];
    int r = call(cm, start ? CM_RUN : CM_CREATE, 1 + (unsigned)((len + 7) / 8), err, errlen);
    if (!r)
        *id = u->mr[1];
    return r;
}

static int by_id(uint64_t cm, unsigned op, uint64_t id)
{
    ae_utcb()->mr[0] = id;
    return call(cm, op, 1, 0, 0);
}

int ae_cm_start(uint64_t cm, uint64_t id) { return by_id(cm, CM_START, id); }
int ae_cm_kill(uint64_t cm, uint64_t id) { return by_id(cm, CM_KILL, id); }
int ae_cm_remove(uint64_t cm, uint64_t id) { return by_id(cm, CM_REMOVE, id); }

int ae_cm_signal(uint64_t cm, uint64_t id, int sig)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = (uint64_t)sig;
    return call(cm, CM_SIGNAL, 2, 0, 0);
}

static void read_status(struct ae_cm_status *st)
{
    const uint64_t *w = ae_utcb()->mr;
    st->state = (int)w[1];
    st->exit_status = w[2];
    st->fault_label = w[3];
    st->fault_addr = w[4];
    st->fault_rip = w[5];
}

int ae_cm_wait(uint64_t cm, uint64_t id, struct ae_cm_status *st)
{
    int r = by_id(cm, CM_WAIT, id);
    if (!r)
        read_status(st);
    return r;
}

int ae_cm_status(uint64_t cm, uint64_t id, struct ae_cm_status *st)
{
    int r = by_id(cm, CM_STATUS, id);
    if (!r)
        read_status(st);
    return r;
}

int ae_cm_stats(uint64_t cm, uint64_t id, struct ae_cm_stats *st)
{
    int r = by_id(cm, CM_STATS, id);
    if (r)
        return r;
    const uint64_t *w = ae_utcb()->mr;
    *st = (struct ae_cm_stats){ w[1], w[2], w[3], w[4], w[5], w[6], w[7], (int)w[8], (int)(int64_t)w[9],
                                w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17], w[18], w[19],
                                w[20], w[21], w[22], w[23] };
    return 0;
}

static int sub_op(uint64_t cm, unsigned cmop, uint64_t id, unsigned op, const uint64_t *w, unsigned n,
                  uint64_t *res, unsigned nres)
{
    struct aerie_utcb *u = ae_utcb();
    if (n > AERIE_MSG_WORDS - 2 || nres > AERIE_MSG_WORDS - 1)
        return AE_EINVAL;
    u->mr[0] = id;
    u->mr[1] = op;
    for (unsigned i = 0; i < n; i++)
        u->mr[2 + i] = w[i];
    int r = call(cm, cmop, 2 + n, 0, 0);
    for (unsigned i = 0; !r && i < nres; i++)
        res[i] = u->mr[1 + i];
    return r;
}

int ae_cm_debug(uint64_t cm, uint64_t id, unsigned op, const uint64_t *w, unsigned n,
                uint64_t *res, unsigned nres)
{
    return sub_op(cm, CM_DEBUG, id, op, w, n, res, nres);
}

int ae_cm_trace(uint64_t cm, uint64_t id, unsigned op, const uint64_t *w, unsigned n,
                uint64_t *res, unsigned nres)
{
    return sub_op(cm, CM_TRACE, id, op, w, n, res, nres);
}

int64_t ae_cm_logs(uint64_t cm, uint64_t id, uint64_t *from, char *buf, size_t cap)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = *from;
    int r = call(cm, CM_LOGS, 2, 0, 0);
    if (r)
        return r;
    uint64_t len = u->mr[2], next = u->mr[1];
    if (len > (AERIE_MSG_WORDS - 3) * 8)
        return AE_EPROTO;
    if (len > cap) {
        next -= len - cap;                   /* the rest comes with the next call */
        len = cap;
    }
    const char *src = (const char *)&u->mr[3];
    for (uint64_t i = 0; i < len; i++)
        buf[i] = src[i];
    *from = next;
    return (int64_t)len;
}

int64_t ae_cm_input(uint64_t cm, uint64_t id, bool eof, const void *p, size_t n)
{
    struct aerie_utcb *u = ae_utcb();
    if (n > CM_INPUT_CHUNK)
        n = CM_INPUT_CHUNK;
    u->mr[0] = id;
    u->mr[1] = eof ? CM_INPUT_EOF : 0;
    u->mr[2] = n;
    if (n % 8)
        u->mr[3 + n / 8] = 0;
    for (size_t i = 0; i < n; i++)
        ((char *)&u->mr[3])[i] = ((const char *)p)[i];
    int r = call(cm, CM_INPUT, 3 + (unsigned)((n + 7) / 8), 0, 0);
    if (r)
        return r;
    return u->mr[1] <= n ? (int64_t)u->mr[1] : AE_EPROTO;
}

int ae_cm_exec(uint64_t cm, uint64_t id, unsigned argc, unsigned flags, const char *text, size_t len,
               uint64_t *n, char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    if (len > CM_EXEC_TEXT_MAX) {
        if (err)
            fmt_snprintf(err, errlen, "exec: its words are longer than %d bytes in all", CM_EXEC_TEXT_MAX);
        return AE_EINVAL;
    }
    u->mr[0] = id;
    u->mr[1] = argc | (uint64_t)flags << 32;
    u->mr[2] = len;
    if (len % 8)
        u->mr[3 + len / 8] = 0;
    for (size_t i = 0; i < len; i++)
        ((char *)&u->mr[3])[i] = text[i];
    int r = call(cm, CM_EXEC, 3 + (unsigned)((len + 7) / 8), err, errlen);
    if (!r)
        *n = u->mr[1];
    return r;
}

int ae_cm_exec_status(uint64_t cm, uint64_t id, uint64_t n, uint64_t *state, uint64_t *value, uint64_t *in_pos)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = n;
    int r = call(cm, CM_EXEC_STATUS, 2, 0, 0);
    if (!r) {
        *state = u->mr[1];
        *value = u->mr[2];
        *in_pos = u->mr[3];
    }
    return r;
}

int ae_cm_exec_input(uint64_t cm, uint64_t id, uint64_t n, uint64_t off, bool eof, const void *p, size_t len)
{
    struct aerie_utcb *u = ae_utcb();
    if (len > CM_EXEC_IN_CHUNK)
        return AE_EINVAL;
    u->mr[0] = id;
    u->mr[1] = n;
    u->mr[2] = off | (eof ? LX_EXEC_IN_EOF : 0);
    u->mr[3] = len;
    if (len % 8)
        u->mr[4 + len / 8] = 0;
    for (size_t i = 0; i < len; i++)
        ((char *)&u->mr[4])[i] = ((const char *)p)[i];
    return call(cm, CM_EXEC_INPUT, 4 + (unsigned)((len + 7) / 8), 0, 0);
}

int64_t ae_cm_input_orphans(uint64_t cm)
{
    int r = call(cm, CM_INPUT_ORPHANS, 0, 0, 0);
    return r ? r : (int64_t)ae_utcb()->mr[1];
}

int ae_cm_list(uint64_t cm, uint64_t first, uint64_t *ids, int *states, unsigned max)
{
    unsigned n = 0;
    for (;;) {
        ae_utcb()->mr[0] = first;
        int r = call(cm, CM_LIST, 1, 0, 0);
        if (r)
            return r;
        const uint64_t *w = ae_utcb()->mr;
        unsigned got = (unsigned)w[1];
        for (unsigned i = 0; i < got && n < max; i++, n++) {
            ids[n] = w[2 + 2 * i];
            states[n] = (int)w[3 + 2 * i];
            first = ids[n] + 1;
        }
        if (got < 30 || n == max)
            return (int)n;
    }
}

static int text_reply(char *out, size_t cap)
{
    const uint64_t *w = ae_utcb()->mr;
    uint64_t len = w[1] < cap ? w[1] : cap - 1;
    const char *src = (const char *)&w[2];
    for (uint64_t i = 0; i < len; i++)
        out[i] = src[i];
    out[len] = 0;
    return 0;
}

int ae_cm_image(uint64_t cm, unsigned index, char *name, size_t cap)
{
    ae_utcb()->mr[0] = index;
    int r = call(cm, CM_IMAGES, 1, 0, 0);
    return r ? r : text_reply(name, cap);
}

int ae_cm_info(uint64_t cm, uint64_t id, char *text, size_t cap)
{
    ae_utcb()->mr[0] = id;
    int r = call(cm, CM_INFO, 1, 0, 0);
    return r ? r : text_reply(text, cap);
}

int ae_cm_inspect(uint64_t cm, uint64_t id, uint64_t off, uint64_t times[4], char *text, size_t cap,
                  uint64_t *total, size_t *got)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = off;
    int r = call(cm, CM_INSPECT, 2, 0, 0);
    if (r)
        return r;
    for (unsigned i = 0; i < 4; i++)
        times[i] = u->mr[1 + i];
    *total = u->mr[5];
    uint64_t n = u->mr[6] < cap ? u->mr[6] : cap;
    n = n < CM_INSPECT_CHUNK ? n : CM_INSPECT_CHUNK;
    const char *src = (const char *)&u->mr[7];
    for (uint64_t i = 0; i < n; i++)
        text[i] = src[i];
    *got = (size_t)n;
    return 0;
}

/* Linux's names of the signals a program can end with. */
static const char *const signal_names[32] = {
    0, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

const char *ae_cm_signal_name(unsigned sig)
{
    return sig < 32 && signal_names[sig] ? signal_names[sig] : "a real-time signal";
}

/* A Linux program killed by sig: faults say where. */
static void describe_signal(uint64_t sig, const struct ae_cm_status *st, char *buf, size_t cap)
{
    const char *name = ae_cm_signal_name((unsigned)sig);
    if (sig == 11 || sig == 7 || sig == 4 || sig == 8)
        fmt_snprintf(buf, cap, "killed by signal %lu (%s) at address 0x%lx", sig, name, st->fault_addr);
    else
        fmt_snprintf(buf, cap, "killed by signal %lu (%s)", sig, name);
}

void ae_cm_describe(const struct ae_cm_status *st, char *buf, size_t cap)
{
    uint64_t label = st->fault_label & 0xFFFFFFFF, code = st->fault_label >> 32;
    switch (st->state) {
    case CM_CREATED: fmt_snprintf(buf, cap, "created"); break;
    case CM_RUNNING: fmt_snprintf(buf, cap, "running"); break;
    case CM_EXITED: fmt_snprintf(buf, cap, "exited with status %lu", st->exit_status); break;
    case CM_KILLED: fmt_snprintf(buf, cap, "killed"); break;
    case CM_FAULTED:
        if (label == AERIE_FAULT_PAGE && (code & AERIE_PF_NOMEM))
            fmt_snprintf(buf, cap, "out of memory: its mem= limit is used up (touching 0x%lx, rip 0x%lx)",
                         st->fault_addr, st->fault_rip);
        else if (label == AERIE_FAULT_PAGE)
            fmt_snprintf(buf, cap, "page fault at 0x%lx (%s%s) rip 0x%lx", st->fault_addr,
                         code & AERIE_PF_FETCH ? "instruction fetch" : code & AERIE_PF_WRITE ? "write" : "read",
                         code & AERIE_PF_PRESENT ? ", protection" : ", not mapped", st->fault_rip);
        else if (label == AERIE_FAULT_EXCEPTION)
            fmt_snprintf(buf, cap, "exception %lu at rip 0x%lx", st->fault_addr, st->fault_rip);
        else if (label == AERIE_FAULT_SYSCALL)
            fmt_snprintf(buf, cap, "unknown system call %lu at rip 0x%lx", st->fault_addr, st->fault_rip);
        else if (label == CM_FAULT_LINUX_SIGNAL)
            describe_signal(code, st, buf, cap);
        else if (label == AERIE_FAULT_GONE)
            fmt_snprintf(buf, cap, "its threads ended without an exit (it destroyed them, or its own quota)");
        else
            fmt_snprintf(buf, cap, "fault %lu", label);
        break;
    default: fmt_snprintf(buf, cap, "state %d", st->state); break;
    }
}

/* ---- imported images ---- */

/* Packs name (length, then bytes) from word w; returns the words used, or
 * 0 if the name is empty or too long. */
static unsigned put_name(unsigned w, const char *name)
{
    uint64_t *mr = ae_utcb()->mr;
    uint64_t len = 0;
    while (name[len])
        len++;
    if (!len || len > CM_NAME_MAX)
        return 0;
    mr[w] = len;
    mr[w + 1 + len / 8] = 0;
    char *dst = (char *)&mr[w + 1];
    for (uint64_t i = 0; i < len; i++)
        dst[i] = name[i];
    return 1 + (unsigned)((len + 7) / 8);
}

int ae_cm_image_info(uint64_t cm, unsigned index, struct ae_cm_image *out)
{
    const uint64_t *w = ae_utcb()->mr;
    ae_utcb()->mr[0] = index;
    int r = call(cm, CM_IMAGE_INFO, 1, 0, 0);
    if (r)
        return r;
    uint64_t nl = w[3], pl = w[4];
    if (nl > CM_NAME_MAX || pl >= sizeof out->prog || 5 + (nl + pl + 7) / 8 > AERIE_MSG_WORDS)
        return AE_EPROTO;
    const char *src = (const char *)&w[5];
    for (uint64_t i = 0; i < nl; i++)
        out->name[i] = src[i];
    out->name[nl] = 0;
    for (uint64_t i = 0; i < pl; i++)
        out->prog[i] = src[nl + i];
    out->prog[pl] = 0;
    out->bytes = w[1];
    out->imported = w[2];
    return 0;
}

/* call() for an operation whose reply brings one capability: *cap gets a
 * new slot holding it (0 on failure). */
static int call_cap(uint64_t cm, unsigned op, unsigned n, uint64_t *cap, char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    *cap = ae_slot_alloc();
    u->recv_slots[0] = (uint32_t)*cap;
    u->recv_slots[1] = u->recv_slots[2] = 0;
    int64_t rr = ae_call(cm, AERIE_INFO(op, n, 0), AERIE_TIMEOUT_FOREVER);
    u->recv_slots[0] = 0;
    int r = rr < 0 ? (int)rr : AERIE_INFO_LABEL((uint64_t)rr) ? proto_status_of(AERIE_INFO_LABEL((uint64_t)rr))
                                                               : (int)(int64_t)u->mr[0];
    if (!r && AERIE_INFO_NCAPS((uint64_t)rr) != 1)
        r = AE_EPROTO;
    if (!r)
        return 0;
    if (err && errlen) {
        uint64_t len = rr >= 0 && AERIE_INFO_NWORDS((uint64_t)rr) >= 2 ? u->mr[1] : 0;
        len = len < errlen ? len : errlen - 1;
        const char *m = (const char *)&u->mr[2];
        for (uint64_t i = 0; i < len; i++)
            err[i] = m[i];
        err[len] = 0;
    }
    ae_slot_free(*cap);
    *cap = 0;
    return r;
}

int ae_cm_image_begin(uint64_t cm, const char *name, uint64_t bytes, uint64_t *stage, char *err,
                      size_t errlen)
{
    unsigned n = put_name(1, name);
    if (!n)
        return AE_EINVAL;
    ae_utcb()->mr[0] = bytes;
    return call_cap(cm, CM_IMAGE_BEGIN, 1 + n, stage, err, errlen);
}

int ae_cm_image_write(uint64_t cm, const char *name, uint64_t off, uint64_t len)
{
    unsigned n = put_name(2, name);
    if (!n)
        return AE_EINVAL;
    ae_utcb()->mr[0] = off;
    ae_utcb()->mr[1] = len;
    return call(cm, CM_IMAGE_WRITE, 2 + n, 0, 0);
}

static int by_name(uint64_t cm, unsigned op, const char *name, char *err, size_t errlen)
{
    unsigned n = put_name(0, name);
    return n ? call(cm, op, n, err, errlen) : AE_EINVAL;
}

int ae_cm_image_commit(uint64_t cm, const char *name, char *err, size_t errlen)
{
    return by_name(cm, CM_IMAGE_COMMIT, name, err, errlen);
}

int ae_cm_image_abort(uint64_t cm, const char *name)
{
    return by_name(cm, CM_IMAGE_ABORT, name, 0, 0);
}

int ae_cm_image_remove(uint64_t cm, const char *name, char *err, size_t errlen)
{
    return by_name(cm, CM_IMAGE_REMOVE, name, err, errlen);
}

int ae_cm_rename(uint64_t cm, uint64_t id, const char *name, char *err, size_t errlen)
{
    ae_utcb()->mr[0] = id;
    unsigned n = put_name(1, name);
    return n ? call(cm, CM_RENAME, 1 + n, err, errlen) : AE_EINVAL;
}

int ae_cm_fs_session(uint64_t cm, uint64_t id, uint64_t *cap, char *err, size_t errlen)
{
    ae_utcb()->mr[0] = id;
    return call_cap(cm, CM_FS_SESSION, 1, cap, err, errlen);
}

int ae_cm_debug_kill_service(uint64_t cm, const char *name, uint64_t *started_ns, uint64_t *answered_ns,
                             uint64_t *kills)
{
    struct aerie_utcb *u = ae_utcb();
    uint64_t len = 0;
    while (name[len])
        len++;
    if (len == 0 || len > 31)
        return AE_EINVAL;
    u->mr[0] = len;
    char *dst = (char *)&u->mr[1];
    for (uint64_t i = 0; i < len; i++)
        dst[i] = name[i];
    int r = call(cm, CM_DEBUG_KILL_SERVICE, 1 + (unsigned)((len + 7) / 8), 0, 0);
    if (!r) {
        if (started_ns)
            *started_ns = u->mr[1];
        if (answered_ns)
            *answered_ns = u->mr[2];
        if (kills)
            *kills = u->mr[3];
    }
    return r;
}

int ae_cm_fork(uint64_t cm, uint64_t id, unsigned n, uint64_t *ids, unsigned *made, uint64_t *ns,
               char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = id;
    u->mr[1] = n;
    *made = 0;
    int r = call(cm, CM_FORK, 2, err, errlen);
    if (!r) {
        *made = (unsigned)(u->mr[1] <= CM_FORK_MAX ? u->mr[1] : CM_FORK_MAX);
        if (ns)
            *ns = u->mr[2];
        for (unsigned i = 0; i < *made; i++)
            ids[i] = u->mr[3 + i];
    }
    return r;
}
