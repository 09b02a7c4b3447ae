/*
 * net.c — AF_INET sockets over the container's net service session
 * (libaerie/net.h): UDP datagrams through the session's rings, TCP
 * through its socket area, both under the container's own port grants
 * (a port the spec did not grant is EACCES, as the service says).
 *
 * The session is the personality's, one for every Linux process of the
 * container: its RX ring holds datagrams for every bound port, so the
 * loop drains it into the queue of the socket that bound the datagram's
 * port (net_pump). The service signals a notification when something
 * arrives; one helper thread waits on it and pokes the loop with a
 * message on our endpoint badged LX_NET_BADGE (the loop itself waits only
 * on its endpoint). The helper touches nothing but that notification:
 * everything else stays with the one serving thread.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/net.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

#define LX_IPPROTO_IP  0
#define LX_IPPROTO_TCP 6
#define LX_IPPROTO_UDP 17
#define LX_TCP_NODELAY 1
#define LX_SOMAXCONN   128
#define UDP_QUEUE_MAX  256        /* datagrams a socket holds unread; more are dropped, as a full buffer */
#define LOOPBACK       0x7f000001u

struct dgram {
    struct dgram *next;
    uint32_t ip;
    uint16_t port, len;
    uint8_t data[];
};

struct sock {
    int type;                     /* LX_SOCK_DGRAM or LX_SOCK_STREAM */
    uint16_t lport;               /* bound port (0: none) */
    uint32_t lip;                 /* the address bind named (0: any), what getsockname says until connected */
    uint32_t rip;                 /* connected peer (UDP: default destination and filter) */
    uint16_t rport;
    bool connected;
    /* UDP */
    struct dgram *qhead, **qtail;
    unsigned qlen;
    /* TCP */
    bool has_tsock, listening, connecting;
    uint32_t tsock;
    unsigned opts;                /* NET_TCP_O_* asked for before the socket existed */
    int error;                    /* SO_ERROR */
    uint64_t rcvtimeo, sndtimeo;  /* ns, 0: none */
    unsigned long ino;
    struct lx_waitq wq;
    struct sock *next;
};

static struct sock *socks;
static struct lx_waitq tx_waiters;      /* UDP senders waiting for ring room */
static unsigned long next_ino = 0x200000;
static uint64_t poke_cap;
static bool helper_started, net_dead;
static uint32_t our_ip;

/* ---- the session and its helper ---- */

static void *helper(void *arg)
{
    (void)arg;
    for (;;) {
        int r = ae_net_wait(AERIE_TIMEOUT_FOREVER);
        ae_send(poke_cap, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER);
        if (r == AE_EDEAD)
            return NULL;                           /* the service restarted: our rings are gone */
    }
}

/* Opens the session (once) and starts the helper: 0 or -errno. */
static int net_open(void)
{
    int r = ae_net_open();
    if (r)
        return r == AE_EPERM ? -LX_EACCES : lx_errno(r);
    if (!our_ip) {
        uint64_t info[4];
        if (!ae_net_info(info))
            our_ip = (uint32_t)info[0];
    }
    if (helper_started)
        return 0;
    r = lx_waiter_start(LX_NET_BADGE, &poke_cap, helper);
    if (r == -LX_ENOMEM)
        return r;
    if (r) {
        lx_log("linux: no thread to wait for the net service: sockets are polled\n");
        return 0;                                  /* the loop's polling (lx_net_check) still works */
    }
    helper_started = true;
    return 0;
}

static struct sock *sock_by_port(uint16_t port, int type)
{
    for (struct sock *s = socks; s; s = s->next)
        if (s->lport == port && s->type == type)
            return s;
    return NULL;
}

static void wake_tcp(void)
{
    for (struct sock *s = socks; s; s = s->next)
        if (s->type == LX_SOCK_STREAM)
            lx_wake_all(&s->wq);                   /* TCP state lives in the area: look again */
}

/* Drains the RX ring into the sockets' queues and asks to be woken when
 * more comes (and when the TX ring gets room, if a sender waits). News
 * found while arming wakes whoever it may concern. */
static void net_pump(void)
{
    for (int round = 0; round < 4; round++) {
        struct ae_net_dgram d;
        while (!ae_net_peek(&d)) {
            struct sock *s = sock_by_port(d.local_port, LX_SOCK_DGRAM);
            if (s && s->qlen < UDP_QUEUE_MAX &&
                (!s->connected || (d.remote_ip == s->rip && d.remote_port == s->rport))) {
                struct dgram *g = malloc(sizeof *g + d.len);
                if (g) {
                    *g = (struct dgram){ .ip = d.remote_ip, .port = d.remote_port, .len = d.len };
                    memcpy(g->data, d.data, d.len);
                    *s->qtail = g;
                    s->qtail = &g->next;
                    s->qlen++;
                    lx_wake_all(&s->wq);
                }
            }
            ae_net_consume();
        }
        if (ae_net_arm(true, tx_waiters.head != NULL))
            return;                                /* nothing more: the service signals us next time */
        lx_wake_all(&tx_waiters);
        wake_tcp();
    }
}

bool lx_net_waiting(void)
{
    if (tx_waiters.head)
        return true;
    for (struct sock *s = socks; s; s = s->next)
        if (s->wq.head)
            return true;
    return false;
}

/* The loop's own look while threads wait on sockets: the RX ring, and a
 * TX ring the service has not drained for a while gets a fresh kick. */
void lx_net_check(void)
{
    static uint64_t tx_since;
    static unsigned empty_room;                    /* the ring's size: the most room ever seen */
    static bool logged;
    net_pump();
    if (!helper_started)
        return;
    uint64_t now = lx_now_ns();
    unsigned room = ae_net_tx_room();
    if (room >= empty_room) {
        empty_room = room;
        tx_since = 0;
        return;
    }
    if (!tx_since) {
        tx_since = now;
    } else if (now - tx_since > 500000000ull) {
        uint64_t st[4] = { 0 };
        ae_net_client_stats(st);
        if (!logged)
            lx_log("linux: the net service left %u datagrams in our TX ring for 0.5 s (sent %lu, refused %lu): "
                   "kicking it\n", empty_room - room, st[2], st[3]);
        logged = true;
        ae_net_kick();
        tx_since = now;
    }
}

void lx_net_poke(void)
{
    net_pump();
    lx_wake_all(&tx_waiters);
    wake_tcp();
}

/* ---- helpers ---- */

