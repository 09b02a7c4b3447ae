/*
 * ociconf.c — reading the JSON of OCI image layouts and docker save
 * archives (see ociconf.h), after the OCI image spec (image-layout.md,
 * image-index.md, manifest.md, config.md) and docker's save format.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ociconf.h"

#define MT_OCI_INDEX    "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST  "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static json_t *load(const char *json, size_t len, const char *what, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        say(err, errlen, "%s is not JSON (line %d: %s)", what, je.line, je.text);
    return root;
}

bool oci_digest_ok(const char *d)
{
    if (strncmp(d, "sha256:", 7) || strlen(d) != 7 + 64)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

bool oci_layer_media_ok(const char *m)
{
    static const char *const ok[] = {
        "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(m, ok[i]))
            return true;
    return false;
}

/* A string member into out (cap bytes); absent: "" when optional. */
static int get_str(json_t *o, const char *key, char *out, size_t cap, bool optional, const char *what,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v && optional)
        return 0;
    if (!json_is_string(v))
        return say(err, errlen, "%s: \"%s\" is %s, not a string", what, key, v ? "something else" : "missing");
    size_t n = json_string_length(v);
    if (n >= cap || memchr(json_string_value(v), 0, n))
        return say(err, errlen, "%s: \"%s\" is longer than %zu bytes", what, key, cap - 1);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

static int get_desc(json_t *o, struct oci_desc *d, const char *what, char *err, size_t errlen)
{
    if (!json_is_object(o))
        return say(err, errlen, "%s is not an object", what);
    if (get_str(o, "digest", d->digest, sizeof d->digest, false, what, err, errlen) ||
        get_str(o, "mediaType", d->media, sizeof d->media, true, what, err, errlen))
        return -1;
    if (!oci_digest_ok(d->digest))
        return say(err, errlen, "%s: digest '%.80s' is not sha256:<64 hex digits> (the only algorithm read)", what,
                   d->digest);
    json_t *size = json_object_get(o, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return say(err, errlen, "%s: \"size\" is not a non-negative number", what);
    d->size = (int64_t)json_integer_value(size);
    return 0;
}

/* Whether a manifest entry of an index is for linux/amd64 (or says nothing). */
static bool our_platform(json_t *m)
{
    json_t *p = json_object_get(m, "platform");
    if (!json_is_object(p))
        return true;
    const char *os = json_string_value(json_object_get(p, "os")), *arch = json_string_value(json_object_get(p, "architecture"));
    return (!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, "amd64"));
}

/* The tag an index gives a manifest (its org.opencontainers.image.ref.name
 * annotation, as skopeo, umoci and buildx write it), or NULL. */
static const char *ref_name(json_t *m)
{
    json_t *a = json_object_get(m, "annotations");
    return json_string_value(json_object_get(a, "org.opencontainers.image.ref.name"));
}

/* Whether m is the entry to take: ours, and the tag asked for if any. */
static bool wanted(json_t *m, const char *tag)
{
    if (!json_is_object(m) || !our_platform(m))
        return false;
    const char *name = ref_name(m);
    return !tag || (name && !strcmp(name, tag));
}

/* The tags of the entries for our platform, "a, b, c" (for a message). */
static void list_tags(json_t *ms, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        const char *name = json_is_object(m) && our_platform(m) ? ref_name(m) : NULL;
        size_t n = strlen(out);
        if (name && n + strlen(name) + 3 < cap)
            snprintf(out + n, cap - n, "%s%s", n ? ", " : "", name);
    }
}

/* How many entries for our platform name a tag of their own. */
static unsigned tagged(json_t *ms)
{
    unsigned n = 0;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        n += json_is_object(m) && our_platform(m) && ref_name(m);
    }
    return n;
}

int oci_index_parse(const char *json, size_t len, const char *tag, struct oci_desc *out, bool *nested,
                    char *err, size_t errlen)
{
    json_t *root = load(json, len, "index.json", err, errlen);
    if (!root)
        return -1;
    json_t *ms = json_object_get(root, "manifests"), *ver = json_object_get(root, "schemaVersion");
    int r = -1;
    bool found = false;
    char tags[200];
    if (!json_is_object(root) || !json_is_integer(ver) || json_integer_value(ver) != 2)
        say(err, errlen, "index.json: not an OCI image index (schemaVersion 2)");
    else if (!json_is_array(ms) || !json_array_size(ms))
        say(err, errlen, "index.json: it lists no manifest");
    else if (!tag && tagged(ms) > 1)      /* taking the first of several images would be a guess */
        list_tags(ms, tags, sizeof tags), say(err, errlen, "index.json: it holds %u images (%s): choose one "
                                               "with --tag", tagged(ms), tags);
    else
        r = 0;
    for (size_t i = 0; !r && !found && i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        if (!wanted(m, tag))
            continue;
        r = get_desc(m, out, "index.json's manifest", err, errlen);
        *nested = !strcmp(out->media, MT_OCI_INDEX) || !strcmp(out->media, MT_DOCKER_LIST);
        if (!r && !*nested && strcmp(out->media, MT_OCI_MANIFEST) && strcmp(out->media, MT_DOCKER_MANIFEST))
            r = say(err, errlen, "index.json: unsupported media type '%.100s' for a manifest", out->media);
        found = !r;
    }
    if (!r && !found && tag)
        list_tags(ms, tags, sizeof tags), r = say(err, errlen, "index.json: no image tagged '%.60s' for "
                                                   "linux/amd64 (tags: %s)", tag, tags[0] ? tags : "none");
    else if (!r && !found)
        r = say(err, errlen, "index.json: no manifest for linux/amd64");
    json_decref(root);
    return r;
}

