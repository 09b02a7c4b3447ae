/*
 * netframe.c — tests a booted Aerie's network stack at the frame level.
 * QEMU's socket network backend (tools/qemu.sh --framesock) carries each
 * Ethernet frame of the guest's NIC as one UDP datagram between QEMU and
 * this program, both on 127.0.0.1. We play the host 10.0.2.2 on the
 * guest's subnet (10.0.2.15/24) and check what QEMU's user networking
 * cannot show: ARP, ICMP echo (slirp never sends echo requests into a
 * guest), UDP at the frame level, and a storm of malformed frames that
 * must end in the stack's drop counters and change nothing else.
 *
 * The guest image (tests/boot/net-frames.conf) runs the echo server on
 * port 7 and `nettest stats` on port 7101, which answers "stats" with the
 * service's non-zero counters.
 *
 * usage: netframe MY_PORT QEMU_PORT    prints TEST lines and TESTS DONE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GUEST_IP  0x0a00020fu
#define HOST_IP   0x0a000202u
#define BCAST_IP  0x0a0002ffu
#define STATS_PORT 7101
#define FRAME_MAX 2048

static const uint8_t host_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static uint8_t guest_mac[6];
static int fd;
static struct sockaddr_in qemu;
static unsigned ntests;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void result(const char *name, bool ok, const char *why)
{
    ntests++;
    if (ok)
        printf("TEST PASS %s\n", name);
    else
        printf("TEST FAIL %s: %s\n", name, why);
    fflush(stdout);
}

/* ---- frames ----------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint32_t sum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += get16(p + i);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, host_mac, 6);
    put16(f + 12, type);
}

/* IPv4 header at f+14 for `plen` payload bytes; returns the frame length. */
static size_t ipv4(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint8_t proto, size_t plen, uint8_t ttl,
                   uint16_t frag)
{
    static uint16_t id;
    eth(f, dmac, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + plen));
    put16(ip + 4, ++id);
    put16(ip + 6, frag);
    ip[8] = ttl;
    ip[9] = proto;
    put32(ip + 12, HOST_IP);
    put32(ip + 16, dst);
    put16(ip + 10, fold(sum(ip, 20, 0)));
    return 14 + 20 + plen;
}

static size_t udp(uint8_t *f, uint32_t dst, uint16_t sport, uint16_t dport, const void *data, size_t len)
{
    uint8_t *u = f + 34;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(8 + len));
    put16(u + 6, 0);
    memcpy(u + 8, data, len);
    size_t n = ipv4(f, dst == BCAST_IP ? (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } : guest_mac,
                    dst, 17, 8 + len, 64, 0);
    uint8_t pseudo[12];
    put32(pseudo, HOST_IP);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = 17;
    put16(pseudo + 10, (uint16_t)(8 + len));
    uint16_t c = fold(sum(u, 8 + len, sum(pseudo, 12, 0)));
    put16(u + 6, c ? c : 0xffff);
    return n;
}

static size_t icmp_echo(uint8_t *f, uint32_t dst, uint16_t id, uint16_t seq, const void *data, size_t len)
{
    uint8_t *c = f + 34;
    c[0] = 8;
    c[1] = 0;
    put16(c + 2, 0);
    put16(c + 4, id);
    put16(c + 6, seq);
    memcpy(c + 8, data, len);
    put16(c + 2, fold(sum(c, 8 + len, 0)));
    return ipv4(f, dst == BCAST_IP ? (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } : guest_mac, dst, 1,
                8 + len, 64, 0);
}

static size_t arp(uint8_t *f, const uint8_t *dmac, uint16_t op, const uint8_t *sha, uint32_t spa,
                  const uint8_t *tha, uint32_t tpa)
{
    eth(f, dmac, 0x0806);
    uint8_t *a = f + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    return 42;
}

static void send_frame(const uint8_t *f, size_t n)
{
    sendto(fd, f, n, 0, (struct sockaddr *)&qemu, sizeof qemu);
}

/* ---- receiving -------------------------------------------------------------- */

/* Answers the guest's ARP requests for us; everything else is the caller's. */
static bool answer_arp(const uint8_t *f, size_t n)
{
    if (n < 42 || get16(f + 12) != 0x0806 || get16(f + 20) != 1 || get32(f + 38) != HOST_IP)
        return false;
    uint8_t r[64];
    size_t len = arp(r, f + 22, 2, host_mac, HOST_IP, f + 22, get32(f + 28));
    send_frame(r, len);
    return true;
}