static int64_t wait_on(struct lx_thread *t, struct lx_waitq *q, uint64_t timeout)
{
    if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t)) {
        lx_unwait(t);
        return -LX_ERESTARTSYS;
    }
    if (timeout) {
        if (!t->progress)
            t->progress = lx_after(lx_now_ns(), timeout);   /* the call's deadline, kept across its runs */
        if (lx_now_ns() >= t->progress) {
            lx_unwait(t);
            return -LX_EAGAIN;
        }
        lx_wait_until(t, t->progress);
    }
    if (lx_wait_on(t, q))
        return -LX_ENOMEM;
    net_pump();                                    /* arms; what came meanwhile wakes t at once */
    return LX_BLOCK;
}

static int64_t get_addr(struct lx_thread *t, uint64_t addr, uint64_t len, uint32_t *ip, uint16_t *port)
{
    struct lx_sockaddr_in sa;
    if (len < 8 || len > 128)
        return -LX_EINVAL;
    memset(&sa, 0, sizeof sa);
    if (lx_copy_in(t->proc->mm, &sa, addr, len < sizeof sa ? len : sizeof sa))
        return -LX_EFAULT;
    if (sa.family != LX_AF_INET)
        return -LX_EAFNOSUPPORT;
    *ip = __builtin_bswap32(sa.addr);
    *port = __builtin_bswap16(sa.port);
    return 0;
}

/* Writes an address for the program (addr, *lenp) as Linux does: truncated to its room. */
static int64_t put_addr(struct lx_thread *t, uint64_t addr, uint64_t lenp, uint32_t ip, uint16_t port)
{
    if (!addr)
        return 0;
    uint32_t len;
    if (lx_copy_in(t->proc->mm, &len, lenp, sizeof len))
        return -LX_EFAULT;
    if ((int32_t)len < 0)
        return -LX_EINVAL;
    struct lx_sockaddr_in sa = { .family = LX_AF_INET, .port = __builtin_bswap16(port),
                                 .addr = __builtin_bswap32(ip) };
    if (lx_copy_out(t->proc->mm, addr, &sa, len < sizeof sa ? len : sizeof sa))
        return -LX_EFAULT;
    len = sizeof sa;
    return lx_copy_out(t->proc->mm, lenp, &len, sizeof len) ? -LX_EFAULT : 0;
}

static int64_t udp_bind(struct sock *s, uint16_t port)
{
    int r = net_open();
    if (r)
        return r;
    uint16_t got = 0;
    int e = ae_net_bind(port, &got);
    if (e)
        return e == AE_EPERM ? -LX_EACCES : lx_errno(e);
    s->lport = got;
    net_pump();                                    /* arms the RX wakeup */
    return 0;
}

static int64_t tcp_bind(struct sock *s, uint16_t port)
{
    int r = net_open();
    if (r)
        return r;
    uint16_t got = 0;
    int e = ae_tcp_bind(port, s->opts, &s->tsock, &got);
    if (e)
        return e == AE_EPERM ? -LX_EACCES : lx_errno(e);
    s->has_tsock = true;
    s->lport = got;
    return 0;
}

/* ---- the file ops ---- */

static int64_t sock_recv(struct lx_thread *t, struct sock *s, unsigned fl, void *buf, uint64_t n, uint32_t *ip,
                         uint16_t *port, int32_t *mflags);
static int64_t sock_send(struct lx_thread *t, struct sock *s, unsigned fl, const void *buf, uint64_t n,
                         bool to, uint32_t ip, uint16_t port);

static int64_t f_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    if (off >= 0)
        return -LX_ESPIPE;
    uint32_t ip;
    uint16_t port;
    return sock_recv(t, f->obj, f->flags & LX_O_NONBLOCK ? LX_MSG_DONTWAIT : 0, buf, n, &ip, &port, NULL);
}

static int64_t f_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    if (off >= 0)
        return -LX_ESPIPE;
    return sock_send(t, f->obj, f->flags & LX_O_NONBLOCK ? LX_MSG_DONTWAIT : 0, buf, n, false, 0, 0);
}

static int f_stat(struct lx_file *f, struct lx_stat *st)
{
    struct sock *s = f->obj;
    st->mode = LX_S_IFSOCK | 0777;
    st->ino = s->ino;
    st->dev = 0x8;
    st->blksize = 4096;
    return 0;
}

static unsigned tcp_events(struct sock *s)
{
    struct ae_tcp_info i;
    if (!s->has_tsock)
        return LX_POLLOUT | LX_POLLHUP;
    if (ae_tcp_info(s->tsock, &i))
        return LX_POLLERR | LX_POLLHUP;
    unsigned ev = 0;
    if (s->listening)
        return i.rx_ready ? LX_POLLIN | LX_POLLRDNORM : 0;
    if (i.state == NETTCP_CONNECTING)
        return 0;
    if (i.rx_ready || i.rx_fin || i.state == NETTCP_DONE)
        ev |= LX_POLLIN | LX_POLLRDNORM;
    if (i.tx_room && !i.tx_done)
        ev |= LX_POLLOUT | LX_POLLWRNORM;
    if (i.state == NETTCP_DONE) {
        ev |= LX_POLLHUP;
        if (i.error)
            ev |= LX_POLLERR;
    }
    return ev;
}

static unsigned f_poll(struct lx_file *f, struct lx_thread *t)
{
    struct sock *s = f->obj;
    unsigned ev = 0;
    if (s->type == LX_SOCK_DGRAM) {
        net_pump();
        if (s->qhead)
            ev |= LX_POLLIN | LX_POLLRDNORM;
        if (s->error)                            /* one recvmmsg left for the next call */
            ev |= LX_POLLERR;
        if (!net_dead && (ae_net_tx_room() || !s->lport))
            ev |= LX_POLLOUT | LX_POLLWRNORM;
        if (t) {
            lx_wait_on(t, &s->wq);
            if (!(ev & LX_POLLOUT))
                lx_wait_on(t, &tx_waiters);
        }
    } else {
        ev = tcp_events(s);
        if (t)
            lx_wait_on(t, &s->wq);
    }
    if (t)
        net_pump();                                /* arms the wakeups */
    return ev;
}

static int64_t f_ioctl(struct lx_thread *t, struct lx_file *f, uint64_t req, uint64_t arg)
{
    struct sock *s = f->obj;
    if (req != LX_FIONREAD)
        return -LX_ENOTTY;
    int32_t n = 0;
    if (s->type == LX_SOCK_DGRAM) {
        net_pump();
        n = s->qhead ? s->qhead->len : 0;
    } else if (s->has_tsock) {
        struct ae_tcp_info i;
        if (!ae_tcp_info(s->tsock, &i) && !s->listening)
            n = (int32_t)i.rx_ready;
    }
    return lx_copy_out(t->proc->mm, arg, &n, sizeof n);
}

