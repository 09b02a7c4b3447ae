/*
 * tcpecho.c — a TCP echo server (RFC 862): every byte a client sends
 * comes back to it, until it closes its half; then we close ours. One
 * thread, non-blocking sockets and poll(), so many clients at once. An
 * ordinary POSIX program; on Aerie it runs where its grant names the
 * TCP port (boot.conf grant=net:tcp:7, or a container spec ports=tcp:7).
 *
 * usage: tcpecho [PORT]      (default 7)
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define BUF 16384

struct client {
    int fd;
    size_t have, sent;            /* bytes in buf, and of those already echoed */
    char buf[BUF];
};

static struct client clients[MAX_CLIENTS];
static struct pollfd pfd[MAX_CLIENTS + 1];
static unsigned long served;

static void drop(struct client *c)
{
    close(c->fd);
    c->fd = -1;
}

/* Echoes what is buffered; reads more when it is all out. */
static void serve(struct client *c, short revents)
{
    for (;;) {
        if (c->sent < c->have) {
            ssize_t n = write(c->fd, c->buf + c->sent, c->have - c->sent);
            if (n < 0 && errno != EAGAIN) {
                drop(c);
                return;
            }
            c->sent += n > 0 ? (size_t)n : 0;
            if (c->sent < c->have)
                return;                           /* the socket is full: wait for POLLOUT */
            c->have = c->sent = 0;
        }
        if (!(revents & (POLLIN | POLLHUP | POLLERR | POLLOUT)))
            return;
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n > 0) {
            c->have = (size_t)n;
            continue;
        }
        if (n == 0 || errno != EAGAIN)
            drop(c);                              /* the client is done (or gone): so are we */
        return;
    }
}

static void take(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0)
            return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        unsigned i = 0;
        while (i < MAX_CLIENTS && clients[i].fd >= 0)
            i++;
        if (i == MAX_CLIENTS) {
            close(fd);
            continue;
        }
        clients[i].fd = fd;
        clients[i].have = clients[i].sent = 0;
        if (++served == 1)
            printf("tcpecho: first connection\n");
    }
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 7;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "tcpecho: bad port '%s'\n", argv[1]);
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) {
        fprintf(stderr, "tcpecho: socket: %s\n", strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (bind(lfd, (struct sockaddr *)&me, sizeof me) < 0 || listen(lfd, SOMAXCONN) < 0) {
        fprintf(stderr, "tcpecho: port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    printf("tcpecho: ready on TCP port %ld\n", port);
    for (;;) {
        nfds_t n = 0;
        unsigned idx[MAX_CLIENTS];
        pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
        for (unsigned i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd < 0)
                continue;
            idx[n - 1] = i;
            pfd[n++] = (struct pollfd){ clients[i].fd, clients[i].sent < clients[i].have ? POLLOUT : POLLIN, 0 };
        }
        if (poll(pfd, n, -1) < 0) {
            fprintf(stderr, "tcpecho: poll: %s\n", strerror(errno));
            return 1;
        }
        for (nfds_t k = 1; k < n; k++)
            if (pfd[k].revents)
                serve(&clients[idx[k - 1]], pfd[k].revents);
        if (pfd[0].revents & POLLIN)
            take(lfd);
    }
}
