/*
 * pipe.c — pipes: a 64 KiB ring in the personality's memory between two
 * open file descriptions, readers and writers waiting on it. A write of
 * up to PIPE_BUF bytes is atomic; a longer blocking write goes on until
 * all is written (its progress kept across runs of the call); a write
 * with no reader left raises SIGPIPE and fails with EPIPE; a read with no
 * writer left sees the end of the file. socketpair(AF_UNIX) is two of
 * them, one each way, and so is a connected AF_UNIX stream socket
 * (unix.c turns its socket into such an end when it connects).
 *
 * A socket's pipe carries the fds sent with SCM_RIGHTS (scm.c) as
 * records marked with the byte count where their message starts: a read
 * that starts there takes them (recvmsg installs them, read(2) closes
 * them, as Linux) and no read runs past the start of the next one, so
 * fds arrive with their message's first byte. When nobody is left to
 * read the pipe its records are dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define PIPE_SIZE (64u << 10)
#define PIPE_BUF  4096u

struct pipe {
    uint8_t buf[PIPE_SIZE];
    uint32_t head, len;         /* bytes in the ring start at head */
    unsigned readers, writers;
    struct lx_waitq rq, wq;     /* waiting to read, to write */
    unsigned long ino;
    uint64_t in, out;           /* bytes ever put in, taken out */
    struct lx_scm *scm;         /* a socket's: fds sent with its bytes, in order of `at` */
    /* a named FIFO's (lx_fifo_open): */
    bool fifo;
    uint64_t key;               /* the fs node: device and inode */
    struct pipe *fifo_next;
    unsigned r_opens, w_opens;  /* opens ever for reading, for writing */
    struct lx_waitq openq;      /* opens waiting for a partner */
};

struct end {
    struct pipe *p;
    bool writer;
    struct pipe *other;         /* socketpair: the pipe the other way */
    bool shut_wr;               /* socket: shutdown(SHUT_WR) let go of `other` */
    bool fifo;                  /* a FIFO's end (O_RDWR: other is p itself) */
    bool hup_quiet;             /* opened O_NONBLOCK with no writer: no POLLHUP before one came */
    unsigned seen_w;            /* (p->w_opens then) */
    uint64_t fs_handle;         /* a FIFO's: its fs node's handle (fstat), or 0 */
};

static unsigned long next_ino = 0x100000;
static struct pipe *fifos;      /* the FIFOs some end holds, by key */
static unsigned nfifos;

static int64_t pipe_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct end *e = f->obj;
    struct pipe *p = e->p;
    if (off >= 0)
        return -LX_ESPIPE;
    if (!n)
        return 0;
    if (!p->len) {
        if (!p->writers)
            return 0;
        if (f->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &p->rq) ? -LX_ENOMEM : LX_BLOCK;
    }
    uint64_t k = n < p->len ? n : p->len;
    while (p->scm && p->scm->at <= p->out) {    /* this read starts the message: it takes its fds */
        struct lx_scm *h = p->scm;
        p->scm = h->next;
        h->next = NULL;
        lx_scm_take(h);
    }
    if (p->scm && p->scm->at - p->out < k)
        k = p->scm->at - p->out;                /* the next message's fds come with its own read */
    uint64_t first = PIPE_SIZE - p->head;
    if (first > k)
        first = k;
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, k - first);
    p->head = (uint32_t)((p->head + k) % PIPE_SIZE);
    p->len -= (uint32_t)k;
    p->out += k;
    lx_wake_all(&p->wq);
    return (int64_t)k;
}

static void put(struct pipe *p, const uint8_t *src, uint64_t k)
{
    uint32_t tail = (p->head + p->len) % PIPE_SIZE;
    uint64_t first = PIPE_SIZE - tail < k ? PIPE_SIZE - tail : k;
    memcpy(p->buf + tail, src, first);
    memcpy(p->buf, src + first, k - first);
    p->len += (uint32_t)k;
    p->in += k;
}

