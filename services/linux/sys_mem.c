/*
 * sys_mem.c — the memory system calls: brk, mmap (anonymous, private and
 * shared, private file mappings read in at mmap time, shared ones in
 * shm.c), munmap, mprotect, mremap, madvise, msync, mincore. Everything
 * is charged to the container's quota; anonymous memory only once
 * touched (mm.c).
 */
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include "lx.h"
#include "sys.h"

#define HEAP_FIRST (64ull << 10)
#define FILE_PAGES_MAX (64ull << 20)   /* larger files mapped read-only are read in, the range only */

LX_SYS(brk)
{
    struct lx_mm *mm = t->proc->mm;
    uint64_t want = t->a[0];
    if (want < mm->brk_start || want >= LX_MMAP_TOP)
        return (int64_t)mm->brk;
    uint64_t old_end = LX_PAGE_UP(mm->brk), new_end = LX_PAGE_UP(want);
    if (new_end > old_end) {
        for (struct lx_vma *v = mm->vmas; v; v = v->next)
            if (v->start < new_end && old_end < v->end)
                return (int64_t)mm->brk;             /* something is mapped there */
        struct lx_vma *last = lx_mm_vma(mm, old_end - 1);
        if (last && (last->flags & LX_VMA_BRK) && last->end == old_end)
            last->end = new_end;                     /* grow the heap VMA in place */
        else if (lx_mm_map(mm, old_end, new_end - old_end, LX_PROT_READ | LX_PROT_WRITE, LX_VMA_BRK, NULL, 0))
            return (int64_t)mm->brk;
        else    /* a new heap is used at once (a C library's TLS, malloc): its first pages now, not at a fault */
            lx_mm_populate(mm, old_end, new_end - old_end < HEAP_FIRST ? new_end : old_end + HEAP_FIRST, 0);
    } else if (new_end < old_end) {
        lx_mm_unmap(mm, new_end, old_end - new_end);
    }
    mm->brk = want;
    return (int64_t)want;
}

/* A read-only private mapping of an fs file (a dynamic loader's
 * libraries): the file's pages as the programs' cache holds them
 * (lx_file_pages), mapped read-only like a program's text — the same
 * pages in every process of the container, none copied by fork. mprotect
 * adding PROT_WRITE makes them private copies (mm.c), so a write never
 * reaches the file or another process. The last page's bytes past the
 * file's end are zeroes; whole pages past it are LX_VMA_BUS (a touch is
 * SIGBUS, as on Linux). Returns 1 when the file is not one for this
 * (then its bytes are read in). */
static int64_t map_file_pages(struct lx_mm *mm, struct lx_file *f, uint64_t addr, uint64_t len, unsigned prot,
                              uint64_t off)
{
    struct lx_exe *e;
    if ((prot & LX_PROT_WRITE) || lx_shm_any() || lx_file_pages(f, FILE_PAGES_MAX, len, &e))
        return 1;
    uint64_t pages = LX_PAGE_UP(e->size), in = off < pages ? pages - off : 0;
    if (in > len)
        in = len;
    int r = in ? lx_mm_map(mm, addr, in, prot, LX_VMA_FILE, e->mem, off) : 0;
    if (!r && in < len)
        r = lx_mm_map(mm, addr + in, len - in, prot, LX_VMA_BUS, NULL, 0);
    if (r && in)
        lx_mm_unmap(mm, addr, in);
    lx_exe_put(e);
    return r;
}

/* How much of [off, off+len) of f's mapping has pages: of an fs file,
 * up to its last page (the rest is LX_VMA_BUS); of anything else
 * (/proc, a device: no size to go by), all of it. */
static uint64_t file_span(struct lx_file *f, uint64_t len, uint64_t off)
{
    uint64_t handle, ino;
    struct lx_stat st;
    if (!lx_fs_node(f, &handle, &ino) || !f->ops->stat || f->ops->stat(f, &st) ||
        (st.mode & LX_S_IFMT) != LX_S_IFREG || st.size < 0)
        return len;
    uint64_t pages = LX_PAGE_UP((uint64_t)st.size);
    uint64_t in = off < pages ? pages - off : 0;
    return in < len ? in : len;
}

