/*
 * virtio_platform.h — everything a virtio driver (the net service's
 * virtio-net, ctl's virtio-console) needs from the OS, in one table the OS
 * glue fills in (docs/NET.md, "What the glue provides"; on Aerie,
 * lib/virtio/aerie/pci_grant.c). The drivers never call the OS any other
 * way, so they build and are tested on the host against a fake.
 *
 * Threading: all calls come from the driver's one thread.
 */
#ifndef AERIE_VIRTIO_PLATFORM_H
#define AERIE_VIRTIO_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct virtio_platform {
    void *ctx;                   /* passed back to every call */

    /* Memory the device can read and write (DMA): zeroed, physically
     * contiguous, aligned to `align` (a power of two up to 4096), mapped
     * write-back cacheable (virtio devices are cache-coherent on x86).
     * Returns the virtual address and sets *phys, or returns NULL. */
    void *(*dma_alloc)(void *ctx, size_t size, size_t align, uint64_t *phys);
    void  (*dma_free)(void *ctx, void *virt, size_t size);

    /* The device function's PCI configuration space: offset 0..4095, width
     * 1, 2 or 4 bytes, naturally aligned. */
    uint32_t (*pci_read)(void *ctx, uint16_t offset, unsigned width);
    void     (*pci_write)(void *ctx, uint16_t offset, unsigned width, uint32_t value);

    /* Maps memory BAR `bar` (0..5) uncached into the service and returns
     * its base, with its length in *size; NULL if the BAR is absent, an
     * I/O BAR, or cannot be mapped. The driver may call it more than once
     * for the same BAR and expects the same mapping. */
    volatile uint8_t *(*map_bar)(void *ctx, unsigned bar, size_t *size);
};

#endif
