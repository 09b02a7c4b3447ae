/*
 * udpsink.c — the host end of the UDP bandwidth benchmark.
 *
 * The guest's NIC is joined to this program by tools/qemu.sh --netwire:
 * QEMU sends every Ethernet frame the guest transmits to a Unix datagram
 * socket bound here, and delivers frames sent back to its own socket. This
 * program plays the host 10.0.2.2 (MAC 52:55:0a:00:02:02) on that wire: it
 * answers ARP for that address, speaks the control protocol of
 * bench/udp_wire.h, and counts the benchmark datagrams that actually
 * arrive. For each run it prints
 *     SAMPLE udp_bw <system> mbit streams=N <Mbit/s of UDP payload> Mbit/s
 *     SAMPLE udp_bw <system> pps  streams=N <datagrams per second> pkt/s
 * where the window is the --seconds the guest announced, starting at the
 * run's first datagram. Frames it does not understand are counted and
 * ignored. No IP traffic leaves the machine: the wire is a Unix socket.
 *
 * usage: udpsink --sock PATH --system NAME [--timeout SECONDS]
 *   Runs until killed, or --timeout seconds (default 3600) have passed.
 */
#define _GNU_SOURCE
#include "../bench/udp_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN      14
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_ARP 0x0806
#define IPPROTO_UDP_  17
#define FRAME_MAX     2048
#define BATCH         64

static const uint8_t host_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static uint32_t host_ip;                 /* 10.0.2.2, network order */
static const char *sys_name;
static int wire;
static struct sockaddr_un qemu_addr;     /* learnt from the first frame */
static socklen_t qemu_len;

/* The run being counted. */
static struct run {
    bool active, counting, done;
    uint32_t id;
    int streams;
    double seconds;
    double first, end;                   /* window, host clock */
    uint64_t packets;
} run;

static struct {
    uint64_t frames, arp_replies, other, stale;
} stats;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void send_frame(const uint8_t *f, size_t len)
{
    if (qemu_len == 0)
        return;
    if (sendto(wire, f, len, 0, (struct sockaddr *)&qemu_addr, qemu_len) < 0)
        fprintf(stderr, "udpsink: sending to QEMU: %s\n", strerror(errno));
}

/* RFC 826: answer "who has 10.0.2.2" with our MAC. */
static void handle_arp(const uint8_t *f, size_t len)
{
    const uint8_t *a = f + ETH_HLEN;
    if (len < ETH_HLEN + 28 || get16(a + 6) != 1 || memcmp(a + 24, &host_ip, 4) != 0)
        return;
    uint8_t r[ETH_HLEN + 28];
    memcpy(r, f + 6, 6);                  /* to the asker */
    memcpy(r + 6, host_mac, 6);
    put16(r + 12, ETHERTYPE_ARP);
    uint8_t *ra = r + ETH_HLEN;
    memcpy(ra, a, 6);                     /* htype, ptype, hlen, plen */
    put16(ra + 6, 2);                     /* reply */
    memcpy(ra + 8, host_mac, 6);
    memcpy(ra + 14, &host_ip, 4);
    memcpy(ra + 18, a + 8, 10);           /* target = the asker's MAC and IP */
    send_frame(r, sizeof r);
    stats.arp_replies++;
}

/* A UDP reply from 10.0.2.2:UDPW_CTRL_PORT to the frame's sender. */
static void send_control_reply(const uint8_t *f, const char *text)
{
    const uint8_t *ip = f + ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    const uint8_t *udp = ip + ihl;
    size_t n = strlen(text);
    uint8_t r[ETH_HLEN + 20 + 8 + 256];
    if (n > 256)
        n = 256;
    memcpy(r, f + 6, 6);
    memcpy(r + 6, host_mac, 6);
    put16(r + 12, ETHERTYPE_IP);
    uint8_t *rip = r + ETH_HLEN;
    memset(rip, 0, 20);
    rip[0] = 0x45;
    put16(rip + 2, (uint16_t)(20 + 8 + n));
    rip[8] = 64;                          /* TTL */
    rip[9] = IPPROTO_UDP_;
    memcpy(rip + 12, &host_ip, 4);
    memcpy(rip + 16, ip + 12, 4);         /* back to the guest's address */
    put16(rip + 10, ip_checksum(rip, 20));
    uint8_t *rudp = rip + 20;
    put16(rudp, UDPW_CTRL_PORT);
    memcpy(rudp + 2, udp, 2);             /* to the guest's source port */
    put16(rudp + 4, (uint16_t)(8 + n));
    put16(rudp + 6, 0);                   /* no checksum (RFC 768 allows it over IPv4) */
    memcpy(rudp + 8, text, n);
    send_frame(r, ETH_HLEN + 28 + n);
}

static void finish_window(void)
{
    if (!run.counting || run.done)
        return;
    run.done = true;
    char param[32];
    snprintf(param, sizeof param, "streams=%d", run.streams);
    double mbit = (double)run.packets * UDPW_PAYLOAD * 8.0 / run.seconds / 1e6;
    printf("SAMPLE udp_bw %s mbit %s %.6g Mbit/s\n", sys_name, param, mbit);
    printf("SAMPLE udp_bw %s pps %s %.6g pkt/s\n", sys_name, param, (double)run.packets / run.seconds);
    fflush(stdout);
}

