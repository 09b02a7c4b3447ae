/*
 * httpd.c — a small HTTP/1.1 server for static files (RFC 9110, RFC
 * 9112): GET and HEAD of the files under its document root (its image's
 * /www by default), persistent connections (HTTP/1.1 keeps them unless
 * "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"),
 * pipelined requests, Content-Length on every response. One thread,
 * non-blocking sockets and poll(). An ordinary POSIX program: on Aerie it
 * needs an fs grant for its files and a TCP port grant (ports=tcp:80).
 *
 * Each connection gets 8 KiB to receive and 32 KiB to send in the socket
 * area; 100 connections at once need AERIE_NET_TCP_MEM=4M or more.
 *
 * usage: httpd [PORT [DOCROOT]]      (default 80 /www)
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_CONNS 200
#define REQ_MAX   8192
#define OUT_MAX   32768

struct conn {
    int fd;
    size_t in_len;
    char in[REQ_MAX];
    char out[OUT_MAX];            /* headers, then file data */
    size_t out_len, out_sent;
    int file;                     /* the body still being read, -1: none */
    long body_left;
    bool keep;                    /* keep the connection after this response */
    bool closing;                 /* close once out is sent */
};

static struct conn *conns[MAX_CONNS];
static struct pollfd pfd[MAX_CONNS + 1];
static const char *root = "/www";

static const char *content_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".html", "text/html; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" },
        { ".css", "text/css" }, { ".js", "text/javascript" }, { ".png", "image/png" },
        { ".jpg", "image/jpeg" }, { ".svg", "image/svg+xml" }, { ".json", "application/json" },
    };
    const char *dot = strrchr(path, '.');
    for (unsigned i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

static void conn_close(unsigned i)
{
    struct conn *c = conns[i];
    if (c->file >= 0)
        close(c->file);
    close(c->fd);
    free(c);
    conns[i] = NULL;
}

/* Queues a whole small response: an error, said in plain text. */
static void reply_simple(struct conn *c, int code, const char *reason, bool head)
{
    char body[128];
    int blen = snprintf(body, sizeof body, "%d %s\n", code, reason);
    c->out_len = (size_t)snprintf(c->out, sizeof c->out,
                                  "HTTP/1.1 %d %s\r\nServer: aerie-httpd\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: %d\r\nConnection: %s\r\n\r\n%s",
                                  code, reason, blen, c->keep ? "keep-alive" : "close", head ? "" : body);
    c->out_sent = 0;
}

/* A path that stays inside the root: no ".." segment. */
static bool path_ok(const char *p)
{
    if (p[0] != '/')
        return false;
    for (const char *s = p; (s = strstr(s, "..")); s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == 0))
            return false;
    return true;
}

/* The value of header `name` in the request head, copied to out. */
static bool header(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2] != '\r' && l[2]; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, n) || l[2 + n] != ':')
            continue;
        const char *v = l + 3 + n, *end = strstr(v, "\r\n");
        while (*v == ' ' || *v == '\t')
            v++;
        size_t len = end ? (size_t)(end - v) : strlen(v);
        if (len >= size)
            len = size - 1;
        memcpy(out, v, len);
        out[len] = 0;
        return true;
    }
    return false;
}

/* The next word of the request line (up to a space or CR) into out. */
static const char *word(const char *p, char *out, size_t size)
{
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\r' && n + 1 < size)
        out[n++] = *p++;
    out[n] = 0;
    return *p == ' ' ? p + 1 : p;
}

/* Opens the file a GET or HEAD names and queues the headers. */
static void serve_file(struct conn *c, char *target, bool is_head)
{
    char *q = strchr(target, '?');
    if (q)
        *q = 0;
    if (!path_ok(target)) {
        reply_simple(c, 400, "Bad Request", is_head);
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s%s%s", root, target, target[strlen(target) - 1] == '/' ? "index.html" : "");
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        bool denied = fd < 0 && errno == EACCES;
        if (fd >= 0)
            close(fd);
        reply_simple(c, denied ? 403 : 404, denied ? "Forbidden" : "Not Found", is_head);
        return;
    }
    c->out_len = (size_t)snprintf(c->out, sizeof c->out,
                                  "HTTP/1.1 200 OK\r\nServer: aerie-httpd\r\nContent-Type: %s\r\n"
                                  "Content-Length: %ld\r\nConnection: %s\r\n\r\n",
                                  content_type(path), (long)st.st_size, c->keep ? "keep-alive" : "close");
    c->out_sent = 0;
    if (is_head || st.st_size == 0) {
        close(fd);
        return;
    }
    c->file = fd;
    c->body_left = (long)st.st_size;
}

/* Parses a request head (NUL-terminated, ending in CRLF) and queues the
 * response. */
