/*
 * task.c — the Task object (see task.h): creation, its methods (map,
 * unmap, capability placement), and teardown.
 */
#include "task.h"
#include "thread.h"
#include "memobj.h"
#include "quota.h"
#include "pagetable.h"
#include "printk.h"
#include "layout.h"
#include <aerie/errors.h>
#include <aerie/kip.h>

struct task *task_new(struct quota *q, int *err)
{
    struct task *t = quota_new_object(q, AERIE_OBJ_TASK, sizeof *t, 0, err);
    if (!t)
        return NULL;
    static uint64_t next_uid;
    t->uid = __atomic_add_fetch(&next_uid, 1, __ATOMIC_RELAXED);
    cspace_init(&t->cspace, q);
    list_init(&t->threads);
    *err = vspace_init(&t->vs, q, t);
    if (*err) {
        obj_put(&t->obj);
        return NULL;
    }
    return t;
}

int task_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    int err;
    struct task *t = task_new(q, &err);
    if (!t)
        return err;
    *out = &t->obj;
    return 0;
}

/* Every thread of t stopped, one at a time: waiting for a CPU to let one
 * go is not done holding t's lock. */
static void stop_threads(struct task *t)
{
    for (;;) {
        struct thread *th = NULL;
        spin_lock(&t->obj.lock);
        list_for_each(n, &t->threads) {
            struct thread *x = list_entry(n, struct thread, task_link);
            uint8_t st = __atomic_load_n(&x->state, __ATOMIC_RELAXED);
            if (st == TS_RUNNABLE || st == TS_BLOCKED) {
                th = x;
                obj_get(&th->obj);
                break;
            }
        }
        spin_unlock(&t->obj.lock);
        if (!th)
            return;
        thread_stop_for_task_end(th);
        obj_put(&th->obj);
    }
}

/* The threads are queued for destruction, but they are torn down later in
 * the reap: until then one running on another CPU would go on with the
 * task's capabilities and memory vanishing under it, and could write what
 * it concluded from that — "my quota is gone" — into memory that outlives
 * the task (a restartable service's, docs/RESTART.md). So they stop first. */
static void task_teardown(struct kobject *o)
{
    struct task *t = (struct task *)o;
    spin_lock(&t->obj.lock);
    list_for_each(n, &t->threads)
        obj_destroy(&list_entry(n, struct thread, task_link)->obj);
    spin_unlock(&t->obj.lock);
    stop_threads(t);
    cspace_clear(&t->cspace);
    vspace_clear(&t->vs);
}

/* The page tables go now, or — while another CPU still has them loaded —
 * once it leaves them, and the task's memory with them (vspace.c,
 * vspace_release). The task's own quota reference (o->quota) outlives
 * both: obj_free_finish drops it last, so the charges land safely. */
static bool task_free_later(struct kobject *o)
{
    return !vspace_release(&((struct task *)o)->vs);
}

const struct obj_ops task_ops = {
    .teardown = task_teardown,
    .free_later = task_free_later,
    .size = sizeof(struct task),
};