static void f_release(struct lx_file *f)
{
    struct sock *s = f->obj;
    struct sock **pp = &socks;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    if (s->type == LX_SOCK_DGRAM && s->lport)
        ae_net_unbind(s->lport);
    if (s->has_tsock)
        ae_tcp_close(s->tsock);
    while (s->qhead) {
        struct dgram *g = s->qhead;
        s->qhead = g->next;
        free(g);
    }
    lx_wake_all(&s->wq);
    free(s);
}

static const struct lx_file_ops sock_ops = {
    .kind = "socket", .read = f_read, .write = f_write, .stat = f_stat, .poll = f_poll,
    .ioctl = f_ioctl, .release = f_release, .fasync = true,
};

/* Whether a stream can carry data. Linux lets data flow, and getpeername
 * answer, once the handshake is done, whether or not connect has been
 * called again to see it: Go's runtime waits for POLLOUT, asks SO_ERROR
 * and getpeername, and never calls connect twice. connecting stays set
 * so that the next connect still answers 0 once, as Linux's does. */
static bool stream_connected(struct sock *s)
{
    struct ae_tcp_info i;
    if (s->connecting && !s->connected && !ae_tcp_info(s->tsock, &i) && i.state != NETTCP_CONNECTING
        && !(i.state == NETTCP_DONE && i.error))
        s->connected = true;
    return s->connected;
}

static struct sock *sock_of(struct lx_thread *t, int fd, struct lx_file **fp)
{
    struct lx_file *f = lx_fd_get(t->proc, fd);
    if (fp)
        *fp = f;
    return f && f->ops == &sock_ops ? f->obj : NULL;
}

static int64_t new_sock_fd(struct lx_thread *t, int type, unsigned flags, struct sock **out)
{
    struct sock *s = calloc(1, sizeof *s);
    if (!s)
        return -LX_ENOMEM;
    s->type = type;
    s->qtail = &s->qhead;
    s->ino = next_ino++;
    struct lx_file *f = lx_file_new(&sock_ops, LX_O_RDWR | (flags & LX_SOCK_NONBLOCK ? LX_O_NONBLOCK : 0), s);
    if (!f) {
        free(s);
        return -LX_ENOMEM;
    }
    snprintf(f->path, sizeof f->path, "socket:[%lu]", s->ino);
    s->next = socks;
    socks = s;
    if (out)
        *out = s;
    return lx_fd_install(t->proc, f, 0, flags & LX_SOCK_CLOEXEC);
}

/* ---- receiving and sending ---- */

static int64_t sock_recv(struct lx_thread *t, struct sock *s, unsigned fl, void *buf, uint64_t n, uint32_t *ip,
                         uint16_t *port, int32_t *mflags)
{
    bool nonblock = fl & LX_MSG_DONTWAIT;
    if (s->type == LX_SOCK_DGRAM) {
        if (s->error) {                          /* what a recvmmsg met after its first (as Linux's sk_err) */
            int e = s->error;
            s->error = 0;
            lx_unwait(t);
            return -e;
        }
        net_pump();
        struct dgram *g = s->qhead;
        if (!g) {
            if (nonblock)
                return -LX_EAGAIN;
            return wait_on(t, &s->wq, s->rcvtimeo);
        }
        lx_unwait(t);
        uint64_t k = n < g->len ? n : g->len;
        memcpy(buf, g->data, k);
        *ip = g->ip;
        *port = g->port;
        if (mflags && k < g->len)
            *mflags |= LX_MSG_TRUNC;
        int64_t r = (fl & LX_MSG_TRUNC) ? g->len : (int64_t)k;
        if (!(fl & LX_MSG_PEEK)) {
            s->qhead = g->next;
            if (!s->qhead)
                s->qtail = &s->qhead;
            s->qlen--;
            free(g);
        }
        return r;
    }
    if (!s->has_tsock || s->listening || (s->connecting && !stream_connected(s)))
        return s->connecting && !nonblock ? wait_on(t, &s->wq, 0) : -LX_ENOTCONN;
    long r = ae_tcp_recv(s->tsock, buf, n, fl & LX_MSG_PEEK);
    if (r == AE_EAGAIN) {
        if (nonblock)
            return -LX_EAGAIN;
        return wait_on(t, &s->wq, s->rcvtimeo);
    }
    lx_unwait(t);
    *ip = s->rip;
    *port = s->rport;
    if (r < 0)
        return r == AE_ECONNRESET ? -LX_ECONNRESET : r == AE_ETIMEOUT ? -LX_ETIMEDOUT : lx_errno((int)r);
    return r;
}

static int64_t sock_send(struct lx_thread *t, struct sock *s, unsigned fl, const void *buf, uint64_t n,
                         bool to, uint32_t ip, uint16_t port)
{
    bool nonblock = fl & LX_MSG_DONTWAIT;
    if (s->type == LX_SOCK_DGRAM) {
        if (!to) {
            if (!s->connected)
                return -LX_EDESTADDRREQ;
            ip = s->rip;
            port = s->rport;
        }
        if (!port)
            return -LX_EINVAL;
        if (n > NETRING_DGRAM_MAX)
            return -LX_EMSGSIZE;
        if (!s->lport) {
            int64_t r = udp_bind(s, 0);
            if (r)
                return r;
        }
        int e = ae_net_send(s->lport, ip ? ip : LOOPBACK, port, buf, n);
        if (e == AE_EAGAIN && !nonblock)
            return wait_on(t, &tx_waiters, s->sndtimeo);
        lx_unwait(t);
        if (e == AE_EDEAD)
            net_dead = true;
        return e ? (e == AE_EPERM ? -LX_EACCES : lx_errno(e)) : (int64_t)n;
    }
    if (!s->has_tsock || s->listening)
        return -LX_ENOTCONN;
    uint64_t done = t->progress;
    while (done < n) {
        long r = ae_tcp_send(s->tsock, (const uint8_t *)buf + done, n - done);
        if (r == AE_EAGAIN) {
            if (nonblock || t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t)) {
                t->progress = 0;
                lx_unwait(t);
                return done ? (int64_t)done : nonblock ? -LX_EAGAIN : -LX_ERESTARTSYS;
            }
            t->progress = done;
            return wait_on(t, &s->wq, 0);
        }
        if (r < 0) {
            t->progress = 0;
            lx_unwait(t);
            if (done)
                return (int64_t)done;
            if (r == AE_EDEAD || r == AE_ECONNRESET) {
                if (!(fl & LX_MSG_NOSIGNAL)) {
                    struct lx_siginfo si = { .code = LX_SI_USER };
                    si.kill.pid = t->proc->pid;
                    lx_signal_send(t->proc, t, LX_SIGPIPE, &si);
                }
                return -LX_EPIPE;
            }
            return lx_errno((int)r);
        }
        done += (uint64_t)r;
    }
    t->progress = 0;
    lx_unwait(t);
    return (int64_t)done;
}

