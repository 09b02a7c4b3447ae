/*
 * aerie/netring.h — the shared-memory datagram rings between the net
 * service and one client (docs/NET.md, "Rings").
 *
 * Each client has two single-producer/single-consumer rings in memory
 * that both tasks map: TX (client produces, service consumes) and RX
 * (service produces, client consumes). A ring is a header of three cache
 * lines (producer-written, consumer-written, set-once geometry) followed
 * by nslots fixed-size slots; one slot carries one UDP datagram. Indices
 * are free-running 32-bit counters; slot i lives at index i & (nslots-1).
 * The C helpers that use this layout are in lib/netring/netring.h.
 *
 * Trust: the service never trusts anything the client can write. It keeps
 * the geometry and its own index in private memory, reads the client's
 * index once per use and checks it against the ring's bounds, and reads a
 * slot's header fields once each before validating them.
 */
#ifndef AERIE_NETRING_H
#define AERIE_NETRING_H

#include <stddef.h>
#include <stdint.h>

#define NETRING_MAGIC       0x474e524eu  /* "NRNG" in memory (little-endian) */
#define NETRING_VERSION     1u
#define NETRING_PAYLOAD_MAX 1472u        /* UDP payload of a 1500-byte IPv4 packet, no options */
#define NETRING_DGRAM_MAX   8192u        /* the longest datagram, in NETRING_DGRAM_SLOTS slots */
#define NETRING_DGRAM_SLOTS ((NETRING_DGRAM_MAX + NETRING_PAYLOAD_MAX - 1) / NETRING_PAYLOAD_MAX)
#define NETRING_F_MORE      1u           /* flags: the datagram goes on in the next slot */
#define NETRING_MIN_SLOTS   2u
#define NETRING_MAX_SLOTS   4096u        /* a power of two; keeps index arithmetic far from wrap */

/*
 * One datagram. The client fills a TX slot: remote_ip/remote_port is the
 * destination, local_port a port it has bound. The service fills an RX
 * slot: remote_ip/remote_port is the sender, local_port the port it
 * arrived at. Addresses and ports are in host byte order.
 */
struct netring_slot {
    uint32_t remote_ip;
    uint16_t remote_port;
    uint16_t local_port;
    uint16_t len;                        /* payload bytes in this slot, at most NETRING_PAYLOAD_MAX */
    uint16_t flags;                      /* NETRING_F_MORE or 0 */
    uint32_t reserved;                   /* 0 */
    uint8_t  payload[NETRING_PAYLOAD_MAX];
};

/*
 * The ring header. Each side writes only its own cache line, so the two
 * never share a written line.
 *   prod: slots published by the producer (it stores it with release
 *         order after filling the slots; the consumer loads it with
 *         acquire order before reading them).
 *   cons: slots released by the consumer (same discipline, other way).
 *   *_wants_wakeup: set by a side about to sleep (consumer: ring empty;
 *         producer: ring full); the other side, after publishing its index
 *         and a full barrier, reads it and signals if it is set.
 */
struct netring_hdr {
    /* cache line 0: written by the producer only */
    uint32_t prod;
    uint32_t prod_wants_wakeup;
    uint8_t  pad0[56];
    /* cache line 1: written by the consumer only */
    uint32_t cons;
    uint32_t cons_wants_wakeup;
    uint8_t  pad1[56];
    /* cache line 2: written once by the service when it formats the ring;
     * informative for the client, never read back by the service */
    uint32_t magic;
    uint32_t version;
    uint32_t nslots;                     /* power of two, NETRING_MIN_SLOTS..NETRING_MAX_SLOTS */
    uint32_t slot_size;                  /* sizeof(struct netring_slot) */
    uint8_t  pad2[48];
};

/* Bytes a ring of n slots occupies; the slots start right after the header. */
#define NETRING_BYTES(n) (sizeof(struct netring_hdr) + (size_t)(n) * sizeof(struct netring_slot))

_Static_assert(sizeof(struct netring_slot) == 1488, "netring slot is part of the ABI");
_Static_assert(sizeof(struct netring_slot) % 16 == 0, "slots stay 16-byte aligned");
_Static_assert(offsetof(struct netring_slot, payload) == 16, "slot header is 16 bytes");
_Static_assert(sizeof(struct netring_hdr) == 192, "netring header is three cache lines");
_Static_assert(offsetof(struct netring_hdr, cons) == 64, "consumer index on its own line");
_Static_assert(offsetof(struct netring_hdr, magic) == 128, "geometry on its own line");

#endif
