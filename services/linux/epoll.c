/*
 * epoll.c — epoll_create(1), epoll_ctl, epoll_wait and epoll_pwait(2) over
 * poll's machinery: an instance is a list of items (an open file, the fd
 * it was added as, the events asked for). A wait asks each item's file
 * for its ready events, as poll does; when none is ready the thread waits
 * on every item's queues and on the instance's own (epoll_ctl wakes it),
 * and the call runs again when any of them moves.
 *
 * Level-triggered by default. EPOLLONESHOT disables an item once it is
 * reported, until EPOLL_CTL_MOD. EPOLLET reports an item again only when
 * it was seen not ready since, or when one of its file's queues was woken
 * since (lx_waitq.gen: a wake means something happened), so an edge may
 * be reported twice but is never lost.
 *
 * An item holds no reference on its file (closing a pipe's last write fd
 * must still end the pipe); the file's list of items lets lx_file_put
 * drop them when the file goes, as Linux does. Bounds: EP_ITEMS_MAX items
 * an instance, instances are fds (LX_FD_MAX a process); all of it lives
 * in the personality's heap, which is the container's memory.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define EP_ITEMS_MAX 4096       /* Linux bounds watches per user (max_user_watches); we per instance */
#define EP_DEPTH_MAX 5          /* instances inside instances, the outermost counted (Linux: 4 + 1) */
#define EP_NESTED_MAX 8         /* epoll items per instance that are epolls, and watchers per epoll:
                                   the nesting walks then visit at most 8^4 items, where the same
                                   instance added through 4,096 dup'd fds at each level made them
                                   4096^4 (Linux bounds its wakeup paths per depth the same way) */
#define EP_EVENTS_MAX (0x7fffffff / sizeof(struct lx_epoll_event))
#define EP_FLAGS (LX_EPOLLET | LX_EPOLLONESHOT | LX_EPOLLEXCLUSIVE | LX_EPOLLWAKEUP)

struct epoll;

struct lx_epitem {
    struct epoll *ep;
    struct lx_file *file;       /* no reference: the item goes with the file */
    int fd;
    uint32_t events;            /* asked for, with EP_FLAGS */
    uint64_t data;
    bool disabled;              /* EPOLLONESHOT fired: nothing until EPOLL_CTL_MOD */
    bool reported;              /* EPOLLET: reported, and not seen unready since */
    uint64_t gen;               /* EPOLLET: its queues' wake count when last reported */
    struct lx_epitem *next;     /* in ep: reported items move to the end (fairness) */
    struct lx_epitem *fnext;    /* in file->epitems */
};

struct epoll {
    struct lx_epitem *items;
    unsigned n;
    struct lx_waitq wq;         /* threads in epoll_wait: epoll_ctl wakes them */
    struct lx_file *self;
    unsigned long ino;
};

static const struct lx_file_ops epoll_ops;
static unsigned long next_ino = 0x300000;

#define FD_ARG(i) ((int)(int32_t)t->a[i])

static struct epoll *epoll_of(struct lx_file *f)
{
    return f && f->ops == &epoll_ops ? f->obj : NULL;
}

static void unlink_from_file(struct lx_epitem *it)
{
    struct lx_epitem **pp = &it->file->epitems;
    while (*pp && *pp != it)
        pp = &(*pp)->fnext;
    if (*pp)
        *pp = it->fnext;
}

static void unlink_from_ep(struct lx_epitem *it)
{
    struct lx_epitem **pp = &it->ep->items;
    while (*pp && *pp != it)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = it->next;
        it->ep->n--;
    }
}

void lx_epoll_forget(struct lx_file *f)
{
    while (f->epitems) {
        struct lx_epitem *it = f->epitems;
        f->epitems = it->fnext;
        unlink_from_ep(it);
        lx_wake_all(&it->ep->wq);               /* its waiters leave the file's queues */
        free(it);
    }
}

/* What it reports now (0: not ready, disabled, or no new edge). t, if
 * not NULL, is registered on the file's queues; consume: epoll_wait
 * reports it, so its edge and one-shot state move on. */
static uint32_t item_events(struct lx_epitem *it, struct lx_thread *t, bool consume)
{
    if (it->disabled)
        return 0;
    struct lx_waiter *mark = t ? lx_waits_mark(t) : NULL;
    unsigned ev = lx_poll_file(it->file, t);
    if ((ev & LX_POLLHUP) && (it->events & LX_EPOLLRDHUP))
        ev |= LX_EPOLLRDHUP;
    uint32_t r = ev & ((it->events & ~EP_FLAGS) | LX_POLLERR | LX_POLLHUP);
    if (it->events & LX_EPOLLET) {
        if (!r) {
            it->reported = false;                /* seen not ready: the next ready is an edge */
            return 0;
        }
        uint64_t gen = t ? lx_waits_gen(t, mark) : 0;
        if (it->reported && t && gen == it->gen)
            return 0;                            /* nothing happened since it was reported */
        if (consume) {
            it->reported = true;
            it->gen = gen;
        }
    }
    if (r && consume && (it->events & LX_EPOLLONESHOT))
        it->disabled = true;
    return r;
}

