/*
 * tty.c — a container's terminal (`aerie run -t`, `aerie exec -t`; spec
 * tty=, docs/LINUX.md "Terminals"). Programs see fds 0-2 as /dev/pts/N:
 * isatty is true, termios, window size, foreground process group and a
 * line discipline as Linux's n_tty does it (ICANON editing, ECHO, ISIG,
 * ICRNL, OPOST/ONLCR, raw reads with VMIN/VTIME). Its bytes come from the
 * container's input (pid 1's: the console's input ring, pumped by stdin.c;
 * an exec's: what outside.c is sent) and go out on the console stream.
 *
 * The window size travels in the input itself, as telnet's NAWS does:
 * 0xFF 'W' rows(2) cols(2), big-endian, and 0xFF 0xFF for a byte 0xFF
 * (the CLI escapes it; UTF-8 never has one). It is the container's own
 * input, written by whoever holds its input: nothing new to grant.
 *
 * Everything here is the container's own: the signals a key sends go to
 * the terminal's foreground group among this personality's processes,
 * the only ones it can name. Input waits in buffers of TTY_BUF bytes;
 * when they are full the rest stays in the ring it came from, so the
 * sender is held back, not the container's memory.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <aerie/errors.h>
#include <libaerie/console.h>
#include "lx.h"
#include "sys.h"

#define TTY_BUF   4096          /* readable bytes; and one line being edited (Linux's N_TTY_BUF_SIZE) */
#define TTY_LINES 128           /* whole lines (and EOFs) waiting to be read */

/* termios bits and c_cc indices (Linux's asm-generic/termbits.h) */
#define T_IGNCR  0200u
#define T_ICRNL  0400u
#define T_INLCR  0100u
#define T_ISTRIP 040u
#define T_IUTF8  040000u
#define T_OPOST  01u
#define T_ONLCR  04u
#define T_ISIG   01u
#define T_ICANON 02u
#define T_ECHO   010u
#define T_ECHOE  020u
#define T_ECHOK  040u
#define T_ECHONL 0100u
#define T_NOFLSH 0200u
#define T_ECHOCTL 01000u
#define T_ECHOKE 04000u
#define T_IEXTEN 0100000u
enum { V_INTR, V_QUIT, V_ERASE, V_KILL, V_EOF, V_TIME, V_MIN, V_SWTC, V_START, V_STOP, V_SUSP, V_EOL,
       V_REPRINT, V_DISCARD, V_WERASE, V_LNEXT, V_EOL2, V_NCC = 19 };

struct lx_termios {              /* the kernel's struct termios (TCGETS), 36 bytes */
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[V_NCC];
};
struct lx_winsize { uint16_t rows, cols, xpix, ypix; };

struct lx_tty {
    unsigned refs;
    int index;                   /* /dev/pts/N */
    struct lx_termios tio;
    struct lx_winsize ws;
    int sid, pgrp;               /* the session it controls (0: none) and its foreground group */
    /* readable bytes, a ring; in ICANON they are whole lines, llen[] their lengths (0: an EOF) */
    uint8_t rbuf[TTY_BUF];
    uint32_t rhead, rlen;
    uint16_t llen[TTY_LINES];
    uint32_t lhead, ln;
    uint8_t line[TTY_BUF];       /* the line being edited (ICANON) */
    uint32_t nline;
    bool ended;                  /* its input ended: reads see the end once the rest is read */
    uint8_t esc[6];              /* a window-size escape being read (0xFF, 'W', 4 bytes) */
    uint32_t nesc;
    uint8_t echo[512];           /* echo waiting to go out with the next flush */
    uint32_t necho;
    struct lx_waitq rq;          /* readers and pollers */
    struct lx_tty *next;         /* in ttys */
};

static struct lx_tty *ttys;
static int next_index;

