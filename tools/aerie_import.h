/*
 * aerie_import.h — `aerie import [OPTIONS] NAME PATH`: what PATH holds
 * (a directory, a root tar plain or compressed, an OCI image layout as a
 * directory or a tar, or a `docker save` archive) made into an Aerie
 * image archive (docs/IMAGE.md, "Imported images"): the root under
 * files/, and a `config` with the program, its default arguments, the
 * environment, the working directory and when it was imported. Layers
 * are read by imgtree.c, the JSON by ociconf.c; OCI digests are checked
 * with OpenSSL's SHA-256.
 */
#ifndef AERIE_IMPORT_H
#define AERIE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_WORDS      16
#define IMPORT_MAX_BYTES  (1ull << 30)     /* file bytes in an image (the guest refuses what it cannot hold) */

struct import_options {
    const char *name, *path;
    const char *entrypoint, *workdir;
    const char *tag;                 /* the image of an OCI layout holding several */
    const char *cmd[IMPORT_WORDS];
    unsigned ncmd;
    const char *env[IMPORT_WORDS];
    unsigned nenv;
    bool help;
    uint64_t max_bytes;                    /* 0: IMPORT_MAX_BYTES */
};

/* Parses [OPTIONS] NAME PATH (argv without the command). 0, or -1 with a
 * message naming the bad argument (o->help: --help was asked for). */
int import_parse_args(int argc, char **argv, struct import_options *o, char *err, size_t errlen);

/* Reads o->path and lays out the image archive (*archive is malloc'ed).
 * Warnings (symbolic links left out) go to stderr. 0, or -1 with a
 * message naming the problem; nothing is sent anywhere. */
int import_build(const struct import_options *o, uint8_t **archive, uint64_t *len, char *err, size_t errlen);

#endif
