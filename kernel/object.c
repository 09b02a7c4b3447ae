/*
 * object.c — reference counting, destruction queue and freeing for every
 * kernel object (see object.h for the lifetime rules).
 */
#include "object.h"
#include "hot.h"
#include "quota.h"
#include "cap.h"
#include "kmem.h"
#include "percpu.h"
#include "printk.h"
#include "vspace.h"

static uint64_t objects_alive;

void obj_init(struct kobject *o, enum aerie_obj_type type)
{
    o->type = (uint8_t)type;
    o->refs = 1;
    spin_init(&o->lock);
    list_init(&o->quota_link);
    list_init(&o->caps);
    list_init(&o->reap_link);
    __atomic_add_fetch(&objects_alive, 1, __ATOMIC_RELAXED);
}

uint64_t obj_count(void)
{
    return __atomic_load_n(&objects_alive, __ATOMIC_RELAXED);
}

void obj_free_finish(struct kobject *o)
{
    const struct obj_ops *ops = obj_ops[o->type];
    struct quota *q = o->quota;
    uint32_t charge = o->charge;
    bool is_thread = o->type == AERIE_OBJ_THREAD;
    kmem_free(o, ops->size);
    __atomic_sub_fetch(&objects_alive, 1, __ATOMIC_RELAXED);
    if (q) {
        quota_release(q, charge, is_thread ? 1 : 0, 1);
        obj_put(&q->obj);
    }
}

static void obj_free(struct kobject *o)
{
    const struct obj_ops *ops = obj_ops[o->type];
    if (ops->release)
        ops->release(o);
    if (!ops->free_later || !ops->free_later(o))
        obj_free_finish(o);
}

void obj_put_last(struct kobject *o, uint32_t left)
{
    if (left == 0)
        obj_free(o);
    else if (left == (uint32_t)-1)
        panic("obj_put: reference count of object %p (type %u) went below zero, dropped from %p", (void *)o,
              o->type, __builtin_return_address(0));
}

void obj_destroy(struct kobject *o)
{
    if (__atomic_exchange_n(&o->dead, 1, __ATOMIC_ACQ_REL))
        return;
    struct list *l = &this_cpu()->reap_list;
    if (!l->next)
        list_init(l);
    obj_get(o);                          /* the reaper's reference */
    list_push_back(l, &o->reap_link);
}

void obj_reap(void)
{
    struct cpu *c = this_cpu();
    if (c->retired)
        vspace_free_retired();           /* tables this CPU was the last to leave */
    struct list *l = &c->reap_list;
    if (!l->next)
        return;
    struct list *n;
    while ((n = list_pop_front(l))) {
        struct kobject *o = list_entry(n, struct kobject, reap_link);
        const struct obj_ops *ops = obj_ops[o->type];
        if (ops->teardown)
            ops->teardown(o);
        cap_remove_all(o);
        if (o->quota)
            quota_unlink(o->quota, o);
        obj_put(o);                      /* the alive reference */
        obj_put(o);                      /* the reaper's */
    }
}

/* The IPC path's: mostly there is nothing to reap. */
HOT_INLINE void obj_reap_inline(void)
{
    struct cpu *c = this_cpu();
    if (__builtin_expect(c->retired || (c->reap_list.next && !list_empty(&c->reap_list)), 0))
        obj_reap();
}
