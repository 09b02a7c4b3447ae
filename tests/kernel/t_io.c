/*
 * t_io.c — device capabilities: I/O port access within a range only,
 * sub-ranges, device memory outside RAM only, IRQ objects, the kernel
 * debug console's statistics.
 */
#include "kt.h"

KTEST(ioport_in_out_in_range, "I/O ports inside the range work, outside ERANGE, bad width EINVAL")
{
    uint64_t io = ae_capenv_lookup("ioport");
    CHECK(io);
    uint64_t v[1];
    CHECK_OK(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0x3FD, 1), v, 1));     /* COM1 line status */
    CHECK(v[0] & 0x20);                                                    /* transmitter empty */
    CHECK_OK(ae_invokev(io, AERIE_IO_OUT, 0x80, 1, 0));                   /* POST code port */
    CHECK_EQ(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0x3FD, 3), v, 1), AE_EINVAL);
    CHECK_EQ(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0x10000, 1), v, 1), AE_ERANGE);
    uint64_t sub = ae_slot_alloc();
    CHECK_OK(ae_invokev(io, AERIE_IO_SUBRANGE, env->quota, 0x3F8, 0x3FF, sub));
    CHECK_OK(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(0x3FD, 1), v, 1));
    CHECK_EQ(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(0x3FF, 2), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(0x60, 1), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invokev(sub, AERIE_IO_SUBRANGE, env->quota, 0x3F0, 0x3FF, ae_slot_alloc()), AE_ERANGE);
    CHECK_EQ(ae_invokev(sub, AERIE_IO_SUBRANGE, env->quota, 0x3FC, 0x3FA, ae_slot_alloc()), AE_ERANGE);
    uint64_t nomanage = kt_mint(sub, AERIE_R_READ, 0);
    CHECK_EQ(ae_invoke(nomanage, AERIE_IO_IN, 2, AE_ARGS(0x3FD, 1), v, 1), AE_ERIGHTS);
}

KTEST(ioport_range_check_does_not_wrap, "a port near 2^64 cannot wrap past the range check to a port outside it")
{
    uint64_t io = ae_capenv_lookup("ioport"), sub = ae_slot_alloc(), v[1];
    CHECK(io);
    CHECK_OK(ae_invokev(io, AERIE_IO_SUBRANGE, env->quota, 0x3F8, 0x3FF, sub));
    /* ~0 + 2 - 1 wraps to 0; truncated to 16 bits the port is 0xFFFF */
    CHECK_EQ(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(~0ull, 2), v, 1), AE_ERANGE);
    CHECK_EQ(ae_utcb()->mr[0], 0);
    CHECK_EQ(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(~0ull - 2, 4), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(0x103F8, 1), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(~0ull, 2), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0xFFFF, 2), v, 1), AE_ERANGE);
    CHECK_EQ(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0xFFFE, 4), v, 1), AE_ERANGE);
    CHECK_OK(ae_invoke(io, AERIE_IO_IN, 2, AE_ARGS(0xFFFE, 2), v, 1));     /* the last two ports */
    CHECK_OK(ae_invoke(sub, AERIE_IO_IN, 2, AE_ARGS(0x3FE, 2), v, 1));     /* the range's last two */
}

KTEST(devmem_outside_ram_only, "device memory can be made for MMIO ranges, never over RAM")
{
    uint64_t dm = ae_capenv_lookup("devmem"), s = ae_slot_alloc();
    CHECK(dm);
    CHECK_EQ(ae_invokev(dm, AERIE_DEVMEM_CREATE, env->quota, 0x200000, 4096, s), AE_ERANGE);
    CHECK_EQ(ae_invokev(dm, AERIE_DEVMEM_CREATE, env->quota, 0xFED00001, 4096, s), AE_EINVAL);
    CHECK_EQ(ae_invokev(dm, AERIE_DEVMEM_CREATE, env->quota, 0xFED00000, 0, s), AE_EINVAL);
    CHECK_OK(ae_invokev(dm, AERIE_DEVMEM_CREATE, env->quota, 0xFED00000, 4096, s));   /* HPET */
    uint64_t info[2];
    CHECK_OK(ae_invoke(s, AERIE_MEM_INFO, 0, 0, info, 2));
    CHECK_EQ(info[0], 4096);
    CHECK(info[1] & 0x2);                                 /* device */
    CHECK_OK(ae_task_map(ae_self.task, s, 0, 0x60000000, 4096, AERIE_MAP_R));
    uint32_t cap = *(volatile uint32_t *)0x60000000;        /* HPET capabilities register */
    CHECK((cap & 0xFF) != 0);                               /* revision id */
}

KTEST(irq_objects, "IRQ lines and MSI vectors are handed out once, bound and acknowledged")
{
    uint64_t ctl = ae_capenv_lookup("irqctl");
    uint64_t a = ae_slot_alloc(), b = ae_slot_alloc(), m = ae_slot_alloc();
    CHECK(ctl);
    CHECK_OK(ae_invokev(ctl, AERIE_IRQCTL_GET_GSI, env->quota, 3, 0, a));   /* COM2's line */
    CHECK_EQ(ae_invokev(ctl, AERIE_IRQCTL_GET_GSI, env->quota, 3, 0, b), AE_EBUSY);
    CHECK_EQ(ae_invokev(ctl, AERIE_IRQCTL_GET_GSI, env->quota, 999, 0, b), AE_EINVAL);
    CHECK_EQ(ae_invokev(ctl, AERIE_IRQCTL_GET_GSI, env->quota, 5, 0x10, b), AE_EINVAL);
    uint64_t msi[2];
    CHECK_OK(ae_invoke(ctl, AERIE_IRQCTL_GET_MSI, 3, AE_ARGS(env->quota, m, 0), msi, 2));
    CHECK_EQ(msi[0] & 0xFFF00000, 0xFEE00000);
    CHECK(msi[1] >= 32 && msi[1] < 224);
    uint64_t n = kt_new(env, AERIE_OBJ_NOTIFICATION, 0, 0, 0);
    CHECK_EQ(ae_invokev(a, AERIE_IRQ_BIND, n, 0), AE_EINVAL);
    CHECK_OK(ae_invokev(a, AERIE_IRQ_BIND, n, 0x2));
    CHECK_OK(ae_invoke0(a, AERIE_IRQ_ACK));
    CHECK_OK(ae_cap_delete(a));                          /* frees the line */
    CHECK_OK(ae_invokev(ctl, AERIE_IRQCTL_GET_GSI, env->quota, 3, 0, b));
}

KTEST(kdebug_stats, "the debug console reports pages, objects and CPUs")
{
    uint64_t s[4];
    CHECK_OK(ae_kdebug_stats(ae_self.kdebug, s));
    CHECK(s[0] > 0 && s[0] <= s[1]);
    CHECK(s[2] > 0);
    CHECK_EQ(s[3], kt_ncpus());
    uint64_t ro = kt_mint(ae_self.kdebug, AERIE_R_READ, 0);
    CHECK_EQ(ae_kdebug_stats(ro, s), AE_ERIGHTS);
}
