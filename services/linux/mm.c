/*
 * mm.c — Linux address spaces (see lx.h). A process's memory is a sorted
 * list of VMAs (what Linux was asked for: ranges, protections) and, for
 * anonymous VMAs, a sorted list of chunks: Memory objects of the
 * container's quota, allocated when a page is first touched (demand
 * paging through page faults, so a program's 8 MiB stack or a large
 * reservation costs only what it uses). File VMAs map a read-only file's
 * pages directly (a program's text, shared by every process and
 * container running it).
 *
 * Invariant: a chunk lies inside one VMA and is exactly one mapping in
 * the process's task (with the VMA's protection, none if PROT_NONE) and
 * one read-write mapping in the personality's window onto that address
 * space; a file VMA is one mapping in each. Changing a range first splits
 * the VMAs and chunks at its two ends, so every change is made of whole
 * mappings (the kernel unmaps only whole mappings).
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

#define CHUNK_MIN (16ull << 10)
#define CHUNK_MAX (2ull << 20)
/* the last window's place holds the exec board (aerie/proto/linux.h) */
#define WINDOWS   ((LX_EXEC_BOARD - LX_MIRROR_BASE) / LX_USER_TOP)

static uint64_t window_used[(WINDOWS + 63) / 64];

/* ---- Memory objects ---- */

struct lx_mem *lx_mem_adopt(uint64_t slot, uint64_t bytes)
{
    struct lx_mem *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->slot = slot;
    m->bytes = bytes;
    m->refs = 1;
    return m;
}

struct lx_mem *lx_mem_new(uint64_t bytes, int *err)
{
    uint64_t slot = ae_slot_alloc();
    if (!slot) {
        *err = -LX_ENOMEM;
        return NULL;
    }
    int64_t r = ae_quota_create(lx.quota, AERIE_OBJ_MEMORY, slot, bytes, 0, 0);
    /* files the programs' cache alone keeps are the container's memory
     * too: given back, the container has what it was given (attack14) */
    if (r < 0 && lx_exe_cache_trim())
        r = ae_quota_create(lx.quota, AERIE_OBJ_MEMORY, slot, bytes, 0, 0);
    struct lx_mem *m = r < 0 ? NULL : lx_mem_adopt(slot, bytes);
    if (!m) {
        if (r >= 0)
            ae_cap_delete(slot);
        ae_slot_free(slot);
        *err = r == AE_ELIMIT ? -LX_EAGAIN : -LX_ENOMEM;
    }
    return m;
}

/* The other kernel calls that charge the container's quota — page tables
 * and mapping records (MAP), a fork's task, a thread — refused for room
 * (or, for objects, for their count) while the programs' cache alone
 * keeps files are made again once it gave them back, as lx_mem_new does:
 * the cache never costs the container an allocation it had room for. */
int64_t lx_task_map(uint64_t task, uint64_t mem, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags)
{
    int64_t r = ae_task_map(task, mem, off, va, bytes, flags);
    if (r == AE_ENOMEM && lx_exe_cache_trim())
        r = ae_task_map(task, mem, off, va, bytes, flags);
    return r;
}

int64_t lx_quota_create(uint64_t type, uint64_t slot, uint64_t a0)
{
    int64_t r = ae_quota_create(lx.quota, type, slot, a0, 0, 0);
    if ((r == AE_ENOMEM || r == AE_ELIMIT) && lx_exe_cache_trim())
        r = ae_quota_create(lx.quota, type, slot, a0, 0, 0);
    return r;
}

void lx_mem_get(struct lx_mem *m)
{
    m->refs++;
}

void lx_mem_put(struct lx_mem *m)
{
    if (!m || --m->refs)
        return;
    if (m->seg)
        lx_shm_gone(m);                           /* written back while still mapped here */
    if (m->map) {
        ae_task_unmap(lx.task, (uint64_t)m->map, LX_PAGE_UP(m->bytes));
        ae_vm_release((uint64_t)m->map, LX_PAGE_UP(m->bytes));
    }
    ae_cap_delete(m->slot);
    ae_slot_free(m->slot);
    free(m);
}

