/*
 * virtio_pci.c — the modern virtio PCI transport (virtio 1.1 §4.1): the
 * capability walk, the status handshake, feature negotiation and queue
 * set-up. Everything reaches the OS through struct virtio_platform and the
 * registers through <virtio_mmio.h>.
 */
#include <aerie/errors.h>
#include <virtio_mmio.h>      /* virtio/ or the host test shim */
#include "virtio_pci.h"

#define PCI_VENDOR_ID    0x00
#define PCI_COMMAND      0x04
#define PCI_STATUS       0x06
#define PCI_CAP_PTR      0x34
#define PCI_CMD_MEMORY   0x0002
#define PCI_CMD_MASTER   0x0004
#define PCI_STATUS_CAPS  0x0010
#define PCI_CAP_VENDOR   0x09
#define PCI_CAP_MSIX     0x11
#define PCI_CAPS_MAX     48             /* (256 - 64) / 4: ends a looping list */
#define RESET_POLLS      1000000

static uint32_t cfg_read(struct virtio_pci *vp, uint16_t off, unsigned width)
{
    return vp->plat->pci_read(vp->plat->ctx, off, width);
}

/* Base of the structure at bar+offset, length bytes; NULL if it does not
 * fit in the BAR (*err says why). */
static volatile uint8_t *map_struct(struct virtio_pci *vp, unsigned bar, uint32_t offset,
                                    uint32_t length, int *err)
{
    size_t size = 0;
    volatile uint8_t *base = vp->plat->map_bar(vp->plat->ctx, bar, &size);
    if (!base) {
        *err = AE_EFAULT;
        return NULL;
    }
    if ((uint64_t)offset + length > size) {
        *err = AE_ERANGE;
        return NULL;
    }
    return base + offset;
}

/* One vendor capability (§4.1.4): the first of each type that maps wins. */
static int probe_cap(struct virtio_pci *vp, uint8_t at)
{
    uint8_t cap_len = (uint8_t)cfg_read(vp, at + 2, 1);
    uint8_t type = (uint8_t)cfg_read(vp, at + 3, 1);
    uint8_t bar = (uint8_t)cfg_read(vp, at + 4, 1);
    uint32_t offset = cfg_read(vp, at + 8, 4), length = cfg_read(vp, at + 12, 4);
    if (cap_len < 16 || bar > 5)                   /* §4.1.4.1: ignore what we cannot use */
        return 0;
    int err = 0;
    volatile uint8_t *p;
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        if (vp->common || length < VIRTIO_COMMON_LEN)
            return 0;
        p = map_struct(vp, bar, offset, length, &err);
        vp->common = p;
        break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        if (vp->notify || cap_len < 20 || length < 2)
            return 0;
        p = map_struct(vp, bar, offset, length, &err);
        vp->notify = p;
        vp->notify_len = length;
        vp->notify_mult = cfg_read(vp, at + 16, 4);   /* §4.1.4.4 */
        break;
    case VIRTIO_PCI_CAP_ISR_CFG:
        if (vp->isr || length < 1)
            return 0;
        p = map_struct(vp, bar, offset, length, &err);
        vp->isr = p;
        break;
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        if (vp->device)
            return 0;
        p = map_struct(vp, bar, offset, length, &err);
        vp->device = p;
        vp->device_len = length;
        break;
    default:
        return 0;
    }
    return err;
}