/* The next frame for us within `secs` (ARP requests answered on the way). */
static ssize_t recv_frame(uint8_t *f, double secs)
{
    double end = now() + secs;
    for (;;) {
        double left = end - now();
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            return -1;
        ssize_t n = recv(fd, f, FRAME_MAX, 0);
        if (n > 0 && !answer_arp(f, (size_t)n))
            return n;
    }
}

static bool is_ipv4_from_guest(const uint8_t *f, ssize_t n, uint8_t proto)
{
    return n >= 34 && get16(f + 12) == 0x0800 && (f[14] >> 4) == 4 && f[23] == proto &&
           get32(f + 26) == GUEST_IP && get32(f + 30) == HOST_IP && !memcmp(f, host_mac, 6) &&
           fold(sum(f + 14, (size_t)(f[14] & 15) * 4, 0)) == 0;
}

/* An echo reply to (id, seq) carrying data; true if it came in time. */
static bool ping(uint16_t id, uint16_t seq, const uint8_t *data, size_t len, double secs)
{
    uint8_t f[FRAME_MAX];
    send_frame(f, icmp_echo(f, GUEST_IP, id, seq, data, len));
    double end = now() + secs;
    while (now() < end) {
        ssize_t n = recv_frame(f, end - now());
        if (n < 0)
            return false;
        if (!is_ipv4_from_guest(f, n, 1) || (size_t)n < 42 + len)
            continue;
        const uint8_t *c = f + 34;
        if (c[0] == 0 && get16(c + 4) == id && get16(c + 6) == seq && !memcmp(c + 8, data, len) &&
            fold(sum(c, 8 + len, 0)) == 0)
            return true;
    }
    return false;
}

/* Sends a datagram to the guest and waits for one back to our port. */
static ssize_t udp_call(uint16_t sport, uint16_t dport, const void *data, size_t len, uint8_t *reply, double secs)
{
    uint8_t f[FRAME_MAX];
    send_frame(f, udp(f, GUEST_IP, sport, dport, data, len));
    double end = now() + secs;
    while (now() < end) {
        ssize_t n = recv_frame(f, end - now());
        if (n < 0)
            return -1;
        if (!is_ipv4_from_guest(f, n, 17) || n < 42 || get16(f + 36) != sport || get16(f + 34) != dport)
            continue;
        size_t ulen = get16(f + 38);
        if (ulen < 8 || 34 + ulen > (size_t)n)
            continue;
        memcpy(reply, f + 42, ulen - 8);
        return (ssize_t)(ulen - 8);
    }
    return -1;
}

/* Sends a len-byte datagram to the echo port in fragments of `piece`
 * bytes (a multiple of 8), last first and the first one twice, then puts
 * the guest's reply back together from its fragments (any order) and
 * checks it: ports, length, UDP checksum over the whole, the bytes. */
static bool frag_echo(uint16_t sport, const uint8_t *data, size_t len, size_t piece, double secs)
{
    static uint8_t whole[14 + 20 + 8 + 8192], back[8 + 8192], have[(8 + 8192) / 8 + 1];
    uint8_t f[FRAME_MAX];
    udp(whole, GUEST_IP, sport, 7, data, len);        /* whole + 34: the UDP datagram */
    size_t ulen = 8 + len, nfr = (ulen + piece - 1) / piece;
    uint16_t id = (uint16_t)(0x7000 + sport);
    for (size_t k = 0; k <= nfr; k++) {
        size_t i = k < nfr ? nfr - 1 - k : nfr - 1;   /* last first, then the first again */
        size_t off = i * piece, n = ulen - off < piece ? ulen - off : piece;
        memcpy(f, whole, 34);
        uint8_t *ip = f + 14;
        put16(ip + 2, (uint16_t)(20 + n));
        put16(ip + 4, id);
        put16(ip + 6, (uint16_t)((i + 1 < nfr ? 0x2000 : 0) | off / 8));
        put16(ip + 10, 0);
        put16(ip + 10, fold(sum(ip, 20, 0)));
        memcpy(f + 34, whole + 34 + off, n);
        send_frame(f, 34 + n);
    }
    memset(have, 0, sizeof have);
    size_t got = 0, total = 0;
    int rid = -1;
    double end = now() + secs;
    while (now() < end) {
        ssize_t n = recv_frame(f, end - now());
        if (n < 0)
            return false;
        if (!is_ipv4_from_guest(f, n, 17) || (f[14] & 15) != 5)
            continue;
        uint16_t ff = get16(f + 20), tot = get16(f + 16);
        if (!(ff & 0x3fff) || tot < 20 || 14 + (size_t)tot > (size_t)n)
            continue;                                 /* not a fragment: not our reply */
        if (rid < 0)
            rid = get16(f + 18);
        if (get16(f + 18) != rid)
            continue;
        size_t off = (size_t)(ff & 0x1fff) * 8, m = tot - 20u;
        if (off + m > sizeof back || ((ff & 0x2000) && m % 8))
            return false;
        if (!(ff & 0x2000))
            total = off + m;
        memcpy(back + off, f + 34, m);
        for (size_t b = off / 8; b < (off + m + 7) / 8; b++)
            if (!have[b]) {
                have[b] = 1;
                got += 8;
            }
        if (total && got >= total)
            break;
    }
    if (!total || got < total || total != ulen)
        return false;
    uint8_t pseudo[12];
    put32(pseudo, GUEST_IP);
    put32(pseudo + 4, HOST_IP);
    pseudo[8] = 0;
    pseudo[9] = 17;
    put16(pseudo + 10, (uint16_t)ulen);
    return get16(back) == 7 && get16(back + 2) == sport && get16(back + 4) == ulen &&
           fold(sum(back, ulen, sum(pseudo, 12, 0))) == 0 && !memcmp(back + 8, data, len);
}

