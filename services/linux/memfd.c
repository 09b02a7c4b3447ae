/*
 * memfd.c — memfd_create: an anonymous regular file held in memory. Its
 * bytes are blocks of MEMFD_BLOCK bytes, each a Memory object of the
 * container's quota (lx_mem_new) mapped read-write into the personality,
 * made when first written or mapped: a block never written reads as
 * zeroes and costs nothing, as a tmpfs hole. MAP_SHARED maps the blocks
 * themselves as chunks of a shared VMA (mm.c), so every mapping, in every
 * process and across fork, and read()/write() see the same bytes;
 * MAP_PRIVATE copies them in as any readable file's (sys_mem.c).
 *
 * Who pays: every block is the container's memory, so writing or mapping
 * past what the container has fails with ENOSPC/ENOMEM and hurts nobody
 * else; a size over MEMFD_SIZE_MAX fails with EFBIG (the block table is
 * the personality's heap, bounded by that).
 *
 * Seals (fcntl F_ADD_SEALS/F_GET_SEALS, memfd_create(2), fcntl(2)): a
 * memfd made without MFD_ALLOW_SEALING starts with F_SEAL_SEAL. SHRINK
 * and GROW refuse truncation and writes past the end (EPERM); WRITE and
 * FUTURE_WRITE refuse write() and a new writable MAP_SHARED (EPERM), and
 * a read-only shared mapping made then may not become writable (EACCES);
 * adding WRITE while a writable shared mapping exists in any process of
 * the container is EBUSY (FUTURE_WRITE leaves those be, as on Linux).
 * A shrinking ftruncate lets go of the blocks past the end; a mapping
 * that still holds one keeps its bytes (Linux would raise SIGBUS there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "lx.h"
#include "sys.h"

#define MEMFD_BLOCK (64ull << 10)
#define MEMFD_SIZE_MAX (1ull << 30)
#define MEMFD_BLOCKS_MAX (MEMFD_SIZE_MAX / MEMFD_BLOCK)
#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#define MFD_NOEXEC_SEAL 8u
#define MFD_EXEC 0x10u
#define MFD_NAME_MAX 249             /* Linux: NAME_MAX less "memfd:" */

#define SEAL_SEAL 1u
#define SEAL_SHRINK 2u
#define SEAL_GROW 4u
#define SEAL_WRITE 8u
#define SEAL_FUTURE_WRITE 0x10u
#define SEAL_EXEC 0x20u
#define SEALS_ALL 0x3fu

struct memfd {
    uint64_t size;
    unsigned seals;             /* SEAL_* */
    unsigned nblk;              /* entries of blk */
    struct lx_mem **blk;        /* NULL: a hole */
    unsigned long ino;
};

static unsigned long next_ino = 0x700000;

static const struct lx_file_ops memfd_ops;

bool lx_memfd_file(struct lx_file *f)
{
    return f && f->ops == &memfd_ops;
}

/* Block i, made (zeroed, mapped here) if it is a hole: NULL when the
 * container's memory cannot give it. */
static struct lx_mem *block(struct memfd *m, uint64_t i, int *err)
{
    if (i >= MEMFD_BLOCKS_MAX) {
        *err = -LX_EFBIG;
        return NULL;
    }
    if (i >= m->nblk) {
        unsigned n = m->nblk ? m->nblk : 4;
        while (n <= i)
            n *= 2;
        if (n > MEMFD_BLOCKS_MAX)
            n = MEMFD_BLOCKS_MAX;
        struct lx_mem **b = realloc(m->blk, n * sizeof *b);
        if (!b) {
            *err = -LX_ENOMEM;
            return NULL;
        }
        memset(b + m->nblk, 0, (n - m->nblk) * sizeof *b);
        m->blk = b;
        m->nblk = n;
    }
    if (m->blk[i])
        return m->blk[i];
    struct lx_mem *mem = lx_mem_new(MEMFD_BLOCK, err);
    if (!mem)
        return NULL;
    uint64_t va = ae_vm_reserve(MEMFD_BLOCK);
    if (!va || ae_task_map(lx.task, mem->slot, 0, va, MEMFD_BLOCK, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, MEMFD_BLOCK);
        lx_mem_put(mem);
        *err = -LX_ENOMEM;
        return NULL;
    }
    mem->map = (uint8_t *)va;
    return m->blk[i] = mem;
}

static int64_t mfd_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct memfd *m = f->obj;
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    (void)t;
    if (pos >= m->size)
        return 0;
    if (n > m->size - pos)
        n = m->size - pos;
    for (uint64_t done = 0; done < n;) {
        uint64_t at = pos + done, i = at / MEMFD_BLOCK, in = at % MEMFD_BLOCK;
        uint64_t k = MEMFD_BLOCK - in < n - done ? MEMFD_BLOCK - in : n - done;
        if (i < m->nblk && m->blk[i])
            memcpy((uint8_t *)buf + done, m->blk[i]->map + in, k);
        else
            memset((uint8_t *)buf + done, 0, k);
        done += k;
    }
    if (off < 0)
        f->pos += n;
    return (int64_t)n;
}

