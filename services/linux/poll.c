/*
 * poll.c — poll, ppoll, select and pselect6: each asks every file's ops
 * for its ready events; when none is ready the thread waits on every
 * file's queues (and until the timeout), and the call is run again when
 * any of them moves. epoll.c waits the same way, with these helpers.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define POLL_MAX 4096

unsigned lx_poll_file(struct lx_file *f, struct lx_thread *t)
{
    return f->ops->poll ? f->ops->poll(f, t) : (LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM);
}

/* The deadline of a call from its timeout in ns (~0: none), kept across runs. */
uint64_t lx_poll_deadline(struct lx_thread *t, uint64_t timeout_ns)
{
    if (!t->progress)
        t->progress = timeout_ns == 0 ? 1 : lx_after(lx_now_ns(), timeout_ns);
    return t->progress;
}

/* Waits when nothing is ready (ready == 0), or says why not. */
int64_t lx_poll_result(struct lx_thread *t, int64_t ready, uint64_t deadline)
{
    if (ready)
        return ready;
    if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t)) {
        lx_unwait(t);
        return -LX_ERESTARTNOHAND;
    }
    if (deadline != ~0ull && lx_now_ns() >= deadline) {
        lx_unwait(t);
        return 0;
    }
    if (deadline != ~0ull)
        lx_wait_until(t, deadline);
    return LX_BLOCK;
}

static int64_t do_poll(struct lx_thread *t, uint64_t addr, uint64_t n, uint64_t timeout_ns)
{
    if (n > POLL_MAX)
        return -LX_EINVAL;
    struct lx_pollfd *fds = lx_user(t->proc->mm, addr, n * sizeof *fds, LX_PROT_WRITE);
    if (!fds && n)
        return -LX_EFAULT;
    uint64_t deadline = lx_poll_deadline(t, timeout_ns);
    int64_t ready = 0;
    for (int pass = 0; pass < 2 && !ready; pass++) {
        /* pass 0 only looks; pass 1 (nothing was ready) also registers the thread */
        struct lx_thread *w = pass && deadline && (deadline == ~0ull || lx_now_ns() < deadline) ? t : NULL;
        if (pass && !w)
            break;
        for (uint64_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct lx_file *f = lx_fd_get(t->proc, fds[i].fd);
            unsigned ev = f ? lx_poll_file(f, w) : LX_POLLNVAL;
            unsigned want = (unsigned)(uint16_t)fds[i].events | LX_POLLERR | LX_POLLHUP | LX_POLLNVAL;
            fds[i].revents = (int16_t)(ev & want);
            if (fds[i].revents)
                ready++;
        }
        if (ready && w)
            lx_unwait(t);
    }
    return lx_poll_result(t, ready, deadline);
}

static uint64_t ms_timeout(int64_t ms)
{
    return ms < 0 ? ~0ull : (uint64_t)ms * 1000000ull;
}

int64_t lx_poll_ts(struct lx_thread *t, uint64_t addr, uint64_t *ns)
{
    if (!addr) {
        *ns = ~0ull;
        return 0;
    }
    struct lx_timespec ts;
    if (lx_copy_in(t->proc->mm, &ts, addr, sizeof ts))
        return -LX_EFAULT;
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
        return -LX_EINVAL;
    *ns = lx_timeout_ns((uint64_t)ts.sec, (uint64_t)ts.nsec);
    return 0;
}

/* ppoll/pselect6's mask holds for the call; the old one comes back after. */
int64_t lx_poll_with_mask(struct lx_thread *t, uint64_t mask_addr, int64_t (*call)(struct lx_thread *, uint64_t),
                          uint64_t timeout)
{
    if (mask_addr && !t->sigsuspended) {
        uint64_t m;
        if (lx_copy_in(t->proc->mm, &m, mask_addr, sizeof m))
            return -LX_EFAULT;
        t->saved_mask = t->sigmask;
        t->sigmask = m & ~(1ull << (LX_SIGKILL - 1) | 1ull << (LX_SIGSTOP - 1));
        t->sigsuspended = true;
    }
    int64_t r = call(t, timeout);
    if (r != LX_BLOCK && r != -LX_ERESTARTNOHAND && t->sigsuspended) {
        t->sigmask = t->saved_mask;
        t->sigsuspended = false;
    }
    return r;
}

LX_SYS(poll) { return do_poll(t, t->a[0], t->a[1], ms_timeout((int32_t)t->a[2])); }

static int64_t ppoll_call(struct lx_thread *t, uint64_t timeout) { return do_poll(t, t->a[0], t->a[1], timeout); }

