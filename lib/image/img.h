/*
 * img.h — reading Aerie image archives (format: include/aerie/image.h).
 * img_open validates every byte it will later rely on, so the lookups and
 * iteration after it cannot read outside the archive. Freestanding: no
 * allocation, no locks; the archive's memory must not change after
 * img_open (the fs service maps it read-only).
 */
#ifndef AERIE_IMG_H
#define AERIE_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/image.h>

/* A validated archive. Fields are read-only for users. */
struct img {
    const uint8_t *base;
    uint64_t size;            /* header.total_size */
    uint32_t count;           /* entries */
    uint64_t entries_offset;
    uint64_t strtab_offset;
    uint64_t strtab_size;
};

/* What img_open found wrong: code is AE_EINVAL (malformed) or AE_ERANGE
 * (an offset or size outside the archive); entry is the entry index or -1
 * for the header; field names the header or entry field; reason says what
 * is wrong with it. All strings are static. */
struct img_error {
    int code;
    int64_t entry;
    const char *field;
    const char *reason;
};

/* One entry as callers see it; path and data point into the archive. */
struct img_file {
    const char *path;
    uint16_t path_len;
    uint8_t type;             /* AE_IMAGE_FILE, AE_IMAGE_DIR or AE_IMAGE_SYMLINK */
    uint32_t mode;
    uint64_t data_offset;     /* a link's: into the string table */
    uint64_t size;            /* a link's: its target's length */
    const uint8_t *data;      /* NULL when size == 0; a link's target (not terminated) */
};

/* Validates the len bytes at base as an archive. Returns 0 and fills *img,
 * or a negative AE_* code and fills *err (err may be NULL). */
int img_open(struct img *img, const void *base, uint64_t len, struct img_error *err);

/* Entry i (i < img->count) of a validated archive. */
void img_get(const struct img *img, uint32_t i, struct img_file *out);

/* The index of the entry whose path is exactly path[0..len), or AE_ENOENT. */
int64_t img_lookup(const struct img *img, const char *path, size_t len);

/* The entries strictly below directory prefix[0..len) ("" is the root, so
 * every entry): indices [*first, *end), in archive order. Empty when the
 * prefix names nothing. */
void img_subtree(const struct img *img, const char *prefix, size_t len,
                 uint32_t *first, uint32_t *end);

/* Resolves path (absolute or relative: both start at root) inside the
 * directory root[0..root_len) ("" is the archive's root) the way the fs
 * does inside a container: every symbolic link is followed, the last
 * component's too (absolute targets from root, relative ones from the
 * link's directory), ".." never climbs above root, at most max_links
 * links. The entry's index, or AE_ENOENT (missing, or a dangling link),
 * AE_ENOTDIR, AE_ELOOP (more than max_links links), AE_EISDIR (the path
 * is root itself and root has no entry). */
int64_t img_resolve(const struct img *img, const char *root, size_t root_len,
                    const char *path, size_t len, unsigned max_links);

/* Path order of the format: bytewise, '/' below every other byte.
 * Negative, zero or positive like memcmp. */
int img_path_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* NULL if path[0..len) is a valid normalized archive path, else the reason. */
const char *img_path_problem(const char *path, size_t len);

#endif
