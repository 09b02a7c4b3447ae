/*
 * udpwire.c — the Aerie half of make bench's udp_bw experiment: UDP send
 * bandwidth with 1472-byte payloads from 1, 2, 4 and 8 threads over the
 * --netwire NIC to tools/udpsink, the host 10.0.2.2 at the wire's other
 * end, speaking bench/udp_wire.h exactly as the Linux guest's
 * bench/linux/guest/udpsend.c does. The net service resolves 10.0.2.2
 * with ARP (udpsink answers); udpsink counts what arrives and prints the
 * SAMPLE lines, so this program prints only notes and the BENCH frame.
 *
 * It runs as a service with the ports net:7000-7016 (7000 for control,
 * 7001.. one per stream) and the kernel console (bench/aerie/udpwire.conf).
 * argv[1]: the plan, "quick" (2 s, one run per stream count) or "full"
 * (5 s, three runs), as bench/linux/init's.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "say.h"
#include "sender.h"
#include "../udp_wire.h"

#define HOST_IP    0x0A000202u          /* 10.0.2.2 */
#define CTRL_PORT  7000
#define TRIES      40

_Static_assert(sizeof(struct udpw_header) == sizeof(struct sender_hdr), "one header layout");
_Static_assert(UDPW_PAYLOAD == SENDER_PAYLOAD, "one payload size");

/* One line on the kernel console, where make bench reads the boot's log. */
static _Noreturn void fail(const char *what)
{
    say("BENCH ERROR udpwire: %s", what);
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 1);
    exit(1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends msg on the control socket, every 500 ms, until a reply starting
 * with want comes; reply receives it. Other replies (a late answer to an
 * earlier message) are skipped. */
static void control(int fd, const char *msg, const char *want, char *reply, size_t len)
{
    for (int tries = 0; tries < TRIES; tries++) {
        if (send(fd, msg, strlen(msg), 0) < 0)
            say("# udpwire: control send: %s", strerror(errno));
        int64_t deadline = now_ms() + 500;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        for (int64_t left = 500; left > 0; left = deadline - now_ms()) {
            if (poll(&p, 1, (int)left) <= 0)
                break;
            ssize_t n = recv(fd, reply, len - 1, 0);
            if (n > 0) {
                reply[n] = 0;
                if (!strncmp(reply, want, strlen(want)))
                    return;
            }
        }
    }
    char why[160];
    snprintf(why, sizeof why, "no '%s' from udpsink at 10.0.2.2:%d after %d tries of '%s'", want,
             UDPW_CTRL_PORT, TRIES, msg);
    fail(why);
}

static void run_once(int ctl, uint32_t run, unsigned streams, unsigned seconds)
{
    char msg[96], want[48], reply[160];
    snprintf(msg, sizeof msg, "BEGIN run=%u streams=%u seconds=%u", run, streams, seconds);
    snprintf(want, sizeof want, "READY run=%u", run);
    control(ctl, msg, want, reply, sizeof reply);
    struct sender_result r;
    if (send_streams(HOST_IP, UDPW_DATA_PORT, seconds + UDPW_MARGIN_S, streams, CTRL_PORT + 1, UDPW_MAGIC, run,
                     &r) < 0) {
        snprintf(msg, sizeof msg, "streams=%u: cannot set up the senders: %s", streams, strerror(errno));
        fail(msg);
    }
    snprintf(msg, sizeof msg, "END run=%u", run);
    snprintf(want, sizeof want, "RESULT run=%u", run);
    control(ctl, msg, want, reply, sizeof reply);
    say("# udpwire: streams=%u run=%u: sent %lu datagrams in %u+%d s (%lu sends failed); sink: %s; CPUs 0x%lx",
        streams, run, r.sent, seconds, UDPW_MARGIN_S, r.errors, reply, r.cpus);
}

int main(int argc, char **argv)
{
    static const unsigned stream_counts[] = { 1, 2, 4, 8 };
    bool quick = argc > 1 && !strcmp(argv[1], "quick");
    unsigned seconds = quick ? 2 : 5, reps = quick ? 1 : 3;
    if (!ae_self.kdebug) {
        printf("udpwire: needs the kdebug grant\n");
        return 1;
    }
    int ctl = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(CTRL_PORT) };
    struct sockaddr_in sink = { .sin_family = AF_INET, .sin_port = htons(UDPW_CTRL_PORT),
                                .sin_addr = { htonl(HOST_IP) } };
    if (ctl < 0 || bind(ctl, (struct sockaddr *)&me, sizeof me) < 0 ||
        connect(ctl, (struct sockaddr *)&sink, sizeof sink) < 0)
        fail("cannot set up the control socket (grant net:7000-7016?)");
    say("BENCH BEGIN udp");
    /* Runs are numbered from the clock, as the Linux side does, so that
     * a rerun never reuses a number the sink has seen. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t run = (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
    for (unsigned i = 0; i < sizeof stream_counts / sizeof stream_counts[0]; i++)
        for (unsigned r = 0; r < reps; r++)
            run_once(ctl, run++, stream_counts[i], seconds);
    close(ctl);
    say("BENCH END udp rc=0");
    say("BENCH DONE udpwire");
    ae_invokev(ae_self.kdebug, AERIE_KDEBUG_EXIT, 0);
    return 0;
}