static void handle(struct conn *c, char *head)
{
    char method[8], target[512], version[16], conn[32] = "";
    c->keep = false;
    const char *p = word(word(word(head, method, sizeof method), target, sizeof target), version, sizeof version);
    if (*p != '\r' || !method[0] || !target[0] || strncmp(version, "HTTP/1.", 7) || strlen(version) != 8) {
        reply_simple(c, 400, "Bad Request", false);
        c->closing = true;
        return;
    }
    header(head, "Connection", conn, sizeof conn);
    c->keep = version[7] == '1' ? strcasecmp(conn, "close") != 0 : strcasecmp(conn, "keep-alive") == 0;
    bool is_head = !strcmp(method, "HEAD");
    if (strcmp(method, "GET") && !is_head)
        reply_simple(c, 405, "Method Not Allowed", false);
    else
        serve_file(c, target, is_head);
}

/* The next complete request in c->in, if any: handled and removed. */
static void next_request(struct conn *c)
{
    char *end = NULL;
    for (size_t i = 0; i + 3 < c->in_len && !end; i++)
        if (!memcmp(c->in + i, "\r\n\r\n", 4))
            end = c->in + i;
    if (!end) {
        if (c->in_len == sizeof c->in) {
            reply_simple(c, 431, "Request Header Fields Too Large", false);
            c->closing = true;
        }
        return;
    }
    size_t hlen = (size_t)(end - c->in) + 4;
    end[2] = 0;                                  /* the head as a string, last CRLF kept */
    handle(c, c->in);
    memmove(c->in, c->in + hlen, c->in_len - hlen);
    c->in_len -= hlen;
}

/* Sends what is queued, refilling from the file; false if c is finished. */
static bool pump_out(struct conn *c)
{
    for (;;) {
        if (c->out_sent == c->out_len && c->file >= 0) {
            ssize_t n = read(c->file, c->out, sizeof c->out);
            if (n <= 0)
                return false;                    /* the file shrank under us: end the connection */
            c->out_len = (size_t)n;
            c->out_sent = 0;
            c->body_left -= n;
            if (c->body_left <= 0) {
                close(c->file);
                c->file = -1;
            }
        }
        if (c->out_sent == c->out_len)
            return true;
        ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
        if (n < 0)
            return errno == EAGAIN;
        c->out_sent += (size_t)n;
    }
}

/* Reads what the socket has; false if the client is gone. */
static bool pull_in(struct conn *c)
{
    while (c->in_len < sizeof c->in) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        return n < 0 && errno == EAGAIN;
    }
    return true;
}

/* One round for connection i after poll said revents. */
static void serve(unsigned i, short revents)
{
    struct conn *c = conns[i];
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !pull_in(c)) {
        conn_close(i);
        return;
    }
    for (;;) {
        bool busy = c->out_sent < c->out_len || c->file >= 0;
        if (busy) {
            if (!pump_out(c)) {
                conn_close(i);
                return;
            }
            if (c->out_sent < c->out_len || c->file >= 0)
                return;                          /* the socket is full: wait for POLLOUT */
        }
        if (c->closing || (!c->keep && busy)) {
            conn_close(i);
            return;
        }
        size_t before = c->in_len;
        next_request(c);
        if (c->out_sent == c->out_len && c->in_len == before)
            return;                              /* no complete request yet */
    }
}

static void take(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return;
        unsigned i = 0;
        while (i < MAX_CONNS && conns[i])
            i++;
        struct conn *c = i < MAX_CONNS ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->file = -1;
        conns[i] = c;
    }
}

static int listener(long port)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) {
        fprintf(stderr, "httpd: socket: %s\n", strerror(errno));
        return -1;
    }
    int one = 1, buf = 32768;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    buf = 8192;
    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (bind(lfd, (struct sockaddr *)&me, sizeof me) < 0 || listen(lfd, SOMAXCONN) < 0) {
        fprintf(stderr, "httpd: port %ld: %s\n", port, strerror(errno));
        return -1;
    }
    return lfd;
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 80;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "httpd: bad port '%s'\n", argv[1]);
        return 2;
    }
    if (argc > 2)
        root = argv[2];
    int lfd = listener(port);
    if (lfd < 0)
        return 1;
    printf("httpd: serving %s on TCP port %ld\n", root, port);
    for (;;) {
        nfds_t n = 0;
        unsigned idx[MAX_CONNS];
        pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
        for (unsigned i = 0; i < MAX_CONNS; i++) {
            struct conn *c = conns[i];
            if (!c)
                continue;
            bool out = c->out_sent < c->out_len || c->file >= 0;
            idx[n - 1] = i;
            pfd[n++] = (struct pollfd){ c->fd, out ? POLLOUT : POLLIN, 0 };
        }
        if (poll(pfd, n, -1) < 0) {
            fprintf(stderr, "httpd: poll: %s\n", strerror(errno));
            return 1;
        }
        for (nfds_t k = 1; k < n; k++)
            if (pfd[k].revents && conns[idx[k - 1]])
                serve(idx[k - 1], pfd[k].revents);
        if (pfd[0].revents & POLLIN)
            take(lfd);
    }
}
