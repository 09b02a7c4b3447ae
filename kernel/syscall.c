/*
 * syscall.c — the system-call entry: decodes the call, looks up the
 * capability, and hands it to IPC or to the object's invoke function.
 * This is the only place that switches on a capability's type.
 */
#include "syscall.h"
#include "hot.h"
#include "thread.h"
#include "task.h"
#include "quota.h"
#include "ipc.h"
#include "notification.h"
#include "memobj.h"
#include "irq.h"
#include "ioport.h"
#include "futex.h"
#include "trace.h"
#include "sched.h"
#include "trap.h"
#include "printk.h"
#include "lib/string.h"
#include "cpu.h"
#include <aerie/kip.h>
#include <aerie/errors.h>
#include <aerie/syscall.h>
#include <aerie/fault.h>

/* invoke() with the UTCB pinned: u is where arguments come from and the
 * reply goes. */
static int64_t invoke_with(struct thread *t, struct capref *cap, uint64_t info, struct aerie_utcb *u)
{
    struct invocation inv = { .caller = t, .reply = u->mr, .bad_arg = ~0ull };
    inv.nargs = (unsigned)AERIE_INFO_NWORDS(info);
    if (inv.nargs > INV_MAX_ARGS)
        inv.nargs = INV_MAX_ARGS;
    memcpy(inv.args, u->mr, inv.nargs * sizeof(uint64_t));
    uint64_t label = AERIE_INFO_LABEL(info);
    int err;
    switch (cap->type) {
    case AERIE_OBJ_QUOTA:       err = quota_invoke((struct quota *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_TASK:        err = task_invoke((struct task *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_THREAD:      err = thread_invoke((struct thread *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_MEMORY:      err = memobj_invoke((struct memobj *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_IRQ_CONTROL: err = irqctl_invoke(cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_IRQ:         err = irq_invoke((struct irq *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_IOPORT:      err = ioport_invoke((struct ioport *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_DEVMEM:      err = devmem_invoke((struct devmem *)cap->obj, cap, label, &inv); break;
    case AERIE_OBJ_KDEBUG:      err = kdebug_invoke(cap->obj, cap, label, &inv); break;
    default:                    err = AE_ETYPE; break;
    }
    if (err) {
        u->mr[0] = inv.bad_arg;
        return err;
    }
    return (int64_t)AERIE_INFO(0, inv.nreply, 0);
}

/* Invokes a method of a kernel object; the result is an info word. The
 * reply goes to the caller's UTCB as it was when the call began, and the
 * call holds a reference on that memory until it is done, so the page
 * cannot be freed and reused under the reply whatever happens meanwhile. */
static __attribute__((noinline)) int64_t invoke(struct thread *t, struct capref *cap, uint64_t info)
{
    spin_lock(&t->obj.lock);
    struct aerie_utcb *u = t->utcb;
    struct memobj *um = t->utcb_mem;
    if (um)
        obj_get(&um->obj);
    spin_unlock(&t->obj.lock);
    if (!u) {
        if (um)
            obj_put(&um->obj);
        return AE_EFAULT;
    }
    int64_t r = invoke_with(t, cap, info, u);
    obj_put(&um->obj);
    return r;
}

/* A CALL of a traced thread: the call, then its event (trace.h). */
static __attribute__((noinline)) int64_t traced_call(struct thread *t, struct capref *cap, uint64_t slot,
                                                     bool grant, uint64_t info, uint64_t timeout)
{
    uint64_t t0 = time_now_ns();
    int64_t r = ipc_send(t, (struct endpoint *)cap->obj, cap->badge, grant, info, timeout, true);
    if (r == SYSCALL_RESTART)
        return r;                         /* taken back by a SUSPEND: recorded when made again */
    trace_event(t, AERIE_TRACE_CALL, t0, time_now_ns() - t0, slot, AERIE_INFO_LABEL(info), (uint64_t)r, 0);
    return r;
}

HOT_INLINE int64_t sys_call(struct thread *t, uint64_t slot, uint64_t info, uint64_t timeout)
{
    struct capref cap;
    int err = cap_lookup_inline(&t->task->cspace, slot, -1, 0, &cap);
    if (err)
        return err;
    int64_t r;
    if (cap.type == AERIE_OBJ_ENDPOINT) {
        bool grant = cap.rights & AERIE_R_GRANT;
        if (!(cap.rights & AERIE_R_WRITE))
            r = AE_ERIGHTS;
        else if ((r = ipc_check_info_inline(t, info, grant)) == 0) {
            t->ipc_calls++;               /* its CPU's own field: sched.c adds it to the quota */
            if (__builtin_expect(trace_on_inline(t), 0))
                return traced_call(t, &cap, slot, grant, info, timeout);
            return ipc_send_inline(t, (struct endpoint *)cap.obj, cap.badge, grant, info, timeout, true);
        }
    } else if (cap.type == AERIE_OBJ_NOTIFICATION || cap.type == AERIE_OBJ_REPLY) {
        r = AE_ETYPE;
    } else {
        r = invoke(t, &cap, info);
    }
    capref_put(&cap);
    return r;
}

static __attribute__((noinline)) int64_t sys_send(struct thread *t, uint64_t slot, uint64_t info, uint64_t timeout)
{
    struct capref cap;
    int err = cap_lookup(&t->task->cspace, slot, -1, 0, &cap);
    if (err)
        return err;
    int64_t r;
    if (cap.type == AERIE_OBJ_ENDPOINT) {
        bool grant = cap.rights & AERIE_R_GRANT;
        if (!(cap.rights & AERIE_R_WRITE))
            r = AE_ERIGHTS;
        else if ((r = ipc_check_info(t, info, grant)) == 0)
            return ipc_send(t, (struct endpoint *)cap.obj, cap.badge, grant, info, timeout, false);
    } else if (cap.type == AERIE_OBJ_REPLY) {
        r = ipc_reply_through(t, (struct thread *)cap.obj, cap.badge, info);
        if (r != AE_EINVAL && r != AE_EFAULT && r != AE_ERIGHTS)
            cap_delete(&t->task->cspace, slot);       /* one-shot */
    } else {
        r = AE_ETYPE;
    }
    capref_put(&cap);
    return r;
}

static __attribute__((noinline)) int64_t sleep_for(struct thread *t, uint64_t timeout)
{
    spin_lock(&t->obj.lock);
    bool wait = thread_block(t, WAIT_SLEEP, NULL, NULL, timeout);
    spin_unlock(&t->obj.lock);
    if (!wait)
        return AE_ECANCELED;
    thread_wait_switch();
    return t->result == AE_ETIMEOUT ? 0 : t->result;
}

HOT_INLINE int64_t sys_recv(struct thread *t, uint64_t slot, uint64_t timeout, uint64_t *badge)
{
    if (slot == 0)
        return timeout == AERIE_TIMEOUT_POLL ? 0 : sleep_for(t, timeout);
    struct capref cap;
    int err = cap_lookup_inline(&t->task->cspace, slot, -1, AERIE_R_READ, &cap);
    if (err)
        return err;
    if (cap.type == AERIE_OBJ_ENDPOINT)
        return ipc_recv_inline(t, (struct endpoint *)cap.obj, timeout, badge);
    if (cap.type == AERIE_OBJ_NOTIFICATION)
        return notification_wait(t, (struct notification *)cap.obj, timeout, badge);
    capref_put(&cap);
    return AE_ETYPE;
}

static int64_t sys_signal(struct thread *t, uint64_t slot, uint64_t bits)
{
    struct capref cap;
    int err = cap_lookup(&t->task->cspace, slot, AERIE_OBJ_NOTIFICATION, AERIE_R_WRITE, &cap);
    if (err)
        return err;
    if (cap.badge)
        bits = cap.badge;                 /* a badged capability signals only its badge */
    if (bits)
        notification_signal((struct notification *)cap.obj, bits);
    capref_put(&cap);
    return bits ? 0 : AE_EINVAL;
}

static int64_t sys_cap(struct thread *t, struct trap_frame *tf, uint64_t *badge)
{
    struct cspace *cs = &t->task->cspace;
    uint64_t a = tf->rsi, b = tf->rdx, c = tf->r10, d = tf->r8;
    int err;
    uint64_t tr;
    switch (tf->rdi) {
    case AERIE_CAP_COPY:   return cap_copy(cs, a, cs, b, (uint8_t)c, d);
    case AERIE_CAP_MOVE:   return cap_move(cs, a, b);
    case AERIE_CAP_DELETE: return cap_delete(cs, a);
    case AERIE_CAP_REVOKE:
        err = cap_revoke(cs, a);
        return err == CAP_REVOKE_MORE ? SYSCALL_RESTART : err;
    case AERIE_CAP_INFO:
        err = cap_info(cs, a, &tr, badge);
        return err ? err : (int64_t)tr;
    default:
        return AE_EINVAL;
    }
}

static int64_t sys_futex(struct thread *t, uint64_t op, uint64_t addr, uint64_t v, uint64_t timeout)
{
    if (op == AERIE_FUTEX_WAIT)
        return futex_wait(t, addr, (uint32_t)v, timeout);
    if (op == AERIE_FUTEX_WAKE)
        return futex_wake(t, addr, v);
    return AE_EINVAL;
}

/* Everything a thread must go through before it returns to user mode.
 * After a switch it looks again: a thread that was switched out here
 * resumes here, and what was queued for destruction on this CPU meanwhile
 * (by a thread that died and switched away) is reaped now rather than at
 * the next kernel exit. */
HOT_INLINE void exit_checks_inline(struct thread *t)
{
    for (;;) {
        obj_reap_inline();
        if (__builtin_expect(__atomic_load_n(&t->obj.dead, __ATOMIC_ACQUIRE), 0)) {
            spin_lock(&t->obj.lock);
            t->state = TS_DEAD;
            spin_unlock(&t->obj.lock);
        }
        if (__builtin_expect(!need_resched_inline(), 1))
            break;
        schedule();                       /* preempted: not the IPC path's switch */
    }
    /* A blocked thread whose FS base its handler set, woken before its CPU
     * switched away, is picked again without a switch (schedule's next ==
     * prev), which is where the base is loaded otherwise. */
    if (__builtin_expect(__atomic_load_n(&t->fs_reload, __ATOMIC_ACQUIRE), 0)) {
        __atomic_store_n(&t->fs_reload, false, __ATOMIC_RELAXED);
        wrmsr(MSR_FS_BASE, t->fs_base);
    }
}

void return_to_user_checks(struct thread *t)
{
    exit_checks_inline(t);
}

/* A foreign call its handler answered ahead (THREAD_SET_ANSWERS): the
 * result goes in RAX here, with no fault message and no switch. Traced
 * threads always fault, so a trace sees every call. */
static bool standing_answer(struct thread *t, struct trap_frame *tf)
{
    if (tf->rax >= AERIE_SYS_BASE || __builtin_expect(trace_on(t), 0))
        return false;
    for (unsigned i = 0; i < AERIE_ANSWERS_MAX; i++) {
        uint64_t w = __atomic_load_n(&t->answers[i], __ATOMIC_ACQUIRE);
        if (!w)
            return false;
        if ((w >> 32) == tf->rax + 1) {
            tf->rax = w & 0xFFFFFFFFu;
            return true;
        }
    }
    return false;
}

static __attribute__((noinline)) void unknown_syscall(struct thread *t, struct trap_frame *tf)
{
    if (__builtin_expect(__atomic_load_n(&t->answers[0], __ATOMIC_RELAXED) != 0, 0) && standing_answer(t, tf))
        return;
    uint64_t w[9] = { tf->rax, tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9, tf->rip, tf->rsp };
    tf->vector = 0;                       /* the handler may change any register */
    tf->rax = (uint64_t)(int64_t)AE_ENOSYS;
    thread_fault(t, AERIE_FAULT_SYSCALL, w, 9);
}

/* The system calls other than IPC, outside the hot text (kernel/hot.h:
 * the IPC path's code fits in three pages). False for an unknown number. */
static __attribute__((noinline)) bool syscall_other(struct thread *t, struct trap_frame *tf, uint64_t *badge,
                                                    int64_t *r)
{
    switch (tf->rax) {
    case AERIE_SYS_SIGNAL:     *r = sys_signal(t, tf->rdi, tf->rsi); return true;
    case AERIE_SYS_YIELD:      sched_yield(); *r = 0; return true;
    case AERIE_SYS_CAP:        *r = sys_cap(t, tf, badge); return true;
    case AERIE_SYS_FUTEX:      *r = sys_futex(t, tf->rdi, tf->rsi, tf->rdx, tf->r10); return true;
    case AERIE_SYS_EXIT:       thread_exit_current(tf->rdi, tf->rsi & AERIE_EXIT_QUIET);
    case AERIE_SYS_SET_TLS:
        if (tf->rdi >= AERIE_USER_MAX) {
            *r = AE_EINVAL;
        } else {
            t->fs_base = tf->rdi;
            wrmsr(MSR_FS_BASE, tf->rdi);
            *r = 0;
        }
        return true;
    case AERIE_SYS_REPLY_SAVE: *r = ipc_reply_save(t, tf->rdi); return true;
    default:
        return false;
    }
}

KERNEL_HOT void syscall_dispatch(struct trap_frame *tf)
{
    struct thread *t = current_thread();
    uint64_t badge = 0;
    int64_t r;
    t->in_syscall = true;                 /* TASK_CLONE of a thread stopped in here: thread_clone */
    switch (tf->rax) {
    case AERIE_SYS_CALL:       r = sys_call(t, tf->rdi, tf->rsi, tf->rdx); break;
    case AERIE_SYS_SEND:       r = sys_send(t, tf->rdi, tf->rsi, tf->rdx); break;
    case AERIE_SYS_REPLY:      r = ipc_reply(t, tf->rdi); break;   /* the path's copy: REPLY_RECV */
    case AERIE_SYS_RECV:
    case AERIE_SYS_REPLY_RECV: {
        /* One receive for both, so the path holds one inline copy of it. */
        uint64_t timeout = tf->rsi;
        if (tf->rax == AERIE_SYS_REPLY_RECV) {
            /* A caller that went away is not the receive's error, but
             * the server may want to know (the Linux personality answers
             * a call whose answer was lost again, not twice): RSI says.
             * Set before the receive blocks, so a copy made meanwhile
             * (TASK_CLONE) sees it too. */
            timeout = tf->rdx;
            tf->rsi = (uint64_t)ipc_reply_inline(t, tf->rsi);
        }
        r = sys_recv(t, tf->rdi, timeout, &badge);
        break;
    }
    default:
        if (syscall_other(t, tf, &badge, &r))
            break;
        t->in_syscall = false;            /* its frame is complete: RAX = AE_ENOSYS */
        unknown_syscall(t, tf);
        goto out;
    }
    t->in_syscall = false;
    /* A frame whose registers someone set while the thread was stopped in
     * here (a debugger's SET_REGS: it leaves through iretq) is not rewound
     * under them: the call taken back then ends with ECANCELED. */
    if (r == SYSCALL_RESTART && tf->vector == VEC_SYSCALL) {
        /* seL4's preemption point: leave with every register as the thread
         * entered (RAX still holds the number) and RIP back on its 2-byte
         * syscall instruction, so interrupts, other threads and a stop
         * request get their turn before it carries on from where it was. */
        tf->rip -= 2;
        goto out;
    }
    if (r == SYSCALL_RESTART)
        r = AE_ECANCELED;
    tf->rax = (uint64_t)r;
    tf->rdx = badge;
out:
    exit_checks_inline(t);                /* one inline copy for every way out */
}
