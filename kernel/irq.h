/*
 * irq.h — IRQ control and IRQ objects: how a user-level driver receives
 * its device's interrupts. An IRQ object owns one vector (an I/O APIC
 * line or an MSI); each interrupt masks the line and signals the bound
 * notification; the driver acknowledges to unmask.
 *
 * Locking: irq_table_lock guards the vector table; obj.lock guards the
 * binding.
 */
#ifndef AERIE_IRQ_H
#define AERIE_IRQ_H

#include "object.h"
#include "cap.h"

struct notification;

struct irq {
    struct kobject obj;
    int32_t gsi;                  /* -1 for MSI */
    uint8_t vector;
    uint8_t cpu;
    struct notification *ntfn;    /* reference held */
    uint64_t bits;
    uint64_t count;
};

void irq_init(void);
int irqctl_invoke(struct kobject *ctl, const struct capref *cap, uint64_t label, struct invocation *inv);
int irq_invoke(struct irq *irq, const struct capref *cap, uint64_t label, struct invocation *inv);

extern const struct obj_ops irq_ops, irqctl_ops;

#endif