static const struct lx_termios default_tio = {
    .iflag = T_ICRNL | T_IUTF8, .oflag = T_OPOST | T_ONLCR, .cflag = 017 | 060 | 0200,   /* B38400 CS8 CREAD */
    .lflag = T_ISIG | T_ICANON | T_ECHO | T_ECHOE | T_ECHOK | T_ECHOCTL | T_ECHOKE | T_IEXTEN,
    .cc = { [V_INTR] = 3, [V_QUIT] = 034, [V_ERASE] = 0177, [V_KILL] = 025, [V_EOF] = 4, [V_MIN] = 1,
            [V_START] = 021, [V_STOP] = 023, [V_SUSP] = 032, [V_REPRINT] = 022, [V_DISCARD] = 017,
            [V_WERASE] = 027, [V_LNEXT] = 026 },
};

struct lx_tty *lx_tty_new(int sid, unsigned rows, unsigned cols)
{
    struct lx_tty *y = calloc(1, sizeof *y);
    if (!y)
        return NULL;
    y->refs = 1;
    y->index = next_index++;
    y->tio = default_tio;
    y->ws.rows = (uint16_t)rows;
    y->ws.cols = (uint16_t)cols;
    y->sid = y->pgrp = sid;
    y->next = ttys;
    ttys = y;
    return y;
}

static void tty_put(struct lx_tty *y)
{
    if (--y->refs)
        return;
    for (struct lx_tty **pp = &ttys; *pp; pp = &(*pp)->next)
        if (*pp == y) {
            *pp = y->next;
            break;
        }
    free(y);
}

/* ---- output ---- */

/* Writes out with OPOST/ONLCR; the bytes of buf taken (all of them). */
static int64_t put_out(struct lx_tty *y, const uint8_t *buf, uint64_t n)
{
    bool onlcr = (y->tio.oflag & (T_OPOST | T_ONLCR)) == (T_OPOST | T_ONLCR);
    uint8_t chunk[1024];
    uint64_t at = 0, k = 0;
    while (at < n) {
        uint8_t c = buf[at++];
        if (c == '\n' && onlcr)
            chunk[k++] = '\r';
        chunk[k++] = c;
        if (k >= sizeof chunk - 1 || at == n) {
            int64_t r = ae_console_write((const char *)chunk, k);
            if (r < 0 && r != AE_ECAP)
                return -LX_EIO;          /* no console grant: dropped, as for the stream without a tty */
            k = 0;
        }
    }
    return (int64_t)n;
}

static void flush_echo(struct lx_tty *y)
{
    if (y->necho)
        put_out(y, y->echo, y->necho);
    y->necho = 0;
}

static void echo_byte(struct lx_tty *y, uint8_t c)
{
    if (y->necho == sizeof y->echo)
        flush_echo(y);
    y->echo[y->necho++] = c;
}

