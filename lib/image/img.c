/*
 * img.c — validating and reading Aerie image archives. img_open trusts
 * nothing: every offset and size is checked against the archive's length
 * without overflow, every path against the naming rules, the order (which
 * also rules out duplicates), parents, and that file data never overlaps
 * the metadata or another file. After it, lookups read only checked bytes.
 * Fields are read with memcpy so the archive needs no particular alignment.
 */
#include "img.h"
#include <aerie/errors.h>
#include "../mem.h"

#define HDR_SIZE   ((uint64_t)sizeof(struct ae_image_header))
#define ENTRY_SIZE ((uint64_t)sizeof(struct ae_image_entry))

static uint64_t align_up(uint64_t x)
{
    return (x + AE_IMAGE_ALIGN - 1) & ~(uint64_t)(AE_IMAGE_ALIGN - 1);
}

static int fail(struct img_error *err, int code, int64_t entry, const char *field,
                const char *reason)
{
    if (err) {
        err->code = code;
        err->entry = entry;
        err->field = field;
        err->reason = reason;
    }
    return code;
}

static void read_entry(const struct img *img, uint32_t i, struct ae_image_entry *e)
{
    memcpy(e, img->base + img->entries_offset + (uint64_t)i * ENTRY_SIZE, sizeof *e);
}

static const char *entry_path(const struct img *img, const struct ae_image_entry *e)
{
    return (const char *)img->base + img->strtab_offset + e->path_offset;
}

int img_path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        unsigned ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca == cb)
            continue;
        ca = ca == '/' ? 0 : ca + 1;     /* '/' ranks below every byte */
        cb = cb == '/' ? 0 : cb + 1;
        return ca < cb ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen;
}

const char *img_path_problem(const char *path, size_t len)
{
    if (len == 0)
        return "path is empty";
    if (len > AE_IMAGE_PATH_MAX)
        return "path is longer than AE_IMAGE_PATH_MAX";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && path[i] == 0)
            return "path contains a NUL byte";
        if (i < len && path[i] != '/')
            continue;
        size_t clen = i - start;
        if (clen == 0)
            return "path has an empty component (leading, trailing or doubled '/')";
        if (clen > AE_IMAGE_NAME_MAX)
            return "path component is longer than AE_IMAGE_NAME_MAX";
        if (path[start] == '.' && (clen == 1 || (clen == 2 && path[start + 1] == '.')))
            return "path has a '.' or '..' component";
        start = i + 1;
    }
    return NULL;
}

/* Binary search among entries [0, n) for an exact path. */
static int64_t lookup_below(const struct img *img, uint32_t n, const char *path, size_t len)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct ae_image_entry e;
        read_entry(img, mid, &e);
        int c = img_path_cmp(entry_path(img, &e), e.path_len, path, len);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return AE_ENOENT;
}

int64_t img_lookup(const struct img *img, const char *path, size_t len)
{
    return lookup_below(img, img->count, path, len);
}

static int check_header(struct img *img, const uint8_t *base, uint64_t len,
                        struct img_error *err)
{
    struct ae_image_header h;
    if (len < HDR_SIZE)
        return fail(err, AE_ERANGE, -1, "header", "archive is shorter than its header");
    memcpy(&h, base, sizeof h);
    if (h.magic != AE_IMAGE_MAGIC)
        return fail(err, AE_EINVAL, -1, "magic", "not an Aerie image (bad magic)");
    if (h.version != AE_IMAGE_VERSION)
        return fail(err, AE_EINVAL, -1, "version", "unsupported format version");
    if (h.header_size != HDR_SIZE)
        return fail(err, AE_EINVAL, -1, "header_size", "is not the size of this version's header");
    if (h.entry_size != ENTRY_SIZE)
        return fail(err, AE_EINVAL, -1, "entry_size", "is not the size of this version's entry");
    if (h.total_size > len)
        return fail(err, AE_ERANGE, -1, "total_size", "larger than the archive (truncated?)");
    if (h.total_size % AE_IMAGE_ALIGN || h.total_size < HDR_SIZE)
        return fail(err, AE_EINVAL, -1, "total_size", "not a non-zero multiple of 4096");
    if (h.entries_offset != HDR_SIZE)
        return fail(err, AE_EINVAL, -1, "entries_offset", "entries must follow the header");
    if (h.entry_count > (h.total_size - h.entries_offset) / ENTRY_SIZE)
        return fail(err, AE_ERANGE, -1, "entry_count", "entries extend past the archive end");
    if (h.strtab_offset != h.entries_offset + h.entry_count * ENTRY_SIZE)
        return fail(err, AE_EINVAL, -1, "strtab_offset", "string table must follow the entries");
    if (h.strtab_size > h.total_size - h.strtab_offset)
        return fail(err, AE_ERANGE, -1, "strtab_size", "string table extends past the archive end");
    if (h.data_offset != align_up(h.strtab_offset + h.strtab_size))
        return fail(err, AE_EINVAL, -1, "data_offset", "must be the string table end rounded up to 4096");
    img->base = base;
    img->size = h.total_size;
    img->count = h.entry_count;
    img->entries_offset = h.entries_offset;
    img->strtab_offset = h.strtab_offset;
    img->strtab_size = h.strtab_size;
    return 0;
}