static uint64_t counter(const char *text, const char *name);
static bool stats(char *text, size_t size);
static bool stats_of(const char *prefix, char *text, size_t size);

/* ---- our address in Ethernet broadcasts -------------------------------------------- */

/* An ICMP message from the guest about us: a port unreachable quoting a
 * datagram from sport, or an echo reply with this id. */
static bool icmp_about(const uint8_t *f, ssize_t n, uint16_t sport, uint16_t id)
{
    if (!is_ipv4_from_guest(f, n, 1) || n < 42)
        return false;
    const uint8_t *c = f + 34;
    if (c[0] == 3 && n >= 42 + 20 + 8)
        return get16(c + 8 + 20) == sport;
    return c[0] == 0 && get16(c + 4) == id;
}

/* Frames to the Ethernet broadcast carrying our unicast address (found
 * with scapy, tools/netfuzz.py): the guest takes them as broadcasts, so a
 * datagram to a closed port draws no port unreachable (RFC 1122 3.2.2
 * forbids one) and a ping no reply; the same datagram to the guest's MAC
 * draws its unreachable, so the test can see one. */
static void link_broadcast_tests(void)
{
    static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t f[FRAME_MAX];
    usleep(1100000);                                    /* the unreachable bucket refills */
    size_t n = udp(f, GUEST_IP, 40020, 31000, "lb", 2);
    memcpy(f, bc, 6);
    send_frame(f, n);
    n = icmp_echo(f, GUEST_IP, 0x5151, 1, "lb", 2);
    memcpy(f, bc, 6);
    send_frame(f, n);
    bool answered = false;
    double end = now() + 1.5;
    for (ssize_t m; now() < end && (m = recv_frame(f, end - now())) >= 0;)
        answered |= icmp_about(f, m, 40020, 0x5151);
    result("link_broadcast_to_our_address_is_not_answered", !answered,
           "a port unreachable or echo reply to a frame sent to ff:ff:ff:ff:ff:ff");
    send_frame(f, udp(f, GUEST_IP, 40021, 31000, "lb", 2));
    bool unreach = false;
    end = now() + 2;
    for (ssize_t m; !unreach && now() < end && (m = recv_frame(f, end - now())) >= 0;)
        unreach = icmp_about(f, m, 40021, 0);
    result("closed_port_to_our_mac_gets_unreachable", unreach, "no port unreachable in 2 s");
}

/* ---- TCP against tcpecho (port TCP_PORT) --------------------------------------------- */

#define TCP_PORT 7007

struct conn {
    uint16_t sport;
    uint32_t snd;            /* our next sequence number */
    uint32_t rcv;            /* the guest's next one we expect */
};

