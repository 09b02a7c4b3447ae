/*
 * fake_virtio.c — the fake virtio-net PCI function (see fake_virtio.h) and
 * the register-access shim the driver is built against in host tests.
 * Written from the virtio 1.1 spec's device side, not from the driver,
 * so the two can disagree and the tests catch it.
 */
#include <stdlib.h>
#include <string.h>
#include "fake_virtio.h"
#include "virtio_mmio.h"
#include "virtq.h"

static struct fake_vdev *cur;          /* the device the shim talks to */

static void device_reset(struct fake_vdev *v);

static void put_le(uint8_t *p, uint32_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned width)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* A vendor capability (§4.1.4) at `at`, pointing to `next`. */
static void vendor_cap(uint8_t *cfg, uint8_t at, uint8_t next, uint8_t type, uint32_t offset,
                       uint32_t length)
{
    cfg[at] = 0x09;
    cfg[at + 1] = next;
    cfg[at + 2] = type == 2 ? 20 : 16;
    cfg[at + 3] = type;
    cfg[at + 4] = 4;                   /* BAR 4 */
    put_le(cfg + at + 8, offset, 4);
    put_le(cfg + at + 12, length, 4);
    if (type == 2)
        put_le(cfg + at + 16, FV_NOTIFY_MULT, 4);
}

struct fake_vdev *fake_vdev_new(void)
{
    struct fake_vdev *v = calloc(1, sizeof *v);
    v->bar4 = aligned_alloc(4096, FV_BAR4_SIZE);
    v->bar1 = aligned_alloc(4096, 4096);
    memset(v->bar4, 0, FV_BAR4_SIZE);
    memset(v->bar1, 0, 4096);
    uint8_t *c = v->cfg;
    put_le(c + 0x00, 0x1af4, 2);
    put_le(c + 0x02, 0x1041, 2);       /* virtio 1.x network device */
    put_le(c + 0x06, 0x0010, 2);       /* capability list */
    c[0x08] = 1;                       /* revision */
    c[0x34] = 0x40;
    c[0x40] = 0x11;                    /* MSI-X: 1 entry, table in BAR 1 at 0 */
    c[0x41] = 0x50;
    put_le(c + 0x42, 0x0000, 2);
    put_le(c + 0x44, 0x00000001, 4);
    put_le(c + 0x48, 0x00000801, 4);
    vendor_cap(c, 0x50, 0x60, 1, FV_COMMON, 0x38);
    vendor_cap(c, 0x60, 0x78, 2, FV_NOTIFY, 0x1000);
    vendor_cap(c, 0x78, 0x88, 3, FV_ISR, 4);
    vendor_cap(c, 0x88, 0x00, 4, FV_DEVICE, 0x10);
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    memcpy(v->bar4 + FV_DEVICE, mac, 6);
    put_le(v->bar4 + FV_DEVICE + 6, 1, 2);                 /* link up */
    v->offered = 1ull << 32 | 1u << 5 | 1u << 16 |          /* VERSION_1, MAC, STATUS */
                 1u << FV_F_EVENT_IDX |                     /* taken when offered */
                 1u << 0 | 1u << 1 | 1u << 15;              /* CSUM, GUEST_CSUM, MRG_RXBUF */
    for (int i = 0; i < FV_NQUEUES; i++)
        v->q[i].max = 256;
    device_reset(v);
    cur = v;
    return v;
}

void fake_vdev_free(struct fake_vdev *v)
{
    if (cur == v)
        cur = NULL;
    free(v->bar4);
    free(v->bar1);
    free(v);
}

/* ---- the platform ------------------------------------------------------- */

static void *fv_dma_alloc(void *ctx, size_t size, size_t align, uint64_t *phys)
{
    struct fake_vdev *v = ctx;
    size_t rounded = (size + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, rounded);
    if (!p)
        return NULL;
    memset(p, 0, rounded);
    *phys = (uint64_t)(uintptr_t)p;
    v->dma_allocs++;
    return p;
}

static void fv_dma_free(void *ctx, void *virt, size_t size)
{
    struct fake_vdev *v = ctx;
    (void)size;
    free(virt);
    v->dma_frees++;
}

static uint32_t fv_pci_read(void *ctx, uint16_t off, unsigned width)
{
    struct fake_vdev *v = ctx;
    if (off + width > sizeof v->cfg || (off & (width - 1))) {
        v->bad_access++;
        return 0xffffffffu;
    }
    return get_le(v->cfg + off, width);
}