static void handle_control(const uint8_t *f, const char *msg)
{
    unsigned id;
    int streams;
    double secs;
    char reply[128];
    if (sscanf(msg, "BEGIN run=%u streams=%d seconds=%lf", &id, &streams, &secs) == 3) {
        if (!run.active || run.id != id) {
            finish_window();
            if (secs <= 0 || streams < 1) {
                fprintf(stderr, "udpsink: bad BEGIN '%s'\n", msg);
                return;
            }
            run = (struct run){ .active = true, .id = id, .streams = streams, .seconds = secs };
        }
        snprintf(reply, sizeof reply, "READY run=%u", id);
        send_control_reply(f, reply);
    } else if (sscanf(msg, "END run=%u", &id) == 1) {
        if (run.active && run.id == id) {
            if (!run.counting)
                printf("# udpsink: run %u (streams=%d): no datagram arrived\n", id, run.streams);
            finish_window();
        }
        snprintf(reply, sizeof reply, "RESULT run=%u packets=%llu seconds=%g", id,
                 (unsigned long long)(run.id == id ? run.packets : 0), run.seconds);
        send_control_reply(f, reply);
    } else {
        fprintf(stderr, "udpsink: unknown control message '%.60s'\n", msg);
    }
}

static void handle_data(const uint8_t *payload, size_t len, double t)
{
    struct udpw_header h;
    if (len != UDPW_PAYLOAD) {
        stats.other++;
        return;
    }
    memcpy(&h, payload, sizeof h);
    if (h.magic != UDPW_MAGIC || !run.active || h.run != run.id || run.done) {
        stats.stale++;
        return;
    }
    if (!run.counting) {
        run.counting = true;
        run.first = t;
        run.end = t + run.seconds;
    }
    if (t < run.end)
        run.packets++;
    else
        finish_window();
}

static void handle_frame(const uint8_t *f, size_t len, double t)
{
    stats.frames++;
    if (len < ETH_HLEN)
        return;
    uint16_t type = get16(f + 12);
    if (type == ETHERTYPE_ARP) {
        handle_arp(f, len);
        return;
    }
    const uint8_t *ip = f + ETH_HLEN;
    if (type != ETHERTYPE_IP || len < ETH_HLEN + 20 || (ip[0] >> 4) != 4) {
        stats.other++;
        return;
    }
    size_t ihl = (size_t)(ip[0] & 15) * 4, iplen = get16(ip + 2);
    if (ip[9] != IPPROTO_UDP_ || memcmp(ip + 16, &host_ip, 4) != 0 || ihl < 20 ||
        iplen > len - ETH_HLEN || iplen < ihl + 8 || (get16(ip + 6) & 0x3fff) != 0) {
        stats.other++;                    /* not for us, malformed, or a fragment */
        return;
    }
    const uint8_t *udp = ip + ihl;
    size_t plen = iplen - ihl - 8;
    uint16_t dport = get16(udp + 2);
    if (dport == UDPW_DATA_PORT) {
        handle_data(udp + 8, plen, t);
    } else if (dport == UDPW_CTRL_PORT) {
        char msg[256];
        size_t n = plen < sizeof msg - 1 ? plen : sizeof msg - 1;
        memcpy(msg, udp + 8, n);
        msg[n] = 0;
        handle_control(f, msg);
    } else {
        stats.other++;
    }
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Binds the wire's host end; QEMU sends the guest's frames here. */
static int open_wire(const char *path)
{
    struct sockaddr_un me = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof me.sun_path) {
        fprintf(stderr, "udpsink: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(me.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
        fprintf(stderr, "udpsink: cannot bind %s: %s\n", path, strerror(errno));
        return -1;
    }
    int big = 16 << 20;                   /* a burst must not overflow the queue */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    return fd;
}

/* Takes up to BATCH frames off the wire and handles them. */
static void receive_batch(void)
{
    static uint8_t frames[BATCH][FRAME_MAX];
    static struct iovec iov[BATCH];
    static struct mmsghdr msgs[BATCH];
    static struct sockaddr_un from[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ frames[i], FRAME_MAX };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                                 .msg_iov = &iov[i], .msg_iovlen = 1 } };
    }
    int n = recvmmsg(wire, msgs, BATCH, MSG_DONTWAIT, NULL);
    double t = now_s();
    for (int i = 0; i < n; i++) {
        if (qemu_len == 0 && msgs[i].msg_hdr.msg_namelen > sizeof(sa_family_t)) {
            qemu_addr = from[i];          /* where replies to the guest go */
            qemu_len = msgs[i].msg_hdr.msg_namelen;
        }
        handle_frame(frames[i], msgs[i].msg_len, t);
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    double timeout = 3600;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sock") == 0) path = argv[i + 1];
        else if (strcmp(argv[i], "--system") == 0) sys_name = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0) timeout = atof(argv[i + 1]);
        else { fprintf(stderr, "udpsink: unknown option %s\n", argv[i]); return 2; }
    }
    if (!path || !sys_name || argc % 2 == 0 || timeout <= 0) {
        fprintf(stderr, "usage: udpsink --sock PATH --system NAME [--timeout SECONDS]\n");
        return 2;
    }
    inet_pton(AF_INET, "10.0.2.2", &host_ip);
    if ((wire = open_wire(path)) < 0)
        return 1;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    double deadline = now_s() + timeout;
    while (!stop && now_s() < deadline) {
        struct pollfd pfd = { .fd = wire, .events = POLLIN };
        int ready = poll(&pfd, 1, 100);
        if (run.counting && !run.done && now_s() >= run.end)
            finish_window();              /* the window closes on time, traffic or not */
        if (ready > 0)
            receive_batch();
    }
    finish_window();
    printf("# udpsink: %llu frames, %llu ARP replies, %llu stale datagrams, %llu other frames\n",
           (unsigned long long)stats.frames, (unsigned long long)stats.arp_replies,
           (unsigned long long)stats.stale, (unsigned long long)stats.other);
    unlink(path);
    return 0;
}
