/*
 * imgbuild.h — building Aerie image archives in memory on the host. Used
 * by tools/mkimage and by the tests that need good (and then deliberately
 * broken) archives. Paths are normalized on entry; missing parent
 * directories are added (mode 0755); the output is deterministic: sorted
 * entries, no timestamps, data laid out in entry order.
 */
#ifndef AERIE_IMGBUILD_H
#define AERIE_IMGBUILD_H

#include <stddef.h>
#include <stdint.h>

struct imgb;

struct imgb *imgb_new(void);
void imgb_free(struct imgb *b);

/* Adds a file (data copied) or a directory. Returns 0, or -1 with a message
 * naming the problem in why (bad name, name too long, duplicate). */
int imgb_add_file(struct imgb *b, const char *path, uint32_t mode, const void *data,
                  uint64_t size, char *why, size_t whylen);
int imgb_add_dir(struct imgb *b, const char *path, uint32_t mode, char *why, size_t whylen);
/* Adds a symbolic link to target[0..len) (1..AE_IMAGE_LINK_MAX bytes, no
 * NUL, kept as given: nothing here ever follows it). */
int imgb_add_link(struct imgb *b, const char *path, const char *target, size_t len, char *why,
                  size_t whylen);

/* Lays the archive out into a new malloc'ed buffer (*out, *len).
 * Returns 0, or -1 with a message (duplicate path, file used as a directory). */
int imgb_finish(struct imgb *b, uint8_t **out, uint64_t *len, char *why, size_t whylen);

/* Normalizes path into out (collapsing "//" and "."); -1 with why if it is
 * empty, holds "..", or breaks a length limit. */
int imgb_normalize(const char *path, char *out, size_t outlen, char *why, size_t whylen);

#endif
