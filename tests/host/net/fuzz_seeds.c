/*
 * fuzz_seeds.c — writes the seed corpus for fuzz_net (tests/host/net/
 * corpus/): short scripts in fuzz_net's input format that reach each part
 * of the stack, so the fuzzer starts from valid traffic instead of noise.
 *
 * usage: fuzz_seeds DIR      (make fuzz-net-seeds regenerates the corpus)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netfake.h"
#include "fuzz_net.h"

static uint8_t buf[16384];
static size_t len;

static void b8(unsigned v) { buf[len++] = (uint8_t)v; }
static void b16(unsigned v) { b8(v & 0xff); b8(v >> 8); }
static void b32(uint32_t v) { b16(v & 0xffff); b16(v >> 16); }

static void frame(enum fuzz_op op, const uint8_t *f, size_t n)
{
    b8(op);
    b16((unsigned)n);
    b8(3);                                   /* checksums redone after mutation */
    memcpy(buf + len, f, n);
    len += n;
}

static void arp_request_from_peer(void)
{
    uint8_t f[64];
    static const uint8_t zero[6];
    frame(FUZZ_OP_FRAME, f, pkt_arp(f, MAC_BCAST, MAC_PEER, 1, MAC_PEER, IP_PEER, zero, IP_US));
}

static void echo(enum fuzz_op op, size_t payload)
{
    static uint8_t f[1600], data[1472];
    struct pkt p = pkt_default();
    memset(data, 0x5a, sizeof data);
    p.payload = data;
    p.len = payload;
    frame(op, f, pkt_icmp(f, &p, 8, 1, 1));
}

static void udp(unsigned client, unsigned port_off, unsigned len6, unsigned flags)
{
    b8(FUZZ_OP_UDP);
    b8(client);
    b8(port_off);
    b8(len6);
    b8(flags);
    b8(0);                                   /* no bit flips */
}

static void tx_slot(unsigned client, unsigned slot, uint32_t ip, unsigned rport, unsigned lport,
                    unsigned n, unsigned publish)
{
    b8(FUZZ_OP_TX_SLOT);
    b8(client);
    b8(slot);
    b32(ip);
    b16(rport);
    b16(lport);
    b16(n);
    b8(0x41);
    b8(publish);
}

/* A 3000-byte datagram to client 0's port 5000 in three fragment frames,
 * in the order given (a permutation of 0, 1, 2). */
static void fragments(const unsigned order[3], uint16_t id)
{
    static uint8_t whole[14 + 20 + 8 + 3000], f[1600], data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 3);
    struct pkt p = pkt_default();
    p.payload = data;
    p.len = sizeof data;
    pkt_udp(whole, &p);
    static const size_t off[3] = { 0, 1480, 2960 }, n[3] = { 1480, 1480, 48 };
    for (unsigned k = 0; k < 3; k++) {
        unsigned i = order[k];
        memcpy(f, whole, 34);
        f[14 + 2] = (uint8_t)((20 + n[i]) >> 8);
        f[14 + 3] = (uint8_t)(20 + n[i]);
        f[14 + 4] = (uint8_t)(id >> 8);
        f[14 + 5] = (uint8_t)id;
        uint16_t ff = (uint16_t)((i < 2 ? 0x2000 : 0) | off[i] / 8);
        f[14 + 6] = (uint8_t)(ff >> 8);
        f[14 + 7] = (uint8_t)ff;
        memcpy(f + 34, whole + 34 + off[i], n[i]);
        b8(FUZZ_OP_FRAME);
        b16((unsigned)(34 + n[i]));
        b8(1);                               /* the IP checksum redone; the UDP one spans fragments */
        memcpy(buf + len, f, 34 + n[i]);
        len += 34 + n[i];
    }
}

static void poke(unsigned client, unsigned rx, unsigned off, uint32_t v)
{
    b8(FUZZ_OP_POKE);
    b8(client);
    b8(rx);
    b16(off);
    b32(v);
}

static void api_send(unsigned client, unsigned sport, uint32_t ip, unsigned dport, unsigned n)
{
    b8(FUZZ_OP_API);
    b8(client);
    b8(0);                                   /* the client's own id */
    b8(2);
    b16(sport);
    b8(0);                                   /* ip given below */
    b32(ip);
    b16(dport);
    b16(n);
}

/* sub 0: bind port, 1: unbind port, 3: drain the RX ring, 4: idle_prepare */
static void api(unsigned client, unsigned sub, unsigned port)
{
    b8(FUZZ_OP_API);
    b8(client);
    b8(0);
    b8(sub);
    if (sub <= 1)
        b16(port);
}

static void poll_(void) { b8(FUZZ_OP_POLL); }
static void time_(unsigned d) { b8(FUZZ_OP_TIME); b16(d); }
static void life(unsigned client, unsigned sub) { b8(FUZZ_OP_LIFE); b8(client); b8(sub); }

