/*
 * pci_grant.c — what a virtio driver needs from Aerie (struct
 * virtio_platform, lib/virtio/virtio_platform.h), built from exactly the
 * capabilities root granted for one PCI function (grant "pci:VENDOR:DEVICE":
 * the net service's NIC, ctl's console):
 *
 *   pci.cfg    the function's 4 KiB of PCI configuration space (ECAM)
 *   pci.barN   device memory for BAR N, mapped uncached by the kernel
 *   DMA        Memory objects made from the service's own quota with
 *              AERIE_MEM_CONTIG; the quota capability gives MANAGE on
 *              them, which AERIE_MEM_PHYS needs for the physical address
 */
#include <stdio.h>
#include <string.h>
#include <aerie/errors.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "pci_grant.h"

#define PCI_BAR0 0x10

static void *dma_alloc(void *ctx, size_t size, size_t align, uint64_t *phys)
{
    struct virtio_grant *p = ctx;
    uint64_t bytes = (size + 4095) & ~4095ull;
    if (align > 4096)                       /* a contiguous block is aligned to a page at least */
        return NULL;
    for (unsigned i = 0; i < VIRTIO_GRANT_DMA_MAX; i++) {
        if (p->dma[i].va)
            continue;
        uint64_t slot = ae_slot_alloc(), va = ae_vm_reserve(bytes);
        if (!slot || !va)
            return NULL;
        if (ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, slot, bytes, AERIE_MEM_CONTIG, 0) < 0) {
            ae_slot_free(slot);
            ae_vm_release(va, bytes);
            return NULL;
        }
        if (ae_task_map(ae_self.task, slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0 ||
            ae_invoke(slot, AERIE_MEM_PHYS, 1, AE_ARGS(0), phys, 1) < 0) {
            ae_task_unmap(ae_self.task, va, bytes);
            ae_vm_release(va, bytes);
            ae_cap_delete(slot);
            ae_slot_free(slot);
            return NULL;
        }
        p->dma[i].va = (void *)va;
        p->dma[i].bytes = bytes;
        p->dma[i].slot = slot;
        return (void *)va;                  /* zeroed: new memory always is */
    }
    return NULL;
}

static void dma_free(void *ctx, void *virt, size_t size)
{
    struct virtio_grant *p = ctx;
    for (unsigned i = 0; i < VIRTIO_GRANT_DMA_MAX; i++) {
        if (p->dma[i].va != virt)
            continue;
        ae_mem_unmap_delete(virt, p->dma[i].bytes, p->dma[i].slot);
        p->dma[i].va = NULL;
        return;
    }
}

static uint32_t pci_read(void *ctx, uint16_t off, unsigned width)
{
    volatile uint8_t *c = ((struct virtio_grant *)ctx)->cfg + (off & 4095);
    return width == 1 ? *c : width == 2 ? *(volatile uint16_t *)c : *(volatile uint32_t *)c;
}

static void pci_write(void *ctx, uint16_t off, unsigned width, uint32_t v)
{
    volatile uint8_t *c = ((struct virtio_grant *)ctx)->cfg + (off & 4095);
    if (width == 1)
        *c = (uint8_t)v;
    else if (width == 2)
        *(volatile uint16_t *)c = (uint16_t)v;
    else
        *(volatile uint32_t *)c = v;
}

/* Maps Memory capability `slot` read-write; its size in *bytes. */
static volatile uint8_t *map_device(uint64_t slot, uint64_t *bytes)
{
    uint64_t info[2];
    if (ae_invoke(slot, AERIE_MEM_INFO, 0, 0, info, 2) < 0 || !info[0])
        return NULL;
    uint64_t va = ae_vm_reserve(info[0]);
    if (!va || ae_task_map(ae_self.task, slot, 0, va, info[0], AERIE_MAP_R | AERIE_MAP_W) < 0)
        return NULL;
    *bytes = info[0];
    return (volatile uint8_t *)va;
}

static volatile uint8_t *map_bar(void *ctx, unsigned bar, size_t *size)
{
    struct virtio_grant *p = ctx;
    if (bar >= 6)
        return NULL;
    if (!p->bar[bar].va) {
        char name[16];
        snprintf(name, sizeof name, "pci.bar%u", bar);
        uint64_t slot = ae_capenv_lookup(name), bytes, badge;
        if (!slot || (ae_cap_info(slot, &badge) & 0xff) != AERIE_OBJ_MEMORY)
            return NULL;                    /* absent, or an I/O BAR */
        volatile uint8_t *va = map_device(slot, &bytes);
        if (!va)
            return NULL;
        /* Root granted whole pages; a BAR need not start on one. */
        uint32_t reg = pci_read(p, (uint16_t)(PCI_BAR0 + 4 * bar), 4);
        uint64_t in_page = reg & 0xff0u;
        if (in_page >= bytes)
            return NULL;
        p->bar[bar].va = va + in_page;
        p->bar[bar].size = bytes - in_page;
    }
    *size = p->bar[bar].size;
    return p->bar[bar].va;
}

int virtio_grant_init(struct virtio_grant *g, struct virtio_platform *plat)
{
    uint64_t slot = ae_capenv_lookup("pci.cfg"), bytes;
    if (!slot)
        return AE_ECAP;
    g->cfg = map_device(slot, &bytes);
    if (!g->cfg || bytes < 4096)
        return AE_EFAULT;
    *plat = (struct virtio_platform){
        .ctx = g, .dma_alloc = dma_alloc, .dma_free = dma_free,
        .pci_read = pci_read, .pci_write = pci_write, .map_bar = map_bar,
    };
    return 0;
}
