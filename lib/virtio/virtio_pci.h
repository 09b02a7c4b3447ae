/*
 * virtio_pci.h — the modern (virtio 1.x) PCI transport (virtio 1.1 §4.1):
 * finds the common, notify, ISR and device configuration structures
 * through the vendor-specific PCI capabilities, and drives the device
 * status, feature negotiation and queue set-up through the common
 * configuration. Legacy (0.9) devices are not supported.
 */
#ifndef AERIE_VIRTIO_PCI_H
#define AERIE_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "virtio_platform.h"
#include "virtq.h"

#define VIRTIO_PCI_VENDOR      0x1af4

/* §4.1.4 Virtio Structure PCI Capabilities: cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* §4.1.4.3 struct virtio_pci_common_cfg, byte offsets */
#define VIRTIO_COMMON_DFSELECT   0
#define VIRTIO_COMMON_DF         4
#define VIRTIO_COMMON_GFSELECT   8
#define VIRTIO_COMMON_GF         12
#define VIRTIO_COMMON_MSIX       16
#define VIRTIO_COMMON_NUMQ       18
#define VIRTIO_COMMON_STATUS     20
#define VIRTIO_COMMON_CFGGEN     21
#define VIRTIO_COMMON_Q_SELECT   22
#define VIRTIO_COMMON_Q_SIZE     24
#define VIRTIO_COMMON_Q_MSIX     26
#define VIRTIO_COMMON_Q_ENABLE   28
#define VIRTIO_COMMON_Q_NOFF     30
#define VIRTIO_COMMON_Q_DESC     32
#define VIRTIO_COMMON_Q_DRIVER   40
#define VIRTIO_COMMON_Q_DEVICE   48
#define VIRTIO_COMMON_LEN        56      /* the virtio 1.0 layout */

/* §2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* §6 Reserved Feature Bits */
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* §4.1.4.5 ISR status bits (INTx only) */
#define VIRTIO_ISR_QUEUE  1
#define VIRTIO_ISR_CONFIG 2

struct virtio_pci {
    const struct virtio_platform *plat;
    volatile uint8_t *common;        /* struct virtio_pci_common_cfg */
    volatile uint8_t *isr;
    volatile uint8_t *device;        /* device-specific configuration */
    uint32_t device_len;
    volatile uint8_t *notify;        /* start of the notification structure */
    uint32_t notify_len;
    uint32_t notify_mult;            /* notify_off_multiplier */
    uint8_t  msix_cap;               /* config-space offset of MSI-X, 0: none */
    uint64_t features;               /* negotiated */
};

/* Checks vendor and capabilities, maps the structures, enables memory
 * space and bus mastering. 0, AE_ENOTSUP (not a modern virtio function),
 * AE_ERANGE (a structure lies outside its BAR), AE_EFAULT (map_bar failed). */
int virtio_pci_probe(struct virtio_pci *vp, const struct virtio_platform *plat);

/* §3.1.1 steps 1-3: reset (waiting for it to finish), ACKNOWLEDGE, DRIVER.
 * 0 or AE_ETIMEOUT. */
int virtio_pci_begin(struct virtio_pci *vp);
uint64_t virtio_pci_device_features(struct virtio_pci *vp);
/* §3.1.1 steps 5-6: writes `features`, sets FEATURES_OK and checks the
 * device kept it. 0 or AE_ENOTSUP. */
int virtio_pci_set_features(struct virtio_pci *vp, uint64_t features);
/* §4.1.5.1.3: sets up queue q->index with q's size and addresses, the
 * MSI-X vector (VIRTIO_MSI_NO_VECTOR for INTx), and its notify address,
 * then enables it. 0, AE_ENOTSUP (queue absent, too small, or the vector
 * refused), AE_ERANGE (notify address outside the structure). */
int virtio_pci_queue_setup(struct virtio_pci *vp, struct virtq *q, uint16_t msix_vector);
/* Largest size the device allows for queue `index`, 0 if it has none. */
uint16_t virtio_pci_queue_max(struct virtio_pci *vp, uint16_t index);
void virtio_pci_driver_ok(struct virtio_pci *vp);
void virtio_pci_fail(struct virtio_pci *vp);
uint8_t virtio_pci_status(struct virtio_pci *vp);
/* Reads device configuration bytes consistently (§4.1.4.3.1 config_generation). */
void virtio_pci_read_device(struct virtio_pci *vp, uint32_t off, uint8_t *out, uint32_t len);
/* Reading the ISR acknowledges an INTx interrupt (§4.1.4.5). */
uint8_t virtio_pci_isr(struct virtio_pci *vp);
/* Programs MSI-X table entry 0 with the message the OS gave us for our
 * interrupt and enables MSI-X. 0, AE_ENOTSUP (no MSI-X), AE_ERANGE/AE_EFAULT. */
int virtio_pci_msix_enable(struct virtio_pci *vp, uint64_t addr, uint32_t data);

#endif