static bool is_ctl(uint8_t c)
{
    return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* Echoes c as ECHO and ECHOCTL say: a control character as ^X. */
static void echo_char(struct lx_tty *y, uint8_t c)
{
    if (!(y->tio.lflag & T_ECHO))
        return;
    if (is_ctl(c) && (y->tio.lflag & T_ECHOCTL)) {
        echo_byte(y, '^');
        echo_byte(y, c == 0x7f ? '?' : (uint8_t)(c + '@'));
    } else {
        echo_byte(y, c);
    }
}

/* ---- input ---- */

static void push_ready(struct lx_tty *y, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        y->rbuf[(y->rhead + y->rlen++) % TTY_BUF] = p[i];
}

/* The line being edited becomes readable (with n bytes; 0 and eof: an EOF). */
static void push_line(struct lx_tty *y)
{
    push_ready(y, y->line, y->nline);
    y->llen[(y->lhead + y->ln++) % TTY_LINES] = (uint16_t)y->nline;
    y->nline = 0;
}

static void flush_input(struct lx_tty *y)
{
    y->rlen = y->rhead = y->ln = y->lhead = y->nline = 0;
}

struct sig_group { int pgrp, sig; };

static void signal_member(struct lx_proc *p, void *arg)
{
    struct sig_group *g = arg;
    if (p->state == LX_ALIVE && p->pgid == g->pgrp) {
        struct lx_siginfo si = { .signo = g->sig, .code = LX_SI_KERNEL };
        lx_signal_send(p, NULL, g->sig, &si);
    }
}

/* sig to the foreground group: only this container's processes exist here. */
static void signal_group(struct lx_tty *y, int sig)
{
    if (y->pgrp <= 0)
        return;
    struct sig_group g = { y->pgrp, sig };
    lx_procs_foreach(signal_member, &g);
}

/* Erases the last character of the line being edited (a UTF-8 one whole);
 * false if it was empty. */
static bool erase_one(struct lx_tty *y)
{
    if (!y->nline)
        return false;
    uint8_t c;
    do
        c = y->line[--y->nline];
    while (y->nline && (y->tio.iflag & T_IUTF8) && (c & 0xC0) == 0x80);
    if ((y->tio.lflag & (T_ECHO | T_ECHOE)) == (T_ECHO | T_ECHOE)) {
        int w = is_ctl(c) && (y->tio.lflag & T_ECHOCTL) ? 2 : 1;   /* ^X took two columns */
        for (int i = 0; i < w; i++) {
            echo_byte(y, '\b');
            echo_byte(y, ' ');
            echo_byte(y, '\b');
        }
    }
    return true;
}

/* Is there room for one more byte and line? */
static bool room(const struct lx_tty *y)
{
    return y->rlen + y->nline < TTY_BUF - 1 && y->ln < TTY_LINES - 1;
}

/* One input byte through the line discipline. */
static void take_byte(struct lx_tty *y, uint8_t c)
{
    const struct lx_termios *tio = &y->tio;
    if (tio->iflag & T_ISTRIP)
        c &= 0x7f;
    if (c == '\r') {
        if (tio->iflag & T_IGNCR)
            return;
        if (tio->iflag & T_ICRNL)
            c = '\n';
    } else if (c == '\n' && (tio->iflag & T_INLCR)) {
        c = '\r';
    }
    if (tio->lflag & T_ISIG) {
        int sig = c == tio->cc[V_INTR] ? LX_SIGINT : c == tio->cc[V_QUIT] ? LX_SIGQUIT :
                  c == tio->cc[V_SUSP] ? LX_SIGTSTP : 0;
        if (sig && c) {
            if (!(tio->lflag & T_NOFLSH))
                flush_input(y);
            echo_char(y, c);
            signal_group(y, sig);
            return;
        }
    }
    if (!(tio->lflag & T_ICANON)) {
        push_ready(y, &c, 1);
        echo_char(y, c);
        return;
    }
    if (c && c == tio->cc[V_ERASE]) {
        erase_one(y);
        return;
    }
    if (c && (c == tio->cc[V_KILL] || (c == tio->cc[V_WERASE] && (tio->lflag & T_IEXTEN)))) {
        bool word = c != tio->cc[V_KILL];
        while (word && y->nline && (y->line[y->nline - 1] == ' ' || y->line[y->nline - 1] == '\t'))
            erase_one(y);
        while (y->nline && !(word && (y->line[y->nline - 1] == ' ' || y->line[y->nline - 1] == '\t')))
            erase_one(y);
        return;
    }
    if (c && c == tio->cc[V_EOF]) {
        push_line(y);                    /* an empty one is the EOF a read returns 0 for */
        return;
    }
    bool eol = c == '\n' || (c && (c == tio->cc[V_EOL] || c == tio->cc[V_EOL2]));
    y->line[y->nline++] = c;
    if (c == '\n' && !(tio->lflag & T_ECHO) && (tio->lflag & T_ECHONL))
        echo_byte(y, '\n');
    else
        echo_char(y, c);
    if (eol || y->nline == TTY_BUF - 1 - y->rlen)
        push_line(y);                    /* a full line goes as it is, as Linux's does */
}

uint64_t lx_tty_feed(struct lx_tty *y, const void *buf, uint64_t n)
{
    const uint8_t *p = buf;
    uint64_t i = 0;
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (y->nesc) {                   /* inside 0xFF ...: the window size, or 0xFF itself */
            y->esc[y->nesc++] = c;
            if (y->nesc == 2 && c == 0xFF) {
                y->nesc = 0;
                if (!room(y))
                    break;
                take_byte(y, c);
            } else if (y->nesc == 2 && c != 'W') {
                y->nesc = 0;             /* not ours: dropped */
            } else if (y->nesc == 6) {
                y->nesc = 0;
                struct lx_winsize ws = { (uint16_t)(y->esc[2] << 8 | y->esc[3]),
                                         (uint16_t)(y->esc[4] << 8 | y->esc[5]), 0, 0 };
                if (ws.rows != y->ws.rows || ws.cols != y->ws.cols) {
                    y->ws = ws;
                    signal_group(y, LX_SIGWINCH);
                }
            }
            continue;
        }
        if (c == 0xFF) {
            y->esc[0] = c;
            y->nesc = 1;
            continue;
        }
        if (!room(y))
            break;                       /* the rest waits where it is */
        take_byte(y, c);
    }
    flush_echo(y);
    if (y->rlen || y->ln)
        lx_wake_all(&y->rq);
    return i;
}