/* Sends one TCP segment of ours; opts padded to 4 by the caller. */
static void tcp_send(const struct conn *c, uint32_t seq, uint8_t flags, uint16_t win, const uint8_t *opts,
                     size_t olen, const void *data, size_t len, bool bad_csum)
{
    uint8_t f[FRAME_MAX];
    uint8_t *t = f + 34;
    size_t hl = 20 + olen;
    put16(t, c->sport);
    put16(t + 2, TCP_PORT);
    put32(t + 4, seq);
    put32(t + 8, (flags & 0x10) ? c->rcv : 0);
    t[12] = (uint8_t)(hl / 4 << 4);
    t[13] = flags;
    put16(t + 14, win);
    put16(t + 16, 0);
    put16(t + 18, 0);
    memcpy(t + 20, opts, olen);
    memcpy(t + hl, data, len);
    uint8_t pseudo[12];
    put32(pseudo, HOST_IP);
    put32(pseudo + 4, GUEST_IP);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint16_t)(hl + len));
    uint16_t cs = fold(sum(t, hl + len, sum(pseudo, 12, 0)));
    put16(t + 16, bad_csum ? (uint16_t)(cs ^ 0x1111) : cs);
    send_frame(f, ipv4(f, guest_mac, GUEST_IP, 6, hl + len, 64, 0));
}

struct seg {
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    size_t len;
    uint8_t data[FRAME_MAX];
    bool has_mss;
};

/* The guest's next segment to c within secs (checksum checked). */
static bool tcp_recv(const struct conn *c, struct seg *g, double secs)
{
    uint8_t f[FRAME_MAX];
    double end = now() + secs;
    while (now() < end) {
        ssize_t n = recv_frame(f, end - now());
        if (n < 0)
            return false;
        if (!is_ipv4_from_guest(f, n, 6) || (f[14] & 15) != 5 || n < 54)
            continue;
        size_t tot = get16(f + 16);
        if (tot < 40 || 14 + tot > (size_t)n)
            continue;
        const uint8_t *t = f + 34;
        if (get16(t) != TCP_PORT || get16(t + 2) != c->sport)
            continue;
        size_t hl = (size_t)(t[12] >> 4) * 4, tl = tot - 20;
        uint8_t pseudo[12];
        put32(pseudo, GUEST_IP);
        put32(pseudo + 4, HOST_IP);
        pseudo[8] = 0;
        pseudo[9] = 6;
        put16(pseudo + 10, (uint16_t)tl);
        if (hl < 20 || hl > tl || fold(sum(t, tl, sum(pseudo, 12, 0))) != 0)
            continue;
        g->seq = get32(t + 4);
        g->ack = get32(t + 8);
        g->flags = t[13];
        g->win = get16(t + 14);
        g->len = tl - hl;
        memcpy(g->data, t + hl, g->len);
        g->has_mss = false;
        for (size_t i = 20; i < hl;) {
            if (t[i] == 0)
                break;
            if (t[i] == 1) {
                i++;
                continue;
            }
            if (i + 1 >= hl || t[i + 1] < 2)
                break;
            g->has_mss = g->has_mss || (t[i] == 2 && t[i + 1] == 4);
            i += t[i + 1];
        }
        return true;
    }
    return false;
}

static const uint8_t mss_opt[4] = { 2, 4, 0x05, 0xb4 };

/* The three-way handshake from sport; false if no SYN-ACK. */
static bool tcp_open(struct conn *c, uint16_t sport, uint32_t iss)
{
    c->sport = sport;
    c->snd = iss;
    struct seg g;
    tcp_send(c, c->snd, 0x02, 65535, mss_opt, 4, NULL, 0, false);
    double end = now() + 5;
    while (tcp_recv(c, &g, end - now()))
        if (g.flags == 0x12 && g.ack == iss + 1 && g.has_mss) {
            c->snd = iss + 1;
            c->rcv = g.seq + 1;
            tcp_send(c, c->snd, 0x10, 65535, NULL, 0, NULL, 0, false);
            return true;
        }
    return false;
}

/* Collects want bytes of echo into out (ACKing each piece); false if short. */
static bool tcp_collect(struct conn *c, uint8_t *out, size_t want, double secs)
{
    size_t got = 0;
    struct seg g;
    double end = now() + secs;
    while (got < want && tcp_recv(c, &g, end - now())) {
        if (g.len && g.seq == c->rcv && got + g.len <= want) {
            memcpy(out + got, g.data, g.len);
            got += g.len;
            c->rcv += (uint32_t)g.len;
        }
        if (g.len)
            tcp_send(c, c->snd, 0x10, 65535, NULL, 0, NULL, 0, false);
    }
    return got == want;
}

