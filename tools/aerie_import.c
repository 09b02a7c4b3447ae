/*
 * aerie_import.c — turning what `aerie import` is given into an image
 * archive (see aerie_import.h). The input is read through a `source`: a
 * host directory, or the files of a tar held in memory, so an OCI layout
 * or docker save archive is read the same way whether it was unpacked or
 * not. Nothing is written anywhere: the archive goes to Aerie, which
 * keeps it only if it takes it.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <aerie/proto/cm.h>
#include "aerie_import.h"
#include "imgtree.h"
#include "ociconf.h"

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- arguments ---- */

static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (!len || len > CM_NAME_MAX || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= '0' && n[0] <= '9')))
        return false;
    return strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == len;
}

/* One option with its value at argv[*i]; advances *i. */
static int take_option(struct import_options *o, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        o->help = true;
        return -1;
    }
    if (!v)
        return say(err, errlen, "unknown option '%s', or it needs a value", a);
    if (!strcmp(a, "--entrypoint"))
        o->entrypoint = v;
    else if (!strcmp(a, "--workdir"))
        o->workdir = v;
    else if (!strcmp(a, "--tag"))
        o->tag = v;
    else if (!strcmp(a, "--cmd") && o->ncmd < IMPORT_WORDS)
        o->cmd[o->ncmd++] = v;
    else if (!strcmp(a, "--env") && o->nenv < IMPORT_WORDS)
        o->env[o->nenv++] = v;
    else if (!strcmp(a, "--cmd") || !strcmp(a, "--env"))
        return say(err, errlen, "%s: more than %d of them", a, IMPORT_WORDS);
    else
        return say(err, errlen, "unknown option '%s'", a);
    if (strlen(v) >= OCI_STR || strchr(v, '\n'))
        return say(err, errlen, "%s: '%.40s' is not one line under %d bytes", a, v, OCI_STR);
    (*i)++;
    return 0;
}

int import_parse_args(int argc, char **argv, struct import_options *o, char *err, size_t errlen)
{
    const char *ops[2];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            if (take_option(o, argc, argv, &i, err, errlen))
                return -1;
        } else if (n < 2) {
            ops[n++] = argv[i];
        } else {
            return say(err, errlen, "expected NAME PATH, got more ('%s')", argv[i]);
        }
    }
    if (n < 2)
        return say(err, errlen, "expected NAME PATH");
    o->name = ops[0];
    o->path = ops[1];
    struct stat st;
    if (stat(o->path, &st) && !stat(o->name, &st))        /* docker import's order: FILE NAME */
        return say(err, errlen, "'%s' is no file or directory, but '%s' is: the order is NAME PATH "
                   "(aerie import %s %s)", o->path, o->name, o->path, o->name);
    static char untagged[CM_NAME_MAX + 1];
    const char *tag = strchr(o->name, ':');
    if (tag && !strcmp(tag, ":latest") && (size_t)(tag - o->name) <= CM_NAME_MAX) {
        snprintf(untagged, sizeof untagged, "%.*s", (int)(tag - o->name), o->name);
        o->name = untagged;                                /* docker's default tag: the name */
    }
    if (!valid_name(o->name) && strchr(o->name, ':'))
        return say(err, errlen, "NAME: '%s': an image here is one name with no tag (aerie run NAME runs it)",
                    o->name);
    if (!valid_name(o->name))
        return say(err, errlen, "NAME: '%s' is not 1 to %d of a-z 0-9 - _ . starting with a letter or digit",
                    o->name, CM_NAME_MAX);
    if (o->entrypoint && o->entrypoint[0] != '/')
        return say(err, errlen, "--entrypoint: '%s' is not an absolute path in the image", o->entrypoint);
    if (o->workdir && o->workdir[0] != '/')
        return say(err, errlen, "--workdir: '%s' is not an absolute path", o->workdir);
    for (unsigned i = 0; i < o->nenv; i++)
        if (!strchr(o->env[i], '=') || o->env[i][0] == '=')
            return say(err, errlen, "--env: '%s' is not NAME=VALUE", o->env[i]);
    return 0;
}

/* ---- where the input's files are ---- */

struct tarfile {
    char *path;
    uint8_t *data;
    uint64_t size;
};

struct source {
    const char *dir;                 /* a host directory, or NULL: the tar's files */
    struct tarfile *files;
    size_t nfiles;
    uint64_t max;
};

