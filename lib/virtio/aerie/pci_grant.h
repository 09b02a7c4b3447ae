/*
 * pci_grant.h — struct virtio_platform on Aerie, from the capabilities
 * root grants a service for one PCI function ("pci:VENDOR:DEVICE" in
 * boot.conf: pci.cfg, pci.barN, pci.irq): configuration space, BARs mapped
 * uncached, and DMA memory from the service's own quota. Shared by the net
 * service (virtio-net) and ctl (virtio-console).
 */
#ifndef AERIE_VIRTIO_PCI_GRANT_H
#define AERIE_VIRTIO_PCI_GRANT_H

#include <stddef.h>
#include <stdint.h>
#include "virtio_platform.h"

#define VIRTIO_GRANT_DMA_MAX 16

/* Memory and mappings made for the driver. */
struct virtio_grant {
    volatile uint8_t *cfg;      /* the function's configuration space */
    struct { volatile uint8_t *va; size_t size; } bar[6];
    struct { void *va; uint64_t bytes, slot; } dma[VIRTIO_GRANT_DMA_MAX];
};

/* Maps the granted configuration space and fills *plat (its ctx is g).
 * 0, AE_ECAP (no "pci.cfg" grant) or AE_EFAULT. */
int virtio_grant_init(struct virtio_grant *g, struct virtio_platform *plat);

#endif
