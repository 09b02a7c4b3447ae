/*
 * acct.c — where a session's pages come from, and who pays for them
 * (docs/FS.md, "Memory").
 *
 * A session opened with a quota (FS_ADMIN_OPEN_SESSION's caps[0]) gets its
 * file pages from Memory objects the service makes from that quota and
 * maps into a window of its own address space reserved for the session:
 * the container pays, its own limit is the one that says ENOSPC, and
 * neither the service's quota nor any other session's is touched. Chunks
 * grow with the session's use (16 KiB up to 1 MiB, each at the start of a
 * 1 MiB slot of the window; smaller when the quota has less left), a bitmap
 * of pages per chunk; an empty chunk goes back to the quota (one is kept).
 * A session without a quota (a boot service's) and every volume draw from
 * the service's own pool, which grows in POOL_CHUNK steps of its own quota
 * up to own-bytes, all of them together.
 *
 * The quota can vanish at any moment (its holder destroys it): its Memory
 * objects go and are unmapped from this task. A worker touching one then
 * faults; the fault thread (acct_fault) marks the account lost and maps a
 * private zero page of our own in the hole, and the operation finishes on
 * it. Once it has, acct_settle marks the core session lost (nothing reads,
 * writes or frees those pages again) and unmaps the window, stand-ins
 * included; later calls on the session get AE_EDEAD.
 *
 * Metadata (nodes, names, tables) stays in the service's heap — a pointer
 * in memory that can vanish would take the service down. A session's
 * account meters it in the heap's block sizes (the core's allocations,
 * the session's own records and each chunk's record), never past its cap
 * (../meta.h). A session opened with a quota (a container's) pays for
 * its metadata itself: a *deposit*, lazy Memory of that quota committed
 * in DEPOSIT_STEP steps as its metadata grows (docs/FS.md "Metadata: paid
 * by the container"), so what the service holds for it is charged to the
 * container's own memory, its end gives it all back, and no other
 * session's room is involved; the deposit holds no pointer, so its
 * vanishing with the quota costs nothing. A session without a quota takes
 * a promise, then the pool shared by such sessions (in the persistent
 * state: a restart counts it again). A refusal is AE_ENOMEM for that
 * session's operation alone.
 *
 * Locks: an account's lock guards its chunks and counters and is a leaf
 * under the core's locks; registry_lock guards the list of windows (the
 * fault thread takes it; no worker touches client memory holding it);
 * pool_lock guards the own pool.
 */
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/fault.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

#define PAGE        4096ull
#define SLOT        (1ull << 20)          /* a chunk's place in a window; its largest size */
#define SLOT_PAGES  (SLOT / PAGE)
#define CHUNK_MIN   4u                    /* pages of a first chunk */
#define POOL_CHUNK  (256u << 10)          /* the own pool grows by this much */
#define WINDOW_MAX  (1ull << 41)          /* the largest window one session gets */
#define DEPOSIT_STEP 4096u                /* a deposit grows by a page at a time */

struct acct_chunk {
    uint64_t mem;                         /* our Memory capability */
    uint32_t slot;                        /* its place in the window */
    uint32_t npages, used;
    uint64_t map[SLOT_PAGES / 64];        /* bit i: page i handed out */
    uint64_t cow[SLOT_PAGES / 64];        /* bit i: page i may be shared with another
                                           * account's since a fork (pages_share) */
    struct acct_chunk *next, *prev;       /* the account's chunks with a free page */
};

/* ---- the own pool ------------------------------------------------------ */

/* What outlives the task (persist.h): the pool and the registry. */
struct pool_chunk {
    uint64_t mem;                         /* kept by root (p_keep) */
    struct pool_chunk *next;
};
struct acct_state {
    void *free_pages;                     /* a list threaded through the pages */
    uint8_t *chunk_next, *chunk_end;
    uint64_t pages_in_use, pages_pooled, own_limit_pages;
    uint64_t acct_pages;                  /* atomic: pages of quota-backed accounts in use */
    struct svc_acct *registry;
    struct pool_chunk *chunks;
    struct fs_meta_pool meta_pool;        /* the sessions' metadata overdraft (../meta.h) */
};
static struct acct_state *st;

int acct_init(void **state)
{
    if (!*state && (*state = calloc(1, sizeof(struct acct_state))))
        fs_meta_pool_init(&((struct acct_state *)*state)->meta_pool, P_HEAP_BYTES);
    st = *state;
    return st ? 0 : AE_ENOMEM;
}

/* ---- metadata ----------------------------------------------------------- */

uint64_t acct_meta_block(size_t n)
{
    return fs_meta_block(n);
}

/* What a chunk costs the heap: its record and its mapping's. */
static uint64_t chunk_meta(void)
{
    return fs_meta_block(sizeof(struct acct_chunk)) + fs_meta_block(p_map_record_bytes());
}

