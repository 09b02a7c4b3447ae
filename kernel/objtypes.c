/*
 * objtypes.c — the table of per-type hooks, indexed by object type.
 */
#include "object.h"
#include "quota.h"
#include "task.h"
#include "thread.h"
#include "ipc.h"
#include "notification.h"
#include "memobj.h"
#include "irq.h"
#include "ioport.h"

extern const struct obj_ops quota_ops;

static const struct obj_ops none_ops = { .size = 0 };

const struct obj_ops *const obj_ops[AERIE_OBJ_TYPES] = {
    [AERIE_OBJ_NONE] = &none_ops,
    [AERIE_OBJ_QUOTA] = &quota_ops,
    [AERIE_OBJ_TASK] = &task_ops,
    [AERIE_OBJ_THREAD] = &thread_ops,
    [AERIE_OBJ_ENDPOINT] = &endpoint_ops,
    [AERIE_OBJ_NOTIFICATION] = &notification_ops,
    [AERIE_OBJ_MEMORY] = &memobj_ops,
    [AERIE_OBJ_IRQ_CONTROL] = &irqctl_ops,
    [AERIE_OBJ_IRQ] = &irq_ops,
    [AERIE_OBJ_IOPORT] = &ioport_ops,
    [AERIE_OBJ_DEVMEM] = &devmem_ops,
    [AERIE_OBJ_KDEBUG] = &kdebug_ops,
    [AERIE_OBJ_REPLY] = &none_ops,
};
