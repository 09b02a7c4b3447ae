/*
 * tcploop — a container program for TCP to ourselves (the net service's
 * loopback, docs/NET.md): tests/net/tcptest.c runs it in containers with
 * different grants. Like grantprobe it reports in its exit status: 0 when
 * it went as it should, else the errno it met (EPROTO: wrong data).
 *
 *   tcploop echo IP PORT BYTES    listens on PORT, connects to IP:PORT and
 *                                 sends BYTES each way at once (hashes
 *                                 checked), checks both ends' names, closes
 *   tcploop serve PORT            accepts one connection and echoes it to
 *                                 its end: 0 at EOF, ECONNRESET if reset
 *   tcploop client IP PORT BYTES  sends BYTES to an echo server, checks they
 *                                 come back (retries while nobody listens)
 *   tcploop refused IP PORT       connect must fail with ECONNREFUSED within 3 s
 *   tcploop flood PORT HOLD       listens on PORT and connects to itself until
 *                                 refused, never accepting; holds all HOLD s
 *   tcploop stall PORT            a connection to itself whose reader never
 *                                 reads: writes must stop (EAGAIN), bounded
 *   tcploop hold IP PORT          connects, sends a line, then sleeps (to be killed)
 *   tcploop name IP PORT          binds IP:PORT and listens: getsockname must say
 *                                 IP:PORT after each (EADDRNOTAVAIL if not)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    if (ip)
        inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int listener(const char *port, int backlog)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr_of(NULL, port);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, backlog))
        return -errno;
    return s;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The byte at position i of the stream `seed` sends. */
static uint8_t byte_at(uint32_t seed, uint64_t i)
{
    uint32_t x = (uint32_t)(i / 4) * 2654435761u ^ seed;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    return (uint8_t)(x >> (8 * (i % 4)));
}

/* Sends `total` bytes of stream seed on fd while checking that the
 * `expect` bytes read from rd are stream rseed: both non-blocking, driven
 * by poll. 0, the errno, or EPROTO for a wrong byte. */
static int pump(int fd, uint32_t seed, uint64_t total, int rd, uint32_t rseed, uint64_t expect)
{
    uint64_t sent = 0, got = 0, last = now_ms();
    uint8_t buf[8192];
    while (sent < total || got < expect) {
        struct pollfd p[2] = { { fd, sent < total ? POLLOUT : 0, 0 }, { rd, got < expect ? POLLIN : 0, 0 } };
        if (poll(p, 2, 1000) < 0)
            return errno;
        if (now_ms() - last > 20000)
            return ETIMEDOUT;
        if (sent < total && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            size_t n = total - sent < sizeof buf ? (size_t)(total - sent) : sizeof buf;
            for (size_t k = 0; k < n; k++)
                buf[k] = byte_at(seed, sent + k);
            ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN)
                return errno;
            if (w > 0) {
                sent += (uint64_t)w;
                last = now_ms();
            }
        }
        if (got < expect && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
            ssize_t r = recv(rd, buf, sizeof buf, 0);
            if (r < 0 && errno != EAGAIN)
                return errno;
            if (r == 0)
                return EPIPE;                    /* EOF before everything came */
            for (ssize_t k = 0; k < r; k++)
                if (buf[k] != byte_at(rseed, got + (uint64_t)k))
                    return EPROTO;
            if (r > 0) {
                got += (uint64_t)r;
                last = now_ms();
            }
        }
    }
    return 0;
}

static int connect_retry(const struct sockaddr_in *a)
{
    uint64_t until = now_ms() + 10000;
    for (;;) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0)
            return -errno;
        if (!connect(s, (const struct sockaddr *)a, sizeof *a))
            return s;
        int e = errno;
        close(s);
        if (e != ECONNREFUSED || now_ms() > until)
            return -e;
        usleep(20000);
    }
}

