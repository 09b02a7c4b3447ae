/*
 * shm.c — MAP_SHARED file mappings (docs/LINUX.md, "Shared file
 * mappings"). The personality keeps one set of pages per fs node: a
 * sorted list of *segments*, each a Memory object of the container's
 * quota holding the file's bytes [off, off + len), filled from the file
 * when first mapped. Every mapping of the node, in every process of the
 * container, is made of chunks of those segments (mm.c), so all see the
 * same bytes. A segment lives while a chunk holds it; when the last one
 * goes (munmap, exit) lx_mem_put calls lx_shm_gone, which writes it back.
 *
 * Coherence with the file calls: read() takes the fs's bytes and lays the
 * segments' over them, write() copies its bytes into the segments too,
 * ftruncate() zeroes the segments' bytes past the new end. msync, fsync
 * and the last unmap write the segments back (only the part inside the
 * file: pages past its end are not the file's).
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/fs.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

struct lx_shfile;

struct lx_shseg {
    uint64_t off, len;          /* the file's bytes it holds */
    struct lx_mem *mem;         /* held by the chunks mapping it, not by this list */
    struct lx_shfile *sh;
    struct lx_shseg *next;      /* sorted by off, never overlapping */
};

struct lx_shfile {
    uint64_t ino;               /* the fs node (the container's own fs session) */
    struct lx_file *file;       /* an open file of it (a reference): fills and write-backs */
    struct lx_shseg *segs;
    struct lx_shfile *next;
};

static struct lx_shfile *shfiles;

static struct lx_shfile *find(uint64_t ino)
{
    for (struct lx_shfile *s = shfiles; s; s = s->next)
        if (s->ino == ino)
            return s;
    return NULL;
}

/* A handle write-backs can use: open for writing, and not O_APPEND (the
 * fs service appends every write of such a handle, offset or not). */
static bool writable(struct lx_file *f)
{
    return (f->flags & LX_O_ACCMODE) == LX_O_RDWR && !(f->flags & LX_O_APPEND);
}

/* Writes seg's bytes inside the file back to it. */
static int seg_writeback(struct lx_shseg *g)
{
    struct lx_shfile *sh = g->sh;
    uint64_t handle, ino;
    struct ae_fs_stat st;
    if (!writable(sh->file) || !lx_fs_node(sh->file, &handle, &ino))
        return 0;                                /* no mapping of it could write */
    int r = ae_fs_fstat(ae_fs_default(), handle, &st);
    if (r)
        return lx_errno(r);
    if (st.size <= g->off)
        return 0;
    uint64_t n = st.size - g->off < g->len ? st.size - g->off : g->len;
    for (uint64_t done = 0; done < n;) {
        int64_t w = ae_fs_write_behind_node(ae_fs_default(), handle, ino, g->off + done, g->mem->map + done,
                                            n - done);
        if (w <= 0)
            return w < 0 ? lx_errno((int)w) : -LX_ENOSPC;
        done += (uint64_t)w;
    }
    return 0;
}

void lx_shm_gone(struct lx_mem *m)
{
    struct lx_shseg *g = m->seg;
    struct lx_shfile *sh = g->sh;
    m->seg = NULL;
    seg_writeback(g);
    struct lx_shseg **pp = &sh->segs;
    while (*pp != g)
        pp = &(*pp)->next;
    *pp = g->next;
    free(g);
    if (sh->segs)
        return;
    struct lx_shfile **sp = &shfiles;
    while (*sp != sh)
        sp = &(*sp)->next;
    *sp = sh->next;
    lx_file_put(sh->file);
    free(sh);
}

/* A new segment [off, off + len) of sh after *pp, its bytes read from
 * the file (zero past its end). Its Memory holds one reference, the
 * caller's. */
static struct lx_shseg *seg_new(struct lx_shfile *sh, struct lx_shseg **pp, uint64_t off, uint64_t len, int *err)
{
    uint64_t handle, ino;
    lx_fs_node(sh->file, &handle, &ino);
    struct lx_shseg *g = calloc(1, sizeof *g);
    struct lx_mem *m = g ? lx_mem_new(len, err) : NULL;
    if (!m) {
        free(g);
        *err = -LX_ENOMEM;                       /* the container's memory (or objects) ran out */
        return NULL;
    }
    uint64_t va = ae_vm_reserve(len);
    if (!va || lx_task_map(lx.task, m->slot, 0, va, len, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, len);
        lx_mem_put(m);
        free(g);
        *err = -LX_ENOMEM;
        return NULL;
    }
    m->map = (uint8_t *)va;
    int64_t n = ae_fs_read(ae_fs_default(), handle, off, m->map, len);
    if (n < 0) {
        lx_mem_put(m);
        free(g);
        *err = lx_errno((int)n);
        return NULL;
    }
    *g = (struct lx_shseg){ .off = off, .len = len, .mem = m, .sh = sh, .next = *pp };
    m->seg = g;
    *pp = g;
    return g;
}

