/*
 * udprecv.c — the host half of `make bench-net`: the receiver that counts
 * the guest's UDP datagrams (bench/aerie/udpbench.c sends them).
 *
 * It binds a UDP socket on 127.0.0.1 and, for each stream count, sends
 * "start RUN STREAMS SECONDS" from it to the guest's control port (a QEMU
 * port forward), repeating until the guest answers "ok RUN". The guest
 * then streams 1472-byte datagrams back to this socket (QEMU user
 * networking delivers what the guest sends to 10.0.2.2:PORT to
 * 127.0.0.1:PORT) and ends with "done RUN SENT ERRORS NS". Rates are
 * counted here, at the receiver: datagrams of this run received, over
 * the time from the first to the last one. Payload bits only (1472 bytes
 * a datagram): no UDP, IP or Ethernet headers.
 *
 * Prints, per stream count N:
 *     SAMPLE udp_bw aerie mbit streams=N <value> Mbit/s
 *     SAMPLE udp_bw aerie pps streams=N <value> pps
 * and a summary table.
 *
 * usage: udprecv -c CTRL_PORT [-s 1,2,4,8] [-t SECONDS] [-w BOOT_WAIT_SECONDS] [-n NAME]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD     1472
#define MAGIC       0x31425541u          /* "AUB1", apps/udpsend/sender.h */
#define MAX_RUNS    16
#define MAX_STREAMS 16
#define BATCH       64

