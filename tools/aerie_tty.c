/*
 * aerie_tty.c — the host terminal for `aerie run -t` and `aerie exec -t`
 * (aerie_tty.h). Raw mode as docker's: no echo, no line editing, no
 * signals from keys (^C is a byte the container's line discipline turns
 * into SIGINT), no output processing (the container's terminal does
 * ONLCR). The saved settings come back at exit (atexit: every return and
 * die()), and at SIGTERM, SIGHUP, SIGQUIT, SIGPIPE before the signal does
 * what it would; only SIGKILL leaves the terminal raw (`reset` fixes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "aerie_tty.h"

static struct termios saved;
static volatile sig_atomic_t raw_on;
static int winch_pipe[2] = { -1, -1 };

bool tty_host_size(unsigned *rows, unsigned *cols)
{
    struct winsize ws;
    if (!isatty(STDIN_FILENO) || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
        return false;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return true;
}

static void restore(void)
{
    if (raw_on)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);   /* async-signal-safe */
    raw_on = 0;
}

static void on_fatal(int sig)
{
    restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_winch(int sig)
{
    (void)sig;
    int e = errno;
    if (winch_pipe[1] >= 0 && write(winch_pipe[1], "w", 1) < 0) {
        /* full: a change is already noted */
    }
    errno = e;
}

void tty_raw_begin(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
        return;
    struct termios raw = saved;
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag &= ~(tcflag_t)OPOST;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag = (raw.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    atexit(restore);
    struct sigaction sa = { .sa_handler = on_fatal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    if (pipe(winch_pipe) == 0) {
        fcntl(winch_pipe[0], F_SETFL, O_NONBLOCK);
        fcntl(winch_pipe[1], F_SETFL, O_NONBLOCK);
        struct sigaction sw = { .sa_handler = on_winch, .sa_flags = SA_RESTART };
        sigaction(SIGWINCH, &sw, NULL);
    }
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
        raw_on = 1;
}

int tty_winch_fd(void)
{
    return winch_pipe[0];
}

void tty_winch_clear(void)
{
    char b[64];
    while (winch_pipe[0] >= 0 && read(winch_pipe[0], b, sizeof b) > 0)
        ;
}

size_t tty_winsize_msg(unsigned char out[TTY_WINSZ_MSG])
{
    unsigned rows, cols;
    if (!tty_host_size(&rows, &cols))
        return 0;
    out[0] = 0xFF;
    out[1] = 'W';
    out[2] = (unsigned char)(rows >> 8);
    out[3] = (unsigned char)rows;
    out[4] = (unsigned char)(cols >> 8);
    out[5] = (unsigned char)cols;
    return TTY_WINSZ_MSG;
}

size_t tty_frame(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = in[i];
        if (in[i] == 0xFF)
            out[k++] = 0xFF;
    }
    return k;
}