/* A funded account's deposit covers next bytes: committed further in
 * DEPOSIT_STEP steps, each page charged to the container's quota (ENOMEM
 * there: its memory is full, and the operation is refused). It is a
 * high-water mark: given back whole when the session ends. a->lock held. */
static bool deposit_cover(struct svc_acct *a, uint64_t next)
{
    if (next <= a->deposit)
        return true;
    uint64_t grow = (next - a->deposit + DEPOSIT_STEP - 1) / DEPOSIT_STEP * DEPOSIT_STEP;
    uint64_t size = (a->meta.cap + DEPOSIT_STEP - 1) / DEPOSIT_STEP * DEPOSIT_STEP;
    if (a->deposit + grow > size || ae_mem_commit(a->dep_mem, a->deposit, grow))
        return false;
    a->deposit += grow;
    return true;
}

/* a->lock held (or a not yet shared). */
static bool meta_take(struct svc_acct *a, uint64_t b)
{
    if (!a->metered) {
        __atomic_fetch_add(&a->meta.used, b, __ATOMIC_RELAXED);
        return true;
    }
    if (a->funded) {
        uint64_t next = a->meta.used + b;
        if (next > a->meta.cap || next < a->meta.used || !deposit_cover(a, next))
            return false;
        __atomic_store_n(&a->meta.used, next, __ATOMIC_RELAXED);
        return true;
    }
    return fs_meta_take(&a->meta, &st->meta_pool, b);
}

static void meta_give(struct svc_acct *a, uint64_t b)
{
    if (!a->metered || a->funded)
        __atomic_store_n(&a->meta.used, a->meta.used > b ? a->meta.used - b : 0, __ATOMIC_RELAXED);
    else
        fs_meta_give(&a->meta, &st->meta_pool, b);
}

int acct_meta_charge(struct svc_acct *a, uint64_t n)
{
    pthread_mutex_lock(&a->lock);
    bool ok = meta_take(a, fs_meta_block(n));
    pthread_mutex_unlock(&a->lock);
    return ok ? 0 : AE_ENOMEM;
}

/* The records every metered account holds while it lives: itself, its
 * lock's record, its slot table, and a record per chunk. a->lock held. */
static uint64_t records_meta(const struct svc_acct *a)
{
    uint64_t b = fs_meta_block(sizeof *a) + fs_meta_block(p_lock_record_bytes());
    if (a->nslots)
        b += fs_meta_block(a->nslots * sizeof *a->slots);
    for (uint32_t i = 0; i < a->nslots; i++)
        b += a->slots[i] ? chunk_meta() : 0;
    return b;
}

void acct_recount_begin(void)
{
    st->meta_pool.used = 0;
    st->meta_pool.promised = 0;
}

void acct_recount(struct svc_acct *a)
{
    if (!a->metered || a->funded)
        return;                           /* a deposit is its container's, not the pool's */
    fs_meta_recount(&a->meta, &st->meta_pool);
}

void acct_meta_recounted(struct svc_acct *a, uint64_t core)
{
    pthread_mutex_lock(&a->lock);
    uint64_t n = core + records_meta(a);
    if (a->funded)
        a->meta.used = n;                 /* (its deposit stays: a high-water mark) */
    else if (a->metered)
        fs_meta_set(&a->meta, &st->meta_pool, n);
    pthread_mutex_unlock(&a->lock);
}

void acct_meta_pool(uint64_t *used, uint64_t *size, uint64_t *promised)
{
    *used = __atomic_load_n(&st->meta_pool.used, __ATOMIC_RELAXED);
    *size = st->meta_pool.size;
    *promised = __atomic_load_n(&st->meta_pool.promised, __ATOMIC_RELAXED);
}

void acct_meta_limits(struct svc_acct *a, uint64_t *promise, uint64_t *cap, uint64_t *deposit)
{
    pthread_mutex_lock(&a->lock);
    *promise = a->metered ? a->meta.promise : 0;
    *cap = a->metered ? a->meta.cap : 0;
    *deposit = a->funded ? a->deposit : 0;
    pthread_mutex_unlock(&a->lock);
}

/* Whatever a goes back to the pool, and its promise; a deposit goes back
 * to its quota whole. */
