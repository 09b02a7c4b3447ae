/*
 * fuzz_ociconf.c — libFuzzer target for the JSON readers of `aerie import`
 * (tools/ociconf.c): any bytes go to the index, manifest, docker manifest
 * and config readers; each refuses with a message or returns fields that
 * keep their limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ociconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct oci_manifest m;
    static struct oci_config c;
    struct oci_desc d;
    bool nested;
    char err[300];
    const char *j = (const char *)data;
    err[0] = 0;
    if (oci_index_parse(j, size, NULL, &d, &nested, err, sizeof err) == 0 && !oci_digest_ok(d.digest))
        abort();
    if (oci_manifest_parse(j, size, &m, err, sizeof err) == 0) {
        if (m.nlayers > OCI_LAYERS_MAX || !oci_digest_ok(m.config.digest))
            abort();
        for (unsigned i = 0; i < m.nlayers; i++)
            if (!oci_layer_media_ok(m.layers[i].media) || !oci_digest_ok(m.layers[i].digest))
                abort();
    }
    if (docker_manifest_parse(j, size, &m, err, sizeof err) == 0 && (m.nlayers > OCI_LAYERS_MAX ||
        m.config.path[0] == '/' || strstr(m.config.path, "../")))
        abort();
    if (oci_config_parse(j, size, &c, err, sizeof err) == 0) {
        if (c.nentry > OCI_WORDS || c.ncmd > OCI_WORDS || c.nenv > OCI_WORDS)
            abort();
        if (c.workdir[0] && c.workdir[0] != '/')
            abort();
    } else if (!err[0]) {
        abort();
    }
    return 0;
}