int virtio_pci_probe(struct virtio_pci *vp, const struct virtio_platform *plat)
{
    *vp = (struct virtio_pci){ .plat = plat };
    if (cfg_read(vp, PCI_VENDOR_ID, 2) != VIRTIO_PCI_VENDOR ||
        !(cfg_read(vp, PCI_STATUS, 2) & PCI_STATUS_CAPS))
        return AE_ENOTSUP;
    uint8_t at = (uint8_t)cfg_read(vp, PCI_CAP_PTR, 1) & 0xfc;
    for (int n = 0; at >= 0x40 && n < PCI_CAPS_MAX; n++) {
        uint8_t id = (uint8_t)cfg_read(vp, at, 1);
        if (id == PCI_CAP_VENDOR) {
            int r = probe_cap(vp, at);
            if (r)
                return r;
        } else if (id == PCI_CAP_MSIX && !vp->msix_cap) {
            vp->msix_cap = at;
        }
        at = (uint8_t)cfg_read(vp, at + 1, 1) & 0xfc;
    }
    if (!vp->common || !vp->notify || !vp->isr || !vp->device)
        return AE_ENOTSUP;                         /* a legacy-only device */
    /* Registers only: bus mastering waits for the reset (virtio_pci_begin).
     * A device an earlier driver left running still holds that driver's
     * ring addresses, and the memory behind them may be someone else's by
     * now (a restarted service, docs/RESTART.md). */
    uint16_t cmd = (uint16_t)cfg_read(vp, PCI_COMMAND, 2);
    plat->pci_write(plat->ctx, PCI_COMMAND, 2, (cmd | PCI_CMD_MEMORY) & ~PCI_CMD_MASTER);
    return 0;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
    return mmio_read8(vp->common, VIRTIO_COMMON_STATUS);
}

static void status_add(struct virtio_pci *vp, uint8_t bits)
{
    mmio_write8(vp->common, VIRTIO_COMMON_STATUS, (uint8_t)(virtio_pci_status(vp) | bits));
}

int virtio_pci_begin(struct virtio_pci *vp)
{
    mmio_write8(vp->common, VIRTIO_COMMON_STATUS, 0);     /* reset */
    int n = 0;
    while (virtio_pci_status(vp) != 0)                     /* §4.1.4.3.2 */
        if (++n == RESET_POLLS)
            return AE_ETIMEOUT;
    /* The device forgot its queues: now it may do DMA, into ours. */
    uint16_t cmd = (uint16_t)cfg_read(vp, PCI_COMMAND, 2);
    vp->plat->pci_write(vp->plat->ctx, PCI_COMMAND, 2, cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER);
    status_add(vp, VIRTIO_STATUS_ACKNOWLEDGE);
    status_add(vp, VIRTIO_STATUS_DRIVER);
    return 0;
}

uint64_t virtio_pci_device_features(struct virtio_pci *vp)
{
    mmio_write32(vp->common, VIRTIO_COMMON_DFSELECT, 0);
    uint64_t lo = mmio_read32(vp->common, VIRTIO_COMMON_DF);
    mmio_write32(vp->common, VIRTIO_COMMON_DFSELECT, 1);
    uint64_t hi = mmio_read32(vp->common, VIRTIO_COMMON_DF);
    return hi << 32 | lo;
}

int virtio_pci_set_features(struct virtio_pci *vp, uint64_t features)
{
    mmio_write32(vp->common, VIRTIO_COMMON_GFSELECT, 0);
    mmio_write32(vp->common, VIRTIO_COMMON_GF, (uint32_t)features);
    mmio_write32(vp->common, VIRTIO_COMMON_GFSELECT, 1);
    mmio_write32(vp->common, VIRTIO_COMMON_GF, (uint32_t)(features >> 32));
    status_add(vp, VIRTIO_STATUS_FEATURES_OK);
    if (!(virtio_pci_status(vp) & VIRTIO_STATUS_FEATURES_OK))   /* §3.1.1 step 6 */
        return AE_ENOTSUP;
    vp->features = features;
    return 0;
}

uint16_t virtio_pci_queue_max(struct virtio_pci *vp, uint16_t index)
{
    if (index >= mmio_read16(vp->common, VIRTIO_COMMON_NUMQ))
        return 0;
    mmio_write16(vp->common, VIRTIO_COMMON_Q_SELECT, index);
    return mmio_read16(vp->common, VIRTIO_COMMON_Q_SIZE);
}

