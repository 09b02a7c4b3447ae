/*
 * vdso_map.c — the vDSO in every Linux process (docs/LINUX.md "The
 * vDSO"). The shared object (services/linux/vdso/, carried in our
 * read-only data by vdso_image.S) is copied once into a Memory object of
 * the container's quota; lx_mm_new maps it read+exec at LX_VDSO_ADDR in
 * every address space, as it maps the signal trampoline, so a fork's
 * child has it at the same place and an execve's new address space has it
 * again. The start block names it in AT_SYSINFO_EHDR (exec.c).
 *
 * One copy per container, never shared with another: its pages are
 * mapped without write into the processes (a write is SIGSEGV; an
 * mprotect to PROT_WRITE gets a private copy, mm.c), and nothing in it is
 * secret. The time it tells comes from the kernel info page, which the
 * kernel maps read-only into every task and no capability makes writable.
 */
#include <string.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "lx.h"

extern const uint8_t lx_vdso_image[], lx_vdso_image_end[];

struct lx_mem *lx_vdso(void)
{
    uint64_t len = (uint64_t)(lx_vdso_image_end - lx_vdso_image), bytes = LX_PAGE_UP(len);
    if (len < 64 || bytes > LX_VDSO_MAX) {
        lx_log("linux: the vDSO image is %lu bytes (room for %lu): programs run without it\n",
               (unsigned long)len, (unsigned long)LX_VDSO_MAX);
        return NULL;
    }
    int err;
    struct lx_mem *m = lx_mem_new(bytes, &err);
    if (!m)
        return NULL;
    /* mapped here once to fill it: fewer calls than Memory WRITEs of 176 bytes */
    uint64_t va = ae_vm_reserve(bytes);
    if (!va || lx_task_map(lx.task, m->slot, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) < 0) {
        if (va)
            ae_vm_release(va, bytes);
        lx_mem_put(m);
        return NULL;
    }
    memcpy((void *)va, lx_vdso_image, len);
    ae_task_unmap(lx.task, va, bytes);
    ae_vm_release(va, bytes);
    return m;
}