const uint8_t *lx_mem_view(struct lx_mem *m)
{
    if (m->map)
        return m->map;
    uint64_t bytes = LX_PAGE_UP(m->bytes);
    uint64_t va = ae_vm_reserve(bytes);
    if (!va)
        return NULL;
    /* lazy: a reader of a large file (exe_read, a file VMA made writable)
     * reads a part, and the entries of the rest need not be made */
    if (lx_task_map(lx.task, m->slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_LAZY) < 0) {
        ae_vm_release(va, bytes);
        return NULL;
    }
    m->map = (uint8_t *)va;
    return m->map;
}

/* ---- mappings ---- */

static uint64_t map_flags(unsigned prot)
{
    uint64_t f = 0;
    if (prot & LX_PROT_READ)
        f |= AERIE_MAP_R;
    if (prot & LX_PROT_WRITE)
        f |= AERIE_MAP_R | AERIE_MAP_W;
    if (prot & LX_PROT_EXEC)
        f |= AERIE_MAP_R | AERIE_MAP_X;
    return f;
}

static struct lx_vma *vma_at(struct lx_mm *mm, uint64_t addr)
{
    for (struct lx_vma *v = mm->vmas; v && v->start <= addr; v = v->next)
        if (addr < v->end)
            return v;
    return NULL;
}

struct lx_vma *lx_mm_vma(struct lx_mm *mm, uint64_t addr)
{
    return vma_at(mm, addr);
}

/* Puts c's pages into the task (with prot) and the window. */
static int chunk_map(struct lx_mm *mm, struct lx_chunk *c, unsigned prot)
{
    uint64_t len = c->end - c->start;
    int64_t r = lx_task_map(lx.task, c->mem->slot, c->moff, mm->mirror + c->start, len,
                            AERIE_MAP_R | AERIE_MAP_W);
    if (r < 0)
        return lx_errno((int)r);
    if (prot && (r = lx_task_map(mm->task, c->mem->slot, c->moff, c->start, len, map_flags(prot))) < 0) {
        ae_task_unmap(lx.task, mm->mirror + c->start, len);
        return lx_errno((int)r);
    }
    return 0;
}

static void range_unmap(struct lx_mm *mm, uint64_t start, uint64_t end)
{
    ae_task_unmap(mm->task, start, end - start);
    ae_task_unmap(lx.task, mm->mirror + start, end - start);
}

/* A file VMA's pages in the window, read-only: only once the personality
 * reads them (lx_user), as most of a program's text it never does, and
 * then lazily (a string in .rodata is a page or two of it). */
static int file_window(struct lx_mm *mm, struct lx_vma *v)
{
    int64_t r = lx_task_map(lx.task, v->file->slot, v->file_off, mm->mirror + v->start, v->end - v->start,
                            AERIE_MAP_R | AERIE_MAP_LAZY);
    if (r < 0)
        return lx_errno((int)r);
    v->flags |= LX_VMA_WINDOW;
    return 0;
}

/* A file VMA in the process's task: lazily, so the kernel makes the
 * entries of the text a program runs as it runs it (busybox `true`
 * touches a few dozen of its 473 text and rodata pages), with no fault
 * reaching us. */
static int file_map_as(struct lx_mm *mm, struct lx_vma *v, uint64_t lazy)
{
    uint64_t len = v->end - v->start;
    int64_t r = 0;
    v->flags &= ~LX_VMA_WINDOW;
    if (v->prot && (r = lx_task_map(mm->task, v->file->slot, v->file_off, v->start, len,
                                    map_flags(v->prot) | lazy)) < 0)
        return lx_errno((int)r);
    return 0;
}

static int file_map(struct lx_mm *mm, struct lx_vma *v)
{
    return file_map_as(mm, v, AERIE_MAP_LAZY);
}

/* ---- splitting at a boundary ---- */

static int split_chunk(struct lx_mm *mm, struct lx_chunk *c, uint64_t x)
{
    struct lx_chunk *b = malloc(sizeof *b);
    if (!b)
        return -LX_ENOMEM;
    struct lx_vma *v = vma_at(mm, c->start);
    unsigned prot = v ? v->prot : 0;
    range_unmap(mm, c->start, c->end);
    *b = (struct lx_chunk){ .start = x, .end = c->end, .mem = c->mem, .moff = c->moff + (x - c->start),
                            .next = c->next };
    lx_mem_get(c->mem);
    c->end = x;
    c->next = b;
    int r = chunk_map(mm, c, prot);
    int r2 = chunk_map(mm, b, prot);
    return r ? r : r2;
}

