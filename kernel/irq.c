/*
 * irq.c — IRQ control and IRQ objects (see irq.h).
 */
#include "irq.h"
#include "notification.h"
#include "quota.h"
#include "thread.h"
#include "apic.h"
#include "acpi.h"
#include "percpu.h"
#include "trap.h"
#include "printk.h"
#include <aerie/errors.h>

#define MAX_GSI 256

static spinlock_t irq_table_lock = SPINLOCK_INIT;
static struct irq *vector_owner[256];
static bool gsi_taken[MAX_GSI];

static void irq_interrupt(struct trap_frame *tf, unsigned vec)
{
    spin_lock(&irq_table_lock);
    struct irq *irq = vector_owner[vec];
    if (irq)
        obj_get(&irq->obj);
    spin_unlock(&irq_table_lock);
    if (irq && irq->gsi >= 0)
        ioapic_mask((uint32_t)irq->gsi, true);
    lapic_eoi();
    if (!irq)
        return;
    spin_lock(&irq->obj.lock);
    irq->count++;
    struct notification *n = irq->ntfn;
    uint64_t bits = irq->bits;
    if (n)
        obj_get(&n->obj);
    spin_unlock(&irq->obj.lock);
    if (n) {
        notification_signal(n, bits);
        obj_put(&n->obj);
    }
    obj_put(&irq->obj);
}

void irq_init(void)
{
    for (unsigned v = VEC_IRQ_BASE; v <= VEC_IRQ_LAST; v++)
        trap_set_handler(v, irq_interrupt);
}

/* Claims a free vector for irq; table lock held. */
static int claim_vector(struct irq *irq)
{
    for (unsigned v = VEC_IRQ_BASE; v <= VEC_IRQ_LAST; v++) {
        if (!vector_owner[v]) {
            vector_owner[v] = irq;
            irq->vector = (uint8_t)v;
            return 0;
        }
    }
    return AE_EBUSY;
}

static int make_irq(struct invocation *inv, uint64_t quota_slot, int32_t gsi, unsigned cpu,
                    struct irq **out)
{
    struct capref qc;
    int err = cap_lookup(thread_cspace(inv->caller), quota_slot, AERIE_OBJ_QUOTA, AERIE_R_MANAGE, &qc);
    if (err)
        return inv_fail(inv, 0, err);
    struct irq *irq = quota_new_object((struct quota *)qc.obj, AERIE_OBJ_IRQ, sizeof *irq, 0, &err);
    capref_put(&qc);
    if (!irq)
        return inv_fail(inv, 0, err);
    irq->gsi = gsi;
    irq->cpu = (uint8_t)cpu;
    spin_lock(&irq_table_lock);
    if (gsi >= 0 && gsi_taken[gsi])
        err = AE_EBUSY;
    else
        err = claim_vector(irq);
    if (!err && gsi >= 0)
        gsi_taken[gsi] = true;
    spin_unlock(&irq_table_lock);
    if (err) {
        irq->vector = 0;
        obj_put(&irq->obj);
        return inv_fail(inv, 1, err);
    }
    *out = irq;
    return 0;
}

/* Installs the new IRQ's capability, or undoes it. */
static int finish_create(struct invocation *inv, struct irq *irq, uint64_t slot, unsigned slot_arg)
{
    int err = quota_install_new(irq->obj.quota, thread_cspace(inv->caller), slot, &irq->obj, AERIE_R_ALL);
    return err ? inv_fail(inv, slot_arg, err) : 0;
}

