/*
 * imgbuild.c — the in-memory archive builder behind tools/mkimage (see
 * imgbuild.h). It produces exactly what lib/image/img_open accepts: the
 * path order and the layout rules come from include/aerie/image.h, the
 * order function from lib/image so the two can never disagree.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/image.h>
#include "../lib/image/img.h"
#include "imgbuild.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the archive is written in host order");

struct item {
    char *path;
    size_t len;
    uint8_t type;
    uint32_t mode;
    uint8_t *data;
    uint64_t size;
};

struct imgb {
    struct item *items;
    size_t n, cap;
};

static int say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

struct imgb *imgb_new(void)
{
    return calloc(1, sizeof(struct imgb));
}

void imgb_free(struct imgb *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].path);
        free(b->items[i].data);
    }
    free(b->items);
    free(b);
}

int imgb_normalize(const char *path, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t o = 0, n = strlen(path);
    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/')
            i++;
        size_t start = i;
        while (i < n && path[i] != '/')
            i++;
        size_t clen = i - start;
        if (clen == 0 || (clen == 1 && path[start] == '.'))
            continue;
        if (clen == 2 && path[start] == '.' && path[start + 1] == '.')
            return say(why, whylen, "'%s': '..' is not allowed in image paths", path);
        if (clen > AE_IMAGE_NAME_MAX)
            return say(why, whylen, "'%s': name too long (%zu bytes, limit %u)", path, clen,
                       AE_IMAGE_NAME_MAX);
        if (o + (o > 0) + clen > AE_IMAGE_PATH_MAX || o + (o > 0) + clen >= outlen)
            return say(why, whylen, "'%s': path too long (limit %u bytes)", path,
                       AE_IMAGE_PATH_MAX);
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, path + start, clen);
        o += clen;
    }
    if (o == 0)
        return say(why, whylen, "'%s': names no file inside the image (empty path)", path);
    out[o] = 0;
    return 0;
}

static struct item *push(struct imgb *b, const char *path, char *why, size_t whylen)
{
    char norm[AE_IMAGE_PATH_MAX + 1];
    if (imgb_normalize(path, norm, sizeof norm, why, whylen))
        return NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct item *items = realloc(b->items, cap * sizeof *items);
        if (!items) {
            say(why, whylen, "out of memory");
            return NULL;
        }
        b->items = items;
        b->cap = cap;
    }
    struct item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    it->path = strdup(norm);
    if (!it->path) {
        say(why, whylen, "out of memory");
        return NULL;
    }
    it->len = strlen(norm);
    b->n++;
    return it;
}

int imgb_add_file(struct imgb *b, const char *path, uint32_t mode, const void *data,
                  uint64_t size, char *why, size_t whylen)
{
    if (mode & ~AE_IMAGE_MODE_MASK)
        return say(why, whylen, "'%s': mode %o has bits beyond 07777", path, mode);
    uint8_t *copy = NULL;
    if (size) {
        copy = malloc(size);
        if (!copy)
            return say(why, whylen, "'%s': out of memory for %llu bytes", path,
                       (unsigned long long)size);
        memcpy(copy, data, size);
    }
    struct item *it = push(b, path, why, whylen);
    if (!it) {
        free(copy);
        return -1;
    }
    it->type = AE_IMAGE_FILE;
    it->mode = mode;
    it->data = copy;
    it->size = size;
    return 0;
}

int imgb_add_link(struct imgb *b, const char *path, const char *target, size_t len, char *why,
                  size_t whylen)
{
    if (len == 0 || len > AE_IMAGE_LINK_MAX || memchr(target, 0, len))
        return say(why, whylen, "'%s': a symbolic link's target must be 1..%u bytes without NUL", path,
                   AE_IMAGE_LINK_MAX);
    uint8_t *copy = malloc(len);
    if (!copy)
        return say(why, whylen, "out of memory");
    memcpy(copy, target, len);
    struct item *it = push(b, path, why, whylen);
    if (!it) {
        free(copy);
        return -1;
    }
    it->type = AE_IMAGE_SYMLINK;
    it->mode = AE_IMAGE_LINK_MODE;
    it->data = copy;
    it->size = len;
    return 0;
}

int imgb_add_dir(struct imgb *b, const char *path, uint32_t mode, char *why, size_t whylen)
{
    if (mode & ~AE_IMAGE_MODE_MASK)
        return say(why, whylen, "'%s': mode %o has bits beyond 07777", path, mode);
    struct item *it = push(b, path, why, whylen);
    if (!it)
        return -1;
    it->type = AE_IMAGE_DIR;
    it->mode = mode;
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return img_path_cmp(x->path, x->len, y->path, y->len);
}

static struct item *find(struct imgb *b, const char *path, size_t len)
{
    struct item key = { .path = (char *)path, .len = len };
    return bsearch(&key, b->items, b->n, sizeof key, item_cmp);
}

/* Sorts and refuses duplicates. */
static int sort_unique(struct imgb *b, char *why, size_t whylen)
{
    if (b->n)
        qsort(b->items, b->n, sizeof *b->items, item_cmp);
    for (size_t i = 1; i < b->n; i++)
        if (item_cmp(&b->items[i - 1], &b->items[i]) == 0)
            return say(why, whylen, "duplicate path '%s' in the image", b->items[i].path);
    return 0;
}

