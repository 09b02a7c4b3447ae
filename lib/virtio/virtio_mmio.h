/*
 * virtio_mmio.h — register access for the virtio drivers: natural-width
 * volatile loads and stores (virtio 1.1 §4.1.3.1: 8-bit fields with 8-bit
 * accesses, 16-bit with 16-bit, 32- and 64-bit fields with 32-bit ones).
 * Virtio registers are little-endian, as is x86, so no swapping.
 *
 * The host tests replace this header (tests/host/net/shim/) with one that
 * routes the same calls to a fake device, which is why the driver includes
 * it as <virtio_mmio.h>.
 */
#ifndef AERIE_VIRTIO_MMIO_H
#define AERIE_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio registers are little-endian");

static inline uint8_t mmio_read8(volatile uint8_t *base, size_t off)
{
    return *(volatile uint8_t *)(base + off);
}

static inline uint16_t mmio_read16(volatile uint8_t *base, size_t off)
{
    return *(volatile uint16_t *)(base + off);
}

static inline uint32_t mmio_read32(volatile uint8_t *base, size_t off)
{
    return *(volatile uint32_t *)(base + off);
}

static inline void mmio_write8(volatile uint8_t *base, size_t off, uint8_t v)
{
    *(volatile uint8_t *)(base + off) = v;
}

static inline void mmio_write16(volatile uint8_t *base, size_t off, uint16_t v)
{
    *(volatile uint16_t *)(base + off) = v;
}

static inline void mmio_write32(volatile uint8_t *base, size_t off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

#endif
