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
    else
        fprintf(stderr, "usage: grantprobe read PATH | write PATH TEXT | bind PORT | listen PORT | "
                "connect IP PORT\n");
    if (e)
        printf("%s: %s\n", argc > 1 ? argv[1] : "grantprobe", strerror(e));
    return e;
}