static int64_t pipe_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    struct end *e = f->obj;
    struct pipe *p = e->other ? e->other : e->p;
    if (off >= 0)
        return -LX_ESPIPE;
    if (e->shut_wr || !p->readers) {
        struct lx_siginfo si = { .code = LX_SI_USER };
        si.kill.pid = t->proc->pid;
        lx_signal_send(t->proc, t, LX_SIGPIPE, &si);
        return t->progress ? (int64_t)t->progress : -LX_EPIPE;
    }
    uint64_t done = t->progress;                /* what earlier runs of this call wrote */
    while (done < n) {
        uint64_t room = PIPE_SIZE - p->len, want = n - done;
        if (room && (want > PIPE_BUF || room >= want)) {
            uint64_t k = want < room ? want : room;
            if (lx_scm_send && !done) {         /* sendmsg's fds: they start with this byte */
                struct lx_scm **pp = &p->scm;
                while (*pp)
                    pp = &(*pp)->next;
                lx_scm_send->at = p->in;
                *pp = lx_scm_send;
                lx_scm_send = NULL;
            }
            put(p, (const uint8_t *)buf + done, k);
            done += k;
            lx_wake_all(&p->rq);
            continue;
        }
        if ((f->flags & LX_O_NONBLOCK) || t->wake == LX_WAKE_SIGNAL) {
            t->progress = 0;
            return done ? (int64_t)done : (f->flags & LX_O_NONBLOCK) ? -LX_EAGAIN : -LX_ERESTARTSYS;
        }
        t->progress = done;
        return lx_wait_on(t, &p->wq) ? -LX_ENOMEM : LX_BLOCK;
    }
    t->progress = 0;
    return (int64_t)done;
}

static int pipe_stat(struct lx_file *f, struct lx_stat *st)
{
    struct end *e = f->obj;
    if (e->fs_handle)
        return lx_fs_handle_stat(e->fs_handle, st);   /* a FIFO: its node's */
    st->mode = (e->other ? LX_S_IFSOCK : LX_S_IFIFO) | 0600;
    st->ino = e->p->ino;
    st->dev = 0xC;
    st->blksize = PIPE_BUF;
    return 0;
}

static unsigned pipe_poll(struct lx_file *f, struct lx_thread *t)
{
    struct end *e = f->obj;
    struct pipe *in = e->p, *out = e->other ? e->other : e->p;
    unsigned ev = 0;
    if (!e->writer || e->other) {
        if (in->len)
            ev |= LX_POLLIN | LX_POLLRDNORM;
        if (!in->writers && (!e->hup_quiet || in->w_opens != e->seen_w))
            ev |= LX_POLLHUP;
        if (t)
            lx_wait_on(t, &in->rq);
    }
    if (e->shut_wr) {
        ev |= LX_POLLOUT | LX_POLLWRNORM;          /* a write would not wait: it fails */
    } else if (e->writer || e->other) {
        if (!out->readers)
            ev |= LX_POLLERR;
        else if (PIPE_SIZE - out->len >= PIPE_BUF)
            ev |= LX_POLLOUT | LX_POLLWRNORM;
        if (t)
            lx_wait_on(t, &out->wq);
    }
    return ev;
}

static int64_t pipe_ioctl(struct lx_thread *t, struct lx_file *f, uint64_t req, uint64_t arg)
{
    struct end *e = f->obj;
    if (req != LX_FIONREAD)
        return -LX_ENOTTY;
    int32_t n = (int32_t)e->p->len;
    return lx_copy_out(t->proc->mm, arg, &n, sizeof n);
}

static void pipe_unref(struct pipe *p, bool writer)
{
    struct lx_scm *drop = NULL;
    if (writer) {
        p->writers--;
        lx_wake_all(&p->rq);                    /* readers see the end */
    } else {
        p->readers--;
        lx_wake_all(&p->wq);                    /* writers get EPIPE */
        if (!p->readers) {                      /* fds nobody can receive now */
            drop = p->scm;
            p->scm = NULL;
        }
    }
    if (!p->readers && !p->writers) {
        if (p->fifo) {                          /* Linux too drops what nobody holds open */
            struct pipe **pp = &fifos;
            while (*pp && *pp != p)
                pp = &(*pp)->fifo_next;
            if (*pp)
                *pp = p->fifo_next;
            nfifos--;
        }
        free(p);
    }
    lx_scm_free(drop);                          /* last: their files may let go of p */
}