void lx_tty_hangup(struct lx_tty *y)
{
    if (y->nline)
        push_line(y);
    y->ended = true;
    lx_wake_all(&y->rq);
}

bool lx_tty_room(const struct lx_tty *y)
{
    return room(y);
}

/* Bytes a read may take now (0: none); *eof when it is an EOF. */
static uint32_t readable(const struct lx_tty *y, bool *eof)
{
    *eof = false;
    if (y->tio.lflag & T_ICANON) {
        if (y->ln) {
            *eof = y->llen[y->lhead] == 0;
            return y->llen[y->lhead];
        }
        return 0;
    }
    return y->rlen;
}

static void pull(struct lx_tty *y)
{
    if (y->index == 0)
        lx_stdin_pump();                 /* pid 1's: from the console ring, what fits */
}

static int64_t tty_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct lx_tty *y = f->obj;
    if (off >= 0)
        return -LX_ESPIPE;
    pull(y);
    bool eof;
    uint32_t have = readable(y, &eof);
    bool canon = y->tio.lflag & T_ICANON;
    uint32_t vmin = y->tio.cc[V_MIN], vtime = y->tio.cc[V_TIME];
    if (!n)
        return 0;
    if (eof) {
        y->lhead = (y->lhead + 1) % TTY_LINES;
        y->ln--;
        return 0;
    }
    /* ICANON: a line; raw: VMIN bytes (or as many as asked), or VTIME tenths of a second */
    bool enough = canon ? have > 0 : vmin == 0 ? (have > 0 || !vtime) : have >= (vmin < n ? vmin : n);
    if (!enough && !y->ended) {
        if (f->flags & LX_O_NONBLOCK) {
            if (!have)
                return -LX_EAGAIN;
        } else {
            uint64_t deadline = !canon && vtime && (vmin == 0 || have) ?
                                lx_poll_deadline(t, (uint64_t)vtime * 100000000ull) : ~0ull;
            if (deadline == ~0ull || lx_now_ns() < deadline) {
                if (t->wake == LX_WAKE_SIGNAL || lx_signal_pending(t))
                    return -LX_ERESTARTSYS;
                if (lx_wait_on(t, &y->rq))
                    return -LX_ENOMEM;
                if (deadline != ~0ull)
                    lx_wait_until(t, deadline);
                return LX_BLOCK;
            }
        }
    }
    if (!have)
        return 0;                        /* the end, or VTIME passed with nothing */
    uint32_t k = have < n ? have : (uint32_t)n;
    uint8_t *out = buf;
    for (uint32_t i = 0; i < k; i++)
        out[i] = y->rbuf[(y->rhead + i) % TTY_BUF];
    y->rhead = (y->rhead + k) % TTY_BUF;
    y->rlen -= k;
    if (canon && y->ln) {
        if (k == y->llen[y->lhead]) {
            y->lhead = (y->lhead + 1) % TTY_LINES;
            y->ln--;
        } else {
            y->llen[y->lhead] = (uint16_t)(y->llen[y->lhead] - k);
        }
    }
    pull(y);                             /* room again: what waits in the ring comes in */
    return (int64_t)k;
}

