/*
 * vnet.c — the virtio-net driver (virtio 1.1 §5.1): device bring-up, the
 * packet-buffer pool, receive and transmit batches, interrupt hooks.
 * Queue 0 is receiveq1, queue 1 transmitq1 (§5.1.2); no control queue,
 * no offloads, no mergeable buffers; VIRTIO_F_EVENT_IDX if offered
 * (notifications and interrupts by ring index, §2.6.7.2, §2.6.10.2).
 */
#include <string.h>
#include <aerie/errors.h>
#include <virtio_mmio.h>      /* virtio/ or the host test shim */
#include "vnet.h"

#define RXQ 0
#define TXQ 1
#define PCI_DEVICE_ID               0x02
#define VIRTIO_PCI_NET_MODERN       0x1041     /* 0x1040 + device type 1 */
#define VIRTIO_PCI_NET_TRANSITIONAL 0x1000

/* ---- the buffer pool ---------------------------------------------------- */

static uint8_t *pool_get(struct vnet_pool *p)
{
    if (!p->nfree)
        return NULL;
    return p->mem + (size_t)p->free[--p->nfree] * VNET_BUF_SIZE;
}

static void pool_put(struct vnet_pool *p, uint8_t *buf)
{
    p->free[p->nfree++] = (uint16_t)((size_t)(buf - p->mem) / VNET_BUF_SIZE);
}

static uint64_t pool_phys(const struct vnet_pool *p, const uint8_t *buf)
{
    return p->phys + (uint64_t)(buf - p->mem);
}

/* ---- receive ------------------------------------------------------------ */

/* Posts free buffers until the receive queue is full, then one notify;
 * but only once half the queue is empty, so that the device,
 * which always keeps half the queue's buffers, hears of them once per
 * half queue: with EVENT_IDX QEMU asks for a notify at every buffer it
 * fills (its avail_event follows our avail index), so a repost per batch
 * of frames would be a notify per batch. */
static void rx_refill(struct vnet *d)
{
    if (d->rx.num_free < d->rx.size / 2)
        return;
    d->stats.rx_refills++;
    while (d->rx.num_free) {
        uint8_t *buf = pool_get(&d->pool);
        if (!buf) {
            d->stats.rx_refill_short++;
            break;
        }
        virtq_add(&d->rx, pool_phys(&d->pool, buf), VNET_BUF_SIZE, true, buf);
    }
    if (virtq_kick(&d->rx))
        d->stats.notifies++;
}

unsigned vnet_rx_batch(void *dev, struct net_frame *frames, unsigned max)
{
    struct vnet *d = dev;
    unsigned n = 0;
    if (max > NET_RX_BATCH)
        max = NET_RX_BATCH;
    while (d->nheld) {                         /* the caller forgot rx_release */
        pool_put(&d->pool, d->held[--d->nheld]);
    }
    while (n < max) {
        uint32_t len;
        uint8_t *buf = virtq_get_used(&d->rx, &len);
        if (!buf)
            break;
        if (len <= VNET_HDR_LEN || len > VNET_BUF_SIZE) {
            d->stats.rx_bad_len++;
            pool_put(&d->pool, buf);
            continue;
        }
        frames[n].data = buf + VNET_HDR_LEN;
        frames[n].len = (uint16_t)(len - VNET_HDR_LEN);
        d->held[d->nheld++] = buf;
        d->stats.rx_frames++;
        d->stats.rx_bytes += len - VNET_HDR_LEN;
        n++;
    }
    d->stats.bad_used = d->rx.bad_used + d->tx.bad_used;
    if (!n)
        rx_refill(d);                          /* bad buffers may have come back */
    return n;
}

void vnet_rx_release(void *dev)
{
    struct vnet *d = dev;
    while (d->nheld)
        pool_put(&d->pool, d->held[--d->nheld]);
    rx_refill(d);
}

/* ---- transmit ----------------------------------------------------------- */

static void tx_reclaim(struct vnet *d)
{
    uint32_t len;
    uint8_t *buf;
    while ((buf = virtq_get_used(&d->tx, &len)))
        pool_put(&d->pool, buf);
    d->stats.bad_used = d->rx.bad_used + d->tx.bad_used;
}

unsigned vnet_tx_room(void *dev)
{
    struct vnet *d = dev;
    tx_reclaim(d);
    return d->tx.num_free < d->pool.nfree ? d->tx.num_free : d->pool.nfree;
}

/* The stack builds frame i of a batch in stage[i] (taken from the pool
 * at the first ask, kept until a tx_batch sends a frame built there), so
 * that such a frame goes to the device as it is: no copy. */