static void pipe_release(struct lx_file *f)
{
    struct end *e = f->obj;
    if (e->other) {                             /* a socket end: reads one pipe, writes the other */
        pipe_unref(e->p, false);
        if (!e->shut_wr)
            pipe_unref(e->other, true);
    } else {
        pipe_unref(e->p, e->writer);
    }
    if (e->fs_handle)
        lx_fs_handle_close(e->fs_handle);
    free(e);
}

static const struct lx_file_ops pipe_ops = {
    .kind = "pipe", .read = pipe_read, .write = pipe_write, .stat = pipe_stat, .poll = pipe_poll,
    .ioctl = pipe_ioctl, .release = pipe_release, .fasync = true,
};

static struct pipe *pipe_new(void)
{
    struct pipe *p = calloc(1, sizeof *p);
    if (p)
        p->ino = next_ino++;
    return p;
}

static struct lx_file *end_new(struct pipe *p, struct pipe *other, bool writer, unsigned flags)
{
    struct end *e = malloc(sizeof *e);
    unsigned acc = other ? LX_O_RDWR : writer ? LX_O_WRONLY : LX_O_RDONLY;
    struct lx_file *f = e ? lx_file_new(&pipe_ops, acc | (flags & LX_O_NONBLOCK), e) : NULL;
    if (!f) {
        free(e);
        return NULL;
    }
    *e = (struct end){ .p = p, .writer = writer, .other = other };
    snprintf(f->path, sizeof f->path, other ? "socket:[%lu]" : "pipe:[%lu]", p->ino);
    if (other) {
        p->readers++;
        other->writers++;
    } else if (writer) {
        p->writers++;
    } else {
        p->readers++;
    }
    return f;
}

/* Installs a and b as two fds written to fds_addr; on failure nothing stays. */
int64_t lx_install_pair(struct lx_thread *t, struct lx_file *a, struct lx_file *b, uint64_t fds_addr, bool cloexec)
{
    if (!a || !b) {
        lx_file_put(a);
        lx_file_put(b);
        return -LX_ENOMEM;
    }
    int fa = lx_fd_install(t->proc, a, 0, cloexec);
    if (fa < 0) {
        lx_file_put(b);
        return fa;
    }
    int fb = lx_fd_install(t->proc, b, 0, cloexec);
    if (fb < 0) {
        lx_fd_close(t->proc, fa);
        return fb;
    }
    int32_t fds[2] = { fa, fb };
    if (lx_copy_out(t->proc->mm, fds_addr, fds, sizeof fds)) {
        lx_fd_close(t->proc, fa);
        lx_fd_close(t->proc, fb);
        return -LX_EFAULT;
    }
    return 0;
}

static int64_t do_pipe(struct lx_thread *t, uint64_t fds_addr, unsigned flags)
{
    if (flags & ~(LX_O_CLOEXEC | LX_O_NONBLOCK | LX_O_DIRECT))
        return -LX_EINVAL;
    struct pipe *p = pipe_new();
    if (!p)
        return -LX_ENOMEM;
    struct lx_file *r = end_new(p, NULL, false, flags), *w = r ? end_new(p, NULL, true, flags) : NULL;
    if (!r)
        free(p);
    return lx_install_pair(t, r, w, fds_addr, flags & LX_O_CLOEXEC);
}

/* A pipe whose write end the personality keeps (`aerie exec -i`: outside.c). */
int lx_pipe_pair(struct lx_file **rd, struct lx_file **wr)
{
    struct pipe *p = pipe_new();
    if (!p)
        return -LX_ENOMEM;
    struct lx_file *r = end_new(p, NULL, false, 0), *w = r ? end_new(p, NULL, true, 0) : NULL;
    if (!r)
        free(p);
    if (!r || !w) {
        lx_file_put(r);
        return -LX_ENOMEM;
    }
    *rd = r;
    *wr = w;
    return 0;
}

