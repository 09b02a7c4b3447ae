/*
 * sender.h — N threads, each with its own UDP socket, sending 1472-byte
 * datagrams to one receiver for a fixed time: the sending half of the
 * UDP bandwidth benchmark (apps/udpsend, bench/aerie/udpbench.c).
 *
 * Every datagram starts with a header (all little-endian) so the
 * receiver can count per run and per stream and see losses: magic, run,
 * stream, sequence number. The magic names the receiver's protocol:
 * SENDER_MAGIC ("AUB1") for tools/udprecv.c, UDPW_MAGIC ("UDPW",
 * bench/udp_wire.h, the same layout) for tools/udpsink.c.
 */
#ifndef UDPSEND_SENDER_H
#define UDPSEND_SENDER_H

#include <stdint.h>

#define SENDER_PAYLOAD    1472
#define SENDER_MAGIC      0x31425541u     /* "AUB1" */
#define SENDER_MAX_STREAMS 16

struct sender_hdr {
    uint32_t magic;
    uint32_t run;
    uint32_t stream;
    uint32_t reserved;
    uint64_t seq;
};

struct sender_result {
    uint64_t sent;             /* datagrams all streams sent */
    uint64_t errors;           /* sends that failed */
    uint64_t ns;               /* how long they sent */
    uint64_t cpus;             /* bit c: a stream ended its sending on CPU c (below 64) */
};

/* Sends from `streams` threads, each from local port first_port + i (0:
 * any granted port), to ip:port (host byte order) for `seconds`, every
 * datagram's header carrying magic and run. Returns 0, or -1 with errno
 * from the first socket that could not be set up. */
int send_streams(uint32_t ip, uint16_t port, unsigned seconds, unsigned streams,
                 uint16_t first_port, uint32_t magic, uint32_t run, struct sender_result *res);

#endif