/* A link's target: 1..AE_IMAGE_LINK_MAX bytes of the string table, no
 * NUL (it becomes a C string in the Linux personality); anything else
 * goes, '..' and absolute targets included: the fs resolves them inside
 * the container's root, and nothing on the host follows them. */
static int check_link(const struct img *img, uint32_t i, const struct ae_image_entry *e,
                      struct img_error *err)
{
    if (e->mode != AE_IMAGE_LINK_MODE)
        return fail(err, AE_EINVAL, i, "mode", "a symbolic link's mode must be 0777");
    if (e->size == 0)
        return fail(err, AE_EINVAL, i, "size", "a symbolic link's target is empty");
    if (e->size > AE_IMAGE_LINK_MAX)
        return fail(err, AE_EINVAL, i, "size", "a symbolic link's target is longer than 4095 bytes");
    if (e->data_offset > img->strtab_size || e->size > img->strtab_size - e->data_offset)
        return fail(err, AE_ERANGE, i, "data_offset", "a symbolic link's target extends past the string table");
    const uint8_t *t = img->base + img->strtab_offset + e->data_offset;
    for (uint64_t k = 0; k < e->size; k++)
        if (t[k] == 0)
            return fail(err, AE_EINVAL, i, "data_offset", "a symbolic link's target contains a NUL byte");
    return 0;
}

/* The entry's own fields and its path, ignoring its neighbours. */
static int check_entry_fields(const struct img *img, uint32_t i, const struct ae_image_entry *e,
                              struct img_error *err)
{
    if (e->type != AE_IMAGE_FILE && e->type != AE_IMAGE_DIR && e->type != AE_IMAGE_SYMLINK)
        return fail(err, AE_EINVAL, i, "type", "neither file, directory nor symbolic link");
    if (e->flags || e->reserved)
        return fail(err, AE_EINVAL, i, e->flags ? "flags" : "reserved", "must be 0");
    if (e->mode & ~AE_IMAGE_MODE_MASK)
        return fail(err, AE_EINVAL, i, "mode", "has bits beyond the permission bits");
    if (e->path_len == 0 || e->path_len > AE_IMAGE_PATH_MAX)
        return fail(err, AE_EINVAL, i, "path_len", "must be 1..4096");
    if ((uint64_t)e->path_offset + e->path_len > img->strtab_size)
        return fail(err, AE_ERANGE, i, "path_offset", "path extends past the string table");
    const char *why = img_path_problem(entry_path(img, e), e->path_len);
    if (why)
        return fail(err, AE_EINVAL, i, "path", why);
    if (e->type == AE_IMAGE_DIR && (e->size || e->data_offset))
        return fail(err, AE_EINVAL, i, e->size ? "size" : "data_offset",
                    "must be 0 for a directory");
    if (e->type == AE_IMAGE_SYMLINK)
        return check_link(img, i, e, err);
    if (e->size == 0 && e->data_offset)
        return fail(err, AE_EINVAL, i, "data_offset", "must be 0 for an empty file");
    return 0;
}