static void save(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        perror(path);
        exit(1);
    }
    fclose(f);
    len = 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];

    b8(0);
    arp_request_from_peer();
    save(dir, "arp_request");

    b8(0);
    api(0, 0, 5000);
    fragments((const unsigned[]){ 0, 1, 2 }, 1);
    fragments((const unsigned[]){ 2, 0, 1 }, 2);
    fragments((const unsigned[]){ 1, 1, 2 }, 3);
    time_(65535);
    poll_();
    api(0, 3, 0);
    save(dir, "ip_fragments");

    b8(0);
    api(0, 0, 5000);
    arp_request_from_peer();
    tx_slot(0, 0, IP_PEER, 53, 5000, 1472, 0x80);
    tx_slot(0, 1, IP_PEER, 53, 5000, 1472, 0x80);
    tx_slot(0, 2, IP_PEER, 53, 5000, 100, 3);
    poll_();
    tx_slot(0, 3, IP_PEER, 53, 5000, 1472, 0x81);
    poll_();
    save(dir, "tx_long_datagram");

    b8(0);
    arp_request_from_peer();
    echo(FUZZ_OP_FRAME, 56);
    echo(FUZZ_OP_FRAME, 1472);
    save(dir, "icmp_echo");

    b8(2);
    echo(FUZZ_OP_DEV_FRAME, 32);
    echo(FUZZ_OP_DEV_FRAME, 0);
    poll_();
    save(dir, "device_frames");

    b8(2);
    for (unsigned c = 0; c < 3; c++)
        udp(c, 0, 10, 0);
    udp(0, 0, 200, 0x10);                    /* options */
    udp(1, 0, 3, 0x08);                      /* broadcast */
    udp(2, 0, 3, 0x01);                      /* no checksum */
    udp(0, 0, 3, 0x02);                      /* bad checksum */
    udp(1, 0, 3, 0x04);                      /* a fragment */
    api(0, 3, 0);
    save(dir, "udp_to_clients");

    b8(2);
    tx_slot(0, 0, IP_PEER, 53, 5000, 10, 1);
    tx_slot(0, 1, IP_FAR, 53, 5000, 1472, 1);
    tx_slot(1, 0, IP_US, 1024, 6000, 4, 1);  /* local delivery to client 2 */
    tx_slot(2, 0, IP_PEER, 53, 5000, 4, 1);  /* client 0's port: denied */
    poll_();
    api(2, 3, 0);
    save(dir, "ring_send");

    b8(0);
    api_send(0, 5000, IP_PEER2, 9, 100);
    api_send(0, 5000, IP_PEER2, 9, 100);
    poll_();
    time_(4000);
    life(0, 3);
    time_(4000);
    life(0, 3);
    {
        uint8_t f[64];
        frame(FUZZ_OP_FRAME, f, pkt_arp(f, MAC_US, MAC_OTHER, 2, MAC_OTHER, IP_PEER2, MAC_US, IP_US));
    }
    time_(8000);
    life(0, 3);
    save(dir, "arp_pending");

    b8(2);
    poke(0, 0, 0, 1000000);                  /* TX prod far ahead */
    poll_();
    poke(1, 1, 64, 77777);                   /* RX cons bogus */
    for (int i = 0; i < 10; i++)
        udp(1, 0, 1, 0);
    poll_();
    save(dir, "hostile_indices");

    b8(3);
    for (int i = 0; i < 8; i++)
        udp(0, 11, 1, 0);                    /* 5011: outside the grant, unbound */
    time_(4000);
    udp(0, 11, 1, 0);
    save(dir, "port_unreachable");

    b8(2);
    api(0, 0, 5005);
    api(0, 1, 5005);
    api(1, 0, 0);
    life(1, 1);
    udp(1, 0, 1, 0);
    life(1, 2);
    life(2, 0);
    udp(2, 0, 1, 0);
    api(0, 4, 0);
    tx_slot(0, 0, IP_PEER, 53, 5000, 1, 1);
    poll_();
    save(dir, "client_churn");

    b8(2);
    b8(FUZZ_OP_BURST); b8(0); b8(100);       /* the ARP cache overflows */
    b8(FUZZ_OP_BURST); b8(1); b8(40);        /* more replies than one batch */
    b8(FUZZ_OP_BURST); b8(2); b8(60);        /* resolution queue limits */
    time_(20000);
    life(0, 3);
    save(dir, "bursts");

    b8(16 | 2);                               /* no gateway */
    tx_slot(0, 0, IP_FAR, 53, 5000, 10, 1);
    poll_();
    {
        static uint8_t f[128];
        struct pkt p = pkt_default();
        p.src = IP_FAR;
        frame(FUZZ_OP_FRAME, f, pkt_icmp(f, &p, 8, 1, 1));
    }
    save(dir, "no_gateway");

    b8(8 | 4 | 2);                            /* a slow device */
    for (int i = 0; i < 8; i++)
        tx_slot(0, (unsigned)i, IP_PEER, 53, 5000, 100, 1);
    poll_();
    poll_();
    poll_();
    save(dir, "slow_device");
    return 0;
}
