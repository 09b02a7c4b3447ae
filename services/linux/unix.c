/*
 * unix.c — socket(AF_UNIX): stream and datagram sockets named by path
 * names (or abstract names) inside the container. Every Linux process of
 * a container is served by this one personality, so the names are a
 * table here and a connection never leaves it: a stream connection is a
 * socketpair (pipe.c) whose one end becomes the connecting socket and
 * whose other end waits in the listener's queue for accept; a datagram
 * goes into the bound receiver's queue with its sender's name.
 *
 * Names live in this table, not in the fs: bind makes no file (ls does
 * not show it), and a name is free again when its socket is closed.
 * Programs that unlink the path before they bind, as most do, see no
 * difference; what they do with the path after bind — stat or access it,
 * chmod or chown it, unlink it — is answered from this table (the file
 * calls ask lx_unix_path_* before the fs). Bounds: a listener queues at most its
 * backlog (≤ UNIX_BACKLOG_MAX) connections, a datagram socket at most
 * UNIX_DGRAMS_MAX datagrams of at most UNIX_DGRAM_MAX bytes; sockets are
 * fds. Everything is in the personality's heap, the container's memory.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define UNIX_BACKLOG_MAX 128
#define UNIX_DGRAMS_MAX  256
#define UNIX_DGRAM_MAX   65536
#define UNIX_PATH_MAX    108

/* A name: a normalised absolute path, or an abstract name (sun_path[0] == 0). */
struct uname {
    bool abstract;
    uint16_t len;
    char s[LX_PATH_MAX];
};

struct udgram {
    struct udgram *next;
    struct uname *from;         /* the sender's name, or NULL */
    struct lx_scm *scm;         /* the fds it carries (scm.c), or NULL */
    uint32_t len;
    uint8_t data[];
};

struct lx_sockaddr_un {
    uint16_t family;
    char path[UNIX_PATH_MAX];
};

struct usock {
    int type;                   /* LX_SOCK_STREAM or LX_SOCK_DGRAM */
    struct uname *name;         /* bound (in `bound`), or NULL */
    struct uname *peer;         /* a connected datagram socket's default destination */
    struct usock *pair;         /* a datagram socketpair's other end (NULL once it closed) */
    bool paired;                /* made by socketpair: pair, not peer, is where it sends */
    /* a listening stream socket: connections waiting for accept */
    bool listening;
    unsigned backlog, npending;
    struct pending { struct lx_file *end; struct pending *next; } *pending;
    /* a datagram socket */
    struct udgram *qhead, **qtail;
    unsigned qlen;
    struct lx_waitq wq;         /* accept, recv, and connect or send waiting for room */
    unsigned long ino;
    /* a bound path as the file calls see it: S_IFSOCK with this mode,
     * bound at btime; unlinked: the socket keeps its name (getsockname)
     * but the path no longer leads to it */
    unsigned mode;
    uint64_t btime;
    bool unlinked;
    struct usock *next;         /* in `bound` */
};

static struct usock *bound;
static unsigned long next_ino = 0x400000;
static const struct lx_file_ops unix_ops;

#define FD_ARG(i) ((int)(int32_t)t->a[i])

bool lx_unix_file(struct lx_file *f)
{
    return f && f->ops == &unix_ops;
}

static bool same_name(const struct uname *a, const struct uname *b)
{
    return a->abstract == b->abstract && a->len == b->len && !memcmp(a->s, b->s, a->len);
}

static struct usock *lookup(const struct uname *n)
{
    for (struct usock *u = bound; u; u = u->next)
        if (!u->unlinked && same_name(u->name, n))
            return u;
    return NULL;
}

/* The socket bound to the absolute path abs, or NULL (at once when
 * nothing is bound: the file calls ask on every path). */
static struct usock *by_path(const char *abs)
{
    if (!bound)
        return NULL;
    struct uname n = { .abstract = false };
    lx_path_normalize(abs, n.s, sizeof n.s);
    n.len = (uint16_t)strlen(n.s);
    return lookup(&n);
}

/* Whether any socket is bound (the file calls ask lx_unix_path_* only then). */
bool lx_unix_paths_bound(void)
{
    return bound != NULL;
}