static void meta_close(struct svc_acct *a)
{
    if (a->dep_mem) {
        p_unkeep(&a->dep_mem);
        ae_cap_delete(a->dep_mem);        /* the container's quota gets its pages back */
        ae_slot_free(a->dep_mem);
        a->dep_mem = 0;
        a->deposit = 0;
    }
    if (a->funded) {
        a->meta.used = 0;
        a->funded = a->metered = false;
        return;
    }
    if (!a->metered)
        return;
    fs_meta_set(&a->meta, &st->meta_pool, 0);
    fs_meta_promise_give(&a->meta, &st->meta_pool);
    a->metered = false;
}

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* A new chunk of the own pool: Memory from the quota that outlives us. */
static uint8_t *pool_chunk_new(void)
{
    struct pool_chunk *pc = calloc(1, sizeof *pc);
    uint64_t slot = ae_slot_alloc();
    if (!pc || !slot || ae_quota_create(p_quota(), AERIE_OBJ_MEMORY, slot, POOL_CHUNK, 0, 0) < 0) {
        free(pc);
        if (slot)
            ae_slot_free(slot);
        return NULL;
    }
    pc->mem = slot;
    uint64_t va = p_vm_reserve(POOL_CHUNK);
    p_keep(&pc->mem);                     /* kept before it is mapped: see chunk_new */
    if (p_map(&pc->mem, 0, va, POOL_CHUNK, AERIE_MAP_R | AERIE_MAP_W)) {
        p_unkeep(&pc->mem);
        ae_cap_delete(slot);
        ae_slot_free(slot);
        free(pc);
        return NULL;
    }
    pc->next = st->chunks;
    st->chunks = pc;
    return (uint8_t *)va;
}

static int own_alloc(void **out)
{
    pthread_mutex_lock(&pool_lock);
    int r = 0;
    void *p = NULL;
    if (st->pages_in_use >= st->own_limit_pages) {
        r = AE_ENOSPC;                    /* own-bytes: every own session and volume together */
    } else if ((p = st->free_pages)) {
        st->free_pages = *(void **)p;
    } else {
        if (st->chunk_next == st->chunk_end) {
            uint8_t *c = pool_chunk_new();
            if (c) {
                st->chunk_next = c;
                st->chunk_end = c + POOL_CHUNK;
                st->pages_pooled += POOL_CHUNK / PAGE;
            }
        }
        if (st->chunk_next != st->chunk_end) {
            p = st->chunk_next;
            st->chunk_next += PAGE;
        } else {
            r = AE_ENOMEM;                /* the service's own quota is out */
        }
    }
    if (p) {
        st->pages_in_use++;
        *out = p;
    }
    pthread_mutex_unlock(&pool_lock);
    return r;
}

static void own_free(void *page)
{
    pthread_mutex_lock(&pool_lock);
    *(void **)page = st->free_pages;
    st->free_pages = page;
    st->pages_in_use--;
    pthread_mutex_unlock(&pool_lock);
}

void acct_pool_limit(uint64_t bytes)
{
    st->own_limit_pages = bytes / PAGE;
}

void acct_pool_counts(uint64_t *in_use, uint64_t *pooled, uint64_t *limit, uint64_t *quota_pages)
{
    pthread_mutex_lock(&pool_lock);
    *in_use = st->pages_in_use;
    *pooled = st->pages_pooled;
    *limit = st->own_limit_pages * PAGE;
    pthread_mutex_unlock(&pool_lock);
    *quota_pages = __atomic_load_n(&st->acct_pages, __ATOMIC_RELAXED);
}

/* ---- the registry of windows, for the fault thread -------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static void registry_add(struct svc_acct *a)
{
    pthread_mutex_lock(&registry_lock);
    a->next = st->registry;
    st->registry = a;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(struct svc_acct *a)
{
    pthread_mutex_lock(&registry_lock);
    struct svc_acct **pp = &st->registry;
    while (*pp != a)
        pp = &(*pp)->next;
    *pp = a->next;
    pthread_mutex_unlock(&registry_lock);
}

bool acct_stand_in(uint64_t addr)
{
    uint64_t mem = ae_slot_alloc();
    if (!mem)
        return false;
    int64_t r = ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, mem, PAGE, 0, 0);
    if (r == 0) {
        r = ae_task_map(ae_self.task, mem, 0, addr & ~(PAGE - 1), PAGE, AERIE_MAP_R | AERIE_MAP_W);
        ae_cap_delete(mem);               /* the mapping keeps it until its range is unmapped */
    }
    ae_slot_free(mem);
    return r == 0 || r == AE_EBUSY;       /* (another worker's fault filled it first) */
}

bool acct_fault(uint64_t addr, uint64_t error)
{
    pthread_mutex_lock(&registry_lock);
    struct svc_acct *a = st->registry;
    while (a && !(addr >= a->base && addr - a->base < a->bytes))
        a = a->next;
    bool ok = a != NULL;
    if (a) {
        __atomic_store_n(&a->lost, true, __ATOMIC_RELEASE);
        /* A write to a page still shared since a fork whose copy found no
         * physical memory (page_own breaks ahead where it can; an index
         * page a free empties is written without): the chunk stays
         * mapped, so its whole slot goes and the session ends as if its
         * quota had, rather than fault for ever. */
        if ((error & AERIE_PF_PRESENT) && (error & AERIE_PF_NOMEM))
            p_unmap(a->base + (addr - a->base) / SLOT * SLOT, SLOT);
        ok = acct_stand_in(addr);
    }
    pthread_mutex_unlock(&registry_lock);
    return ok;
}

