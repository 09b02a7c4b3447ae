/*
 * scm.c — control messages of AF_UNIX sockets: SCM_RIGHTS passes open
 * file descriptions from one process of the container to another (nginx's
 * master hands its workers their channels this way), and a valid
 * SCM_CREDENTIALS is accepted. sendmsg parses the control into a record
 * (the files, a reference each) that the datagram queue (unix.c) or the
 * stream's pipe (pipe.c) carries with the message; recvmsg installs the
 * files as new fds of the receiver and writes the cmsg back.
 *
 * The call being served hands its record over through lx_scm_send /
 * lx_scm_slot (one call at a time: the personality has one thread).
 * Bounds: SCM_MAX_FD (253) fds a message, as Linux (EINVAL), a control
 * of at most 20 KiB (ENOBUFS, Linux's optmem_max), and SCM_INFLIGHT_MAX
 * fds in flight in the whole container (ETOOMANYREFS, Linux's answer
 * past RLIMIT_NOFILE fds in flight). Records are the container's own
 * memory (the personality's heap). A record no reader can ever take
 * (its socket or pipe closed for reading) is dropped with its files.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define SCM_CONTROL_MAX  20480
#define CMSG_HDR         16u                     /* struct cmsghdr: len (8), level, type */
#define CMSG_ALIGN(n)    (((n) + 7u) & ~7u)

struct lx_scm *lx_scm_send;
struct lx_scm **lx_scm_slot;
static unsigned inflight;

struct cmsghdr_lx {
    uint64_t len;
    int32_t level, type;
};

unsigned lx_scm_inflight(void)
{
    return inflight;
}

/* Closing a record's files may close sockets holding records of their
 * own (a socket sent inside a socket...): those are queued and put by
 * the outermost call, so the depth of C recursion stays one. */
void lx_scm_free(struct lx_scm *s)
{
    static struct lx_scm *dying;
    static bool draining;
    if (!s)
        return;
    struct lx_scm *last = s;
    while (last->next)
        last = last->next;
    last->next = dying;
    dying = s;
    if (draining)
        return;
    draining = true;
    while (dying) {
        struct lx_scm *d = dying;
        dying = d->next;
        inflight -= d->n;
        for (unsigned i = 0; i < d->n; i++)
            lx_file_put(d->files[i]);
        free(d);
    }
    draining = false;
}

/* A copy holding its own references (a MSG_PEEK: the fds stay queued). */
struct lx_scm *lx_scm_clone(const struct lx_scm *s)
{
    if (!s || inflight + s->n > LX_SCM_INFLIGHT_MAX)
        return NULL;
    struct lx_scm *c = malloc(sizeof *c + s->n * sizeof c->files[0]);
    if (!c)
        return NULL;
    memcpy(c, s, sizeof *c + s->n * sizeof c->files[0]);
    c->next = NULL;
    for (unsigned i = 0; i < c->n; i++)
        lx_file_get(c->files[i]);
    inflight += c->n;
    return c;
}

/* The control of msghdr m sent by t on an AF_UNIX socket: 0 with
 * *out the record (NULL: no fds in it), or -errno. */