/* A private file mapping: its bytes read into anonymous pages now, or
 * (read-only, an fs file) its pages shared as a program's are. Whole
 * pages past an fs file's end are LX_VMA_BUS either way. */
static int64_t map_file(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, int fd, uint64_t off)
{
    struct lx_file *f = lx_fd_io(t->proc, fd);
    if (!f)
        return -LX_EBADF;
    if ((f->flags & LX_O_ACCMODE) == LX_O_WRONLY)
        return -LX_EACCES;
    if (!f->ops->read || !f->ops->seek)
        return -LX_ENODEV;
    struct lx_mm *mm = t->proc->mm;
    int64_t shared = map_file_pages(mm, f, addr, len, prot, off);
    if (shared <= 0)
        return shared;
    uint64_t in = file_span(f, len, off);
    int r = in ? lx_mm_map(mm, addr, in, prot | LX_PROT_WRITE, 0, NULL, 0) : 0;
    if (!r && in < len)
        r = lx_mm_map(mm, addr + in, len - in, prot, LX_VMA_BUS, NULL, 0);
    if (r) {
        lx_mm_unmap(mm, addr, len);
        return r;
    }
    void *dst = in ? lx_user(mm, addr, in, LX_PROT_WRITE) : NULL;
    int64_t n = !in ? 0 : dst ? f->ops->read(t, f, dst, in, (int64_t)off) : -LX_ENOMEM;
    if (n < 0 || n == LX_BLOCK) {
        lx_mm_unmap(mm, addr, len);
        return n < 0 ? n : -LX_ENODEV;
    }
    if (in && !(prot & LX_PROT_WRITE))
        lx_mm_protect(mm, addr, in, prot);
    return 0;
}

/* MAP_SHARED of a file: an fs file's shared pages (shm.c); /dev/zero's
 * are shared anonymous memory, as on Linux; another file (/proc, a
 * device) only read, its bytes read in now. */
static int64_t map_shared(struct lx_thread *t, uint64_t addr, uint64_t len, unsigned prot, int fd, uint64_t off)
{
    struct lx_file *f = lx_fd_get(t->proc, fd);
    uint64_t handle, ino;
    if (!f)
        return -LX_EBADF;
    if (lx_fs_node(f, &handle, &ino))
        return lx_shm_map(t, addr, len, prot, f, off);
    if (lx_memfd_file(f))
        return lx_memfd_map(t, addr, len, prot, f, off);
    if (!strcmp(f->ops->kind, "dev") && !strcmp(f->path, "/dev/zero"))
        return lx_mm_map(t->proc->mm, addr, len, prot, LX_VMA_SHARED, NULL, 0);
    return prot & LX_PROT_WRITE ? -LX_ENODEV : map_file(t, addr, len, prot, fd, off);
}

LX_SYS(mmap)
{
    uint64_t addr = t->a[0], len = t->a[1], off = t->a[5];
    unsigned prot = (unsigned)t->a[2], flags = (unsigned)t->a[3];
    int fd = (int)(int32_t)t->a[4];
    struct lx_mm *mm = t->proc->mm;
    if (!len || off % LX_PAGE || (prot & ~7u))
        return -LX_EINVAL;
    if (len > LX_USER_TOP)
        return -LX_ENOMEM;                       /* more than an address space holds */
    unsigned type = flags & LX_MAP_TYPE;
    if (type != LX_MAP_PRIVATE && type != LX_MAP_SHARED && type != LX_MAP_SHARED_VALIDATE)
        return -LX_EINVAL;
    len = LX_PAGE_UP(len);
    bool fixed = flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE);
    if (fixed) {
        if (addr % LX_PAGE || addr < LX_USER_MIN || addr >= LX_USER_TOP || len > LX_USER_TOP - addr)
            return -LX_ENOMEM;
        if (flags & LX_MAP_FIXED_NOREPLACE)
            for (struct lx_vma *v = mm->vmas; v; v = v->next)
                if (v->start < addr + len && addr < v->end)
                    return -LX_EEXIST;
    } else {
        addr = lx_mm_find_free(mm, len);
        if (!addr)
            return -LX_ENOMEM;
    }
    int64_t r;
    if (flags & LX_MAP_ANONYMOUS)
        r = lx_mm_map(mm, addr, len, prot, type == LX_MAP_PRIVATE ? 0 : LX_VMA_SHARED, NULL, 0);
    else if (type != LX_MAP_PRIVATE)
        r = map_shared(t, addr, len, prot, fd, off);
    else
        r = map_file(t, addr, len, prot, fd, off);
    if (r)
        return r;
    if (!fixed)
        mm->mmap_hint = addr;
    return (int64_t)addr;
}

