/*
 * fs_proof.c — directories whose every name the connection knows
 * (fs_proof.h; docs/FS.md, "Creates that do not wait").
 *
 * Each kept directory has an open-addressing table of 64-bit name hashes
 * with a count each. Keys are never removed (a count falls to 0), so a
 * look stops at the first empty slot. The invariant: a name present in
 * the directory has a count of at least 1 — every name is counted when
 * our request makes it (the directory started empty, made by our MKDIR),
 * and a count falls only when our unlink of that name worked. Two names
 * with one hash share a count: the second's create takes the round trip,
 * never a wrong answer. Anything we cannot follow forgets it all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/proto/fs.h>
#include "fs_proof.h"

#define PF_DIRS      8u          /* directories kept at once (the oldest replaced) */
#define PF_PATH      128u        /* longest directory path kept */
#define PF_CAP0      64u         /* a table's first size; doubles at half full */
#define PF_CAP_MAX   (1u << 16)  /* past this the directory is dropped */

struct pf_slot {
    uint64_t key;                 /* 0: empty */
    uint32_t count;
};

struct pf_dir {
    uint32_t len;                 /* 0: unused; else the path's length + 1 */
    char path[PF_PATH];           /* how we spelt it when we made it */
    uint64_t ino;                 /* what the service said it is */
    uint32_t cap, used;
    uint64_t age;
    struct pf_slot *t;
};

struct ae_fs_proof {
    uint64_t clock;
    struct pf_dir d[PF_DIRS];
};

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h ? h : 1;
}

static void dir_drop(struct pf_dir *d)
{
    free(d->t);
    memset(d, 0, sizeof *d);
}

void pf_forget(struct ae_fs_proof *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < PF_DIRS; i++)
        if (p->d[i].len)
            dir_drop(&p->d[i]);
}

void pf_free(struct ae_fs_proof *p)
{
    pf_forget(p);
    free(p);
}

bool pf_plain(const char *path, size_t len)
{
    if (len < 2 || path[0] != '/' || path[len - 1] == '/')
        return false;
    for (size_t i = 0; i < len;) {
        size_t j = i + 1;                 /* path[i] == '/' */
        while (j < len && path[j] != '/')
            j++;
        size_t c = j - i - 1;
        if (c == 0 || c > FS_NAME_MAX || (c == 1 && path[i + 1] == '.') ||
            (c == 2 && path[i + 1] == '.' && path[i + 2] == '.'))
            return false;
        i = j;
    }
    return true;
}

/* The split of path into its directory ("" for the root) and last name. */
static size_t dir_len(const char *path, size_t len)
{
    size_t i = len;
    while (i > 0 && path[i - 1] != '/')
        i--;
    return i ? i - 1 : 0;
}

static struct pf_dir *find_dir(const struct ae_fs_proof *p, const char *path, size_t dl)
{
    if (!p)
        return NULL;
    for (unsigned i = 0; i < PF_DIRS; i++) {
        const struct pf_dir *d = &p->d[i];
        if (d->len && d->len - 1 == dl && memcmp(d->path, path, dl) == 0)
            return (struct pf_dir *)d;
    }
    return NULL;
}

static struct pf_slot *slot_of(const struct pf_dir *d, uint64_t key)
{
    uint32_t m = d->cap - 1;
    for (uint32_t i = (uint32_t)key & m;; i = (i + 1) & m)
        if (d->t[i].key == key || d->t[i].key == 0)
            return &d->t[i];
}

static bool grow(struct pf_dir *d)
{
    uint32_t cap = d->cap ? d->cap * 2 : PF_CAP0;
    if (cap > PF_CAP_MAX)
        return false;
    struct pf_slot *t = calloc(cap, sizeof *t), *old = d->t;
    if (!t)
        return false;
    uint32_t ocap = d->cap;
    d->t = t;
    d->cap = cap;
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i].key)
            *slot_of(d, old[i].key) = old[i];
    free(old);
    return true;
}

