/*
 * sigfd.c — signalfd and signalfd4: a file that reads the calling
 * thread's pending signals of its mask as struct signalfd_siginfo. The
 * program blocks those signals, so they stay pending (signal.c queues a
 * blocked signal even where its default is to ignore it) and are never
 * delivered; a read takes them, the thread's own first, then its
 * process's, the lowest number first, as Linux's dequeue does. Which
 * thread: the one that reads or polls (after fork, the child's own).
 * lx_signal_send wakes lx_sigfd_wq whenever a signal is made pending, so
 * readers and pollers of every signalfd wait there.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define SFD_FLAGS (LX_O_CLOEXEC | LX_O_NONBLOCK)
#define SIGBIT(sig) (1ull << ((sig) - 1))
#define UNBLOCKABLE (SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP))

struct lx_waitq lx_sigfd_wq;

struct signalfd_siginfo {
    uint32_t signo;
    int32_t err, code;
    uint32_t pid, uid;
    int32_t fd;
    uint32_t tid, band, overrun, trapno;
    int32_t status, int_;
    uint64_t ptr, utime, stime, addr;
    uint16_t addr_lsb, pad2;
    int32_t syscall;
    uint64_t call_addr;
    uint32_t arch;
    uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "signalfd_siginfo is 128 bytes");

struct sigfd {
    uint64_t mask;
    unsigned long ino;
};

static unsigned long next_ino = 0x600000;

static uint64_t ready(struct sigfd *s, struct lx_thread *t)
{
    return (t->sig_pending | t->proc->sig_pending) & s->mask;
}

static void convert(const struct lx_siginfo *si, struct signalfd_siginfo *o)
{
    memset(o, 0, sizeof *o);
    o->signo = (uint32_t)si->signo;
    o->err = si->err;
    o->code = si->code;
    if (si->code < 0 && si->code != LX_SI_TIMER) {
        /* sent by a program (sigqueue, tgkill): its pid and value, whatever the signal */
        o->pid = (uint32_t)si->kill.pid;
        o->uid = si->kill.uid;
        o->ptr = si->timer.value;              /* sigqueue's value sits where a timer's does */
        o->int_ = (int32_t)si->timer.value;
    } else if (si->signo == LX_SIGCHLD) {
        o->pid = (uint32_t)si->chld.pid;
        o->uid = si->chld.uid;
        o->status = si->chld.status;
        o->utime = (uint64_t)si->chld.utime;
        o->stime = (uint64_t)si->chld.stime;
    } else if (si->signo == LX_SIGSEGV || si->signo == LX_SIGBUS || si->signo == LX_SIGILL ||
               si->signo == LX_SIGFPE) {
        o->addr = si->fault.addr;
    } else if (si->code == LX_SI_TIMER) {
        o->tid = (uint32_t)si->timer.tid;
        o->overrun = (uint32_t)si->timer.overrun;
        o->ptr = si->timer.value;
        o->int_ = (int32_t)si->timer.value;
    } else {
        o->pid = (uint32_t)si->kill.pid;
        o->uid = si->kill.uid;
        o->ptr = si->timer.value;              /* sigqueue's value sits where a timer's does */
        o->int_ = (int32_t)si->timer.value;
    }
}

/* Takes the lowest pending signal of mask: the thread's, else the process's. */
static bool dequeue(struct lx_thread *t, uint64_t mask, struct signalfd_siginfo *out)
{
    uint64_t *pend[2] = { &t->sig_pending, &t->proc->sig_pending };
    struct lx_siginfo *info[2] = { t->sig_info, t->proc->sig_info };
    for (int k = 0; k < 2; k++) {
        uint64_t m = *pend[k] & mask;
        if (!m)
            continue;
        int sig = __builtin_ctzll(m) + 1;
        *pend[k] &= ~SIGBIT(sig);
        convert(&info[k][sig], out);
        return true;
    }
    return false;
}

static int64_t sfd_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct sigfd *s = f->obj;
    (void)off;
    if (n < sizeof(struct signalfd_siginfo))
        return -LX_EINVAL;
    uint64_t got = 0;
    struct signalfd_siginfo si;
    while (got + sizeof si <= n && dequeue(t, s->mask, &si)) {
        memcpy((uint8_t *)buf + got, &si, sizeof si);
        got += sizeof si;
    }
    if (got)
        return (int64_t)got;
    if (f->flags & LX_O_NONBLOCK)
        return -LX_EAGAIN;
    if (t->wake == LX_WAKE_SIGNAL)
        return -LX_ERESTARTSYS;
    return lx_wait_on(t, &lx_sigfd_wq) ? -LX_ENOMEM : LX_BLOCK;
}

static unsigned sfd_poll(struct lx_file *f, struct lx_thread *t)
{
    struct sigfd *s = f->obj;
    struct lx_thread *me = t ? t : lx_current;     /* readiness is the asking thread's, as on Linux */
    if (t)
        lx_wait_on(t, &lx_sigfd_wq);
    return me && ready(s, me) ? LX_POLLIN | LX_POLLRDNORM : 0;
}

static int sfd_stat(struct lx_file *f, struct lx_stat *st)
{
    struct sigfd *s = f->obj;
    st->mode = 0600;
    st->ino = s->ino;
    st->dev = 0xD;
    return 0;
}

static void sfd_release(struct lx_file *f)
{
    free(f->obj);
}

static const struct lx_file_ops sigfd_ops = {
    .kind = "signalfd", .read = sfd_read, .stat = sfd_stat, .poll = sfd_poll, .release = sfd_release,
};

static int64_t do_signalfd(struct lx_thread *t, int fd, uint64_t mask_addr, uint64_t size, unsigned flags)
{
    uint64_t mask;
    if (size != 8 || (flags & ~SFD_FLAGS))
        return -LX_EINVAL;
    if (lx_copy_in(t->proc->mm, &mask, mask_addr, sizeof mask))
        return -LX_EFAULT;
    mask &= ~UNBLOCKABLE;                         /* silently, as Linux does */
    if (fd != -1) {
        struct lx_file *f = lx_fd_get(t->proc, fd);
        if (!f)
            return -LX_EBADF;
        if (f->ops != &sigfd_ops)
            return -LX_EINVAL;
        ((struct sigfd *)f->obj)->mask = mask;
        lx_wake_all(&lx_sigfd_wq);                /* pollers look at the new mask */
        return fd;
    }
    struct sigfd *s = calloc(1, sizeof *s);
    struct lx_file *f = s ? lx_file_new(&sigfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), s) : NULL;
    if (!f) {
        free(s);
        return -LX_ENOMEM;
    }
    s->mask = mask;
    s->ino = next_ino++;
    strcpy(f->path, "anon_inode:[signalfd]");
    return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
}

LX_SYS(signalfd) { return do_signalfd(t, (int)(int32_t)t->a[0], t->a[1], t->a[2], 0); }
LX_SYS(signalfd4) { return do_signalfd(t, (int)(int32_t)t->a[0], t->a[1], t->a[2], (unsigned)t->a[3]); }