struct run {
    unsigned streams;
    uint64_t received, per_stream[MAX_STREAMS], bad;
    double first, last;
    uint64_t guest_sent, guest_errors, guest_ns;
    int done;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "udprecv: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* One datagram: a data datagram of run r (counted) or a control reply. */
static void take(struct run *runs, unsigned nruns, unsigned cur, const unsigned char *b, size_t n,
                 double t, unsigned *acked)
{
    uint32_t h[4];
    if (n == PAYLOAD) {
        memcpy(h, b, sizeof h);
        if (h[0] != MAGIC || h[1] < 1 || h[1] > nruns) {
            runs[cur].bad++;
            return;
        }
        struct run *r = &runs[h[1] - 1];
        if (!r->received)
            r->first = t;
        r->last = t;
        r->received++;
        if (h[2] < MAX_STREAMS)
            r->per_stream[h[2]]++;
        return;
    }
    char text[128];
    size_t k = n < sizeof text - 1 ? n : sizeof text - 1;
    memcpy(text, b, k);
    text[k] = 0;
    unsigned long run;
    unsigned long long sent, errors, ns;
    if (sscanf(text, "ok %lu", &run) == 1 && run == cur + 1)
        *acked = 1;
    else if (sscanf(text, "done %lu %llu %llu %llu", &run, &sent, &errors, &ns) == 4 && run >= 1 && run <= nruns) {
        runs[run - 1].guest_sent = sent;
        runs[run - 1].guest_errors = errors;
        runs[run - 1].guest_ns = ns;
        runs[run - 1].done = 1;
    }
}

/* Receives what is there for up to `wait` seconds. */
static void receive(int fd, struct run *runs, unsigned nruns, unsigned cur, double wait, unsigned *acked)
{
    static unsigned char bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct pollfd p = { fd, POLLIN, 0 };
    if (poll(&p, 1, (int)(wait * 1000)) <= 0)
        return;
    for (unsigned i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    double t = now();
    for (int i = 0; i < n; i++)
        take(runs, nruns, cur, bufs[i], msgs[i].msg_len, t, acked);
}

static void run_one(int fd, const struct sockaddr_in *guest, struct run *runs, unsigned nruns, unsigned cur,
                    unsigned seconds, double boot_wait)
{
    char cmd[64];
    int len = snprintf(cmd, sizeof cmd, "start %u %u %u", cur + 1, runs[cur].streams, seconds);
    unsigned acked = 0;
    double give_up = now() + boot_wait, next = 0;
    while (!acked && now() < give_up) {
        if (now() >= next) {
            sendto(fd, cmd, (size_t)len, 0, (const struct sockaddr *)guest, sizeof *guest);
            next = now() + 1.0;
        }
        receive(fd, runs, nruns, cur, 0.1, &acked);
    }
    if (!acked) {
        fprintf(stderr, "udprecv: the guest never answered run %u\n", cur + 1);
        exit(1);
    }
    double end = now() + seconds + 30, quiet_since = 0;
    while (now() < end) {
        uint64_t before = runs[cur].received;
        receive(fd, runs, nruns, cur, 0.2, &acked);
        if (runs[cur].done) {                     /* stop once late datagrams stop coming */
            if (runs[cur].received != before)
                quiet_since = 0;
            else if (!quiet_since)
                quiet_since = now();
            else if (now() - quiet_since > 0.5)
                break;
        } else if (now() - next > seconds + 2) {
            sendto(fd, cmd, (size_t)len, 0, (const struct sockaddr *)guest, sizeof *guest);  /* ask for "done" again */
            next = now();
        }
    }
}

int main(int argc, char **argv)
{
    int ctrl = 0, opt;
    unsigned seconds = 10, nruns = 0;
    double boot_wait = 120;
    const char *name = "aerie", *list = "1,2,4,8";
    while ((opt = getopt(argc, argv, "c:s:t:w:n:")) != -1) {
        switch (opt) {
        case 'c': ctrl = atoi(optarg); break;
        case 's': list = optarg; break;
        case 't': seconds = (unsigned)atoi(optarg); break;
        case 'w': boot_wait = atof(optarg); break;
        case 'n': name = optarg; break;
        default:
            fprintf(stderr, "usage: udprecv -c CTRL_PORT [-s 1,2,4,8] [-t SECONDS] [-w BOOT_WAIT] [-n NAME]\n");
            return 2;
        }
    }
    struct run runs[MAX_RUNS] = { 0 };
    for (char *p = (char *)list; *p && nruns < MAX_RUNS; p++) {
        unsigned long n = strtoul(p, &p, 10);
        if (n < 1 || n > MAX_STREAMS || (*p && *p != ',')) {
            fprintf(stderr, "udprecv: bad stream list '%s'\n", list);
            return 2;
        }
        runs[nruns++].streams = (unsigned)n;
        if (!*p)
            break;
    }
    if (ctrl < 1 || ctrl > 65535 || seconds < 1 || nruns == 0) {
        fprintf(stderr, "udprecv: need -c CTRL_PORT, SECONDS >= 1 and stream counts\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = { htonl(INADDR_LOOPBACK) } };
    int big = 16 << 20;
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in guest = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ctrl),
                                 .sin_addr = { htonl(INADDR_LOOPBACK) } };
    for (unsigned i = 0; i < nruns; i++) {
        run_one(fd, &guest, runs, nruns, i, seconds, i ? 30 : boot_wait);
        struct run *r = &runs[i];
        double span = r->received > 1 ? r->last - r->first : 0;
        double mbit = span > 0 ? (double)r->received * PAYLOAD * 8 / span / 1e6 : 0;
        double pps = span > 0 ? (double)r->received / span : 0;
        printf("SAMPLE udp_bw %s mbit streams=%u %.1f Mbit/s\n", name, r->streams, mbit);
        printf("SAMPLE udp_bw %s pps streams=%u %.0f pps\n", name, r->streams, pps);
        printf("udprecv: streams=%u received %lu of %lu sent (%.2f%% lost) over %.2f s; per stream:",
               r->streams, (unsigned long)r->received, (unsigned long)r->guest_sent,
               r->guest_sent ? 100.0 * (double)(r->guest_sent - (r->received < r->guest_sent ? r->received : r->guest_sent)) /
                                   (double)r->guest_sent : 0.0,
               span);
        for (unsigned s = 0; s < r->streams && s < MAX_STREAMS; s++)
            printf(" %lu", (unsigned long)r->per_stream[s]);
        printf("\n");
        fflush(stdout);
    }
    sendto(fd, "quit", 4, 0, (struct sockaddr *)&guest, sizeof guest);
    printf("\nUDP bandwidth, %s, 1472-byte payloads, %u s per run, counted at the host receiver:\n", name, seconds);
    printf("%8s %12s %12s %12s %12s\n", "streams", "Mbit/s", "pps", "received", "guest sent");
    for (unsigned i = 0; i < nruns; i++) {
        struct run *r = &runs[i];
        double span = r->received > 1 ? r->last - r->first : 0;
        printf("%8u %12.1f %12.0f %12lu %12lu\n", r->streams,
               span > 0 ? (double)r->received * PAYLOAD * 8 / span / 1e6 : 0.0,
               span > 0 ? (double)r->received / span : 0.0, (unsigned long)r->received,
               (unsigned long)r->guest_sent);
    }
    return 0;
}
