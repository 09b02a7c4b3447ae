/*
 * quota.c — the Quota object (see quota.h): charging, object creation,
 * child quotas, and destroying everything a quota made.
 */
#include "quota.h"
#include "kmem.h"
#include "printk.h"
#include "task.h"
#include "thread.h"
#include "ipc.h"
#include "notification.h"
#include "memobj.h"
#include <aerie/errors.h>

int quota_reserve(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects)
{
    spin_lock(&q->obj.lock);
    int err = 0;
    if (q->obj.dead)
        err = AE_EDEAD;
    else if (bytes > q->limit_bytes - q->used_bytes)
        err = AE_ENOMEM;
    else if (threads > q->limit_threads - q->used_threads ||
             objects > q->limit_objects - q->used_objects)
        err = AE_ELIMIT;
    if (!err) {
        q->used_bytes += bytes;
        q->used_threads += threads;
        q->used_objects += objects;
    }
    spin_unlock(&q->obj.lock);
    return err;
}

void quota_release(struct quota *q, uint64_t bytes, uint32_t threads, uint32_t objects)
{
    spin_lock(&q->obj.lock);
    if (bytes > q->used_bytes || threads > q->used_threads || objects > q->used_objects)
        panic("quota_release: releasing more than was charged (%lu bytes of %lu)", bytes, q->used_bytes);
    q->used_bytes -= bytes;
    q->used_threads -= threads;
    q->used_objects -= objects;
    spin_unlock(&q->obj.lock);
}

void *quota_new_object(struct quota *q, enum aerie_obj_type type, size_t size, uint64_t extra, int *err)
{
    uint64_t charge = kmem_footprint(size);
    *err = quota_reserve(q, charge + extra, type == AERIE_OBJ_THREAD, 1);
    if (*err)
        return NULL;
    struct kobject *o = kmem_alloc(size);
    if (!o) {
        quota_release(q, charge + extra, type == AERIE_OBJ_THREAD, 1);
        *err = AE_ENOMEM;
        return NULL;
    }
    obj_init(o, type);
    o->quota = q;
    o->charge = (uint32_t)charge;
    obj_get(&q->obj);
    /* extra bytes stay charged to q under the object's own bookkeeping */
    return o;
}

/* Links a fully built object into q; if q is being destroyed, the object
 * is destroyed too and AE_EDEAD returned. */
int quota_adopt(struct quota *q, struct kobject *o)
{
    spin_lock(&q->obj.lock);
    bool dead = q->obj.dead;
    if (!dead)
        list_push_back(&q->objects, &o->quota_link);
    spin_unlock(&q->obj.lock);
    if (dead)
        obj_destroy(o);
    return dead ? AE_EDEAD : 0;
}

void quota_unlink(struct quota *q, struct kobject *o)
{
    spin_lock(&q->obj.lock);
    list_remove(&o->quota_link);
    spin_unlock(&q->obj.lock);
}

struct quota *quota_create_root(uint64_t bytes)
{
    struct quota *q = kmem_alloc(sizeof *q);
    if (!q)
        panic("no memory for the root quota");
    obj_init(&q->obj, AERIE_OBJ_QUOTA);
    q->limit_bytes = bytes;
    q->limit_threads = 1u << 30;
    q->limit_objects = 1u << 30;
    list_init(&q->objects);
    return q;
}

/* ---- object hooks ---- */

static void quota_teardown(struct kobject *o)
{
    struct quota *q = (struct quota *)o;
    spin_lock(&q->obj.lock);
    list_for_each(n, &q->objects)
        obj_destroy(list_entry(n, struct kobject, quota_link));
    spin_unlock(&q->obj.lock);
}

static void quota_release_hook(struct kobject *o)
{
    struct quota *q = (struct quota *)o;
    if (q->used_bytes || q->used_threads || q->used_objects)
        panic("quota freed with %lu bytes, %u threads, %u objects still charged",
              q->used_bytes, q->used_threads, q->used_objects);
    if (q->parent) {
        quota_release(q->parent, q->limit_bytes, q->limit_threads, q->limit_objects);
        obj_put(&q->parent->obj);
    }
}