static int64_t tty_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    (void)t, (void)off;
    return n ? put_out(f->obj, buf, n) : 0;
}

static unsigned tty_poll(struct lx_file *f, struct lx_thread *t)
{
    struct lx_tty *y = f->obj;
    pull(y);
    bool eof;
    unsigned ev = LX_POLLOUT | LX_POLLWRNORM;
    if (readable(y, &eof) || eof || y->ended)
        ev |= LX_POLLIN | LX_POLLRDNORM;
    if (y->ended)
        ev |= LX_POLLHUP;
    if (!(ev & LX_POLLIN) && t)
        lx_wait_on(t, &y->rq);
    return ev;
}

static int tty_stat(struct lx_file *f, struct lx_stat *st)
{
    struct lx_tty *y = f->obj;
    st->mode = LX_S_IFCHR | 0620;
    st->rdev = (136ull << 8) | (uint64_t)y->index;   /* Linux's /dev/pts/N: 136:N */
    st->dev = 0x16;
    st->ino = 300 + (uint64_t)y->index;
    return 0;
}

static int64_t put_int(struct lx_thread *t, uint64_t arg, int v)
{
    return lx_copy_out(t->proc->mm, arg, &v, sizeof v) ? -LX_EFAULT : 0;
}

static bool group_in_session(int pgrp, int sid);
bool lx_tty_session_gone(int sid);

static int64_t tty_ioctl(struct lx_thread *t, struct lx_file *f, uint64_t req, uint64_t arg)
{
    struct lx_tty *y = f->obj;
    struct lx_proc *p = t->proc;
    bool ours = y->sid && y->sid == p->sid;      /* the caller's controlling terminal */
    switch (req) {
    case LX_TCGETS:
        return lx_copy_out(p->mm, arg, &y->tio, sizeof y->tio) ? -LX_EFAULT : 0;
    case LX_TCSETS: case LX_TCSETSW: case LX_TCSETSF: {
        struct lx_termios tio;
        if (lx_copy_in(p->mm, &tio, arg, sizeof tio))
            return -LX_EFAULT;
        bool was_canon = y->tio.lflag & T_ICANON;
        if (req == LX_TCSETSF)
            flush_input(y);
        y->tio = tio;
        if (was_canon && !(tio.lflag & T_ICANON) && y->nline) {
            push_ready(y, y->line, y->nline);    /* the edited line is readable at once */
            y->nline = 0;
            y->ln = 0;
        } else if (was_canon && !(tio.lflag & T_ICANON)) {
            y->ln = 0;
        } else if (!was_canon && (tio.lflag & T_ICANON) && y->rlen) {
            y->lhead = 0;                        /* what raw mode left is one line */
            y->llen[0] = (uint16_t)y->rlen;
            y->ln = 1;
        }
        lx_wake_all(&y->rq);
        return 0;
    }
    case LX_TIOCGWINSZ:
        return lx_copy_out(p->mm, arg, &y->ws, sizeof y->ws) ? -LX_EFAULT : 0;
    case LX_TIOCSWINSZ: {
        struct lx_winsize ws;
        if (lx_copy_in(p->mm, &ws, arg, sizeof ws))
            return -LX_EFAULT;
        bool changed = memcmp(&ws, &y->ws, sizeof ws) != 0;
        y->ws = ws;                              /* 16 bits each: any value is only a number */
        if (changed)
            signal_group(y, LX_SIGWINCH);
        return 0;
    }
    case LX_TIOCGPGRP:
        return ours ? put_int(t, arg, y->pgrp) : -LX_ENOTTY;
    case LX_TIOCSPGRP: {
        int pgrp;
        if (lx_copy_in(p->mm, &pgrp, arg, sizeof pgrp))
            return -LX_EFAULT;
        if (!ours)
            return -LX_ENOTTY;
        if (pgrp < 0)
            return -LX_EINVAL;
        if (!group_in_session(pgrp, y->sid))
            return -LX_EPERM;
        y->pgrp = pgrp;
        return 0;
    }
    case LX_TIOCGSID:
        return ours ? put_int(t, arg, y->sid) : -LX_ENOTTY;
    case LX_TIOCSCTTY:
        if (ours)
            return 0;
        if (p->pid != p->sid)
            return -LX_EPERM;                    /* only a session leader takes a terminal */
        for (struct lx_tty *o = ttys; o; o = o->next)
            if (o->sid == p->sid)
                return -LX_EPERM;                /* it has one */
        if (y->sid && !(arg == 1 && lx_tty_session_gone(y->sid)))
            return -LX_EPERM;                    /* another session's (steal only from the gone) */
        y->sid = p->sid;
        y->pgrp = p->pgid;
        return 0;
    case LX_TIOCNOTTY:
        if (!ours)
            return -LX_ENOTTY;
        if (p->pid == p->sid) {
            signal_group(y, LX_SIGHUP);
            y->sid = y->pgrp = 0;
        }
        return 0;
    case LX_FIONREAD: {
        bool eof;
        return put_int(t, arg, (int)readable(y, &eof));
    }
    case LX_TCFLSH:
        if (arg > 2)
            return -LX_EINVAL;
        if (arg != 1)
            flush_input(y);
        return 0;
    case LX_TCSBRK: case LX_TCXONC:
        return 0;                                /* output is never held: nothing to drain or restart */
    default:
        return -LX_ENOTTY;
    }
}