static int split_vma(struct lx_mm *mm, struct lx_vma *v, uint64_t x)
{
    struct lx_vma *b = malloc(sizeof *b);
    if (!b)
        return -LX_ENOMEM;
    *b = *v;
    b->start = x;
    if (v->flags & LX_VMA_FILE) {
        range_unmap(mm, v->start, v->end);
        b->file_off = v->file_off + (x - v->start);
        lx_mem_get(v->file);
    }
    v->end = x;
    v->next = b;
    if (v->flags & LX_VMA_FILE) {
        int r = file_map(mm, v), r2 = file_map(mm, b);
        return r ? r : r2;
    }
    return 0;
}

/* Makes x a boundary of every VMA and chunk. */
static int split_at(struct lx_mm *mm, uint64_t x)
{
    int r = 0;
    for (struct lx_chunk *c = mm->chunks; c && c->start < x; c = c->next)
        if (x < c->end) {
            r = split_chunk(mm, c, x);
            break;
        }
    struct lx_vma *v = vma_at(mm, x);
    if (!r && v && v->start < x)
        r = split_vma(mm, v, x);
    return r;
}

/* ---- chunks ---- */

static void chunk_free(struct lx_mm *mm, struct lx_chunk **pp)
{
    struct lx_chunk *c = *pp;
    range_unmap(mm, c->start, c->end);
    *pp = c->next;
    lx_mem_put(c->mem);
    free(c);
}

static void chunk_link(struct lx_mm *mm, struct lx_chunk *c)
{
    struct lx_chunk **pp = &mm->chunks;
    while (*pp && (*pp)->start < c->start)
        pp = &(*pp)->next;
    c->next = *pp;
    *pp = c;
}

/* A new chunk [start, end) of v: fresh (zeroed) pages, or (mem given)
 * mem's from moff on, with a reference of its own. */
static struct lx_chunk *chunk_make(struct lx_mm *mm, struct lx_vma *v, uint64_t start, uint64_t end,
                                   struct lx_mem *mem, uint64_t moff, int *err)
{
    struct lx_chunk *c = malloc(sizeof *c);
    if (!c) {
        *err = -LX_ENOMEM;
        return NULL;
    }
    *c = (struct lx_chunk){ .start = start, .end = end, .moff = moff, .mem = mem };
    if (mem)
        lx_mem_get(mem);
    else
        c->mem = lx_mem_new(end - start, err);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    if ((*err = chunk_map(mm, c, v->prot))) {
        lx_mem_put(c->mem);
        free(c);
        return NULL;
    }
    chunk_link(mm, c);
    mm->anon_bytes += end - start;
    return c;
}

int lx_mm_add_chunk(struct lx_mm *mm, uint64_t start, uint64_t end, struct lx_mem *mem, uint64_t moff)
{
    struct lx_vma *v = vma_at(mm, start);
    int err = 0;
    if (!v || end > v->end)
        return -LX_EFAULT;
    return chunk_make(mm, v, start, end, mem, moff, &err) ? 0 : err;
}

static struct lx_chunk *chunk_new(struct lx_mm *mm, struct lx_vma *v, uint64_t start, uint64_t end, int *err)
{
    return chunk_make(mm, v, start, end, NULL, 0, err);
}

/* The hole around addr in v that no chunk covers: [*g0, *g1). */
static void hole_around(struct lx_mm *mm, struct lx_vma *v, uint64_t addr, uint64_t *g0, uint64_t *g1)
{
    *g0 = v->start;
    *g1 = v->end;
    for (struct lx_chunk *c = mm->chunks; c; c = c->next) {
        if (c->end <= addr && c->end > *g0)
            *g0 = c->end;
        if (c->start > addr && c->start < *g1)
            *g1 = c->start;
    }
}

/* A chunk for the untouched page at addr of anonymous VMA v: bigger as
 * the process uses more, below the page for a stack, above it otherwise. */
