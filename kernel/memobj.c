/*
 * memobj.c — Memory objects (see memobj.h).
 */
#include "memobj.h"
#include "quota.h"
#include "vspace.h"
#include "kmem.h"
#include "pmm.h"
#include "memory.h"
#include "printk.h"
#include "thread.h"
#include "task.h"
#include "lib/string.h"
#include <aerie/errors.h>
#include <aerie/syscall.h>

#define MEMOBJ_MAX_BYTES (1ull << 32)    /* 4 GiB per object */

static unsigned order_for(uint64_t npages)
{
    unsigned o = 0;
    while ((1ull << o) < npages)
        o++;
    return o;
}

static void free_pages(struct memobj *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        pmm_free_page(m->pages[i]);
}

/* Allocates and zeroes the pages; the quota has already been charged. */
static int alloc_pages(struct memobj *m)
{
    if (m->flags & MEMOBJ_CONTIG) {
        m->order = order_for(m->npages);
        m->base = kmem_alloc_pages(m->order);
        return m->base ? 0 : AE_ENOMEM;
    }
    m->pages = kmem_alloc(m->npages * sizeof(uint64_t));
    if (!m->pages)
        return AE_ENOMEM;
    for (uint64_t i = 0; i < m->npages; i++) {
        m->pages[i] = kmem_alloc_pages(0);
        if (!m->pages[i]) {
            free_pages(m, i);
            kmem_free(m->pages, m->npages * sizeof(uint64_t));
            m->pages = NULL;
            return AE_ENOMEM;
        }
    }
    return 0;
}

/* Bytes charged besides the structure: the pages and the page array. */
static uint64_t pages_charge(uint64_t npages, uint32_t flags)
{
    if (flags & MEMOBJ_CONTIG)
        return (uint64_t)PAGE_SIZE << order_for(npages);
    return npages * PAGE_SIZE + kmem_footprint(npages * sizeof(uint64_t));
}

struct memobj *memobj_create_pages(struct quota *q, uint64_t bytes, uint32_t flags, int *err)
{
    uint64_t npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t extra = pages_charge(npages, flags);
    struct memobj *m = quota_new_object(q, AERIE_OBJ_MEMORY, sizeof *m, extra, err);
    if (!m)
        return NULL;
    m->npages = npages;
    m->flags = flags;
    list_init(&m->mappings);
    *err = alloc_pages(m);
    if (*err) {
        quota_release(q, extra, 0, 0);
        m->npages = 0;               /* nothing for release to free */
        obj_put(&m->obj);
        return NULL;
    }
    return m;
}

struct memobj *memobj_create_fixed(struct quota *q, uint64_t base, uint64_t bytes, uint32_t flags, int *err)
{
    struct memobj *m = quota_new_object(q, AERIE_OBJ_MEMORY, sizeof *m, 0, err);
    if (!m)
        return NULL;
    m->npages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    m->flags = flags;
    m->base = base;
    list_init(&m->mappings);
    return m;
}

int memobj_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    uint64_t bytes, flags = 0;
    if (inv_arg(inv, 2, &bytes))
        return AE_EINVAL;
    if (inv->nargs > 3)
        flags = inv->args[3];
    if (bytes == 0 || bytes > MEMOBJ_MAX_BYTES)
        return inv_fail(inv, 2, AE_EINVAL);
    if (flags & ~(uint64_t)AERIE_MEM_CONTIG)
        return inv_fail(inv, 3, AE_EINVAL);
    if ((flags & AERIE_MEM_CONTIG) && bytes > ((uint64_t)PAGE_SIZE << PMM_MAX_ORDER))
        return inv_fail(inv, 2, AE_EINVAL);
    int err;
    struct memobj *m = memobj_create_pages(q, bytes, (flags & AERIE_MEM_CONTIG) ? MEMOBJ_CONTIG : 0, &err);
    if (!m)
        return inv_fail(inv, 2, err);
    *out = &m->obj;
    return 0;
}

static void memobj_teardown(struct kobject *o)
{
    vspace_unmap_memobj((struct memobj *)o);
}

static void memobj_release(struct kobject *o)
{
    struct memobj *m = (struct memobj *)o;
    if (m->flags & (MEMOBJ_DEVICE | MEMOBJ_FIXED) || m->npages == 0)
        return;
    if (m->flags & MEMOBJ_CONTIG) {
        kmem_free_pages(m->base, m->order);
    } else {
        free_pages(m, m->npages);
        kmem_free(m->pages, m->npages * sizeof(uint64_t));
    }
    /* the structure's own charge is released by obj_free; the pages' here */
    if (m->obj.quota)
        quota_release(m->obj.quota, pages_charge(m->npages, m->flags), 0, 0);
}

const struct obj_ops memobj_ops = {
    .teardown = memobj_teardown,
    .release = memobj_release,
    .size = sizeof(struct memobj),
};

/* SLICE: (quota cap, offset, bytes, dst slot). A boot module's pages are
 * never freed, so a slice of one is simply another fixed object over part
 * of the same range, with the rights of the capability it came from. */
