/*
 * virtq.h — split virtqueues (virtio 1.1 §2.6), the generic layer under
 * the virtio devices (net, console): the descriptor table, the available ring the driver
 * writes and the used ring the device writes, all in one DMA region, plus
 * the driver's private bookkeeping (free descriptors, the buffer each
 * outstanding descriptor stands for).
 *
 * Every buffer here is one descriptor (virtio 1.x lets a driver frame a
 * message any way it likes, §2.6.4), so a chain never has more than one
 * element. Not thread-safe: the service thread owns its queues.
 */
#ifndef AERIE_VIRTQ_H
#define AERIE_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 256           /* entries per queue we ever use */

/* §6.3 reserved feature bit: the used_event / avail_event fields
 * (§2.6.7.2, §2.6.10.2) replace the flags for suppressing notifications */
#define VIRTIO_F_EVENT_IDX 29

/* §2.6.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2      /* device writes (else reads) the buffer */
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq_desc {
    uint64_t addr;                   /* guest-physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* §2.6.6 The Virtqueue Available Ring (driver writes) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];                 /* then used_event (EVENT_IDX) */
};

/* §2.6.8 The Virtqueue Used Ring (device writes) */
#define VIRTQ_USED_F_NO_NOTIFY 1
struct virtq_used_elem {
    uint32_t id;                     /* head descriptor of the buffer */
    uint32_t len;                    /* bytes the device wrote into it */
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];   /* then avail_event (EVENT_IDX) */
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtio 1.1 2.6.5");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtio 1.1 2.6.8");
_Static_assert(sizeof(struct virtq_avail) == 4 && sizeof(struct virtq_used) == 4,
               "flags and idx only; the rings follow");

struct virtq {
    /* shared with the device (DMA) */
    volatile struct virtq_desc  *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used  *used;
    uint64_t desc_phys, avail_phys, used_phys;
    volatile uint8_t *notify;        /* where a 16-bit write of `index` notifies (§4.1.4.4) */
    /* private to the driver */
    uint16_t index;                  /* queue number */
    uint16_t size;                   /* entries, a power of two */
    uint16_t num_free;               /* free descriptors */
    uint16_t free_head;              /* first free descriptor, linked through next_free */
    uint16_t avail_idx;              /* our avail->idx, published by virtq_kick */
    uint16_t last_used;              /* next used-ring entry to look at */
    uint16_t added;                  /* buffers added since the last kick */
    bool     event_idx;              /* VIRTIO_F_EVENT_IDX negotiated: set after virtq_init */
    uint16_t next_free[VIRTQ_MAX_SIZE];
    void    *cookie[VIRTQ_MAX_SIZE]; /* the buffer a descriptor stands for; NULL: free */
    uint64_t notifies;               /* notifications sent */
    uint64_t bad_used;               /* used entries naming no outstanding buffer */
};

/* Bytes of DMA memory a queue of `size` entries needs (align it to 4096). */
size_t virtq_mem_size(uint16_t size);

/* Lays out a queue in zeroed DMA memory mem (at physical phys). size: a
 * power of two, 1..VIRTQ_MAX_SIZE. 0 or AE_EINVAL. */
int virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t phys);

/* Puts one buffer in the available ring (not yet visible to the device:
 * see virtq_kick). device_writes: a receive buffer. cookie (non-NULL)
 * comes back from virtq_get_used. 0 or AE_ENOSPC. */
int virtq_add(struct virtq *q, uint64_t addr, uint32_t len, bool device_writes, void *cookie);

/* Publishes the added buffers and notifies the device unless it asked
 * not to be (§2.6.13.3-4): with EVENT_IDX only if the new buffers pass
 * the avail_event it wrote (§2.6.10.2), else unless it set NO_NOTIFY.
 * Returns true if it notified. */
bool virtq_kick(struct virtq *q);

/* The next buffer the device has finished with, and the bytes it wrote
 * (*len); NULL if none. Its descriptor is free again. */
void *virtq_get_used(struct virtq *q, uint32_t *len);
bool virtq_has_used(struct virtq *q);

/* Used-buffer notifications (§2.6.7): off while polling; back on before
 * sleeping. virtq_enable_irq asks for one at the next used buffer and
 * returns true if buffers were used meanwhile (poll again instead of
 * sleeping). With EVENT_IDX, "off" is a used_event the device cannot
 * reach before the driver has taken 65,535 more buffers (so it holds
 * through any busy stretch shorter than that; a longer one costs one
 * spare interrupt), and "on" asks for one interrupt, not one per buffer
 * until the driver turns them off again. */
void virtq_disable_irq(struct virtq *q);
bool virtq_enable_irq(struct virtq *q);
/* As virtq_enable_irq, but with EVENT_IDX the interrupt comes only once
 * the device has used n (>= 1) more buffers than the driver has taken;
 * returns true if it already has. Without EVENT_IDX: virtq_enable_irq. */
bool virtq_enable_irq_after(struct virtq *q, uint16_t n);

#endif