/* Puts what the ring has room for of n bytes into the pipe of write end
 * f, waiting for nothing: the bytes taken (all of them when nobody reads
 * any more: they would never be read). */
uint64_t lx_pipe_feed(struct lx_file *f, const void *buf, uint64_t n)
{
    struct end *e = f->obj;
    struct pipe *p = e->p;
    if (!p->readers)
        return n;
    uint64_t room = PIPE_SIZE - p->len, k = n < room ? n : room;
    if (k) {
        put(p, buf, k);
        lx_wake_all(&p->rq);
    }
    return k;
}

LX_SYS(pipe) { return do_pipe(t, t->a[0], 0); }
LX_SYS(pipe2) { return do_pipe(t, t->a[0], (unsigned)t->a[1]); }

/* socketpair(AF_UNIX, SOCK_STREAM): a pipe each way; SOCK_DGRAM: two
 * datagram sockets of unix.c sending to each other (boundaries kept). */
int64_t lx_socketpair(struct lx_thread *t, unsigned type, uint64_t fds_addr)
{
    if ((type & 0xf) == LX_SOCK_DGRAM) {
        struct lx_file *a, *b;
        lx_unix_dgram_pair(type, &a, &b);
        return lx_install_pair(t, a, b, fds_addr, type & LX_SOCK_CLOEXEC);
    }
    struct pipe *ab = pipe_new(), *ba = pipe_new();
    if (!ab || !ba) {
        free(ab);
        free(ba);
        return -LX_ENOMEM;
    }
    struct lx_file *a = end_new(ab, ba, false, type), *b = a ? end_new(ba, ab, false, type) : NULL;
    if (!a) {
        free(ab);
        free(ba);
    }
    return lx_install_pair(t, a, b, fds_addr, type & LX_SOCK_CLOEXEC);
}

/* Makes f, an AF_UNIX stream socket that connects, one end of a new
 * connected pair: the other end is a new file (NULL: no memory, f
 * unchanged). The caller has let go of what f was. */
struct lx_file *lx_pipe_socket_connect(struct lx_file *f)
{
    struct pipe *ab = pipe_new(), *ba = pipe_new();
    struct end *e = malloc(sizeof *e);
    struct lx_file *peer = ab && ba && e ? end_new(ba, ab, false, 0) : NULL;
    if (!peer) {
        free(ab);
        free(ba);
        free(e);
        return NULL;
    }
    *e = (struct end){ .p = ab, .other = ba };
    ab->readers++;
    ba->writers++;
    f->ops = &pipe_ops;
    f->obj = e;
    snprintf(f->path, sizeof f->path, "socket:[%lu]", ab->ino);
    return peer;
}

bool lx_pipe_is_socket(struct lx_file *f)
{
    return f && f->ops == &pipe_ops && ((struct end *)f->obj)->other && !((struct end *)f->obj)->fifo;
}

/* shutdown of a connected AF_UNIX stream end: SHUT_WR lets go of the
 * pipe it writes (the peer reads the end of the file); SHUT_RD is
 * accepted and changes nothing. */
int64_t lx_pipe_shutdown(struct lx_file *f, int how)
{
    struct end *e = f->obj;
    if (!lx_pipe_is_socket(f))
        return -LX_ENOTSOCK;
    if ((how == LX_SHUT_WR || how == LX_SHUT_RDWR) && !e->shut_wr) {
        e->shut_wr = true;
        pipe_unref(e->other, true);
    }
    return 0;
}

LX_SYS(socketpair)
{
    unsigned type = (unsigned)t->a[1];
    if (t->a[0] != LX_AF_UNIX)
        return -LX_EAFNOSUPPORT;
    if ((type & 0xf) != LX_SOCK_STREAM && (type & 0xf) != LX_SOCK_DGRAM)
        return -LX_EINVAL;
    return lx_socketpair(t, type, t->a[3]);
}