/* ---- the system calls ---- */

#define FD_ARG(i) ((int)(int32_t)t->a[i])

LX_SYS(socket)
{
    unsigned type = (unsigned)t->a[1], kind = type & 0xf;
    if (t->a[0] == LX_AF_UNIX)
        return lx_unix_socket(t, type);            /* inside the container: unix.c */
    if (t->a[0] != LX_AF_INET)
        return -LX_EAFNOSUPPORT;
    if (type & ~(0xfu | LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -LX_EINVAL;
    if (kind == LX_SOCK_DGRAM) {
        if (t->a[2] && t->a[2] != LX_IPPROTO_UDP)
            return -LX_EPROTONOSUPPORT;
        if (ae_net_available())
            return -LX_EACCES;                     /* no net grant */
    } else if (kind == LX_SOCK_STREAM) {
        if (t->a[2] && t->a[2] != LX_IPPROTO_TCP)
            return -LX_EPROTONOSUPPORT;
        if (ae_net_available() || ae_tcp_available())
            return -LX_EACCES;                     /* no TCP ports in the grant */
    } else {
        return -LX_EINVAL;
    }
    return new_sock_fd(t, (int)kind, type, NULL);
}

static bool local_addr_ok(uint32_t ip)
{
    return ip == 0 || (ip >> 24) == 127 || (our_ip && ip == our_ip);
}

/* The answer for an fd that is not an AF_INET socket when the call is not
 * AF_UNIX's either. */
static int64_t not_inet(struct lx_file *f)
{
    return f ? -LX_ENOTSOCK : -LX_EBADF;
}

LX_SYS(bind)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) ? lx_unix_bind(t, f) : lx_pipe_is_socket(f) ? -LX_EINVAL : not_inet(f);
    uint32_t ip;
    uint16_t port;
    int64_t r = get_addr(t, t->a[1], t->a[2], &ip, &port);
    if (r)
        return r;
    if (s->lport)
        return -LX_EINVAL;
    if (!our_ip && ip && (ip >> 24) != 127 && (r = net_open()))
        return r;
    if (!local_addr_ok(ip))
        return -LX_EADDRNOTAVAIL;
    r = s->type == LX_SOCK_DGRAM ? udp_bind(s, port) : tcp_bind(s, port);
    if (!r)
        s->lip = ip;
    return r;
}

LX_SYS(listen)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) ? lx_unix_listen(t, f) : lx_pipe_is_socket(f) ? -LX_EINVAL : not_inet(f);
    if (s->type != LX_SOCK_STREAM)
        return -LX_EOPNOTSUPP;
    if (s->connected || s->connecting)
        return -LX_EINVAL;
    if (s->listening)
        return 0;
    if (!s->has_tsock) {
        int64_t r = tcp_bind(s, 0);
        if (r)
            return r;
    }
    int backlog = (int)t->a[1];
    if (backlog <= 0 || backlog > LX_SOMAXCONN)
        backlog = backlog <= 0 ? 1 : LX_SOMAXCONN;
    int e = ae_tcp_listen(s->tsock, (unsigned)backlog, 0, 0, s->opts);
    if (e)
        return lx_errno(e);
    s->listening = true;
    return 0;
}

static int64_t do_accept(struct lx_thread *t, unsigned flags)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) ? lx_unix_accept(t, f, flags) : lx_pipe_is_socket(f) ? -LX_EINVAL : not_inet(f);
    if (flags & ~(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -LX_EINVAL;
    if (s->type != LX_SOCK_STREAM)
        return -LX_EOPNOTSUPP;
    if (!s->listening)
        return -LX_EINVAL;
    uint32_t ns;
    int e = ae_tcp_accept(s->tsock, &ns);
    if (e == AE_EAGAIN)
        return (f->flags & LX_O_NONBLOCK) ? -LX_EAGAIN : wait_on(t, &s->wq, s->rcvtimeo);
    lx_unwait(t);
    if (e)
        return lx_errno(e);
    struct sock *c;
    int64_t fd = new_sock_fd(t, LX_SOCK_STREAM, flags, &c);
    if (fd < 0) {
        ae_tcp_close(ns);
        return fd;
    }
    struct ae_tcp_info i;
    c->has_tsock = true;
    c->tsock = ns;
    c->connected = true;
    if (!ae_tcp_info(ns, &i)) {
        c->lport = i.local_port;
        c->rip = i.remote_ip;
        c->rport = i.remote_port;
    }
    int64_t r = put_addr(t, t->a[1], t->a[2], c->rip, c->rport);
    if (r) {
        lx_fd_close(t->proc, (int)fd);
        return r;
    }
    return fd;
}

LX_SYS(accept) { return do_accept(t, 0); }
LX_SYS(accept4) { return do_accept(t, (unsigned)t->a[3]); }

LX_SYS(connect)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) ? lx_unix_connect(t, f) : lx_pipe_is_socket(f) ? -LX_EISCONN : not_inet(f);
    if (s->type == LX_SOCK_STREAM && s->connecting) {
        /* run again: the connection is under way */
        struct ae_tcp_info i;
        if (ae_tcp_info(s->tsock, &i))
            return -LX_EBADF;
        if (i.state == NETTCP_CONNECTING) {
            if (f->flags & LX_O_NONBLOCK)
                return -LX_EALREADY;
            return wait_on(t, &s->wq, 0);
        }
        lx_unwait(t);
        s->connecting = false;
        if (i.state == NETTCP_DONE && i.error) {
            s->error = 0;
            return i.error == AE_ECONNREFUSED ? -LX_ECONNREFUSED : i.error == AE_ETIMEOUT ? -LX_ETIMEDOUT
                 : lx_errno(i.error);
        }
        s->connected = true;
        return 0;
    }
    uint16_t family;
    if (t->a[2] >= 2 && !lx_copy_in(t->proc->mm, &family, t->a[1], 2) && family == 0 /* AF_UNSPEC */) {
        s->connected = false;                      /* dissolves a UDP association */
        return 0;
    }
    uint32_t ip;
    uint16_t port;
    int64_t r = get_addr(t, t->a[1], t->a[2], &ip, &port);
    if (r)
        return r;
    if (!ip)
        ip = LOOPBACK;
    if (s->type == LX_SOCK_DGRAM) {
        if (!port)
            return -LX_EINVAL;
        if (!s->lport && (r = udp_bind(s, 0)))
            return r;
        s->rip = ip;
        s->rport = port;
        s->connected = true;
        return 0;
    }
    if (s->connected)
        return -LX_EISCONN;
    if (s->listening)
        return -LX_EINVAL;
    if ((r = net_open()))
        return r;
    uint32_t ns;
    uint16_t lport;
    int e = ae_tcp_connect(s->has_tsock ? s->tsock : AE_TCP_NEW, ip, port, 0, 0, s->opts, &ns, &lport);
    if (e)
        return e == AE_EPERM ? -LX_EACCES : lx_errno(e);
    s->has_tsock = true;
    s->tsock = ns;
    s->lport = lport;
    s->rip = ip;
    s->rport = port;
    s->connecting = true;
    if (f->flags & LX_O_NONBLOCK)
        return -LX_EINPROGRESS;
    return lx_sys_connect(t);                      /* looks at the state, waits if need be */
}

