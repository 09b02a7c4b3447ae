/*
 * data.c — file contents: a sparse radix tree of 4096-byte pages (index
 * pages of 512 pointers, up to 4 levels: 2 MiB, 1 GiB, 512 GiB, 256 TiB),
 * so unwritten ranges cost nothing and read as zeros. A tree of height 0
 * is the file's first page alone, with no index page above it: most files
 * are that small, and an index page for one pointer doubled their pages
 * (allocation, zeroing and a 512-slot pass at unlink each time). A copied-up image
 * file keeps its image data as a backing store: pages it never wrote are
 * read from the archive, and a page is copied only on its first write.
 *
 * Invariant: bytes of private pages at or past the file size are zero, and
 * lower_len <= size, so growing a file never exposes old bytes.
 * Every page (index or data) is charged to the node's layer before it is
 * allocated; a write stops at the first page it cannot get. Callers hold
 * the layer's lock.
 */
#include "fs_impl.h"

static unsigned slot_at(uint64_t idx, unsigned level)
{
    return (unsigned)(idx >> (FS_RADIX_BITS * (level - 1))) & (FS_RADIX_SLOTS - 1);
}

/* The height a tree needs to hold page idx: 0 for the first page alone. */
static unsigned levels_for(uint64_t idx)
{
    unsigned h = 0;
    while (h < FS_RADIX_HEIGHT && (idx >> (FS_RADIX_BITS * h)))
        h++;
    return h;
}

static void *page_find(const struct fs_pages *pg, uint64_t idx)
{
    if (!pg->root || levels_for(idx) > pg->height)
        return NULL;
    void *node = pg->root;
    for (unsigned h = pg->height; h > 0 && node; h--)
        node = ((void **)node)[slot_at(idx, h)];
    return node;
}

/* How many pages (index and data) inserting page idx would allocate. */
static unsigned pages_missing(const struct fs_pages *pg, uint64_t idx)
{
    unsigned H = levels_for(idx) > pg->height ? levels_for(idx) : pg->height;
    if (!pg->root)
        return H + 1;
    unsigned n = H - pg->height;                 /* new roots above the old one */
    for (unsigned h = H; h > pg->height; h--)
        if (slot_at(idx, h))
            return n + h;                        /* h - 1 index pages and the data page */
    void **node = pg->root;
    for (unsigned h = pg->height; h > 0; h--) {
        void *child = node[slot_at(idx, h)];
        if (!child)
            return n + h;
        node = child;
    }
    return n;
}

struct page_pool {
    void *page[FS_RADIX_HEIGHT + 2];
    unsigned n;
};

static void *pool_take(struct page_pool *p)
{
    void *pg = p->page[--p->n];
    memset(pg, 0, FS_PAGE);
    return pg;
}

/* Charges and allocates the pages for page idx, all or none. */
static int pool_fill(struct fs_unode *n, unsigned need, struct page_pool *p)
{
    struct fs_layer *L = n->layer;
    int r = layer_charge_pages(L, need);
    if (r)
        return r;
    for (p->n = 0; p->n < need; p->n++) {
        if ((r = L->env->page_alloc(L->env->ctx, &p->page[p->n]))) {
            while (p->n > 0)
                L->env->page_free(L->env->ctx, p->page[--p->n]);
            layer_uncharge_pages(L, need);
            return r;
        }
    }
    n->f.npages += need;
    return 0;
}

/* Owns (layer_own_page) the one existing index page that inserting page
 * idx writes: the deepest on its path, whose slot for it is empty. A
 * taller tree's new top holds the old root in slot 0 and idx below
 * another slot, so then nothing existing is written. */
static int own_path(struct fs_unode *n, uint64_t idx)
{
    const struct fs_pages *pg = &n->f.pages;
    if (!pg->root || levels_for(idx) > pg->height)
        return 0;
    void **node = pg->root;
    for (unsigned h = pg->height; h > 0; h--) {
        void *child = node[slot_at(idx, h)];
        if (!child)
            return layer_own_page(n->layer, node);
        node = child;
    }
    return 0;
}