static void fv_pci_write(void *ctx, uint16_t off, unsigned width, uint32_t val)
{
    struct fake_vdev *v = ctx;
    if (off + width > sizeof v->cfg || (off & (width - 1))) {
        v->bad_access++;
        return;
    }
    put_le(v->cfg + off, val, width);
}

static volatile uint8_t *fv_map_bar(void *ctx, unsigned bar, size_t *size)
{
    struct fake_vdev *v = ctx;
    if (bar == 4) {
        *size = FV_BAR4_SIZE;
        return v->bar4;
    }
    if (bar == 1) {
        *size = 4096;
        return v->bar1;
    }
    return NULL;
}

struct virtio_platform fake_vdev_platform(struct fake_vdev *v)
{
    struct virtio_platform p = {
        .ctx = v, .dma_alloc = fv_dma_alloc, .dma_free = fv_dma_free,
        .pci_read = fv_pci_read, .pci_write = fv_pci_write, .map_bar = fv_map_bar,
    };
    return p;
}

/* ---- the device --------------------------------------------------------- */

static bool event_idx(const struct fake_vdev *v)
{
    return (v->driver_features >> FV_F_EVENT_IDX) & 1;
}

/* The used_event field: the slot after the available ring (§2.6.6). */
static uint16_t used_event_of(const struct fake_vq *q)
{
    const struct virtq_avail *avail = (const struct virtq_avail *)(uintptr_t)q->driver;
    return __atomic_load_n(&avail->ring[q->size], __ATOMIC_ACQUIRE);
}

/* The avail_event field: the slot after the used ring (§2.6.8). */
static void set_avail_event(struct fake_vq *q, uint16_t idx)
{
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)q->device;
    uint16_t *ev = (uint16_t *)(void *)&used->ring[q->size];
    __atomic_store_n(ev, idx, __ATOMIC_RELEASE);
}

/* §2.6.7.2: with EVENT_IDX, interrupt when the used index moved past
 * used_event since the last decision, whatever the flags say (which the
 * driver must leave 0); without it, unless NO_INTERRUPT. */
static void raise_irq(struct fake_vdev *v, struct fake_vq *q)
{
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)q->driver;
    uint16_t flags = __atomic_load_n(&avail->flags, __ATOMIC_ACQUIRE);
    if (event_idx(v)) {
        uint16_t old = q->signalled, now = q->used_idx, ev = used_event_of(q);
        q->signalled = now;
        if (flags)
            v->errors++;
        /* unless the entry numbered ev is among those written, old..now-1 */
        if ((uint16_t)(ev - old) >= (uint16_t)(now - old))
            return;
    } else if (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) {
        return;
    }
    v->isr |= 1;
    v->irqs++;
    v->qirqs[q == &v->q[0] ? 0 : 1]++;
}

static void device_reset(struct fake_vdev *v)
{
    v->status = 0;
    v->driver_features = 0;
    v->isr = 0;
    v->msix_config = 0xffff;
    for (int i = 0; i < FV_NQUEUES; i++) {
        struct fake_vq *q = &v->q[i];
        uint16_t max = q->max;
        memset(q, 0, sizeof *q);
        q->max = q->size = max;
        q->msix = 0xffff;
    }
}

/* Sends up to max buffers of the transmit queue; with each_irq, the
 * interrupt decision follows every buffer (as QEMU's does), else one for
 * the lot. */
static unsigned process_tx(struct fake_vdev *v, unsigned max, bool each_irq)
{
    struct fake_vq *q = &v->q[1];
    if (!q->enable)
        return 0;
    struct virtq_desc *desc = (struct virtq_desc *)(uintptr_t)q->desc;
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)q->driver;
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)q->device;
    uint16_t aidx = __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    if (event_idx(v))
        set_avail_event(q, aidx);      /* notify me at the next buffer */
    while (q->last_avail != aidx && n < max) {
        uint16_t head = avail->ring[q->last_avail % q->size];
        q->last_avail++;
        if (head >= q->size || (desc[head].flags & (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT)) ||
            desc[head].len < 12 || desc[head].len > 2048) {
            v->errors++;
            continue;
        }
        const uint8_t *buf = (const uint8_t *)(uintptr_t)desc[head].addr;
        if (v->ntx < FV_MAX_TX) {
            memcpy(v->txhdr[v->ntx], buf, 12);
            memcpy(v->tx[v->ntx], buf + 12, desc[head].len - 12);
            v->txlen[v->ntx] = desc[head].len - 12;
            v->ntx++;
        }
        used->ring[q->used_idx % q->size].id = head;
        used->ring[q->used_idx % q->size].len = 0;
        q->used_idx++;
        n++;
        if (each_irq) {
            __atomic_store_n(&used->idx, q->used_idx, __ATOMIC_RELEASE);
            raise_irq(v, q);
        }
    }
    __atomic_store_n(&used->idx, q->used_idx, __ATOMIC_RELEASE);
    if (n && !each_irq)
        raise_irq(v, q);
    return n;
}

