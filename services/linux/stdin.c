/*
 * stdin.c — a Linux program's standard input: the input of the
 * container's console stream (`aerie run -i`, docs/LINUX.md), as a pipe
 * the program can only read. Bytes come from the console a message at a
 * time into a small buffer here, so poll can say "readable" without
 * losing any. A container without input reads the end at once, as
 * before. While a reader waits, one helper thread waits on the "stdin"
 * notification (signalled by the console when bytes or the end come)
 * and pokes the loop with a message badged LX_STDIN_BADGE, the way the
 * net helper does (net.c); the helper touches nothing else.
 *
 * With a terminal (spec tty=, tty.c) fd 0 is the terminal instead, and
 * input is pumped into its line discipline as it comes, whether anyone
 * reads or not (a ^C must reach a shell that waits for its child): the
 * helper runs from the start, and the ring keeps what the terminal has
 * no room for.
 */
#include <pthread.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/console.h>
#include <libaerie/console.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

static struct {
    char buf[CON_IN_READ_MAX];
    uint32_t head, len;
    bool eof;                            /* the console said: the end, or an error */
    struct lx_waitq rq;                  /* readers (and pollers) waiting for input */
    bool helper_started, helper_failed;
    uint64_t poke_cap, ntfn;
    struct lx_tty *tty;                  /* tty=: the terminal input goes to */
    unsigned rows, cols;                 /* its size at the start (tty=ROWSxCOLS) */
} in;

static void *helper(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits;
        if (ae_recv(in.ntfn, AERIE_TIMEOUT_FOREVER, &bits) < 0)
            return NULL;                 /* the notification went (the container ends) */
        ae_send(in.poke_cap, AERIE_INFO(0, 1, 0), AERIE_TIMEOUT_FOREVER);
    }
}

/* Starts the helper once; false when it cannot run (then input is polled
 * by the loop's timeout: lx_stdin_waiting). */
static bool start_helper(void)
{
    if (in.helper_started || in.helper_failed)
        return in.helper_started;
    in.helper_failed = true;
    in.ntfn = ae_capenv_lookup("stdin");
    if (!in.ntfn)
        return false;
    int r = lx_waiter_start(LX_STDIN_BADGE, &in.poke_cap, helper);
    if (r == -LX_EAGAIN)
        lx_log("linux: no thread to wait for stdin: it is polled\n");
    if (r)
        return false;
    in.helper_started = true;
    in.helper_failed = false;
    return true;
}

/* Fills the buffer from the console without waiting: true when there is
 * something to read (bytes, or the end). */
static bool fill(void)
{
    if (in.len || in.eof)
        return true;
    int64_t r = ae_console_read(in.buf, sizeof in.buf, false);
    if (r == AE_EAGAIN)
        return false;
    if (r <= 0)
        in.eof = true;                   /* the end; an error ends the input too */
    else {
        in.head = 0;
        in.len = (uint32_t)r;
    }
    return true;
}

void lx_stdin_pump(void)
{
    while (in.tty && lx_tty_room(in.tty) && fill()) {
        if (!in.len) {
            lx_tty_hangup(in.tty);       /* the end: once, it stays the end */
            lx_tty_put(in.tty);
            in.tty = NULL;
            return;
        }
        uint64_t k = lx_tty_feed(in.tty, in.buf + in.head, in.len);
        in.head += (uint32_t)k;
        in.len -= (uint32_t)k;
        if (in.len)
            return;                      /* the terminal is full: the rest waits here and in the ring */
    }
}

void lx_stdin_poke(void)
{
    if (in.tty)
        lx_stdin_pump();
    else if (fill())
        lx_wake_all(&in.rq);
}

bool lx_stdin_waiting(void)
{
    return in.rq.head != NULL || (in.tty && !in.helper_started);
}

void lx_stdin_set_tty(unsigned rows, unsigned cols)
{
    in.rows = rows;
    in.cols = cols;
}

bool lx_stdin_tty(void)
{
    return in.rows != 0;
}

static int64_t stdin_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    if (off >= 0)
        return -LX_ESPIPE;
    if (!n)
        return 0;
    if (!fill()) {
        if (f->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        start_helper();
        if (lx_wait_on(t, &in.rq))
            return -LX_ENOMEM;
        return fill() ? (lx_wake_all(&in.rq), LX_BLOCK) : LX_BLOCK;   /* came meanwhile: run again */
    }
    if (!in.len)
        return 0;                        /* the end (it stays the end) */
    uint64_t k = n < in.len ? n : in.len;
    memcpy(buf, in.buf + in.head, k);
    in.head += (uint32_t)k;
    in.len -= (uint32_t)k;
    return (int64_t)k;
}

static int64_t stdin_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)f, (void)buf, (void)n, (void)off;
    return -LX_EBADF;
}

static unsigned stdin_poll(struct lx_file *f, struct lx_thread *t)
{
    (void)f;
    if (fill())
        return in.len ? LX_POLLIN | LX_POLLRDNORM : LX_POLLHUP;
    if (t) {
        start_helper();
        lx_wait_on(t, &in.rq);
    }
    return 0;
}

static int stdin_stat(struct lx_file *f, struct lx_stat *st)
{
    (void)f;
    st->mode = LX_S_IFIFO | 0600;
    st->dev = 0xA;
    st->ino = 2;
    return 0;
}

static const struct lx_file_ops stdin_ops = {
    .kind = "pipe", .read = stdin_read, .write = stdin_write, .stat = stdin_stat, .poll = stdin_poll,
    .fasync = true,
};

struct lx_file *lx_stdin_file(void)
{
    if (in.rows) {                       /* the terminal: pid 1's session's (tty.c) */
        struct lx_tty *y = lx_tty_new(1, in.rows, in.cols);
        struct lx_file *f = y ? lx_tty_file(y, LX_O_RDWR) : NULL;
        if (!f) {
            if (y)
                lx_tty_put(y);
            return NULL;
        }
        in.tty = y;                      /* our reference: until its input ends */
        start_helper();
        lx_stdin_pump();
        return f;
    }
    struct lx_file *f = lx_file_new(&stdin_ops, LX_O_RDONLY, NULL);
    if (f)
        strcpy(f->path, "pipe:[stdin]");
    return f;
}
