/*
 * aerie/proto/console.h — the console service protocol (docs/CONSOLE.md).
 *
 * Every program that was granted "console" holds a send capability whose
 * badge names it. It writes its log stream with CON_WRITE; the console
 * keeps the last CON_LOG_BYTES of each stream and prints whole lines on the
 * kernel console with the program's name in front. The holder of the admin
 * capability (badge CON_ADMIN_BADGE: root, and the container manager)
 * names streams, opens new ones (minting their capabilities), and reads
 * them back. Streams opened with CON_OPEN have badges with bit
 * CON_OPENED_BADGE set, so they never collide with root's, and keep their
 * log in Memory the opener passes (the client pays for its log).
 */
#ifndef AERIE_PROTO_CONSOLE_H
#define AERIE_PROTO_CONSOLE_H

#include <stdint.h>
#include "proto.h"

#define CON_ADMIN_BADGE   PROTO_ADMIN_BADGE
#define CON_OPENED_BADGE  (1ull << 40)
#define CON_LOG_BYTES     8192         /* kept per stream of root's services */
#define CON_LOG_MIN       4096         /* an opened stream's log: the Memory it came with */
#define CON_LOG_MAX       (1u << 20)
#define CON_NAME_MAX      31
#define CON_CHUNK         ((64 - 1) * 8) /* bytes one message carries */
/* An opened stream's Memory ends with a header the console keeps current
 * (CON_LOG_MAGIC, then the bytes written so far), so a restarted console
 * re-attached to it (CON_REOPEN) continues where the log was; the ring is
 * the bytes before it. */
#define CON_LOG_HDR       64
#define CON_LOG_MAGIC     0x31474f4c65697261ull   /* "aerieLOG1" */
/* CON_OPEN's badges: CON_OPENED_BADGE | the console's incarnation (root's
 * AERIE_INCARNATION, 12 bits) << 28 | a counter, so a restarted console
 * never mints a badge an older instance gave out. */
#define CON_INCARNATION_SHIFT 28

enum con_op {
    CON_WRITE = 1,   /* 0: length, 1..: bytes                       -> () */
    CON_NAME  = 2,   /* admin. 0: badge, 1: length, 2..: name bytes -> () */
    CON_READ  = 3,   /* admin. 0: badge, 1: from (bytes written so far) -> 0: total written, 1: length, 2..: bytes */
    CON_FORGET = 4,  /* admin. 0: badge: drop the stream             -> () */
    CON_OPEN  = 5,   /* admin. 0: length, 1..: name; caps[0]: Memory (READ, WRITE,
                        CON_LOG_MIN..CON_LOG_MAX bytes) the stream's log lives in,
                        made from the client's quota -> 0: badge, and a new send
                        capability with that badge (the client's) */
    CON_REOPEN = 6,  /* admin. 0: badge (an opened stream's), 1: length, 2..: name; caps[0]: its
                        log Memory: after a restart, the stream continues in its log from the
                        position the log's header holds -> () (docs/RESTART.md) */
    /* A container's standard input (`aerie run -i`; docs/CONSOLE.md, "Input"):
     * a small ring per opened stream that cm attached input to. */
    CON_IN_ATTACH = 7, /* admin. 0: badge (an opened stream's); caps[0]: a notification (WRITE)
                          the console signals (bit CON_IN_SIGNAL) when input or its end comes;
                          caps[1]: Memory (READ, WRITE, >= CON_IN_BYTES) made from the
                          container's quota, where the ring's bytes live
                          -> (): the stream now has an empty input ring of CON_IN_BYTES */
    CON_IN_PUSH  = 8,  /* admin. 0: badge, 1: CON_IN_* flags, 2: length <= CON_IN_CHUNK, 3..: bytes
                          -> 0: bytes taken (the ring's room; the rest is sent again later);
                          CON_IN_EOF takes effect once every byte was taken; CON_IN_DROP frees
                          the ring (the container ended). AE_ENOENT: no input attached */
    CON_IN_READ  = 9,  /* any client, its own stream. 0: most bytes wanted
                          -> 0: length, 1: 1 at the end of the input, 2..: bytes; AE_EAGAIN when
                          the ring is empty and the end has not come (wait on the notification).
                          A stream without input reads as ended (length 0, end 1) */
    CON_OP_COUNT
};

#define CON_IN_BYTES   4096            /* a stream's input ring (in the container's Memory) */
#define CON_IN_CHUNK   ((64 - 3) * 8)  /* bytes one CON_IN_PUSH carries */
#define CON_IN_READ_MAX ((64 - 2) * 8) /* bytes one CON_IN_READ reply carries */
#define CON_IN_EOF     0x1u
#define CON_IN_DROP    0x2u
#define CON_IN_SIGNAL  0x1u            /* the notification bit input signals */

#endif
