/*
 * test_ociconf.c — the JSON of OCI layouts and docker save archives
 * (tools/ociconf.c): what a good index, manifest, docker manifest and
 * image config say, and each kind of wrong document refused with a
 * message naming what is wrong.
 */
#include <string.h>
#include "ociconf.h"
#include "ktest_host.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static char err[300];

static void oci_index_picks_linux_amd64(void)
{
    const char *j = "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" D64 "\",\"size\":7,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" D64 "\",\"size\":9,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    struct oci_desc d;
    bool nested = true;
    CHECK_EQ(oci_index_parse(j, strlen(j), NULL, &d, &nested, err, sizeof err), 0);
    CHECK_EQ(d.size, 9);
    CHECK(!nested);
}

/* A layout holding several tagged images (skopeo, umoci): --tag picks
 * one; without it the import is refused with the tags named, not a guess. */
static void oci_index_tags(void)
{
    const char *j = "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" D64 "\",\"size\":7,"
        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"base\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" D64 "\",\"size\":9,"
        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}";
    struct oci_desc d;
    bool nested = true;
    CHECK(oci_index_parse(j, strlen(j), NULL, &d, &nested, err, sizeof err) != 0);
    CHECK(strstr(err, "2 images (base, v1): choose one with --tag") != NULL);
    CHECK_EQ(oci_index_parse(j, strlen(j), "v1", &d, &nested, err, sizeof err), 0);
    CHECK_EQ(d.size, 9);
    CHECK_EQ(oci_index_parse(j, strlen(j), "base", &d, &nested, err, sizeof err), 0);
    CHECK_EQ(d.size, 7);
    CHECK(oci_index_parse(j, strlen(j), "v2", &d, &nested, err, sizeof err) != 0);
    CHECK(strstr(err, "no image tagged 'v2' for linux/amd64 (tags: base, v1)") != NULL);
}

static void oci_manifest_and_config(void)
{
    const char *m = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        "\"digest\":\"sha256:" D64 "\",\"size\":3},\"layers\":[{\"mediaType\":"
        "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" D64 "\",\"size\":5}]}";
    struct oci_manifest man;
    CHECK_EQ(oci_manifest_parse(m, strlen(m), &man, err, sizeof err), 0);
    CHECK_EQ(man.nlayers, 1);
    CHECK_EQ(man.layers[0].size, 5);
    const char *c = "{\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":null,\"Env\":[\"A=1\"],"
        "\"WorkingDir\":\"/w\"}}";
    struct oci_config cfg;
    CHECK_EQ(oci_config_parse(c, strlen(c), &cfg, err, sizeof err), 0);
    CHECK_EQ(cfg.nentry, 2);
    CHECK(cfg.has_entry && !cfg.has_cmd);
    CHECK(!strcmp(cfg.workdir, "/w") && !strcmp(cfg.env[0], "A=1"));
    CHECK_EQ(oci_config_parse("{}", 2, &cfg, err, sizeof err), 0);      /* no config: nothing set */
    const char *d = "[{\"Config\":\"abc.json\",\"Layers\":[\"x/layer.tar\"]}]";
    CHECK_EQ(docker_manifest_parse(d, strlen(d), &man, err, sizeof err), 0);
    CHECK(!strcmp(man.config.path, "abc.json") && !strcmp(man.layers[0].path, "x/layer.tar"));
}

static void oci_mistakes_named(void)
{
    struct oci_manifest man;
    struct oci_config cfg;
    struct oci_desc d;
    bool nested;
    static const struct { int kind; const char *json, *why; } bad[] = {
        { 0, "{\"schemaVersion\":1,\"manifests\":[]}", "not an OCI image index" },
        { 0, "{\"schemaVersion\":2,\"manifests\":[]}", "lists no manifest" },
        { 0, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"text/plain\",\"digest\":\"sha256:" D64
             "\",\"size\":1}]}", "unsupported media type 'text/plain'" },
        { 0, "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"md5:00\",\"size\":1}]}", "the only algorithm read" },
        { 1, "{\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" D64
             "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/x-zip\",\"digest\":\"sha256:" D64
             "\",\"size\":1}]}", "layer 1: unsupported media type 'application/x-zip'" },
        { 1, "{\"config\":{\"digest\":\"sha256:" D64 "\",\"size\":-1}}", "\"size\" is not a non-negative number" },
        { 2, "[{\"Config\":\"../etc/passwd\",\"Layers\":[]}]", "is outside the archive" },
        { 2, "[{\"Config\":\"c.json\",\"Layers\":[\"/abs\"]}]", "layer 1 is not a path inside the archive" },
        { 2, "{}", "not a docker save manifest" },
        { 3, "not json", "the image config is not JSON" },
        { 3, "{\"config\":{\"Cmd\":\"/bin/sh\"}}", "\"Cmd\" is not a list" },
        { 3, "{\"config\":{\"Env\":[\"NOEQUALS\"]}}", "Env entry 'NOEQUALS' is not NAME=VALUE" },
        { 3, "{\"config\":{\"WorkingDir\":\"rel\"}}", "WorkingDir 'rel' is not an absolute path" },
        { 3, "{\"config\":{\"Cmd\":[\"a\\nb\"]}}", "not a string of one line" },
        { 3, "{\"a\":1,\"a\":2}", "not JSON" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i].json);
        int r = bad[i].kind == 0 ? oci_index_parse(bad[i].json, n, NULL, &d, &nested, err, sizeof err)
              : bad[i].kind == 1 ? oci_manifest_parse(bad[i].json, n, &man, err, sizeof err)
              : bad[i].kind == 2 ? docker_manifest_parse(bad[i].json, n, &man, err, sizeof err)
              : oci_config_parse(bad[i].json, n, &cfg, err, sizeof err);
        CHECK_EQ(r, (unsigned long long)-1);
        CHECK(strstr(err, bad[i].why) != NULL);
    }
}

int main(void)
{
    RUN(oci_index_picks_linux_amd64);
    RUN(oci_index_tags);
    RUN(oci_manifest_and_config);
    RUN(oci_mistakes_named);
    return TESTS_DONE();
}