static bool safe_rel(const char *p)
{
    if (!p[0] || p[0] == '/')
        return false;
    for (const char *c = p; (c = strstr(c, "..")); c += 2)
        if ((c == p || c[-1] == '/') && (c[2] == 0 || c[2] == '/'))
            return false;
    return true;
}

/* Without "./" at the front and "/" at the end. */
static void tidy(char *p)
{
    while (p[0] == '.' && p[1] == '/')
        memmove(p, p + 2, strlen(p + 2) + 1);
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        p[--n] = 0;
}

/* O_NONBLOCK: a FIFO (or a terminal, a device) where a layout's file
 * should be is refused by the type check below instead of hanging the
 * open until something writes to it (attack22); a regular file's reads
 * do not change with it. */
static int read_host(const char *path, uint64_t max, uint8_t **data, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return say(err, errlen, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return say(err, errlen, "%s: not a regular file (%s)", path,
                   S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : "a device or socket");
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return say(err, errlen, "%s: %llu bytes, more than the %llu an import may read", path,
                   (unsigned long long)st.st_size, (unsigned long long)max);
    }
    *size = (uint64_t)st.st_size;
    *data = malloc(*size ? *size : 1);
    uint64_t got = 0;
    while (*data && got < *size) {
        ssize_t n = read(fd, *data + got, *size - got);
        if (n <= 0)
            break;
        got += (uint64_t)n;
    }
    close(fd);
    if (!*data || got != *size) {
        free(*data);
        return say(err, errlen, "%s: could not read it", path);
    }
    return 0;
}

/* A file of the input, relative to its top; NULL (with err) if absent. */
static int src_read(const struct source *s, const char *rel, uint8_t **data, uint64_t *size, char *err,
                    size_t errlen)
{
    if (!safe_rel(rel))
        return say(err, errlen, "'%.200s' is not a path inside the image layout", rel);
    if (s->dir) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", s->dir, rel);
        return read_host(path, s->max, data, size, err, errlen);
    }
    for (size_t i = 0; i < s->nfiles; i++) {
        if (strcmp(s->files[i].path, rel))
            continue;
        *size = s->files[i].size;
        *data = malloc(*size ? *size : 1);
        if (!*data)
            return say(err, errlen, "out of memory");
        memcpy(*data, s->files[i].data, *size);
        return 0;
    }
    return say(err, errlen, "'%.200s' is missing from the archive", rel);
}

static bool src_has(const struct source *s, const char *rel)
{
    if (s->dir) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", s->dir, rel);
        return access(path, F_OK) == 0;
    }
    for (size_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].path, rel))
            return true;
    return false;
}

static void src_free(struct source *s)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].path);
        free(s->files[i].data);
    }
    free(s->files);
}

/* Reads the regular files of a tar held in memory into s. */
static int src_from_tar(struct source *s, const uint8_t *tar, uint64_t len, char *err, size_t errlen)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int r = archive_read_open_memory(a, tar, len) == ARCHIVE_OK ? 0
          : say(err, errlen, "not a tar archive (%s)", archive_error_string(a));
    struct archive_entry *ae;
    int st;
    uint64_t total = 0;
    while (!r && (st = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
        if (st < ARCHIVE_WARN) {
            r = say(err, errlen, "a broken or truncated archive (%s)", archive_error_string(a));
            break;
        }
        if (archive_entry_filetype(ae) != AE_IFREG || !archive_entry_pathname(ae))
            continue;
        int64_t size = archive_entry_size(ae);
        struct tarfile *f = reallocarray(s->files, s->nfiles + 1, sizeof *f);
        if (!f || size < 0 || (total += (uint64_t)size) > s->max) {
            r = say(err, errlen, f ? "the archive holds more than %llu bytes" : "out of memory",
                    (unsigned long long)s->max);
            break;
        }
        s->files = f;
        f = &s->files[s->nfiles];
        f->path = strdup(archive_entry_pathname(ae));
        f->data = malloc(size ? (size_t)size : 1);
        f->size = (uint64_t)size;
        if (!f->path || !f->data) {
            free(f->path);
            free(f->data);
            r = say(err, errlen, "out of memory");
            break;
        }
        s->nfiles++;
        tidy(f->path);
        if (archive_read_data(a, f->data, (size_t)size) != size)
            r = say(err, errlen, "'%.200s' is cut short (%s)", f->path, archive_error_string(a));
    }
    archive_read_free(a);
    return r;
}

/* ---- OCI layouts and docker save ---- */