int64_t lx_shm_map(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, struct lx_file *f, uint64_t off)
{
    uint64_t handle, ino;
    unsigned acc = f->flags & LX_O_ACCMODE;
    if (!lx_fs_node(f, &handle, &ino) || (f->flags & LX_FILE_DIR))
        return -LX_ENODEV;
    if (acc == LX_O_WRONLY || ((prot & LX_PROT_WRITE) && !writable(f)))
        return -LX_EACCES;
    if (off + len < off)
        return -LX_EOVERFLOW;
    /* what is mapped there goes first (MAP_FIXED): it may be the last
     * mapping of this very file, whose table entry then goes with it */
    struct lx_mm *mm = t->proc->mm;
    int r = lx_mm_unmap(mm, addr, len);
    if (r)
        return r;
    struct lx_shfile *sh = find(ino);
    if (!sh) {
        if (!(sh = calloc(1, sizeof *sh)))
            return -LX_ENOMEM;
        sh->ino = ino;
        sh->file = f;
        lx_file_get(f);
        sh->next = shfiles;
        shfiles = sh;
    } else if (writable(f) && !writable(sh->file)) {
        lx_file_get(f);                          /* write-backs need a writable handle */
        lx_file_put(sh->file);
        sh->file = f;
    }
    /* the VMA first (no pages), then a chunk per piece of a segment; a
     * failure unmaps it, which drops what the new segments held */
    r = lx_mm_map(mm, addr, len, prot, LX_VMA_SHARED | LX_VMA_SHFILE | (writable(f) ? 0 : LX_VMA_NOWRITE), NULL, 0);
    uint64_t end = off + len;
    struct lx_shseg **pp = &sh->segs;
    for (uint64_t pos = off; !r && pos < end;) {
        while (*pp && (*pp)->off + (*pp)->len <= pos)
            pp = &(*pp)->next;
        struct lx_shseg *g = *pp;
        bool fresh = !g || g->off > pos;
        if (fresh) {
            uint64_t to = g && g->off < end ? g->off : end;
            g = seg_new(sh, pp, pos, to - pos, &r);
            if (!g)
                break;
        }
        uint64_t stop = g->off + g->len < end ? g->off + g->len : end;
        r = lx_mm_add_chunk(mm, addr + (pos - off), addr + (stop - off), g->mem, pos - g->off);
        if (fresh)
            lx_mem_put(g->mem);                  /* the chunk holds it now (or, failed, it goes) */
        pos = stop;
    }
    if (r) {
        lx_mm_unmap(mm, addr, len);              /* may drop the last segment, and sh with it */
        sh = find(ino);
        if (sh && !sh->segs) {                   /* made here, nothing of the file mapped: forget it */
            struct lx_shfile **sp = &shfiles;
            while (*sp != sh)
                sp = &(*sp)->next;
            *sp = sh->next;
            lx_file_put(sh->file);
            free(sh);
        }
    }
    return r;
}

/* Writes back every segment a chunk of [addr, addr + len) uses. */
int lx_shm_msync(struct lx_mm *mm, uint64_t addr, uint64_t len)
{
    int r = 0;
    for (struct lx_chunk *c = mm->chunks; c; c = c->next)
        if (c->start < addr + len && addr < c->end && c->mem->seg) {
            int e = seg_writeback(c->mem->seg);
            r = r ? r : e;
        }
    return r;
}

int lx_shm_sync_node(uint64_t ino)
{
    struct lx_shfile *sh = find(ino);
    int r = 0;
    for (struct lx_shseg *g = sh ? sh->segs : NULL; g; g = g->next) {
        int e = seg_writeback(g);
        r = r ? r : e;
    }
    return r;
}

bool lx_shm_any(void)
{
    return shfiles != NULL;
}

void lx_shm_overlay(uint64_t ino, uint64_t pos, void *buf, uint64_t n)
{
    struct lx_shfile *sh = find(ino);
    for (struct lx_shseg *g = sh ? sh->segs : NULL; g; g = g->next) {
        uint64_t s = g->off > pos ? g->off : pos, e = g->off + g->len < pos + n ? g->off + g->len : pos + n;
        if (s < e)
            memcpy((uint8_t *)buf + (s - pos), g->mem->map + (s - g->off), e - s);
    }
}

void lx_shm_wrote(uint64_t ino, uint64_t pos, const void *buf, uint64_t n)
{
    struct lx_shfile *sh = find(ino);
    for (struct lx_shseg *g = sh ? sh->segs : NULL; g; g = g->next) {
        uint64_t s = g->off > pos ? g->off : pos, e = g->off + g->len < pos + n ? g->off + g->len : pos + n;
        if (s < e)
            memcpy(g->mem->map + (s - g->off), (const uint8_t *)buf + (s - pos), e - s);
    }
}

void lx_shm_truncated(uint64_t ino, uint64_t size)
{
    struct lx_shfile *sh = find(ino);
    for (struct lx_shseg *g = sh ? sh->segs : NULL; g; g = g->next)
        if (g->off + g->len > size) {
            uint64_t s = size > g->off ? size - g->off : 0;
            memset(g->mem->map + s, 0, g->len - s);
        }
}