/* MAP: (memory cap, offset, vaddr, bytes, flags) */
static int task_map(struct task *t, struct invocation *inv)
{
    uint64_t slot, off, va, bytes, flags;
    if (inv_arg(inv, 0, &slot) || inv_arg(inv, 1, &off) || inv_arg(inv, 2, &va) ||
        inv_arg(inv, 3, &bytes) || inv_arg(inv, 4, &flags))
        return AE_EINVAL;
    /* x86-64 pages that are present are readable: a write-only or
     * execute-only mapping cannot be expressed, so it is refused rather
     * than silently made readable. Every mapping must ask for R. */
    if (flags & ~(uint64_t)(AERIE_MAP_R | AERIE_MAP_W | AERIE_MAP_X | AERIE_MAP_UNCACHED | AERIE_MAP_LAZY) ||
        !(flags & AERIE_MAP_R))
        return inv_fail(inv, 4, AE_EINVAL);
    /* A lazy mapping of registers would have a device see accesses in an
     * order its faults decide: device memory is mapped whole or not at all. */
    if ((flags & AERIE_MAP_LAZY) && (flags & AERIE_MAP_UNCACHED))
        return inv_fail(inv, 4, AE_EINVAL);
    uint8_t need = AERIE_R_READ | ((flags & AERIE_MAP_W) ? AERIE_R_WRITE : 0) |
                   ((flags & AERIE_MAP_X) ? AERIE_R_EXEC : 0);
    struct capref mc;
    int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_MEMORY, need, &mc);
    if (err)
        return inv_fail(inv, 0, err);
    struct memobj *m = (struct memobj *)mc.obj;
    uint64_t size = m->npages * PAGE_SIZE;
    if (off % PAGE_SIZE || off >= size)
        err = inv_fail(inv, 1, off % PAGE_SIZE ? AE_EINVAL : AE_ERANGE);
    else if (va % PAGE_SIZE || va < AERIE_USER_MIN || va >= AERIE_USER_MAX)
        err = inv_fail(inv, 2, AE_EINVAL);
    else if (bytes == 0 || bytes % PAGE_SIZE || bytes > size - off)
        err = inv_fail(inv, 3, bytes > size - off ? AE_ERANGE : AE_EINVAL);
    else if (bytes > AERIE_USER_MAX - va)
        err = inv_fail(inv, 3, AE_EINVAL);
    else if ((flags & AERIE_MAP_LAZY) && (m->flags & MEMOBJ_DEVICE))
        err = inv_fail(inv, 4, AE_EINVAL);
    if (!err) {
        unsigned pt = PT_R | ((flags & AERIE_MAP_W) ? PT_W : 0) | ((flags & AERIE_MAP_X) ? PT_X : 0) |
                      (((flags & AERIE_MAP_UNCACHED) || (m->flags & MEMOBJ_DEVICE)) ? PT_UNCACHED : 0) |
                      ((flags & AERIE_MAP_LAZY) ? PT_LAZY : 0);
        err = vspace_map(&t->vs, m, off / PAGE_SIZE, va, bytes / PAGE_SIZE, pt);
        if (err)
            inv_fail(inv, 2, err);
    }
    capref_put(&mc);
    return err;
}

static int task_unmap(struct task *t, struct invocation *inv)
{
    uint64_t va, bytes;
    if (inv_arg(inv, 0, &va) || inv_arg(inv, 1, &bytes))
        return AE_EINVAL;
    if (va % PAGE_SIZE || va >= AERIE_USER_MAX)
        return inv_fail(inv, 0, AE_EINVAL);
    if (bytes % PAGE_SIZE || bytes > AERIE_USER_MAX - va)
        return inv_fail(inv, 1, AE_EINVAL);
    int err = vspace_unmap(&t->vs, va, bytes);
    return err ? inv_fail(inv, 0, err) : 0;
}

static int task_cap_copy(struct task *t, struct invocation *inv)
{
    uint64_t src, dst, mask, badge;
    if (inv_arg(inv, 0, &src) || inv_arg(inv, 1, &dst) || inv_arg(inv, 2, &mask) ||
        inv_arg(inv, 3, &badge))
        return AE_EINVAL;
    int err = cap_copy(thread_cspace(inv->caller), src, &t->cspace, dst, (uint8_t)mask, badge);
    if (err == AE_ECAP)
        inv->bad_arg = 0;
    else if (err)
        inv->bad_arg = err == AE_EBUSY ? 1 : 3;
    return err;
}

/* CAP_GET: CAP_COPY the other way, out of t's capability space into the
 * caller's. No authority MANAGE did not give already: whoever may write
 * a task's memory and registers can make it use any capability it holds.
 * What cm needs to keep a way to signal the Linux personality of a clone
 * (docs/FORK.md), whose endpoint TASK_CLONE made. */
static int task_cap_get(struct task *t, struct invocation *inv)
{
    uint64_t src, dst, mask, badge;
    if (inv_arg(inv, 0, &src) || inv_arg(inv, 1, &dst) || inv_arg(inv, 2, &mask) ||
        inv_arg(inv, 3, &badge))
        return AE_EINVAL;
    int err = cap_slot_usable(thread_cspace(inv->caller), dst);
    if (err)
        return inv_fail(inv, 1, err);
    err = cap_copy(&t->cspace, src, thread_cspace(inv->caller), dst, (uint8_t)mask, badge);
    if (err)      /* the slot taken meanwhile or no room for it: word 1; a badge it cannot take: 3 */
        inv->bad_arg = err == AE_EBUSY || err == AE_ENOMEM ? 1 : err == AE_EINVAL && badge ? 3 : 0;
    return err;
}