/* A send on a connected AF_UNIX stream end (a pipe each way): with
 * MSG_NOSIGNAL a closed peer is EPIPE without the SIGPIPE the pipe would
 * raise (held off by the mask for the call, then dropped). */
/* A read or write of a stream end as this one call's MSG_DONTWAIT says:
 * the file's own O_NONBLOCK for the call (calls run one at a time). */
static int64_t pair_io(struct lx_thread *t, struct lx_file *f, void *b, uint64_t len, unsigned fl, bool write)
{
    unsigned had = f->flags;
    if (fl & LX_MSG_DONTWAIT)
        f->flags |= LX_O_NONBLOCK;
    int64_t r = write ? f->ops->write(t, f, b, len, -1) : f->ops->read(t, f, b, len, -1);
    f->flags = had;
    return r;
}

static int64_t pair_send(struct lx_thread *t, struct lx_file *f, const void *b, uint64_t len, unsigned fl)
{
    if (!(fl & LX_MSG_NOSIGNAL))
        return pair_io(t, f, (void *)b, len, fl, true);
    uint64_t bit = 1ull << (LX_SIGPIPE - 1), mask = t->sigmask, had = t->sig_pending & bit;
    t->sigmask |= bit;
    int64_t r = pair_io(t, f, (void *)b, len, fl, true);
    t->sigmask = mask;
    if (!had)
        t->sig_pending &= ~bit;
    return r;
}

static int64_t sendto_common(struct lx_thread *t, int fd, uint64_t buf, uint64_t len, unsigned fl, uint64_t addr,
                             uint64_t alen)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, fd, &f);
    if (!s) {
        if (lx_unix_file(f) || lx_pipe_is_socket(f)) {   /* AF_UNIX, or a connected AF_UNIX end */
            const void *b = lx_user(t->proc->mm, buf, len, LX_PROT_READ);
            if (!b && len)
                return -LX_EFAULT;
            return lx_unix_file(f) ? lx_unix_sendto(t, f, b, len, fl, addr, alen) : pair_send(t, f, b, len, fl);
        }
        return not_inet(f);
    }
    if ((int64_t)len < 0)
        return -LX_EINVAL;
    const void *b = lx_user(t->proc->mm, buf, len, LX_PROT_READ);
    if (!b && len)
        return -LX_EFAULT;
    if (f->flags & LX_O_NONBLOCK)
        fl |= LX_MSG_DONTWAIT;
    uint32_t ip = 0;
    uint16_t port = 0;
    bool to = addr && s->type == LX_SOCK_DGRAM;
    if (to) {
        int64_t r = get_addr(t, addr, alen, &ip, &port);
        if (r)
            return r;
    }
    return sock_send(t, s, fl, b, len, to, ip, port);
}

LX_SYS(sendto)
{
    return sendto_common(t, FD_ARG(0), t->a[1], t->a[2], (unsigned)t->a[3], t->a[4], t->a[5]);
}

static int64_t recvfrom_common(struct lx_thread *t, int fd, uint64_t buf, uint64_t len, unsigned fl,
                               uint64_t addr, uint64_t alenp, int32_t *mflags)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, fd, &f);
    if (!s) {
        if (lx_unix_file(f) || lx_pipe_is_socket(f)) {
            void *b = lx_user(t->proc->mm, buf, len, LX_PROT_WRITE);
            if (!b && len)
                return -LX_EFAULT;
            return lx_unix_file(f) ? lx_unix_recvfrom(t, f, b, len, fl, addr, alenp, mflags)
                                   : pair_io(t, f, b, len, fl, false);
        }
        return not_inet(f);
    }
    if ((int64_t)len < 0)
        return -LX_EINVAL;
    void *b = lx_user(t->proc->mm, buf, len, LX_PROT_WRITE);
    if (!b && len)
        return -LX_EFAULT;
    if (f->flags & LX_O_NONBLOCK)
        fl |= LX_MSG_DONTWAIT;
    uint32_t ip = 0;
    uint16_t port = 0;
    int64_t r = sock_recv(t, s, fl, b, len, &ip, &port, mflags);
    if (r < 0 || r == LX_BLOCK)
        return r;
    int64_t e = s->type == LX_SOCK_DGRAM ? put_addr(t, addr, alenp, ip, port) : 0;
    return e ? e : r;
}

LX_SYS(recvfrom)
{
    return recvfrom_common(t, FD_ARG(0), t->a[1], t->a[2], (unsigned)t->a[3], t->a[4], t->a[5], NULL);
}

/* sendmsg/recvmsg: one buffer only in the personality's copy: the iovecs are
 * gathered into (or scattered from) a bounce buffer of one datagram's size. */
#define MSG_BOUNCE 65536

static int64_t msg_iov(struct lx_thread *t, const struct lx_msghdr *m, struct lx_iovec *iov, uint64_t *total)
{
    if (m->iovlen > 64)
        return -LX_EMSGSIZE;
    if (m->iovlen && lx_copy_in(t->proc->mm, iov, m->iov, m->iovlen * sizeof *iov))
        return -LX_EFAULT;
    *total = 0;
    for (uint64_t i = 0; i < m->iovlen; i++)
        *total += iov[i].len;
    return 0;
}

static int64_t sendmsg_data(struct lx_thread *t, const struct lx_msghdr *m);

/* An AF_UNIX socket's control (SCM_RIGHTS, SCM_CREDENTIALS: scm.c) goes
 * with the data: whoever queues the data takes the record; what nobody
 * took (an error, a wait, no bytes on a stream) is dropped. A stream
 * send run again after part of it went in parses nothing: its fds went
 * with the first part. Other sockets' control is ignored. */
