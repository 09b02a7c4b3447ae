/*
 * udpsend.c — sends 1472-byte UDP datagrams to a receiver for a fixed
 * time from N threads (one socket each), then prints what it sent. The
 * receiver is any UDP sink; tools/udpsink counts these datagrams per
 * stream (sender.h has their header).
 *
 * usage: udpsend ADDRESS PORT [SECONDS [THREADS [FIRST_LOCAL_PORT]]]
 *        (defaults: 10 seconds, 1 thread, any granted local port)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sender.h"

int main(int argc, char **argv)
{
    struct in_addr a;
    if (argc < 3 || inet_pton(AF_INET, argv[1], &a) != 1) {
        fprintf(stderr, "usage: udpsend ADDRESS PORT [SECONDS [THREADS [FIRST_LOCAL_PORT]]]\n");
        return 2;
    }
    long port = strtol(argv[2], NULL, 10), secs = argc > 3 ? strtol(argv[3], NULL, 10) : 10;
    long threads = argc > 4 ? strtol(argv[4], NULL, 10) : 1, local = argc > 5 ? strtol(argv[5], NULL, 10) : 0;
    if (port < 1 || port > 65535 || secs < 1 || threads < 1 || threads > SENDER_MAX_STREAMS ||
        local < 0 || local + threads > 65536) {
        fprintf(stderr, "udpsend: bad arguments\n");
        return 2;
    }
    struct sender_result r;
    if (send_streams(ntohl(a.s_addr), (uint16_t)port, (unsigned)secs, (unsigned)threads, (uint16_t)local,
                     SENDER_MAGIC, 0, &r)) {
        fprintf(stderr, "udpsend: %s\n", strerror(errno));
        return 1;
    }
    double s = (double)r.ns / 1e9;
    printf("udpsend: %lu datagrams of %d bytes in %.2f s from %ld threads: %.1f Mbit/s, %.0f pps offered; %lu failed\n",
           r.sent, SENDER_PAYLOAD, s, threads, (double)r.sent * SENDER_PAYLOAD * 8 / s / 1e6, (double)r.sent / s,
           r.errors);
    return 0;
}