/* ---- quota-backed accounts --------------------------------------------- */

static void partial_add(struct svc_acct *a, struct acct_chunk *c)
{
    c->prev = NULL;
    c->next = a->partial;
    if (a->partial)
        a->partial->prev = c;
    a->partial = c;
}

static void partial_remove(struct svc_acct *a, struct acct_chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        a->partial = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* How large the next chunk should be: about half what is in use. */
static uint32_t chunk_want(const struct svc_acct *a)
{
    uint32_t n = CHUNK_MIN;
    while (n < SLOT_PAGES && n < a->pages_used / 2)
        n *= 2;
    return n;
}

static bool quota_gone(int64_t r)
{
    return r != AE_ENOMEM && r != AE_ELIMIT;
}

/* A new chunk from the quota, in the lowest free slot; a->lock held. */
static int chunk_new(struct svc_acct *a, struct acct_chunk **out)
{
    uint32_t slot = a->hint;
    while (slot < a->nslots && a->slots[slot])
        slot++;
    if (slot == a->nslots)
        return AE_ENOSPC;                 /* the window is full of chunks */
    if (!meta_take(a, chunk_meta()))
        return AE_ENOMEM;                 /* its metadata cap, or the pool (../meta.h) */
    struct acct_chunk *c = calloc(1, sizeof *c);
    uint64_t mem = ae_slot_alloc();
    if (!c || !mem) {
        free(c);
        ae_slot_free(mem);
        meta_give(a, chunk_meta());
        return AE_ENOMEM;
    }
    uint32_t n = chunk_want(a);
    int64_t r = ae_quota_create(a->quota, AERIE_OBJ_MEMORY, mem, n * PAGE, 0, 0);
    while (r == AE_ENOMEM && n > 1) {              /* less room left: a smaller one */
        n /= 2;
        r = ae_quota_create(a->quota, AERIE_OBJ_MEMORY, mem, n * PAGE, 0, 0);
    }
    if (r) {
        free(c);
        ae_slot_free(mem);
        meta_give(a, chunk_meta());
        if (quota_gone(r))
            __atomic_store_n(&a->lost, true, __ATOMIC_RELEASE);
        return quota_gone(r) ? AE_EDEAD : AE_ENOSPC;   /* ENOSPC: the container's quota is full */
    }
    uint64_t va = a->base + (uint64_t)slot * SLOT;
    *c = (struct acct_chunk){ .mem = mem, .slot = slot, .npages = n };
    /* Kept, then mapped (and recorded), then linked: a service killed
     * between two steps leaves at worst a kept capability, or a mapping
     * no chunk names, which the next chunk of that slot clears here. */
    p_keep(&c->mem);                      /* a restarted service maps it again (persist.h) */
    r = p_map(&c->mem, 0, va, n * PAGE, AERIE_MAP_R | AERIE_MAP_W);
    if (r == AE_EBUSY) {
        p_unmap_orphans(va, SLOT);        /* a chunk a restart cut off before it was linked */
        r = p_map(&c->mem, 0, va, n * PAGE, AERIE_MAP_R | AERIE_MAP_W);
    }
    if (r) {
        p_unkeep(&c->mem);
        ae_cap_delete(mem);
        ae_slot_free(mem);
        free(c);
        meta_give(a, chunk_meta());
        return AE_ENOMEM;                 /* our page tables: the service's own quota */
    }
    a->slots[slot] = c;
    a->hint = slot + 1;
    a->charged += n * PAGE;
    a->empty++;
    partial_add(a, c);
    *out = c;
    return 0;
}

static void chunk_release(struct svc_acct *a, struct acct_chunk *c)
{
    partial_remove(a, c);
    a->slots[c->slot] = NULL;             /* unlinked, unmapped, then no longer kept */
    p_unmap(a->base + (uint64_t)c->slot * SLOT, c->npages * PAGE);
    p_unkeep(&c->mem);
    ae_cap_delete(c->mem);                /* the quota gets the memory back */
    ae_slot_free(c->mem);
    if (c->slot < a->hint)
        a->hint = c->slot;
    a->charged -= c->npages * PAGE;
    free(c);
    meta_give(a, chunk_meta());
}

/* Page i of c becomes this account's alone if a fork may still share it:
 * a Memory WRITE of its first word as it is makes the kernel copy it for
 * us now (paid for already: each holder paid at the clone), so a lack of
 * memory is AE_ENOSPC here rather than a fault in the middle of a write.
 * a->lock held. */
static int chunk_own(struct svc_acct *a, struct acct_chunk *c, unsigned i)
{
    if (!(c->cow[i / 64] & (1ull << (i % 64))))
        return 0;
    uint64_t off = (uint64_t)i * PAGE;
    uint64_t first = *(volatile uint64_t *)(a->base + (uint64_t)c->slot * SLOT + off);
    int64_t r = ae_invoke(c->mem, AERIE_MEM_WRITE, 3, (uint64_t[]){ off, 8, first }, 0, 0);
    if (r)
        return quota_gone(r) ? AE_EDEAD : AE_ENOSPC;
    c->cow[i / 64] &= ~(1ull << (i % 64));
    return 0;
}

/* Page i of chunk c is in use from now on (taken by an allocation or
 * adopted from a fork): its bit, the chunk's and the account's counts.
 * Account lock held. */
static void page_mark_used(struct svc_acct *a, struct acct_chunk *c, unsigned i)
{
    c->map[i / 64] |= 1ull << (i % 64);
    if (c->used++ == 0)
        a->empty--;
    if (c->used == c->npages)
        partial_remove(a, c);
    a->pages_used++;
    __atomic_fetch_add(&st->acct_pages, 1, __ATOMIC_RELAXED);
}

static int quota_page_alloc(struct svc_acct *a, void **out)
{
    if (__atomic_load_n(&a->lost, __ATOMIC_ACQUIRE))
        return AE_EDEAD;
    struct acct_chunk *c = a->partial;
    int r = c ? 0 : chunk_new(a, &c);
    if (r)
        return r;
    /* The first clear bit, a word at a time (a bit at a time was some
     * 500 instructions a page when a chunk filled up: one a file write) */
    unsigned w = 0;
    while (w < SLOT_PAGES / 64 - 1 && c->map[w] == ~0ull)
        w++;                              /* (a chunk on the partial list has a free page) */
    unsigned i = w * 64 + (unsigned)__builtin_ctzll(~c->map[w]);
    if ((r = chunk_own(a, c, i)))
        return r;                         /* the caller writes it at once */
    page_mark_used(a, c, i);
    *out = (void *)(a->base + (uint64_t)c->slot * SLOT + i * PAGE);
    return 0;
}

static void quota_page_free(struct svc_acct *a, void *page)
{
    uint64_t off = (uint64_t)page - a->base;
    struct acct_chunk *c = a->slots[off / SLOT];
    unsigned i = (unsigned)(off % SLOT / PAGE);
    c->map[i / 64] &= ~(1ull << (i % 64));
    if (c->used-- == c->npages)
        partial_add(a, c);
    a->pages_used--;
    __atomic_fetch_sub(&st->acct_pages, 1, __ATOMIC_RELAXED);
    if (c->used == 0 && a->empty++ > 0) {
        a->empty--;
        chunk_release(a, c);              /* one empty chunk stays for the next write */
    }
}

/* ---- a fork: copy-on-write images of another account's chunks ------------ */

/* Every page of c may be shared from now on. */
static void mark_shared(struct acct_chunk *c)
{
    for (uint32_t i = 0; i < c->npages; i++)
        c->cow[i / 64] |= 1ull << (i % 64);
}

/* A copy-on-write clone of chunk c of s (Memory CLONE: charged to d's
 * quota, which must hold every page of it) at the same slot of d's
 * window, with no page handed out yet. Both locks held. */
static int chunk_clone(struct svc_acct *d, struct svc_acct *s, const struct acct_chunk *c)
{
    if (!meta_take(d, chunk_meta()))
        return AE_ENOMEM;
    struct acct_chunk *n = calloc(1, sizeof *n);
    uint64_t mem = ae_slot_alloc();
    if (!n || !mem) {
        free(n);
        ae_slot_free(mem);
        meta_give(d, chunk_meta());
        return AE_ENOMEM;
    }
    int64_t r = ae_invokev(c->mem, AERIE_MEM_CLONE, d->quota, s->quota, mem);
    if (r) {
        free(n);
        ae_slot_free(mem);
        meta_give(d, chunk_meta());
        return r == AE_ERIGHTS ? AE_ENOTSUP : quota_gone(r) ? AE_EDEAD : AE_ENOSPC;
    }
    *n = (struct acct_chunk){ .mem = mem, .slot = c->slot, .npages = c->npages };
    mark_shared(n);
    uint64_t va = d->base + (uint64_t)c->slot * SLOT;
    p_keep(&n->mem);                      /* as chunk_new: kept, mapped, linked */
    r = p_map(&n->mem, 0, va, n->npages * PAGE, AERIE_MAP_R | AERIE_MAP_W);
    if (r) {
        p_unkeep(&n->mem);
        ae_cap_delete(mem);
        ae_slot_free(mem);
        free(n);
        meta_give(d, chunk_meta());
        return AE_ENOMEM;
    }
    d->slots[c->slot] = n;
    d->charged += n->npages * PAGE;
    d->empty++;
    partial_add(d, n);
    return 0;
}

/* env pages_share: d (holding no page) gets a clone of each of s's
 * chunks at its slot, so every page of s's has its image at the same
 * offset of d's window. The pages are shared until either side writes
 * one: page_own (or, where the core cannot ask first, a fault) has the
 * kernel copy it for the writer, paid for already (each holder of a
 * shared page pays for it: d's quota was charged for every page at the
 * clone). All or none: if a clone fails (no AERIE_R_CLONE, no room in
 * d's quota) the clones made go and AE_ENOTSUP has the caller copy. */
static int pages_share(void *ctx, void *src_ctx, intptr_t *delta)
{
    struct svc_acct *d = ctx, *s = src_ctx;
    if (!d->quota || !s->quota || d == s || d->nslots < s->nslots)
        return AE_ENOTSUP;                /* the own pool; a smaller window */
    struct svc_acct *first = d < s ? d : s, *second = d < s ? s : d;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    int r = 0;
    if (d->pages_used)
        r = AE_ENOTSUP;
    else if (__atomic_load_n(&d->lost, __ATOMIC_ACQUIRE) || __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
        r = AE_EDEAD;
    for (uint32_t i = 0; !r && i < d->nslots; i++)
        if (d->slots[i])
            chunk_release(d, d->slots[i]);   /* empty: the room it took comes back */
    if (!r)
        d->empty = 0;
    for (uint32_t i = 0; !r && i < s->nslots; i++)
        if (s->slots[i] && !(r = chunk_clone(d, s, s->slots[i])))
            mark_shared(s->slots[i]);         /* the source's pages are shared too */
    for (uint32_t i = 0; r && r != AE_EDEAD && i < d->nslots; i++)
        if (d->slots[i])
            chunk_release(d, d->slots[i]);   /* all or none: the caller copies instead */
    if (r && r != AE_EDEAD) {
        r = AE_ENOTSUP;
        d->empty = 0;
    }
    d->hint = 0;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    *delta = (intptr_t)(d->base - s->base);
    return r;
}

static int page_own(void *ctx, void *page)
{
    struct svc_acct *a = ctx;
    uint64_t off = (uint64_t)page - a->base;
    unsigned i = (unsigned)(off % SLOT / PAGE);
    /* The common case, a page never shared, without the lock: bits are
     * set only by a fork, which holds this session's layer lock, as our
     * caller does, and a chunk holding a page of ours is not released. */
    const struct acct_chunk *fast = __atomic_load_n(&a->slots[off / SLOT], __ATOMIC_ACQUIRE);
    if (fast && !(__atomic_load_n(&fast->cow[i / 64], __ATOMIC_RELAXED) & (1ull << (i % 64))))
        return 0;
    pthread_mutex_lock(&a->lock);
    struct acct_chunk *c = a->slots[off / SLOT];
    int r = c ? chunk_own(a, c, i) : AE_EDEAD;
    pthread_mutex_unlock(&a->lock);
    return r;
}

static void page_adopt(void *ctx, void *page)
{
    struct svc_acct *a = ctx;
    uint64_t off = (uint64_t)page - a->base;
    pthread_mutex_lock(&a->lock);
    struct acct_chunk *c = a->slots[off / SLOT];
    page_mark_used(a, c, (unsigned)(off % SLOT / PAGE));
    pthread_mutex_unlock(&a->lock);
}

/* ---- struct fs_env over an account -------------------------------------- */

static int page_alloc(void *ctx, void **page)
{
    struct svc_acct *a = ctx;
    if (!a->quota) {
        int r = own_alloc(page);
        if (!r)
            __atomic_fetch_add(&a->pages_used, 1, __ATOMIC_RELAXED);
        return r;
    }
    pthread_mutex_lock(&a->lock);
    int r = quota_page_alloc(a, page);
    pthread_mutex_unlock(&a->lock);
    return r;
}

static void page_free(void *ctx, void *page)
{
    struct svc_acct *a = ctx;
    if (!a->quota) {
        own_free(page);
        __atomic_fetch_sub(&a->pages_used, 1, __ATOMIC_RELAXED);
        return;
    }
    pthread_mutex_lock(&a->lock);
    quota_page_free(a, page);
    pthread_mutex_unlock(&a->lock);
}

/* Metadata: its block taken from the session's promise, then the pool,
 * never past its cap (../meta.h); refused, the core fails that one
 * operation with AE_ENOMEM. The lock is the account's leaf lock: nothing
 * calls these holding it. */
static void *mem_alloc(void *ctx, size_t size)
{
    struct svc_acct *a = ctx;
    uint64_t b = fs_meta_block(size);
    if (a->metered) {
        pthread_mutex_lock(&a->lock);
        bool ok = meta_take(a, b);
        pthread_mutex_unlock(&a->lock);
        if (!ok)
            return NULL;
    }
    void *p = malloc(size);
    if (a->metered && !p) {
        pthread_mutex_lock(&a->lock);
        meta_give(a, b);
        pthread_mutex_unlock(&a->lock);
    } else if (!a->metered && p) {
        meta_take(a, b);
    }
    return p;
}

static void mem_free(void *ctx, void *p, size_t size)
{
    struct svc_acct *a = ctx;
    if (!p)
        return;
    free(p);
    if (a->metered)
        pthread_mutex_lock(&a->lock);
    meta_give(a, fs_meta_block(size));
    if (a->metered)
        pthread_mutex_unlock(&a->lock);
}

/* ---- accounts ------------------------------------------------------------ */

/* The window for data_bytes of pages: room for twice as many chunks as a
 * full session needs when every chunk is 1 MiB, and 16 small ones. */
static uint64_t window_bytes(uint64_t data_bytes)
{
    uint64_t w = (data_bytes < WINDOW_MAX / 2 ? data_bytes : WINDOW_MAX / 2) * 2;
    return ((w + SLOT - 1) & ~(SLOT - 1)) + 16 * SLOT;
}

/* A cap's room for the chunks a window may hold (each taken with pages the
 * container paid for), beside the metadata its limits allow. */
static uint64_t chunks_cap(uint32_t nslots)
{
    return (uint64_t)nslots * chunk_meta();
}

/* A quota session's deposit: lazy Memory of its quota as large as its
 * cap, nothing charged until committed (deposit_cover). */
static int deposit_open(struct svc_acct *a, uint64_t quota)
{
    uint64_t size = (a->meta.cap + DEPOSIT_STEP - 1) / DEPOSIT_STEP * DEPOSIT_STEP;
    a->dep_mem = ae_slot_alloc();
    if (!a->dep_mem)
        return AE_ENOMEM;
    int64_t r = ae_quota_create(quota, AERIE_OBJ_MEMORY, a->dep_mem, size, AERIE_MEM_LAZY, 0);
    if (r < 0) {
        ae_slot_free(a->dep_mem);
        a->dep_mem = 0;
        return AE_ENOMEM;                 /* the container has no room for its object */
    }
    p_keep(&a->dep_mem);
    a->funded = true;
    return 0;
}

/* A session's metering: its cap; with a quota, a deposit in it; without,
 * a promise (one kept in the heap, or a late one from the pool; neither:
 * refused); and its records (itself, its lock's, a table of nslots)
 * charged first. */
static int meta_open(struct svc_acct *a, const struct fs_limits *lim, uint32_t nslots, uint64_t quota)
{
    a->meta.cap = fs_meta_cap(lim) + chunks_cap(nslots);
    if (quota) {
        if (deposit_open(a, quota))
            return AE_ENOMEM;
    } else if (!fs_meta_promise_take(&a->meta, &st->meta_pool)) {
        return AE_ENOMEM;                 /* no promise kept free, and the pool lacks a late one */
    }
    a->metered = true;
    uint64_t rec = fs_meta_block(sizeof *a) + fs_meta_block(p_lock_record_bytes()) +
                   (nslots ? fs_meta_block(nslots * sizeof *a->slots) : 0);
    if (meta_take(a, rec))
        return 0;
    meta_close(a);
    return AE_ENOMEM;
}

int acct_new(const struct fs_env *base, uint64_t quota, uint64_t data_bytes,
             const struct fs_limits *lim, struct svc_acct **out)
{
    struct svc_acct *a = calloc(1, sizeof *a);
    if (!a || p_mutex_init(&a->lock)) {
        free(a);
        return AE_ENOMEM;
    }
    if (lim && meta_open(a, lim, quota ? (uint32_t)(window_bytes(data_bytes) / SLOT) : 0, quota)) {
        p_mutex_destroy(&a->lock);
        free(a);
        return AE_ENOMEM;                 /* no promise or deposit for it (../meta.h) */
    }
    a->env = *base;
    a->env.ctx = a;
    a->env.page_alloc = page_alloc;
    a->env.page_free = page_free;
    a->env.mem_alloc = mem_alloc;
    a->env.mem_free = mem_free;
    a->quota = quota;
    if (quota) {
        a->env.pages_share = pages_share;
        a->env.page_adopt = page_adopt;
        a->env.page_own = page_own;
        a->bytes = window_bytes(data_bytes);
        a->nslots = (uint32_t)(a->bytes / SLOT);
        a->base = p_vm_reserve(a->bytes + SLOT);           /* address space only, the same in every instance */
        a->slots = calloc(a->nslots, sizeof *a->slots);
        if (!a->base || !a->slots) {
            if (a->base)
                p_vm_release(a->base, a->bytes + SLOT);
            free(a->slots);
            meta_close(a);
            p_mutex_destroy(&a->lock);
            free(a);
            return AE_ENOMEM;
        }
        p_keep(&a->quota);
        a->reserved = a->base;
        a->base = (a->base + SLOT - 1) & ~(SLOT - 1);      /* slots are SLOT-aligned */
        registry_add(a);
    }
    *out = a;
    return 0;
}

/* Every chunk goes: unmapped (stand-in pages too) and given back. */
static void release_all(struct svc_acct *a)
{
    pthread_mutex_lock(&a->lock);
    p_unmap(a->base, a->bytes);
    for (uint32_t i = 0; i < a->nslots; i++) {
        struct acct_chunk *c = a->slots[i];
        if (!c)
            continue;
        p_unkeep(&c->mem);
        ae_cap_delete(c->mem);
        ae_slot_free(c->mem);
        a->charged -= c->npages * PAGE;
        free(c);
        meta_give(a, chunk_meta());
        a->slots[i] = NULL;
    }
    __atomic_fetch_sub(&st->acct_pages, a->pages_used, __ATOMIC_RELAXED);
    a->pages_used = 0;
    a->partial = NULL;
    a->hint = 0;
    a->empty = 0;
    pthread_mutex_unlock(&a->lock);
}

/* After a restart: a dying instance's workers run on while the kernel
 * takes its task apart, and what fails under them then — a chunk's
 * Memory refused because our capabilities are going (chunk_new), a
 * window page unmapped under a worker (acct_fault) — marked the account
 * lost although the container's quota and every page are still there.
 * That mark is the dead instance's, not the quota's: if the quota answers
 * and the pages were never given back (settled), it is cleared. A page
 * that really went faults again, and the account is lost then. */
bool acct_recover(struct svc_acct *a)
{
    uint64_t info[8];
    if (!a->quota || !__atomic_load_n(&a->lost, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&a->settled, __ATOMIC_ACQUIRE) || ae_quota_info(a->quota, info) < 0)
        return false;
    __atomic_store_n(&a->lost, false, __ATOMIC_RELEASE);
    return true;
}

bool acct_lost(const struct svc_acct *a)
{
    return __atomic_load_n(&a->lost, __ATOMIC_ACQUIRE);
}

void acct_settle(struct svc_acct *a, struct fs_session *fs)
{
    if (!acct_lost(a) || __atomic_exchange_n(&a->settled, true, __ATOMIC_ACQ_REL))
        return;
    fs_session_lose_pages(fs);            /* waits for the operation in flight */
    release_all(a);
}

void acct_free(struct svc_acct *a)
{
    if (!a)
        return;
    if (a->quota) {
        registry_remove(a);
        release_all(a);
        p_vm_release(a->reserved, a->bytes + SLOT);
        p_unkeep(&a->quota);
        ae_cap_delete(a->quota);
        ae_slot_free(a->quota);
        free(a->slots);
    }
    meta_close(a);
    p_mutex_destroy(&a->lock);
    free(a);
}

void acct_usage(struct svc_acct *a, uint64_t *charged, uint64_t *meta, uint64_t *pages)
{
    pthread_mutex_lock(&a->lock);
    *charged = a->charged;
    *pages = a->pages_used;
    pthread_mutex_unlock(&a->lock);
    *meta = __atomic_load_n(&a->meta.used, __ATOMIC_RELAXED);
}

/* A quota account's room is what its chunks have free: the quota we hold
 * is a child of the container's memory, whose parent may be fuller than
 * the child says, so only pages already taken are sure. When fewer than
 * ROOM_WANT bytes are free a chunk is taken now (the pages a write would
 * take next anyway; an empty one goes back as pages are freed). */
#define ROOM_WANT (128u << 10)

uint64_t acct_room(struct svc_acct *a)
{
    if (!a->quota) {
        uint64_t in_use, pooled, limit, quota_pages;
        acct_pool_counts(&in_use, &pooled, &limit, &quota_pages);
        return limit > in_use * PAGE ? limit - in_use * PAGE : 0;
    }
    pthread_mutex_lock(&a->lock);
    for (int i = 0; i < 2 && a->charged - a->pages_used * PAGE < ROOM_WANT &&
                    !__atomic_load_n(&a->lost, __ATOMIC_ACQUIRE); i++) {
        struct acct_chunk *c;
        if (chunk_new(a, &c))
            break;                        /* the container's memory is full */
    }
    uint64_t spare = a->charged - a->pages_used * PAGE;
    pthread_mutex_unlock(&a->lock);
    return spare;
}