static int memobj_slice(struct memobj *m, const struct capref *cap, struct invocation *inv)
{
    uint64_t qslot, off, bytes, slot;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &off) || inv_arg(inv, 2, &bytes) ||
        inv_arg(inv, 3, &slot))
        return AE_EINVAL;
    if (!(cap->rights & AERIE_R_READ))
        return AE_ERIGHTS;
    if (!(m->flags & MEMOBJ_FIXED))
        return inv_fail(inv, ~0u, AE_ETYPE);
    uint64_t size = m->npages * PAGE_SIZE;
    if (off % PAGE_SIZE || off >= size)
        return inv_fail(inv, 1, off % PAGE_SIZE ? AE_EINVAL : AE_ERANGE);
    if (bytes == 0 || bytes % PAGE_SIZE || bytes > size - off)
        return inv_fail(inv, 2, bytes > size - off ? AE_ERANGE : AE_EINVAL);
    struct cspace *cs = &inv->caller->task->cspace;
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 3, err);
    struct capref qc;
    if ((err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc)))
        return inv_fail(inv, 0, err);
    struct memobj *s = memobj_create_fixed((struct quota *)qc.obj, m->base + off, bytes, MEMOBJ_FIXED, &err);
    capref_put(&qc);
    if (!s)
        return inv_fail(inv, 0, err);
    if ((err = cap_install(cs, slot, &s->obj, cap->rights, 0))) {
        obj_destroy(&s->obj);
        return inv_fail(inv, 3, err);
    }
    return quota_adopt(s->obj.quota, &s->obj);
}

_Static_assert(AERIE_MEM_WRITE_MAX <= (INV_MAX_ARGS - 2) * 8, "WRITE's bytes fit the decoded arguments");
_Static_assert(AERIE_MEM_RW_MAX <= AERIE_MSG_WORDS * 8, "READ's bytes fit one reply");

/* Copies n bytes between buf and the object from byte off (checked by the
 * caller), a page at a time through the direct map. */
static void copy_bytes(struct memobj *m, uint64_t off, void *buf, uint64_t n, bool to_object)
{
    char *b = buf;
    while (n) {
        uint64_t in = off % PAGE_SIZE, chunk = PAGE_SIZE - in < n ? PAGE_SIZE - in : n;
        char *p = (char *)phys_to_virt(memobj_page(m, off / PAGE_SIZE)) + in;
        if (to_object)
            memcpy(p, b, chunk);
        else
            memcpy(b, p, chunk);
        off += chunk;
        b += chunk;
        n -= chunk;
    }
}

/* READ (offset, length) -> bytes in the reply words; WRITE (offset,
 * length, bytes from word 2): a service reaches a client's memory without
 * mapping it. Device memory is refused (its registers want uncached,
 * sized accesses, not memcpy). */
static int method_rw(struct memobj *m, const struct capref *cap, struct invocation *inv, bool write)
{
    uint64_t off, n, max = write ? AERIE_MEM_WRITE_MAX : AERIE_MEM_RW_MAX;
    if (!(cap->rights & (write ? AERIE_R_WRITE : AERIE_R_READ)))
        return AE_ERIGHTS;
    if (m->flags & MEMOBJ_DEVICE)
        return inv_fail(inv, ~0u, AE_EINVAL);
    if (inv_arg(inv, 0, &off) || inv_arg(inv, 1, &n))
        return AE_EINVAL;
    if (n > max || (write && n > (uint64_t)(inv->nargs - 2) * 8))
        return inv_fail(inv, 1, AE_EINVAL);
    uint64_t size = m->npages * PAGE_SIZE;
    if (off > size || n > size - off)
        return inv_fail(inv, 0, AE_ERANGE);
    if (write) {
        copy_bytes(m, off, &inv->args[2], n, true);
        return 0;
    }
    inv->nreply = (unsigned)((n + 7) / 8);
    if (n % 8)
        inv->reply[n / 8] = 0;               /* the last word's unused bytes */
    copy_bytes(m, off, inv->reply, n, false);
    return 0;
}

int memobj_invoke(struct memobj *m, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    switch (label) {
    case AERIE_MEM_READ:
        return method_rw(m, cap, inv, false);
    case AERIE_MEM_WRITE:
        return method_rw(m, cap, inv, true);
    case AERIE_MEM_INFO:
        inv->reply[0] = m->npages * PAGE_SIZE;
        inv->reply[1] = m->flags;
        inv->nreply = 2;
        return 0;
    case AERIE_MEM_PHYS: {
        uint64_t off;
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        if (inv_arg(inv, 0, &off))
            return AE_EINVAL;
        if (off >= m->npages * PAGE_SIZE)
            return inv_fail(inv, 0, AE_ERANGE);
        inv->reply[0] = memobj_page(m, off / PAGE_SIZE) + off % PAGE_SIZE;
        inv->nreply = 1;
        return 0;
    }
    case AERIE_MEM_SLICE:
        return memobj_slice(m, cap, inv);
    default:
        return AE_ENOSYS;
    }
}