static void tcp_tests(void)
{
    char why[300], st0[1500], st1[1500];
    struct conn c;
    uint8_t back[64];
    struct seg g;

    bool ok = tcp_open(&c, 41000, 1000);
    ok = ok && (tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "hello", 5, false), c.snd += 5,
                tcp_collect(&c, back, 5, 10)) && !memcmp(back, "hello", 5);
    result("tcp_handshake_and_echo_at_the_frame_level", ok, "no SYN-ACK with MSS, or no echo of 'hello'");

    /* out of order: the second half first; the guest ACKs the gap at once
     * (a duplicate ACK), then echoes all ten bytes in order */
    ok = false;
    if (c.rcv) {
        tcp_send(&c, c.snd + 5, 0x18, 65535, NULL, 0, "world", 5, false);
        bool dup = tcp_recv(&c, &g, 5) && (g.flags & 0x10) && g.ack == c.snd && g.len == 0;
        tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "abcde", 5, false);
        c.snd += 10;
        ok = dup && tcp_collect(&c, back, 10, 10) && !memcmp(back, "abcdeworld", 10);
    }
    result("tcp_out_of_order_segments_are_put_in_order", ok, "no immediate ACK of the gap, or the echo was not 'abcdeworld'");

    /* a bad checksum: dropped and counted, nothing echoed; then the good one */
    bool have = stats_of("tcp_", st0, sizeof st0);
    tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "XXXX", 4, true);
    bool quiet = !tcp_recv(&c, &g, 1.0);
    have = have && stats_of("tcp_", st1, sizeof st1);
    uint64_t bad = counter(st1, "tcp_bad_checksum") - counter(st0, "tcp_bad_checksum");
    tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "YYYY", 4, false);
    c.snd += 4;
    ok = have && quiet && bad == 1 && tcp_collect(&c, back, 4, 10) && !memcmp(back, "YYYY", 4);
    snprintf(why, sizeof why, "quiet after it: %d, tcp_bad_checksum +%lu, then the good copy echoed: %d", quiet,
             (unsigned long)bad, ok);
    result("tcp_bad_checksum_is_dropped_and_counted", ok, why);

    /* far outside the receive window: an ACK of what it expects, no data taken */
    tcp_send(&c, c.snd + 1000000, 0x18, 65535, NULL, 0, "ZZZZ", 4, false);
    ok = tcp_recv(&c, &g, 5) && g.flags == 0x10 && g.ack == c.snd && g.len == 0 && !tcp_recv(&c, &g, 1.0);
    result("tcp_segment_outside_the_window_gets_an_ack_only", ok, "no bare ACK of RCV.NXT, or data came back");

    /* in the window, but acknowledging data older than any window the
     * guest was offered (RFC 5961 5.2): dropped with its data, and a
     * challenge ACK; was taken and echoed */
    struct conn old = c;
    old.rcv = c.rcv - 1000000000u;
    tcp_send(&old, c.snd, 0x18, 65535, NULL, 0, "OLDA", 4, false);
    ok = tcp_recv(&c, &g, 5) && g.flags == 0x10 && g.ack == c.snd && g.len == 0 && !tcp_recv(&c, &g, 1.0);
    result("tcp_ack_older_than_any_window_gets_an_ack_only", ok, "no bare ACK of RCV.NXT, or 'OLDA' was echoed");

    /* we "lose" the echo: the guest sends the same bytes again after its RTO */
    tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "again", 5, false);
    c.snd += 5;
    struct seg first, second;
    ok = false;
    double t0 = now();
    while (tcp_recv(&c, &first, 5) && !first.len)
        ;
    if (first.len == 5) {
        while (tcp_recv(&c, &second, 10) && !second.len)
            ;
        ok = second.len == 5 && second.seq == first.seq && !memcmp(second.data, "again", 5);
    }
    snprintf(why, sizeof why, "no retransmission of the unacknowledged echo (%.1f s)", now() - t0);
    result("tcp_unacknowledged_data_is_retransmitted", ok, why);
    c.rcv += 5;
    tcp_send(&c, c.snd, 0x10, 65535, NULL, 0, NULL, 0, false);

    /* zero window: the guest holds its echo and probes; when we open, it comes */
    struct conn z;
    ok = tcp_open(&z, 41001, 5000);
    bool probed = false, held = true;
    if (ok) {
        tcp_send(&z, z.snd, 0x18, 0, NULL, 0, "zero", 4, false);
        z.snd += 4;
        double end = now() + 8;
        while (now() < end && tcp_recv(&z, &g, end - now())) {
            if (g.len) {
                held = false;                     /* data into a closed window */
                break;
            }
            if (g.seq == z.rcv - 1) {             /* a probe: an old sequence number the peer must ACK */
                probed = true;
                break;
            }
        }
        tcp_send(&z, z.snd, 0x10, 65535, NULL, 0, NULL, 0, false);
        ok = tcp_collect(&z, back, 4, 10) && !memcmp(back, "zero", 4);
    }
    snprintf(why, sizeof why, "held its data: %d, probed: %d, echoed when opened: %d", held, probed, ok);
    result("tcp_zero_window_is_probed_then_data_flows", ok && held && probed, why);

    /* RST at RCV.NXT ends it: the next segment meets no connection */
    tcp_send(&c, c.snd, 0x04, 0, NULL, 0, NULL, 0, false);
    tcp_send(&c, c.snd, 0x18, 65535, NULL, 0, "gone", 4, false);
    ok = tcp_recv(&c, &g, 5) && (g.flags & 0x04);
    result("tcp_rst_ends_the_connection", ok, "data after our RST did not get a RST");

    /* a SYN flood from 500 ports nobody completes; a real client still
     * gets in and is echoed */
    have = stats_of("tcp_", st0, sizeof st0);
    for (unsigned i = 0; i < 500; i++) {
        struct conn f = { .sport = (uint16_t)(42000 + i) };
        tcp_send(&f, 7000000u + i * 1000u, 0x02, 65535, mss_opt, 4, NULL, 0, false);
        if (i % 32 == 31) {
            uint8_t in[FRAME_MAX];
            while (recv_frame(in, 0.002) >= 0)
                ;
        }
    }
    uint8_t in[FRAME_MAX];
    while (recv_frame(in, 0.5) >= 0)
        ;
    struct conn r;
    ok = tcp_open(&r, 43000, 9000) &&
         (tcp_send(&r, r.snd, 0x18, 65535, NULL, 0, "real", 4, false), r.snd += 4, tcp_collect(&r, back, 4, 10)) &&
         !memcmp(back, "real", 4);
    have = have && stats_of("tcp_", st1, sizeof st1);
    uint64_t cookies = counter(st1, "tcp_cookie_tx") - counter(st0, "tcp_cookie_tx");
    snprintf(why, sizeof why, "real client echoed: %d; tcp_cookie_tx +%lu, tcp_syn_pruned +%lu, tcp_passive_open +%lu",
             ok, (unsigned long)cookies,
             (unsigned long)(counter(st1, "tcp_syn_pruned") - counter(st0, "tcp_syn_pruned")),
             (unsigned long)(counter(st1, "tcp_passive_open") - counter(st0, "tcp_passive_open")));
    ok = ok && cookies >= 400;                    /* the flood went past the half-open queue */
    printf("netframe: SYN flood: %s\n", why);
    result("tcp_syn_flood_leaves_room_for_a_real_client", ok && have, why);
    tcp_send(&r, r.snd, 0x04, 0, NULL, 0, NULL, 0, false);
    tcp_send(&z, z.snd, 0x04, 0, NULL, 0, NULL, 0, false);
}

