/*
 * vcon.c — the virtio-console driver (see vcon.h; virtio 1.1 §5.3).
 * Section numbers cite the virtio 1.1 specification.
 */
#include <string.h>
#include <aerie/errors.h>
#include <virtio_mmio.h>
#include "vcon.h"

#define PCI_DEVICE_ID              0x02
#define VIRTIO_PCI_CONSOLE_MODERN  0x1043   /* 0x1040 + device type 3 (§4.1.2) */
#define VIRTIO_CONSOLE_F_MULTIPORT 1        /* §5.3.3 */
#define CIN_Q   2                           /* §5.3.2: control receiveq */
#define COUT_Q  3                           /* control transmitq */
#define QUEUE_WANT 128

/* §5.3.6.2 struct virtio_console_control */
struct vcon_control {
    uint32_t id;
    uint16_t event;
    uint16_t value;
};
_Static_assert(sizeof(struct vcon_control) == 8, "virtio 1.1 5.3.6.2");

static void *dma(struct vcon *v, size_t size, uint64_t *phys)
{
    return v->plat->dma_alloc(v->plat->ctx, size, 4096, phys);
}

/* Makes queue index q (mem slot m) with up to want entries. */
static int queue_create(struct vcon *v, struct virtq *q, uint16_t index, unsigned m, uint16_t want)
{
    uint16_t max = virtio_pci_queue_max(&v->pci, index), qs = want;
    if (max == 0)
        return AE_ENOTSUP;
    while (qs > max)
        qs /= 2;                               /* split queues: any power of two <= max */
    uint64_t phys;
    v->qsize[m] = virtq_mem_size(qs);
    v->qmem[m] = dma(v, v->qsize[m], &phys);
    if (!v->qmem[m])
        return AE_ENOMEM;
    int r = virtq_init(q, index, qs, v->qmem[m], phys);
    return r ? r : virtio_pci_queue_setup(&v->pci, q, v->msix ? 0 : VIRTIO_MSI_NO_VECTOR);
}

static int buffers_create(struct vcon *v)
{
    v->cbuf = dma(v, 2 * VCON_CTL_BUFS * VCON_CTL_BUF, &v->cbuf_phys);
    v->rxbuf = dma(v, (size_t)VCON_RX_BUFS * VCON_RX_BUF, &v->rxbuf_phys);
    v->txbuf = dma(v, (size_t)VCON_TX_BUFS * VCON_TX_BUF, &v->txbuf_phys);
    if (!v->cbuf || !v->rxbuf || !v->txbuf)
        return AE_ENOMEM;
    for (unsigned i = 0; i < VCON_TX_BUFS; i++)
        v->tx_free[v->ntx_free++] = (uint16_t)i;
    for (unsigned i = 0; i < VCON_CTL_BUFS; i++)
        v->cout_free[v->ncout_free++] = (uint16_t)i;
    return 0;
}

static uint8_t *cin_buf(struct vcon *v, unsigned i) { return v->cbuf + (size_t)i * VCON_CTL_BUF; }
static uint8_t *cout_buf(struct vcon *v, unsigned i)
{
    return v->cbuf + (size_t)(VCON_CTL_BUFS + i) * VCON_CTL_BUF;
}
static uint64_t phys_of(const uint8_t *p, const uint8_t *base, uint64_t base_phys)
{
    return base_phys + (uint64_t)(p - base);
}

/* Posts every receive buffer (device-writable, §5.3.6.1): at start only. */
static void fill_receive(struct vcon *v)
{
    for (unsigned i = 0; i < VCON_RX_BUFS && v->rx.num_free; i++) {
        uint8_t *b = v->rxbuf + (size_t)i * VCON_RX_BUF;
        virtq_add(&v->rx, phys_of(b, v->rxbuf, v->rxbuf_phys), VCON_RX_BUF, true, b);
    }
    for (unsigned i = 0; i < VCON_CTL_BUFS && v->cin.num_free; i++)
        virtq_add(&v->cin, phys_of(cin_buf(v, i), v->cbuf, v->cbuf_phys), VCON_CTL_BUF, true, cin_buf(v, i));
}

/* Sends one control message (§5.3.6.2); dropped when all control
 * buffers are in flight, which a well-behaved device never causes. */
static void control_send(struct vcon *v, uint32_t id, uint16_t event, uint16_t value)
{
    uint32_t len;
    uint8_t *done;
    while ((done = virtq_get_used(&v->cout, &len)))
        v->cout_free[v->ncout_free++] = (uint16_t)((size_t)(done - cout_buf(v, 0)) / VCON_CTL_BUF);
    if (!v->ncout_free)
        return;
    uint8_t *b = cout_buf(v, v->cout_free[--v->ncout_free]);
    struct vcon_control m = { id, event, value };
    memcpy(b, &m, sizeof m);
    virtq_add(&v->cout, phys_of(b, v->cbuf, v->cbuf_phys), sizeof m, false, b);
    virtq_kick(&v->cout);
}

