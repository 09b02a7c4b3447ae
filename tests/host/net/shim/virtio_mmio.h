/*
 * virtio_mmio.h (host test shim) — replaces lib/virtio/
 * virtio_mmio.h for the host tests: the driver's register accesses go to
 * the fake virtio-net device in tests/host/net/fake_virtio.c, which gives
 * them register semantics (selectors, read-to-clear, notifications).
 */
#ifndef AERIE_VIRTIO_MMIO_H
#define AERIE_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

uint8_t mmio_read8(volatile uint8_t *base, size_t off);
uint16_t mmio_read16(volatile uint8_t *base, size_t off);
uint32_t mmio_read32(volatile uint8_t *base, size_t off);
void mmio_write8(volatile uint8_t *base, size_t off, uint8_t v);
void mmio_write16(volatile uint8_t *base, size_t off, uint16_t v);
void mmio_write32(volatile uint8_t *base, size_t off, uint32_t v);

#endif
