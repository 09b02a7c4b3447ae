/*
 * aerie_conn.c — the aerie CLI's connection to ctl (see aerie_conn.h),
 * through aerie-engine, which gives each connection a session of its
 * own: a session starts with a hello (which also checks the protocol
 * version), and lines under another id are skipped (with the raw bytes
 * of a skipped "data" reply).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "aerie_conn.h"

#define HELLO_TIMEOUT_MS  10000
#define REPLY_TIMEOUT_MS  60000

_Noreturn void die(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("aerie: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

/* ---- where the socket is ---- */

/* full, shortened to a path relative to the working directory if it is
 * inside it (shorter to show, and to fit a socket address). */
static void set_path(struct conn *c, const char *full)
{
    char cwd[PATH_MAX];
    size_t n;
    if (getcwd(cwd, sizeof cwd) && (n = strlen(cwd)) && !strncmp(full, cwd, n) && full[n] == '/')
        full += n + 1;
    snprintf(c->path, sizeof c->path, "%s", full);
}

void conn_locate(struct conn *c, const char *option)
{
    const char *p = option ? option : getenv("AERIE_SOCKET");
    char exe[PATH_MAX], full[PATH_MAX + 20];
    if (p && *p) {
        snprintf(c->path, sizeof c->path, "%s", p);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (!slash) {
        snprintf(c->path, sizeof c->path, "build/aerie.sock");
        return;
    }
    *slash = 0;
    snprintf(full, sizeof full, "%s/build/aerie.sock", exe);
    set_path(c, full);
}

/* ---- connecting ---- */

static void connect_socket(struct conn *c)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(c->path) >= sizeof a.sun_path)
        die(1, "the socket path %s is longer than %zu bytes: set AERIE_SOCKET to a shorter one", c->path,
            sizeof a.sun_path - 1);
    strcpy(a.sun_path, c->path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die(1, "cannot make a socket: %s", strerror(errno));
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0)
        return;
    if (errno == ENOENT)
        die(1, "no Aerie is running (no socket at %s): start one with 'make run'", c->path);
    if (errno == ECONNREFUSED)
        die(1, "no Aerie is running (nothing listens on %s): start one with 'make run'", c->path);
    die(1, "cannot connect to %s: %s", c->path, strerror(errno));
}

void conn_open(struct conn *c)
{
    struct ctl_reply r;
    char id[CTL_ID_MAX + 1];
    signal(SIGPIPE, SIG_IGN);                /* a closed channel shows as EPIPE */
    connect_socket(c);
    c->buf = malloc(2 * CONN_REPLY_MAX);
    if (!c->buf)
        die(1, "out of memory");
    snprintf(c->prefix, sizeof c->prefix, "%x", (unsigned)getpid() & 0xFFFFFF);
    conn_send(c, id, "hello", NULL, 0);
    enum conn_wait w = conn_reply(c, id, &r, HELLO_TIMEOUT_MS);
    if (w == CONN_TIMEOUT)
        die(1, "Aerie did not answer on %s within %d s: it may still be booting", c->path, HELLO_TIMEOUT_MS / 1000);
    if (w != CONN_REPLY)
        die(1, "the control channel %s closed before Aerie answered", c->path);
    if (strcmp(r.kind, "ok") || strncmp(r.rest, "aerie-ctl ", 10))
        die(1, "%s answered '%s %s': it is not an Aerie control channel", c->path, r.kind, r.rest);
    if (atoi(r.rest + 10) != CTL_PROTO_VERSION)
        die(1, "Aerie speaks control protocol %s, this aerie %d: rebuild it (make)", r.rest + 10, CTL_PROTO_VERSION);
}

/* ---- requests ---- */

static void write_all(struct conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(c->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die(1, "Aerie went away (writing to %s: %s)", c->path, k < 0 ? strerror(errno) : "nothing written");
        p += k;
        n -= (size_t)k;
    }
}

/* The request line into line (CTL_LINE_MAX + 2 bytes); its length. */
static size_t request_line(struct conn *c, char *line, char *id, const char *verb, const char *const *words,
                           int nwords)
{
    snprintf(id, CTL_ID_MAX + 1, "%.6s.%u", c->prefix, ++c->next_id % 100000000);
    const size_t cap = CTL_LINE_MAX + 2;
    size_t n = (size_t)snprintf(line, cap, "%s %s", id, verb);
    for (int i = 0; i < nwords && n < CTL_LINE_MAX; i++) {
        size_t len = strlen(words[i]);
        line[n++] = ' ';
        if (ctl_escape(words[i], len, line + n, cap - 1 - n, true) != len)
            n = CTL_LINE_MAX + 1;
        else
            n += strlen(line + n);
    }
    if (n > CTL_LINE_MAX)
        die(1, "the request is longer than the %d bytes a line may have: use fewer or shorter arguments",
            CTL_LINE_MAX);
    line[n++] = '\n';
    return n;
}

