/*
 * udpecho.c — a UDP echo server (RFC 862): every datagram that arrives
 * on the port goes back to its sender unchanged. It is an ordinary POSIX
 * program; on Aerie it runs wherever it was granted the port
 * (boot.conf grant=net:7, or a container spec).
 *
 * usage: udpecho [PORT]      (default 7)
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 7;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "udpecho: bad port '%s'\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        fprintf(stderr, "udpecho: socket: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr = { htonl(INADDR_ANY) } };
    if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        fprintf(stderr, "udpecho: bind to port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("udpecho: ready on port %ld\n", port);
    static char buf[65536];
    unsigned long echoed = 0;
    for (;;) {
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            fprintf(stderr, "udpecho: recvfrom: %s\n", strerror(errno));
            continue;
        }
        if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) < 0)
            fprintf(stderr, "udpecho: sendto %s:%u: %s\n", inet_ntoa(from.sin_addr), ntohs(from.sin_port),
                    strerror(errno));
        else if (++echoed == 1)
            printf("udpecho: first datagram echoed (%zd bytes from %s:%u)\n", n, inet_ntoa(from.sin_addr),
                   ntohs(from.sin_port));
    }
}