/* Sorted after entry i-1 (so no duplicate), and its parent is a directory. */
static int check_entry_place(const struct img *img, uint32_t i, const struct ae_image_entry *e,
                             struct img_error *err)
{
    const char *path = entry_path(img, e);
    if (i > 0) {
        struct ae_image_entry prev;
        read_entry(img, i - 1, &prev);
        int c = img_path_cmp(entry_path(img, &prev), prev.path_len, path, e->path_len);
        if (c == 0)
            return fail(err, AE_EINVAL, i, "path", "duplicate of the previous entry's path");
        if (c > 0)
            return fail(err, AE_EINVAL, i, "path", "entries are not sorted by path");
    }
    size_t plen = e->path_len;
    while (plen > 0 && path[plen - 1] != '/')
        plen--;
    if (plen == 0)
        return 0;                                  /* in the root */
    int64_t parent = lookup_below(img, i, path, plen - 1);
    if (parent < 0)
        return fail(err, AE_EINVAL, i, "path", "its parent directory has no entry");
    struct ae_image_entry p;
    read_entry(img, (uint32_t)parent, &p);
    if (p.type == AE_IMAGE_SYMLINK)
        return fail(err, AE_EINVAL, i, "path", "its parent is a symbolic link (a link has no children)");
    if (p.type != AE_IMAGE_DIR)
        return fail(err, AE_EINVAL, i, "path", "its parent is not a directory");
    return 0;
}

/* File data inside the data area, aligned, after the previous file's data. */
static int check_entry_data(const struct img *img, uint32_t i, const struct ae_image_entry *e,
                            uint64_t data_start, uint64_t *data_end, struct img_error *err)
{
    if (e->type != AE_IMAGE_FILE || e->size == 0)
        return 0;
    if (e->data_offset % AE_IMAGE_ALIGN)
        return fail(err, AE_EINVAL, i, "data_offset", "not a multiple of 4096");
    if (e->data_offset < data_start)
        return fail(err, AE_ERANGE, i, "data_offset", "points into the header, entries or strings");
    if (e->data_offset < *data_end)
        return fail(err, AE_ERANGE, i, "data_offset", "overlaps the previous file's data");
    if (e->data_offset > img->size || e->size > img->size - e->data_offset)
        return fail(err, AE_ERANGE, i, "size", "data extends past the archive end");
    *data_end = align_up(e->data_offset + e->size);
    return 0;
}

int img_open(struct img *out, const void *base, uint64_t len, struct img_error *err)
{
    struct img img;
    int r = check_header(&img, base, len, err);
    if (r)
        return r;
    uint64_t data_start = align_up(img.strtab_offset + img.strtab_size), data_end = data_start;
    for (uint32_t i = 0; i < img.count; i++) {
        struct ae_image_entry e;
        read_entry(&img, i, &e);
        if ((r = check_entry_fields(&img, i, &e, err)) ||
            (r = check_entry_place(&img, i, &e, err)) ||
            (r = check_entry_data(&img, i, &e, data_start, &data_end, err)))
            return r;
    }
    *out = img;
    return 0;
}

void img_get(const struct img *img, uint32_t i, struct img_file *out)
{
    struct ae_image_entry e;
    read_entry(img, i, &e);
    out->path = entry_path(img, &e);
    out->path_len = e.path_len;
    out->type = e.type;
    out->mode = e.mode;
    out->data_offset = e.data_offset;
    out->size = e.size;
    if (e.type == AE_IMAGE_SYMLINK)
        out->data = img->base + img->strtab_offset + e.data_offset;
    else
        out->data = e.size ? img->base + e.data_offset : NULL;
}

/* True if entry i lies strictly below directory prefix[0..len). */
static bool is_below(const struct img *img, uint32_t i, const char *prefix, size_t len)
{
    struct ae_image_entry e;
    read_entry(img, i, &e);
    return e.path_len > len && entry_path(img, &e)[len] == '/' &&
           memcmp(entry_path(img, &e), prefix, len) == 0;
}