void conn_send_payload(struct conn *c, char *id, const char *verb, const char *const *words, int nwords,
                       const void *p, size_t n)
{
    char line[CTL_LINE_MAX + 2];
    if (c->send_lock)
        pthread_mutex_lock(c->send_lock);
    write_all(c, line, request_line(c, line, id, verb, words, nwords));
    if (n)
        write_all(c, p, n);
    if (c->send_lock)
        pthread_mutex_unlock(c->send_lock);
}

void conn_send(struct conn *c, char *id, const char *verb, const char *const *words, int nwords)
{
    conn_send_payload(c, id, verb, words, nwords, NULL, 0);
}

void conn_send_raw(struct conn *c, const void *p, size_t n)
{
    write_all(c, p, n);
}

/* ---- replies ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The next whole line in the buffer (NUL-terminated), or NULL. */
static char *buffered_line(struct conn *c)
{
    char *p = c->buf + c->start, *nl = memchr(p, '\n', c->len - c->start);
    if (!nl) {
        if (c->len - c->start >= CONN_REPLY_MAX)
            die(1, "a reply line longer than %d bytes came from %s: is it an Aerie control channel?",
                CONN_REPLY_MAX, c->path);
        return NULL;
    }
    *nl = 0;
    c->start = (size_t)(nl + 1 - c->buf);
    return p;
}

/* Reads more bytes, waiting up to ms (-1: forever). */
static enum conn_wait fill(struct conn *c, int ms)
{
    memmove(c->buf, c->buf + c->start, c->len - c->start);
    c->len -= c->start;
    c->start = 0;
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    int r = poll(&p, 1, ms);
    if (r < 0)
        return errno == EINTR ? CONN_INTERRUPTED : CONN_CLOSED;
    if (r == 0)
        return CONN_TIMEOUT;
    ssize_t k = read(c->fd, c->buf + c->len, 2 * CONN_REPLY_MAX - c->len);
    if (k < 0 && errno == EINTR)
        return CONN_INTERRUPTED;
    if (k <= 0)
        return CONN_CLOSED;
    c->len += (size_t)k;
    return CONN_REPLY;
}

void conn_raw(struct conn *c, void *out, size_t n)
{
    while (n) {
        size_t have = c->len - c->start, k = have < n ? have : n;
        if (out)
            memcpy(out, c->buf + c->start, k);
        c->start += k;
        n -= k;
        out = out ? (char *)out + k : NULL;
        enum conn_wait w = n ? fill(c, REPLY_TIMEOUT_MS) : CONN_REPLY;
        if (w == CONN_TIMEOUT)
            die(1, "Aerie stopped sending within %d s", REPLY_TIMEOUT_MS / 1000);
        if (w == CONN_CLOSED)
            die(1, "Aerie went away (the control channel %s closed)", c->path);
    }
}

enum conn_wait conn_reply(struct conn *c, const char *id, struct ctl_reply *r, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        char *line;
        while ((line = buffered_line(c))) {
            if (ctl_split_reply(line, r) != 0)
                continue;
            if (!strcmp(r->id, id))
                return CONN_REPLY;
            if (c->other)
                c->other(c->other_ctx, r);
            if (!strcmp(r->kind, "data"))
                conn_raw(c, NULL, strtoull(r->rest, NULL, 10));   /* another request's bytes */
        }
        int left = deadline < 0 ? -1 : (int)(deadline - now_ms());
        if (deadline >= 0 && left <= 0)
            return CONN_TIMEOUT;
        enum conn_wait w = fill(c, left);
        if (w != CONN_REPLY)
            return w;
    }
}

void conn_expect(struct conn *c, const char *id, struct ctl_reply *r)
{
    enum conn_wait w;
    while ((w = conn_reply(c, id, r, REPLY_TIMEOUT_MS)) == CONN_INTERRUPTED)
        ;
    if (w == CONN_TIMEOUT)
        die(1, "Aerie did not answer within %d s", REPLY_TIMEOUT_MS / 1000);
    if (w == CONN_CLOSED)
        die(1, "Aerie went away (the control channel %s closed)", c->path);
}