/* ---- the counters -------------------------------------------------------------- */

static const char *const drop_counters[] = {
    "eth_runt", "eth_oversize", "eth_not_ours", "eth_multicast", "eth_bad_src", "eth_unknown_type",
    "arp_malformed", "arp_spoof", "arp_bad_addr", "arp_not_for_us", "arp_unsolicited",
    "ip_truncated", "ip_bad_version", "ip_bad_ihl", "ip_bad_checksum", "ip_bad_length", "ip_frag_dropped",
    "ip_ttl_zero", "ip_bad_src", "ip_not_ours", "ip_unknown_proto",
    "icmp_truncated", "icmp_bad_checksum", "icmp_broadcast", "icmp_other",
    "udp_truncated", "udp_bad_length", "udp_bad_checksum", "udp_bad_port", "udp_no_port",
    "client_ring_full", "client_no_ring",
};

static uint64_t counter(const char *text, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += k)
        if ((p == text || p[-1] == ' ') && p[k] == '=')
            return strtoull(p + k + 1, NULL, 10);
    return 0;
}

static bool stats(char *text, size_t size)
{
    return stats_of("", text, size);
}

/* Only the counters whose names start with prefix ("stats PREFIX"). */
static bool stats_of(const char *prefix, char *text, size_t size)
{
    uint8_t reply[FRAME_MAX];
    char req[64];
    int k = snprintf(req, sizeof req, *prefix ? "stats %s" : "stats", prefix);
    ssize_t n = udp_call(40000, STATS_PORT, req, (size_t)k, reply, 5);
    if (n <= 0 || (size_t)n >= size)
        return false;
    memcpy(text, reply, (size_t)n);
    text[n] = 0;
    return true;
}