/* ---- named FIFOs ----
 *
 * A FIFO is a node of the container's fs (mknod, docs/FS.md); its pipe is
 * ours, one per node the container holds open, found by the node's device
 * and inode (never reused in a session), so every process of the
 * container — one personality serves them all — meets the same pipe, and
 * nothing of another container ever does (its personality has its own
 * table, even for a node of the same image or a fork's copy). The pipe
 * lives while an end holds it, as Linux's; an end keeps its node's fs
 * handle, so fstat sees the node (unlinked too). At most LX_FIFO_MAX pipes
 * at once, each charged to the container's memory as any pipe is. */

static struct lx_file *fifo_end(struct pipe *p, unsigned flags, uint64_t handle, const char *norm)
{
    unsigned acc = flags & LX_O_ACCMODE;
    struct end *e = malloc(sizeof *e);
    struct lx_file *f = e ? lx_file_new(&pipe_ops, flags & ~LX_O_CLOEXEC, e) : NULL;
    if (!f) {
        free(e);
        return NULL;
    }
    *e = (struct end){ .p = p, .writer = acc == LX_O_WRONLY, .other = acc == LX_O_RDWR ? p : NULL,
                       .fifo = true, .fs_handle = handle };
    if (acc != LX_O_WRONLY) {
        p->readers++;
        p->r_opens++;
    }
    if (acc != LX_O_RDONLY) {
        p->writers++;
        p->w_opens++;
    }
    if (acc == LX_O_RDONLY && !p->writers && (flags & LX_O_NONBLOCK)) {
        e->hup_quiet = true;                    /* as Linux: POLLHUP once a writer came and went */
        e->seen_w = p->w_opens;
    }
    lx_wake_all(&p->openq);
    memcpy(f->path, norm, strnlen(norm, sizeof f->path - 1));
    return f;
}

int64_t lx_fifo_open(struct lx_thread *t, uint64_t key, uint64_t handle, unsigned flags, const char *norm,
                     struct lx_file **out)
{
    unsigned acc = flags & LX_O_ACCMODE;
    if (acc == LX_O_ACCMODE)
        acc = LX_O_RDWR;
    struct pipe *p = fifos;
    while (p && p->key != key)
        p = p->fifo_next;
    bool made = false;
    if (!p) {
        if (nfifos >= LX_FIFO_MAX || !(p = pipe_new())) {
            lx_fs_handle_close(handle);
            return nfifos >= LX_FIFO_MAX ? -LX_ENFILE : -LX_ENOMEM;
        }
        p->fifo = true;
        p->key = key;
        p->fifo_next = fifos;
        fifos = p;
        nfifos++;
        made = true;
    }
    int64_t r = 0;
    struct lx_file *f = NULL;
    if (acc == LX_O_WRONLY && (flags & LX_O_NONBLOCK) && !p->readers)
        r = -LX_ENXIO;                          /* nobody reads: Linux's answer */
    else if (!(f = fifo_end(p, (flags & ~LX_O_ACCMODE) | acc, handle, norm)))
        r = -LX_ENOMEM;
    if (r) {
        if (made) {
            p->readers = 1;                     /* (unref takes it out of the table) */
            pipe_unref(p, false);
        }
        lx_fs_handle_close(handle);
        return r;
    }
    /* A blocking open for one direction waits until the other side opens
     * (its count moves: one that opened and closed meanwhile counts). */
    bool waits = !(flags & LX_O_NONBLOCK) &&
                 ((acc == LX_O_RDONLY && !p->writers) || (acc == LX_O_WRONLY && !p->readers));
    if (!waits) {
        *out = f;
        return 0;
    }
    t->fifo_wait = f;
    t->fifo_gen = acc == LX_O_RDONLY ? p->w_opens : p->r_opens;
    if (lx_wait_on(t, &p->openq)) {
        lx_fifo_abandon(t);
        return -LX_ENOMEM;
    }
    return LX_BLOCK;
}

