/*
 * fs_impl.h — the fs core's internal structures and the functions its
 * files offer each other. Nothing outside services/fs includes it.
 *
 * The tree of a session is an overlay of two layers:
 *   lower  struct fs_lnode: the image's files and directories, built once
 *          per image, immutable, shared by every session of that image;
 *   upper  struct fs_unode: the session's private files and directories,
 *          and copies ("copy-ups") of lower ones it changed.
 * A volume is an upper layer with nothing below it. docs/FS.md explains
 * the lookup rules, whiteouts and cookies.
 *
 * Locks (docs/FS.md, "Locks"): a session's lock guards its handle table,
 * its mount table and its private layer (every unode in it); a volume's
 * lock guards its layer. Order: session lock, then at most one volume
 * lock. Images are immutable; reference counts are atomic.
 */
#ifndef AERIE_FS_IMPL_H
#define AERIE_FS_IMPL_H

#include <aerie/errors.h>
#include "fs.h"
#include "mem.h"

#define FS_PAGE          4096u
#define FS_RADIX_BITS    9u
#define FS_RADIX_SLOTS   (1u << FS_RADIX_BITS)    /* pointers in an index page */
#define FS_RADIX_HEIGHT  4u                       /* 512^4 pages: past FS_FILE_MAX */

_Static_assert(FS_RADIX_SLOTS * sizeof(void *) == FS_PAGE, "an index node fills a page");
_Static_assert((FS_FILE_MAX / FS_PAGE) <= (1ull << (FS_RADIX_BITS * FS_RADIX_HEIGHT)),
               "the radix tree reaches FS_FILE_MAX");

/* ---- lower layer: the image (lower.c) --------------------------------- */

struct fs_lnode {
    uint8_t type;                 /* FS_TYPE_* */
    uint16_t name_len;
    uint32_t mode;
    uint64_t ino;
    const char *name;             /* last component, in the archive */
    const uint8_t *data;          /* file data, in the archive */
    uint64_t size;
    uint32_t first_child;         /* directories: run in image->children */
    uint32_t nchildren;
};

struct fs_image {
    struct fs_env env;
    uint32_t refs;                /* atomic */
    struct img img;
    uint32_t first;               /* archive entry of node 1 (a subtree's first entry) */
    size_t prefix_len;            /* the subtree's path in the archive; 0: all of it */
    uint32_t count;               /* nodes, the root (index 0) included */
    struct fs_lnode *nodes;
    uint32_t *children;           /* node indices; each directory's run sorted by name */
};

/* The child of lower directory dir called name, or NULL; *idx gets its
 * position among dir's children (its cookie is idx + 1). */
const struct fs_lnode *lower_child(const struct fs_image *img, const struct fs_lnode *dir,
                                   const char *name, size_t len, uint32_t *idx);
const struct fs_lnode *lower_child_at(const struct fs_image *img, const struct fs_lnode *dir,
                                      uint32_t idx);

/* ---- file data: a sparse radix tree of pages (data.c) ----------------- */

struct fs_pages {
    void *root;                   /* index page of height `height`, or NULL */
    unsigned height;              /* 0: empty; h covers 512^h pages */
};

/* ---- upper layer: nodes and directories (node.c, dir.c) --------------- */

struct fs_unode;

struct fs_dirent {
    struct fs_dirent *hnext;      /* hash chain */
    struct fs_dirent *prev, *next;/* fresh entries (cookie > nlower), cookie order */
    struct fs_unode *node;        /* NULL: a whiteout hiding the lower entry */
    uint64_t cookie;
    uint16_t name_len;
    char name[];
};

struct fs_layer;

struct fs_unode {
    uint8_t type;                 /* FS_TYPE_* */
    uint32_t mode;
    uint64_t ino;
    struct fs_layer *layer;       /* whose lock guards this node and pays for it */
    uint32_t links;               /* 1 while a directory entry names it */
    uint32_t opens;               /* handles on it, from any session */
    union {
        struct {
            uint64_t size;
            struct fs_pages pages;
            uint64_t npages;      /* private pages: data and index */
            const uint8_t *lower; /* image data read where no page was written */
            uint64_t lower_len;   /* bytes of it still visible (truncate cuts it) */
        } f;
        struct {
            struct fs_dirent **buckets;
            uint32_t nbuckets;    /* a power of two, or 0 */
            uint32_t nents;       /* entries, whiteouts included */
            uint32_t n_nodes;     /* entries naming a node */
            uint32_t n_masking;   /* entries over a lower name (cookie <= nlower) */
            struct fs_dirent *fresh_head, *fresh_tail;
            const struct fs_lnode *lower;  /* the image directory below, or NULL */
            uint32_t nlower;      /* lower ? lower->nchildren : 0 */
            uint64_t next_cookie; /* for fresh entries; starts at nlower + 1 */
            struct fs_unode *parent;       /* NULL for a layer's root */
        } d;
    };
};

struct fs_layer {
    const struct fs_env *env;
    void *lock;
    const struct fs_image *image; /* a session's image; NULL for volumes */
    struct fs_unode *root;
    uint64_t bytes_used, bytes_max;
    uint32_t inodes_used, inodes_max;
    uint64_t next_ino;
};

struct fs_volume {
    struct fs_env env;
    uint32_t refs;                /* atomic */
    struct fs_layer layer;
};