uint8_t *vnet_tx_frame(void *dev, unsigned i)
{
    struct vnet *d = dev;
    if (i >= NET_TX_BATCH)
        return NULL;
    if (!d->stage[i])
        d->stage[i] = pool_get(&d->pool);
    return d->stage[i] ? d->stage[i] + VNET_HDR_LEN : NULL;
}

unsigned vnet_tx_batch(void *dev, const struct net_frame *frames, unsigned n)
{
    struct vnet *d = dev;
    unsigned i;
    tx_reclaim(d);
    for (i = 0; i < n; i++) {
        if (frames[i].len > VNET_BUF_SIZE - VNET_HDR_LEN) {
            d->stats.tx_too_long++;            /* taken, and dropped here */
            continue;
        }
        bool lent = i < NET_TX_BATCH && d->stage[i] && frames[i].data == d->stage[i] + VNET_HDR_LEN;
        if (!d->tx.num_free || (!lent && !d->pool.nfree)) {
            d->stats.tx_no_room += n - i;
            break;
        }
        uint8_t *buf;
        if (lent) {                            /* built in place: the device takes the buffer */
            buf = d->stage[i];
            d->stage[i] = NULL;
        } else {
            buf = pool_get(&d->pool);
            memcpy(buf + VNET_HDR_LEN, frames[i].data, frames[i].len);
        }
        memset(buf, 0, VNET_HDR_LEN);          /* no offloads: flags 0, GSO_NONE (§5.1.6.2) */
        virtq_add(&d->tx, pool_phys(&d->pool, buf), VNET_HDR_LEN + frames[i].len, false, buf);
        d->stats.tx_frames++;
        d->stats.tx_bytes += frames[i].len;
    }
    if (virtq_kick(&d->tx))                    /* one notify per batch */
        d->stats.notifies++;
    return i;
}

const struct net_dev_ops vnet_dev_ops = {
    .rx_batch = vnet_rx_batch,
    .rx_release = vnet_rx_release,
    .tx_batch = vnet_tx_batch,
    .tx_room = vnet_tx_room,
    .tx_frame = vnet_tx_frame,
};

/* ---- interrupts --------------------------------------------------------- */

uint8_t vnet_irq_ack(struct vnet *d)
{
    d->stats.irqs++;
    if (d->msix)
        return VIRTIO_ISR_QUEUE;
    uint8_t isr = virtio_pci_isr(&d->pci);
    if (isr & VIRTIO_ISR_CONFIG)
        d->stats.config_irqs++;
    return isr;
}

void vnet_irq_disable(struct vnet *d)
{
    virtq_disable_irq(&d->rx);
    virtq_disable_irq(&d->tx);
}

/* Receive interrupts always (with EVENT_IDX one at the next frame, not
 * one per frame until we wake); transmit completions only when the queue
 * is full, since only then does anyone wait for them, and with EVENT_IDX
 * only once the device has sent half of what it holds: the other half
 * keeps it busy while we wake and refill, and we wake once per half
 * queue instead of at its first completion. */
bool vnet_irq_enable(struct vnet *d)
{
    d->stats.irq_arms++;
    bool more = virtq_enable_irq(&d->rx);
    if (vnet_tx_room(d) == 0) {
        uint16_t held = (uint16_t)(d->tx.size - d->tx.num_free);
        d->stats.tx_irq_armed++;
        more |= virtq_enable_irq_after(&d->tx, held > 1 ? held / 2 : 1);
    } else {
        virtq_disable_irq(&d->tx);
    }
    return more;
}

/* ---- bring-up and teardown ---------------------------------------------- */

/* Frees what bring-up allocated, in reverse order. */
static void vnet_free(struct vnet *d)
{
    void *mem[3] = { d->pool.mem, d->txq_mem, d->rxq_mem };
    size_t size[3] = { d->pool_size, d->txq_size, d->rxq_size };
    for (int i = 0; i < 3; i++)
        if (mem[i])
            d->plat->dma_free(d->plat->ctx, mem[i], size[i]);
    d->pool.mem = NULL;
    d->txq_mem = d->rxq_mem = NULL;
}

static int queue_create(struct vnet *d, struct virtq *q, uint16_t index, uint16_t want,
                        void **mem, size_t *size)
{
    uint16_t max = virtio_pci_queue_max(&d->pci, index), qs = want;
    if (max == 0)
        return AE_ENOTSUP;
    while (qs > max)
        qs /= 2;                               /* split queues: any power of two <= max */
    uint64_t phys;
    *size = virtq_mem_size(qs);
    *mem = d->plat->dma_alloc(d->plat->ctx, *size, 4096, &phys);
    if (!*mem)
        return AE_ENOMEM;
    int r = virtq_init(q, index, qs, *mem, phys);
    if (!r)
        r = virtio_pci_queue_setup(&d->pci, q, d->msix ? 0 : VIRTIO_MSI_NO_VECTOR);
    return r;
}

