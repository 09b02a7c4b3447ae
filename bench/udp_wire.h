/*
 * udp_wire.h — the UDP bandwidth benchmark's protocol between a guest sender
 * (bench/linux/guest/udpsend.c, and Aerie's own) and tools/udpsink.c on the
 * host, which sits at the other end of the guest's NIC (tools/qemu.sh
 * --netwire) as the machine 10.0.2.2 with MAC 52:55:0a:00:02:02.
 *
 *  1. The guest sends "BEGIN run=R streams=N seconds=T" to 10.0.2.2 port
 *     UDPW_CTRL_PORT and repeats it every 500 ms until the sink answers
 *     "READY run=R" to the sending port.
 *  2. Each of the N streams sends datagrams with a UDPW_PAYLOAD-byte payload
 *     to 10.0.2.2 port UDPW_DATA_PORT for T seconds plus UDPW_MARGIN_S; the
 *     payload begins with struct udpw_header (little-endian).
 *  3. The sink counts the run's datagrams that arrive in the T seconds after
 *     the first one and prints SAMPLE udp_bw lines for it.
 *  4. The guest sends "END run=R" (again until answered); the sink answers
 *     "RESULT run=R packets=P seconds=T".
 * Datagrams of any other run are ignored, so a late stream never inflates
 * the next run.
 */
#ifndef UDP_WIRE_H
#define UDP_WIRE_H

#include <stdint.h>

#define UDPW_CTRL_PORT 9000
#define UDPW_DATA_PORT 9001
#define UDPW_PAYLOAD   1472     /* fills a 1500-byte MTU: 20 IP + 8 UDP + 1472 */
#define UDPW_MAGIC     0x57504455u   /* "UDPW" */
#define UDPW_MARGIN_S  1

struct udpw_header {
    uint32_t magic;
    uint32_t run;
    uint32_t stream;
    uint32_t pad;
    uint64_t seq;
};

_Static_assert(sizeof(struct udpw_header) == 24, "udpw_header is part of the wire format");

#endif