static int64_t mfd_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    struct memfd *m = f->obj;
    uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
    (void)t;
    if ((f->flags & LX_O_APPEND) && off < 0)
        pos = m->size;
    if (m->seals & (SEAL_WRITE | SEAL_FUTURE_WRITE))
        return -LX_EPERM;
    if ((m->seals & SEAL_GROW) && n && (pos >= m->size || n > m->size - pos)) {
        /* page by page, as shmem_write_begin: the pages wholly inside
         * the file are written, the one that would pass its end is not */
        uint64_t lim = m->size & ~(uint64_t)(LX_PAGE - 1);
        if (m->size % LX_PAGE == 0)
            lim = m->size;
        if (lim <= pos)
            return -LX_EPERM;
        n = lim - pos;
    }
    if (pos >= MEMFD_SIZE_MAX)
        return n ? -LX_EFBIG : 0;
    if (n > MEMFD_SIZE_MAX - pos)
        n = MEMFD_SIZE_MAX - pos;               /* a short write up to the limit, as RLIMIT_FSIZE's */
    uint64_t done = 0;
    int err = 0;
    while (done < n) {
        uint64_t at = pos + done, in = at % MEMFD_BLOCK;
        uint64_t k = MEMFD_BLOCK - in < n - done ? MEMFD_BLOCK - in : n - done;
        struct lx_mem *b = block(m, at / MEMFD_BLOCK, &err);
        if (!b)
            break;
        memcpy(b->map + in, (const uint8_t *)buf + done, k);
        done += k;
    }
    if (!done && n)
        return err == -LX_EAGAIN || err == -LX_ENOMEM ? -LX_ENOSPC : err;   /* tmpfs full: ENOSPC */
    if (pos + done > m->size)
        m->size = pos + done;
    if (off < 0)
        f->pos = pos + done;
    return (int64_t)done;
}

static int mfd_stat(struct lx_file *f, struct lx_stat *st)
{
    struct memfd *m = f->obj;
    uint64_t blocks = 0;
    for (unsigned i = 0; i < m->nblk; i++)
        blocks += m->blk[i] != NULL;
    st->mode = LX_S_IFREG | 0777;
    st->ino = m->ino;
    st->dev = 0x1;
    st->size = (int64_t)m->size;
    st->blocks = (int64_t)(blocks * (MEMFD_BLOCK / 512));
    return 0;
}