int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err, size_t errlen)
{
    json_t *root = load(json, len, "the manifest", err, errlen);
    if (!root)
        return -1;
    memset(m, 0, sizeof *m);
    json_t *layers = json_object_get(root, "layers");
    int r = get_desc(json_object_get(root, "config"), &m->config, "the manifest's config", err, errlen);
    if (!r && strcmp(m->config.media, MT_OCI_CONFIG) && strcmp(m->config.media, MT_DOCKER_CONFIG))
        r = say(err, errlen, "the manifest: unsupported media type '%.100s' for a config", m->config.media);
    if (!r && (!json_is_array(layers) || json_array_size(layers) > OCI_LAYERS_MAX))
        r = say(err, errlen, "the manifest: \"layers\" is not a list of at most %d", OCI_LAYERS_MAX);
    for (size_t i = 0; !r && i < json_array_size(layers); i++) {
        char what[48];
        snprintf(what, sizeof what, "the manifest's layer %zu", i + 1);
        struct oci_desc *d = &m->layers[m->nlayers++];
        if (get_desc(json_array_get(layers, i), d, what, err, errlen))
            r = -1;
        else if (!oci_layer_media_ok(d->media))
            r = say(err, errlen, "%s: unsupported media type '%.100s'", what, d->media);
    }
    json_decref(root);
    return r;
}

/* A relative path inside the archive: no "..", not absolute. */
static bool inside(const char *p)
{
    return p[0] && p[0] != '/' && !strstr(p, "../") && strcmp(p, "..") &&
           !(strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/.."));
}

int docker_manifest_parse(const char *json, size_t len, struct oci_manifest *m, char *err, size_t errlen)
{
    json_t *root = load(json, len, "manifest.json", err, errlen);
    if (!root)
        return -1;
    memset(m, 0, sizeof *m);
    json_t *img = json_array_get(root, 0), *layers = json_object_get(img, "Layers");
    int r = 0;
    m->config.size = -1;
    if (!json_is_array(root) || !json_is_object(img))
        r = say(err, errlen, "manifest.json: not a docker save manifest (a list of images)");
    if (!r)
        r = get_str(img, "Config", m->config.path, sizeof m->config.path, false, "manifest.json", err, errlen);
    if (!r && !inside(m->config.path))
        r = say(err, errlen, "manifest.json: the config '%.100s' is outside the archive", m->config.path);
    if (!r && (!json_is_array(layers) || json_array_size(layers) > OCI_LAYERS_MAX))
        r = say(err, errlen, "manifest.json: \"Layers\" is not a list of at most %d", OCI_LAYERS_MAX);
    for (size_t i = 0; !r && i < json_array_size(layers); i++) {
        json_t *l = json_array_get(layers, i);
        struct oci_desc *d = &m->layers[m->nlayers++];
        d->size = -1;
        if (!json_is_string(l) || json_string_length(l) >= sizeof d->path || !inside(json_string_value(l)))
            r = say(err, errlen, "manifest.json: layer %zu is not a path inside the archive", i + 1);
        else
            snprintf(d->path, sizeof d->path, "%s", json_string_value(l));
    }
    json_decref(root);
    return r;
}

/* A list of strings into words (at most OCI_WORDS of < OCI_STR bytes). */
static int get_words(json_t *o, const char *key, char (*words)[OCI_STR], unsigned *n, bool *present, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(o, key);
    *n = 0;
    *present = v && !json_is_null(v);
    if (!*present)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > OCI_WORDS)
        return say(err, errlen, "the config: \"%s\" is not a list of at most %d strings", key, OCI_WORDS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *w = json_array_get(v, i);
        if (!json_is_string(w) || json_string_length(w) >= OCI_STR || memchr(json_string_value(w), 0, json_string_length(w)) ||
            strchr(json_string_value(w), '\n'))
            return say(err, errlen, "the config: \"%s\" word %zu is not a string of one line under %d bytes", key,
                       i + 1, OCI_STR);
        memcpy(words[(*n)++], json_string_value(w), json_string_length(w) + 1);
    }
    return 0;
}

int oci_config_parse(const char *json, size_t len, struct oci_config *c, char *err, size_t errlen)
{
    json_t *root = load(json, len, "the image config", err, errlen);
    if (!root)
        return -1;
    memset(c, 0, sizeof *c);
    json_t *cfg = json_object_get(root, "config");
    bool has_env;
    int r = 0;
    if (!json_is_object(root))
        r = say(err, errlen, "the image config is not a JSON object");
    else if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
        r = say(err, errlen, "the image config: \"config\" is not an object");
    else if (json_is_object(cfg) &&
             (get_words(cfg, "Entrypoint", c->entry, &c->nentry, &c->has_entry, err, errlen) ||
              get_words(cfg, "Cmd", c->cmd, &c->ncmd, &c->has_cmd, err, errlen) ||
              get_words(cfg, "Env", c->env, &c->nenv, &has_env, err, errlen) ||
              get_str(cfg, "WorkingDir", c->workdir, sizeof c->workdir, true, "the config", err, errlen)))
        r = -1;
    for (unsigned i = 0; !r && i < c->nenv; i++)
        if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
            r = say(err, errlen, "the config: Env entry '%.60s' is not NAME=VALUE", c->env[i]);
    if (!r && c->workdir[0] && (c->workdir[0] != '/' || strchr(c->workdir, '\n')))
        r = say(err, errlen, "the config: WorkingDir '%.60s' is not an absolute path", c->workdir);
    json_decref(root);
    return r;
}