static int populate_at(struct lx_mm *mm, struct lx_vma *v, uint64_t addr)
{
    uint64_t g0, g1, size = LX_PAGE_UP(mm->anon_bytes / 4);
    hole_around(mm, v, addr, &g0, &g1);
    size = size < CHUNK_MIN ? CHUNK_MIN : size > CHUNK_MAX ? CHUNK_MAX : size;
    uint64_t page = LX_PAGE_DOWN(addr), start, end;
    if (v->flags & LX_VMA_STACK) {
        end = page + LX_PAGE;
        start = end - g0 >= size ? end - size : g0;
        end = start + size <= g1 ? start + size : g1;
    } else {
        start = page;
        end = g1 - start >= size ? start + size : g1;
        start = end - g0 >= size ? end - size : g0;
    }
    int err = 0;
    if (chunk_new(mm, v, start, end, &err))
        return 0;
    /* Short of memory for a whole chunk: the page alone may still fit
     * (a program near its limit gets every page it can, as on Linux). */
    start = page;
    end = page + LX_PAGE;
    if (err != -LX_ENOMEM && err != -LX_EAGAIN)
        return err;
    return chunk_new(mm, v, start, end, &err) ? 0 : err;
}

int lx_mm_populate(struct lx_mm *mm, uint64_t start, uint64_t end, uint64_t split)
{
    struct lx_vma *v = vma_at(mm, start);
    if (!v || (v->flags & (LX_VMA_FILE | LX_VMA_BUS)) || end > v->end || end - start > CHUNK_MAX)
        return 0;                                 /* left to the faults */
    for (struct lx_chunk *c = mm->chunks; c; c = c->next)
        if (c->start < end && start < c->end)
            return 0;
    int err = 0;
    if (!split || split <= start || split >= end || split % LX_PAGE)
        return chunk_new(mm, v, start, end, &err) ? 0 : err;
    /* one Memory object, two chunks (as split_chunk leaves them) */
    struct lx_mem *mem = lx_mem_new(end - start, &err);
    if (!mem)
        return err;
    struct lx_chunk *a = chunk_make(mm, v, start, split, mem, 0, &err);
    if (a && !chunk_make(mm, v, split, end, mem, split - start, &err)) {
        struct lx_chunk **pp = &mm->chunks;
        while (*pp != a)
            pp = &(*pp)->next;
        mm->anon_bytes -= split - start;
        chunk_free(mm, pp);
        a = NULL;
    }
    lx_mem_put(mem);
    return a ? 0 : err;
}

static struct lx_chunk *chunk_at(struct lx_mm *mm, uint64_t addr)
{
    for (struct lx_chunk *c = mm->chunks; c && c->start <= addr; c = c->next)
        if (addr < c->end)
            return c;
    return NULL;
}

/* ---- address spaces ---- */

static int window_alloc(void)
{
    for (unsigned w = 0; w < WINDOWS; w++)
        if (!(window_used[w / 64] & (1ull << (w % 64)))) {
            window_used[w / 64] |= 1ull << (w % 64);
            return (int)w;
        }
    return -1;
}

struct lx_mm *lx_mm_new(bool own_task)
{
    struct lx_mm *mm = calloc(1, sizeof *mm);
    if (!mm)
        return NULL;
    int w = window_alloc();
    if (w < 0) {
        free(mm);
        return NULL;
    }
    mm->refs = 1;
    mm->window = (unsigned)w;
    mm->mirror = LX_MIRROR_BASE + (uint64_t)w * LX_USER_TOP;
    mm->own_task = own_task;
    mm->mmap_hint = LX_MMAP_TOP;
    if (own_task) {
        mm->task = lx.task;
    } else {
        mm->task = ae_slot_alloc();
        if (!mm->task || lx_quota_create(AERIE_OBJ_TASK, mm->task, 0) < 0) {
            if (mm->task)
                ae_slot_free(mm->task);
            window_used[w / 64] &= ~(1ull << (w % 64));
            free(mm);
            return NULL;
        }
        /* Its lent ranges become ours (TASK_BORROW): our serving thread
         * then runs on its tables, and its system calls cost no CR3
         * write. It can reach our memory and the other processes'
         * windows then, as pid 1 always could (docs/LINUX.md). Refused
         * (an older kernel), it simply runs without. */
        ae_invokev(mm->task, AERIE_TASK_BORROW, lx.task);
    }
    if (lx.tramp && lx_mm_map(mm, LX_TRAMP_ADDR, LX_PAGE, LX_PROT_READ | LX_PROT_EXEC, LX_VMA_FILE,
                              lx.tramp, 0)) {
        lx_mm_put(mm);
        return NULL;
    }
    if (lx.vdso && lx_mm_map(mm, LX_VDSO_ADDR, LX_PAGE_UP(lx.vdso->bytes), LX_PROT_READ | LX_PROT_EXEC,
                             LX_VMA_FILE, lx.vdso, 0)) {
        lx_mm_put(mm);
        return NULL;
    }
    return mm;
}