void fake_vdev_process_tx(struct fake_vdev *v)
{
    process_tx(v, ~0u, false);
}

unsigned fake_vdev_process_tx_n(struct fake_vdev *v, unsigned max)
{
    return process_tx(v, max, true);
}

bool fake_vdev_inject(struct fake_vdev *v, const uint8_t *frame, size_t len)
{
    struct fake_vq *q = &v->q[0];
    if (!(v->status & 4) || !q->enable)
        return false;
    struct virtq_desc *desc = (struct virtq_desc *)(uintptr_t)q->desc;
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)q->driver;
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)q->device;
    if (q->last_avail == __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE))
        return false;                  /* no receive buffer posted */
    uint16_t head = avail->ring[q->last_avail % q->size];
    q->last_avail++;
    if (head >= q->size || !(desc[head].flags & VIRTQ_DESC_F_WRITE) ||
        desc[head].len < 12 + len) {
        v->errors++;
        return false;
    }
    uint8_t *buf = (uint8_t *)(uintptr_t)desc[head].addr;
    memset(buf, 0, 12);
    put_le(buf + 10, 1, 2);            /* num_buffers */
    memcpy(buf + 12, frame, len);
    used->ring[q->used_idx % q->size].id = head;
    used->ring[q->used_idx % q->size].len = (uint32_t)(12 + len);
    q->used_idx++;
    __atomic_store_n(&used->idx, q->used_idx, __ATOMIC_RELEASE);
    if (event_idx(v) && v->rx_wants_notify)
        set_avail_event(q, __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE));
    raise_irq(v, q);
    return true;
}

/* Writes a used entry exactly as given (a misbehaving device). */
void fake_vdev_used_raw(struct fake_vdev *v, unsigned qi, uint32_t id, uint32_t len)
{
    struct fake_vq *q = &v->q[qi];
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)q->device;
    if (id < q->size && qi == 0)       /* consume the matching avail entry if it is real */
        q->last_avail++;
    used->ring[q->used_idx % q->size].id = id;
    used->ring[q->used_idx % q->size].len = len;
    q->used_idx++;
    __atomic_store_n(&used->idx, q->used_idx, __ATOMIC_RELEASE);
}

uint16_t fake_vdev_avail_idx(struct fake_vdev *v, unsigned qi)
{
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)v->q[qi].driver;
    return __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE);
}

/* ---- registers ---------------------------------------------------------- */

static void status_write(struct fake_vdev *v, uint8_t val)
{
    if (v->nstatus < sizeof v->status_log)
        v->status_log[v->nstatus++] = val;
    if (val == 0) {
        device_reset(v);
        return;
    }
    if ((val & 8) && !(v->status & 8) &&
        (v->refuse_features || (v->driver_features & ~v->offered)))
        val &= (uint8_t)~8;
    v->status = val;
}

static uint32_t common_read(struct fake_vdev *v, size_t off, unsigned width)
{
    struct fake_vq *q = v->qsel < FV_NQUEUES ? &v->q[v->qsel] : NULL;
    switch (off) {
    case 0:  return v->dfselect;
    case 4:  return v->dfselect <= 1 ? (uint32_t)(v->offered >> (32 * v->dfselect)) : 0;
    case 8:  return v->gfselect;
    case 12: return v->gfselect <= 1 ? (uint32_t)(v->driver_features >> (32 * v->gfselect)) : 0;
    case 16: return v->msix_config;
    case 18: return FV_NQUEUES;
    case 20: return v->status;
    case 21: return v->cfggen;
    case 22: return v->qsel;
    case 24: return q ? q->size : 0;
    case 26: return q ? q->msix : 0xffff;
    case 28: return q ? q->enable : 0;
    case 30: return v->qsel;           /* queue_notify_off = the queue's index */
    }
    (void)width;
    return 0;
}

static void set_half(uint64_t *field, size_t half, uint32_t val)
{
    if (half)
        *field = (*field & 0xffffffffu) | (uint64_t)val << 32;
    else
        *field = (*field & ~0xffffffffull) | val;
}