/* Linux's address space ends at 2^47 less a page (TASK_SIZE); ours at
 * LX_USER_TOP. A range Linux takes that lies outside ours holds nothing. */
#define LX_TASK_SIZE 0x00007ffffffff000ull

/* munmap as Linux answers it (attack22): EINVAL only for a range past
 * TASK_SIZE or of no pages; the part below LX_USER_MIN or above
 * LX_USER_TOP holds nothing to unmap (0, where it said EINVAL). */
LX_SYS(munmap)
{
    uint64_t start = t->a[0], len = t->a[1];
    if (start % LX_PAGE || !len || start > LX_TASK_SIZE || len > LX_TASK_SIZE - start)
        return -LX_EINVAL;
    uint64_t end = start + LX_PAGE_UP(len);
    if (start < LX_USER_MIN)
        start = LX_USER_MIN;
    if (end > LX_USER_TOP)
        end = LX_USER_TOP;
    return start < end ? lx_mm_unmap(t->proc->mm, start, end - start) : 0;
}

#define LX_PROT_SEM 0x8                          /* accepted and meaningless on x86, as Linux */

/* A range that wraps, or runs outside the address space, is not mapped:
 * ENOMEM as Linux (attack22; it was EINVAL). */
LX_SYS(mprotect)
{
    uint64_t start = t->a[0], len = t->a[1];
    if (start % LX_PAGE || (t->a[2] & ~(uint64_t)(7 | LX_PROT_SEM | LX_PROT_GROWSDOWN | LX_PROT_GROWSUP)))
        return -LX_EINVAL;
    if (!len)
        return 0;
    len = LX_PAGE_UP(len);
    if (!len || start < LX_USER_MIN || start >= LX_USER_TOP || len > LX_USER_TOP - start)
        return -LX_ENOMEM;
    return lx_mm_protect(t->proc->mm, start, len, (unsigned)t->a[2] & 7);
}

/* mremap: shrink in place, grow in place when the pages after are free,
 * else (MREMAP_MAYMOVE) move to a new place, or to the one MREMAP_FIXED
 * names. A private mapping's bytes are copied there; a shared anonymous
 * one's pages go there themselves (lx_mm_move_shared), so what another
 * process maps of them stays shared. MREMAP_DONTUNMAP (private anonymous
 * mappings, equal lengths, as Linux 5.7) leaves the old range mapped and
 * empty. */