void lx_mm_put(struct lx_mm *mm)
{
    if (!mm || --mm->refs)
        return;
    /* every mapping lies inside these two ranges: two calls remove them all */
    ae_task_unmap(lx.task, mm->mirror, LX_USER_TOP);
    if (mm->own_task)
        ae_task_unmap(lx.task, LX_USER_MIN, LX_USER_TOP - LX_USER_MIN);
    else {
        ae_invoke0(mm->task, AERIE_TASK_DESTROY);
        ae_cap_delete(mm->task);
        ae_slot_free(mm->task);
    }
    while (mm->chunks) {
        struct lx_chunk *c = mm->chunks;
        mm->chunks = c->next;
        lx_mem_put(c->mem);
        free(c);
    }
    while (mm->vmas) {
        struct lx_vma *v = mm->vmas;
        mm->vmas = v->next;
        if (v->flags & LX_VMA_FILE)
            lx_mem_put(v->file);
        free(v);
    }
    window_used[mm->window / 64] &= ~(1ull << (mm->window % 64));
    free(mm);
}

/* ---- changing ranges ---- */

static bool range_ok(uint64_t start, uint64_t len)
{
    return start % LX_PAGE == 0 && len && start >= LX_USER_MIN && start < LX_USER_TOP &&
           len <= LX_USER_TOP - start;
}

int lx_mm_unmap(struct lx_mm *mm, uint64_t start, uint64_t len)
{
    len = LX_PAGE_UP(len);
    if (!range_ok(start, len))
        return -LX_EINVAL;
    uint64_t end = start + len;
    int r = split_at(mm, start);
    if (!r)
        r = split_at(mm, end);
    if (r)
        return r;
    struct lx_chunk **cp = &mm->chunks;
    while (*cp) {
        if ((*cp)->start >= start && (*cp)->end <= end)
            chunk_free(mm, cp);
        else
            cp = &(*cp)->next;
    }
    struct lx_vma **vp = &mm->vmas;
    while (*vp) {
        struct lx_vma *v = *vp;
        if (v->start >= start && v->end <= end) {
            if (v->flags & LX_VMA_FILE) {
                range_unmap(mm, v->start, v->end);
                lx_mem_put(v->file);
            }
            *vp = v->next;
            free(v);
        } else {
            vp = &v->next;
        }
    }
    return 0;
}

int lx_mm_map(struct lx_mm *mm, uint64_t start, uint64_t len, unsigned prot, unsigned vflags,
              struct lx_mem *file, uint64_t off)
{
    len = LX_PAGE_UP(len);
    int r = lx_mm_unmap(mm, start, len);
    if (r)
        return r;
    struct lx_vma *v = calloc(1, sizeof *v);
    if (!v)
        return -LX_ENOMEM;
    *v = (struct lx_vma){ .start = start, .end = start + len, .prot = prot & 7, .flags = vflags };
    struct lx_vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < start)
        pp = &(*pp)->next;
    v->next = *pp;
    *pp = v;
    if (vflags & LX_VMA_FILE) {
        v->file = file;
        v->file_off = off;
        lx_mem_get(file);
        r = file_map(mm, v);
    } else if ((vflags & LX_VMA_SHARED) && !(vflags & LX_VMA_SHFILE)) {
        /* shared pages exist from the start: fork must map the same ones */
        chunk_new(mm, v, v->start, v->end, &r);
    }
    if (r)
        lx_mm_unmap(mm, start, len);
    return r;
}

