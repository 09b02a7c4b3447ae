/*
 * persist.c — the fs service's memory that outlives its task (persist.h,
 * docs/RESTART.md): a heap in Memory from root's "keep" quota at a fixed
 * address, with its allocator's state inside it; the records of what is
 * mapped where and which locks exist; and the calls to root's keeper.
 *
 * The allocator: power-of-two classes from 32 bytes to 16 MiB, each block
 * with a 16-byte header naming its class, bump allocation from the heap
 * and a free list per class. A request its class's list and the bump
 * cannot serve splits a larger free block; failing that, if anything was
 * freed since, the heap is swept (heap_sweep): every free block, sorted by
 * address, adjacent ones joined, a run ending at the bump given back to
 * it and the others cut again into the largest blocks that fit — so bytes
 * one size class freed serve another (docs/FS.md "Metadata: a promise
 * and an overdraft": sessions are promised bytes of the heap, whatever
 * their sizes). Its lock is the instance's own (fresh at every start); a
 * worker killed inside it could leave free blocks on no list (lost), never
 * one handed out twice or a list pointing outside the heap.
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/root.h>
#include <libaerie/invoke.h>
#include <libaerie/keeper.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "persist.h"

#define P_MAGIC   0x3350414548736661ull   /* "afsHEAP3" */
#define P_CLASSES 21                      /* 16 << 20 = 16 MiB */
#define P_HDR     16
#define P_CMIN    1                       /* 32 bytes: a free block holds its link */

struct p_maprec {
    uint64_t *memfield;
    uint64_t off, va, bytes, flags;
    struct p_maprec *next;
};

struct p_lockrec {
    pthread_mutex_t *m;
    struct p_lockrec *next;
};

struct p_vmfree {
    uint64_t va, bytes;
    struct p_vmfree *next;
};

struct p_root {
    uint64_t magic;
    uint64_t bump;                        /* offset of the first byte never handed out */
    void *free[P_CLASSES];
    uint64_t vm_next;
    struct p_maprec *maps;
    struct p_lockrec *locks;
    void *app;
    uint64_t used;
    uint64_t heap_mem;                    /* the heap's Memory (this instance's slot) */
    struct p_vmfree *vm_free;             /* released ranges */
    uint64_t freed;                       /* bytes freed since the last sweep */
    uint64_t limit;                       /* bytes mapped: P_HEAP_BYTES, then extents */
    uint32_t next_ext;
    uint64_t ext_mem[P_EXT_MAX];          /* each extent's Memory (kept by root) */
    uint64_t ext_bytes[P_EXT_MAX];
};

static struct p_root *root;
static uint64_t keeper, keepq;

uint64_t p_quota(void)
{
    return keepq ? keepq : ae_self.quota;
}
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the keeper (root) ---- */

static int keep_call(uint64_t label, uint64_t key, uint64_t cap, uint64_t *out_key, uint64_t *out_cap)
{
    return ae_keep_call(keeper, label, key, cap, out_key, out_cap);
}

int p_keep(uint64_t *field)
{
    return keep_call(ROOT_KEEP_PUT, (uint64_t)field, *field, 0, 0);
}

void p_unkeep(uint64_t *field)
{
    keep_call(ROOT_KEEP_DROP, (uint64_t)field, 0, 0, 0);
}

/* ---- the heap ---- */

/* The heap's extents mapped again where they were, before anything in
 * them (records, sessions) is read. */
static int extents_recover(void)
{
    uint64_t off = P_HEAP_BYTES;
    for (uint32_t i = 0; i < root->next_ext; i++) {
        uint64_t key, cap, field = (uint64_t)&root->ext_mem[i];
        if (keep_call(ROOT_KEEP_NEXT, field - 1, 0, &key, &cap) || key != field)
            return -1;
        root->ext_mem[i] = cap;
        if (ae_task_map(ae_self.task, cap, 0, P_BASE + off, root->ext_bytes[i], AERIE_MAP_R | AERIE_MAP_W) < 0)
            return -1;
        off += root->ext_bytes[i];
    }
    return off == root->limit ? 0 : -1;
}

static bool is_extent_field(uint64_t key)
{
    return key >= (uint64_t)&root->ext_mem[0] && key < (uint64_t)&root->ext_mem[P_EXT_MAX];
}

