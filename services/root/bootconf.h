/*
 * bootconf.h — the boot configuration: which services root starts, with
 * what quota and which capabilities. It is text in the boot image
 * (boot.conf); the parser is pure C with no system calls, so it is tested
 * and fuzzed on the host.
 *
 *   # comment
 *   service NAME PROGRAM [key=value]...
 *
 * keys:  mem=SIZE (bytes, K, M, G, or N% of what root has)  threads=N
 *        objects=N  prio=N  cpu=N  args="word word"  restart=yes|no
 *        grant=NAME[,NAME]...   capabilities by name: a served endpoint
 *                               (NAME, NAME.admin), kdebug, image, irqctl,
 *                               ioport:LO-HI, irq:GSI (an ISA line: edge,
 *                               active high), devmem:BASE+SIZE; NAME? is
 *                               optional: when it is unavailable the
 *                               service starts without it; root.admin
 *                               (fault injection), keep (a quota that
 *                               outlives the service's instances) and
 *                               keeper (root holds capabilities for its
 *                               next instance): docs/RESTART.md
 *        serve=NAME             root makes endpoint NAME; this service
 *                               receives on it, those granted NAME send
 */
#ifndef AERIE_BOOTCONF_H
#define AERIE_BOOTCONF_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define BC_MAX_SERVICES 16
#define BC_MAX_GRANTS   16
#define BC_MAX_ARGS     8
#define BC_NAME_MAX     24
#define BC_GRANT_MAX    48      /* a grant name: net:tcp:80+udp:7+out:9000+conns:64 needs room */
#define BC_PATH_MAX     96
#define BC_ARG_MAX      64

struct bc_service {
    char name[BC_NAME_MAX];
    char program[BC_PATH_MAX];
    uint64_t mem;                  /* bytes, or percent when mem_percent */
    bool mem_percent;
    uint32_t threads, objects;
    uint32_t prio;                 /* 0: default */
    int32_t cpu;                   /* -1: any */
    bool restart;
    char grants[BC_MAX_GRANTS][BC_GRANT_MAX];
    unsigned ngrants;
    char serve[BC_NAME_MAX];       /* "" if none */
    char args[BC_MAX_ARGS][BC_ARG_MAX];
    unsigned nargs;
};

struct bootconf {
    struct bc_service services[BC_MAX_SERVICES];
    unsigned nservices;
};

/* Parses text[0..len). Returns the number of lines in error, each named
 * with its problem in err (one per line of text). A line in error is
 * skipped — its service does not start — and the others are kept. */
int bootconf_parse(const char *text, size_t len, struct bootconf *bc, char *err, size_t errlen);

/* Parses a size such as 4096, 64K, 2M, 1G; false if it is not one. */
bool bootconf_size(const char *s, size_t len, uint64_t *out);

#endif