/* The data page idx, allocated (and filled from the image) if missing. */
static int page_get(struct fs_unode *n, uint64_t idx, void **out)
{
    struct fs_pages *pg = &n->f.pages;
    void *page = page_find(pg, idx);
    if (page) {
        int r = layer_own_page(n->layer, page);   /* the caller writes it */
        *out = page;
        return r;
    }
    struct page_pool pool;
    int r = own_path(n, idx);
    if (r)
        return r;
    r = pool_fill(n, pages_missing(pg, idx), &pool);
    if (r)
        return r;
    unsigned H = levels_for(idx);
    if (!pg->root) {
        pg->root = pool_take(&pool);
        pg->height = H;
        if (H == 0) {                            /* page 0 alone: the root is its data page */
            page = pg->root;
            goto filled;
        }
    }
    while (pg->height < H) {
        void **top = pool_take(&pool);
        top[0] = pg->root;
        pg->root = top;
        pg->height++;
    }
    void **node = pg->root;
    for (unsigned h = pg->height; h > 1; h--) {
        void **slot = &node[slot_at(idx, h)];
        if (!*slot)
            *slot = pool_take(&pool);
        node = *slot;
    }
    page = node[slot_at(idx, 1)] = pool_take(&pool);
filled:;
    uint64_t start = idx * FS_PAGE;
    if (start < n->f.lower_len) {                /* copy-on-write from the image */
        uint64_t m = n->f.lower_len - start;
        memcpy(page, n->f.lower + start, m < FS_PAGE ? m : FS_PAGE);
    }
    *out = page;
    return 0;
}

_Static_assert(FS_RADIX_SLOTS % 8 == 0, "trim passes over slots eight at a time");

/* Frees the pages at index >= first below node (level h, first page base);
 * true if node is left empty. Recursion is at most FS_RADIX_HEIGHT deep. */
static bool trim(struct fs_unode *n, void **node, unsigned h, uint64_t base, uint64_t first,
                 uint64_t *freed)
{
    const struct fs_env *env = n->layer->env;
    uint64_t span = 1ull << (FS_RADIX_BITS * (h - 1));
    bool empty = true;
    for (unsigned s = 0; s < FS_RADIX_SLOTS; s++) {
        /* Eight empty slots at a time: a small file's one page leaves
         * 511 to pass over at each unlink */
        if (s % 8 == 0 && !((uintptr_t)node[s] | (uintptr_t)node[s + 1] | (uintptr_t)node[s + 2] |
                            (uintptr_t)node[s + 3] | (uintptr_t)node[s + 4] | (uintptr_t)node[s + 5] |
                            (uintptr_t)node[s + 6] | (uintptr_t)node[s + 7])) {
            s += 7;
            continue;
        }
        if (!node[s])
            continue;
        uint64_t cbase = base + s * span;
        if (cbase + span <= first) {
            empty = false;
        } else if (h == 1 || trim(n, node[s], h - 1, cbase, first, freed)) {
            /* Freeing cannot fail: without memory for the break the
             * write below faults to the service's handler instead. */
            (void)layer_own_page(n->layer, node);
            env->page_free(env->ctx, node[s]);
            node[s] = NULL;
            ++*freed;
        } else {
            empty = false;
        }
    }
    return empty;
}

static void pages_trim(struct fs_unode *n, uint64_t first)
{
    struct fs_pages *pg = &n->f.pages;
    if (!pg->root)
        return;
    if (n->layer->pages_lost) {                  /* gone with their memory: forget them */
        layer_uncharge_pages(n->layer, n->f.npages);
        n->f.npages = 0;
        *pg = (struct fs_pages){ NULL, 0 };
        return;
    }
    uint64_t freed = 0;
    if (pg->height == 0 ? first == 0 : trim(n, pg->root, pg->height, 0, first, &freed)) {
        n->layer->env->page_free(n->layer->env->ctx, pg->root);
        pg->root = NULL;
        pg->height = 0;
        freed++;
    }
    n->f.npages -= freed;
    layer_uncharge_pages(n->layer, freed);
}