int64_t lx_fifo_resume(struct lx_thread *t, struct lx_file **out)
{
    struct lx_file *f = t->fifo_wait;
    struct end *e = f->obj;
    struct pipe *p = e->p;
    if ((e->writer ? p->r_opens : p->w_opens) != t->fifo_gen) {
        t->fifo_wait = NULL;                    /* the partner came */
        *out = f;
        return 0;
    }
    if (t->wake == LX_WAKE_SIGNAL) {
        lx_fifo_abandon(t);
        return -LX_ERESTARTSYS;                 /* as Linux: restarted under SA_RESTART */
    }
    if (lx_wait_on(t, &p->openq)) {
        lx_fifo_abandon(t);
        return -LX_ENOMEM;
    }
    return LX_BLOCK;
}

void lx_fifo_abandon(struct lx_thread *t)
{
    struct lx_file *f = t->fifo_wait;
    t->fifo_wait = NULL;
    if (f)
        lx_file_put(f);
}

/* ---- splice ---- */

#define SPLICE_F_NONBLOCK 2u
#define SPLICE_F_ALL      15u      /* MOVE, NONBLOCK, MORE, GIFT */

static struct pipe *plain_pipe(struct lx_file *f, bool writer)
{
    if (!f || f->ops != &pipe_ops)
        return NULL;
    struct end *e = f->obj;
    if (e->fifo && e->other)
        return e->p;                            /* a FIFO opened O_RDWR: both ways */
    return !e->other && e->writer == writer ? e->p : NULL;   /* a socketpair end is a socket */
}

/* The pipe's first k bytes, copied out without taking them. */
static void peek(struct pipe *p, uint8_t *dst, uint64_t k)
{
    uint64_t first = PIPE_SIZE - p->head < k ? PIPE_SIZE - p->head : k;
    memcpy(dst, p->buf + p->head, first);
    memcpy(dst + first, p->buf, k - first);
}

/* One bounce buffer for splice, either way, made at the first use (the
 * personality serves one call at a time). */
static uint8_t *splice_buf(void)
{
    static uint8_t *buf;
    if (!buf)
        buf = malloc(PIPE_SIZE);
    return buf;
}

static void take(struct pipe *p, uint64_t k)
{
    p->head = (uint32_t)((p->head + k) % PIPE_SIZE);
    p->len -= (uint32_t)k;
    p->out += k;
    lx_wake_all(&p->wq);
}

/* From a pipe to anything: the output is handed a copy of what the pipe
 * holds and the pipe gives up only what the output took, so an output
 * that waits (and runs the call again) loses nothing. */
static int64_t splice_from_pipe(struct lx_thread *t, struct pipe *p, struct lx_file *out, int64_t off,
                                uint64_t n, bool nonblock)
{
    if (!p->len) {
        if (!p->writers)
            return 0;
        if (nonblock)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &p->rq) ? -LX_ENOMEM : LX_BLOCK;
    }
    uint8_t *buf = splice_buf();
    if (!buf)
        return -LX_ENOMEM;
    uint64_t k = n < p->len ? n : p->len;
    peek(p, buf, k);
    int64_t w = out->ops->write(t, out, buf, k, off);
    if (w > 0 && w != LX_BLOCK)
        take(p, (uint64_t)w);
    return w;
}

/* From anything to a pipe: no more is read than the pipe has room for,
 * so nothing read is ever dropped. */
static int64_t splice_to_pipe(struct lx_thread *t, struct lx_file *in, struct pipe *p, int64_t off,
                              uint64_t n, bool nonblock)
{
    if (!p->readers) {
        struct lx_siginfo si = { .code = LX_SI_USER };
        si.kill.pid = t->proc->pid;
        lx_signal_send(t->proc, t, LX_SIGPIPE, &si);
        return -LX_EPIPE;
    }
    uint64_t room = PIPE_SIZE - p->len;
    if (!room) {
        if (nonblock)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &p->wq) ? -LX_ENOMEM : LX_BLOCK;
    }
    uint8_t *buf = splice_buf();
    if (!buf)
        return -LX_ENOMEM;
    uint64_t k = n < room ? n : room;
    int64_t r = in->ops->read(t, in, buf, k, off);
    if (r > 0 && r != LX_BLOCK) {
        put(p, buf, (uint64_t)r);
        lx_wake_all(&p->rq);
    }
    return r;
}

