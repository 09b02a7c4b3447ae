/*
 * udpping.c — a UDP echo client: sends COUNT numbered datagrams to an echo
 * server one after another, each sent again every RESEND ms until its own
 * echo comes back, and reports how long the longest one waited. The
 * restart test (tests/restart/) runs it while the net service is killed
 * under it: a datagram in flight may be lost, the next one must be answered.
 * It is an ordinary POSIX program.
 *
 * usage: udpping ADDRESS PORT [COUNT [GAP_MS [RESEND_MS [GIVE_UP_S]]]]
 *        (defaults: 100 datagrams, 5 ms apart, sent again every 20 ms,
 *        given up after 10 s without the echo: exit status 1)
 * Last line: "udpping: N answered, R sent again, longest wait W us, median M us"
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Waits up to ms for the echo of datagram seq; 1 when it came, 0 on
 * timeout, -1 on an error (printed). Older echoes are skipped. */
static int await_echo(int fd, unsigned seq, int ms)
{
    uint64_t end = now_us() + (uint64_t)ms * 1000u;
    for (;;) {
        uint64_t t = now_us();
        if (t >= end)
            return 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, (int)((end - t + 999) / 1000));
        if (r < 0 && errno != EINTR) {
            printf("udpping: poll: %s\n", strerror(errno));
            return -1;
        }
        if (r <= 0)
            continue;
        char buf[64];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            printf("udpping: recv: %s\n", strerror(errno));
            return -1;
        }
        buf[n] = 0;
        if (!strncmp(buf, "ping ", 5) && strtoul(buf + 5, NULL, 10) == seq)
            return 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: udpping ADDRESS PORT [COUNT [GAP_MS [RESEND_MS [GIVE_UP_S]]]]\n");
        return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "udpping: bad address '%s'\n", argv[1]);
        return 2;
    }
    unsigned count = argc > 3 ? (unsigned)atoi(argv[3]) : 100;
    int gap = argc > 4 ? atoi(argv[4]) : 5, resend = argc > 5 ? atoi(argv[5]) : 20;
    uint64_t give_up = (argc > 6 ? (uint64_t)atoi(argv[6]) : 10) * 1000000u;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        printf("udpping: socket: %s\n", strerror(errno));
        return 1;
    }
    static uint64_t waits[100000];
    if (count < 1 || count > sizeof waits / sizeof waits[0])
        count = 100;
    unsigned again = 0;
    for (unsigned seq = 1; seq <= count; seq++) {
        char msg[32];
        int len = snprintf(msg, sizeof msg, "ping %u", seq);
        uint64_t t0 = now_us();
        int got = 0;
        for (unsigned tries = 0; !got; tries++) {
            if (now_us() - t0 > give_up) {
                printf("udpping: no echo of datagram %u in %lu s (sent %u times)\n", seq,
                       (unsigned long)(give_up / 1000000u), tries);
                return 1;
            }
            if (tries)
                again++;
            if (sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof to) < 0 && errno != EAGAIN)
                printf("udpping: sendto (datagram %u): %s\n", seq, strerror(errno));   /* and again */
            if ((got = await_echo(fd, seq, resend)) < 0)
                return 1;
        }
        waits[seq - 1] = now_us() - t0;
        if (gap > 0)
            usleep((unsigned)gap * 1000u);
    }
    qsort(waits, count, sizeof waits[0], cmp_u64);
    printf("udpping: %u answered, %u sent again, longest wait %lu us, median %lu us\n", count, again,
           (unsigned long)waits[count - 1], (unsigned long)waits[count / 2]);
    return 0;
}
