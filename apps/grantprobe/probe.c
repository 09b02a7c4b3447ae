/*
 * grantprobe — a container program that tries one granted thing and
 * reports how it went in its exit status: 0 when it worked, else the
 * errno (EACCES when the grant is missing). The container manager's tests
 * (tests/cm/cmtest.c) run it with and without fs and net grants.
 *
 *   grantprobe read PATH          prints the file
 *   grantprobe write PATH TEXT    creates PATH with TEXT and reads it back
 *   grantprobe bind PORT          binds a UDP socket to PORT
 *   grantprobe listen PORT        listens on TCP port PORT (and finds nobody to accept)
 *   grantprobe connect IP PORT    connects over TCP (ECONNREFUSED: allowed, nobody listened)
 *   grantprobe fill PATH          writes PATH until a write fails, prints how
 *                                 much went in (its files come from its own quota)
 *   grantprobe names DIR          creates files of 200-byte names in DIR until a
 *                                 create (or its close) fails, prints how many: the
 *                                 fs service's metadata for them is its own memory
 *   grantprobe steady PORT ROUNDS a neighbour: writes a file and binds PORT, then
 *                                 ROUNDS times (20 ms apart) reads the file back and
 *                                 sends itself a datagram through the net service,
 *                                 logging each round; any failure ends it with errno
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int probe_read(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = n < 0 ? errno : 0;
    close(fd);
    if (e)
        return e;
    buf[n] = 0;
    printf("read %s: %s", path, buf);
    return 0;
}

static int probe_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return errno;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
    close(fd);
    return e ? e : probe_read(path);
}

static int probe_fill(const char *path)
{
    static char buf[16384];
    memset(buf, 'f', sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return errno;
    unsigned long total = 0;
    ssize_t n;
    while ((n = write(fd, buf, sizeof buf)) > 0 && total < (256ul << 20))
        total += (unsigned long)n;
    int e = n < 0 ? errno : EFBIG;
    close(fd);
    printf("filled %lu bytes\n", total);
    return e;
}

static int probe_names(const char *dir)
{
    char path[300];
    if (mkdir(dir, 0755) && errno != EEXIST)
        return errno;
    unsigned long n = 0;
    int e = 0;
    /* Said now: stdio's buffer is a page its memory must have before the
     * names fill it (a touch it cannot pay for then would be a fault). */
    printf("names in %s\n", dir);
    fflush(stdout);
    while (!e && n < 100000) {
        int len = snprintf(path, sizeof path, "%s/", dir);
        memset(path + len, 'n', 200);
        snprintf(path + len + 190, 11, "%010lu", n);
        /* fstat before close: a create queued behind the open (docs/FS.md,
         * "Creates that do not wait") tells its failure at the next look
         * at its handle, and a close alone would not ask. */
        struct stat st;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            e = errno;
        else if (fstat(fd, &st))
            e = errno, close(fd);
        else if (close(fd))
            e = errno;
        else
            n++;
    }
    printf("made %lu names\n", n);
    return e;
}

static int probe_bind(const char *port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    int e = bind(s, (struct sockaddr *)&a, sizeof a) ? errno : 0;
    close(s);
    if (!e)
        printf("bound port %s\n", port);
    return e;
}

static int probe_listen(const char *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    int e = bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 4) ? errno : 0;
    if (!e && (accept(s, NULL, NULL) >= 0 || errno != EAGAIN))
        e = EPROTO;                               /* nobody connected: accept must say "not now" */
    close(s);
    if (!e)
        printf("listening on TCP port %s\n", port);
    return e;
}

static int probe_connect(const char *ip, const char *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    inet_pton(AF_INET, ip, &a.sin_addr);
    int e = connect(s, (struct sockaddr *)&a, sizeof a) ? errno : 0;
    close(s);
    if (!e)
        printf("connected to %s:%s\n", ip, port);
    return e;
}

/* One round of the neighbour: its file reads back, its socket echoes. */
static int steady_round(int s, const struct sockaddr_in *self, int round)
{
    char buf[64], want[64];
    int fd = open("/steady", O_RDONLY);
    if (fd < 0)
        return errno;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n != 6 || memcmp(buf, "steady", 6))
        return EIO;
    int len = snprintf(want, sizeof want, "round %d", round);
    if (sendto(s, want, (size_t)len, 0, (const struct sockaddr *)self, sizeof *self) != len)
        return errno ? errno : EIO;
    n = recv(s, buf, sizeof buf, 0);
    if (n != len || memcmp(buf, want, (size_t)len))
        return n < 0 ? errno : EIO;
    printf("%s ok\n", want);
    return 0;
}

static int probe_steady(const char *port, const char *rounds)
{
    int fd = open("/steady", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "steady", 6) != 6)
        return errno ? errno : EIO;
    close(fd);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
                             .sin_addr.s_addr = htonl(0x0a00020f) };       /* 10.0.2.15: us */
    if (bind(s, (struct sockaddr *)&a, sizeof a))
        return errno;
    int e = 0;
    for (int r = 1; r <= atoi(rounds) && !e; r++) {
        e = steady_round(s, &a, r);
        usleep(20000);
    }
    close(s);
    return e;
}

int main(int argc, char **argv)
{
    int e = EINVAL;
    if (argc == 3 && !strcmp(argv[1], "read"))
        e = probe_read(argv[2]);
    else if (argc == 4 && !strcmp(argv[1], "write"))
        e = probe_write(argv[2], argv[3]);
    else if (argc == 3 && !strcmp(argv[1], "bind"))
        e = probe_bind(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "listen"))
        e = probe_listen(argv[2]);
    else if (argc == 4 && !strcmp(argv[1], "connect"))
        e = probe_connect(argv[2], argv[3]);
    else if (argc == 3 && !strcmp(argv[1], "fill"))
        e = probe_fill(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "names"))
        e = probe_names(argv[2]);
    else if (argc == 4 && !strcmp(argv[1], "steady"))
        e = probe_steady(argv[2], argv[3]);
    else
        fprintf(stderr, "usage: grantprobe read PATH | write PATH TEXT | bind PORT | listen PORT | "
                "connect IP PORT | fill PATH | names DIR | steady PORT ROUNDS\n");
    if (e)
        printf("%s: %s\n", argc > 1 ? argv[1] : "grantprobe", strerror(e));
    return e;
}
