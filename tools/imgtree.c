/*
 * imgtree.c — an image's root built from directories and layers (see
 * imgtree.h). The tree is plain nodes: a directory's children in a list,
 * a file's bytes in memory. Paths are checked one component at a time as
 * they are walked, so a rule that is broken is named with the entry that
 * broke it. A symbolic link keeps its target as its data; a link met in
 * a parent position of a later entry is followed inside the tree, never
 * on the host (see follow_link).
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "imgbuild.h"
#include "imgtree.h"

enum node_type { NODE_DIR, NODE_FILE, NODE_LINK };

struct node {
    char *name;
    enum node_type type;
    uint32_t mode;
    unsigned layer;                  /* the layer that made it */
    uint8_t *data;                   /* a file's bytes; a link's target (no NUL) */
    uint64_t size;
    struct node *children, *next;    /* a directory's */
    struct node *parent;             /* the directory holding it; the root's is itself */
};

struct imgtree {
    struct node root;
    uint64_t bytes, max_bytes;
    unsigned files, dirs, links;
};

static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

struct imgtree *imgtree_new(uint64_t max_bytes)
{
    struct imgtree *t = calloc(1, sizeof *t);
    if (t) {
        t->root.type = NODE_DIR;
        t->root.mode = 0755;
        t->root.parent = &t->root;
        t->max_bytes = max_bytes;
    }
    return t;
}

/* Frees n's subtree and updates the counts. */
static void node_free(struct imgtree *t, struct node *n)
{
    while (n->children) {
        struct node *c = n->children;
        n->children = c->next;
        node_free(t, c);
        free(c);
    }
    if (n->type == NODE_FILE) {
        t->bytes -= n->size;
        t->files--;
    } else if (n->type == NODE_LINK) {
        t->bytes -= n->size;
        t->links--;
    } else if (n != &t->root) {
        t->dirs--;
    }
    free(n->data);
    free(n->name);
    n->data = NULL;
    n->name = NULL;
}

void imgtree_free(struct imgtree *t)
{
    if (!t)
        return;
    node_free(t, &t->root);
    free(t);
}

static struct node *child(const struct node *dir, const char *name, size_t len)
{
    for (struct node *c = dir->children; c; c = c->next)
        if (strlen(c->name) == len && !memcmp(c->name, name, len))
            return c;
    return NULL;
}

/* Removes dir's child c (and its subtree). */
static void unlink_child(struct imgtree *t, struct node *dir, struct node *c)
{
    struct node **pp = &dir->children;
    while (*pp != c)
        pp = &(*pp)->next;
    *pp = c->next;
    node_free(t, c);
    free(c);
}

static struct node *add_child(struct imgtree *t, struct node *dir, const char *name, size_t len,
                              enum node_type type, uint32_t mode, unsigned layer)
{
    struct node *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strndup(name, len))) {
        free(c);
        return NULL;
    }
    c->type = type;
    c->mode = type == NODE_LINK ? 0777 : mode & 07777;
    c->layer = layer;
    c->parent = dir;
    c->next = dir->children;
    dir->children = c;
    if (type == NODE_DIR)
        t->dirs++;
    else if (type == NODE_LINK)
        t->links++;
    else
        t->files++;
    return c;
}

/* ---- paths ---- */

/* Splits an entry's path into components in out (NUL-separated copy) and
 * checks each: relative, no "..", names within limits. Leading "./" and
 * empty or "." components are dropped. Returns the component count (0:
 * the root itself), or -1 with err. */