int p_init(void ***app)
{
    keeper = ae_capenv_lookup("keeper");
    keepq = ae_capenv_lookup("keep");
    uint64_t mem = 0, key;
    bool found = false;
    if (keeper && keep_call(ROOT_KEEP_NEXT, P_KEY_HEAP - 1, 0, &key, &mem) == 0) {
        if (key == P_KEY_HEAP)
            found = true;
        else {
            ae_cap_delete(mem);
            ae_slot_free(mem);
        }
    }
    if (!found) {
        mem = ae_slot_alloc();
        uint64_t q = keepq ? keepq : ae_self.quota;   /* without "keep": nothing outlives us */
        if (!mem || ae_quota_create(q, AERIE_OBJ_MEMORY, mem, P_HEAP_BYTES, 0, 0) < 0)
            return -1;
    }
    if (ae_task_map(ae_self.task, mem, 0, P_BASE, P_HEAP_BYTES, AERIE_MAP_R | AERIE_MAP_W) < 0)
        return -1;
    root = (struct p_root *)P_BASE;
    root->heap_mem = mem;
    if (found && root->magic == P_MAGIC) {
        if (extents_recover())
            return -1;                    /* a heap with a hole: nothing in it can be trusted */
        *app = &root->app;
        return 1;
    }
    memset(root, 0, sizeof *root);
    root->magic = P_MAGIC;
    root->bump = (sizeof *root + 63) & ~63ull;
    root->vm_next = P_VM_BASE;
    root->heap_mem = mem;
    root->limit = P_HEAP_BYTES;
    if (!found && keeper && keep_call(ROOT_KEEP_PUT, P_KEY_HEAP, mem, 0, 0))
        keeper = 0;                       /* root keeps nothing for us: no recovery */
    *app = &root->app;
    return 0;
}

static unsigned class_of(size_t n)
{
    unsigned c = P_CMIN;
    while (c < P_CLASSES && (16ull << c) < n + P_HDR)
        c++;
    return c;
}

#define LINK(b) (*(uint8_t **)((b) + P_HDR))   /* a free block's next */
#define CLASS(b) (*(uint64_t *)(b))

/* heap_lock held: b (its class written) onto its list. */
static void push(uint8_t *b, unsigned c)
{
    CLASS(b) = c;
    LINK(b) = root->free[c];
    root->free[c] = b;
}

/* heap_lock held: a block of class c from its list, the bump, or a larger
 * free block split (the halves not used go on their lists), or NULL. */
static uint8_t *take(unsigned c)
{
    uint8_t *b = root->free[c];
    if (b) {
        root->free[c] = LINK(b);
        return b;
    }
    uint64_t size = 16ull << c;
    if (root->bump + size <= root->limit) {
        b = (uint8_t *)root + root->bump;
        root->bump += size;
        return b;
    }
    for (unsigned d = c + 1; d < P_CLASSES; d++) {
        if (!(b = root->free[d]))
            continue;
        root->free[d] = LINK(b);
        for (unsigned k = c; k < d; k++)  /* [size << (k - c), size << (k - c + 1)): class k */
            push(b + (size << (k - c)), k);
        return b;
    }
    return NULL;
}

/* Merge sort of a chain of free blocks by address. */
static uint8_t *sort_chain(uint8_t *h)
{
    if (!h || !LINK(h))
        return h;
    uint8_t *slow = h, *fast = LINK(h);
    while (fast && LINK(fast)) {
        slow = LINK(slow);
        fast = LINK(LINK(fast));
    }
    uint8_t *b = LINK(slow);
    LINK(slow) = NULL;
    uint8_t *a = sort_chain(h);
    b = sort_chain(b);
    uint8_t *out = NULL, **tail = &out;
    while (a && b) {
        uint8_t **m = a < b ? &a : &b;
        *tail = *m;
        tail = &LINK(*m);
        *m = LINK(*m);
    }
    *tail = a ? a : b;
    return out;
}

/* heap_lock held: every free block joined with its free neighbours; a run
 * that ends at the bump goes back to it, the others are cut again into
 * the largest blocks that fit. */
static void heap_sweep(void)
{
    uint8_t *all = NULL, *base = (uint8_t *)root;
    for (unsigned c = 0; c < P_CLASSES; c++) {
        for (uint8_t *b = root->free[c], *n; b; b = n) {
            n = LINK(b);
            LINK(b) = all;
            all = b;
        }
        root->free[c] = NULL;
    }
    all = sort_chain(all);
    while (all) {
        uint64_t s = (uint64_t)(all - base), e = s + (16ull << CLASS(all));
        uint8_t *n = LINK(all);
        while (n && (uint64_t)(n - base) == e) {
            e += 16ull << CLASS(n);
            n = LINK(n);
        }
        if (e == root->bump) {
            root->bump = s;
        } else {
            while (s < e) {               /* runs are whole blocks: multiples of 32 */
                unsigned c = P_CLASSES - 1;
                while ((16ull << c) > e - s)
                    c--;
                push(base + s, c);
                s += 16ull << c;
            }
        }
        all = n;
    }
    root->freed = 0;
}