static void tty_release(struct lx_file *f)
{
    tty_put(f->obj);
}

static const struct lx_file_ops tty_ops = {
    .kind = "tty", .read = tty_read, .write = tty_write, .stat = tty_stat, .poll = tty_poll,
    .ioctl = tty_ioctl, .release = tty_release,
};

struct lx_file *lx_tty_file(struct lx_tty *y, unsigned flags)
{
    struct lx_file *f = lx_file_new(&tty_ops, flags, y);
    if (!f)
        return NULL;
    y->refs++;
    snprintf(f->path, sizeof f->path, "/dev/pts/%d", y->index);
    return f;
}

void lx_tty_put(struct lx_tty *y)
{
    tty_put(y);
}

/* ---- sessions and groups ---- */

struct find_group { int pgrp, sid; bool found, session_alive; };

static void match_group(struct lx_proc *p, void *arg)
{
    struct find_group *g = arg;
    if (p->state != LX_ALIVE)
        return;
    if (p->pgid == g->pgrp && p->sid == g->sid)
        g->found = true;
    if (p->sid == g->sid)
        g->session_alive = true;
}

static bool group_in_session(int pgrp, int sid)
{
    struct find_group g = { pgrp, sid, false, false };
    lx_procs_foreach(match_group, &g);
    return g.found;
}

bool lx_tty_session_gone(int sid)
{
    struct find_group g = { -1, sid, false, false };
    lx_procs_foreach(match_group, &g);
    return !g.session_alive;
}

/* ---- /dev/tty and /dev/pts ---- */

static struct lx_tty *tty_of_session(int sid)
{
    for (struct lx_tty *y = ttys; y; y = y->next)
        if (y->sid && y->sid == sid)
            return y;
    return NULL;
}

int lx_tty_open(struct lx_thread *t, const char *path, unsigned flags, struct lx_file **out)
{
    struct lx_tty *y = NULL;
    if (!strcmp(path, "/dev/tty")) {
        if (!t || !(y = tty_of_session(t->proc->sid)))
            return -LX_ENXIO;                    /* no controlling terminal, as Linux says */
    } else if (!strncmp(path, "/dev/pts/", 9)) {
        char *end;
        long i = strtol(path + 9, &end, 10);
        if (*end || end == path + 9)
            return -LX_ENOENT;
        for (y = ttys; y && y->index != i; y = y->next)
            ;
        if (!y)
            return -LX_ENOENT;
    } else {
        return -LX_ENOENT;
    }
    struct lx_file *f = lx_tty_file(y, flags & ~LX_O_DIRECTORY);
    if (!f)
        return -LX_ENOMEM;
    *out = f;
    return 0;
}

bool lx_tty_any(void)
{
    return ttys != NULL;
}