/* mremap's move of a shared anonymous mapping (MAP_SHARED|MAP_ANONYMOUS,
 * /dev/zero's): [to, to+nlen) maps the very pages of [old, old+olen) —
 * those a forked process maps too — and they leave the old range; pages
 * past olen are new (Linux's would be past its shared object's end:
 * SIGBUS). It copied them before (attack22): the two processes then no
 * longer shared what they wrote. */
int lx_mm_move_shared(struct lx_mm *mm, uint64_t old, uint64_t olen, uint64_t to, uint64_t nlen, unsigned vflags)
{
    int r = split_at(mm, old);
    if (!r)
        r = split_at(mm, old + olen);
    struct lx_vma *v = r ? NULL : vma_at(mm, old);
    if (!v)
        return r ? r : -LX_EFAULT;
    /* the new VMA made without pages (no LX_VMA_SHARED yet: lx_mm_map
     * would give it fresh ones), then the old range's chunks lent to it */
    if ((r = lx_mm_map(mm, to, nlen, v->prot, vflags & ~LX_VMA_SHARED, NULL, 0)))
        return r;
    struct lx_vma *nv = vma_at(mm, to);
    nv->flags = vflags;
    uint64_t covered = to;
    for (struct lx_chunk *c = mm->chunks; c && !r; c = c->next) {
        if (c->start < old || c->end > old + olen)
            continue;
        uint64_t s = to + (c->start - old), e = to + (c->end - old);
        if (covered < s)                         /* (a hole: none is expected) */
            r = lx_mm_add_chunk(mm, covered, s, NULL, 0);
        if (!r)
            r = lx_mm_add_chunk(mm, s, e, c->mem, c->moff);
        covered = e;
    }
    if (!r && covered < to + nlen)
        r = lx_mm_add_chunk(mm, covered, to + nlen, NULL, 0);
    if (r) {
        lx_mm_unmap(mm, to, nlen);
        return r;
    }
    return lx_mm_unmap(mm, old, olen);
}

/* A file VMA asked to become writable: its pages become private copies. */
static int vma_make_anon(struct lx_mm *mm, struct lx_vma *v)
{
    const uint8_t *src = lx_mem_view(v->file);
    if (!src)
        return -LX_ENOMEM;
    range_unmap(mm, v->start, v->end);
    struct lx_mem *file = v->file;
    uint64_t off = v->file_off;
    v->flags &= ~LX_VMA_FILE;
    v->file = NULL;
    int err = 0;
    struct lx_chunk *c = chunk_new(mm, v, v->start, v->end, &err);
    if (c) {
        uint64_t n = off < file->bytes ? file->bytes - off : 0;
        if (n > v->end - v->start)
            n = v->end - v->start;
        memcpy((void *)(mm->mirror + v->start), src + off, n);
    }
    lx_mem_put(file);
    return err;
}

int lx_mm_protect(struct lx_mm *mm, uint64_t start, uint64_t len, unsigned prot)
{
    len = LX_PAGE_UP(len);
    if (!range_ok(start, len))
        return -LX_EINVAL;
    uint64_t end = start + len;
    for (uint64_t a = start; a < end;) {          /* every page must be mapped */
        struct lx_vma *v = vma_at(mm, a);
        if (!v)
            return -LX_ENOMEM;
        if ((v->flags & LX_VMA_NOWRITE) && (prot & LX_PROT_WRITE))
            return -LX_EACCES;                    /* a shared mapping of a file not open for writing */
        a = v->end;
    }
    int r = split_at(mm, start);
    if (!r)
        r = split_at(mm, end);
    for (struct lx_vma *v = mm->vmas; v && !r; v = v->next) {
        if (v->start < start || v->end > end)
            continue;
        v->prot = prot & 7;
        if ((v->flags & LX_VMA_FILE) && (prot & LX_PROT_WRITE)) {
            r = vma_make_anon(mm, v);
        } else if (v->flags & LX_VMA_FILE) {
            range_unmap(mm, v->start, v->end);
            r = file_map(mm, v);
        } else {
            /* the window's mapping stays read-write: only the task's changes */
            for (struct lx_chunk *c = mm->chunks; c && !r; c = c->next)
                if (c->start >= v->start && c->end <= v->end) {
                    ae_task_unmap(mm->task, c->start, c->end - c->start);
                    int64_t e = v->prot ? lx_task_map(mm->task, c->mem->slot, c->moff, c->start, c->end - c->start,
                                                      map_flags(v->prot))
                                        : 0;
                    r = e < 0 ? lx_errno((int)e) : 0;
                }
        }
    }
    return r;
}