/* stat and lstat of a bound path: a socket inode, as Linux's bind makes. */
int lx_unix_path_stat(const char *abs, struct lx_stat *st)
{
    struct usock *u = by_path(abs);
    if (!u)
        return -LX_ENOENT;
    memset(st, 0, sizeof *st);
    st->mode = LX_S_IFSOCK | u->mode;
    st->ino = u->ino;
    st->dev = 0x8;
    st->nlink = 1;
    st->blksize = 4096;
    struct lx_timespec ts = { (int64_t)(u->btime / 1000000000ull), (int64_t)(u->btime % 1000000000ull) };
    st->atime = st->mtime = st->ctime = ts;
    return 0;
}

/* chmod of a bound path: its mode (what stat says; connecting stays
 * open to every process of the container, which all run as root). */
int lx_unix_path_chmod(const char *abs, unsigned mode)
{
    struct usock *u = by_path(abs);
    if (!u)
        return -LX_ENOENT;
    u->mode = mode & 07777;
    return 0;
}

/* unlink of a bound path: the path leads to the socket no more (connect
 * says ENOENT, a new bind may take it); the socket itself goes on. */
int lx_unix_path_unlink(const char *abs)
{
    struct usock *u = by_path(abs);
    if (!u)
        return -LX_ENOENT;
    u->unlinked = true;
    return 0;
}

/* The name in the program's sockaddr_un at addr (len bytes), made
 * absolute against the working directory: 0 or -errno. */
static int64_t get_name(struct lx_thread *t, uint64_t addr, uint64_t len, struct uname *n)
{
    struct lx_sockaddr_un sa;
    if (len < 2 || len > sizeof sa)
        return -LX_EINVAL;
    memset(&sa, 0, sizeof sa);
    if (lx_copy_in(t->proc->mm, &sa, addr, len))
        return -LX_EFAULT;
    if (sa.family != LX_AF_UNIX)
        return -LX_EINVAL;
    size_t plen = len - 2;
    memset(n, 0, sizeof *n);
    if (plen && !sa.path[0]) {
        n->abstract = true;
        n->len = (uint16_t)(plen - 1);
        memcpy(n->s, sa.path + 1, n->len);
        return 0;
    }
    char rel[UNIX_PATH_MAX + 1], abs[LX_PATH_MAX];
    memcpy(rel, sa.path, plen);
    rel[plen] = 0;
    if (!rel[0])
        return -LX_EINVAL;
    snprintf(abs, sizeof abs, "%s/%s", rel[0] == '/' ? "" : t->proc->fs->cwd, rel);
    lx_path_normalize(abs, n->s, sizeof n->s);
    n->len = (uint16_t)strlen(n->s);
    return 0;
}

/* Writes name n (NULL: unnamed, which is the family alone, or nothing
 * for a datagram's sender) for the program at (addr, *lenp), truncated to
 * its room as Linux does. */
static int64_t put_name(struct lx_thread *t, uint64_t addr, uint64_t lenp, const struct uname *n, bool sender)
{
    if (!addr)
        return 0;
    uint32_t room;
    if (lx_copy_in(t->proc->mm, &room, lenp, sizeof room))
        return -LX_EFAULT;
    if ((int32_t)room < 0)
        return -LX_EINVAL;
    struct lx_sockaddr_un sa = { .family = LX_AF_UNIX };
    uint32_t len = n || !sender ? 2 : 0;
    if (n && n->abstract) {
        len = 3 + (n->len < UNIX_PATH_MAX - 1 ? n->len : UNIX_PATH_MAX - 1);
        memcpy(sa.path + 1, n->s, len - 3);
    } else if (n) {
        len = 3 + (n->len < UNIX_PATH_MAX - 1 ? n->len : UNIX_PATH_MAX - 1);
        memcpy(sa.path, n->s, len - 3);
    }
    if (lx_copy_out(t->proc->mm, addr, &sa, room < len ? room : len))
        return -LX_EFAULT;
    return lx_copy_out(t->proc->mm, lenp, &len, sizeof len) ? -LX_EFAULT : 0;
}