static int64_t mfd_seek(struct lx_file *f, int64_t off, int whence)
{
    struct memfd *m = f->obj;
    int64_t base;
    switch (whence) {
    case LX_SEEK_SET: base = 0; break;
    case LX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LX_SEEK_END: base = (int64_t)m->size; break;
    case LX_SEEK_DATA:
    case LX_SEEK_HOLE:
        if (off < 0 || (uint64_t)off >= m->size)
            return -LX_ENXIO;
        if (whence == LX_SEEK_HOLE)
            off = (int64_t)m->size;              /* the whole file is data, as a plain file's */
        f->pos = (uint64_t)off;
        return off;
    default: return -LX_EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -LX_EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

static int mfd_truncate(struct lx_file *f, uint64_t size)
{
    struct memfd *m = f->obj;
    if (size > MEMFD_SIZE_MAX)
        return -LX_EFBIG;
    if ((size < m->size && (m->seals & SEAL_SHRINK)) || (size > m->size && (m->seals & SEAL_GROW)))
        return -LX_EPERM;
    if (size < m->size) {
        uint64_t keep = (size + MEMFD_BLOCK - 1) / MEMFD_BLOCK;
        for (uint64_t i = keep; i < m->nblk; i++) {
            lx_mem_put(m->blk[i]);               /* a mapping that holds it keeps it */
            m->blk[i] = NULL;
        }
        if (size % MEMFD_BLOCK && keep - 1 < m->nblk && m->blk[keep - 1])
            memset(m->blk[keep - 1]->map + size % MEMFD_BLOCK, 0, MEMFD_BLOCK - size % MEMFD_BLOCK);
    }
    m->size = size;                              /* growing makes a hole: nothing allocated */
    return 0;
}

static unsigned mfd_poll(struct lx_file *f, struct lx_thread *t)
{
    (void)f, (void)t;
    return LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM;
}

static void mfd_release(struct lx_file *f)
{
    struct memfd *m = f->obj;
    for (unsigned i = 0; i < m->nblk; i++)
        lx_mem_put(m->blk[i]);
    free(m->blk);
    free(m);
}

static const struct lx_file_ops memfd_ops = {
    .kind = "memfd", .read = mfd_read, .write = mfd_write, .stat = mfd_stat, .seek = mfd_seek,
    .poll = mfd_poll, .truncate = mfd_truncate, .release = mfd_release,
};

int64_t lx_memfd_map(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, struct lx_file *f,
                     uint64_t off)
{
    struct memfd *m = f->obj;
    struct lx_mm *mm = t->proc->mm;
    if (off >= MEMFD_SIZE_MAX || len > MEMFD_SIZE_MAX - off)
        return -LX_ENOMEM;                       /* no file can be that long */
    uint64_t first = off / MEMFD_BLOCK, last = (off + len - 1) / MEMFD_BLOCK;
    bool sealed = m->seals & (SEAL_WRITE | SEAL_FUTURE_WRITE);
    if (sealed && (prot & LX_PROT_WRITE))
        return -LX_EPERM;
    bool *fresh = calloc(last - first + 1, sizeof *fresh);   /* holes this call filled */
    if (!fresh)
        return -LX_ENOMEM;
    int r = lx_mm_map(mm, addr, len, prot, LX_VMA_SHARED | LX_VMA_SHFILE | (sealed ? LX_VMA_NOWRITE : 0), NULL, 0);
    for (uint64_t pos = off; !r && pos < off + len;) {
        uint64_t i = pos / MEMFD_BLOCK, in = pos % MEMFD_BLOCK;
        uint64_t k = MEMFD_BLOCK - in < off + len - pos ? MEMFD_BLOCK - in : off + len - pos;
        fresh[i - first] = i >= m->nblk || !m->blk[i];
        struct lx_mem *b = block(m, i, &r);
        if (!b)
            break;
        r = lx_mm_add_chunk(mm, addr + (pos - off), addr + (pos - off) + k, b, in);
        pos += k;
    }
    if (r) {
        /* a mapping larger than the container's memory: nothing of it
         * stays, and the holes it filled are holes again */
        lx_mm_unmap(mm, addr, len);
        for (uint64_t i = first; i <= last; i++)
            if (fresh[i - first] && i < m->nblk && m->blk[i]) {
                lx_mem_put(m->blk[i]);
                m->blk[i] = NULL;
            }
    }
    free(fresh);
    return r == -LX_EFBIG || r == -LX_EAGAIN ? -LX_ENOMEM : r;
}

LX_SYS(memfd_create)
{
    unsigned flags = (unsigned)t->a[1];
    char name[MFD_NAME_MAX + 1];
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC))
        return -LX_EINVAL;                       /* MFD_HUGETLB among them: no huge pages here */
    if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
        return -LX_EINVAL;
    int64_t len = lx_copy_str(t->proc->mm, name, t->a[0], sizeof name);
    if (len < 0)
        return len == -LX_ENAMETOOLONG ? -LX_EINVAL : len;
    struct memfd *m = calloc(1, sizeof *m);
    struct lx_file *f = m ? lx_file_new(&memfd_ops, LX_O_RDWR, m) : NULL;
    if (!f) {
        free(m);
        return -LX_ENOMEM;
    }
    m->ino = next_ino++;
    /* without MFD_ALLOW_SEALING no seal can be added; MFD_NOEXEC_SEAL implies it */
    m->seals = flags & MFD_NOEXEC_SEAL ? SEAL_EXEC : flags & MFD_ALLOW_SEALING ? 0 : SEAL_SEAL;
    snprintf(f->path, sizeof f->path, "/memfd:%.200s (deleted)", name);
    return lx_fd_install(t->proc, f, 0, flags & MFD_CLOEXEC);
}

/* Whether a process of the container maps a block of m shared in a way
 * that is or may become writable (mprotect): as Linux's VM_MAYWRITE,
 * every shared mapping but those made without the right to write
 * (LX_VMA_NOWRITE: made after a write seal). A read-only one made before
 * the seal could otherwise be mprotect'ed writable after it (attack18). */
struct wscan { struct memfd *m; bool found; };

static void scan_proc(struct lx_proc *p, void *arg)
{
    struct wscan *w = arg;
    struct lx_mm *mm = p->mm;
    if (!mm || w->found)
        return;
    for (struct lx_vma *v = mm->vmas; v && !w->found; v = v->next) {
        if (!(v->flags & LX_VMA_SHFILE) || (v->flags & LX_VMA_NOWRITE))
            continue;
        for (struct lx_chunk *c = mm->chunks; c && !w->found; c = c->next) {
            if (c->start < v->start || c->end > v->end)
                continue;
            for (unsigned i = 0; i < w->m->nblk; i++)
                if (c->mem && c->mem == w->m->blk[i]) {
                    w->found = true;
                    break;
                }
        }
    }
}

/* fcntl F_ADD_SEALS / F_GET_SEALS on f (EINVAL for a file that is no memfd, as Linux's others). */
int64_t lx_memfd_seals(struct lx_file *f, bool add, uint64_t seals)
{
    if (!lx_memfd_file(f))
        return -LX_EINVAL;
    struct memfd *m = f->obj;
    if (!add)
        return m->seals;
    if ((f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EPERM;
    if (seals & ~(uint64_t)SEALS_ALL)
        return -LX_EINVAL;
    if (m->seals & SEAL_SEAL)
        return -LX_EPERM;
    if ((seals & SEAL_WRITE) && !(m->seals & SEAL_WRITE)) {
        struct wscan w = { m, false };
        lx_procs_foreach(scan_proc, &w);
        if (w.found)
            return -LX_EBUSY;
    }
    m->seals |= (unsigned)seals;
    return 0;
}