/* Adds one to name's count in d; false if it could not (d must go). */
static bool count_up(struct pf_dir *d, const char *name, size_t n)
{
    if ((d->used + 1) * 2 > d->cap && !grow(d))
        return false;
    struct pf_slot *s = slot_of(d, name_hash(name, n));
    if (!s->key) {
        s->key = name_hash(name, n);
        d->used++;
    }
    s->count++;
    return true;
}

static struct pf_dir *dir_by_ino(struct ae_fs_proof *p, uint64_t ino)
{
    for (unsigned i = 0; p && ino && i < PF_DIRS; i++)
        if (p->d[i].len && p->d[i].ino == ino)
            return &p->d[i];
    return NULL;
}

/* The name a request made: path's last component that is not "." (a
 * path that worked ends in a name, maybe followed by '/' or "."). */
static const char *made_name(const char *path, size_t len, size_t *n)
{
    for (;;) {
        while (len && path[len - 1] == '/')
            len--;
        size_t i = len;
        while (i && path[i - 1] != '/')
            i--;
        if (len - i == 1 && path[i] == '.') {
            len = i;
            continue;
        }
        *n = len - i;
        return path + i;
    }
}

static void count_in(struct pf_dir *d, const char *name, size_t n)
{
    if (d && (!n || !count_up(d, name, n)))
        dir_drop(d);                      /* cannot count it: prove nothing there */
}

void pf_add(struct ae_fs_proof *p, const char *path, size_t len)
{
    size_t dl = dir_len(path, len);
    count_in(find_dir(p, path, dl), path + dl + 1, len - dl - 1);
}

void pf_made_file(struct ae_fs_proof *p, const char *path, size_t len, bool from_root,
                  uint64_t made_in)
{
    struct pf_dir *d = dir_by_ino(p, made_in);
    if (!d)
        return;                           /* nothing made, or not where we know the names */
    size_t dl = path ? dir_len(path, len) : 0;
    if (path && from_root && pf_plain(path, len) && find_dir(p, path, dl) == d)
        count_in(d, path + dl + 1, len - dl - 1);
    else
        dir_drop(d);                      /* through a link, say: its name is not path's */
}

void pf_remove(struct ae_fs_proof *p, const char *path, size_t len)
{
    if (!p || !pf_plain(path, len))
        return;                           /* spelt otherwise: its count stays, which is safe */
    size_t dl = dir_len(path, len);
    struct pf_dir *d = find_dir(p, path, dl);
    if (!d)
        return;
    struct pf_slot *s = slot_of(d, name_hash(path + dl + 1, len - dl - 1));
    if (s->key && s->count)
        s->count--;
}

bool pf_absent(const struct ae_fs_proof *p, const char *path, size_t len)
{
    size_t dl = dir_len(path, len);
    const struct pf_dir *d = find_dir(p, path, dl);
    if (!d)
        return false;
    const struct pf_slot *s = slot_of(d, name_hash(path + dl + 1, len - dl - 1));
    return !s->key || s->count == 0;
}

void pf_made_dir(struct ae_fs_proof **pp, const char *path, size_t len, bool keep, uint64_t ino,
                 uint64_t parent)
{
    if (!*pp && !(*pp = calloc(1, sizeof **pp)))
        return;
    struct ae_fs_proof *p = *pp;
    size_t n;
    const char *name = made_name(path, len, &n);
    count_in(dir_by_ino(p, parent), name, n);   /* its name, in its parent */
    if (!keep || !ino || len >= PF_PATH || !pf_plain(path, len))
        return;
    struct pf_dir *d = find_dir(p, path, len);   /* (made again: it was removed meanwhile) */
    for (unsigned i = 0; !d && i < PF_DIRS; i++)
        if (!p->d[i].len)
            d = &p->d[i];
    if (!d) {                             /* all kept: the oldest goes */
        d = &p->d[0];
        for (unsigned i = 1; i < PF_DIRS; i++)
            if (p->d[i].age < d->age)
                d = &p->d[i];
    }
    dir_drop(d);
    memcpy(d->path, path, len);
    d->len = (uint32_t)len + 1;
    d->ino = ino;
    d->age = ++p->clock;
    if (!grow(d))
        dir_drop(d);
}
