/*
 * notification.h — the Notification object: a 64-bit word of signal bits.
 * SIGNAL ORs bits in (a badged capability can only signal its badge) and
 * wakes one waiter; a wait returns the accumulated bits and clears them.
 * IRQ objects and timers signal notifications.
 *
 * Locking: obj.lock guards the word and the waiter queue.
 */
#ifndef AERIE_NOTIFICATION_H
#define AERIE_NOTIFICATION_H

#include "object.h"
#include "cap.h"

struct thread;

struct notification {
    struct kobject obj;
    uint64_t word;
    struct list waiters;
};

int notification_create(struct quota *q, struct invocation *inv, struct kobject **out);
void notification_signal(struct notification *n, uint64_t bits);
/* Waits for bits; consumes the reference on n. */
int64_t notification_wait(struct thread *t, struct notification *n, uint64_t timeout, uint64_t *bits);

extern const struct obj_ops notification_ops;

#endif