int irqctl_invoke(struct kobject *ctl, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    uint64_t qslot, a, flags, slot;
    struct irq *irq;
    int err;
    if (!(cap->rights & AERIE_R_MANAGE))
        return AE_ERIGHTS;
    switch (label) {
    case AERIE_IRQCTL_GET_GSI:
        if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &a) || inv_arg(inv, 2, &flags) || inv_arg(inv, 3, &slot))
            return AE_EINVAL;
        if (a >= MAX_GSI)
            return inv_fail(inv, 1, AE_EINVAL);
        if (flags & ~(uint64_t)(AERIE_IRQ_LEVEL | AERIE_IRQ_ACTIVE_LOW))
            return inv_fail(inv, 2, AE_EINVAL);
        if ((err = cap_slot_usable(thread_cspace(inv->caller), slot)))
            return inv_fail(inv, 3, err);
        if ((err = make_irq(inv, qslot, (int32_t)a, 0, &irq)))
            return err;
        if (!ioapic_route((uint32_t)a, irq->vector, cpus[0].apic_id, flags & AERIE_IRQ_LEVEL,
                          flags & AERIE_IRQ_ACTIVE_LOW)) {
            obj_destroy(&irq->obj);
            return inv_fail(inv, 1, AE_EINVAL);
        }
        return finish_create(inv, irq, slot, 3);
    case AERIE_IRQCTL_GET_MSI:
        if (inv_arg(inv, 0, &qslot) || inv_arg(inv, 1, &slot) || inv_arg(inv, 2, &a))
            return AE_EINVAL;
        if (a >= ncpus)
            return inv_fail(inv, 2, AE_EINVAL);
        if ((err = cap_slot_usable(thread_cspace(inv->caller), slot)))
            return inv_fail(inv, 1, err);
        if ((err = make_irq(inv, qslot, -1, (unsigned)a, &irq)))
            return err;
        inv->reply[0] = 0xFEE00000ull | ((uint64_t)cpus[a].apic_id << 12);
        inv->reply[1] = irq->vector;
        inv->nreply = 2;
        return finish_create(inv, irq, slot, 1);
    default:
        return AE_ENOSYS;
    }
}

int irq_invoke(struct irq *irq, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    if (!(cap->rights & AERIE_R_MANAGE))
        return AE_ERIGHTS;
    switch (label) {
    case AERIE_IRQ_BIND: {
        uint64_t slot, bits;
        if (inv_arg(inv, 0, &slot) || inv_arg(inv, 1, &bits))
            return AE_EINVAL;
        if (!bits)
            return inv_fail(inv, 1, AE_EINVAL);
        struct capref nc;
        int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_NOTIFICATION, AERIE_R_WRITE, &nc);
        if (err)
            return inv_fail(inv, 0, err);
        spin_lock(&irq->obj.lock);
        struct notification *old = irq->ntfn;
        irq->ntfn = (struct notification *)nc.obj;      /* the lookup's reference */
        irq->bits = bits;
        spin_unlock(&irq->obj.lock);
        if (old)
            obj_put(&old->obj);
        if (irq->gsi >= 0)
            ioapic_mask((uint32_t)irq->gsi, false);
        return 0;
    }
    case AERIE_IRQ_ACK:
        if (irq->gsi >= 0)
            ioapic_mask((uint32_t)irq->gsi, false);
        return 0;
    default:
        return AE_ENOSYS;
    }
}

static void irq_teardown(struct kobject *o)
{
    struct irq *irq = (struct irq *)o;
    if (irq->gsi >= 0)
        ioapic_mask((uint32_t)irq->gsi, true);
    spin_lock(&irq_table_lock);
    if (irq->vector && vector_owner[irq->vector] == irq)
        vector_owner[irq->vector] = NULL;
    if (irq->gsi >= 0)
        gsi_taken[irq->gsi] = false;
    spin_unlock(&irq_table_lock);
}

static void irq_release(struct kobject *o)
{
    struct irq *irq = (struct irq *)o;
    if (irq->ntfn)
        obj_put(&irq->ntfn->obj);
    /* An IRQ that never got a capability was never torn down. */
    spin_lock(&irq_table_lock);
    if (irq->vector && vector_owner[irq->vector] == irq)
        vector_owner[irq->vector] = NULL;
    spin_unlock(&irq_table_lock);
}

const struct obj_ops irq_ops = {
    .teardown = irq_teardown,
    .release = irq_release,
    .size = sizeof(struct irq),
};

const struct obj_ops irqctl_ops = {
    .size = sizeof(struct kobject),
};