static int do_echo(const char *ip, const char *port, const char *bytes)
{
    uint64_t n = strtoull(bytes, NULL, 0);
    int l = listener(port, 4);
    if (l < 0)
        return -l;
    struct sockaddr_in a = addr_of(ip, port), cname, sname, speer, cpeer;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
        return errno;
    int sv = accept(l, NULL, NULL);
    if (sv < 0)
        return errno;
    socklen_t len = sizeof cname;
    getsockname(c, (struct sockaddr *)&cname, &len);
    len = sizeof cpeer;
    getpeername(c, (struct sockaddr *)&cpeer, &len);
    len = sizeof sname;
    getsockname(sv, (struct sockaddr *)&sname, &len);
    len = sizeof speer;
    getpeername(sv, (struct sockaddr *)&speer, &len);
    char ca[20], sa[20];
    inet_ntop(AF_INET, &cname.sin_addr, ca, sizeof ca);
    inet_ntop(AF_INET, &sname.sin_addr, sa, sizeof sa);
    printf("client %s:%u server %s:%u\n", ca, ntohs(cname.sin_port), sa, ntohs(sname.sin_port));
    /* what each end calls itself, the other calls it */
    if (cname.sin_addr.s_addr != speer.sin_addr.s_addr || cname.sin_port != speer.sin_port ||
        sname.sin_addr.s_addr != cpeer.sin_addr.s_addr || sname.sin_port != cpeer.sin_port ||
        sname.sin_addr.s_addr != a.sin_addr.s_addr || sname.sin_port != a.sin_port)
        return EADDRNOTAVAIL;
    set_nonblock(c);
    set_nonblock(sv);
    /* both ways at once: client -> server stream 1, server -> client stream 2 */
    uint64_t sent_c = 0;
    int e = 0;
    {
        /* two pumps interleaved by one poll loop: each end sends and reads */
        uint64_t sent_s = 0, got_s = 0, got_c = 0, last = now_ms();
        uint8_t buf[8192];
        while (!e && (sent_c < n || sent_s < n || got_s < n || got_c < n)) {
            struct pollfd p[2] = { { c, (short)((sent_c < n ? POLLOUT : 0) | (got_c < n ? POLLIN : 0)), 0 },
                                   { sv, (short)((sent_s < n ? POLLOUT : 0) | (got_s < n ? POLLIN : 0)), 0 } };
            if (poll(p, 2, 1000) < 0)
                return errno;
            if (now_ms() - last > 20000)
                return ETIMEDOUT;
            int fds[2] = { c, sv };
            uint64_t *sent[2] = { &sent_c, &sent_s }, *got[2] = { &got_c, &got_s };
            for (int k = 0; k < 2 && !e; k++) {
                uint32_t out_seed = k ? 2 : 1, in_seed = k ? 1 : 2;
                if (*sent[k] < n && (p[k].revents & POLLOUT)) {
                    size_t m = n - *sent[k] < sizeof buf ? (size_t)(n - *sent[k]) : sizeof buf;
                    for (size_t q = 0; q < m; q++)
                        buf[q] = byte_at(out_seed, *sent[k] + q);
                    ssize_t w = send(fds[k], buf, m, MSG_NOSIGNAL);
                    if (w > 0) {
                        *sent[k] += (uint64_t)w;
                        last = now_ms();
                    } else if (w < 0 && errno != EAGAIN) {
                        e = errno;
                    }
                }
                if (*got[k] < n && (p[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                    ssize_t r = recv(fds[k], buf, sizeof buf, 0);
                    if (r == 0)
                        e = EPIPE;
                    else if (r < 0 && errno != EAGAIN)
                        e = errno;
                    for (ssize_t q = 0; q < r; q++)
                        if (buf[q] != byte_at(in_seed, *got[k] + (uint64_t)q))
                            e = EPROTO;
                    if (r > 0) {
                        *got[k] += (uint64_t)r;
                        last = now_ms();
                    }
                }
            }
        }
    }
    if (e)
        return e;
    /* the client closes: the server reads EOF */
    close(c);
    uint64_t until = now_ms() + 5000;
    char b;
    ssize_t r;
    while ((r = recv(sv, &b, 1, 0)) < 0 && errno == EAGAIN && now_ms() < until)
        usleep(5000);
    if (r != 0)
        return r < 0 ? errno : EPROTO;
    close(sv);
    close(l);
    printf("echoed %llu bytes each way over %s\n", (unsigned long long)n, ip);
    return 0;
}

static int do_serve(const char *port)
{
    int l = listener(port, 4);
    if (l < 0)
        return -l;
    printf("serving on %s\n", port);
    fflush(stdout);
    int c = accept(l, NULL, NULL);
    if (c < 0)
        return errno;
    char buf[8192];
    uint64_t total = 0;
    for (;;) {
        ssize_t r = recv(c, buf, sizeof buf, 0);
        if (r == 0)
            break;
        if (r < 0) {
            int e = errno;
            printf("serve: %s after %llu bytes\n", strerror(e), (unsigned long long)total);
            return e;
        }
        total += (uint64_t)r;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = send(c, buf + off, (size_t)(r - off), MSG_NOSIGNAL);
            if (w < 0)
                return errno;
            off += w;
        }
    }
    printf("served %llu bytes to EOF\n", (unsigned long long)total);
    close(c);
    close(l);
    return 0;
}

static int do_client(const char *ip, const char *port, const char *bytes)
{
    struct sockaddr_in a = addr_of(ip, port);
    int s = connect_retry(&a);
    if (s < 0)
        return -s;
    set_nonblock(s);
    uint64_t n = strtoull(bytes, NULL, 0);
    int e = pump(s, 7, n, s, 7, n);
    if (!e)
        printf("client: %llu bytes came back\n", (unsigned long long)n);
    close(s);
    return e;
}

static int do_refused(const char *ip, const char *port)
{
    struct sockaddr_in a = addr_of(ip, port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return errno;
    uint64_t t0 = now_ms();
    int e = connect(s, (struct sockaddr *)&a, sizeof a) ? errno : 0;
    uint64_t ms = now_ms() - t0;
    close(s);
    printf("connect: %s after %llu ms\n", e ? strerror(e) : "connected", (unsigned long long)ms);
    if (e != ECONNREFUSED)
        return e ? e : EPROTO;
    return ms < 3000 ? 0 : ETIMEDOUT;
}

static int do_flood(const char *port, const char *hold)
{
    int l = listener(port, 4);
    if (l < 0)
        return -l;
    struct sockaddr_in a = addr_of("127.0.0.1", port);
    int made = 0, e = 0;
    for (int i = 0; i < 5000; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (s < 0) {
            e = errno;
            break;
        }
        if (connect(s, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS) {
            e = errno;
            close(s);
            break;
        }
        made++;
        if (i % 8 == 7)
            usleep(2000);                        /* let handshakes (and cookies) happen */
    }
    printf("flood: %d connections, then %s\n", made, strerror(e));
    fflush(stdout);
    sleep((unsigned)atoi(hold));                 /* hold everything while the neighbours work */
    return made > 0 && (e == ENOMEM || e == EAGAIN || e == ENOBUFS || e == EADDRNOTAVAIL || e == EMFILE) ? 0
         : e ? e : EPROTO;
}

static int do_stall(const char *port)
{
    int l = listener(port, 4);
    if (l < 0)
        return -l;
    struct sockaddr_in a = addr_of("127.0.0.1", port);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
        return errno;
    int sv = accept(l, NULL, NULL);            /* never read */
    if (sv < 0)
        return errno;
    set_nonblock(c);
    static char buf[16384];
    uint64_t total = 0;
    int quiet = 0;
    for (int i = 0; i < 2000 && quiet < 5; i++) {
        ssize_t w = send(c, buf, sizeof buf, MSG_NOSIGNAL);
        if (w > 0) {
            total += (uint64_t)w;
            quiet = 0;
            continue;
        }
        if (errno != EAGAIN)
            return errno;
        struct pollfd p = { c, POLLOUT, 0 };
        if (poll(&p, 1, 200) == 0)
            quiet++;                             /* no room came: the window stays shut */
    }
    printf("stall: %llu bytes taken, then EAGAIN\n", (unsigned long long)total);
    close(c);
    close(sv);
    close(l);
    return quiet >= 5 && total < 4u << 20 ? 0 : EPROTO;
}

static int do_hold(const char *ip, const char *port)
{
    struct sockaddr_in a = addr_of(ip, port);
    int s = connect_retry(&a);
    if (s < 0)
        return -s;
    if (send(s, "held\n", 5, 0) != 5)
        return errno;
    printf("holding a connection\n");
    fflush(stdout);
    for (;;)
        sleep(10);
}

/* Whether getsockname of s says a's address and port. */
static bool named(int s, const struct sockaddr_in *a)
{
    struct sockaddr_in n;
    socklen_t len = sizeof n;
    if (getsockname(s, (struct sockaddr *)&n, &len) || len != sizeof n || n.sin_family != AF_INET)
        return false;
    char got[20], want[20];
    inet_ntop(AF_INET, &n.sin_addr, got, sizeof got);
    inet_ntop(AF_INET, &a->sin_addr, want, sizeof want);
    printf("getsockname: %s:%u (bound to %s:%u)\n", got, ntohs(n.sin_port), want, ntohs(a->sin_port));
    return n.sin_addr.s_addr == a->sin_addr.s_addr && n.sin_port == a->sin_port;
}

static int do_name(const char *ip, const char *port)
{
    struct sockaddr_in a = addr_of(ip, port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a))
        return errno;
    if (!named(s, &a))
        return EADDRNOTAVAIL;
    if (listen(s, 4))
        return errno;
    if (!named(s, &a))
        return EADDRNOTAVAIL;
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    int e = EINVAL;
    const char *m = argc > 1 ? argv[1] : "";
    if (argc == 5 && !strcmp(m, "echo"))
        e = do_echo(argv[2], argv[3], argv[4]);
    else if (argc == 3 && !strcmp(m, "serve"))
        e = do_serve(argv[2]);
    else if (argc == 5 && !strcmp(m, "client"))
        e = do_client(argv[2], argv[3], argv[4]);
    else if (argc == 4 && !strcmp(m, "refused"))
        e = do_refused(argv[2], argv[3]);
    else if (argc == 4 && !strcmp(m, "flood"))
        e = do_flood(argv[2], argv[3]);
    else if (argc == 3 && !strcmp(m, "stall"))
        e = do_stall(argv[2]);
    else if (argc == 4 && !strcmp(m, "hold"))
        e = do_hold(argv[2], argv[3]);
    else if (argc == 4 && !strcmp(m, "name"))
        e = do_name(argv[2], argv[3]);
    else
        fprintf(stderr, "usage: tcploop echo|serve|client|refused|flood|stall|hold|name ...\n");
    if (e)
        printf("tcploop %s: %s\n", m, strerror(e));
    return e;
}