static uint64_t drops(const char *text)
{
    uint64_t s = 0;
    for (size_t i = 0; i < sizeof drop_counters / sizeof drop_counters[0]; i++)
        s += counter(text, drop_counters[i]);
    return s;
}

/* ---- the storm -------------------------------------------------------------------- */

/* One malformed frame of kind k into f; returns its length. */
static size_t bad_frame(uint8_t *f, unsigned k, unsigned i)
{
    static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t data[64];
    memset(data, 'x', sizeof data);
    size_t n;
    switch (k) {
    case 0:                                                    /* random bytes after a header to the guest */
        n = 14 + rnd() % 1500;
        eth(f, guest_mac, (rnd() & 1) ? 0x0800 : (uint16_t)rnd());
        for (size_t j = 14; j < n; j++)
            f[j] = (uint8_t)rnd();
        return n;
    case 1:                                                    /* a valid datagram cut short */
        n = udp(f, GUEST_IP, 40001, 7, data, 32);
        return 14 + i % (n - 14);
    case 2:                                                    /* bad IPv4 header checksum */
        n = udp(f, GUEST_IP, 40001, 7, data, 32);
        f[24] ^= 0x5a;
        return n;
    case 3:                                                    /* bad UDP checksum */
        n = udp(f, GUEST_IP, 40001, 7, data, 32);
        f[40] ^= 0xa5;
        return n;
    case 4:                                                    /* a fragment */
        return ipv4(f, guest_mac, GUEST_IP, 17, 40, 64, (uint16_t)(0x2000 | (i % 100)));
    case 5:                                                    /* TTL 0 */
        return ipv4(f, guest_mac, GUEST_IP, 17, 40, 0, 0);
    case 6:                                                    /* ARP claiming the guest's address */
        return arp(f, bcast, 2, other, GUEST_IP, guest_mac, GUEST_IP);
    case 7:                                                    /* echo request to the broadcast address */
        return icmp_echo(f, BCAST_IP, 7, (uint16_t)i, data, 16);
    case 8:                                                    /* IPv6 */
        eth(f, guest_mac, 0x86dd);
        memset(f + 14, 0x60, 40);
        return 54;
    case 9:                                                    /* to a port nobody bound */
        return udp(f, GUEST_IP, 40001, (uint16_t)(9000 + i % 100), data, 16);
    case 10:                                                   /* for another host's MAC */
        n = udp(f, GUEST_IP, 40001, 7, data, 16);
        memcpy(f, other, 6);
        return n;
    default:                                                   /* longer than Ethernet allows */
        n = udp(f, GUEST_IP, 40001, 7, data, 16);
        memset(f + n, 0, 1600 - n);
        return 1515 + i % 80;
    }
}

#define KINDS 12

/* Sends `count` malformed frames, paced so QEMU's queue never overflows
 * (a frame lost there would be counted nowhere), answering the guest's
 * frames meanwhile. */
static unsigned storm(unsigned count)
{
    uint8_t f[FRAME_MAX], in[FRAME_MAX];
    for (unsigned i = 0; i < count; i++) {
        send_frame(f, bad_frame(f, i % KINDS, i / KINDS));
        if (i % 32 == 31) {
            while (recv_frame(in, 0.002) >= 0)
                ;
        }
    }
    while (recv_frame(in, 0.5) >= 0)
        ;
    return count;
}

/* ---- the tests ---------------------------------------------------------------------- */