int vcon_init(struct vcon *v, const struct virtio_platform *plat, bool msix, uint64_t addr, uint32_t data)
{
    memset(v, 0, sizeof *v);
    v->plat = plat;
    if (plat->pci_read(plat->ctx, PCI_DEVICE_ID, 2) != VIRTIO_PCI_CONSOLE_MODERN)
        return AE_ENOTSUP;                     /* not a modern console (§4.1.2) */
    int r = virtio_pci_probe(&v->pci, plat);
    if (r)
        return r;
    if ((r = virtio_pci_begin(&v->pci)))
        goto bad;
    uint64_t offered = virtio_pci_device_features(&v->pci);
    uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
    if ((offered & want) != want) {
        r = AE_ENOTSUP;                        /* a console without ports: not ours */
        goto bad;
    }
    if ((r = virtio_pci_set_features(&v->pci, want)))
        goto bad;
    if (msix) {
        mmio_write16(v->pci.common, VIRTIO_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
        if ((r = virtio_pci_msix_enable(&v->pci, addr, data)))
            goto bad;
        v->msix = true;
    }
    if ((r = queue_create(v, &v->cin, CIN_Q, 0, VCON_CTL_BUFS)) ||
        (r = queue_create(v, &v->cout, COUT_Q, 1, VCON_CTL_BUFS)) ||
        (r = queue_create(v, &v->rx, 2 + 2 * VCON_PORT, 2, QUEUE_WANT)) ||
        (r = queue_create(v, &v->tx, 3 + 2 * VCON_PORT, 3, QUEUE_WANT)) ||
        (r = buffers_create(v)))
        goto bad;
    virtq_disable_irq(&v->cout);               /* its completions are reaped lazily */
    fill_receive(v);
    virtio_pci_driver_ok(&v->pci);
    virtq_kick(&v->rx);                        /* no notify before DRIVER_OK (§3.1.1) */
    virtq_kick(&v->cin);
    control_send(v, 0xffffffffu, VCON_DEVICE_READY, 1);   /* §5.3.6.2: ports next */
    return 0;
bad:
    virtio_pci_fail(&v->pci);
    return r;                                  /* the DMA memory stays: ctl gives up and exits */
}

/* One control message from the device. Returns VCON_HOST_* bits. */
static unsigned control_one(struct vcon *v, const uint8_t *b, uint32_t len)
{
    struct vcon_control m;
    if (len < sizeof m) {
        v->stats.control_bad++;
        return 0;
    }
    memcpy(&m, b, sizeof m);
    v->stats.control_in++;
    if (m.event == VCON_DEVICE_ADD) {
        bool ours = m.id == VCON_PORT;         /* we made queues for this port only */
        control_send(v, m.id, VCON_PORT_READY, ours);
        if (ours) {
            v->port_added = true;
            control_send(v, m.id, VCON_PORT_OPEN, 1);   /* open from our side: data may flow */
        }
        return 0;
    }
    if (m.id != VCON_PORT || !v->port_added)
        return 0;
    if (m.event == VCON_PORT_OPEN && m.value && !v->host_open) {
        v->host_open = true;
        return VCON_HOST_OPENED;
    }
    if ((m.event == VCON_PORT_OPEN && !m.value && v->host_open) || m.event == VCON_DEVICE_REMOVE) {
        v->host_open = false;
        return VCON_HOST_CLOSED;
    }
    return 0;                                  /* names, console flags, sizes: nothing to do */
}

unsigned vcon_poll_control(struct vcon *v)
{
    unsigned events = 0;
    uint32_t len;
    uint8_t *b;
    while ((b = virtq_get_used(&v->cin, &len))) {
        events |= control_one(v, b, len);
        virtq_add(&v->cin, phys_of(b, v->cbuf, v->cbuf_phys), VCON_CTL_BUF, true, b);
    }
    virtq_kick(&v->cin);
    return events;
}

size_t vcon_rx(struct vcon *v, void (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx, size_t budget)
{
    size_t total = 0;
    uint32_t len;
    uint8_t *b;
    while (total < budget && (b = virtq_get_used(&v->rx, &len))) {
        if (len > VCON_RX_BUF)
            len = VCON_RX_BUF;                 /* a device bug must not make us read past it */
        fn(ctx, b, len);
        total += len;
        v->stats.rx_bytes += len;
        v->stats.rx_bufs++;
        virtq_add(&v->rx, phys_of(b, v->rxbuf, v->rxbuf_phys), VCON_RX_BUF, true, b);
    }
    virtq_kick(&v->rx);
    return total;
}

static void tx_reclaim(struct vcon *v)
{
    uint32_t len;
    uint8_t *b;
    while ((b = virtq_get_used(&v->tx, &len)))
        v->tx_free[v->ntx_free++] = (uint16_t)((size_t)(b - v->txbuf) / VCON_TX_BUF);
}

uint8_t *vcon_tx_get(struct vcon *v)
{
    tx_reclaim(v);
    if (!v->ntx_free) {
        v->stats.tx_full++;
        return NULL;
    }
    return v->txbuf + (size_t)v->tx_free[--v->ntx_free] * VCON_TX_BUF;
}

void vcon_tx_put(struct vcon *v, uint8_t *buf, size_t len)
{
    if (len == 0 || len > VCON_TX_BUF) {
        v->tx_free[v->ntx_free++] = (uint16_t)((size_t)(buf - v->txbuf) / VCON_TX_BUF);
        return;
    }
    virtq_add(&v->tx, phys_of(buf, v->txbuf, v->txbuf_phys), (uint32_t)len, false, buf);
    v->stats.tx_bytes += len;
    v->stats.tx_bufs++;
}

void vcon_tx_kick(struct vcon *v)
{
    virtq_kick(&v->tx);
}

unsigned vcon_tx_room(struct vcon *v)
{
    tx_reclaim(v);
    return v->ntx_free;
}

void vcon_irq_disable(struct vcon *v)
{
    virtq_disable_irq(&v->rx);
    virtq_disable_irq(&v->cin);
    virtq_disable_irq(&v->tx);
}

bool vcon_irq_enable(struct vcon *v, bool tx_too)
{
    bool a = virtq_enable_irq(&v->rx), b = virtq_enable_irq(&v->cin), c = tx_too && virtq_enable_irq(&v->tx);
    return a || b || c;
}

void vcon_irq_ack(struct vcon *v)
{
    v->stats.irqs++;
    if (!v->msix)
        virtio_pci_isr(&v->pci);               /* reading it lowers an INTx line (§4.1.4.5) */
}
