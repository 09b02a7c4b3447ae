/*
 * fake_virtio.h — a small model of a modern virtio-net PCI function for
 * the driver's host tests: a PCI configuration space with the virtio
 * vendor capabilities and MSI-X, BAR 4 holding the common configuration,
 * ISR, device configuration and notification structures, and a device
 * that consumes transmit descriptors when notified and places injected
 * frames in posted receive buffers. "Physical" addresses are host
 * pointers, so the model reads the driver's rings directly.
 */
#ifndef AERIE_FAKE_VIRTIO_H
#define AERIE_FAKE_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio_platform.h"

#define FV_BAR4_SIZE   0x4000
#define FV_COMMON      0x0000
#define FV_ISR         0x1000
#define FV_DEVICE      0x2000
#define FV_NOTIFY      0x3000
#define FV_NOTIFY_MULT 4
#define FV_MAX_TX      512
#define FV_NQUEUES     2

struct fake_vq {
    uint16_t max, size, msix, enable;
    uint64_t desc, driver, device;
    uint16_t last_avail, used_idx;
    uint16_t signalled;                /* used_idx when interrupts were last considered */
};

struct fake_vdev {
    uint8_t  cfg[256];                 /* PCI configuration space */
    uint8_t *bar4;                     /* virtio structures */
    uint8_t *bar1;                     /* MSI-X table */
    uint64_t offered, driver_features;
    uint32_t dfselect, gfselect;
    uint8_t  status, isr, cfggen;
    uint16_t qsel, msix_config;
    struct fake_vq q[FV_NQUEUES];
    unsigned notifies[FV_NQUEUES];
    uint8_t  status_log[32];           /* every value the driver wrote to status */
    unsigned nstatus;
    bool     refuse_features;          /* clear FEATURES_OK when set */
    bool     tx_hold;                  /* do not process TX on notify */
    bool     rx_wants_notify;          /* EVENT_IDX: avail_event follows every RX buffer used (QEMU) */
    unsigned irqs;                     /* interrupts the device raised */
    unsigned qirqs[FV_NQUEUES];        /* the same, per queue */
    unsigned bad_access;               /* wrong width, read-only field written, ... */
    unsigned errors;                   /* driver misuse of the rings seen by the device */
    unsigned notify_before_ok;         /* notifications before DRIVER_OK */
    unsigned ntx;
    uint32_t txlen[FV_MAX_TX];
    uint8_t  txhdr[FV_MAX_TX][12];
    uint8_t  tx[FV_MAX_TX][2048];
    unsigned dma_allocs, dma_frees;
};

#define FV_F_EVENT_IDX 29

/* A fresh device offering VERSION_1, MAC, STATUS, EVENT_IDX and some
 * features the driver must not take; the shim routes register accesses
 * to it. With EVENT_IDX negotiated it interrupts only when its used index
 * passes the driver's used_event and, after processing the transmit
 * queue, asks (avail_event) for a notify at the next buffer; while
 * tx_hold it leaves avail_event where it was. */
struct fake_vdev *fake_vdev_new(void);
void fake_vdev_free(struct fake_vdev *v);
struct virtio_platform fake_vdev_platform(struct fake_vdev *v);

/* Device side. */
bool fake_vdev_inject(struct fake_vdev *v, const uint8_t *frame, size_t len);
void fake_vdev_used_raw(struct fake_vdev *v, unsigned q, uint32_t id, uint32_t len);
void fake_vdev_process_tx(struct fake_vdev *v);
/* Sends at most max transmit buffers, one at a time, each followed by
 * the interrupt decision (as QEMU does). Returns how many. */
unsigned fake_vdev_process_tx_n(struct fake_vdev *v, unsigned max);
uint16_t fake_vdev_avail_idx(struct fake_vdev *v, unsigned q);

#endif