/* READ (vaddr, length) -> bytes; WRITE (vaddr, length, bytes from word
 * 2): a debugger's view of the task's memory through its own mappings. */
static int task_rw(struct task *t, struct invocation *inv, bool write)
{
    uint64_t va, n, max = write ? AERIE_MEM_WRITE_MAX : AERIE_MEM_RW_MAX;
    if (inv_arg(inv, 0, &va) || inv_arg(inv, 1, &n))
        return AE_EINVAL;
    if (n > max || (write && n > (uint64_t)(inv->nargs - 2) * 8))
        return inv_fail(inv, 1, AE_EINVAL);
    if (!write) {
        inv->nreply = (unsigned)((n + 7) / 8);
        if (n % 8)
            inv->reply[n / 8] = 0;               /* the last word's unused bytes */
    }
    int err = vspace_copy(&t->vs, va, write ? (void *)&inv->args[2] : (void *)inv->reply, n, write);
    if (err) {
        inv->nreply = 0;
        return inv_fail(inv, 0, err);
    }
    return 0;
}

/* BORROW: (lender task cap with MANAGE). t's lent ranges become the
 * lender's tables (vspace.c, "Lent ranges"). The caller holds MANAGE on
 * both, so it could read and write both already: what it gives is the
 * borrower's reach into the lender's lent ranges and, through threads
 * marked RUN_BORROWED, the lender's into all of the borrower's memory
 * (such a thread that strays finds the borrower's pages: ABI.md). */
static int task_borrow(struct task *t, struct invocation *inv)
{
    uint64_t slot;
    if (inv_arg(inv, 0, &slot))
        return AE_EINVAL;
    struct capref pc;
    int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_TASK, AERIE_R_MANAGE, &pc);
    if (err)
        return inv_fail(inv, 0, err);
    err = vspace_borrow(&t->vs, &((struct task *)pc.obj)->vs);
    capref_put(&pc);
    return err ? inv_fail(inv, err == AE_EINVAL ? 0 : ~0u, err) : 0;
}

int task_invoke(struct task *t, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    uint8_t need = label == AERIE_TASK_INFO ? AERIE_R_READ : AERIE_R_MANAGE;
    if ((cap->rights & need) != need)
        return AE_ERIGHTS;
    switch (label) {
    case AERIE_TASK_MAP:
        return task_map(t, inv);
    case AERIE_TASK_UNMAP:
        return task_unmap(t, inv);
    case AERIE_TASK_CAP_COPY:
        return task_cap_copy(t, inv);
    case AERIE_TASK_CAP_GET:
        return task_cap_get(t, inv);
    case AERIE_TASK_CAP_DELETE: {
        uint64_t slot;
        if (inv_arg(inv, 0, &slot))
            return AE_EINVAL;
        int err = cap_delete(&t->cspace, slot);
        return err ? inv_fail(inv, 0, err) : 0;
    }
    case AERIE_TASK_INFO:
        spin_lock(&t->obj.lock);
        inv->reply[0] = t->nthreads;
        spin_unlock(&t->obj.lock);
        inv->reply[1] = t->vs.mapped_pages * PAGE_SIZE;
        inv->reply[2] = t->cspace.used;
        inv->reply[3] = t->vs.pt_pages + 1;
        inv->nreply = 4;
        return 0;
    case AERIE_TASK_DESTROY:
        obj_destroy(&t->obj);
        return 0;
    case AERIE_TASK_READ:
        return task_rw(t, inv, false);
    case AERIE_TASK_WRITE:
        return task_rw(t, inv, true);
    case AERIE_TASK_CLONE:
        return task_clone(t, inv);
    case AERIE_TASK_SUSPEND:
        return task_suspend(t, inv);
    case AERIE_TASK_RESUME:
        return task_resume(t, inv);
    case AERIE_TASK_BORROW:
        return task_borrow(t, inv);
    default:
        return AE_ENOSYS;
    }
}