/* Adds a directory for every parent that has no entry (items sorted and
 * unique on entry), then sorts again and drops the repeats among them. */
static int add_parents(struct imgb *b, char *why, size_t whylen)
{
    size_t explicit_n = b->n;
    for (size_t i = 0; i < explicit_n; i++) {
        const char *p = b->items[i].path;
        for (size_t l = 1; l < b->items[i].len; l++) {
            if (p[l] != '/')
                continue;
            struct imgb sorted = { b->items, explicit_n, 0 };
            struct item *parent = find(&sorted, p, l);
            if (parent && parent->type != AE_IMAGE_DIR)
                return say(why, whylen, "'%s' is a %s but '%s' is inside it", parent->path,
                           parent->type == AE_IMAGE_SYMLINK ? "symbolic link" : "file", p);
            if (parent)
                continue;
            char dir[AE_IMAGE_PATH_MAX + 1];
            memcpy(dir, p, l);
            dir[l] = 0;
            struct item *it = push(b, dir, why, whylen);
            if (!it)
                return -1;
            p = b->items[i].path;                 /* push may have moved the array */
            it->type = AE_IMAGE_DIR;
            it->mode = 0755;
        }
    }
    if (b->n)
        qsort(b->items, b->n, sizeof *b->items, item_cmp);
    size_t o = 0;                                 /* drop repeated implicit parents */
    for (size_t i = 0; i < b->n; i++) {
        if (o > 0 && item_cmp(&b->items[o - 1], &b->items[i]) == 0) {
            free(b->items[i].path);
            continue;
        }
        b->items[o++] = b->items[i];
    }
    b->n = o;
    return 0;
}

static uint64_t align_up(uint64_t x)
{
    return (x + AE_IMAGE_ALIGN - 1) & ~(uint64_t)(AE_IMAGE_ALIGN - 1);
}

int imgb_finish(struct imgb *b, uint8_t **out, uint64_t *len, char *why, size_t whylen)
{
    if (sort_unique(b, why, whylen) || add_parents(b, why, whylen))
        return -1;
    struct ae_image_header h = {
        .magic = AE_IMAGE_MAGIC, .version = AE_IMAGE_VERSION,
        .header_size = sizeof h, .entry_size = sizeof(struct ae_image_entry),
        .entry_count = (uint32_t)b->n, .entries_offset = sizeof h,
    };
    h.strtab_offset = h.entries_offset + b->n * sizeof(struct ae_image_entry);
    for (size_t i = 0; i < b->n; i++)             /* the paths, then the link targets */
        h.strtab_size += b->items[i].len + (b->items[i].type == AE_IMAGE_SYMLINK ? b->items[i].size : 0);
    if (h.strtab_size > UINT32_MAX)
        return say(why, whylen, "paths total %llu bytes, more than the format's 4 GiB",
                   (unsigned long long)h.strtab_size);
    h.data_offset = align_up(h.strtab_offset + h.strtab_size);
    uint64_t end = h.data_offset;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].size && b->items[i].type == AE_IMAGE_FILE)
            end = align_up(end) + b->items[i].size;
    h.total_size = align_up(end);
    uint8_t *buf = calloc(1, h.total_size);
    if (!buf)
        return say(why, whylen, "out of memory for a %llu-byte archive",
                   (unsigned long long)h.total_size);
    memcpy(buf, &h, sizeof h);
    uint64_t str = 0, data = h.data_offset, target = 0;
    for (size_t i = 0; i < b->n; i++)
        target += b->items[i].len;
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        struct ae_image_entry e = {
            .path_offset = (uint32_t)str, .path_len = (uint16_t)it->len,
            .type = it->type, .mode = it->mode, .size = it->size,
        };
        memcpy(buf + h.strtab_offset + str, it->path, it->len);
        str += it->len;
        if (it->type == AE_IMAGE_SYMLINK) {
            e.data_offset = target;
            memcpy(buf + h.strtab_offset + target, it->data, it->size);
            target += it->size;
        } else if (it->size) {
            data = align_up(data);
            e.data_offset = data;
            memcpy(buf + data, it->data, it->size);
            data += it->size;
        }
        memcpy(buf + h.entries_offset + i * sizeof e, &e, sizeof e);
    }
    *out = buf;
    *len = h.total_size;
    return 0;
}