uint64_t lx_mm_find_free(struct lx_mm *mm, uint64_t len)
{
    uint64_t best = 0, top = mm->mmap_hint;
    uint64_t prev_end = LX_USER_MIN;
    for (struct lx_vma *v = mm->vmas;; v = v->next) {
        uint64_t gap_end = v ? v->start : LX_USER_TOP;
        if (gap_end > top)
            gap_end = top;
        if (gap_end > prev_end && gap_end - prev_end >= len)
            best = gap_end - len;
        if (!v || v->start >= top)
            break;
        if (v->end > prev_end)
            prev_end = v->end;
    }
    return best;
}

/* ---- faults and the program's memory seen from here ---- */

static bool allows(unsigned prot, unsigned access)
{
    if (!prot)
        return false;
    if ((access & LX_PROT_WRITE) && !(prot & LX_PROT_WRITE))
        return false;
    if ((access & LX_PROT_EXEC) && !(prot & LX_PROT_EXEC))
        return false;
    return true;
}

int lx_mm_fault(struct lx_mm *mm, uint64_t addr, bool write, bool exec)
{
    struct lx_vma *v = vma_at(mm, addr);
    if (!v)
        return LX_SEGV_MAPERR;
    unsigned access = (write ? LX_PROT_WRITE : 0) | (exec ? LX_PROT_EXEC : 0) | LX_PROT_READ;
    if (!allows(v->prot, access))
        return LX_SEGV_ACCERR;
    if (v->flags & LX_VMA_BUS)
        return LX_MM_SIGBUS;                      /* past the file's end: no page to give */
    if (v->flags & LX_VMA_FILE)
        return 0;                                 /* mapped: a race with a change; run again */
    if (chunk_at(mm, addr))
        return 0;
    int err = populate_at(mm, v, addr);
    if (err == -LX_ENOMEM || err == -LX_EAGAIN)
        return LX_FAULT_NOMEM;
    return err ? LX_SEGV_MAPERR : 0;
}

void *lx_user(struct lx_mm *mm, uint64_t addr, uint64_t len, unsigned access)
{
    if (len == 0)
        return (void *)(mm->mirror + (addr < LX_USER_TOP ? addr : 0));
    if (addr < LX_USER_MIN || addr >= LX_USER_TOP || len > LX_USER_TOP - addr)
        return NULL;
    uint64_t end = addr + len;
    for (uint64_t a = addr; a < end;) {
        struct lx_vma *v = vma_at(mm, a);
        if (!v || !allows(v->prot, access | LX_PROT_READ) || (v->flags & LX_VMA_BUS))
            return NULL;
        if (v->flags & LX_VMA_FILE) {
            if ((access & LX_PROT_WRITE) || (!(v->flags & LX_VMA_WINDOW) && file_window(mm, v)))
                return NULL;
            a = v->end;
            continue;
        }
        struct lx_chunk *c = chunk_at(mm, a);
        if (!c && populate_at(mm, v, a))
            return NULL;
        c = chunk_at(mm, a);
        a = c ? c->end : v->end;
    }
    return (void *)(mm->mirror + addr);
}