LX_SYS(mremap)
{
    struct lx_mm *mm = t->proc->mm;
    unsigned flags = (unsigned)t->a[3];
    uint64_t nw = t->a[4];
    bool fixed = flags & LX_MREMAP_FIXED, dontunmap = flags & LX_MREMAP_DONTUNMAP;
    /* Lengths past the address space are refused before rounding, as
     * Linux refuses those past its TASK_SIZE, so neither wraps below. */
    if (t->a[1] > LX_USER_TOP || t->a[2] > LX_USER_TOP)
        return -LX_EINVAL;
    uint64_t old = t->a[0], olen = LX_PAGE_UP(t->a[1]), nlen = LX_PAGE_UP(t->a[2]);
    if (old % LX_PAGE || !nlen || (flags & ~7u) || ((fixed || dontunmap) && !(flags & LX_MREMAP_MAYMOVE)) ||
        (dontunmap && olen != nlen))
        return -LX_EINVAL;
    /* As Linux's mremap_to, which DONTUNMAP's move goes through too (its
     * address a hint there, but checked): in TASK_SIZE, no overlap. */
    if ((fixed || dontunmap) && (nw % LX_PAGE || nlen > LX_TASK_SIZE || nw > LX_TASK_SIZE - nlen ||
                                 (old <= LX_TASK_SIZE && nw < old + olen && old < nw + nlen)))
        return -LX_EINVAL;
    if (fixed && (nw < LX_USER_MIN || nw + nlen > LX_USER_TOP))
        return -LX_ENOMEM;                       /* outside our address space */
    struct lx_vma *v = lx_mm_vma(mm, old);
    if (!v || !olen)
        return v ? -LX_EINVAL : -LX_EFAULT;
    if (nlen <= olen && !fixed && !dontunmap) {  /* shrink: unmap the tail, as munmap would */
        int r = nlen < olen ? lx_mm_unmap(mm, old + nlen, olen - nlen) : 0;
        return r ? r : (int64_t)old;
    }
    if (nlen < olen) {                           /* a shrinking move: the tail goes first */
        int r = lx_mm_unmap(mm, old + nlen, olen - nlen);
        if (r)
            return r;
        olen = nlen;
    }
    if (olen > v->end - old)                     /* the range to grow runs past its mapping */
        return -LX_EFAULT;
    if (nlen > LX_MMAP_TOP && !fixed)
        return -LX_ENOMEM;
    if (v->flags & LX_VMA_SHFILE)
        return -LX_ENOMEM;                       /* a shared file mapping does not grow or move */
    bool shared = v->flags & LX_VMA_SHARED;
    if (dontunmap && (shared || (v->flags & (LX_VMA_FILE | LX_VMA_BUS))))
        return -LX_EINVAL;
    if (!fixed && !dontunmap) {
        bool free_after = old < LX_MMAP_TOP && nlen <= LX_MMAP_TOP - old;
        for (struct lx_vma *w = mm->vmas; w && free_after; w = w->next)
            if (w->start < old + nlen && old + olen < w->end && w != v)
                free_after = false;
        if (free_after && v->end == old + olen && !(v->flags & (LX_VMA_FILE | LX_VMA_SHARED))) {
            v->end = old + nlen;                 /* the new pages come on demand */
            return (int64_t)old;
        }
        if (!(flags & LX_MREMAP_MAYMOVE))
            return -LX_ENOMEM;
    }
    uint64_t to = nw;
    if (fixed) {
        int r = lx_mm_unmap(mm, nw, nlen);       /* what was there goes, as MAP_FIXED's */
        if (r)
            return r;
        v = lx_mm_vma(mm, old);                  /* (its splits may have moved v) */
    } else if (!(to = lx_mm_find_free(mm, nlen))) {
        return -LX_ENOMEM;
    }
    unsigned prot = v->prot, vflags = v->flags & ~LX_VMA_BRK;
    if (shared) {
        int r = lx_mm_move_shared(mm, old, olen, to, nlen, vflags);
        return r ? r : (int64_t)to;
    }
    int r = lx_mm_map(mm, to, nlen, prot | LX_PROT_READ | LX_PROT_WRITE, vflags & ~LX_VMA_FILE & ~LX_VMA_SHARED,
                      NULL, 0);
    void *dst = r ? NULL : lx_user(mm, to, olen, LX_PROT_WRITE);
    const void *src = dst ? lx_user(mm, old, olen, LX_PROT_READ) : NULL;
    if (!src) {
        if (!r)
            lx_mm_unmap(mm, to, nlen);
        return r ? r : -LX_ENOMEM;
    }
    memcpy(dst, src, olen);
    lx_mm_unmap(mm, old, olen);
    if (dontunmap)                               /* still mapped, its pages gone: zeroes when touched */
        lx_mm_map(mm, old, olen, prot, vflags, NULL, 0);
    if (prot != (prot | LX_PROT_READ | LX_PROT_WRITE))
        lx_mm_protect(mm, to, nlen, prot);
    return (int64_t)to;
}

/* The advice Linux knows (madvise_behavior_valid): 0..4 and 8..25
 * (MADV_NORMAL .. MADV_COLLAPSE); anything else is EINVAL there. */
static bool advice_known(uint64_t advice)
{
    return advice <= 4 || (advice >= 8 && advice <= 25);
}

