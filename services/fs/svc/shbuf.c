/*
 * shbuf.c — the clients' shared buffers. A client makes a Memory object
 * from its own quota and sends it with FS_OP_ATTACH; the service maps it
 * read-write into a slot of an arena reserved at start (SVC_ARENA_SLOT
 * apart, so no buffer can reach another and the fault thread can tell a
 * buffer address by arithmetic alone).
 *
 * The client's memory can vanish at any time: destroying its quota
 * destroys the Memory object and unmaps it from this task, possibly in
 * the middle of a copy. The worker then page-faults; its fault handler
 * (main.c) calls shbuf_fault, which maps a fresh zeroed page of our own
 * in the hole and marks the buffer lost, and the copy finishes on that
 * page. Later requests on a lost buffer fail with AE_EDEAD. A private page
 * per fault means a dead client never reads another one's bytes.
 */
#define SVC_VOLATILE_HEAP                 /* the buffers are this instance's alone */
#include <stdlib.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "service.h"

#define PAGE 4096ull

int shbuf_init(struct fs_service *svc)
{
    uint64_t bytes = (uint64_t)SVC_SESSIONS_MAX * SVC_ARENA_SLOT;
    uint64_t va = ae_vm_reserve(bytes + SVC_ARENA_SLOT);      /* address space only */
    svc->slots = calloc(SVC_SESSIONS_MAX, sizeof *svc->slots);
    svc->slot_used = calloc(SVC_SESSIONS_MAX / 64, sizeof *svc->slot_used);
    if (!va || !svc->slots || !svc->slot_used)
        return AE_ENOMEM;
    svc->arena = (va + SVC_ARENA_SLOT - 1) & ~(SVC_ARENA_SLOT - 1);
    return 0;
}

/* A free arena slot, or -1; table_lock held. */
static int64_t slot_take(struct fs_service *svc)
{
    for (uint32_t w = 0; w < SVC_SESSIONS_MAX / 64; w++) {
        if (~svc->slot_used[w]) {
            unsigned b = (unsigned)__builtin_ctzll(~svc->slot_used[w]);
            svc->slot_used[w] |= 1ull << b;
            return (int64_t)w * 64 + b;
        }
    }
    return -1;
}

static void slot_give(struct fs_service *svc, uint32_t slot)
{
    pthread_mutex_lock(&svc->table_lock);
    svc->slot_used[slot / 64] &= ~(1ull << (slot % 64));
    pthread_mutex_unlock(&svc->table_lock);
}

int shbuf_attach(struct fs_service *svc, uint64_t mem, uint64_t flags, struct shbuf **out)
{
    if (flags & ~(uint64_t)FS_ATTACH_F_CTL)
        return AE_EINVAL;
    uint64_t badge, info[2];
    int64_t t = ae_cap_info(mem, &badge);
    if (t < 0)
        return (int)t;
    if ((t & 0xFF) != AERIE_OBJ_MEMORY)
        return AE_ETYPE;
    int64_t r = ae_invoke(mem, AERIE_MEM_INFO, 0, 0, info, 2);
    if (r < 0)
        return (int)r;
    uint64_t ctl = flags & FS_ATTACH_F_CTL ? FS_SHCTL_BYTES : 0;
    if (info[0] < FS_SHBUF_MIN + ctl)
        return AE_EINVAL;
    uint64_t bytes = info[0] < FS_SHBUF_MAX ? info[0] & ~(PAGE - 1) : FS_SHBUF_MAX;
    /* A lazy buffer's untouched page would fault a worker when the
     * client's quota cannot pay for it: take every page now, at the
     * client's charge, or refuse the buffer. */
    if ((r = ae_mem_commit(mem, 0, bytes)) < 0)
        return (int)r;
    struct shbuf *b = calloc(1, sizeof *b);
    if (!b)
        return AE_ENOMEM;
    pthread_mutex_lock(&svc->table_lock);
    int64_t slot = slot_take(svc);
    pthread_mutex_unlock(&svc->table_lock);
    if (slot < 0) {
        free(b);
        return AE_ELIMIT;
    }
    b->slot = (uint32_t)slot;
    b->base = (uint8_t *)(svc->arena + (uint64_t)slot * SVC_ARENA_SLOT);
    b->mapped = bytes;
    b->bytes = bytes - ctl;          /* requests may name these; the control block follows */
    b->ctl = ctl ? (struct fs_shctl *)(b->base + b->bytes) : NULL;
    b->refs = 1;
    pthread_mutex_init(&b->run_lock, NULL);
    r = ae_task_map(ae_self.task, mem, 0, (uint64_t)b->base, bytes, AERIE_MAP_R | AERIE_MAP_W);
    if (r < 0) {
        slot_give(svc, b->slot);
        free(b);
        return (int)r;
    }
    __atomic_store_n(&svc->slots[slot], b, __ATOMIC_RELEASE);
    *out = b;
    return 0;
}

void shbuf_get(struct shbuf *b)
{
    __atomic_fetch_add(&b->refs, 1, __ATOMIC_RELAXED);
}

/* The last reference unmaps the whole slot window: the client's pages and
 * any stand-in pages a fault put there. */
void shbuf_put(struct fs_service *svc, struct shbuf *b)
{
    if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL))
        return;
    __atomic_store_n(&svc->slots[b->slot], NULL, __ATOMIC_RELEASE);
    ae_task_unmap(ae_self.task, (uint64_t)b->base, SVC_ARENA_SLOT);
    slot_give(svc, b->slot);
    free(b);
}

bool shbuf_fault(struct fs_service *svc, uint64_t addr)
{
    if (addr < svc->arena || addr - svc->arena >= (uint64_t)SVC_SESSIONS_MAX * SVC_ARENA_SLOT)
        return false;
    uint64_t slot = (addr - svc->arena) / SVC_ARENA_SLOT;
    struct shbuf *b = __atomic_load_n(&svc->slots[slot], __ATOMIC_ACQUIRE);
    if (!b || addr >= (uint64_t)b->base + b->mapped)
        return false;                /* not a live buffer: a real bug, let it crash */
    b->lost = true;
    if (!acct_stand_in(addr))
        return false;
    __atomic_fetch_add(&svc->buffer_faults, 1, __ATOMIC_RELAXED);
    return true;
}