/* Checks data against a "sha256:HEX" digest. */
static bool digest_matches(const uint8_t *data, uint64_t size, const char *digest)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (!EVP_Digest(data, size, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return false;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return !strcmp(hex, digest + 7);
}

/* The blob a descriptor names, its digest and size checked. */
static int read_blob(const struct source *s, const struct oci_desc *d, const char *what, uint8_t **data,
                     uint64_t *size, char *err, size_t errlen)
{
    char rel[128];
    snprintf(rel, sizeof rel, "blobs/sha256/%s", d->digest + 7);
    if (src_read(s, rel, data, size, err, errlen))
        return say(err, errlen, "%s: the blob %.20s... is missing from the layout", what, d->digest);
    if ((d->size >= 0 && (uint64_t)d->size != *size) || !digest_matches(*data, *size, d->digest)) {
        free(*data);
        return say(err, errlen, "%s: the blob %.20s... does not match its digest%s (the layout is corrupt)", what,
                   d->digest, d->size >= 0 && (uint64_t)d->size != *size ? " and size" : "");
    }
    return 0;
}

static int apply_layers(struct imgtree *t, const struct source *s, const struct oci_manifest *m, bool docker,
                        char *err, size_t errlen)
{
    for (unsigned i = 0; i < m->nlayers; i++) {
        uint8_t *data;
        uint64_t size;
        char what[32];
        snprintf(what, sizeof what, "layer %u", i + 1);
        int r = docker ? src_read(s, m->layers[i].path, &data, &size, err, errlen)
                       : read_blob(s, &m->layers[i], what, &data, &size, err, errlen);
        if (!r) {
            r = imgtree_apply_layer(t, data, size, i + 1, err, errlen);
            free(data);
        }
        if (r)
            return -1;
    }
    return 0;
}

static int read_config(const struct source *s, const struct oci_desc *d, bool docker, struct oci_config *cfg,
                       char *err, size_t errlen)
{
    uint8_t *data;
    uint64_t size;
    int r = docker ? src_read(s, d->path, &data, &size, err, errlen)
                   : read_blob(s, d, "the config", &data, &size, err, errlen);
    if (r)
        return -1;
    r = oci_config_parse((const char *)data, size, cfg, err, errlen);
    free(data);
    return r;
}

static int import_oci(struct imgtree *t, const struct source *s, const char *tag, struct oci_config *cfg, char *err,
                      size_t errlen)
{
    uint8_t *data;
    uint64_t size;
    struct oci_desc d;
    bool nested = false;
    static struct oci_manifest m;
    if (src_read(s, "index.json", &data, &size, err, errlen))
        return -1;
    int r = oci_index_parse((const char *)data, size, tag, &d, &nested, err, errlen);
    free(data);
    for (int depth = 0; !r && nested; depth++) {         /* an index naming an index (a tag named the top one) */
        if (depth == 4 || read_blob(s, &d, "an index", &data, &size, err, errlen))
            return depth == 4 ? say(err, errlen, "indexes nested too deeply") : -1;
        r = oci_index_parse((const char *)data, size, NULL, &d, &nested, err, errlen);
        free(data);
    }
    if (r || read_blob(s, &d, "the manifest", &data, &size, err, errlen))
        return -1;
    r = oci_manifest_parse((const char *)data, size, &m, err, errlen);
    free(data);
    if (!r)
        r = read_config(s, &m.config, false, cfg, err, errlen);
    return r ? r : apply_layers(t, s, &m, false, err, errlen);
}

static int import_docker(struct imgtree *t, const struct source *s, struct oci_config *cfg, char *err, size_t errlen)
{
    uint8_t *data;
    uint64_t size;
    static struct oci_manifest m;
    if (src_read(s, "manifest.json", &data, &size, err, errlen))
        return -1;
    int r = docker_manifest_parse((const char *)data, size, &m, err, errlen);
    free(data);
    if (!r)
        r = read_config(s, &m.config, true, cfg, err, errlen);
    return r ? r : apply_layers(t, s, &m, true, err, errlen);
}

/* Whatever s holds: an OCI layout, docker save, or (dir only) a root. */
static int import_source(struct imgtree *t, const struct source *s, const char *tag, struct oci_config *cfg, char *err,
                         size_t errlen)
{
    if (src_has(s, "oci-layout") && src_has(s, "index.json"))
        return import_oci(t, s, tag, cfg, err, errlen);
    if (src_has(s, "manifest.json"))
        return import_docker(t, s, cfg, err, errlen);
    return imgtree_add_host_dir(t, s->dir, err, errlen);
}

/* A file: an OCI layout or docker save tar, else a root tar. */
static int import_file(struct imgtree *t, const char *path, uint64_t max, const char *tag, struct oci_config *cfg,
                       char *err, size_t errlen)
{
    uint8_t *data;
    uint64_t size;
    struct source s = { .max = max };
    if (read_host(path, max, &data, &size, err, errlen))
        return -1;
    int r = src_from_tar(&s, data, size, err, errlen);
    bool layout = !r && ((src_has(&s, "oci-layout") && src_has(&s, "index.json")) || src_has(&s, "manifest.json"));
    if (!r)
        r = layout ? import_source(t, &s, tag, cfg, err, errlen) : imgtree_apply_layer(t, data, size, 1, err, errlen);
    src_free(&s);
    free(data);
    return r;
}

/* ---- the config ---- */

static void put_line(char *text, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(text);
    snprintf(text + n, cap - n, "%s=%s\n", key, value);
}

/* The config text (services/cm/imgconfig.h) from the image's config and
 * the options; the program must be a file of the image. */
static int config_text(const struct import_options *o, const struct oci_config *c, const struct imgtree *t,
                       char *text, size_t cap, char *err, size_t errlen)
{
    text[0] = 0;
    if (o->entrypoint)
        put_line(text, cap, "entrypoint", o->entrypoint);
    for (unsigned i = 0; !o->entrypoint && i < c->nentry; i++)
        put_line(text, cap, "entrypoint", c->entry[i]);
    for (unsigned i = 0; i < o->ncmd; i++)
        put_line(text, cap, "cmd", o->cmd[i]);
    for (unsigned i = 0; !o->ncmd && !o->entrypoint && i < c->ncmd; i++)
        put_line(text, cap, "cmd", c->cmd[i]);
    for (unsigned i = 0; i < c->nenv; i++)
        put_line(text, cap, "env", c->env[i]);
    for (unsigned i = 0; i < o->nenv; i++)
        put_line(text, cap, "env", o->env[i]);
    if (o->workdir || c->workdir[0])
        put_line(text, cap, "workdir", o->workdir ? o->workdir : c->workdir);
    char when[24];
    snprintf(when, sizeof when, "%lld", (long long)time(NULL));
    put_line(text, cap, "imported", when);
    const char *prog = o->entrypoint ? o->entrypoint : c->nentry ? c->entry[0] : !o->ncmd && c->ncmd ? c->cmd[0]
                     : o->ncmd ? o->cmd[0] : NULL;
    if (!prog)
        return say(err, errlen, "the image names no program (a directory or root tar has no config): give "
                   "--entrypoint PATH");
    if (prog[0] != '/')
        return say(err, errlen, "the program '%.100s' is not an absolute path in the image (give --entrypoint)", prog);
    if (!imgtree_is_file(t, prog) && imgtree_is_link(t, prog))
        return say(err, errlen, "the program %.100s is a symbolic link that leads to no file in the image "
                   "(dangling, or a loop of more than 40 links)", prog);
    if (!imgtree_is_file(t, prog))
        return say(err, errlen, "the program %.100s is not a file in the image", prog);
    return 0;
}

int import_build(const struct import_options *o, uint8_t **archive, uint64_t *len, char *err, size_t errlen)
{
    uint64_t max = o->max_bytes ? o->max_bytes : IMPORT_MAX_BYTES;
    struct imgtree *t = imgtree_new(max);
    struct oci_config cfg = { 0 };
    struct stat st;
    static char text[16384];
    unsigned links = 0;
    int r = !t ? say(err, errlen, "out of memory") : stat(o->path, &st) ? say(err, errlen, "%s: %s", o->path, strerror(errno)) : 0;
    if (!r && S_ISDIR(st.st_mode)) {
        struct source s = { .dir = o->path, .max = max };
        r = import_source(t, &s, o->tag, &cfg, err, errlen);
    } else if (!r && S_ISREG(st.st_mode)) {
        r = import_file(t, o->path, max, o->tag, &cfg, err, errlen);
    } else if (!r) {
        r = say(err, errlen, "%s: not a directory or a file", o->path);
    }
    if (!r)
        r = config_text(o, &cfg, t, text, sizeof text, err, errlen);
    if (!r)
        r = imgtree_archive(t, text, archive, len, &links, err, errlen);
    imgtree_free(t);
    return r;
}