LX_SYS(sendmsg)
{
    struct lx_msghdr m;
    if (lx_copy_in(t->proc->mm, &m, t->a[1], sizeof m))
        return -LX_EFAULT;
    struct lx_file *f = lx_fd_get(t->proc, FD_ARG(0));
    if (m.controllen && (lx_unix_file(f) || (lx_pipe_is_socket(f) && !t->progress))) {
        int64_t r = lx_scm_parse(t, &m, &lx_scm_send);
        if (r)
            return r;
    }
    int64_t r = sendmsg_data(t, &m);
    lx_scm_free(lx_scm_send);
    lx_scm_send = NULL;
    return r;
}

static int64_t sendmsg_data(struct lx_thread *t, const struct lx_msghdr *mp)
{
    struct lx_msghdr m = *mp;
    struct lx_iovec iov[64];
    uint64_t total;
    int64_t r = msg_iov(t, &m, iov, &total);
    if (r)
        return r;
    if (m.iovlen == 1)
        return sendto_common(t, FD_ARG(0), iov[0].base, iov[0].len, (unsigned)t->a[2], m.name, m.namelen);
    if (total > MSG_BOUNCE)
        return -LX_EMSGSIZE;
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    bool other = !s && (lx_unix_file(f) || lx_pipe_is_socket(f));
    if (!s && !other)
        return not_inet(f);
    uint8_t *b = malloc(total ? total : 1);
    if (!b)
        return -LX_ENOMEM;
    uint64_t at = 0;
    for (uint64_t i = 0; i < m.iovlen; i++) {
        if (lx_copy_in(t->proc->mm, b + at, iov[i].base, iov[i].len)) {
            free(b);
            return -LX_EFAULT;
        }
        at += iov[i].len;
    }
    unsigned fl = (unsigned)t->a[2] | (f->flags & LX_O_NONBLOCK ? LX_MSG_DONTWAIT : 0);
    if (other) {
        r = lx_unix_file(f) ? lx_unix_sendto(t, f, b, total, fl, m.name, m.namelen) : pair_send(t, f, b, total, fl);
        free(b);
        return r;
    }
    uint32_t ip = 0;
    uint16_t port = 0;
    bool to = m.name && s->type == LX_SOCK_DGRAM;
    if (to && (r = get_addr(t, m.name, m.namelen, &ip, &port))) {
        free(b);
        return r;
    }
    r = sock_send(t, s, fl, b, total, to, ip, port);
    free(b);
    return r;
}

static int64_t recvmsg_data(struct lx_thread *t, struct lx_msghdr *m, int32_t *mflags);

/* The fds a message carried (a record read with its data through
 * lx_scm_slot) are installed and their cmsg written (scm.c). */
LX_SYS(recvmsg)
{
    struct lx_msghdr m;
    if (lx_copy_in(t->proc->mm, &m, t->a[1], sizeof m))
        return -LX_EFAULT;
    struct lx_scm *got = NULL;
    int32_t mflags = 0;
    lx_scm_slot = &got;
    int64_t r = recvmsg_data(t, &m, &mflags);
    lx_scm_slot = NULL;
    if (r < 0 || r == LX_BLOCK) {
        lx_scm_free(got);
        return r;
    }
    uint64_t hdr = t->a[1];
    uint64_t used = 0;
    int64_t e = lx_scm_deliver(t, &m, got, (unsigned)t->a[2], &used, &mflags);
    if (e)
        return e;
    m.controllen = used;
    m.flags = mflags;
    if (lx_copy_out(t->proc->mm, hdr + offsetof(struct lx_msghdr, controllen), &m.controllen, 8) ||
        lx_copy_out(t->proc->mm, hdr + offsetof(struct lx_msghdr, flags), &m.flags, 4))
        return -LX_EFAULT;
    return r;
}

static int64_t recvmsg_data(struct lx_thread *t, struct lx_msghdr *mp, int32_t *mflagsp)
{
    struct lx_msghdr m = *mp;
    struct lx_iovec iov[64];
    uint64_t total;
    int64_t r = msg_iov(t, &m, iov, &total);
    if (r)
        return r;
    int32_t mflags = 0;
    uint64_t hdr = t->a[1];
    if (m.iovlen <= 1) {
        r = recvfrom_common(t, FD_ARG(0), m.iovlen ? iov[0].base : 0, m.iovlen ? iov[0].len : 0,
                            (unsigned)t->a[2], m.name, m.name ? hdr + 8 : 0, &mflags);
    } else {
        struct lx_file *f;
        struct sock *s = sock_of(t, FD_ARG(0), &f);
        bool other = !s && (lx_unix_file(f) || lx_pipe_is_socket(f));
        if (!s && !other)
            return not_inet(f);
        if (total > MSG_BOUNCE)
            total = MSG_BOUNCE;
        uint8_t *b = malloc(total ? total : 1);
        if (!b)
            return -LX_ENOMEM;
        unsigned fl = (unsigned)t->a[2] | (f->flags & LX_O_NONBLOCK ? LX_MSG_DONTWAIT : 0);
        uint32_t ip = 0;
        uint16_t port = 0;
        if (!other)
            r = sock_recv(t, s, fl, b, total, &ip, &port, &mflags);
        else if (lx_unix_file(f))
            r = lx_unix_recvfrom(t, f, b, total, fl, m.name, m.name ? hdr + 8 : 0, &mflags);
        else
            r = pair_io(t, f, b, total, fl, false);
        if (r >= 0 && r != LX_BLOCK) {
            uint64_t left = (uint64_t)r < total ? (uint64_t)r : total, at = 0;
            for (uint64_t i = 0; i < m.iovlen && left; i++) {
                uint64_t k = iov[i].len < left ? iov[i].len : left;
                if (lx_copy_out(t->proc->mm, iov[i].base, b + at, k)) {
                    r = -LX_EFAULT;
                    break;
                }
                at += k;
                left -= k;
            }
            if (r >= 0 && s && s->type == LX_SOCK_DGRAM && m.name) {
                int64_t e = put_addr(t, m.name, hdr + 8, ip, port);
                if (e)
                    r = e;
            }
        }
        free(b);
    }
    *mflagsp = mflags;
    return r;
}

/* sendmmsg/recvmmsg: sendmsg/recvmsg once per mmsghdr (a msghdr and the
 * length the call wrote back), as glibc's resolver sends its A and AAAA
 * queries. */
#define MMSG_SIZE (sizeof(struct lx_msghdr) + 8)     /* struct mmsghdr: the header, msg_len, padding */
#define MMSG_MAX 1024                                /* UIO_MAXIOV: Linux's bound on vlen */
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_COMPAT 0x80000000u                  /* the kernel's own: EINVAL from a program */

