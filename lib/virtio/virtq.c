/*
 * virtq.c — split virtqueue operations (virtio 1.1 §2.6), driver side.
 *
 * Barriers (x86 is TSO, so release/acquire cost only compiler barriers;
 * the full ones are mfence):
 *   - descriptors and ring entries before avail->idx: release (§2.6.13.3)
 *   - avail->idx before reading used->flags to decide on a notify: full
 *     (§2.6.13.4, §2.6.10), so we never miss the device turning
 *     notifications back on
 *   - used->idx before the used entries it covers: acquire (§2.6.14)
 *   - avail->flags (or used_event) before re-checking used->idx when
 *     re-enabling interrupts: full, so a buffer used meanwhile is seen or
 *     interrupts
 *
 * With VIRTIO_F_EVENT_IDX (§2.6.7.2, §2.6.10.2) each side names the ring
 * index whose crossing it wants to hear about: the driver's used_event
 * after the available ring, the device's avail_event after the used
 * ring; the flags stay 0 (§2.6.7.1) and are ignored.
 */
#include <string.h>
#include <aerie/errors.h>
#include <virtio_mmio.h>      /* virtio/ or the host test shim */
#include "virtq.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~(size_t)((a) - 1))

/* Descriptor table, then the available ring, then (on its own cache
 * line: the device writes it) the used ring. */
static size_t avail_offset(uint16_t size)
{
    return sizeof(struct virtq_desc) * size;
}

static size_t used_offset(uint16_t size)
{
    return ALIGN_UP(avail_offset(size) + sizeof(struct virtq_avail) + 2u * size + 2, 64);
}

size_t virtq_mem_size(uint16_t size)
{
    return used_offset(size) + sizeof(struct virtq_used) +
           sizeof(struct virtq_used_elem) * size + 2;
}

int virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t phys)
{
    if (!mem || size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return AE_EINVAL;
    memset(q, 0, sizeof *q);
    uint8_t *m = mem;
    q->desc = (volatile struct virtq_desc *)m;
    q->avail = (volatile struct virtq_avail *)(m + avail_offset(size));
    q->used = (volatile struct virtq_used *)(m + used_offset(size));
    q->desc_phys = phys;
    q->avail_phys = phys + avail_offset(size);
    q->used_phys = phys + used_offset(size);
    q->index = index;
    q->size = size;
    q->num_free = size;
    for (uint16_t i = 0; i < size; i++)
        q->next_free[i] = (uint16_t)(i + 1);
    return 0;
}

/* The used_event and avail_event fields (§2.6.6, §2.6.8). */
static volatile uint16_t *used_event(struct virtq *q)
{
    return &q->avail->ring[q->size];
}

static volatile uint16_t *avail_event(struct virtq *q)
{
    return (volatile uint16_t *)&q->used->ring[q->size];
}

/* Whether moving an index from old to new passed event, i.e. wrote the
 * entry numbered event (§2.6.7.2's "idx reaches event + 1"). */
static bool crossed(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

int virtq_add(struct virtq *q, uint64_t addr, uint32_t len, bool device_writes, void *cookie)
{
    if (q->num_free == 0 || !cookie)
        return AE_ENOSPC;
    uint16_t d = q->free_head;
    q->free_head = q->next_free[d];
    q->num_free--;
    q->cookie[d] = cookie;
    q->desc[d].addr = addr;
    q->desc[d].len = len;
    q->desc[d].flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
    q->desc[d].next = 0;
    q->avail->ring[q->avail_idx & (q->size - 1)] = d;   /* §2.6.13.2 */
    q->avail_idx++;
    q->added++;
    return 0;
}

bool virtq_kick(struct virtq *q)
{
    if (q->added == 0)
        return false;
    uint16_t old = (uint16_t)(q->avail_idx - q->added);
    q->added = 0;
    __atomic_thread_fence(__ATOMIC_RELEASE);            /* §2.6.13.3 */
    __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);            /* §2.6.13.4 */
    if (q->event_idx) {
        if (!crossed(__atomic_load_n(avail_event(q), __ATOMIC_RELAXED), q->avail_idx, old))
            return false;
    } else if (__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY) {
        return false;
    }
    mmio_write16(q->notify, 0, q->index);               /* §4.1.5.2 */
    q->notifies++;
    return true;
}

bool virtq_has_used(struct virtq *q)
{
    return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
    uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);   /* §2.6.14 */
    while (q->last_used != used_idx) {
        volatile struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
        uint32_t id = e->id, n = e->len;
        q->last_used++;
        if (id >= q->size || !q->cookie[id]) {          /* not a buffer we gave it */
            q->bad_used++;
            continue;
        }
        void *cookie = q->cookie[id];
        q->cookie[id] = NULL;
        q->next_free[id] = q->free_head;
        q->free_head = (uint16_t)id;
        q->num_free++;
        *len = n;
        return cookie;
    }
    return NULL;
}

void virtq_disable_irq(struct virtq *q)
{
    if (q->event_idx)       /* the entry just behind ours: 65,535 buffers away */
        __atomic_store_n(used_event(q), (uint16_t)(q->last_used - 1), __ATOMIC_RELAXED);
    else
        __atomic_store_n(&q->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
}

bool virtq_enable_irq(struct virtq *q)
{
    return virtq_enable_irq_after(q, 1);
}

bool virtq_enable_irq_after(struct virtq *q, uint16_t n)
{
    if (!q->event_idx || n == 0)
        n = 1;
    if (q->event_idx)
        __atomic_store_n(used_event(q), (uint16_t)(q->last_used + n - 1), __ATOMIC_RELAXED);
    else
        __atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    return (uint16_t)(used_idx - q->last_used) >= n;
}