/* ---- sessions and handles (session.c) -------------------------------- */

enum { FS_H_FREE, FS_H_UPPER, FS_H_LOWER };

struct fs_handle {
    uint32_t gen;                 /* part of the handle value; never 0 */
    uint8_t kind;                 /* FS_H_* */
    uint8_t can_read, can_write, append;
    uint32_t dev;                 /* 0: session layer; 1 + i: mount i */
    union {
        struct fs_unode *u;
        const struct fs_lnode *l;
        uint32_t next_free;
    };
    uint64_t pos;
};

struct fs_mount {
    struct fs_path *path;
    struct fs_volume *vol;
    bool writable;
};

struct fs_session {
    struct fs_env env;
    uint32_t refs;                /* atomic */
    /* guarded by layer.lock, the session lock: */
    bool dead, rdonly;
    struct fs_layer layer;
    struct fs_image *image;
    struct fs_handle *handles;
    uint32_t nslots, free_head, handles_open, handles_max;
    struct fs_mount mounts[FS_MOUNTS_MAX];
    uint32_t nmounts;
};

#define FS_NO_SLOT UINT32_MAX

/* Where a path lies: which layer, which mount, the rest of the path. */
struct fs_where {
    struct fs_layer *layer;
    uint32_t dev;
    bool writable;
    const char *rest;
    size_t rest_len;
};

/* A node of either layer: exactly one of u and l is set. */
struct fs_ref {
    struct fs_unode *u;
    const struct fs_lnode *l;
};

/* node.c */
int unode_new(struct fs_layer *L, uint8_t type, uint32_t mode, struct fs_unode **out);
void unode_release(struct fs_unode *n);      /* frees it if no link and no handle */
void unode_free_tree(struct fs_unode *root); /* a whole layer, at teardown */
uint32_t ref_type(struct fs_ref r);
void ref_stat(struct fs_ref r, uint32_t dev, struct fs_stat *st);
int layer_init(struct fs_layer *L, const struct fs_env *env, const struct fs_image *img,
               const struct fs_limits *lim);
void layer_fini(struct fs_layer *L);
int layer_charge_pages(struct fs_layer *L, uint64_t n);
void layer_uncharge_pages(struct fs_layer *L, uint64_t n);

/* dir.c */
struct fs_dirent *dir_find(const struct fs_unode *d, const char *name, size_t len);
/* The entry for name: the existing one (a whiteout, or naming a node) or a
 * new empty one that must be attached before the lock is dropped. */
int dir_reserve(struct fs_unode *d, const char *name, size_t len, struct fs_dirent **out);
void dir_attach(struct fs_unode *d, struct fs_dirent *e, struct fs_unode *child);
struct fs_unode *dir_detach(struct fs_unode *d, struct fs_dirent *e);
int dir_link(struct fs_unode *d, const char *name, size_t len, struct fs_unode *child);
/* Removes e's name: its node is detached (the caller releases it) and the
 * entry stays as a whiteout if the image has the name, else goes. */
void dir_unlink(struct fs_unode *d, struct fs_dirent *e);
uint64_t dir_visible(const struct fs_unode *d);
void dir_free_entries(struct fs_unode *d, struct fs_unode **pending);
int dir_check(const struct fs_unode *d, const char **why);

/* data.c */
int64_t file_read(const struct fs_unode *n, uint64_t off, void *buf, uint64_t len);
int64_t lower_read(const struct fs_lnode *n, uint64_t off, void *buf, uint64_t len);
int64_t file_write(struct fs_unode *n, uint64_t off, const void *buf, uint64_t len);
int file_truncate(struct fs_unode *n, uint64_t size);
void file_free_pages(struct fs_unode *n);
int file_check(const struct fs_unode *n, const char **why);

/* walk.c */
void where_is(struct fs_session *s, const struct fs_path *p, struct fs_where *w);
int walk(const struct fs_where *w, struct fs_ref *out);
int walk_parent(struct fs_session *s, const struct fs_where *w, struct fs_unode **parent,
                const char **name, size_t *len);
int lookup_in(const struct fs_layer *L, struct fs_unode *dir, const char *name, size_t len,
              struct fs_ref *out, struct fs_dirent **ent, uint32_t *lidx);
int copy_up(struct fs_session *s, struct fs_unode *parent, const struct fs_lnode *l,
            struct fs_unode **out);

/* session.c */
void session_lock(struct fs_session *s, struct fs_layer *L);
void session_unlock(struct fs_session *s, struct fs_layer *L);
struct fs_handle *handle_get(struct fs_session *s, uint64_t h);
int handle_new(struct fs_session *s, uint64_t *h, struct fs_handle **out);
void handle_drop(struct fs_session *s, struct fs_handle *hd);
void handle_unreserve(struct fs_session *s, struct fs_handle *hd);
struct fs_layer *handle_layer(struct fs_session *s, const struct fs_handle *hd);
void handles_redirect(struct fs_session *s, const struct fs_lnode *l, struct fs_unode *u);
bool path_is_mount_or_holds_one(const struct fs_session *s, const struct fs_path *p);

/* atomic reference counts */
static inline void ref_inc(uint32_t *r) { __atomic_fetch_add(r, 1, __ATOMIC_RELAXED); }
static inline bool ref_dec(uint32_t *r) { return __atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) == 0; }

#endif