/* Whether fd is a stream socket: TCP, or a connected AF_UNIX stream end. */
static bool stream_fd(struct lx_thread *t, int fd)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, fd, &f);
    return s ? s->type == LX_SOCK_STREAM : f && lx_pipe_is_socket(f);
}

/* A message that would block after the first ends the call with the
 * count so far: a restart would send the ones before it again. */
LX_SYS(sendmmsg)
{
    uint64_t vec = t->a[1], vlen = t->a[2] > MMSG_MAX ? MMSG_MAX : t->a[2], flags = t->a[3];
    int64_t done = 0, r = 0;
    for (; (uint64_t)done < vlen; done++) {
        t->a[1] = vec + (uint64_t)done * MMSG_SIZE;
        t->a[2] = flags;
        r = lx_sys_sendmsg(t);
        bool last = false;
        if (r == LX_BLOCK && done) {
            /* counting the part of this one that went in (kept in
             * t->progress), as sendfile does — uncounted, a program
             * sending it again sent it twice (SECURITY 77h) */
            r = stream_fd(t, FD_ARG(0)) ? (int64_t)t->progress : 0;
            t->progress = 0;                         /* (a datagram's wait keeps its deadline there) */
            if (!r)
                break;
            last = true;
        } else if (r < 0 || r == LX_BLOCK) {
            break;
        }
        uint32_t len = (uint32_t)r;
        if (lx_copy_out(t->proc->mm, t->a[1] + sizeof(struct lx_msghdr), &len, 4)) {
            r = -LX_EFAULT;
            break;
        }
        if (last) {
            done++;
            break;
        }
    }
    t->a[1] = vec;                                   /* a restart (LX_BLOCK) sees the call as made */
    t->a[2] = vlen;
    t->a[3] = flags;
    if (done)
        lx_unwait(t);                                /* ended, not waiting: no waits left behind */
    return done ? done : r;
}

/* recvmmsg as Linux's do_recvmmsg: a blocking call waits for all vlen
 * messages (MSG_WAITFORONE: for the first only); the timeout is looked at
 * only after each message (so a call that got fewer than vlen before it
 * passed still waits for the next: the BUGS of recvmmsg(2)), and the time
 * left is written back. The messages got so far are kept across the runs
 * of a waiting call (t->mmsg_done). An error after the first message
 * ends the call with the count; the error is the socket's next answer
 * (an inet socket's pending error, as sk_err; EAGAIN and interruptions
 * are not kept). */
LX_SYS(recvmmsg)
{
    uint64_t vec = t->a[1], vlen = (uint32_t)t->a[2], flags = (uint32_t)t->a[3], tsp = t->a[4];
    if (flags & MSG_CMSG_COMPAT)
        return -LX_EINVAL;
    if (vlen > MMSG_MAX)
        vlen = MMSG_MAX;
    if (tsp && !t->mmsg_end) {                       /* the first run: the end time */
        struct lx_timespec ts;
        if (lx_copy_in(t->proc->mm, &ts, tsp, sizeof ts))
            return -LX_EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -LX_EINVAL;
        /* past 100 years: never (~0), and the time left written back is
         * the program's own (attack18: seconds were compared with a bound
         * in ns, so 18446744074 s wrapped to 0.29 s) */
        if ((uint64_t)ts.sec > 100ull * 365 * 24 * 3600)
            t->mmsg_end = ~0ull;
        else
            t->mmsg_end = lx_now_ns() + (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
        if (!t->mmsg_end)
            t->mmsg_end = 1;
    }
    uint64_t done = t->mmsg_done;
    int64_t r = 0;
    bool timed_out = false;
    while (done < vlen) {
        t->a[1] = vec + done * MMSG_SIZE;
        t->a[2] = (flags & ~MSG_WAITFORONE) | ((flags & MSG_WAITFORONE) && done ? LX_MSG_DONTWAIT : 0);
        r = lx_sys_recvmsg(t);
        if (r == LX_BLOCK)
            break;
        if (r < 0)
            break;
        uint32_t len = (uint32_t)r;
        if (lx_copy_out(t->proc->mm, t->a[1] + sizeof(struct lx_msghdr), &len, 4)) {
            r = -LX_EFAULT;
            break;
        }
        done++;
        t->progress = 0;                             /* the next message's SO_RCVTIMEO starts afresh */
        if (tsp && lx_now_ns() >= t->mmsg_end) {
            timed_out = true;
            break;
        }
    }
    t->a[1] = vec;                                   /* a rerun (LX_BLOCK) sees the call as made */
    t->a[2] = vlen;
    t->a[3] = flags;
    if (r == LX_BLOCK && done < vlen) {
        t->mmsg_done = (uint32_t)done;
        return LX_BLOCK;
    }
    lx_unwait(t);
    if (!done)
        return r;
    if (r < 0 && r != -LX_EAGAIN && r != -LX_EINTR && r != -LX_ERESTARTSYS) {
        struct sock *s = sock_of(t, FD_ARG(0), NULL);
        if (s && s->type == LX_SOCK_DGRAM)
            s->error = (int)-r;
    }
    if (tsp && t->mmsg_end != ~0ull) {
        uint64_t now = lx_now_ns(), left = timed_out || now >= t->mmsg_end ? 0 : t->mmsg_end - now;
        struct lx_timespec ts = { (int64_t)(left / 1000000000ull), (int64_t)(left % 1000000000ull) };
        if (lx_copy_out(t->proc->mm, tsp, &ts, sizeof ts))
            return -LX_EFAULT;
    }
    return (int64_t)done;
}

LX_SYS(shutdown)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) || lx_pipe_is_socket(f) ? lx_unix_shutdown(t, f) : not_inet(f);
    if (t->a[1] > LX_SHUT_RDWR)
        return -LX_EINVAL;
    if (s->type == LX_SOCK_DGRAM)
        return s->connected ? 0 : -LX_ENOTCONN;
    if (!s->has_tsock || s->listening)
        return -LX_ENOTCONN;
    if (t->a[1] != LX_SHUT_RD)
        ae_tcp_shutdown(s->tsock);
    return 0;
}

LX_SYS(getsockname)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) || lx_pipe_is_socket(f) ? lx_unix_getname(t, f, false) : not_inet(f);
    uint32_t ip = s->lip;                          /* a listener: the address it was bound to */
    if (s->has_tsock && !s->listening) {
        struct ae_tcp_info i;                      /* only bound: the service names its own address */
        if (!ae_tcp_info(s->tsock, &i) && i.state != NETTCP_BOUND && i.state != NETTCP_LISTEN)
            ip = i.local_ip;
    }
    return put_addr(t, t->a[1], t->a[2], ip, s->lport);
}

