/*
 * imgconfig.h — the config of an imported image (docs/IMAGE.md,
 * "Imported images"): the text file `config` at the top of its archive,
 * written by `aerie import` from an OCI config, a docker save manifest or
 * the import's options. One `key=value` per line:
 *
 *   entrypoint=WORD   a word of the entrypoint (repeated, in order); the
 *                     first is the program, a path in the image's files
 *   cmd=WORD          a word of the default arguments (repeated)
 *   env=NAME=VALUE    an environment variable (repeated)
 *   workdir=PATH      the working directory (absolute)
 *   imported=SECONDS  when it was imported (Unix time)
 *
 * Pure C, so it is unit-tested and fuzzed on the host.
 */
#ifndef AERIE_IMGCONFIG_H
#define AERIE_IMGCONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define IMGCFG_WORDS  16              /* entrypoint + cmd words, and env entries: a spec's limits */
#define IMGCFG_STR    128             /* bytes of one word with its NUL */

struct imgcfg {
    char entry[IMGCFG_WORDS][IMGCFG_STR];
    unsigned nentry;
    char cmd[IMGCFG_WORDS][IMGCFG_STR];
    unsigned ncmd;
    char env[IMGCFG_WORDS][IMGCFG_STR];
    unsigned nenv;
    char workdir[IMGCFG_STR];
    uint64_t imported;
};

/* Parses text; 0, or -1 with what is wrong (and on which line) in err.
 * It must name a program: an entrypoint, or else a cmd. */
int imgcfg_parse(const char *text, size_t len, struct imgcfg *c, char *err, size_t errlen);

/* The program: entry[0], or cmd[0] without an entrypoint. */
const char *imgcfg_program(const struct imgcfg *c);

#endif
