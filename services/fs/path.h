/*
 * path.h — the one path parser of the fs service. Every path a client
 * sends goes through fs_path_parse before anything looks it up, so the
 * rules (docs/FS.md, "Paths") hold everywhere. Parsing is textual: it
 * drops empty and "." components and checks lengths and bytes; ".." stays
 * a component, because with symbolic links only the walk (walk.c) knows
 * what a parent is — and the walk is what keeps ".." inside the root.
 */
#ifndef AERIE_FS_PATH_H
#define AERIE_FS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/proto/fs.h>

/* A normalized path: components joined by single '/', no leading or
 * trailing '/', no "." and no empty component ("" is where the walk
 * starts). The walk starts at the session's root if the path was
 * absolute or base is 0, else at directory handle base. */
struct fs_path {
    uint16_t len;
    bool must_dir;                  /* written with a trailing '/', "." or "..":
                                       must name a directory */
    bool absolute;                  /* written with a leading '/' */
    uint64_t base;                  /* a directory handle, or 0: the session's root */
    char name[FS_PATH_MAX + 1];     /* NUL-terminated */
};

/* Normalizes in[0..len) into *out (base 0). Returns 0, AE_ENAMETOOLONG
 * (the path over FS_PATH_MAX bytes, or a component over FS_NAME_MAX), or
 * AE_EINVAL (a NUL byte). in must not change during the call (copy
 * shared memory first). */
int fs_path_parse(const char *in, size_t len, struct fs_path *out);

/* Steps through the components of p[0..len) (a normalized path or a part
 * of one): sets *comp and *clen to the one at *pos and moves *pos past it.
 * Returns false when there is none left. */
bool fs_path_next(const char *p, size_t len, size_t *pos, const char **comp, size_t *clen);

/* True if component c[0..len) is "." or "..". */
bool fs_path_is_dot(const char *c, size_t len);
bool fs_path_is_dotdot(const char *c, size_t len);

/* True if path a[0..alen) is b[0..blen) or lies below it, textually. */
bool fs_path_within(const char *a, size_t alen, const char *b, size_t blen);

#endif