LX_SYS(getpeername)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) || lx_pipe_is_socket(f) ? lx_unix_getname(t, f, true) : not_inet(f);
    if (!stream_connected(s))
        return -LX_ENOTCONN;
    /* A connection over (both halves closed, or reset) has no peer any
     * more: Linux answers ENOTCONN in its CLOSE state too. A half-closed
     * one still names it. */
    struct ae_tcp_info i;
    if (s->type == LX_SOCK_STREAM && s->has_tsock && (ae_tcp_info(s->tsock, &i) || i.state == NETTCP_DONE))
        return -LX_ENOTCONN;
    return put_addr(t, t->a[1], t->a[2], s->rip, s->rport);
}

static uint64_t tv_ns(const struct lx_timeval *tv)
{
    uint64_t ns = lx_timeout_ns((uint64_t)tv->sec, (uint64_t)tv->usec * 1000ull);
    return ns == ~0ull ? 0 : ns;                 /* past 100 years: none, as Linux's MAX_SCHEDULE_TIMEOUT */
}

LX_SYS(setsockopt)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) || lx_pipe_is_socket(f) ? lx_unix_sockopt(t, f, true) : not_inet(f);
    uint64_t level = t->a[1], opt = t->a[2], addr = t->a[3], len = t->a[4];
    if (level == LX_SOL_SOCKET && (opt == LX_SO_RCVTIMEO || opt == LX_SO_SNDTIMEO)) {
        struct lx_timeval tv;
        if (len < sizeof tv)
            return -LX_EINVAL;
        if (lx_copy_in(t->proc->mm, &tv, addr, sizeof tv))
            return -LX_EFAULT;
        if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
            return -LX_EDOM;
        *(opt == LX_SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo) = tv_ns(&tv);
        return 0;
    }
    int32_t v;
    if (len < sizeof v)
        return -LX_EINVAL;
    if (lx_copy_in(t->proc->mm, &v, addr, sizeof v))
        return -LX_EFAULT;
    if (level == LX_SOL_SOCKET) {
        switch (opt) {
        case LX_SO_REUSEADDR:
        case LX_SO_KEEPALIVE: {
            unsigned o = opt == LX_SO_REUSEADDR ? NET_TCP_O_REUSEADDR : NET_TCP_O_KEEPALIVE;
            s->opts = v ? s->opts | o : s->opts & ~o;
            if (s->has_tsock && opt == LX_SO_KEEPALIVE)
                ae_tcp_setopt(s->tsock, NET_TCP_OPT_KEEPALIVE, v != 0);
            return 0;
        }
        case LX_SO_REUSEPORT: case LX_SO_BROADCAST: case LX_SO_SNDBUF: case LX_SO_RCVBUF:
            return 0;                              /* accepted: the service sizes its buffers */
        default:
            return -LX_ENOPROTOOPT;
        }
    }
    if (level == LX_IPPROTO_TCP && s->type == LX_SOCK_STREAM && opt == LX_TCP_NODELAY) {
        s->opts = v ? s->opts | NET_TCP_O_NODELAY : s->opts & ~NET_TCP_O_NODELAY;
        return s->has_tsock ? lx_errno(ae_tcp_setopt(s->tsock, NET_TCP_OPT_NODELAY, v != 0)) : 0;
    }
    if (level == LX_IPPROTO_IP)
        return 0;                                  /* IP_TOS and friends: accepted */
    return -LX_ENOPROTOOPT;
}

LX_SYS(getsockopt)
{
    struct lx_file *f;
    struct sock *s = sock_of(t, FD_ARG(0), &f);
    if (!s)
        return lx_unix_file(f) || lx_pipe_is_socket(f) ? lx_unix_sockopt(t, f, false) : not_inet(f);
    uint64_t level = t->a[1], opt = t->a[2], addr = t->a[3], lenp = t->a[4];
    uint32_t len;
    if (lx_copy_in(t->proc->mm, &len, lenp, sizeof len))
        return -LX_EFAULT;
    if ((int32_t)len < 0)
        return -LX_EINVAL;
    uint8_t out[16];
    uint32_t n = 4;
    int32_t v = 0;
    if (level == LX_SOL_SOCKET) {
        switch (opt) {
        case LX_SO_TYPE: v = s->type; break;
        case LX_SO_DOMAIN: v = LX_AF_INET; break;
        case LX_SO_PROTOCOL: v = s->type == LX_SOCK_STREAM ? LX_IPPROTO_TCP : LX_IPPROTO_UDP; break;
        case LX_SO_ACCEPTCONN: v = s->listening; break;
        case LX_SO_ERROR: {
            v = s->error;
            s->error = 0;
            struct ae_tcp_info i;
            if (!v && s->has_tsock && !ae_tcp_info(s->tsock, &i) && i.state == NETTCP_DONE && i.error)
                v = i.error == AE_ECONNREFUSED ? LX_ECONNREFUSED : i.error == AE_ETIMEOUT ? LX_ETIMEDOUT
                  : LX_ECONNRESET;
            break;
        }
        case LX_SO_REUSEADDR: v = !!(s->opts & NET_TCP_O_REUSEADDR); break;
        case LX_SO_KEEPALIVE: v = !!(s->opts & NET_TCP_O_KEEPALIVE); break;
        case LX_SO_BROADCAST: case LX_SO_REUSEPORT: v = 0; break;
        case LX_SO_SNDBUF: case LX_SO_RCVBUF: v = 32768; break;
        case LX_SO_RCVTIMEO: case LX_SO_SNDTIMEO: {
            uint64_t ns = opt == LX_SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
            struct lx_timeval tv = { .sec = (int64_t)(ns / 1000000000ull), .usec = (int64_t)(ns % 1000000000ull / 1000) };
            memcpy(out, &tv, sizeof tv);
            n = sizeof tv;
            goto copy;
        }
        default: return -LX_ENOPROTOOPT;
        }
    } else if (level == LX_IPPROTO_TCP && s->type == LX_SOCK_STREAM && opt == LX_TCP_NODELAY) {
        v = !!(s->opts & NET_TCP_O_NODELAY);
    } else {
        return -LX_ENOPROTOOPT;
    }
    memcpy(out, &v, sizeof v);
copy:
    if (len < n)
        n = len;
    if (lx_copy_out(t->proc->mm, addr, out, n))
        return -LX_EFAULT;
    return lx_copy_out(t->proc->mm, lenp, &n, sizeof n) ? -LX_EFAULT : 0;
}