/* An epoll fd in poll/select or in another epoll: readable when a wait
 * would report something. */
static unsigned ep_poll(struct lx_file *f, struct lx_thread *t)
{
    struct epoll *ep = f->obj;
    unsigned ev = 0;
    for (struct lx_epitem *it = ep->items; it; it = it->next)
        if (item_events(it, t, false)) {
            ev = LX_POLLIN | LX_POLLRDNORM;
            if (!t)
                break;
        }
    if (t)
        lx_wait_on(t, &ep->wq);
    return ev;
}

static int ep_stat(struct lx_file *f, struct lx_stat *st)
{
    struct epoll *ep = f->obj;
    st->mode = 0600;                             /* an anonymous inode, as Linux's */
    st->ino = ep->ino;
    st->dev = 0xD;
    return 0;
}

static void ep_release(struct lx_file *f)
{
    struct epoll *ep = f->obj;
    lx_wake_all(&ep->wq);                        /* waiters run again and find the fd gone */
    while (ep->items) {
        struct lx_epitem *it = ep->items;
        ep->items = it->next;
        unlink_from_file(it);
        free(it);
    }
    free(ep);
}

static const struct lx_file_ops epoll_ops = {
    .kind = "epoll", .stat = ep_stat, .poll = ep_poll, .release = ep_release,
};

static int64_t ep_create(struct lx_thread *t, unsigned flags)
{
    if (flags & ~LX_O_CLOEXEC)
        return -LX_EINVAL;
    struct epoll *ep = calloc(1, sizeof *ep);
    struct lx_file *f = ep ? lx_file_new(&epoll_ops, LX_O_RDWR, ep) : NULL;
    if (!f) {
        free(ep);
        return -LX_ENOMEM;
    }
    ep->self = f;
    ep->ino = next_ino++;
    strcpy(f->path, "anon_inode:[eventpoll]");
    return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
}

LX_SYS(epoll_create) { return (int32_t)t->a[0] <= 0 ? -LX_EINVAL : ep_create(t, 0); }
LX_SYS(epoll_create1) { return ep_create(t, (unsigned)t->a[0]); }

/* ---- nesting: no cycles, bounded depth (so ep_poll's recursion is bounded) ---- */

static unsigned depth_below(struct lx_file *f)
{
    struct epoll *ep = epoll_of(f);
    unsigned d = 0;
    for (struct lx_epitem *it = ep ? ep->items : NULL; it; it = it->next) {
        unsigned k = depth_below(it->file);
        d = k > d ? k : d;
    }
    return ep ? d + 1 : 0;
}

static unsigned depth_above(struct lx_file *f)
{
    unsigned d = 0;
    for (struct lx_epitem *it = f->epitems; it; it = it->fnext) {
        unsigned k = depth_above(it->ep->self);
        d = k > d ? k : d;
    }
    return d + 1;
}

static bool reaches(struct lx_file *from, struct lx_file *to)
{
    struct epoll *ep = epoll_of(from);
    if (from == to)
        return true;
    for (struct lx_epitem *it = ep ? ep->items : NULL; it; it = it->next)
        if (reaches(it->file, to))
            return true;
    return false;
}

/* ---- epoll_ctl: decode, then perform ---- */

static struct lx_epitem *find(struct epoll *ep, struct lx_file *f, int fd)
{
    for (struct lx_epitem *it = ep->items; it; it = it->next)
        if (it->file == f && it->fd == fd)
            return it;
    return NULL;
}

static unsigned nested_items(struct epoll *ep)
{
    unsigned n = 0;
    for (struct lx_epitem *it = ep->items; it; it = it->next)
        n += epoll_of(it->file) != NULL;
    return n;
}

static unsigned watchers(struct lx_file *f)
{
    unsigned n = 0;
    for (struct lx_epitem *it = f->epitems; it; it = it->fnext)
        n++;
    return n;
}

/* May f be watched by ep? 0 or -errno. */
static int64_t check_add(struct epoll *ep, struct lx_file *f)
{
    const char *k = f->ops->kind;
    if ((f->flags & LX_FILE_DIR) || !strcmp(k, "file") || !strcmp(k, "exe") || !strcmp(k, "memfd") ||
        !strcmp(k, "proc") || !strcmp(k, "procdir"))
        return -LX_EPERM;                        /* files are always ready: Linux refuses them too */
    if (epoll_of(f) && (reaches(f, ep->self) || depth_above(ep->self) + depth_below(f) > EP_DEPTH_MAX))
        return -LX_ELOOP;
    if (epoll_of(f) && (nested_items(ep) >= EP_NESTED_MAX || watchers(f) >= EP_NESTED_MAX))
        return -LX_EINVAL;                       /* as Linux's wakeup-path limit answers */
    return ep->n >= EP_ITEMS_MAX ? -LX_ENOSPC : 0;
}