static void common_write(struct fake_vdev *v, size_t off, uint32_t val)
{
    struct fake_vq *q = v->qsel < FV_NQUEUES ? &v->q[v->qsel] : NULL;
    switch (off) {
    case 0:  v->dfselect = val; return;
    case 8:  v->gfselect = val; return;
    case 12:
        if (v->gfselect <= 1)
            set_half(&v->driver_features, v->gfselect, val);
        return;
    case 16: v->msix_config = (uint16_t)val; return;
    case 20: status_write(v, (uint8_t)val); return;
    case 22: v->qsel = (uint16_t)val; return;
    }
    if (!q) {
        v->bad_access++;
        return;
    }
    switch (off) {
    case 24:
        if (val == 0 || val > q->max || (val & (val - 1)))
            v->bad_access++;
        else
            q->size = (uint16_t)val;
        return;
    case 26:                           /* one MSI-X entry: only vector 0 exists */
        q->msix = val == 0 && (get_le(v->cfg + 0x42, 2) & 0x8000) ? 0 : 0xffff;
        return;
    case 28: q->enable = (uint16_t)val; return;
    case 32: case 36: set_half(&q->desc, (off - 32) / 4, val); return;
    case 40: case 44: set_half(&q->driver, (off - 40) / 4, val); return;
    case 48: case 52: set_half(&q->device, (off - 48) / 4, val); return;
    }
    v->bad_access++;                   /* read-only or unknown */
}

/* Natural width of the common configuration field at off (§4.1.4.3). */
static unsigned common_width(size_t off)
{
    if (off < 16)
        return 4;
    if (off == 20 || off == 21)
        return 1;
    if (off < 32)
        return 2;
    return 4;                          /* 64-bit fields in 32-bit halves */
}

static bool in_bar4(struct fake_vdev *v, volatile uint8_t *a)
{
    return v && a >= v->bar4 && a < v->bar4 + FV_BAR4_SIZE;
}

static uint32_t reg_read(volatile uint8_t *base, size_t off, unsigned width)
{
    volatile uint8_t *a = base + off;
    struct fake_vdev *v = cur;
    if (!in_bar4(v, a)) {              /* plain memory (the MSI-X table) */
        uint32_t x = 0;
        memcpy(&x, (const void *)a, width);
        return x;
    }
    size_t r = (size_t)(a - v->bar4);
    if (r < FV_ISR) {
        if (r >= 0x38 || common_width(r) != width) {
            v->bad_access++;
            return 0;
        }
        return common_read(v, r, width);
    }
    if (r < FV_DEVICE) {
        if (r != FV_ISR || width != 1) {
            v->bad_access++;
            return 0;
        }
        uint8_t isr = v->isr;          /* read to clear (§4.1.4.5) */
        v->isr = 0;
        return isr;
    }
    if (r < FV_NOTIFY)
        return get_le((const uint8_t *)v->bar4 + r, width);
    v->bad_access++;                   /* the notify area is write-only */
    return 0;
}

static void reg_write(volatile uint8_t *base, size_t off, unsigned width, uint32_t val)
{
    volatile uint8_t *a = base + off;
    struct fake_vdev *v = cur;
    if (!in_bar4(v, a)) {
        memcpy((void *)a, &val, width);
        return;
    }
    size_t r = (size_t)(a - v->bar4);
    if (r < FV_ISR) {
        if (r >= 0x38 || common_width(r) != width)
            v->bad_access++;
        else
            common_write(v, r, val);
        return;
    }
    if (r < FV_NOTIFY || width != 2 || (r - FV_NOTIFY) % FV_NOTIFY_MULT) {
        v->bad_access++;               /* the driver must not write config or ISR */
        return;
    }
    unsigned qi = (unsigned)((r - FV_NOTIFY) / FV_NOTIFY_MULT);
    if (qi >= FV_NQUEUES || val != qi) {
        v->bad_access++;
        return;
    }
    if (!(v->status & 4))
        v->notify_before_ok++;
    v->notifies[qi]++;
    if (qi == 1 && !v->tx_hold)
        fake_vdev_process_tx(v);
}

uint8_t mmio_read8(volatile uint8_t *base, size_t off) { return (uint8_t)reg_read(base, off, 1); }
uint16_t mmio_read16(volatile uint8_t *base, size_t off) { return (uint16_t)reg_read(base, off, 2); }
uint32_t mmio_read32(volatile uint8_t *base, size_t off) { return reg_read(base, off, 4); }
void mmio_write8(volatile uint8_t *base, size_t off, uint8_t v) { reg_write(base, off, 1, v); }
void mmio_write16(volatile uint8_t *base, size_t off, uint16_t v) { reg_write(base, off, 2, v); }
void mmio_write32(volatile uint8_t *base, size_t off, uint32_t v) { reg_write(base, off, 4, v); }
