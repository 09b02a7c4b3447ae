/*
 * notification.c — Notification objects (see notification.h).
 */
#include "notification.h"
#include "thread.h"
#include "quota.h"
#include <aerie/errors.h>
#include <aerie/syscall.h>

int notification_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    int err;
    struct notification *n = quota_new_object(q, AERIE_OBJ_NOTIFICATION, sizeof *n, 0, &err);
    if (!n)
        return err;
    list_init(&n->waiters);
    *out = &n->obj;
    return 0;
}

void notification_signal(struct notification *n, uint64_t bits)
{
    spin_lock(&n->obj.lock);
    if (!n->obj.dead) {
        if (list_empty(&n->waiters)) {
            n->word |= bits;
        } else {
            struct thread *w = list_entry(list_pop_front(&n->waiters), struct thread, wait_link);
            spin_lock(&w->obj.lock);
            w->result_badge = n->word | bits;
            n->word = 0;
            thread_wake(w, 0);
            spin_unlock(&w->obj.lock);
        }
    }
    spin_unlock(&n->obj.lock);
}

int64_t notification_wait(struct thread *t, struct notification *n, uint64_t timeout, uint64_t *bits)
{
    int64_t ret = 0;
    bool wait = false;
    spin_lock(&n->obj.lock);
    if (n->obj.dead) {
        ret = AE_EDEAD;
    } else if (n->word) {
        *bits = n->word;
        n->word = 0;
    } else if (timeout == AERIE_TIMEOUT_POLL) {
        ret = AE_ETIMEOUT;
    } else {
        spin_lock(&t->obj.lock);
        wait = thread_block(t, WAIT_NTFN, &n->obj, NULL, timeout);
        if (wait)
            list_push_back(&n->waiters, &t->wait_link);
        else
            ret = AE_ECANCELED;
        spin_unlock(&t->obj.lock);
    }
    spin_unlock(&n->obj.lock);
    obj_put(&n->obj);
    if (!wait)
        return ret;
    thread_wait_switch();
    *bits = t->result_badge;
    return t->result;
}

static void notification_teardown(struct kobject *o)
{
    struct notification *n = (struct notification *)o;
    spin_lock(&n->obj.lock);
    struct list *l;
    while ((l = list_pop_front(&n->waiters))) {
        struct thread *w = list_entry(l, struct thread, wait_link);
        spin_lock(&w->obj.lock);
        thread_wake(w, AE_EDEAD);
        spin_unlock(&w->obj.lock);
    }
    spin_unlock(&n->obj.lock);
}

const struct obj_ops notification_ops = {
    .teardown = notification_teardown,
    .size = sizeof(struct notification),
};