/* heap_lock held: the heap one extent longer (enough for size more at
 * the bump), Memory from the quota that outlives us, mapped right after
 * it and kept by root so the next instance maps it there again. The heap
 * grows with what sessions hold — containers' sessions only as far as
 * their own memory pays (svc/acct.c, "deposit") — and an extent goes
 * back once everything in it is free and the bump is below it
 * (heap_trim). False if the quota (or the
 * region) has no room: the request is refused. */
static bool heap_grow(uint64_t size)
{
    uint64_t want = root->limit - root->bump < size ? size - (root->limit - root->bump) : 0;
    uint64_t bytes = (want + P_EXT_BYTES - 1) / P_EXT_BYTES * P_EXT_BYTES;
    if (!bytes)
        bytes = P_EXT_BYTES;
    if (root->next_ext == P_EXT_MAX || root->limit + bytes > P_HEAP_MAX)
        return false;
    uint64_t mem = ae_slot_alloc();
    if (!mem)
        return false;
    if (ae_quota_create(p_quota(), AERIE_OBJ_MEMORY, mem, bytes, 0, 0) < 0 ||
        ae_task_map(ae_self.task, mem, 0, P_BASE + root->limit, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        ae_cap_delete(mem);
        ae_slot_free(mem);
        return false;
    }
    uint32_t i = root->next_ext;
    root->ext_mem[i] = mem;
    root->ext_bytes[i] = bytes;
    p_keep(&root->ext_mem[i]);            /* without a keeper: nothing outlives us anyway */
    root->next_ext = i + 1;
    root->limit += bytes;
    return true;
}

void *p_malloc(size_t n)
{
    unsigned c = class_of(n);
    if (c == P_CLASSES)
        return NULL;
    pthread_mutex_lock(&heap_lock);
    uint8_t *b = take(c);
    if (!b && root->freed) {
        heap_sweep();
        b = take(c);
    }
    if (!b && heap_grow(16ull << c))
        b = take(c);
    if (b) {
        CLASS(b) = c;
        root->used += 16ull << c;
    }
    pthread_mutex_unlock(&heap_lock);
    return b ? b + P_HDR : NULL;
}

void *p_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = p_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* heap_lock held: extents wholly above the bump given back to the quota
 * they came from, the last first — so what the heap grew by for sessions
 * that ended is free memory again, page for page. */
static void heap_trim(void)
{
    while (root->next_ext > 0) {
        uint32_t i = root->next_ext - 1;
        uint64_t start = root->limit - root->ext_bytes[i];
        if (root->bump > start)
            return;
        ae_task_unmap(ae_self.task, P_BASE + start, root->ext_bytes[i]);
        p_unkeep(&root->ext_mem[i]);
        ae_cap_delete(root->ext_mem[i]);
        ae_slot_free(root->ext_mem[i]);
        root->ext_mem[i] = 0;
        root->limit = start;
        root->next_ext = i;
    }
}

void p_free(void *p)
{
    if (!p)
        return;
    uint8_t *b = (uint8_t *)p - P_HDR;
    unsigned c = (unsigned)*(uint64_t *)b;
    pthread_mutex_lock(&heap_lock);
    push(b, c);
    root->used -= 16ull << c;
    root->freed += 16ull << c;
    if (root->next_ext && root->freed >= P_EXT_BYTES) {
        heap_sweep();                     /* a run reaching the bump moves it back */
        heap_trim();
    }
    pthread_mutex_unlock(&heap_lock);
}

size_t p_map_record_bytes(void)
{
    return sizeof(struct p_maprec);
}

size_t p_lock_record_bytes(void)
{
    return sizeof(struct p_lockrec);
}

uint64_t p_heap_used(void)
{
    return root ? root->used : 0;
}

uint64_t p_vm_reserve(uint64_t bytes)
{
    bytes = (bytes + 4095) & ~4095ull;
    pthread_mutex_lock(&rec_lock);
    for (struct p_vmfree **pp = &root->vm_free; *pp; pp = &(*pp)->next)
        if ((*pp)->bytes >= bytes) {
            struct p_vmfree *f = *pp;
            uint64_t va = f->va;
            *pp = f->next;
            pthread_mutex_unlock(&rec_lock);
            p_free(f);
            return va;
        }
    uint64_t va = root->vm_next;
    root->vm_next += bytes + 4096;        /* a guard page between reservations */
    pthread_mutex_unlock(&rec_lock);
    return va;
}

void p_vm_release(uint64_t va, uint64_t bytes)
{
    struct p_vmfree *f = p_malloc(sizeof *f);
    if (!f)
        return;                           /* the range is lost, nothing else */
    *f = (struct p_vmfree){ va, (bytes + 4095) & ~4095ull, 0 };
    pthread_mutex_lock(&rec_lock);
    f->next = root->vm_free;
    root->vm_free = f;
    pthread_mutex_unlock(&rec_lock);
}

/* ---- mappings and locks ---- */

int p_map(uint64_t *memfield, uint64_t off, uint64_t va, uint64_t bytes, uint64_t flags)
{
    struct p_maprec *m = p_malloc(sizeof *m);
    if (!m)
        return AE_ENOMEM;
    int64_t r = ae_task_map(ae_self.task, *memfield, off, va, bytes, flags);
    if (r < 0) {
        p_free(m);
        return (int)r;
    }
    *m = (struct p_maprec){ memfield, off, va, bytes, flags, 0 };
    pthread_mutex_lock(&rec_lock);
    m->next = root->maps;
    root->maps = m;
    pthread_mutex_unlock(&rec_lock);
    return 0;
}

void p_unmap(uint64_t va, uint64_t bytes)
{
    pthread_mutex_lock(&rec_lock);
    for (struct p_maprec **pp = &root->maps; *pp;) {
        struct p_maprec *m = *pp;
        if (m->va >= va && m->va - va < bytes) {
            *pp = m->next;
            p_free(m);
        } else {
            pp = &m->next;
        }
    }
    pthread_mutex_unlock(&rec_lock);
    ae_task_unmap(ae_self.task, va, bytes);
}

void p_unmap_orphans(uint64_t va, uint64_t bytes)
{
    uint64_t *fields[8];
    unsigned n = 0;
    pthread_mutex_lock(&rec_lock);
    for (struct p_maprec **pp = &root->maps; *pp;) {
        struct p_maprec *m = *pp;
        if (m->va >= va && m->va - va < bytes) {
            if (n < sizeof fields / sizeof fields[0])
                fields[n++] = m->memfield;
            *pp = m->next;
            p_free(m);
        } else {
            pp = &m->next;
        }
    }
    pthread_mutex_unlock(&rec_lock);
    ae_task_unmap(ae_self.task, va, bytes);
    for (unsigned i = 0; i < n; i++) {     /* unmapped, then no longer kept (as chunk_release) */
        p_unkeep(fields[i]);
        if (*fields[i]) {
            ae_cap_delete(*fields[i]);
            ae_slot_free(*fields[i]);
            *fields[i] = 0;
        }
    }
}

int p_mutex_init(pthread_mutex_t *m)
{
    struct p_lockrec *l = p_malloc(sizeof *l);
    if (!l || pthread_mutex_init(m, NULL)) {
        p_free(l);
        return AE_ENOMEM;
    }
    l->m = m;
    pthread_mutex_lock(&rec_lock);
    l->next = root->locks;
    root->locks = l;
    pthread_mutex_unlock(&rec_lock);
    return 0;
}

void p_mutex_destroy(pthread_mutex_t *m)
{
    pthread_mutex_lock(&rec_lock);
    for (struct p_lockrec **pp = &root->locks; *pp; pp = &(*pp)->next)
        if ((*pp)->m == m) {
            struct p_lockrec *l = *pp;
            *pp = l->next;
            p_free(l);
            break;
        }
    pthread_mutex_unlock(&rec_lock);
    pthread_mutex_destroy(m);
}

/* ---- recovery ---- */

int p_recover(void)
{
    int n = 0;
    uint64_t key = P_KEY_HEAP, cap;
    /* A field the keeper does not name (its capability was never kept, or
     * no longer is) must not keep the dead instance's slot number. */
    for (struct p_maprec *m = root->maps; m; m = m->next)
        *m->memfield = 0;
    int kr;
    while ((kr = keep_call(ROOT_KEEP_NEXT, key, 0, &key, &cap)) == 0 || kr == AE_EPROTO) {
        if (kr) {                         /* a key whose capability did not come: go on past it */
            keep_call(ROOT_KEEP_DROP, key, 0, 0, 0);
            continue;
        }
        if (is_extent_field(key)) {
            ae_cap_delete(cap);           /* (extents_recover has its own copy) */
            ae_slot_free(cap);
        } else if (key >= P_BASE && key < P_BASE + root->limit && (key & 7) == 0) {
            *(uint64_t *)key = cap;       /* the field that names it, in our heap */
            n++;
        } else {
            ae_cap_delete(cap);
            ae_slot_free(cap);
        }
    }
    for (struct p_maprec **pp = &root->maps; *pp;) {
        struct p_maprec *m = *pp;
        if (*m->memfield && ae_task_map(ae_self.task, *m->memfield, m->off, m->va, m->bytes, m->flags) == 0) {
            pp = &m->next;
            continue;
        }
        *pp = m->next;                    /* its memory is gone: so is the record */
        p_free(m);
        n = n >= 0 ? -1 - n : n;          /* (reported by the caller) */
    }
    for (struct p_lockrec *l = root->locks; l; l = l->next) {
        memset(l->m, 0, sizeof *l->m);
        pthread_mutex_init(l->m, NULL);
    }
    return n;
}
