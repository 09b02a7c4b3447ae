/*
 * ioport.c — I/O port ranges, device memory and the kernel debug console
 * (see ioport.h).
 */
#include "ioport.h"
#include "ipc.h"
#include "quota.h"
#include "memobj.h"
#include "thread.h"
#include "bootinfo.h"
#include "pmm.h"
#include "vspace.h"
#include "percpu.h"
#include "printk.h"
#include "layout.h"
#include "arch_hooks.h"
#include "cpu.h"
#include <aerie/errors.h>

struct ioport *ioport_new(struct quota *q, uint16_t first, uint16_t last, int *err)
{
    struct ioport *io = quota_new_object(q, AERIE_OBJ_IOPORT, sizeof *io, 0, err);
    if (io) {
        io->first = first;
        io->last = last;
    }
    return io;
}

static int io_access(struct ioport *io, struct invocation *inv, bool out)
{
    uint64_t port, width, value = 0;
    if (inv_arg(inv, 0, &port) || inv_arg(inv, 1, &width) || (out && inv_arg(inv, 2, &value)))
        return AE_EINVAL;
    if (width != 1 && width != 2 && width != 4)
        return inv_fail(inv, 1, AE_EINVAL);
    /* port is a 64-bit word: compare without adding to it, or a port near
     * 2^64 would wrap round to pass and then be truncated to 16 bits. */
    if (port < io->first || port > io->last || width - 1 > io->last - port)
        return inv_fail(inv, 0, AE_ERANGE);
    uint16_t p = (uint16_t)port;
    if (out) {
        if (width == 1) outb(p, (uint8_t)value);
        else if (width == 2) outw(p, (uint16_t)value);
        else outl(p, (uint32_t)value);
        return 0;
    }
    inv->reply[0] = width == 1 ? inb(p) : width == 2 ? inw(p) : inl(p);
    inv->nreply = 1;
    return 0;
}

static int io_subrange(struct ioport *io, struct invocation *inv)
{
    uint64_t qslot, first, last, slot;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &first) || inv_arg(inv, 2, &last) ||
        inv_arg(inv, 3, &slot))
        return AE_EINVAL;
    if (first < io->first || first > last)
        return inv_fail(inv, 1, AE_ERANGE);
    if (last > io->last)
        return inv_fail(inv, 2, AE_ERANGE);
    struct cspace *cs = thread_cspace(inv->caller);
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 3, err);
    struct capref qc;
    if ((err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc)))
        return inv_fail(inv, 0, err);
    struct ioport *sub = ioport_new((struct quota *)qc.obj, (uint16_t)first, (uint16_t)last, &err);
    capref_put(&qc);
    if (!sub)
        return inv_fail(inv, 0, err);
    err = quota_install_new(sub->obj.quota, cs, slot, &sub->obj, AERIE_R_ALL);
    return err ? inv_fail(inv, 3, err) : 0;
}

int ioport_invoke(struct ioport *io, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    if (!(cap->rights & AERIE_R_MANAGE))
        return AE_ERIGHTS;
    switch (label) {
    case AERIE_IO_IN:       return io_access(io, inv, false);
    case AERIE_IO_OUT:      return io_access(io, inv, true);
    case AERIE_IO_SUBRANGE: return io_subrange(io, inv);
    default:                return AE_ENOSYS;
    }
}

/* True if [base, base+len) touches usable RAM. */
static bool overlaps_ram(uint64_t base, uint64_t len)
{
    for (unsigned i = 0; i < bootinfo.nram; i++)
        if (base < bootinfo.ram[i].base + bootinfo.ram[i].len && bootinfo.ram[i].base < base + len)
            return true;
    return base < 0x100000;                  /* BIOS area: not a device either */
}

int devmem_invoke(struct devmem *d, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    if (!(cap->rights & AERIE_R_MANAGE))
        return AE_ERIGHTS;
    if (label != AERIE_DEVMEM_CREATE)
        return AE_ENOSYS;
    uint64_t qslot, phys, bytes, slot;
    if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &phys) || inv_arg(inv, 2, &bytes) ||
        inv_arg(inv, 3, &slot))
        return AE_EINVAL;
    if (phys % PAGE_SIZE || phys >= (1ull << 52))
        return inv_fail(inv, 1, AE_EINVAL);
    if (bytes == 0 || bytes % PAGE_SIZE || bytes > (1ull << 32) || phys + bytes > (1ull << 52))
        return inv_fail(inv, 2, AE_EINVAL);
    if (overlaps_ram(phys, bytes))
        return inv_fail(inv, 1, AE_ERANGE);
    struct cspace *cs = thread_cspace(inv->caller);
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 3, err);
    struct capref qc;
    if ((err = cap_lookup(cs, qslot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc)))
        return inv_fail(inv, 0, err);
    struct memobj *m = memobj_create_fixed((struct quota *)qc.obj, phys, bytes, MEMOBJ_DEVICE, &err);
    capref_put(&qc);
    if (!m)
        return inv_fail(inv, 0, err);
    err = quota_install_new(m->obj.quota, cs, slot, &m->obj, AERIE_R_READ | AERIE_R_WRITE | AERIE_R_MANAGE);
    return err ? inv_fail(inv, 3, err) : 0;
}

int kdebug_invoke(struct kobject *k, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    if (!(cap->rights & AERIE_R_WRITE))
        return AE_ERIGHTS;
    switch (label) {
    case AERIE_KDEBUG_WRITE: {
        uint64_t len;
        if (inv_arg(inv, 0, &len))
            return AE_EINVAL;
        if (len > (AERIE_MSG_WORDS - 1) * 8)
            return inv_fail(inv, 0, AE_EINVAL);
        /* The bytes are printed straight from the UTCB: if the task changes
         * them meanwhile it only garbles its own text. */
        kprintf("%.*s", (int)len, (const char *)&inv->reply[1]);
        return 0;
    }
    case AERIE_KDEBUG_STATS:
        vspace_settle(100000000);                /* tables another CPU was still leaving */
        inv->reply[0] = pmm_free_pages();
        inv->reply[1] = pmm_total_pages();
        inv->reply[2] = obj_count();
        inv->reply[3] = ncpus;
        ipc_stats(&inv->reply[4], &inv->reply[5]);
        inv->nreply = 6;
        return 0;
    case AERIE_KDEBUG_FLUSH_BENCH: {
        uint64_t rounds, pages;
        if (inv_arg(inv, 0, &rounds) || inv_arg(inv, 1, &pages))
            return AE_EINVAL;
        if (rounds == 0 || rounds > AERIE_KDEBUG_FLUSH_ROUNDS)
            return inv_fail(inv, 0, AE_EINVAL);
        if (pages > AERIE_KDEBUG_FLUSH_PAGES)
            return inv_fail(inv, 1, AE_EINVAL);
        inv->reply[0] = arch_flush_bench(rounds, (unsigned)pages);
        inv->nreply = 1;
        return 0;
    }
    case AERIE_KDEBUG_EXIT: {
        uint64_t code = 0;
        if (inv->nargs)
            code = inv->args[0];
        arch_qemu_exit((int)code);
        return 0;
    }
    default:
        return AE_ENOSYS;
    }
}

const struct obj_ops ioport_ops = { .size = sizeof(struct ioport) };
const struct obj_ops devmem_ops = { .size = sizeof(struct devmem) };
const struct obj_ops kdebug_ops = { .size = sizeof(struct kobject) };
