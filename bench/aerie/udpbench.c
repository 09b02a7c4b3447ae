/*
 * udpbench.c — the guest half of `make bench-net`: UDP bandwidth with
 * 1472-byte payloads from 1..N sender threads to a receiver on the host
 * (tools/udprecv.c, which counts). It waits on UDP port 7000 (forwarded
 * from the host) for
 *     start RUN STREAMS SECONDS
 * answers "ok RUN", sends from STREAMS threads (local ports 7001...) to
 * the address and port the command came from — the host, 10.0.2.2 in
 * QEMU user networking — for SECONDS, then reports
 *     done RUN SENT ERRORS NANOSECONDS
 * to the same place. "quit" ends it. A repeated start of the run just
 * done is answered again without sending (the host retries lost ones).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sender.h"

#define CTRL_PORT 7000

/* "start RUN STREAMS SECONDS" -> the three numbers; false if it is not one. */
static bool parse_start(const char *s, unsigned long v[3])
{
    if (strncmp(s, "start ", 6))
        return false;
    char *end = (char *)s + 5;
    for (int i = 0; i < 3; i++) {
        if (*end != ' ')
            return false;
        v[i] = strtoul(end + 1, &end, 10);
    }
    return *end == 0 && v[0] && v[1] >= 1 && v[1] <= SENDER_MAX_STREAMS && v[2] >= 1 && v[2] <= 600;
}

int main(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(CTRL_PORT) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        fprintf(stderr, "udpbench: cannot bind port %d: %s\n", CTRL_PORT, strerror(errno));
        return 1;
    }
    printf("udpbench: ready on port %d\n", CTRL_PORT);
    unsigned long last_run = 0;
    char done[96] = "";
    for (;;) {
        char cmd[64];
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, cmd, sizeof cmd - 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            continue;
        cmd[n] = 0;
        unsigned long v[3];
        if (!strcmp(cmd, "quit"))
            return 0;
        if (!parse_start(cmd, v))
            continue;
        char ok[32];
        int len = snprintf(ok, sizeof ok, "ok %lu", v[0]);
        sendto(fd, ok, (size_t)len, 0, (struct sockaddr *)&from, flen);
        if (v[0] != last_run) {
            struct sender_result r;
            if (send_streams(ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), (unsigned)v[2], (unsigned)v[1],
                             CTRL_PORT + 1, SENDER_MAGIC, (uint32_t)v[0], &r) < 0) {
                fprintf(stderr, "udpbench: run %lu: %s\n", v[0], strerror(errno));
                r = (struct sender_result){ 0 };
            }
            last_run = v[0];
            snprintf(done, sizeof done, "done %lu %lu %lu %lu", v[0], r.sent, r.errors, r.ns);
            printf("udpbench: run %lu, %lu streams: %lu datagrams sent in %lu ms, %lu failed\n", v[0], v[1], r.sent,
                   r.ns / 1000000, r.errors);
        }
        sendto(fd, done, strlen(done), 0, (struct sockaddr *)&from, flen);
    }
}