void file_free_pages(struct fs_unode *n)
{
    pages_trim(n, 0);
}

/* *slot: a copy of src (level h: an index page; 0: a data page), linked
 * in before its children are made, so a failure leaves a tree
 * pages_trim can free. Recursion is at most FS_RADIX_HEIGHT deep. */
static int copy_level(struct fs_unode *n, void **slot, void *const *src, unsigned h)
{
    struct fs_layer *L = n->layer;
    int r = layer_charge_pages(L, 1);
    if (r)
        return r;
    if ((r = L->env->page_alloc(L->env->ctx, slot))) {
        *slot = NULL;
        layer_uncharge_pages(L, 1);
        return r;
    }
    n->f.npages++;
    if (h == 0) {
        memcpy(*slot, src, FS_PAGE);
        return 0;
    }
    memset(*slot, 0, FS_PAGE);
    for (unsigned s = 0; s < FS_RADIX_SLOTS && !r; s++)
        if (src[s])
            r = copy_level(n, &((void **)*slot)[s], src[s], h - 1);
    return r;
}

int file_copy_pages(struct fs_unode *n, const struct fs_unode *from)
{
    if (!from->f.pages.root)
        return 0;
    n->f.pages.height = from->f.pages.height;
    return copy_level(n, &n->f.pages.root, from->f.pages.root, from->f.pages.height);
}

/* Adopts page (level h: an index page; 0: a data page) and, below an
 * index page, moves each pointer by delta to the image it names here.
 * Recursion is at most FS_RADIX_HEIGHT deep. */
static void adopt_level(const struct fs_env *env, void *page, unsigned h, intptr_t delta)
{
    env->page_adopt(env->ctx, page);
    if (h == 0)
        return;
    void **slot = page;
    for (unsigned s = 0; s < FS_RADIX_SLOTS; s++)
        if (slot[s]) {
            slot[s] = (char *)slot[s] + delta;   /* writing an index page copies it for n alone */
            adopt_level(env, slot[s], h - 1, delta);
        }
}

/* Owns the image of every index page of from's tree (src: from's page,
 * level h), which adopt_level then writes: all before any is written, so
 * a failure leaves n without pages. */
static int own_images(const struct fs_layer *L, void *const *src, unsigned h, intptr_t delta)
{
    if (h == 0)
        return 0;
    int r = layer_own_page(L, (char *)src + delta);
    for (unsigned s = 0; s < FS_RADIX_SLOTS && !r; s++)
        if (src[s])
            r = own_images(L, src[s], h - 1, delta);
    return r;
}

int file_adopt_pages(struct fs_unode *n, const struct fs_unode *from, intptr_t delta)
{
    if (!from->f.pages.root)
        return 0;
    int r = layer_charge_pages(n->layer, from->f.npages);
    if (!r && (r = own_images(n->layer, from->f.pages.root, from->f.pages.height, delta)))
        layer_uncharge_pages(n->layer, from->f.npages);
    if (r)
        return r;
    n->f.npages = from->f.npages;
    n->f.pages.height = from->f.pages.height;
    n->f.pages.root = (char *)from->f.pages.root + delta;
    adopt_level(n->layer->env, n->f.pages.root, n->f.pages.height, delta);
    return 0;
}

int64_t lower_read(const struct fs_lnode *n, uint64_t off, void *buf, uint64_t len)
{
    if (off >= n->size)
        return 0;
    if (len > n->size - off)
        len = n->size - off;
    memcpy(buf, n->data + off, len);
    return (int64_t)len;
}