int64_t lx_scm_parse(struct lx_thread *t, const struct lx_msghdr *m, struct lx_scm **out)
{
    *out = NULL;
    if (!m->control || !m->controllen)
        return 0;
    if (m->controllen > SCM_CONTROL_MAX)
        return -LX_ENOBUFS;
    if (m->controllen < CMSG_HDR)
        return 0;                                /* no header fits: none (Linux's CMSG_FIRSTHDR is NULL) */
    uint8_t *c = malloc(m->controllen);
    if (!c)
        return -LX_ENOMEM;
    if (lx_copy_in(t->proc->mm, c, m->control, m->controllen)) {
        free(c);
        return -LX_EFAULT;
    }
    int32_t fds[LX_SCM_MAX_FD];
    unsigned n = 0;
    int64_t r = 0;
    /* as Linux's __scm_send: every header whole and inside the control */
    for (uint64_t at = 0; at + CMSG_HDR <= m->controllen;) {
        struct cmsghdr_lx h;
        memcpy(&h, c + at, sizeof h);
        if (h.len < CMSG_HDR || h.len > m->controllen - at) {
            r = -LX_EINVAL;
            break;
        }
        uint64_t dlen = h.len - CMSG_HDR;
        if (h.level != LX_SOL_SOCKET) {
            /* skipped, as Linux's __scm_send (another level's) */
        } else if (h.type == LX_SCM_RIGHTS) {
            uint64_t k = dlen / 4;
            if (dlen % 4 || n + k > LX_SCM_MAX_FD) {
                r = -LX_EINVAL;
                break;
            }
            memcpy(fds + n, c + at + CMSG_HDR, k * 4);
            n += (unsigned)k;
        } else if (h.type == LX_SCM_CREDENTIALS) {
            /* struct ucred: the sender's own pid, uid and gid only (all 0 here) */
            int32_t cred[3];
            if (dlen != sizeof cred) {
                r = -LX_EINVAL;
                break;
            }
            memcpy(cred, c + at + CMSG_HDR, sizeof cred);
            if (cred[0] != (int32_t)t->proc->pid || cred[1] || cred[2]) {
                r = -LX_EPERM;
                break;
            }
        } else {
            r = -LX_EINVAL;
            break;
        }
        uint64_t step = CMSG_ALIGN(h.len);
        if (step < h.len)
            break;
        at += step;
    }
    free(c);
    if (r || !n)
        return r;
    if (inflight + n > LX_SCM_INFLIGHT_MAX)
        return -LX_ETOOMANYREFS;
    struct lx_scm *s = malloc(sizeof *s + n * sizeof s->files[0]);
    if (!s)
        return -LX_ENOMEM;
    *s = (struct lx_scm){ .n = n };
    for (unsigned i = 0; i < n; i++) {
        struct lx_file *f = lx_fd_get(t->proc, fds[i]);
        if (!f) {
            s->n = i;
            lx_scm_free(s);
            return -LX_EBADF;
        }
        lx_file_get(f);
        s->files[i] = f;
        inflight++;
    }
    *out = s;
    return 0;
}

/* The fds of record s (taken: freed here) installed in t's process and
 * written as one SCM_RIGHTS cmsg into the control of msghdr m (at hdr).
 * As Linux's scm_detach_fds: as many as the control has room for (and
 * the fd table takes) are installed, the rest are closed and MSG_CTRUNC
 * is set. 0 or -EFAULT; *used is the control's bytes written. */
int64_t lx_scm_deliver(struct lx_thread *t, const struct lx_msghdr *m, struct lx_scm *s, unsigned fl,
                       uint64_t *used, int32_t *mflags)
{
    *used = 0;
    if (!s)
        return 0;
    uint64_t room = m->control ? m->controllen : 0;
    uint64_t max = room >= CMSG_HDR ? (room - CMSG_HDR) / 4 : 0;
    unsigned want = s->n < max ? s->n : (unsigned)max, i = 0;
    int32_t fds[LX_SCM_MAX_FD];
    int64_t r = 0;
    for (; i < want; i++) {
        lx_file_get(s->files[i]);
        int fd = lx_fd_install(t->proc, s->files[i], 0, fl & LX_MSG_CMSG_CLOEXEC);
        if (fd < 0)
            break;
        fds[i] = fd;
    }
    if (i) {
        struct cmsghdr_lx h = { .len = CMSG_HDR + 4ull * i, .level = LX_SOL_SOCKET, .type = LX_SCM_RIGHTS };
        if (lx_copy_out(t->proc->mm, m->control, &h, sizeof h) ||
            lx_copy_out(t->proc->mm, m->control + CMSG_HDR, fds, 4ull * i)) {
            for (unsigned j = 0; j < i; j++)          /* nobody can learn their numbers */
                lx_fd_close(t->proc, fds[j]);
            r = -LX_EFAULT;
        } else {
            uint64_t space = CMSG_ALIGN(h.len);
            *used = space < room ? space : room;
        }
    }
    if (i < s->n)
        *mflags |= LX_MSG_CTRUNC;
    lx_scm_free(s);
    return r;
}