static int split_path(const char *path, char *out, size_t cap, const char **parts, int max,
                      const char *what, char *err, size_t errlen)
{
    size_t len = strlen(path);
    if (path[0] == '/')
        return say(err, errlen, "%s: '%.200s' is an absolute path (entries must be relative to the root)", what, path);
    if (len >= cap || len > IMGTREE_PATH_MAX)
        return say(err, errlen, "%s: a path of %zu bytes is longer than the %d an image allows", what, len,
                   IMGTREE_PATH_MAX);
    memcpy(out, path, len + 1);
    int n = 0;
    for (char *p = out; *p;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        size_t k = strlen(p);
        if (k == 2 && !strcmp(p, ".."))
            return say(err, errlen, "%s: '%.200s' leaves the root ('..')", what, path);
        if (k > IMGTREE_NAME_MAX)
            return say(err, errlen, "%s: '%.80s...' has a name longer than %d bytes", what, path, IMGTREE_NAME_MAX);
        if (k && strcmp(p, ".")) {
            if (n == max)
                return say(err, errlen, "%s: '%.200s' is nested too deeply", what, path);
            parts[n++] = p;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return n;
}

#define LINK_HOPS 40                 /* links followed for one path, as Linux's ELOOP limit */

/* What a resolution is for, and where it says what went wrong. */
struct rctx {
    bool create;                     /* make missing directories (mode 0755, in layer) */
    unsigned layer, hops;
    const char *what, *path;         /* the entry, for messages */
    char *err;
    size_t errlen;
};

/* Resolves text[0..len) from directory d inside the tree, the way the
 * container will see it: "." and empty components skipped, ".." never
 * above the root, links followed (an absolute target from the root, a
 * relative one from the link's directory; the last component's only with
 * follow_last), at most LINK_HOPS in all. The node reached (d itself for
 * an empty text), or NULL: err is set if a rule was broken, not if
 * something is simply missing (without create). The host is never
 * involved: a target is only ever looked up in this tree. */
static struct node *resolve(struct imgtree *t, struct node *d, const char *text, size_t len, bool follow_last,
                            struct rctx *x)
{
    size_t at = 0;
    while (at < len) {
        while (at < len && text[at] == '/')
            at++;
        size_t start = at;
        while (at < len && text[at] != '/')
            at++;
        size_t k = at - start;
        const char *c = text + start;
        size_t rest = at;
        while (rest < len && text[rest] == '/')
            rest++;
        bool last = rest == len;
        if (k == 0 || (k == 1 && c[0] == '.'))
            continue;
        if (d->type != NODE_DIR) {
            if (x->create)
                say(x->err, x->errlen, "%s: '%.200s' needs a directory where the image has a file", x->what,
                    x->path);
            return NULL;
        }
        if (k == 2 && c[0] == '.' && c[1] == '.') {
            d = d->parent;
            continue;
        }
        struct node *n = child(d, c, k);
        if (!n && !x->create)
            return NULL;
        if (!n && k > IMGTREE_NAME_MAX) {
            say(x->err, x->errlen, "%s: '%.200s' goes through a symbolic link to a name longer than %d bytes",
                x->what, x->path, IMGTREE_NAME_MAX);
            return NULL;
        }
        if (!n && !(n = add_child(t, d, c, k, NODE_DIR, 0755, x->layer))) {
            say(x->err, x->errlen, "out of memory");
            return NULL;
        }
        if (n->type == NODE_LINK && (!last || follow_last)) {
            if (++x->hops > LINK_HOPS) {
                say(x->err, x->errlen, "%s: '%.200s' goes through more than %d symbolic links (a loop?)", x->what,
                    x->path, LINK_HOPS);
                return NULL;
            }
            const char *tg = (const char *)n->data;
            if (!(n = resolve(t, tg[0] == '/' ? &t->root : d, tg, n->size, true, x)))
                return NULL;
        }
        d = n;
    }
    return d;
}

/* The directory the link in directory dir leads to (resolve): Docker and
 * containerd resolve a layer entry's parent path inside the root's scope,
 * so Debian's /bin -> usr/bin makes a later layer's "bin/x" land in
 * usr/bin. With x->create, missing directories are made on the way (mkdir
 * -p through a link). */
static struct node *follow_link(struct imgtree *t, struct node *dir, struct node *link, struct rctx *x)
{
    if (++x->hops > LINK_HOPS) {
        say(x->err, x->errlen, "%s: '%.200s' goes through more than %d symbolic links (a loop?)", x->what, x->path,
            LINK_HOPS);
        return NULL;
    }
    const char *tg = (const char *)link->data;
    struct node *d = resolve(t, tg[0] == '/' ? &t->root : dir, tg, link->size, true, x);
    if (d && d->type != NODE_DIR) {
        if (x->create)
            say(x->err, x->errlen, "%s: '%.200s' goes through the symbolic link '%s', which leads to a file",
                x->what, x->path, link->name);
        return NULL;
    }
    return d;
}

/* Walks to the directory that holds parts[0..n-1]'s last component,
 * making missing directories (mode 0755, in layer) and following links
 * (follow_link). NULL with err if a component is a file. */
static struct node *walk_parent(struct imgtree *t, const char **parts, int n, unsigned layer, const char *what,
                                const char *path, char *err, size_t errlen)
{
    struct node *d = &t->root;
    struct rctx x = { .create = true, .layer = layer, .what = what, .path = path, .err = err, .errlen = errlen };
    for (int i = 0; i < n - 1; i++) {
        struct node *c = child(d, parts[i], strlen(parts[i]));
        if (!c)
            c = add_child(t, d, parts[i], strlen(parts[i]), NODE_DIR, 0755, layer);
        if (!c) {
            say(err, errlen, "out of memory");
            return NULL;
        }
        if (c->type == NODE_LINK && !(c = follow_link(t, d, c, &x)))
            return NULL;
        if (c->type != NODE_DIR) {
            say(err, errlen, "%s: '%.200s' needs '%s' to be a directory, but it is a file", what, path, parts[i]);
            return NULL;
        }
        d = c;
    }
    return d;
}

/* The node at path (absolute or not, from the root; NULL if none, or if
 * a component is a file or a link that leads nowhere): links in parent
 * positions are followed inside the tree, the last one too with
 * follow_last. Nothing is created. */
static struct node *lookup(struct imgtree *t, const char *path, bool follow_last)
{
    char err[8];
    struct rctx x = { .what = "", .path = "", .err = err, .errlen = sizeof err };
    return resolve(t, &t->root, path, strlen(path), follow_last, &x);
}

bool imgtree_is_file(const struct imgtree *t, const char *path)
{
    const struct node *n = lookup((struct imgtree *)t, path, true);
    return n && n->type == NODE_FILE;
}

bool imgtree_is_link(const struct imgtree *t, const char *path)
{
    const struct node *n = lookup((struct imgtree *)t, path, false);
    return n && n->type == NODE_LINK;
}

/* ---- entries ---- */

struct entry {
    const char *path;                /* as given */
    enum node_type type;
    uint32_t mode;
    const uint8_t *data;             /* a file's (copied); a link's target */
    uint64_t size;
    const struct node *same;         /* a hard link's target (its data copied into data) */
};

/* Puts e into the tree in layer: it replaces what was there, except that
 * a directory over a directory only changes its mode. */
static int put_entry(struct imgtree *t, const struct entry *e, unsigned layer, const char *what,
                     char *err, size_t errlen)
{
    char buf[IMGTREE_PATH_MAX + 2];
    const char *parts[512];
    int n = split_path(e->path, buf, sizeof buf, parts, 512, what, err, errlen);
    if (n < 0)
        return -1;
    if (n == 0) {
        if (e->type != NODE_DIR)
            return say(err, errlen, "%s: the root must be a directory", what);
        t->root.mode = e->mode & 07777;
        return 0;
    }
    struct node *d = walk_parent(t, parts, n, layer, what, e->path, err, errlen);
    if (!d)
        return -1;
    const char *name = parts[n - 1];
    struct node *old = child(d, name, strlen(name));
    if (old && old == e->same)
        return 0;                    /* a hard link to itself */
    if (old && old->type == NODE_DIR && e->type == NODE_DIR) {
        old->mode = e->mode & 07777;
        return 0;
    }
    uint64_t size = e->type == NODE_DIR ? 0 : e->size;
    if (e->type == NODE_LINK && (size == 0 || size > IMGTREE_LINK_MAX || memchr(e->data, 0, size)))
        return say(err, errlen, "%s: the symbolic link '%.200s' has %s target (1 to %d bytes allowed)", what,
                   e->path, size ? "an over-long" : "an empty", IMGTREE_LINK_MAX);
    /* a link's target counts against the limit too: a million long targets are bytes */
    if (size > t->max_bytes - t->bytes + (old && old->type != NODE_DIR ? old->size : 0))
        return say(err, errlen, "%s: '%.200s' makes the image larger than the %llu bytes allowed", what,
                   e->path, (unsigned long long)t->max_bytes);
    if (old)
        unlink_child(t, d, old);
    struct node *c = add_child(t, d, name, strlen(name), e->type, e->mode, layer);
    if (!c)
        return say(err, errlen, "out of memory");
    if (size) {
        if (!(c->data = malloc(size)))
            return say(err, errlen, "out of memory");
        memcpy(c->data, e->data, size);
    }
    c->size = size;
    t->bytes += c->size;
    return 0;
}

/* A whiteout: ".wh..wh..opq" empties its directory of lower layers'
 * entries; ".wh.NAME" removes NAME if a lower layer made it. */
static int whiteout(struct imgtree *t, const char *path, unsigned layer, const char *what, char *err, size_t errlen)
{
    char buf[IMGTREE_PATH_MAX + 2];
    const char *parts[512];
    int n = split_path(path, buf, sizeof buf, parts, 512, what, err, errlen);
    if (n <= 0)
        return n;
    /* its directory, links followed in the root's scope like an entry's
     * parent (nothing made: a missing one hides nothing); the name itself
     * is never followed: ".wh.l" removes the link l, not what it names */
    struct node *d = &t->root;
    struct rctx x = { .layer = layer, .what = what, .path = path, .err = err, .errlen = errlen };
    err[0] = 0;
    for (int i = 0; i < n - 1 && d; i++) {
        struct node *p = d;
        d = child(d, parts[i], strlen(parts[i]));
        if (d && d->type == NODE_LINK)
            d = follow_link(t, p, d, &x);
        if (d && d->type != NODE_DIR)
            d = NULL;
    }
    if (!d)
        return err[0] ? -1 : 0;      /* a loop; or nothing to hide */
    const char *name = parts[n - 1] + 4;
    if (!strcmp(name, ".wh..opq")) {
        for (struct node *c = d->children, *next; c; c = next) {
            next = c->next;
            if (c->layer < layer)
                unlink_child(t, d, c);
        }
        return 0;
    }
    struct node *c = child(d, name, strlen(name));
    if (c && c->layer < layer)
        unlink_child(t, d, c);
    return 0;
}

/* ---- layers ---- */

static int layer_entry(struct imgtree *t, struct archive *a, struct archive_entry *ae, unsigned layer,
                       const char *what, char *err, size_t errlen)
{
    const char *path = archive_entry_pathname(ae), *hard = archive_entry_hardlink(ae);
    if (!path)
        return say(err, errlen, "%s: an entry without a name", what);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strncmp(base, ".wh.", 4))
        return whiteout(t, path, layer, what, err, errlen);
    struct entry e = { .path = path, .mode = archive_entry_perm(ae) };
    if (hard) {
        if (hard[0] == '/' || strstr(hard, ".."))
            return say(err, errlen, "%s: the hard link '%.200s' points outside the root ('%.200s')", what, path, hard);
        /* like link(2) in the root's scope: parents followed, the name not
         * (a hard link to a symbolic link is another link to its target) */
        const struct node *target = lookup(t, hard, false);
        if (!target || target->type == NODE_DIR)
            return say(err, errlen, "%s: the hard link '%.200s' points to '%.200s', which is not a file of the image",
                       what, path, hard);
        e.type = target->type;
        e.same = target;                     /* its bytes copied first: the entry may replace it */
        e.size = target->size;
        uint8_t *copy = e.size ? malloc(e.size) : NULL;
        if (e.size && !copy)
            return say(err, errlen, "out of memory");
        if (copy)
            memcpy(copy, target->data, e.size);
        e.data = copy;
        int r = put_entry(t, &e, layer, what, err, errlen);
        free(copy);
        return r;
    }
    switch (archive_entry_filetype(ae)) {
    case AE_IFDIR:
        e.type = NODE_DIR;
        return put_entry(t, &e, layer, what, err, errlen);
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(ae);
        e.type = NODE_LINK;
        e.data = (const uint8_t *)(target ? target : "");
        e.size = strlen((const char *)e.data);
        return put_entry(t, &e, layer, what, err, errlen);
    }
    case AE_IFREG:
        break;
    default:
        return say(err, errlen, "%s: '%.200s' is a device node or other special file, which an image may not hold",
                   what, path);
    }
    int64_t size = archive_entry_size(ae);
    if (size < 0 || (uint64_t)size > t->max_bytes - t->bytes)
        return say(err, errlen, "%s: '%.200s' makes the image larger than the %llu bytes allowed", what, path,
                   (unsigned long long)t->max_bytes);
    uint8_t *data = size ? malloc((size_t)size) : NULL;
    if (size && !data)
        return say(err, errlen, "out of memory");
    la_ssize_t got = size ? archive_read_data(a, data, (size_t)size) : 0;
    if (got != size) {
        free(data);
        return say(err, errlen, "%s: '%.200s' is cut short (%s)", what, path,
                   got < 0 ? archive_error_string(a) : "the archive ends inside it");
    }
    e.type = NODE_FILE;
    e.data = data;
    e.size = (uint64_t)size;
    int r = put_entry(t, &e, layer, what, err, errlen);
    free(data);
    return r;
}