const struct obj_ops quota_ops = {
    .teardown = quota_teardown,
    .release = quota_release_hook,
    .size = sizeof(struct quota),
};

/* ---- methods ---- */

static int create_child_quota(struct quota *q, struct invocation *inv, struct kobject **out)
{
    uint64_t bytes, threads, objects;
    if (inv_arg(inv, 2, &bytes) || inv_arg(inv, 3, &threads) || inv_arg(inv, 4, &objects))
        return AE_EINVAL;
    if (threads > (1u << 30))
        return inv_fail(inv, 3, AE_EINVAL);
    if (objects > (1u << 30))
        return inv_fail(inv, 4, AE_EINVAL);
    int err = quota_reserve(q, bytes, (uint32_t)threads, (uint32_t)objects);
    if (err)
        return inv_fail(inv, 2, err);
    struct quota *c = quota_new_object(q, AERIE_OBJ_QUOTA, sizeof *c, 0, &err);
    if (!c) {
        quota_release(q, bytes, (uint32_t)threads, (uint32_t)objects);
        return err;
    }
    c->parent = q;
    obj_get(&q->obj);
    c->limit_bytes = bytes;
    c->limit_threads = (uint32_t)threads;
    c->limit_objects = (uint32_t)objects;
    list_init(&c->objects);
    *out = &c->obj;
    return 0;
}

/* Decodes CREATE's type-specific arguments and makes the object. */
static int create_object(struct quota *q, uint64_t type, struct invocation *inv, struct kobject **out)
{
    switch (type) {
    case AERIE_OBJ_QUOTA:        return create_child_quota(q, inv, out);
    case AERIE_OBJ_TASK:         return task_create(q, inv, out);
    case AERIE_OBJ_THREAD:       return thread_create(q, inv, out);
    case AERIE_OBJ_ENDPOINT:     return endpoint_create(q, inv, out);
    case AERIE_OBJ_NOTIFICATION: return notification_create(q, inv, out);
    case AERIE_OBJ_MEMORY:       return memobj_create(q, inv, out);
    default:                     return inv_fail(inv, 0, AE_EINVAL);
    }
}

static int quota_method_create(struct quota *q, struct invocation *inv)
{
    uint64_t type, slot;
    if (inv_arg(inv, 0, &type) || inv_arg(inv, 1, &slot))
        return AE_EINVAL;
    struct cspace *cs = thread_cspace(inv->caller);
    int err = cap_slot_usable(cs, slot);
    if (err)
        return inv_fail(inv, 1, err);
    struct kobject *o = NULL;
    err = create_object(q, type, inv, &o);
    if (err)
        return err;
    err = cap_install(cs, slot, o, AERIE_R_ALL, 0);
    if (err) {
        /* The slot was taken meanwhile: undo the whole creation. */
        obj_destroy(o);
        return inv_fail(inv, 1, err);
    }
    return quota_adopt(q, o);
}

int quota_invoke(struct quota *q, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    switch (label) {
    case AERIE_QUOTA_CREATE:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        return quota_method_create(q, inv);
    case AERIE_QUOTA_INFO:
        if (!(cap->rights & AERIE_R_READ))
            return AE_ERIGHTS;
        spin_lock(&q->obj.lock);
        inv->reply[0] = q->limit_bytes;
        inv->reply[1] = q->used_bytes;
        inv->reply[2] = q->limit_threads;
        inv->reply[3] = q->used_threads;
        inv->reply[4] = q->limit_objects;
        inv->reply[5] = q->used_objects;
        spin_unlock(&q->obj.lock);
        inv->nreply = 6;
        return 0;
    case AERIE_QUOTA_DESTROY:
        if (!(cap->rights & AERIE_R_MANAGE))
            return AE_ERIGHTS;
        obj_destroy(&q->obj);
        return 0;
    default:
        return AE_ENOSYS;
    }
}
