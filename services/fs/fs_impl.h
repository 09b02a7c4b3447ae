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
 * lock guards its layer. Order: the session lock, then volume locks in
 * ascending address order (a walk may cross every volume mounted in the
 * session, so path operations take them all; handle operations take the
 * handle's one). Images are immutable; reference counts are atomic.
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
    const uint8_t *data;          /* file data (a link's target), in the archive */
    uint64_t size;
    uint32_t first_child;         /* directories: run in image->children */
    uint32_t nchildren;
    uint32_t parent;              /* index of the directory holding it (the root: 0) */
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

static inline const struct fs_lnode *lower_parent(const struct fs_image *img,
                                                 const struct fs_lnode *n)
{
    return &img->nodes[n->parent];
}

/* The child of lower directory dir called name, or NULL; *idx gets its
 * position among dir's children (its cookie is idx + 1). */
const struct fs_lnode *lower_child(const struct fs_image *img, const struct fs_lnode *dir,
                                   const char *name, size_t len, uint32_t *idx);
const struct fs_lnode *lower_child_at(const struct fs_image *img, const struct fs_lnode *dir,
                                      uint32_t idx);

/* ---- file data: a sparse radix tree of pages (data.c) ----------------- */

struct fs_pages {
    void *root;                   /* index page of height `height`, page 0's data (height 0), or NULL */
    unsigned height;              /* h > 0 covers 512^h pages; 0: page 0 alone, or empty */
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
    uint8_t mount;                /* session layer directories: 1 + i where mount i is */
    uint32_t mode;
    uint32_t uid, gid;
    uint64_t ino;
    uint64_t atime, mtime, ctime;
    struct fs_layer *layer;       /* whose lock guards this node and pays for it */
    uint32_t links;               /* directory entries naming it (a directory: 0 or 1) */
    uint32_t opens;               /* handles on it, from any session, and image
                                     handles anchored at it (struct fs_handle) */
    uint32_t check_seen;          /* fs_session_check's scratch */
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
            struct fs_unode *parent;       /* NULL for a layer's root and once unlinked */
        } d;
        struct {
            const char *target;   /* a private page, or the image's bytes */
            uint16_t len;
            bool owned;           /* target is a page charged to the layer */
        } sl;
    };
};

struct fs_layer {
    const struct fs_env *env;
    void *lock;
    const struct fs_image *image; /* a session's image; NULL for volumes */
    struct fs_unode *root;
    uint64_t bytes_used, bytes_max;
    uint32_t inodes_used, inodes_max;   /* nodes, plus each name of a file past its first */
    uint64_t next_ino;
    bool pages_lost;              /* its pages vanished: never touch or free them */
};

struct fs_volume {
    struct fs_env env;
    uint32_t refs;                /* atomic */
    struct fs_layer layer;
};

/* ---- sessions and handles (session.c) -------------------------------- */

/* FS_H_RESV: a slot RESERVE handed out (reserve.c): it holds a node of
 * its own, named by nothing, and no request but CREATE_RESERVED finds it. */
enum { FS_H_FREE, FS_H_UPPER, FS_H_LOWER, FS_H_RESV };

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
    struct fs_unode *anchor;      /* FS_H_LOWER: where its image chain hangs (struct fs_pos);
                                     the handle holds an open count on it */
    uint64_t pos;
};

struct fs_mount {
    struct fs_path *path;
    struct fs_unode *point;       /* the directory the volume covers */
    struct fs_volume *vol;
    bool writable;
};

struct fs_session {
    struct fs_env env;
    uint32_t refs;                /* atomic */
    /* guarded by layer.lock, the session lock: */
    bool dead, rdonly;
    bool lost;                    /* fs_session_lose_pages: calls fail, destroy still runs */
    struct fs_layer layer;
    struct fs_image *image;
    struct fs_handle *handles;
    uint32_t nslots, free_head, handles_open, handles_max;
    struct fs_mount mounts[FS_MOUNTS_MAX];
    uint32_t nmounts;
    uint32_t resv[FS_RESERVE_MAX];/* slots of the FS_H_RESV handles held (reserve.c) */
    uint32_t nresv;
};

#define FS_NO_SLOT UINT32_MAX

/* A node of either layer: exactly one of u and l is set. */
struct fs_ref {
    struct fs_unode *u;
    const struct fs_lnode *l;
};

/*
 * A place a walk reached. An image node (r.l) has no upper copy, and
 * neither has anything below it; anchor is the upper directory it hangs
 * from: anchor->d.lower is the nearest of r.l's image ancestors that has
 * an upper copy (the anchor itself). That is all ".." and a copy-up need.
 */
struct fs_pos {
    struct fs_ref r;
    struct fs_unode *anchor;      /* r.l only */
    uint32_t dev;                 /* 0: the session's layer; 1 + i: mount i */
};

/* What walk_path found: the directory holding the last component and, if
 * it exists, the node it names. */
struct fs_walk {
    struct fs_pos dir;            /* valid when named */
    struct fs_pos node;           /* valid when found */
    bool found;
    bool named;                   /* the path ends in a name (not "" or "..") */
    bool must_dir;                /* a trailing '/' (also one a followed link ended with) */
    const char *last;             /* the name, when named (valid until walk_done) */
    size_t last_len;
    char *buf;                    /* link expansions, or NULL */
};

enum {
    WALK_FOLLOW = 1,              /* follow a symbolic link at the end */
    WALK_LITERAL = 2,             /* never follow one at the end, even with a trailing '/' */
};