static bool find_guest(double secs)
{
    uint8_t f[FRAME_MAX], in[FRAME_MAX];
    static const uint8_t zero[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    double end = now() + secs;
    while (now() < end) {
        send_frame(f, arp(f, bcast, 1, host_mac, HOST_IP, zero, GUEST_IP));
        double next = now() + 0.5;
        ssize_t n;
        while ((n = recv_frame(in, next - now())) >= 0) {
            if (n >= 42 && get16(in + 12) == 0x0806 && get16(in + 20) == 2 && get32(in + 28) == GUEST_IP &&
                !memcmp(in + 32, host_mac, 6)) {
                memcpy(guest_mac, in + 22, 6);
                return true;
            }
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: netframe MY_PORT QEMU_PORT\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                              .sin_addr = { htonl(INADDR_LOOPBACK) } };
    qemu = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
                                 .sin_addr = { htonl(INADDR_LOOPBACK) } };
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        fprintf(stderr, "netframe: cannot bind port %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char why[256];
    bool up = find_guest(120);
    result("arp_request_for_the_guest_is_answered", up, "no ARP reply in 120 s");
    if (!up) {
        printf("TESTS DONE %u\n", ntests);
        return 1;
    }
    uint8_t data[1472], reply[FRAME_MAX];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    result("icmp_echo_is_answered", ping(0x1234, 1, data, 56, 5), "no echo reply to a 56-byte ping");
    result("icmp_echo_of_a_full_frame_is_answered", ping(0x1234, 2, data, 1472, 5), "no reply to a 1472-byte ping");
    double t0 = now();
    while (udp_call(40002, 7, data, 100, reply, 1) < 0 && now() - t0 < 60)
        ;                                                       /* the echo server may still be starting */
    ssize_t n = udp_call(40002, 7, data, 1472, reply, 5);
    result("udp_echo_at_the_frame_level", n == 1472 && !memcmp(reply, data, 1472), "no or wrong echo");

    static uint8_t long_data[8192];
    for (size_t i = 0; i < sizeof long_data; i++)
        long_data[i] = (uint8_t)(i * 11 + 5);
    result("udp_3000_bytes_in_fragments_out_of_order_is_echoed", frag_echo(40010, long_data, 3000, 1480, 5),
           "no whole, correct echo of 3000 bytes sent in 3 fragments, last first, one twice");
    result("udp_8192_bytes_in_small_fragments_is_echoed", frag_echo(40011, long_data, 8192, 512, 5),
           "no whole, correct echo of 8192 bytes sent in 17 fragments of 512 bytes");

    char before[1500], after[1500];
    bool have = stats(before, sizeof before);
    unsigned sent = storm(6000);
    have = have && stats(after, sizeof after);
    uint64_t d = drops(after) - drops(before);
    uint64_t rx = counter(after, "rx_frames") - counter(before, "rx_frames");
    snprintf(why, sizeof why, "%u malformed frames sent; drop counters +%lu, rx_frames +%lu (stats %s)", sent,
             (unsigned long)d, (unsigned long)rx, have ? "read" : "missing");
    printf("netframe: %s\n", why);
    /* Every malformed frame that reached the stack ends in a drop counter
     * (rx_frames counts them; one storm fragment may still be held for
     * reassembly, and our ARP replies are frames too). A frame QEMU lost
     * before the guest took it (a slow guest on a loaded host) is nobody's
     * counter; most must arrive for the test to mean anything. */
    result("malformed_frames_end_in_drop_counters",
           have && d <= sent && rx >= d && rx - d <= 3 && rx >= sent / 2, why);
    snprintf(why, sizeof why, "udp_bad_checksum %lu ip_bad_checksum %lu ip_fragment %lu arp_spoof %lu "
             "icmp_broadcast %lu eth_not_ours %lu", (unsigned long)counter(after, "udp_bad_checksum"),
             (unsigned long)counter(after, "ip_bad_checksum"), (unsigned long)counter(after, "ip_fragment"),
             (unsigned long)counter(after, "arp_spoof"), (unsigned long)counter(after, "icmp_broadcast"),
             (unsigned long)counter(after, "eth_not_ours"));
    /* 500 of each kind were sent; each counter must hold most of its kind's
     * share of what reached the stack (all 500 on a quiet host). */
    uint64_t share = 500 * 8 / 10 * rx / sent;
    result("each_kind_of_bad_frame_has_its_counter",
           counter(after, "udp_bad_checksum") >= share && counter(after, "ip_bad_checksum") >= share &&
           counter(after, "ip_fragment") >= share && counter(after, "arp_spoof") >= share &&
           counter(after, "icmp_broadcast") >= share && counter(after, "eth_not_ours") >= share, why);

    unsigned answered = 0;
    for (unsigned i = 0; i < 200; i++)
        answered += ping(0x4321, (uint16_t)i, data, 64, 2);
    snprintf(why, sizeof why, "%u of 200 answered", answered);
    result("pings_after_the_storm_are_answered", answered >= 198, why);
    n = udp_call(40003, 7, data, 1472, reply, 5);
    result("udp_echo_after_the_storm", n == 1472 && !memcmp(reply, data, 1472), "no or wrong echo");

    link_broadcast_tests();
    tcp_tests();
    printf("TESTS DONE %u\n", ntests);
    return 0;
}
