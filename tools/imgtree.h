/*
 * imgtree.h — an image's root file system built on the host from what
 * `aerie import` is given: a host directory, or layer tars applied in
 * order with the OCI rules (whiteouts `.wh.NAME` and opaque directories
 * `.wh..wh..opq` hide what lower layers had). Every entry is checked:
 * nothing may leave the root (`..`, absolute paths, a hard link to
 * outside), no device nodes or other special files, names within the
 * image format's limits, and the whole within a byte limit; a broken rule
 * stops the import with a message naming the layer and the entry.
 * Symbolic links are stored with their targets as given (any target, even
 * one pointing outside: the fs resolves it inside the container's root).
 * An entry below a link in a later layer lands where the link leads,
 * resolved inside the tree (as Docker and containerd do); more than 40
 * links on one path is refused as a loop. Nothing here ever follows a
 * link on the host. Hard links become copies of their file (or link).
 *
 * The layer reader takes any bytes (libarchive, tar plain or compressed),
 * so it is fuzzed (tests/fuzz/fuzz_layer.c).
 */
#ifndef AERIE_IMGTREE_H
#define AERIE_IMGTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMGTREE_NAME_MAX 255          /* bytes of one path component (the archive format's) */
#define IMGTREE_PATH_MAX 3800         /* bytes of a path inside files/ (the format allows 4096 in all) */
#define IMGTREE_LINK_MAX 4095         /* bytes of a symbolic link's target (the format's) */

struct imgtree;

/* An empty root; max_bytes bounds the file bytes it may hold. */
struct imgtree *imgtree_new(uint64_t max_bytes);
void imgtree_free(struct imgtree *t);

/* Applies one layer: a tar (plain, gzip, zstd ... as libarchive reads
 * them) of len bytes; layer is its number, for messages and whiteouts
 * (they hide only what lower layers made). 0, or -1 with err. */
int imgtree_apply_layer(struct imgtree *t, const void *tar, size_t len, unsigned layer, char *err, size_t errlen);

/* Adds a host directory's contents (regular files, directories; symbolic
 * links as such, their targets read with readlink, never followed), as
 * layer 0. 0, or -1 with err. */
int imgtree_add_host_dir(struct imgtree *t, const char *dir, char *err, size_t errlen);

/* Whether path (absolute, in the image) is a regular file, links on the
 * way (the last one too) followed inside the image. */
bool imgtree_is_file(const struct imgtree *t, const char *path);
/* Whether path names a symbolic link (itself; links before it followed). */
bool imgtree_is_link(const struct imgtree *t, const char *path);

/* Lays out an image archive: `config` with config_text, the tree under
 * `files/`. *out is malloc'ed. *links gets the symbolic links stored.
 * 0, or -1 with err. */
int imgtree_archive(const struct imgtree *t, const char *config_text, uint8_t **out, uint64_t *len,
                    unsigned *links, char *err, size_t errlen);

/* Files, directories and bytes (file data and link targets) in the tree. */
void imgtree_counts(const struct imgtree *t, unsigned *files, unsigned *dirs, uint64_t *bytes);

#endif