/* node.c */
int unode_new(struct fs_layer *L, uint8_t type, uint32_t mode, struct fs_unode **out);
void unode_release(struct fs_unode *n);      /* frees it if no link and no handle */
void unode_free_tree(struct fs_unode *root); /* a whole layer, at teardown */
uint32_t ref_type(struct fs_ref r);
void ref_stat(struct fs_ref r, uint32_t dev, struct fs_stat *st);
/* A symbolic link's target. */
void ref_target(struct fs_ref r, const char **target, size_t *len);
uint64_t layer_now(const struct fs_layer *L);
/* Marks n changed now: ctime, and with content, mtime too. */
void unode_touch(struct fs_unode *n, bool content);
int layer_init(struct fs_layer *L, const struct fs_env *env, const struct fs_image *img,
               const struct fs_limits *lim);
void layer_fini(struct fs_layer *L);
int layer_charge_pages(struct fs_layer *L, uint64_t n);
/* env page_own, when the environment has it (a page about to be written). */
static inline int layer_own_page(const struct fs_layer *L, void *page)
{
    return L->env->page_own ? L->env->page_own(L->env->ctx, page) : 0;
}
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
/* n (a new file of another layer): a copy of every private page of from,
 * charged to n's layer; on an error the pages made so far stay counted
 * in n (file_free_pages frees them). */
int file_copy_pages(struct fs_unode *n, const struct fs_unode *from);
/* n takes the images of from's pages (env pages_share: delta bytes from
 * them) as its own: every pointer of its tree moved by delta, each page
 * adopted and charged to n's layer. */
int file_adopt_pages(struct fs_unode *n, const struct fs_unode *from, intptr_t delta);
int file_check(const struct fs_unode *n, const char **why);

/* walk.c */
/* Resolves p (flags: WALK_*). Errors are those of the components before
 * the last (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EBADF for a base that
 * is no open directory); a missing last component is found == false.
 * walk_done frees what the walk allocated, whatever it returned. */
int walk_path(struct fs_session *s, const struct fs_path *p, unsigned flags, struct fs_walk *w);
void walk_done(struct fs_session *s, struct fs_walk *w);
struct fs_layer *pos_layer(struct fs_session *s, const struct fs_pos *p);
bool pos_writable(const struct fs_session *s, const struct fs_pos *p);
/* True if p is the root of a layer (the session's, or a volume's). */
bool pos_is_root(struct fs_session *s, const struct fs_pos *p);
/* True if directory d is node n or lies below it (in one layer). */
bool pos_within(struct fs_session *s, const struct fs_pos *d, const struct fs_pos *n);
/* Makes p an upper node, copying it and the image directories above it
 * up; AE_ENOENT if an image node is no longer visible where it was. */
int pos_materialize(struct fs_session *s, struct fs_pos *p);
/* Brings an image position's anchor down to the deepest upper copy on
 * its chain (copies made since it was found); AE_ENOENT as above. */
int pos_refresh(struct fs_session *s, struct fs_pos *p);
int lookup_in(const struct fs_layer *L, struct fs_unode *dir, const char *name, size_t len,
              struct fs_ref *out, struct fs_dirent **ent, uint32_t *lidx);
int copy_up(struct fs_session *s, struct fs_unode *parent, const struct fs_lnode *l,
            struct fs_unode **out);
/* An upper copy of l named by nothing, for handles on an image node that
 * is no longer visible; the session's handles on l move to it. */
int copy_orphan(struct fs_session *s, const struct fs_lnode *l);

/* session.c */
void session_lock(struct fs_session *s, struct fs_layer *L);
void session_unlock(struct fs_session *s, struct fs_layer *L);
/* The session lock and every mounted volume's, for a walk; fails on a dead session. */
int session_lock_all(struct fs_session *s);
void session_unlock_all(struct fs_session *s);
struct fs_handle *handle_get(struct fs_session *s, uint64_t h);
int handle_new(struct fs_session *s, uint64_t *h, struct fs_handle **out);
void handle_drop(struct fs_session *s, struct fs_handle *hd);
void handle_unreserve(struct fs_session *s, struct fs_handle *hd);
/* Fills a reserved handle with the node p (OPEN's access flags). */
void handle_fill(struct fs_handle *hd, const struct fs_pos *p, uint32_t flags);
struct fs_layer *handle_layer(struct fs_session *s, const struct fs_handle *hd);
void handles_redirect(struct fs_session *s, const struct fs_lnode *l, struct fs_unode *u);
/* A handle's node as a position (an image node's anchor refreshed). */
int handle_pos(struct fs_session *s, struct fs_handle *hd, struct fs_pos *p);
/* Makes a handle's node an upper one (a copy-up, or an orphan copy). */
int handle_materialize(struct fs_session *s, struct fs_handle *hd);
/* True if upper directory d is a mount point or holds one below it. */
bool holds_mount(const struct fs_session *s, const struct fs_unode *d);

/* reserve.c: the list of reserved slots made again from the table (a restart) */
void fs_reserve_recount(struct fs_session *s);

/* ops.c: what the operations share */
/* Locks the session and the layer of handle h, which must be open. */
int handle_enter(struct fs_session *s, uint64_t h, struct fs_handle **hd, struct fs_layer **L);
/* Creates a node called by w's last component (w->dir is copied up). */
int create_at(struct fs_session *s, struct fs_walk *w, uint8_t type, uint32_t mode,
              struct fs_unode **out);

/* atomic reference counts */
static inline void ref_inc(uint32_t *r) { __atomic_fetch_add(r, 1, __ATOMIC_RELAXED); }
static inline bool ref_dec(uint32_t *r) { return __atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) == 0; }

#endif