int imgtree_apply_layer(struct imgtree *t, const void *tar, size_t len, unsigned layer, char *err, size_t errlen)
{
    char what[32];
    snprintf(what, sizeof what, "layer %u", layer);
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int r = 0;
    if (archive_read_open_memory(a, tar, len) != ARCHIVE_OK) {
        r = say(err, errlen, "%s: not a tar archive (%s)", what, archive_error_string(a));
    } else {
        struct archive_entry *ae;
        int s;
        while (!r && (s = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
            if (s < ARCHIVE_WARN)
                r = say(err, errlen, "%s: a broken or truncated tar (%s)", what, archive_error_string(a));
            else
                r = layer_entry(t, a, ae, layer, what, err, errlen);
        }
    }
    archive_read_free(a);
    return r;
}

/* ---- host directories ---- */

/* Opened without waiting and its type checked again: lstat said a
 * regular file, but a FIFO put there since would hang a plain open
 * (attack22). */
static int read_file(const char *path, uint64_t max, uint8_t **data, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return say(err, errlen, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return say(err, errlen, "%s is a device node or other special file, which an image may not hold", path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return say(err, errlen, "%s makes the image larger than the %llu bytes allowed", path, (unsigned long long)max);
    }
    *size = (uint64_t)st.st_size;
    *data = *size ? malloc(*size) : NULL;
    uint64_t got = 0;
    while (*data && got < *size) {
        ssize_t n = read(fd, *data + got, *size - got);
        if (n <= 0)
            break;
        got += (uint64_t)n;
    }
    close(fd);
    if (got != *size) {
        free(*data);
        return say(err, errlen, "%s: could not read all of it", path);
    }
    return 0;
}

static int add_dir(struct imgtree *t, const char *host, const char *rel, char *err, size_t errlen)
{
    DIR *d = opendir(host);
    if (!d)
        return say(err, errlen, "%s: %s", host, strerror(errno));
    struct dirent *de;
    int r = 0;
    while (!r && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char h[8192], p[8192];
        struct stat st;
        snprintf(h, sizeof h, "%s/%s", host, de->d_name);
        snprintf(p, sizeof p, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        if (lstat(h, &st)) {
            r = say(err, errlen, "%s: %s", h, strerror(errno));
            break;
        }
        struct entry e = { .path = p, .mode = st.st_mode & 07777 };
        uint8_t *data = NULL;
        if (S_ISDIR(st.st_mode)) {
            e.type = NODE_DIR;
            r = put_entry(t, &e, 0, "directory", err, errlen);
            if (!r)
                r = add_dir(t, h, p, err, errlen);
        } else if (S_ISLNK(st.st_mode)) {
            /* stored as it is, never followed on the host */
            char target[IMGTREE_LINK_MAX + 1];
            ssize_t n = readlink(h, target, sizeof target);
            if (n < 0)
                r = say(err, errlen, "%s: %s", h, strerror(errno));
            else if ((size_t)n > IMGTREE_LINK_MAX)
                r = say(err, errlen, "%s: a symbolic link's target longer than %d bytes", h, IMGTREE_LINK_MAX);
            if (!r) {
                e.type = NODE_LINK;
                e.data = (const uint8_t *)target;
                e.size = (uint64_t)n;
                r = put_entry(t, &e, 0, "directory", err, errlen);
            }
        } else if (S_ISREG(st.st_mode)) {
            e.type = NODE_FILE;
            r = read_file(h, t->max_bytes - t->bytes, &data, &e.size, err, errlen);
            e.data = data;
            if (!r)
                r = put_entry(t, &e, 0, "directory", err, errlen);
            free(data);
        } else {
            r = say(err, errlen, "%s is a device node or other special file, which an image may not hold", h);
        }
    }
    closedir(d);
    return r;
}

int imgtree_add_host_dir(struct imgtree *t, const char *dir, char *err, size_t errlen)
{
    return add_dir(t, dir, "", err, errlen);
}

/* ---- the archive ---- */

static int add_nodes(struct imgb *b, const struct node *d, const char *prefix, unsigned *links, char *err,
                     size_t errlen)
{
    for (const struct node *c = d->children; c; c = c->next) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", prefix, c->name);
        int r = 0;
        if (c->type == NODE_LINK) {
            if (!(r = imgb_add_link(b, path, (const char *)c->data, c->size, err, errlen)))
                (*links)++;
        } else if (c->type == NODE_FILE)
            r = imgb_add_file(b, path, c->mode, c->data, c->size, err, errlen);
        else if (!(r = imgb_add_dir(b, path, c->mode, err, errlen)))
            r = add_nodes(b, c, path, links, err, errlen);
        if (r)
            return -1;
    }
    return 0;
}

int imgtree_archive(const struct imgtree *t, const char *config_text, uint8_t **out, uint64_t *len,
                    unsigned *links, char *err, size_t errlen)
{
    struct imgb *b = imgb_new();
    *links = 0;
    int r = !b ? say(err, errlen, "out of memory")
               : imgb_add_file(b, "config", 0644, config_text, strlen(config_text), err, errlen);
    if (!r)
        r = imgb_add_dir(b, "files", t->root.mode ? t->root.mode : 0755, err, errlen);
    if (!r)
        r = add_nodes(b, &t->root, "files", links, err, errlen);
    if (!r)
        r = imgb_finish(b, out, len, err, errlen);
    imgb_free(b);
    return r;
}

void imgtree_counts(const struct imgtree *t, unsigned *files, unsigned *dirs, uint64_t *bytes)
{
    *files = t->files;
    *dirs = t->dirs;
    *bytes = t->bytes;
}