static void write64(volatile uint8_t *base, size_t off, uint64_t v)
{
    mmio_write32(base, off, (uint32_t)v);          /* §4.1.3.1: two 32-bit halves */
    mmio_write32(base, off + 4, (uint32_t)(v >> 32));
}

int virtio_pci_queue_setup(struct virtio_pci *vp, struct virtq *q, uint16_t msix_vector)
{
    uint16_t max = virtio_pci_queue_max(vp, q->index);   /* also selects the queue */
    if (max == 0 || q->size > max)
        return AE_ENOTSUP;
    volatile uint8_t *c = vp->common;
    mmio_write16(c, VIRTIO_COMMON_Q_SIZE, q->size);
    write64(c, VIRTIO_COMMON_Q_DESC, q->desc_phys);
    write64(c, VIRTIO_COMMON_Q_DRIVER, q->avail_phys);
    write64(c, VIRTIO_COMMON_Q_DEVICE, q->used_phys);
    mmio_write16(c, VIRTIO_COMMON_Q_MSIX, msix_vector);
    if (mmio_read16(c, VIRTIO_COMMON_Q_MSIX) != msix_vector)   /* refused: NO_VECTOR */
        return AE_ENOTSUP;
    uint64_t off = (uint64_t)mmio_read16(c, VIRTIO_COMMON_Q_NOFF) * vp->notify_mult;
    if (off + 2 > vp->notify_len)                  /* §4.1.4.4 */
        return AE_ERANGE;
    q->notify = vp->notify + off;
    mmio_write16(c, VIRTIO_COMMON_Q_ENABLE, 1);
    return 0;
}

void virtio_pci_driver_ok(struct virtio_pci *vp)
{
    status_add(vp, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_pci_fail(struct virtio_pci *vp)
{
    if (vp->common)
        status_add(vp, VIRTIO_STATUS_FAILED);
}

void virtio_pci_read_device(struct virtio_pci *vp, uint32_t off, uint8_t *out, uint32_t len)
{
    uint8_t gen;
    int tries = 0;
    do {                                           /* bounded: a broken device cannot hang us */
        gen = mmio_read8(vp->common, VIRTIO_COMMON_CFGGEN);
        for (uint32_t i = 0; i < len; i++)
            out[i] = off + i < vp->device_len ? mmio_read8(vp->device, off + i) : 0;
    } while (gen != mmio_read8(vp->common, VIRTIO_COMMON_CFGGEN) && ++tries < 100);
}

uint8_t virtio_pci_isr(struct virtio_pci *vp)
{
    return mmio_read8(vp->isr, 0);
}

/* PCI MSI-X capability: message control at +2 (bit 15 enable, 14 mask
 * all), table offset and BAR at +4; entries of 16 bytes: address low,
 * address high, data, vector control (bit 0 masked). */
int virtio_pci_msix_enable(struct virtio_pci *vp, uint64_t addr, uint32_t data)
{
    if (!vp->msix_cap)
        return AE_ENOTSUP;
    uint16_t ctl = (uint16_t)cfg_read(vp, vp->msix_cap + 2, 2);
    uint32_t table = cfg_read(vp, vp->msix_cap + 4, 4);
    if ((table & 7) > 5)
        return AE_ENOTSUP;
    int err = 0;
    volatile uint8_t *t = map_struct(vp, table & 7, table & ~7u, 16, &err);
    if (!t)
        return err;
    mmio_write32(t, 0, (uint32_t)addr);
    mmio_write32(t, 4, (uint32_t)(addr >> 32));
    mmio_write32(t, 8, data);
    mmio_write32(t, 12, 0);                        /* unmask entry 0 */
    ctl = (uint16_t)((ctl | 0x8000) & ~0x4000);
    vp->plat->pci_write(vp->plat->ctx, vp->msix_cap + 2, 2, ctl);
    return 0;
}