LX_SYS(madvise)
{
    uint64_t addr = t->a[0], len = LX_PAGE_UP(t->a[1]);
    /* As Linux (attack22): unknown advice, a length that rounds up to 0
     * (2^64 - 1) and a range that wraps are EINVAL, checked before any
     * of it is looked at (it said 0 to all three). */
    if (addr % LX_PAGE || !advice_known(t->a[2]) || (t->a[1] && !len) || addr + len < addr)
        return -LX_EINVAL;
    if (t->a[2] != LX_MADV_DONTNEED || !len)
        return 0;                                /* advice only */
    /* DONTNEED: private anonymous pages read as zero afterwards */
    struct lx_mm *mm = t->proc->mm;
    for (uint64_t a = addr; a < addr + len;) {
        struct lx_vma *v = lx_mm_vma(mm, a);
        if (!v)
            return -LX_ENOMEM;
        uint64_t end = v->end < addr + len ? v->end : addr + len;
        if (!(v->flags & (LX_VMA_FILE | LX_VMA_SHARED)) && v->prot) {
            for (struct lx_chunk *c = mm->chunks; c; c = c->next) {
                uint64_t s = c->start > a ? c->start : a, e = c->end < end ? c->end : end;
                if (s < e)
                    memset((void *)(mm->mirror + s), 0, e - s);
            }
        }
        a = end;
    }
    return 0;
}

/* MS_ASYNC and MS_SYNC both write the shared file pages back now (the
 * fs is in memory: there is nothing slow to wait for). */
LX_SYS(msync)
{
    uint64_t addr = t->a[0], len = LX_PAGE_UP(t->a[1]);
    unsigned flags = (unsigned)t->a[2];
    if (addr % LX_PAGE || (flags & ~7u) || ((flags & 1) && (flags & 4)) || addr + len < addr)
        return -LX_EINVAL;
    for (uint64_t a = addr; a < addr + len;) {
        struct lx_vma *v = lx_mm_vma(t->proc->mm, a);
        if (!v)
            return -LX_ENOMEM;
        a = v->end;
    }
    return lx_shm_msync(t->proc->mm, addr, len);
}

LX_SYS(mincore)
{
    uint64_t addr = t->a[0], pages = LX_PAGE_UP(t->a[1]) / LX_PAGE;
    if (addr % LX_PAGE)
        return -LX_EINVAL;
    for (uint64_t i = 0; i < pages; i++) {
        uint8_t in = lx_mm_vma(t->proc->mm, addr + i * LX_PAGE) ? 1 : 0;
        if (!in)
            return -LX_ENOMEM;
        if (lx_copy_out(t->proc->mm, t->a[2] + i, &in, 1))
            return -LX_EFAULT;
    }
    return 0;
}

/* ---- mlock ---- */

/* mlock, mlock2, munlock: the pages of a Linux process are never paged
 * out here, so locking changes nothing; they succeed on a mapped range
 * (ENOMEM for a hole, as Linux), as an unprivileged Linux's do within
 * RLIMIT_MEMLOCK — which is unlimited here, the container's memory
 * limit being the bound that counts. */
static int64_t lock_range(struct lx_thread *t, uint64_t addr, uint64_t len)
{
    uint64_t start = LX_PAGE_DOWN(addr), end = addr + len;
    if (end < addr)
        return -LX_EINVAL;
    end = LX_PAGE_UP(end);
    for (uint64_t a = start; a < end;) {
        struct lx_vma *v = lx_mm_vma(t->proc->mm, a);
        if (!v)
            return -LX_ENOMEM;
        a = v->end;
    }
    return 0;
}

#define MLOCK_ONFAULT 1u
#define MCL_CURRENT 1u
#define MCL_FUTURE  2u
#define MCL_ONFAULT 4u

LX_SYS(mlock) { return lock_range(t, t->a[0], t->a[1]); }
LX_SYS(munlock) { return lock_range(t, t->a[0], t->a[1]); }
LX_SYS(mlock2) { return t->a[2] & ~(uint64_t)MLOCK_ONFAULT ? -LX_EINVAL : lock_range(t, t->a[0], t->a[1]); }

LX_SYS(mlockall)
{
    uint64_t fl = t->a[0];
    if (!fl || (fl & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || fl == MCL_ONFAULT)
        return -LX_EINVAL;
    return 0;
}

LX_SYS(munlockall) { (void)t; return 0; }
