/*
 * vnet.h — the virtio-net device (virtio 1.1 §5.1) on the split-virtqueue
 * layer, Ixy-shaped: one receive and one transmit queue, a pool of
 * fixed-size packet buffers in one DMA region, a batch interface that
 * plugs into the stack as struct net_dev_ops, and counters for every drop.
 *
 * Buffers: VNET_BUF_SIZE bytes each, a 12-byte struct virtio_net_hdr then
 * the frame (§5.1.6: with VERSION_1 the header always has num_buffers).
 * Receive buffers are one descriptor of the whole buffer, at least the
 * 1526 bytes §5.1.6.3.1 asks for without mergeable buffers. Transmit
 * copies each frame once, into a pool buffer.
 *
 * Interrupts: the glue wires the NIC's IRQ (MSI-X or INTx) to the
 * service; on each, it calls vnet_irq_ack, then polls. While busy the
 * service polls with interrupts off; before sleeping it calls
 * vnet_irq_enable, which says whether to poll once more instead.
 * With VIRTIO_F_EVENT_IDX (taken when offered) notifications go by ring
 * index: a kick only when the device's avail_event asks for one, one
 * receive interrupt per sleep, a transmit interrupt once half of a full
 * queue is sent, and the receive queue reposted by halves.
 */
#ifndef AERIE_VNET_H
#define AERIE_VNET_H

#include <stdbool.h>
#include <stdint.h>
#include "net.h"
#include "virtio_platform.h"
#include "virtio_pci.h"
#include "virtq.h"

#define VNET_HDR_LEN    12
#define VNET_BUF_SIZE   2048
#define VNET_POOL_MAX   1024
#define VNET_QUEUE_SIZE 256             /* default and largest queue size we use */

/* §5.1.3 feature bits we look at */
#define VIRTIO_NET_F_MAC 5

/* The packet-buffer pool: nbufs buffers of VNET_BUF_SIZE at mem/phys, and
 * a stack of the free ones. */
struct vnet_pool {
    uint8_t *mem;
    uint64_t phys;
    uint16_t nbufs;
    uint16_t nfree;
    uint16_t free[VNET_POOL_MAX];
};

struct vnet_stats {
    uint64_t rx_frames, rx_bytes;
    uint64_t rx_bad_len;        /* drop: the device reported a length < header or > buffer */
    uint64_t rx_refill_short;   /* times the pool could not refill the receive queue */
    uint64_t tx_frames, tx_bytes;
    uint64_t tx_no_room;        /* frames not taken: no descriptor or buffer free */
    uint64_t tx_too_long;       /* drop: frame longer than a buffer can hold */
    uint64_t bad_used;          /* used entries naming no buffer we gave (both queues) */
    uint64_t irqs;              /* vnet_irq_ack calls */
    uint64_t config_irqs;       /* configuration-change interrupts (INTx) */
    uint64_t notifies;          /* device notifications (both queues) */
    uint64_t irq_arms;          /* vnet_irq_enable calls: the service about to sleep */
    uint64_t tx_irq_armed;      /* of them, with the transmit interrupt asked for (queue full) */
    uint64_t rx_refills;        /* reposts of the receive queue */
};

struct vnet_config {
    uint16_t queue_size;        /* per queue, a power of two; 0: VNET_QUEUE_SIZE */
    uint8_t  fallback_mac[6];   /* used if the device offers no MAC (locally administered) */
    bool     use_msix;          /* else INTx */
    uint64_t msix_addr;         /* the MSI message the OS allotted us (use_msix) */
    uint32_t msix_data;
    bool     no_event_idx;      /* refuse VIRTIO_F_EVENT_IDX even if offered (tests, A/B) */
};

struct vnet {
    struct virtio_pci pci;
    const struct virtio_platform *plat;
    struct virtq rx, tx;
    void *rxq_mem, *txq_mem;
    size_t rxq_size, txq_size;
    struct vnet_pool pool;
    size_t pool_size;
    uint8_t mac[6];
    bool msix;
    bool event_idx;                     /* VIRTIO_F_EVENT_IDX negotiated */
    uint8_t *held[NET_RX_BATCH];        /* buffers of the last rx batch */
    uint8_t *stage[NET_TX_BATCH];       /* pool buffers lent to the stack to build frames in */
    unsigned nheld;
    struct vnet_stats stats;
};

/* Brings the device up (§3.1.1): probe, reset, negotiate VERSION_1 (and
 * MAC if offered), queues, pool, receive buffers, DRIVER_OK. On failure
 * the device is marked FAILED and everything allocated is freed.
 * 0 or AE_ENOTSUP / AE_ENOMEM / AE_ERANGE / AE_EFAULT / AE_ETIMEOUT / AE_EINVAL. */
int vnet_init(struct vnet *d, const struct virtio_platform *plat, const struct vnet_config *cfg);
/* Resets the device and frees its memory. */
void vnet_shutdown(struct vnet *d);

/* The stack's device interface; dev is the struct vnet. */
extern const struct net_dev_ops vnet_dev_ops;
unsigned vnet_rx_batch(void *dev, struct net_frame *frames, unsigned max);
void vnet_rx_release(void *dev);
unsigned vnet_tx_batch(void *dev, const struct net_frame *frames, unsigned n);
unsigned vnet_tx_room(void *dev);
uint8_t *vnet_tx_frame(void *dev, unsigned i);

/* Interrupts. ack: call on every interrupt; returns VIRTIO_ISR_* bits
 * (INTx: read from the ISR, which lowers the line; MSI-X: always QUEUE). */
uint8_t vnet_irq_ack(struct vnet *d);
void vnet_irq_disable(struct vnet *d);
bool vnet_irq_enable(struct vnet *d);

#endif