static int pool_create(struct vnet *d)
{
    struct vnet_pool *p = &d->pool;
    unsigned n = d->rx.size + d->tx.size + NET_RX_BATCH + NET_TX_BATCH;   /* + the staging buffers */
    uint64_t phys;
    d->pool_size = (size_t)n * VNET_BUF_SIZE;
    p->mem = d->plat->dma_alloc(d->plat->ctx, d->pool_size, 4096, &phys);
    if (!p->mem)
        return AE_ENOMEM;
    p->phys = phys;
    p->nbufs = (uint16_t)n;
    for (unsigned i = 0; i < n; i++)
        p->free[p->nfree++] = (uint16_t)i;
    return 0;
}

static int negotiate(struct vnet *d, const struct vnet_config *cfg)
{
    uint64_t offered = virtio_pci_device_features(&d->pci);
    uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
                    (cfg->no_event_idx ? 0 : 1ull << VIRTIO_F_EVENT_IDX);
    if (!(offered & 1ull << VIRTIO_F_VERSION_1))
        return AE_ENOTSUP;
    int r = virtio_pci_set_features(&d->pci, offered & want);
    if (r)
        return r;
    d->event_idx = (offered & want & 1ull << VIRTIO_F_EVENT_IDX) != 0;
    if (offered & 1ull << VIRTIO_NET_F_MAC)
        virtio_pci_read_device(&d->pci, 0, d->mac, 6);   /* §5.1.4 mac */
    else
        memcpy(d->mac, cfg->fallback_mac, 6);
    if ((d->mac[0] & 1) || !(d->mac[0] | d->mac[1] | d->mac[2] | d->mac[3] | d->mac[4] | d->mac[5]))
        return AE_EINVAL;                      /* no usable unicast address */
    return 0;
}

int vnet_init(struct vnet *d, const struct virtio_platform *plat, const struct vnet_config *cfg)
{
    memset(d, 0, sizeof *d);
    d->plat = plat;
    uint16_t qs = cfg->queue_size ? cfg->queue_size : VNET_QUEUE_SIZE;
    if (qs > VNET_QUEUE_SIZE || (qs & (qs - 1)))
        return AE_EINVAL;
    uint32_t device_id = plat->pci_read(plat->ctx, PCI_DEVICE_ID, 2);
    if (device_id != VIRTIO_PCI_NET_MODERN && device_id != VIRTIO_PCI_NET_TRANSITIONAL)
        return AE_ENOTSUP;                     /* not a network device (§4.1.2) */
    int r = virtio_pci_probe(&d->pci, plat);
    if (r)
        return r;
    if ((r = virtio_pci_begin(&d->pci)) || (r = negotiate(d, cfg)))
        goto bad;
    if (cfg->use_msix) {
        mmio_write16(d->pci.common, VIRTIO_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
        if ((r = virtio_pci_msix_enable(&d->pci, cfg->msix_addr, cfg->msix_data)))
            goto bad;
        d->msix = true;
    }
    if ((r = queue_create(d, &d->rx, RXQ, qs, &d->rxq_mem, &d->rxq_size)) ||
        (r = queue_create(d, &d->tx, TXQ, qs, &d->txq_mem, &d->txq_size)) ||
        (r = pool_create(d)))
        goto bad;
    d->rx.event_idx = d->tx.event_idx = d->event_idx;
    virtq_disable_irq(&d->tx);                 /* completions are reaped lazily */
    while (d->rx.num_free) {                   /* §5.1.5: fill the receive queue */
        uint8_t *buf = pool_get(&d->pool);
        virtq_add(&d->rx, pool_phys(&d->pool, buf), VNET_BUF_SIZE, true, buf);
    }
    virtio_pci_driver_ok(&d->pci);
    if (virtq_kick(&d->rx))                    /* no notify before DRIVER_OK (§3.1.1) */
        d->stats.notifies++;
    return 0;
bad:
    virtio_pci_fail(&d->pci);
    vnet_free(d);
    return r;
}

void vnet_shutdown(struct vnet *d)
{
    mmio_write8(d->pci.common, VIRTIO_COMMON_STATUS, 0);   /* the device lets go of memory */
    for (int n = 0; n < 1000000 && virtio_pci_status(&d->pci); n++)
        ;
    vnet_free(d);
}