static int64_t ep_add(struct epoll *ep, struct lx_file *f, int fd, const struct lx_epoll_event *ev)
{
    struct lx_epitem *it = calloc(1, sizeof *it);
    if (!it)
        return -LX_ENOMEM;
    *it = (struct lx_epitem){ .ep = ep, .file = f, .fd = fd, .events = ev->events, .data = ev->data,
                              .fnext = f->epitems };
    f->epitems = it;
    struct lx_epitem **pp = &ep->items;
    while (*pp)
        pp = &(*pp)->next;
    *pp = it;
    ep->n++;
    return 0;
}

LX_SYS(epoll_ctl)
{
    int op = (int)t->a[1], fd = FD_ARG(2);
    struct lx_file *ef = lx_fd_io(t->proc, FD_ARG(0)), *f = lx_fd_io(t->proc, fd);
    if (!ef || !f)
        return -LX_EBADF;
    struct epoll *ep = epoll_of(ef);
    if (!ep || f == ef)
        return -LX_EINVAL;
    struct lx_epoll_event ev = { 0, 0 };
    if (op != LX_EPOLL_CTL_DEL && lx_copy_in(t->proc->mm, &ev, t->a[3], sizeof ev))
        return -LX_EFAULT;
    struct lx_epitem *it = find(ep, f, fd);
    int64_t r;
    switch (op) {
    case LX_EPOLL_CTL_ADD:
        if (it)
            return -LX_EEXIST;
        if ((r = check_add(ep, f)) || (r = ep_add(ep, f, fd, &ev)))
            return r;
        break;
    case LX_EPOLL_CTL_MOD:
        if (!it)
            return -LX_ENOENT;
        if ((ev.events | it->events) & LX_EPOLLEXCLUSIVE)
            return -LX_EINVAL;
        it->events = ev.events;
        it->data = ev.data;
        it->disabled = false;
        it->reported = false;
        break;
    case LX_EPOLL_CTL_DEL:
        if (!it)
            return -LX_ENOENT;
        unlink_from_ep(it);
        unlink_from_file(it);
        free(it);
        return 0;
    default:
        return -LX_EINVAL;
    }
    lx_wake_all(&ep->wq);                        /* a waiter looks at the new item */
    return 0;
}

/* ---- waiting ---- */

/* One run of a wait: the ready items into the program's buffer (the
 * reported ones move to the end of the list, so a small maxevents still
 * sees every item in turn); or the thread waits on all of them. */
static int64_t ep_wait(struct lx_thread *t, int epfd, uint64_t addr, int max, uint64_t timeout_ns)
{
    struct lx_file *ef = lx_fd_get(t->proc, epfd);
    struct epoll *ep = epoll_of(ef);
    if (!ef)
        return -LX_EBADF;
    if (!ep || max <= 0 || (uint64_t)max > EP_EVENTS_MAX)
        return -LX_EINVAL;
    uint64_t cap = (uint64_t)max < ep->n ? (uint64_t)max : ep->n;
    struct lx_epoll_event *out = lx_user(t->proc->mm, addr, cap ? cap * sizeof *out : 1, LX_PROT_WRITE);
    if (!out)
        return -LX_EFAULT;
    uint64_t deadline = lx_poll_deadline(t, timeout_ns);
    int64_t n = 0;
    struct lx_epitem *got = NULL, **gtail = &got;
    for (struct lx_epitem **pp = &ep->items; *pp && (uint64_t)n < cap;) {
        struct lx_epitem *it = *pp;
        uint32_t r = item_events(it, t, true);
        if (!r) {
            pp = &it->next;
            continue;
        }
        out[n].events = r;
        out[n].data = it->data;
        n++;
        *pp = it->next;
        it->next = NULL;
        *gtail = it;
        gtail = &it->next;
    }
    struct lx_epitem **tail = &ep->items;
    while (*tail)
        tail = &(*tail)->next;
    *tail = got;
    if (n || deadline == 1) {
        lx_unwait(t);
        return n;
    }
    if (lx_wait_on(t, &ep->wq)) {
        lx_unwait(t);
        return -LX_ENOMEM;
    }
    return lx_poll_result(t, 0, deadline);
}

static uint64_t ms_timeout(uint64_t arg)
{
    int32_t ms = (int32_t)arg;
    return ms < 0 ? ~0ull : (uint64_t)ms * 1000000ull;
}

LX_SYS(epoll_wait) { return ep_wait(t, FD_ARG(0), t->a[1], (int)t->a[2], ms_timeout(t->a[3])); }

static int64_t pwait_call(struct lx_thread *t, uint64_t timeout)
{
    return ep_wait(t, FD_ARG(0), t->a[1], (int)t->a[2], timeout);
}

LX_SYS(epoll_pwait)
{
    if (t->a[4] && t->a[5] != 8)
        return -LX_EINVAL;
    return lx_poll_with_mask(t, t->a[4], pwait_call, ms_timeout(t->a[3]));
}

LX_SYS(epoll_pwait2)
{
    uint64_t ns = ~0ull;
    if (t->a[4] && t->a[5] != 8)
        return -LX_EINVAL;
    if (!t->progress) {
        int64_t r = lx_poll_ts(t, t->a[3], &ns);
        if (r)
            return r;
    }
    return lx_poll_with_mask(t, t->a[4], pwait_call, ns);
}