/* splice(in, off_in, out, off_out, len, flags): one end must be a pipe,
 * as on Linux; the other may be any file, socket or pipe. The data goes
 * through a buffer of ours (no page moving: SPLICE_F_MOVE is a hint).
 * SPLICE_F_NONBLOCK makes the pipe end not wait; the other end waits as
 * its own O_NONBLOCK says. */
LX_SYS(splice)
{
    struct lx_file *in = lx_fd_io(t->proc, (int)t->a[0]), *out = lx_fd_io(t->proc, (int)t->a[2]);
    uint64_t off_in_addr = t->a[1], off_out_addr = t->a[3], n = t->a[4];
    unsigned flags = (unsigned)t->a[5];
    if (!in || !out || !in->ops->read || !out->ops->write || (in->flags & LX_O_ACCMODE) == LX_O_WRONLY
        || (out->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EBADF;
    if (flags & ~SPLICE_F_ALL)
        return -LX_EINVAL;
    struct pipe *pin = plain_pipe(in, false), *pout = plain_pipe(out, true);
    if (!pin && !pout)
        return -LX_EINVAL;                        /* neither end is a pipe */
    if ((pin && off_in_addr) || (pout && off_out_addr))
        return -LX_ESPIPE;
    if (pin && pin == pout)
        return -LX_EINVAL;                        /* both ends of one pipe */
    if (!n)
        return 0;
    if (n > PIPE_SIZE)
        n = PIPE_SIZE;
    int64_t off = -1;
    uint64_t off_addr = pin ? off_out_addr : off_in_addr;
    if (off_addr) {
        if (lx_copy_in(t->proc->mm, &off, off_addr, sizeof off))
            return -LX_EFAULT;
        if (off < 0)
            return -LX_EINVAL;
    }
    bool nonblock = flags & SPLICE_F_NONBLOCK;
    int64_t r = pin ? splice_from_pipe(t, pin, out, off, n, nonblock)
                    : splice_to_pipe(t, in, pout, off, n, nonblock);
    if (r > 0 && r != LX_BLOCK && off_addr && (off += r, lx_copy_out(t->proc->mm, off_addr, &off, sizeof off)))
        return -LX_EFAULT;
    return r;
}

/* tee(in, out, len, flags): copies up to len bytes of pipe in into pipe
 * out without taking them from in; both plain pipes, not the same one. */
LX_SYS(tee)
{
    struct lx_file *in = lx_fd_io(t->proc, (int)t->a[0]), *out = lx_fd_io(t->proc, (int)t->a[1]);
    uint64_t n = t->a[2];
    unsigned flags = (unsigned)t->a[3];
    if (!in || !out)
        return -LX_EBADF;
    struct pipe *pin = plain_pipe(in, false), *pout = plain_pipe(out, true);
    if (!pin || !pout || pin == pout || (flags & ~SPLICE_F_ALL))
        return -LX_EINVAL;
    bool nonblock = flags & SPLICE_F_NONBLOCK;
    if (!n)
        return 0;
    if (!pin->len) {
        if (!pin->writers)
            return 0;
        if (nonblock)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &pin->rq) ? -LX_ENOMEM : LX_BLOCK;
    }
    if (!pout->readers) {
        struct lx_siginfo si = { .code = LX_SI_USER };
        si.kill.pid = t->proc->pid;
        lx_signal_send(t->proc, t, LX_SIGPIPE, &si);
        return -LX_EPIPE;
    }
    uint64_t room = PIPE_SIZE - pout->len;
    if (!room) {
        if (nonblock)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &pout->wq) ? -LX_ENOMEM : LX_BLOCK;
    }
    uint8_t *buf = splice_buf();
    if (!buf)
        return -LX_ENOMEM;
    uint64_t k = n < pin->len ? n : pin->len;
    k = k < room ? k : room;
    peek(pin, buf, k);
    put(pout, buf, k);
    lx_wake_all(&pout->rq);
    return (int64_t)k;
}
