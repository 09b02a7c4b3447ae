/*
 * pidfd.c — pidfd_open and pidfd_send_signal: a file naming one process
 * of this container (pids are the personality's table, so another
 * container's processes cannot be named), readable in poll, select and
 * epoll once the process has ended, the target of pidfd_send_signal and
 * of waitid(P_PIDFD). A pidfd keeps the process's record (not its
 * memory or files: those go when it ends) until the last pidfd closes,
 * so a pid used again later is never the pidfd's (ESRCH, as Linux).
 * pidfds are fds: at most the fd limit a process.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define PIDFD_NONBLOCK LX_O_NONBLOCK

struct lx_waitq lx_pidfd_wq;
static const struct lx_file_ops pidfd_ops;

struct lx_proc *lx_pidfd_proc(struct lx_file *f)
{
    return f && f->ops == &pidfd_ops ? f->obj : NULL;
}

static unsigned pidfd_poll(struct lx_file *f, struct lx_thread *t)
{
    struct lx_proc *p = f->obj;
    if (t)
        lx_wait_on(t, &lx_pidfd_wq);
    return p->state != LX_ALIVE ? LX_POLLIN | LX_POLLRDNORM | (p->gone ? LX_POLLHUP : 0) : 0;
}

static int64_t pidfd_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)f, (void)buf, (void)n, (void)off;
    return -LX_EINVAL;
}

static int pidfd_stat(struct lx_file *f, struct lx_stat *st)
{
    (void)f;
    st->mode = 0600;
    st->dev = 0xE;
    st->ino = 0x500000;
    return 0;
}

static void pidfd_release(struct lx_file *f)
{
    struct lx_proc *p = f->obj;
    if (!--p->pidfds && p->gone)
        free(p);
}

static const struct lx_file_ops pidfd_ops = {
    .kind = "pidfd", .read = pidfd_read, .stat = pidfd_stat, .poll = pidfd_poll, .release = pidfd_release,
};

/* pidfd_open(pid, flags): a process (thread-group leader) of this
 * container; always close-on-exec, as Linux's. */
LX_SYS(pidfd_open)
{
    int pid = (int)t->a[0];
    unsigned flags = (unsigned)t->a[1];
    if (pid <= 0 || (flags & ~PIDFD_NONBLOCK))
        return -LX_EINVAL;
    struct lx_proc *p = lx_proc_of(pid);
    if (!p) {
        struct lx_thread *o = lx_thread_of((uint64_t)pid);
        return o && !o->dead ? -LX_ENOENT : -LX_ESRCH;      /* a thread that leads no process: as Linux 6 */
    }
    struct lx_file *f = lx_file_new(&pidfd_ops, LX_O_RDWR | (flags & PIDFD_NONBLOCK), p);
    if (!f)
        return -LX_ENOMEM;
    p->pidfds++;
    strcpy(f->path, "anon_inode:[pidfd]");
    return lx_fd_install(t->proc, f, 0, true);
}
