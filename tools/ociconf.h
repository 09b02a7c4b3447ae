/*
 * ociconf.h — the JSON documents of an OCI image layout and of a
 * `docker save` archive, read with jansson: the index (which manifest),
 * the manifest (the config and the layers, each by digest and media
 * type), docker's manifest.json (config and layer files by path), and the
 * image config (Entrypoint, Cmd, Env, WorkingDir). Every field is checked
 * for type and size; anything else is refused with a message. Fuzzed
 * (tests/fuzz/fuzz_ociconf.c).
 */
#ifndef AERIE_OCICONF_H
#define AERIE_OCICONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_WORDS       16           /* entrypoint + cmd words, env entries: a spec's limits */
#define OCI_STR         128          /* bytes of one, with its NUL */
#define OCI_LAYERS_MAX  128
#define OCI_PATH        512

/* A content descriptor: the blob's digest ("sha256:" and 64 hex digits),
 * size and media type. */
struct oci_desc {
    char digest[72];
    char media[128];
    int64_t size;                    /* -1: not given (docker save) */
    char path[OCI_PATH];             /* docker save: the file, relative to the archive */
};

struct oci_manifest {
    struct oci_desc config;
    struct oci_desc layers[OCI_LAYERS_MAX];
    unsigned nlayers;
};

struct oci_config {
    char entry[OCI_WORDS][OCI_STR];
    unsigned nentry;
    bool has_entry;
    char cmd[OCI_WORDS][OCI_STR];
    unsigned ncmd;
    bool has_cmd;
    char env[OCI_WORDS][OCI_STR];
    unsigned nenv;
    char workdir[OCI_STR];
};

/* index.json: the image manifest to use (the first for linux/amd64, or
 * without a platform; with tag, the one whose ref.name annotation is tag;
 * without, an index of several tagged images is refused, naming them);
 * *nested is set when it is itself an index. */
int oci_index_parse(const char *json, size_t len, const char *tag, struct oci_desc *manifest, bool *nested,
                    char *err, size_t errlen);
/* An image manifest. */
int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err, size_t errlen);
/* docker save's manifest.json (its first image). */
int docker_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err, size_t errlen);
/* An image config (OCI or docker): its "config" object. */
int oci_config_parse(const char *json, size_t len, struct oci_config *c, char *err, size_t errlen);

/* Whether a layer media type is a tar we read (plain, gzip, zstd). */
bool oci_layer_media_ok(const char *media);
/* "sha256:" and 64 lowercase hex digits. */
bool oci_digest_ok(const char *digest);

#endif