int lx_copy_in(struct lx_mm *mm, void *dst, uint64_t addr, uint64_t len)
{
    const void *src = lx_user(mm, addr, len, LX_PROT_READ);
    if (!src)
        return -LX_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int lx_copy_out(struct lx_mm *mm, uint64_t addr, const void *src, uint64_t len)
{
    void *dst = lx_user(mm, addr, len, LX_PROT_WRITE);
    if (!dst)
        return -LX_EFAULT;
    memcpy(dst, src, len);
    return 0;
}

/* Eight bytes as one word, at any alignment (x86-64 allows it). */
typedef uint64_t __attribute__((__may_alias__, __aligned__(1))) lx_word;

int64_t lx_copy_str(struct lx_mm *mm, char *dst, uint64_t addr, uint64_t cap)
{
    uint64_t i = 0;
    while (i < cap) {
        /* page by page (mappings are whole pages): a string may end just
         * before an unmapped page */
        uint64_t a = addr + i, run = LX_PAGE - (a % LX_PAGE);
        const char *s = lx_user(mm, a, 1, LX_PROT_READ);
        if (!s)
            return -LX_EFAULT;
        /* A word at a time while the next eight bytes are in this page
         * and in dst and hold no NUL (a path is copied for every call
         * that names a file), then byte by byte to the NUL. */
        uint64_t k = 0;
        for (; k + 8 <= run && i + 8 <= cap; k += 8, i += 8) {
            uint64_t w = *(const lx_word *)(s + k);
            if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)
                break;
            *(lx_word *)(dst + i) = w;
        }
        for (; k < run && i < cap; k++, i++) {
            dst[i] = s[k];
            if (!s[k])
                return (int64_t)i;
        }
    }
    return -LX_ENAMETOOLONG;
}

/* ---- fork: an eager copy ---- */

static int fork_vma(struct lx_mm *child, const struct lx_vma *v)
{
    struct lx_vma *n = malloc(sizeof *n);
    if (!n)
        return -LX_ENOMEM;
    *n = *v;
    n->next = NULL;
    struct lx_vma **pp = &child->vmas;
    while (*pp)
        pp = &(*pp)->next;
    *pp = n;
    if (!(v->flags & LX_VMA_FILE))
        return 0;
    lx_mem_get(v->file);
    /* eager: a fork child runs on in the text its parent was running,
     * and a fault per 16 pages of it costs more under TCG than the
     * entries made at once */
    return file_map_as(child, n, 0);
}

static int fork_chunk(struct lx_mm *parent, struct lx_mm *child, const struct lx_chunk *c)
{
    struct lx_vma *v = vma_at(child, c->start);
    unsigned prot = v ? v->prot : 0;
    struct lx_chunk *n = malloc(sizeof *n);
    if (!n)
        return -LX_ENOMEM;
    *n = (struct lx_chunk){ .start = c->start, .end = c->end, .moff = c->moff, .mem = c->mem };
    int err = 0;
    if (v && (v->flags & LX_VMA_SHARED)) {
        lx_mem_get(c->mem);
    } else {
        n->moff = 0;
        n->mem = lx_mem_new(c->end - c->start, &err);
        if (!n->mem) {
            free(n);
            return err;
        }
    }
    if ((err = chunk_map(child, n, prot))) {
        lx_mem_put(n->mem);
        free(n);
        return err;
    }
    if (n->mem != c->mem)
        memcpy((void *)(child->mirror + c->start), (const void *)(parent->mirror + c->start), c->end - c->start);
    chunk_link(child, n);
    child->anon_bytes += c->end - c->start;
    return 0;
}

struct lx_mm *lx_mm_fork(struct lx_mm *mm, int *err)
{
    struct lx_mm *child = lx_mm_new(false);
    if (!child) {
        *err = -LX_ENOMEM;
        return NULL;
    }
    lx_mm_unmap(child, LX_TRAMP_ADDR, LX_PAGE);      /* the parent's VMAs bring it */
    if (lx.vdso)
        lx_mm_unmap(child, LX_VDSO_ADDR, LX_PAGE_UP(lx.vdso->bytes));   /* the vDSO too (or its absence) */
    *err = 0;
    for (const struct lx_vma *v = mm->vmas; v && !*err; v = v->next)
        *err = fork_vma(child, v);
    for (const struct lx_chunk *c = mm->chunks; c && !*err; c = c->next)
        *err = fork_chunk(mm, child, c);
    if (*err) {
        lx_mm_put(child);
        return NULL;
    }
    child->brk_start = mm->brk_start;
    child->brk = mm->brk;
    child->mmap_hint = mm->mmap_hint;
    return child;
}
