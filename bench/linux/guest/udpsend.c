/*
 * udpsend.c — UDP send bandwidth of the Linux guest, the baseline for
 * Aerie's net service (experiment udp_bw in bench/README.md).
 *
 * For each stream count of --streams and each of --reps runs, N threads
 * each send 1472-byte datagrams from their own socket to 10.0.2.2 for
 * --seconds; tools/udpsink.c at the host end of the NIC counts what
 * arrives and prints the SAMPLE lines. The protocol is in bench/udp_wire.h.
 * This program prints only notes: what it sent, and what the sink reported.
 *
 * usage: udpsend [--host 10.0.2.2] [--streams 1,2,4,8] [--seconds T] [--reps R]
 */
#define _GNU_SOURCE
#include "bench.h"
#include "../../udp_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_STREAMS 64

static struct in_addr host;
static long seconds = 5;

struct stream {
    pthread_t th;
    uint32_t run, index;
    uint64_t sent, failed;
};

static int udp_socket_to(int port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        bench_die("socket: %s", strerror(errno));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = host };
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0)
        bench_die("connect to %s:%d: %s", inet_ntoa(host), port, strerror(errno));
    return s;
}

static void *stream_thread(void *p)
{
    struct stream *st = p;
    char buf[UDPW_PAYLOAD];
    struct udpw_header *h = (struct udpw_header *)buf;
    memset(buf, 0x5a, sizeof buf);
    *h = (struct udpw_header){ .magic = UDPW_MAGIC, .run = st->run, .stream = st->index };

    int s = udp_socket_to(UDPW_DATA_PORT);
    uint64_t end = bench_now_ns() + (uint64_t)(seconds + UDPW_MARGIN_S) * 1000000000u;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            h->seq = st->sent;
            if (send(s, buf, sizeof buf, 0) == (ssize_t)sizeof buf)
                st->sent++;
            else
                st->failed++;   /* ENOBUFS under load: counted, retried */
        }
        if (bench_now_ns() >= end)
            break;
    }
    close(s);
    return NULL;
}

/* Sends msg on the control socket until a reply starting with `want` comes. */
static void control(int s, const char *msg, const char *want, char *reply, size_t len)
{
    for (int tries = 0; tries < 40; tries++) {
        if (send(s, msg, strlen(msg), 0) < 0)
            bench_note("control send: %s", strerror(errno));
        ssize_t n = recv(s, reply, len - 1, 0);
        if (n > 0) {
            reply[n] = 0;
            if (strncmp(reply, want, strlen(want)) == 0)
                return;
        }
    }
    bench_die("no '%s' from the UDP sink at %s:%d after 40 tries of '%s'"
              " (is tools/udpsink on the other end of --netwire?)",
              want, inet_ntoa(host), UDPW_CTRL_PORT, msg);
}

static void run_once(int ctl, uint32_t run, int nstreams)
{
    static struct stream st[MAX_STREAMS];
    char msg[128], want[64], reply[256];

    snprintf(msg, sizeof msg, "BEGIN run=%u streams=%d seconds=%ld", run, nstreams, seconds);
    snprintf(want, sizeof want, "READY run=%u", run);
    control(ctl, msg, want, reply, sizeof reply);

    for (int i = 0; i < nstreams; i++) {
        st[i] = (struct stream){ .run = run, .index = (uint32_t)i };
        int err = pthread_create(&st[i].th, NULL, stream_thread, &st[i]);
        if (err)
            bench_die("pthread_create: %s", strerror(err));
    }
    uint64_t sent = 0, failed = 0;
    for (int i = 0; i < nstreams; i++) {
        pthread_join(st[i].th, NULL);
        sent += st[i].sent;
        failed += st[i].failed;
    }
    snprintf(msg, sizeof msg, "END run=%u", run);
    snprintf(want, sizeof want, "RESULT run=%u", run);
    control(ctl, msg, want, reply, sizeof reply);
    bench_note("streams=%d run=%u: sent %llu datagrams in %ld+%d s (%llu sends failed); sink: %s",
               nstreams, run, (unsigned long long)sent, seconds, UDPW_MARGIN_S,
               (unsigned long long)failed, reply);
}

int main(int argc, char **argv)
{
    struct bench_list streams = { .v = { 1, 2, 4, 8 }, .n = 4 };
    long reps = 3;
    const char *hostname = "10.0.2.2";

    bench_init(argv[0]);
    if (argc % 2 == 0)
        bench_die("options come in pairs: --name value");
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--host") == 0) hostname = v;
        else if (strcmp(o, "--streams") == 0) bench_parse_list(o, v, &streams);
        else if (strcmp(o, "--seconds") == 0) seconds = bench_parse_long(o, v, 1, 3600);
        else if (strcmp(o, "--reps") == 0) reps = bench_parse_long(o, v, 1, 1000);
        else bench_die("unknown option %s", o);
    }
    if (inet_pton(AF_INET, hostname, &host) != 1)
        bench_die("--host wants an IPv4 address, not '%s'", hostname);
    for (int i = 0; i < streams.n; i++)
        if (streams.v[i] < 1 || streams.v[i] > MAX_STREAMS)
            bench_die("--streams values must be 1..%d", MAX_STREAMS);

    int ctl = udp_socket_to(UDPW_CTRL_PORT);
    struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
    setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    /* Runs are numbered from the clock so that a rerun in the same boot
     * never reuses a number the sink has seen. */
    uint32_t run = (uint32_t)(bench_now_ns() / 1000000u);
    for (int i = 0; i < streams.n; i++)
        for (long r = 0; r < reps; r++)
            run_once(ctl, run++, (int)streams.v[i]);
    close(ctl);
    return 0;
}