int64_t file_read(const struct fs_unode *n, uint64_t off, void *buf, uint64_t len)
{
    if (off >= n->f.size)
        return 0;
    if (len > n->f.size - off)
        len = n->f.size - off;
    uint8_t *out = buf;
    for (uint64_t done = 0; done < len;) {
        uint64_t pos = off + done, in = pos % FS_PAGE;
        uint64_t chunk = FS_PAGE - in < len - done ? FS_PAGE - in : len - done;
        const uint8_t *page = page_find(&n->f.pages, pos / FS_PAGE);
        if (page) {
            memcpy(out + done, page + in, chunk);
        } else {
            uint64_t below = pos < n->f.lower_len ? n->f.lower_len - pos : 0;
            if (below > chunk)
                below = chunk;
            if (below)
                memcpy(out + done, n->f.lower + pos, below);
            memset(out + done + below, 0, chunk - below);
        }
        done += chunk;
    }
    return (int64_t)len;
}

int64_t file_write(struct fs_unode *n, uint64_t off, const void *buf, uint64_t len)
{
    if (off >= FS_FILE_MAX)
        return AE_EFBIG;
    if (len > FS_FILE_MAX - off)
        len = FS_FILE_MAX - off;                 /* a short write; the next one fails */
    const uint8_t *in = buf;
    uint64_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, at = pos % FS_PAGE;
        uint64_t chunk = FS_PAGE - at < len - done ? FS_PAGE - at : len - done;
        void *page;
        int r = page_get(n, pos / FS_PAGE, &page);
        if (r)
            return done ? (int64_t)done : r;    /* what fit stays written */
        memcpy((uint8_t *)page + at, in + done, chunk);
        done += chunk;
        if (pos + chunk > n->f.size)
            n->f.size = pos + chunk;
    }
    return (int64_t)done;
}

int file_truncate(struct fs_unode *n, uint64_t size)
{
    if (size > FS_FILE_MAX)
        return AE_EFBIG;
    if (size < n->f.size) {
        uint8_t *page = size % FS_PAGE ? page_find(&n->f.pages, size / FS_PAGE) : NULL;
        int r = page ? layer_own_page(n->layer, page) : 0;
        if (r)
            return r;                            /* nothing changed yet */
        pages_trim(n, (size + FS_PAGE - 1) / FS_PAGE);
        if (page)
            memset(page + size % FS_PAGE, 0, FS_PAGE - size % FS_PAGE);
        if (n->f.lower_len > size)
            n->f.lower_len = size;
    }
    n->f.size = size;
    return 0;
}

/* Counts the pages below node (level h) into *n; false if a data page
 * lies at or past the file's last page. */
static bool count_pages(void **node, unsigned h, uint64_t base, uint64_t end_page, uint64_t *n)
{
    uint64_t span = 1ull << (FS_RADIX_BITS * (h - 1));
    for (unsigned s = 0; s < FS_RADIX_SLOTS; s++) {
        if (!node[s])
            continue;
        ++*n;
        if (h == 1 ? base + s >= end_page : !count_pages(node[s], h - 1, base + s * span, end_page, n))
            return false;
    }
    return true;
}

int file_check(const struct fs_unode *n, const char **why)
{
    const struct fs_pages *pg = &n->f.pages;
    uint64_t count = 0, end_page = (n->f.size + FS_PAGE - 1) / FS_PAGE;
    if (n->f.size > FS_FILE_MAX || n->f.lower_len > n->f.size)
        return *why = "a file is larger than allowed or sees past its end", AE_EINVAL;
    if (pg->root && (pg->height == 0 ? end_page == 0 : !count_pages(pg->root, pg->height, 0, end_page, &count)))
        return *why = "a file has a data page past its end", AE_EINVAL;
    if (count + (pg->root != NULL) != n->f.npages)
        return *why = "a file's page count disagrees with its tree", AE_EINVAL;
    const uint8_t *last = n->f.size % FS_PAGE ? page_find(pg, n->f.size / FS_PAGE) : NULL;
    for (uint64_t i = n->f.size % FS_PAGE; last && i < FS_PAGE; i++)
        if (last[i])
            return *why = "a file's last page is not zero past its end", AE_EINVAL;
    return 0;
}