LX_SYS(ppoll)
{
    uint64_t ns = ~0ull;
    if (!t->progress) {
        int64_t r = lx_poll_ts(t, t->a[2], &ns);
        if (r)
            return r;
    }
    return lx_poll_with_mask(t, t->a[4] == 8 ? t->a[3] : 0, ppoll_call, ns);
}

/* ---- select: three bitmaps of nfds bits ---- */

static int64_t do_select(struct lx_thread *t, int nfds, uint64_t r_addr, uint64_t w_addr, uint64_t e_addr,
                         uint64_t timeout_ns)
{
    if (nfds < 0 || nfds > LX_FD_MAX)
        return -LX_EINVAL;
    uint64_t bytes = ((uint64_t)nfds + 63) / 64 * 8;
    uint64_t *sets[3] = { NULL, NULL, NULL }, in[3][LX_FD_MAX / 64];
    uint64_t addrs[3] = { r_addr, w_addr, e_addr };
    for (int k = 0; k < 3; k++) {
        if (!addrs[k])
            continue;
        sets[k] = lx_user(t->proc->mm, addrs[k], bytes, LX_PROT_WRITE);
        if (!sets[k] && bytes)
            return -LX_EFAULT;
        memcpy(in[k], sets[k], bytes);          /* unchanged while the call waits: read again each run */
    }
    uint64_t deadline = lx_poll_deadline(t, timeout_ns);
    int64_t ready = 0;
    uint64_t out[3][LX_FD_MAX / 64];
    memset(out, 0, sizeof out);
    for (int pass = 0; pass < 2 && !ready; pass++) {
        struct lx_thread *w = pass && deadline && (deadline == ~0ull || lx_now_ns() < deadline) ? t : NULL;
        if (pass && !w)
            break;
        for (int fd = 0; fd < nfds; fd++) {
            bool want[3];
            for (int k = 0; k < 3; k++)
                want[k] = sets[k] && (in[k][fd / 64] >> (fd % 64) & 1);
            if (!want[0] && !want[1] && !want[2])
                continue;
            struct lx_file *f = lx_fd_get(t->proc, fd);
            if (!f)
                return -LX_EBADF;
            unsigned ev = lx_poll_file(f, w);
            bool got[3] = { want[0] && (ev & (LX_POLLIN | LX_POLLHUP | LX_POLLERR)),
                            want[1] && (ev & (LX_POLLOUT | LX_POLLERR)), want[2] && (ev & LX_POLLPRI) };
            for (int k = 0; k < 3; k++)
                if (got[k]) {
                    out[k][fd / 64] |= 1ull << (fd % 64);
                    ready++;
                }
        }
        if (ready && w)
            lx_unwait(t);
    }
    int64_t r = lx_poll_result(t, ready, deadline);
    for (int k = 0; k < 3 && r >= 0 && r != LX_BLOCK; k++)
        if (sets[k])
            memcpy(sets[k], out[k], bytes);
    return r;
}

LX_SYS(select)
{
    uint64_t ns = ~0ull;
    if (t->a[4] && !t->progress) {
        struct lx_timeval tv;
        if (lx_copy_in(t->proc->mm, &tv, t->a[4], sizeof tv))
            return -LX_EFAULT;
        if (tv.sec < 0 || tv.usec < 0)
            return -LX_EINVAL;
        ns = (uint64_t)tv.usec >= 1000000 * LX_FOREVER_SEC ? ~0ull      /* Linux carries whole seconds of usec */
                                                     : lx_timeout_ns((uint64_t)tv.sec + (uint64_t)tv.usec / 1000000,
                                                                     (uint64_t)tv.usec % 1000000 * 1000);
    }
    return do_select(t, (int)t->a[0], t->a[1], t->a[2], t->a[3], ns);
}

static int64_t pselect_call(struct lx_thread *t, uint64_t timeout)
{
    return do_select(t, (int)t->a[0], t->a[1], t->a[2], t->a[3], timeout);
}

LX_SYS(pselect6)
{
    uint64_t ns = ~0ull;
    if (!t->progress) {
        int64_t r = lx_poll_ts(t, t->a[4], &ns);
        if (r)
            return r;
    }
    struct { uint64_t set, size; } sm = { 0, 0 };
    if (t->a[5] && lx_copy_in(t->proc->mm, &sm, t->a[5], sizeof sm))
        return -LX_EFAULT;
    return lx_poll_with_mask(t, sm.size == 8 ? sm.set : 0, pselect_call, ns);
}