void img_subtree(const struct img *img, const char *prefix, size_t len,
                 uint32_t *first, uint32_t *end)
{
    *first = *end = 0;
    if (len == 0) {
        *end = img->count;
        return;
    }
    int64_t dir = img_lookup(img, prefix, len);
    if (dir < 0)
        return;
    /* The descendants follow the directory contiguously: find where they stop. */
    uint32_t lo = (uint32_t)dir + 1, hi = img->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (is_below(img, mid, prefix, len))
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = (uint32_t)dir + 1;
    *end = lo;
}

/* ---- resolving paths with links ---- */

#define RESOLVE_DEPTH 40u        /* nested link expansions (the hop limit bounds it) */

/* The text still to walk: a stack of strings, the innermost (a link's
 * target being walked) on top. Nothing is copied: every string is the
 * caller's path or a target in the archive. */
struct rstack {
    struct { const char *s; size_t len, at; } seg[RESOLVE_DEPTH + 1];
    unsigned n;
};

/* The next component of the remaining text, or false at its end. */
static bool next_component(struct rstack *st, const char **c, size_t *clen)
{
    while (st->n) {
        typeof(st->seg[0]) *g = &st->seg[st->n - 1];
        while (g->at < g->len && g->s[g->at] == '/')
            g->at++;
        if (g->at == g->len) {
            st->n--;
            continue;
        }
        size_t start = g->at;
        while (g->at < g->len && g->s[g->at] != '/')
            g->at++;
        *c = g->s + start;
        *clen = g->at - start;
        return true;
    }
    return false;
}

int64_t img_resolve(const struct img *img, const char *root, size_t root_len,
                    const char *path, size_t len, unsigned max_links)
{
    struct rstack st = { .n = 1 };
    st.seg[0].s = path;
    st.seg[0].len = len;
    char cur[AE_IMAGE_PATH_MAX + 1];             /* the directory reached, an archive path */
    size_t cur_len = root_len;
    int64_t at = root_len ? img_lookup(img, root, root_len) : -1;
    if (root_len > AE_IMAGE_PATH_MAX || (root_len && at < 0))
        return AE_ENOENT;
    memcpy(cur, root, root_len);
    unsigned links = 0;
    const char *c;
    size_t clen;
    while (next_component(&st, &c, &clen)) {
        if (at >= 0) {
            struct img_file d;
            img_get(img, (uint32_t)at, &d);
            if (d.type != AE_IMAGE_DIR)
                return AE_ENOTDIR;
        }
        if (clen == 1 && c[0] == '.')
            continue;
        if (clen == 2 && c[0] == '.' && c[1] == '.') {
            if (cur_len == root_len)
                continue;                        /* ".." of the root is the root */
            while (cur_len > 0 && cur[cur_len - 1] != '/')
                cur_len--;
            if (cur_len > 0)
                cur_len--;                       /* the '/' before the name: at least root */
            at = cur_len ? img_lookup(img, cur, cur_len) : -1;
            continue;
        }
        size_t sep = cur_len ? 1 : 0;
        if (cur_len + sep + clen > AE_IMAGE_PATH_MAX)
            return AE_ENOENT;                    /* no entry can have so long a path */
        if (sep)
            cur[cur_len] = '/';
        memcpy(cur + cur_len + sep, c, clen);
        int64_t child = img_lookup(img, cur, cur_len + sep + clen);
        if (child < 0)
            return AE_ENOENT;
        struct img_file f;
        img_get(img, (uint32_t)child, &f);
        if (f.type != AE_IMAGE_SYMLINK) {
            cur_len += sep + clen;
            at = child;
            continue;
        }
        if (++links > max_links || st.n > RESOLVE_DEPTH)
            return AE_ELOOP;
        if (f.data[0] == '/') {                  /* absolute: from the root */
            cur_len = root_len;
            at = root_len ? img_lookup(img, root, root_len) : -1;
        }                                        /* relative: from the link's directory */
        st.seg[st.n].s = (const char *)f.data;
        st.seg[st.n].len = f.size;
        st.seg[st.n].at = 0;
        st.n++;
    }
    return at >= 0 ? at : AE_EISDIR;             /* the root itself has no entry */
}