static struct uname *name_dup(const struct uname *n)
{
    size_t sz = offsetof(struct uname, s) + n->len + 1;
    struct uname *c = malloc(sz);
    if (c)
        memcpy(c, n, sz);
    return c;
}

/* Waits on q for what the call needs (or fails as a signal or O_NONBLOCK says). */
static int64_t wait_for(struct lx_thread *t, struct lx_file *f, struct lx_waitq *q, bool nonblock)
{
    if (nonblock || (f->flags & LX_O_NONBLOCK))
        return -LX_EAGAIN;
    if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t)) {
        lx_unwait(t);
        return -LX_ERESTARTSYS;
    }
    return lx_wait_on(t, q) ? -LX_ENOMEM : LX_BLOCK;
}

/* ---- the file ops of a socket that is not a connected stream ---- */

static void drop_state(struct usock *u)
{
    if (u->name) {
        struct usock **pp = &bound;
        while (*pp && *pp != u)
            pp = &(*pp)->next;
        if (*pp)
            *pp = u->next;
    }
    while (u->pending) {
        struct pending *p = u->pending;
        u->pending = p->next;
        lx_file_put(p->end);                   /* the connected peer reads the end of the file */
        free(p);
    }
    while (u->qhead) {
        struct udgram *g = u->qhead;
        u->qhead = g->next;
        free(g->from);
        lx_scm_free(g->scm);                   /* nobody can receive them now */
        free(g);
    }
    lx_wake_all(&u->wq);                       /* waiters run again and find it gone */
    if (u->pair) {                             /* its sends now say ECONNREFUSED, as Linux's */
        u->pair->pair = NULL;
        lx_wake_all(&u->pair->wq);
    }
    free(u->name);
    free(u->peer);
    free(u);
}

static void u_release(struct lx_file *f)
{
    drop_state(f->obj);
}

static unsigned u_poll(struct lx_file *f, struct lx_thread *t)
{
    struct usock *u = f->obj;
    unsigned ev;
    if (u->type == LX_SOCK_STREAM)
        ev = u->listening ? (u->pending ? LX_POLLIN | LX_POLLRDNORM : 0) : LX_POLLOUT | LX_POLLHUP;
    else
        ev = (u->qhead ? LX_POLLIN | LX_POLLRDNORM : 0) | LX_POLLOUT | LX_POLLWRNORM;
    if (t)
        lx_wait_on(t, &u->wq);
    return ev;
}

static int u_stat(struct lx_file *f, struct lx_stat *st)
{
    struct usock *u = f->obj;
    st->mode = LX_S_IFSOCK | 0777;
    st->ino = u->ino;
    st->dev = 0x8;
    return 0;
}

static int64_t dgram_recv(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, unsigned fl,
                          struct uname **from, int32_t *mflags);
static int64_t dgram_send(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, unsigned fl,
                          const struct uname *to);

static int64_t u_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct usock *u = f->obj;
    if (off >= 0)
        return -LX_ESPIPE;
    if (u->type == LX_SOCK_STREAM)
        return -LX_ENOTCONN;
    return dgram_recv(t, f, buf, n, 0, NULL, NULL);
}

static int64_t u_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    struct usock *u = f->obj;
    if (off >= 0)
        return -LX_ESPIPE;
    if (u->type == LX_SOCK_STREAM)
        return -LX_ENOTCONN;
    return dgram_send(t, f, buf, n, 0, NULL);
}

static const struct lx_file_ops unix_ops = {
    .kind = "socket", .read = u_read, .write = u_write, .stat = u_stat, .poll = u_poll, .release = u_release,
    .fasync = true,
};

/* A new socket's file (NULL: no memory). */
static struct lx_file *usock_new(unsigned kind, unsigned type)
{
    struct usock *u = calloc(1, sizeof *u);
    struct lx_file *f = u ? lx_file_new(&unix_ops, LX_O_RDWR | (type & LX_SOCK_NONBLOCK ? LX_O_NONBLOCK : 0), u)
                          : NULL;
    if (!f) {
        free(u);
        return NULL;
    }
    u->type = (int)kind;
    u->qtail = &u->qhead;
    u->ino = next_ino++;
    snprintf(f->path, sizeof f->path, "socket:[%lu]", u->ino);
    return f;
}

int64_t lx_unix_socket(struct lx_thread *t, unsigned type)
{
    unsigned kind = type & 0xf;
    if (type & ~(0xfu | LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -LX_EINVAL;
    if (kind == LX_SOCK_RAW)
        kind = LX_SOCK_DGRAM;                  /* as Linux: a raw AF_UNIX socket is a datagram one */
    if (kind != LX_SOCK_STREAM && kind != LX_SOCK_DGRAM)
        return -LX_ESOCKTNOSUPPORT;
    struct lx_file *f = usock_new(kind, type);
    return f ? lx_fd_install(t->proc, f, 0, type & LX_SOCK_CLOEXEC) : -LX_ENOMEM;
}

void lx_unix_dgram_pair(unsigned type, struct lx_file **a, struct lx_file **b)
{
    *a = usock_new(LX_SOCK_DGRAM, type);
    *b = *a ? usock_new(LX_SOCK_DGRAM, type) : NULL;
    if (!*b)
        return;
    struct usock *ua = (*a)->obj, *ub = (*b)->obj;
    ua->pair = ub;
    ub->pair = ua;
    ua->paired = ub->paired = true;
}

/* ---- bind, listen, connect, accept ---- */

int64_t lx_unix_bind(struct lx_thread *t, struct lx_file *f)
{
    struct usock *u = f->obj;
    struct uname n;
    int64_t r = get_name(t, t->a[1], t->a[2], &n);
    if (r)
        return r;
    if (u->name)
        return -LX_EINVAL;
    if (lookup(&n))
        return -LX_EADDRINUSE;
    if (!(u->name = name_dup(&n)))
        return -LX_ENOMEM;
    u->mode = 0777 & ~t->proc->fs->umask;
    u->btime = lx_realtime_ns();
    u->next = bound;
    bound = u;
    return 0;
}

int64_t lx_unix_listen(struct lx_thread *t, struct lx_file *f)
{
    struct usock *u = f->obj;
    int backlog = (int)t->a[1];
    if (u->type != LX_SOCK_STREAM)
        return -LX_EOPNOTSUPP;
    if (!u->name)
        return -LX_EINVAL;                     /* Linux would autobind an abstract name */
    u->listening = true;
    u->backlog = backlog <= 0 ? 1 : backlog > UNIX_BACKLOG_MAX ? UNIX_BACKLOG_MAX : (unsigned)backlog;
    lx_wake_all(&u->wq);
    return 0;
}

/* A stream connect: the listener gets one end of a new pair in its
 * queue, and f becomes the other; a full queue waits (or EAGAIN). */
static int64_t stream_connect(struct lx_thread *t, struct lx_file *f, const struct uname *n)
{
    struct usock *l = lookup(n);
    if (!l)
        return n->abstract ? -LX_ECONNREFUSED : -LX_ENOENT;
    if (l->type != LX_SOCK_STREAM)
        return -LX_EPROTOTYPE;
    if (!l->listening)
        return -LX_ECONNREFUSED;
    if (l->npending > l->backlog)              /* Linux's test: backlog + 1 may wait */
        return wait_for(t, f, &l->wq, false);
    lx_unwait(t);
    struct pending *p = malloc(sizeof *p);
    struct usock *u = f->obj;
    struct lx_file *peer = p ? lx_pipe_socket_connect(f) : NULL;
    if (!peer) {
        free(p);
        return -LX_ENOMEM;
    }
    drop_state(u);                             /* f is a pipe end now; who polled it runs again */
    p->end = peer;
    p->next = NULL;
    struct pending **pp = &l->pending;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    l->npending++;
    lx_wake_all(&l->wq);
    return 0;
}

int64_t lx_unix_connect(struct lx_thread *t, struct lx_file *f)
{
    struct usock *u = f->obj;
    struct uname n;
    int64_t r = get_name(t, t->a[1], t->a[2], &n);
    if (r)
        return r;
    if (u->type == LX_SOCK_STREAM) {
        if (u->listening)
            return -LX_EINVAL;
        return stream_connect(t, f, &n);
    }
    struct usock *d = lookup(&n);
    if (!d)
        return n.abstract ? -LX_ECONNREFUSED : -LX_ENOENT;
    if (d->type != LX_SOCK_DGRAM)
        return -LX_EPROTOTYPE;
    struct uname *c = name_dup(&n);
    if (!c)
        return -LX_ENOMEM;
    free(u->peer);
    u->peer = c;
    return 0;
}

int64_t lx_unix_accept(struct lx_thread *t, struct lx_file *f, unsigned flags)
{
    struct usock *u = f->obj;
    if (flags & ~(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -LX_EINVAL;
    if (u->type != LX_SOCK_STREAM)
        return -LX_EOPNOTSUPP;
    if (!u->listening)
        return -LX_EINVAL;
    if (!u->pending)
        return wait_for(t, f, &u->wq, false);
    lx_unwait(t);
    struct pending *p = u->pending;
    struct lx_file *c = p->end;
    if (flags & LX_SOCK_NONBLOCK)
        c->flags |= LX_O_NONBLOCK;
    lx_file_get(c);
    int fd = lx_fd_install(t->proc, c, 0, flags & LX_SOCK_CLOEXEC);
    if (fd < 0)
        return fd;                             /* it stays in the queue */
    u->pending = p->next;
    u->npending--;
    lx_file_put(c);
    free(p);
    lx_wake_all(&u->wq);                       /* a connect waiting for room */
    int64_t r = put_name(t, t->a[1], t->a[2], NULL, false);
    if (r) {
        lx_fd_close(t->proc, fd);
        return r;
    }
    return fd;
}

/* ---- datagrams ---- */

static int64_t dgram_send(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, unsigned fl,
                          const struct uname *to)
{
    struct usock *u = f->obj, *d;
    if (!to && u->paired) {
        if (!(d = u->pair))
            return -LX_ECONNREFUSED;
    } else {
        if (!to && !(to = u->peer))
            return -LX_ENOTCONN;
        if (!(d = lookup(to)))
            return to->abstract ? -LX_ECONNREFUSED : -LX_ENOENT;
    }
    if (n > UNIX_DGRAM_MAX)
        return -LX_EMSGSIZE;
    if (d->type != LX_SOCK_DGRAM)
        return -LX_EPROTOTYPE;
    if (d->qlen >= UNIX_DGRAMS_MAX)
        return wait_for(t, f, &d->wq, fl & LX_MSG_DONTWAIT);
    lx_unwait(t);
    struct udgram *g = malloc(sizeof *g + n);
    if (!g)
        return -LX_ENOBUFS;
    *g = (struct udgram){ .len = (uint32_t)n, .from = u->name ? name_dup(u->name) : NULL, .scm = lx_scm_send };
    lx_scm_send = NULL;
    memcpy(g->data, buf, n);
    *d->qtail = g;
    d->qtail = &g->next;
    d->qlen++;
    lx_wake_all(&d->wq);
    return (int64_t)n;
}

static int64_t dgram_recv(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, unsigned fl,
                          struct uname **from, int32_t *mflags)
{
    struct usock *u = f->obj;
    struct udgram *g = u->qhead;
    if (!g)
        return wait_for(t, f, &u->wq, fl & LX_MSG_DONTWAIT);
    lx_unwait(t);
    uint64_t k = n < g->len ? n : g->len;
    memcpy(buf, g->data, k);
    if (mflags && k < g->len)
        *mflags |= LX_MSG_TRUNC;
    int64_t r = (fl & LX_MSG_TRUNC) ? (int64_t)g->len : (int64_t)k;
    if (fl & LX_MSG_PEEK) {
        if (g->scm && lx_scm_slot)
            lx_scm_take(lx_scm_clone(g->scm));
        if (from)
            *from = g->from ? name_dup(g->from) : NULL;
        return r;
    }
    u->qhead = g->next;
    if (!u->qhead)
        u->qtail = &u->qhead;
    u->qlen--;
    lx_scm_take(g->scm);
    if (from)
        *from = g->from;
    else
        free(g->from);
    free(g);
    lx_wake_all(&u->wq);                       /* a sender waiting for room */
    return r;
}

int64_t lx_unix_sendto(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, unsigned fl,
                       uint64_t addr, uint64_t alen)
{
    struct usock *u = f->obj;
    if (u->type == LX_SOCK_STREAM)
        return u->listening || !addr ? -LX_ENOTCONN : -LX_EOPNOTSUPP;
    if (!addr)
        return dgram_send(t, f, buf, n, fl, NULL);
    struct uname to;
    int64_t r = get_name(t, addr, alen, &to);
    return r ? r : dgram_send(t, f, buf, n, fl, &to);
}

int64_t lx_unix_recvfrom(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, unsigned fl, uint64_t addr,
                         uint64_t alenp, int32_t *mflags)
{
    struct usock *u = f->obj;
    if (u->type == LX_SOCK_STREAM)
        return -LX_ENOTCONN;
    struct uname *from = NULL;
    int64_t r = dgram_recv(t, f, buf, n, fl, addr ? &from : NULL, mflags);
    if (r >= 0 && r != LX_BLOCK && addr) {
        int64_t e = put_name(t, addr, alenp, from, true);
        if (e)
            r = e;
    }
    free(from);
    return r;
}

/* ---- names and options ---- */

int64_t lx_unix_getname(struct lx_thread *t, struct lx_file *f, bool peer)
{
    if (!lx_unix_file(f))                      /* a connected stream end: unnamed, as socketpair's */
        return peer || lx_pipe_is_socket(f) ? put_name(t, t->a[1], t->a[2], NULL, false) : -LX_ENOTSOCK;
    struct usock *u = f->obj;
    if (peer && u->paired)                     /* a socketpair's other end: unnamed */
        return u->pair ? put_name(t, t->a[1], t->a[2], NULL, false) : -LX_ENOTCONN;
    if (peer && !u->peer)
        return -LX_ENOTCONN;
    return put_name(t, t->a[1], t->a[2], peer ? u->peer : u->name, false);
}

int64_t lx_unix_shutdown(struct lx_thread *t, struct lx_file *f)
{
    int how = (int)t->a[1];
    if (how < LX_SHUT_RD || how > LX_SHUT_RDWR)
        return -LX_EINVAL;
    if (!lx_unix_file(f))
        return lx_pipe_shutdown(f, how);
    struct usock *u = f->obj;
    return u->type == LX_SOCK_DGRAM && (u->peer || u->paired) ? 0 : -LX_ENOTCONN;
}

/* getsockopt(SOL_SOCKET, SO_TYPE / SO_ERROR / SO_DOMAIN / SO_PROTOCOL /
 * SO_ACCEPTCONN) of any AF_UNIX socket;
 * setsockopt is accepted (the buffers are fixed). */
int64_t lx_unix_sockopt(struct lx_thread *t, struct lx_file *f, bool set)
{
    if (set)
        return 0;
    uint64_t level = t->a[1], opt = t->a[2], addr = t->a[3], lenp = t->a[4];
    int32_t v;
    if (level != LX_SOL_SOCKET)
        return -LX_ENOPROTOOPT;
    if (opt == LX_SO_TYPE)
        v = lx_unix_file(f) ? ((struct usock *)f->obj)->type : LX_SOCK_STREAM;
    else if (opt == LX_SO_ERROR || opt == LX_SO_PROTOCOL)
        v = 0;
    else if (opt == LX_SO_DOMAIN)              /* Python's socket(fileno=) asks these three */
        v = LX_AF_UNIX;
    else if (opt == LX_SO_ACCEPTCONN)
        v = lx_unix_file(f) && ((struct usock *)f->obj)->listening;
    else if (opt == LX_SO_SNDBUF || opt == LX_SO_RCVBUF)
        v = 65536;
    else
        return -LX_ENOPROTOOPT;
    uint32_t len;
    if (lx_copy_in(t->proc->mm, &len, lenp, sizeof len))
        return -LX_EFAULT;
    if ((int32_t)len < 0)
        return -LX_EINVAL;
    len = len < sizeof v ? len : (uint32_t)sizeof v;
    if (lx_copy_out(t->proc->mm, addr, &v, len))
        return -LX_EFAULT;
    return lx_copy_out(t->proc->mm, lenp, &len, sizeof len) ? -LX_EFAULT : 0;
}
