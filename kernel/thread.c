/*
 * thread.c — the Thread object: creation, configuration methods, the
 * generic block/wake/abort protocol (see thread.h), faults and exit.
 */
#include "thread.h"
#include "hot.h"
#include "task.h"
#include "quota.h"
#include "trace.h"
#include "apic.h"
#include "memobj.h"
#include "sched.h"
#include "ipc.h"
#include "kmem.h"
#include "memory.h"
#include "percpu.h"
#include "printk.h"
#include "trap.h"
#include "boot_task.h"
#include "pagetable.h"
#include "syscall.h"
#include "lib/string.h"
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <aerie/kip.h>

#define FPU_BYTES THREAD_FPU_BYTES

extern char thread_first_entry[];

struct cspace *thread_cspace(struct thread *t) { return &t->task->cspace; }

/* Lays out a new thread's kernel stack so its first switch lands in
 * thread_first_entry and leaves for user mode through its frame. */
static void init_stack(struct thread *t)
{
    struct trap_frame *tf = thread_frame(t);
    memset(tf, 0, sizeof *tf);
    tf->cs = SEL_UCODE;
    tf->ss = SEL_UDATA;
    tf->rflags = 0x202;
    uint64_t *sp = (uint64_t *)tf;
    *--sp = (uint64_t)thread_first_entry;
    for (int i = 0; i < 6; i++)
        *--sp = 0;                          /* rbp rbx r12 r13 r14 r15 */
    t->kstack_rsp = (uint64_t)sp;
}

static void init_fpu(void *fpu)
{
    memset(fpu, 0, FPU_BYTES);
    *(uint16_t *)fpu = 0x037F;              /* FCW: all exceptions masked */
    *(uint32_t *)((char *)fpu + 24) = 0x1F80; /* MXCSR default */
}

struct thread *thread_new(struct quota *q, struct task *task, uint8_t prio, int *err)
{
    struct thread *t = quota_new_object(q, AERIE_OBJ_THREAD, 4096, 0, err);
    if (!t)
        return NULL;
    static uint32_t next_trace_id;
    t->trace_id = __atomic_add_fetch(&next_trace_id, 1, __ATOMIC_RELAXED);
    init_fpu(t->fpu);
    t->state = TS_INACTIVE;
    t->prio = t->base_prio = prio;
    t->cpu = (uint16_t)quota_place(q);      /* its maker's CPU, if its quota allows it */
    t->timer_cpu = -1;
    t->loaded_cpu = -1;
    t->canary = THREAD_CANARY;
    list_init(&t->rq_link);
    list_init(&t->wait_link);
    list_init(&t->timer_link);
    list_init(&t->task_link);
    init_stack(t);
    spin_lock(&task->obj.lock);
    bool dead = task->obj.dead;
    if (!dead) {
        t->task = task;
        obj_get(&task->obj);
        obj_hold(&task->obj);            /* a task lives while it has threads */
        list_push_back(&task->threads, &t->task_link);
        task->nthreads++;
    }
    spin_unlock(&task->obj.lock);
    if (dead) {
        obj_put(&t->obj);
        *err = AE_EDEAD;
        return NULL;
    }
    return t;
}

int thread_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    uint64_t slot;
    if (inv_arg(inv, 2, &slot))
        return AE_EINVAL;
    struct capref tc;
    int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_TASK, AERIE_R_MANAGE, &tc);
    if (err)
        return inv_fail(inv, 2, err);
    uint8_t own = inv->caller->base_prio;
    uint8_t prio = own < AERIE_PRIO_DEFAULT ? own : AERIE_PRIO_DEFAULT;
    struct thread *t = thread_new(q, (struct task *)tc.obj, prio, &err);
    capref_put(&tc);
    if (!t)
        return err;
    *out = &t->obj;
    return 0;
}

void thread_start(struct thread *t, uint8_t boost)
{
    spin_lock(&t->obj.lock);
    if (t->state == TS_INACTIVE && !t->self_held) {
        if (__builtin_expect(trace_on(t), 0))
            trace_event(t, AERIE_TRACE_START, time_now_ns(), 0, 0, 0, 0, 0);
        t->self_held = true;             /* a started thread lives until it dies */
        obj_hold(&t->obj);
        quota_thread_started(t->obj.quota);    /* counted before it can run, and so end */
    }
    if (t->state == TS_INACTIVE || t->state == TS_SUSPENDED) {
        t->state = TS_RUNNABLE;
        t->task_held = false;            /* restarted: its task's RESUME leaves it be */
        sched_enqueue_boosted(t, boost);
    }
    spin_unlock(&t->obj.lock);
}

/* A thread that died no longer holds itself: with no capability left,
 * it is destroyed (and may take its task with it). It stops counting as
 * live in its quota, which may end a watch (end says how it ended). The
 * exchange makes exactly one of dying and being destroyed do this. */
static void drop_self_hold(struct thread *t, const struct quota_end *end)
{
    if (__atomic_exchange_n(&t->self_held, false, __ATOMIC_ACQ_REL)) {
        quota_thread_ended(t->obj.quota, end);
        obj_unhold(&t->obj);
    }
}

/* ---- blocking and waking ---- */

HOT_INLINE bool thread_block_inline(struct thread *t, enum wait_kind kind, struct kobject *wait_obj,
                                    spinlock_t *wait_lock, uint64_t timeout_ns)
{
    if (__builtin_expect(t->state != TS_RUNNABLE, 0)) {
        if (t->state == TS_SUSPENDED)
            t->stop_cancelled = true;        /* being stopped: see thread_fault */
        return false;
    }
    t->state = TS_BLOCKED;
    t->wait_kind = (uint8_t)kind;
    t->wait_obj = wait_obj;
    t->wait_lock = wait_lock;
    t->wait_seq++;
    if (wait_obj)
        obj_get(wait_obj);
    if (__builtin_expect(timeout_ns != AERIE_TIMEOUT_FOREVER, 0)) {
        uint64_t now = time_now_ns();
        timer_arm(t, timeout_ns > ~0ull - now ? ~0ull : now + timeout_ns);
    }
    return true;
}

bool thread_block(struct thread *t, enum wait_kind kind, struct kobject *wait_obj, spinlock_t *wait_lock,
                  uint64_t timeout_ns)
{
    return thread_block_inline(t, kind, wait_obj, wait_lock, timeout_ns);
}

/* Ends t's wait with result; t becomes final_state (RUNNABLE: queued to
 * run; DEAD: it never runs again — blocked threads hold no references
 * outside their structure, so nothing on its stack needs unwinding). */
HOT_INLINE void finish_wait(struct thread *t, int64_t result, uint8_t final_state)
{
    if (t->state != TS_BLOCKED)
        return;
    timer_disarm_inline(t);
    /* Whoever wakes us holds its own reference on the wait object, so
     * this is never the last one while its lock is held. */
    if (t->wait_obj)
        obj_put(t->wait_obj);
    t->wait_obj = NULL;
    t->wait_lock = NULL;
    t->wait_kind = WAIT_NONE;
    t->result = result;
    if (final_state == TS_RUNNABLE && __builtin_expect(t->task_held, 0))
        final_state = TS_SUSPENDED;          /* its task's SUSPEND held it in this wait */
    t->state = final_state;
    if (final_state == TS_RUNNABLE)
        sched_enqueue_inline(t, 0);
}

HOT_INLINE void thread_wake_inline(struct thread *t, int64_t result)
{
    finish_wait(t, result, TS_RUNNABLE);
}

void thread_wake(struct thread *t, int64_t result)
{
    thread_wake_inline(t, result);
}

/* A wait a Task SUSPEND leaves alone: for the reply to a CALL the thread
 * made itself (a fault call's is ended and made again: thread_fault). The
 * service may have acted on the call; the reply is the original's
 * (docs/FORK.md, "A fork during a call"). t locked. */
static bool keeps_waiting(const struct thread *t)
{
    return (t->wait_kind == WAIT_REPLY || t->wait_kind == WAIT_REPLY_SAVED) && !t->fault_msg;
}

/* One attempt at aborting t's wait; false if t's wait changed under us and
 * we must look again. stop: a SUSPEND's, which t learns with the result
 * (stop_cancelled, set in the same critical section as the wake; and
 * send_taken_back if it was still queued to send). keep: a Task
 * SUSPEND's, which leaves a wait for a reply alone and marks t held. */
static bool abort_once(struct thread *t, int64_t err, uint64_t seq, uint8_t final_state, bool stop, bool keep)
{
    spin_lock(&t->obj.lock);
    if (t->state != TS_BLOCKED || (seq && t->wait_seq != seq)) {
        spin_unlock(&t->obj.lock);
        return true;
    }
    if (keep && keeps_waiting(t)) {
        t->task_held = true;
        spin_unlock(&t->obj.lock);
        return true;
    }
    uint8_t kind = t->wait_kind;
    uint64_t s = t->wait_seq;
    struct kobject *o = t->wait_obj;
    spinlock_t *wl = t->wait_lock;
    if (!o && !wl) {                         /* sleep, saved reply */
        t->stop_cancelled = stop;
        finish_wait(t, err, final_state);
        spin_unlock(&t->obj.lock);
        return true;
    }
    if (o)
        obj_get(o);
    spin_unlock(&t->obj.lock);
    struct thread *server = kind == WAIT_REPLY ? (struct thread *)o : NULL;
    if (server)
        thread_lock_pair(server, t);
    else {
        spin_lock(o ? &o->lock : wl);
        spin_lock(&t->obj.lock);
    }
    bool same = t->state == TS_BLOCKED && t->wait_seq == s;
    if (same) {
        if (server) {
            if (server->reply_to == t) {
                server->reply_to = NULL;
                obj_put(&t->obj);            /* we hold another reference */
            }
        } else {
            list_remove(&t->wait_link);
        }
        t->stop_cancelled = stop;
        t->send_taken_back = stop && kind == WAIT_SEND;
        finish_wait(t, err, final_state);
    }
    if (server)
        thread_unlock_pair(server, t);
    else {
        spin_unlock(&t->obj.lock);
        spin_unlock(o ? &o->lock : wl);
    }
    if (o)
        obj_put(o);
    return same;
}

void thread_abort_wait(struct thread *t, int64_t err, uint64_t seq)
{
    while (!abort_once(t, err, seq, TS_RUNNABLE, false, false))
        ;
}

void thread_reply_dropped(struct thread *t, uint64_t seq)
{
    spin_lock(&t->obj.lock);
    if (t->state == TS_BLOCKED && t->wait_kind == WAIT_REPLY_SAVED && t->wait_seq == seq)
        thread_wake(t, AE_EDEAD);
    spin_unlock(&t->obj.lock);
}

/* ---- faults ---- */

static void log_unhandled(struct thread *t, uint64_t label, const uint64_t *w)
{
    static uint64_t logged;
    if (__atomic_fetch_add(&logged, 1, __ATOMIC_RELAXED) >= 64)
        return;                              /* a fault storm must not flood the console */
    if (label == AERIE_FAULT_PAGE)
        kprintf("thread %p: page fault at 0x%lx (error 0x%lx) rip 0x%lx, no fault handler: stopped\n",
                (void *)t, w[0], w[1], w[2]);
    else if (label == AERIE_FAULT_EXCEPTION)
        kprintf("thread %p: %s (vector %lu) at rip 0x%lx, no fault handler: stopped\n",
                (void *)t, trap_name(w[0]), w[0], w[2]);
    else if (label == AERIE_FAULT_SYSCALL)
        kprintf("thread %p: unknown system call %lu at rip 0x%lx, no fault handler: stopped\n",
                (void *)t, w[0], w[7]);
}

/* Stops the current thread t until it is resumed. */
static void stop_current(struct thread *t)
{
    spin_lock(&t->obj.lock);
    if (t->state != TS_DEAD)
        t->state = TS_SUSPENDED;
    spin_unlock(&t->obj.lock);
}

/* Ends the current thread t for good: a caller waiting for its reply is
 * released, and it stops holding itself. */
static void die(struct thread *t, const struct quota_end *end)
{
    spin_lock(&t->obj.lock);
    t->state = TS_DEAD;
    spin_unlock(&t->obj.lock);
    ipc_cancel_reply(t, AE_EDEAD);
    drop_self_hold(t, end);
}

/* How a thread ends that dies of this fault message (or exit). */
static struct quota_end fault_end(uint64_t label, const uint64_t *words, unsigned n)
{
    struct quota_end e = { .how = AERIE_END_FAULT, .detail = label };
    if (label == AERIE_FAULT_EXIT) {
        e.how = AERIE_END_EXIT;
        e.detail = words[0];
        return e;
    }
    for (unsigned i = 0; i < n && i < 4; i++)
        e.words[i] = words[i];
    return e;
}

/* Applies a RESUME reply (flags and registers in w) to a frame: the
 * faulting thread's own, or that of a copy made before it ran (thread_clone). */
static void apply_resume(struct trap_frame *tf, const uint64_t *w)
{
    uint64_t flags = w[0];
    if ((flags & AERIE_RESUME_SET_RIP) && w[1] < AERIE_USER_MAX) {
        tf->rip = w[1];
        tf->vector = 0;                      /* leave through iretq */
    }
    if ((flags & AERIE_RESUME_SET_RSP) && w[2] < AERIE_USER_MAX)
        tf->rsp = w[2];
    if (flags & AERIE_RESUME_SET_RAX)
        tf->rax = w[3];
}

/* A traced thread's fault (or exit) before its handler hears of it; a
 * foreign system call is recorded once answered (traced_syscall). */
static void trace_fault(struct thread *t, uint64_t label, const uint64_t *w, unsigned n)
{
    uint64_t now = time_now_ns();
    if (label == AERIE_FAULT_EXIT)
        trace_event(t, AERIE_TRACE_EXIT, now, 0, w[0], 0, 0, 0);
    else if (label != AERIE_FAULT_SYSCALL)
        trace_event(t, AERIE_TRACE_FAULT, now, 0, label, n > 0 ? w[0] : 0, n > 2 ? w[2] : 0, n > 1 ? w[1] : 0);
}

/* Waits, off its CPU, until the current thread t, which a SUSPEND is
 * stopping, is resumed; false if it is to die instead. */
static bool await_resume(struct thread *t)
{
    for (;;) {
        spin_lock(&t->obj.lock);
        uint8_t st = t->state;
        spin_unlock(&t->obj.lock);
        if (__atomic_load_n(&t->obj.dead, __ATOMIC_ACQUIRE) || (st != TS_SUSPENDED && st != TS_RUNNABLE))
            return false;
        if (st == TS_RUNNABLE)
            return true;
        schedule();                          /* a suspended thread is not queued: back at RESUME */
    }
}

/* The fault call (message in t->fault_words). A SUSPEND that ends the
 * wait for the handler, or finds t on its way to it, is no failure of the
 * handler: as seL4 and Fiasco restart an interrupted fault IPC, the call
 * is made again once t is resumed, and the handler sees the fault again.
 * Its reply to the first call finds no caller: the abort let the handler
 * go (reply_to cleared), and a saved reply capability names a wait that
 * is over (its sequence number). Until a reply comes t->result is
 * ECANCELED, so TASK_CLONE tells an answered call from one to make again
 * (thread_clone). Any other failure (no handler, the handler's endpoint
 * or thread gone, a receive that dropped the call) is returned. */
static int64_t fault_call(struct thread *t, uint64_t label, unsigned n)
{
    for (;;) {
        spin_lock(&t->obj.lock);
        t->stop_cancelled = false;
        t->result = AE_ECANCELED;
        spin_unlock(&t->obj.lock);
        int64_t r = ipc_fault_call(t, AERIE_INFO(label, n, 0));
        if (r != AE_ECANCELED)
            return r;
        spin_lock(&t->obj.lock);
        bool stopped = t->stop_cancelled;
        spin_unlock(&t->obj.lock);
        if (!stopped)
            return r;
        if (!await_resume(t))
            return AE_EDEAD;
    }
}

void thread_fault(struct thread *t, uint64_t label, const uint64_t *words, unsigned n)
{
    t->faults++;
    uint64_t t0 = 0;
    if (__builtin_expect(trace_on(t), 0)) {
        trace_fault(t, label, words, n);
        t0 = time_now_ns();
    }
    struct quota_end end = fault_end(label, words, n);
    if (!t->handler) {
        if (label != AERIE_FAULT_EXIT)
            log_unhandled(t, label, words);
        else if (t == boot_thread)
            boot_task_exited(words[0]);
        die(t, &end);
        return;
    }
    memcpy(t->fault_words, words, n * sizeof(uint64_t));
    t->fault_label = label;
    t->fault_nwords = (uint8_t)n;
    t->result = AE_ECANCELED;                /* no reply yet (thread_clone reads it) */
    t->fault_msg = true;
    int64_t r = fault_call(t, label, n);
    t->fault_msg = false;
    if (label == AERIE_FAULT_EXIT || r < 0)
        die(t, &end);
    else if (AERIE_INFO_LABEL((uint64_t)r) == AERIE_FAULT_RESUME)
        apply_resume(thread_frame(t), t->fault_words);
    else
        stop_current(t);
    if (t0 && label == AERIE_FAULT_SYSCALL)
        trace_event(t, AERIE_TRACE_SYSCALL, t0, time_now_ns() - t0, words[0], words[1], thread_frame(t)->rax,
                    words[2]);
}

void thread_first_run(void)
{
    struct thread *t = current_thread();
    if (__builtin_expect(!t->fault_pending, 1))
        return;
    t->fault_pending = false;
    uint64_t w[FAULT_WORDS];
    memcpy(w, t->fault_words, sizeof w);
    if (t->fault_label == AERIE_FAULT_EXIT)
        thread_exit_current(w[0], false);
    thread_fault(t, t->fault_label, w, t->fault_nwords);
    return_to_user_checks(t);
}

_Noreturn void thread_exit_current(uint64_t status, bool quiet)
{
    struct thread *t = current_thread();
    if (quiet && __builtin_expect(trace_on(t), 0))
        trace_event(t, AERIE_TRACE_EXIT, time_now_ns(), 0, status, 1, 0, 0);
    if (!quiet)
        thread_fault(t, AERIE_FAULT_EXIT, &status, 1);
    struct quota_end end = { .how = AERIE_END_EXIT, .detail = status };
    die(t, &end);
    schedule();
    panic("a dead thread was scheduled again");
}

/* ---- object hooks ---- */

static void thread_teardown(struct kobject *o)
{
    struct thread *t = (struct thread *)o;
    /* t may be running on another CPU: between an abort that found it
     * not waiting and the lock below it may block again. It must not be
     * marked dead in that wait (nobody would end it: the wait object's
     * reference and, say, its place on an endpoint's queue would outlive
     * t — a leaked server thread in the fuzzer, a freed sender picked
     * from a queue). So it is marked dead only when found not waiting
     * under its lock, after which thread_block refuses it. */
    for (;;) {
        while (!abort_once(t, AE_ECANCELED, 0, TS_DEAD, false, false))
            ;
        spin_lock(&t->obj.lock);
        if (t->state != TS_BLOCKED)
            break;
        spin_unlock(&t->obj.lock);
    }
    t->state = TS_DEAD;
    struct thread *client = t->reply_to;
    t->reply_to = NULL;
    sched_dequeue(t);
    spin_unlock(&t->obj.lock);
    sched_kick(t);
    if (client) {                          /* its caller will get no reply now */
        thread_lock_pair(t, client);
        if (client->state == TS_BLOCKED && client->wait_kind == WAIT_REPLY && client->wait_obj == &t->obj)
            thread_wake(client, AE_EDEAD);
        thread_unlock_pair(t, client);
        obj_put(&client->obj);
    }
    /* Being destroyed anyway: no holder to drop, but if it was still
     * live, its quota's count of live threads goes down. */
    if (__atomic_exchange_n(&t->self_held, false, __ATOMIC_ACQ_REL)) {
        struct quota_end end = { .how = AERIE_END_DESTROYED };
        quota_thread_ended(t->obj.quota, &end);
    }
    if (t->task) {
        spin_lock(&t->task->obj.lock);
        list_remove(&t->task_link);
        t->task->nthreads--;
        spin_unlock(&t->task->obj.lock);
        obj_unhold(&t->task->obj);
    }
    sched_wait_off_cpu(t, TS_DEAD);
}

static void utcb_unuse(struct memobj *m)
{
    spin_lock(&m->obj.lock);
    m->utcb_users--;
    spin_unlock(&m->obj.lock);
}

static void thread_release(struct kobject *o)
{
    struct thread *t = (struct thread *)o;
    /* Only finish_wait ends a wait, and it drops the wait object's
     * reference held in here: a thread freed with one still held was
     * marked dead inside a wait, which leaks that object and may leave
     * this memory on its queue. */
    if (t->wait_obj || t->state == TS_BLOCKED || t->in_rq)
        panic("thread %p freed while waiting (state %u, kind %u on %p, queued %u)", (void *)t, t->state,
              t->wait_kind, (void *)t->wait_obj, t->in_rq);
    if (t->utcb_mem) {
        utcb_unuse(t->utcb_mem);
        obj_put(&t->utcb_mem->obj);
    }
    if (t->handler)
        obj_put(t->handler);
    if (t->reply_to)
        obj_put(&t->reply_to->obj);
    if (t->task)
        obj_put(&t->task->obj);
}

const struct obj_ops thread_ops = {
    .teardown = thread_teardown,
    .release = thread_release,
    .size = 4096,
};

/* ---- methods ---- */

/* Locks t if it is stopped for good measure: INACTIVE, or SUSPENDED and
 * off every CPU (a thread just suspended may still be on its way off; we
 * wait for that), or BLOCKED when blocked_ok (its registers are saved in
 * its frame). Returns false, unlocked, if it is not stopped. Only a
 * stopped thread's frame and UTCB may be changed under it. */
static bool lock_stopped(struct thread *t, bool blocked_ok)
{
    for (;;) {
        spin_lock(&t->obj.lock);
        bool stopped = t->state == TS_INACTIVE || t->state == TS_SUSPENDED ||
                       (blocked_ok && t->state == TS_BLOCKED);
        if (!stopped) {
            spin_unlock(&t->obj.lock);
            return false;
        }
        if (t->state != TS_SUSPENDED || !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
            return true;
        spin_unlock(&t->obj.lock);
        sched_kick(t);
        sched_wait_off_cpu(t, TS_SUSPENDED);     /* then look again: resumed, or off */
        struct thread *me = current_thread();
        if (me->state != TS_RUNNABLE || __atomic_load_n(&me->obj.dead, __ATOMIC_ACQUIRE))
            return false;                        /* we are being stopped ourselves */
    }
}

int thread_set_utcb(struct thread *t, struct memobj *m, uint64_t off)
{
    if (off % AERIE_UTCB_SIZE || off >= m->npages * PAGE_SIZE)
        return AE_EINVAL;
    int err = 0;
    /* Counted first (review3 F2): a COW clone of m made from now on is
     * refused, and one made before has shared the page, which the write
     * below copies. */
    spin_lock(&m->obj.lock);
    m->utcb_users++;
    spin_unlock(&m->obj.lock);
    uint64_t page = memobj_page_write(m, off / PAGE_SIZE, NULL, &err);   /* a lazy page: now; its own copy */
    if (page && !lock_stopped(t, false))
        err = AE_EBUSY;
    if (!page || err) {
        utcb_unuse(m);
        return err ? err : AE_ENOMEM;
    }
    struct memobj *old = t->utcb_mem;
    obj_get(&m->obj);
    t->utcb_mem = m;
    t->utcb_off = off;
    t->utcb = (struct aerie_utcb *)((char *)phys_to_virt(page) + off % PAGE_SIZE);
    spin_unlock(&t->obj.lock);
    if (old) {
        utcb_unuse(old);
        obj_put(&old->obj);
    }
    return 0;
}

/* The copy t of a thread src stopped inside a fault call (src locked,
 * and off its CPU: parked in thread_fault, or a copy that never ran). A
 * reply src has had but not applied yet (it has not run since) is
 * applied to the copy too: RESUME's registers, or any other label leaves
 * it stopped (not started by its task's RESUME). Otherwise — the wait
 * ended by the SUSPEND, or the call not yet made — the copy makes the
 * same call to its own handler when it first runs (thread_first_run), as
 * src makes it again when resumed. An exit notice is always made again:
 * the copy ends as src does. */
static void clone_fault_call(struct thread *t, struct thread *src)
{
    bool answered = src->fault_msg && src->result >= 0 && src->fault_label != AERIE_FAULT_EXIT;
    if (answered) {
        if (AERIE_INFO_LABEL((uint64_t)src->result) == AERIE_FAULT_RESUME)
            apply_resume(thread_frame(t), src->fault_words);
        else
            t->task_held = false;
        return;
    }
    t->fault_pending = true;
    t->fault_label = src->fault_label;
    t->fault_nwords = src->fault_nwords;
    memcpy(t->fault_words, src->fault_words, sizeof t->fault_words);
}

/* Locks src for thread_clone: stopped as lock_stopped says, or blocked
 * for a reply its task's SUSPEND holds it in (and off its CPU, its FPU
 * state saved). False, unlocked, otherwise. */
static bool lock_for_copy(struct thread *src)
{
    struct thread *me = current_thread();
    for (;;) {
        if (!lock_stopped(src, true))
            return false;
        if (src->state != TS_BLOCKED)
            return true;
        bool held = src->task_held, off = !__atomic_load_n(&src->on_cpu, __ATOMIC_ACQUIRE);
        if (held && off)
            return true;
        spin_unlock(&src->obj.lock);
        if (!held || me->state != TS_RUNNABLE || __atomic_load_n(&me->obj.dead, __ATOMIC_ACQUIRE))
            return false;
        spin_relax();
    }
}

struct thread *thread_clone(struct thread *src, struct quota *q, struct task *task, bool held, int *err)
{
    /* Its own priority, never a start boost it may still have (review3
     * F6: a boosted thread suspended before it first ran). */
    struct thread *t = thread_new(q, task, src->base_prio, err);
    if (!t)
        return NULL;
    if (!lock_for_copy(src)) {
        obj_destroy(&t->obj);
        *err = AE_EBUSY;
        return NULL;
    }
    struct trap_frame *tf = thread_frame(t);
    *tf = *thread_frame(src);
    if (src->in_syscall && src->send_taken_back && tf->vector == VEC_SYSCALL) {
        /* Its SEND or CALL was taken back unreceived: the copy makes it
         * again, to the capability in the same slot of its own space,
         * with its registers as they entered (syscall_dispatch's restart). */
        tf->rip -= 2;
    } else if (src->in_syscall) {
        tf->rax = (uint64_t)(int64_t)AE_ECANCELED;
        tf->rdx = 0;
    }
    memcpy(t->fpu, src->fpu, FPU_BYTES);     /* saved when it left its CPU */
    t->fpu_dead = src->fpu_dead;             /* only its control words, if it left in an Aerie call */
    t->fs_base = src->fs_base;
    t->run_borrowed = src->run_borrowed;     /* the same code, the same promise (RUN_BORROWED) */
    if (quota_cpu_allowed(q, src->cpu))      /* else where thread_new put it, inside q's CPUs */
        t->cpu = src->cpu;
    t->task_held = held && src->task_held;
    if (src->fault_msg || src->fault_pending)
        clone_fault_call(t, src);
    spin_unlock(&src->obj.lock);
    return t;
}

static int method_set_utcb(struct thread *t, struct invocation *inv)
{
    uint64_t slot, off;
    if (inv_arg(inv, 0, &slot) || inv_arg(inv, 1, &off))
        return AE_EINVAL;
    struct capref mc;
    int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_MEMORY,
                         AERIE_R_READ | AERIE_R_WRITE, &mc);
    if (err)
        return inv_fail(inv, 0, err);
    struct memobj *m = (struct memobj *)mc.obj;
    if (m->flags & MEMOBJ_DEVICE)
        err = inv_fail(inv, 0, AE_EINVAL);
    else if ((err = thread_set_utcb(t, m, off)))
        inv_fail(inv, err == AE_EBUSY ? ~0u : 1, err);
    capref_put(&mc);
    return err;
}

/* Register values a user may set: canonical user addresses for RIP, RSP
 * and FS base; RFLAGS limited to the arithmetic flags (plus IF). */
static bool reg_ok(unsigned r, uint64_t v)
{
    if (r == AERIE_REG_RIP || r == AERIE_REG_RSP || r == AERIE_REG_FS_BASE)
        return v < AERIE_USER_MAX;
    return true;
}

static uint64_t *frame_reg(struct trap_frame *tf, unsigned r)
{
    switch (r) {
    case AERIE_REG_RIP: return &tf->rip;
    case AERIE_REG_RSP: return &tf->rsp;
    case AERIE_REG_RFLAGS: return &tf->rflags;
    case AERIE_REG_RAX: return &tf->rax;
    case AERIE_REG_RBX: return &tf->rbx;
    case AERIE_REG_RCX: return &tf->rcx;
    case AERIE_REG_RDX: return &tf->rdx;
    case AERIE_REG_RSI: return &tf->rsi;
    case AERIE_REG_RDI: return &tf->rdi;
    case AERIE_REG_RBP: return &tf->rbp;
    case AERIE_REG_R8: return &tf->r8;
    case AERIE_REG_R9: return &tf->r9;
    case AERIE_REG_R10: return &tf->r10;
    case AERIE_REG_R11: return &tf->r11;
    case AERIE_REG_R12: return &tf->r12;
    case AERIE_REG_R13: return &tf->r13;
    case AERIE_REG_R14: return &tf->r14;
    default: return &tf->r15;
    }
}

/* Registers are only read or written while the thread is not running
 * user code (its frame is then complete and stable), or by itself: locks
 * t and returns true then, else false with nothing locked. */
static bool lock_regs(struct thread *t, struct thread *caller)
{
    if (t != caller)
        return lock_stopped(t, true);
    spin_lock(&t->obj.lock);
    return true;
}

static int method_set_regs(struct thread *t, struct invocation *inv)
{
    uint64_t mask;
    if (inv_arg(inv, 0, &mask))
        return AE_EINVAL;
    if (mask >> AERIE_REG_COUNT)
        return inv_fail(inv, 0, AE_EINVAL);
    for (unsigned r = 0; r < AERIE_REG_COUNT; r++) {
        uint64_t v;
        if (!(mask & (1ull << r)))
            continue;
        if (inv_arg(inv, r + 1, &v))
            return AE_EINVAL;
        if (!reg_ok(r, v))
            return inv_fail(inv, r + 1, AE_EINVAL);
    }
    if (!lock_regs(t, inv->caller))
        return inv_fail(inv, ~0u, AE_EBUSY);
    struct trap_frame *tf = thread_frame(t);
    for (unsigned r = 0; r < AERIE_REG_COUNT; r++) {
        if (!(mask & (1ull << r)))
            continue;
        uint64_t v = inv->args[r + 1];
        if (r == AERIE_REG_FS_BASE) {
            t->fs_base = v;
            if (t == inv->caller)
                wrmsr(MSR_FS_BASE, v);
            else   /* it may run again on its CPU with no switch: return_to_user_checks loads it */
                __atomic_store_n(&t->fs_reload, true, __ATOMIC_RELEASE);
        } else if (r == AERIE_REG_RFLAGS) {
            tf->rflags = (v & 0xDD5) | 0x202;   /* CF PF AF ZF SF TF DF OF, IF, bit 1 */
        } else {
            *frame_reg(tf, r) = v;
        }
    }
    tf->vector = 0;                          /* restore every register: iretq */
    spin_unlock(&t->obj.lock);
    return 0;
}

static int method_get_regs(struct thread *t, struct invocation *inv)
{
    if (!lock_regs(t, inv->caller))
        return inv_fail(inv, ~0u, AE_EBUSY);
    struct trap_frame *tf = thread_frame(t);
    for (unsigned r = 0; r < AERIE_REG_FS_BASE; r++)
        inv->reply[r] = *frame_reg(tf, r);
    inv->reply[AERIE_REG_FS_BASE] = t->fs_base;
    spin_unlock(&t->obj.lock);
    inv->nreply = AERIE_REG_COUNT;
    return 0;
}

static int method_set_handler(struct thread *t, struct invocation *inv)
{
    uint64_t slot;
    if (inv_arg(inv, 0, &slot))
        return AE_EINVAL;
    struct capref ec = { 0 };
    if (slot) {
        int err = cap_lookup(thread_cspace(inv->caller), slot, AERIE_OBJ_ENDPOINT, AERIE_R_WRITE, &ec);
        if (err)
            return inv_fail(inv, 0, err);
    }
    spin_lock(&t->obj.lock);
    struct kobject *old = t->handler;
    t->handler = ec.obj;                     /* the lookup's reference moves here */
    t->handler_badge = ec.badge;
    spin_unlock(&t->obj.lock);
    if (old)
        obj_put(old);
    return 0;
}

static int method_set_priority(struct thread *t, struct invocation *inv)
{
    uint64_t prio;
    if (inv_arg(inv, 0, &prio))
        return AE_EINVAL;
    /* Against the caller's own priority, not a start boost it runs with. */
    if (prio < 1 || prio > AERIE_PRIO_MAX || prio > inv->caller->base_prio)
        return inv_fail(inv, 0, AE_EINVAL);
    spin_lock(&t->obj.lock);
    sched_set_prio(t, (uint8_t)prio);
    spin_unlock(&t->obj.lock);
    return 0;
}

/* SET_AFFINITY(cpu[, mask]): t runs on cpu from its next switch. Both
 * must stay inside the CPUs of t's quota (quota.h, "CPUs"), whoever asks:
 * a CPU outside them, or that does not exist, is EINVAL naming word 0;
 * a mask (0: none) that lacks cpu or has a CPU outside them is EINVAL
 * naming word 1 — refused whole, not intersected, so a caller never
 * believes it was given CPUs it was not (docs/ABI.md). The scheduler
 * moves no thread on its own, so a valid mask changes nothing beyond
 * cpu: it is checked so that every placement a mask could allow is
 * already inside the quota's CPUs. */
static int method_set_affinity(struct thread *t, struct invocation *inv)
{
    uint64_t cpu, mask = 0;
    const struct quota *q = t->obj.quota;
    if (inv_arg(inv, 0, &cpu) || (inv->nargs > 1 && inv_arg(inv, 1, &mask)))
        return AE_EINVAL;
    if (!quota_cpu_allowed(q, cpu))
        return inv_fail(inv, 0, AE_EINVAL);
    if (mask && ((mask & ~q->cpus) || !((mask >> cpu) & 1)))
        return inv_fail(inv, 1, AE_EINVAL);
    spin_lock(&t->obj.lock);
    sched_set_cpu(t, (unsigned)cpu);
    spin_unlock(&t->obj.lock);
    return 0;
}

/* Waits until t, held by its task's SUSPEND (blocked for a reply, or
 * suspended once it came), is off its CPU: its FPU state is then saved
 * (a thread that just blocked is still on its way to schedule()). Gives
 * up if t is restarted or dies, or the caller is being stopped. */
static void wait_held_off_cpu(struct thread *t)
{
    struct thread *me = current_thread();
    for (;;) {
        uint8_t st = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
        if (st != TS_BLOCKED && st != TS_SUSPENDED)
            return;
        if (sched_wait_off_cpu(t, st))
            return;
        if (me->state != TS_RUNNABLE || __atomic_load_n(&me->obj.dead, __ATOMIC_ACQUIRE))
            return;
    }
}

/* Stops t and returns only once it has left its CPU (unless t is the
 * caller, who stops on its way out of this call): until then t may still
 * run user code or be inside a system call, and its frame and UTCB are
 * not to be touched by anyone else. keep: a Task SUSPEND's (abort_once). */
static int stop_thread(struct thread *t, struct thread *caller, bool keep)
{
    /* The wait is ended straight into TS_SUSPENDED: ended as RUNNABLE
     * and suspended under the lock below, t was queued in between, and
     * its CPU (idle, watching its queue) ran it back to user mode, where
     * it acted on the ECANCELED — a fork's original went on as the
     * original and wrote its files before TASK_CLONE copied it
     * (t_stopwait.c). A thread woken otherwise (a message, a timeout),
     * or running on another CPU, may still block again between the
     * abort and the lock: it is suspended only when found not waiting
     * (or held in its wait for a reply), or it would stay blocked and
     * SUSPEND would say done. */
    for (;;) {
        while (!abort_once(t, AE_ECANCELED, 0, TS_SUSPENDED, true, keep))
            ;
        spin_lock(&t->obj.lock);
        if (t->state != TS_BLOCKED || (keep && t->task_held))
            break;
        spin_unlock(&t->obj.lock);
    }
    bool held_wait = t->state == TS_BLOCKED;
    if (t->state == TS_RUNNABLE) {
        t->state = TS_SUSPENDED;
        sched_dequeue(t);
    }
    spin_unlock(&t->obj.lock);
    sched_kick(t);
    if (t != caller && held_wait)
        wait_held_off_cpu(t);
    else if (t != caller)
        sched_wait_off_cpu(t, TS_SUSPENDED);  /* unless resumed meanwhile */
    return 0;
}

/* The handler's standing answers (docs/ABI.md, "Standing answers"):
 * checked whole before any is stored, so a bad word changes nothing. */
static int method_set_answers(struct thread *t, struct invocation *inv)
{
    if (inv->nargs > AERIE_ANSWERS_MAX)
        return inv_fail(inv, AERIE_ANSWERS_MAX, AE_EINVAL);
    uint64_t w[AERIE_ANSWERS_MAX] = { 0 };
    for (unsigned i = 0; i < inv->nargs; i++) {
        uint64_t nr = inv->args[i] >> 32;
        if (nr >= AERIE_SYS_BASE)            /* an Aerie call is never the handler's to answer */
            return inv_fail(inv, i, AE_EINVAL);
        w[i] = ((nr + 1) << 32) | (inv->args[i] & 0xFFFFFFFFu);
    }
    for (unsigned i = 0; i < AERIE_ANSWERS_MAX; i++)
        __atomic_store_n(&t->answers[i], w[i], __ATOMIC_RELEASE);
    return 0;
}

static int method_suspend(struct thread *t, struct thread *caller)
{
    return stop_thread(t, caller, false);
}

void thread_stop_for_task_end(struct thread *t)
{
    method_suspend(t, current_thread());
}

bool thread_suspend_for_task(struct thread *t)
{
    stop_thread(t, current_thread(), true);
    spin_lock(&t->obj.lock);
    bool held = t->state == TS_SUSPENDED || (t->state == TS_BLOCKED && t->task_held);
    if (held)
        t->task_held = true;
    spin_unlock(&t->obj.lock);
    return held;
}

void thread_resume_for_task(struct thread *t, uint8_t boost)
{
    spin_lock(&t->obj.lock);
    bool held = t->task_held;
    if (held && t->state == TS_BLOCKED) {
        t->task_held = false;            /* still waiting for its reply: it wakes as usual now */
        held = false;
    }
    spin_unlock(&t->obj.lock);
    if (held)
        thread_start(t, boost);          /* clears the mark */
}

int thread_invoke(struct thread *t, const struct capref *cap, uint64_t label, struct invocation *inv)
{
    uint8_t need = (label == AERIE_THREAD_INFO || label == AERIE_THREAD_GET_REGS) ? AERIE_R_READ : AERIE_R_MANAGE;
    if ((cap->rights & need) != need)
        return AE_ERIGHTS;
    uint64_t v;
    switch (label) {
    case AERIE_THREAD_SET_UTCB:     return method_set_utcb(t, inv);
    case AERIE_THREAD_SET_REGS:     return method_set_regs(t, inv);
    case AERIE_THREAD_GET_REGS:     return method_get_regs(t, inv);
    case AERIE_THREAD_SET_HANDLER:  return method_set_handler(t, inv);
    case AERIE_THREAD_SET_PRIORITY: return method_set_priority(t, inv);
    case AERIE_THREAD_SET_AFFINITY: return method_set_affinity(t, inv);
    case AERIE_THREAD_RESUME: {
        uint64_t flags = inv->nargs ? inv->args[0] : 0;
        if (flags & ~(uint64_t)AERIE_RESUME_BOOST)
            return inv_fail(inv, 0, AE_EINVAL);
        /* A thread its task's SUSPEND holds is restarted only by the
         * task's RESUME: started alone, it would run while a TASK_CLONE
         * copies the task's memory (attack6's LOW finding). Nor does any
         * other thread of a task that is stopped start: one a sibling
         * had stopped before the SUSPEND (not held), or one made in it
         * from outside (attack8). While the task is being stopped a
         * thread it starts itself still starts, and the walk catches it. */
        spin_lock(&t->obj.lock);
        v = (t->state == TS_INACTIVE || t->state == TS_SUSPENDED) && !t->task_held &&
            !(t->task && __atomic_load_n(&t->task->stop, __ATOMIC_ACQUIRE) == TASK_STOPPED);
        spin_unlock(&t->obj.lock);
        if (!v)
            return inv_fail(inv, ~0u, AE_EBUSY);
        thread_start(t, (flags & AERIE_RESUME_BOOST) ? inv->caller->base_prio : 0);
        return 0;
    }
    case AERIE_THREAD_SUSPEND:      return method_suspend(t, inv->caller);
    case AERIE_THREAD_DESTROY:
        obj_destroy(&t->obj);
        return 0;
    case AERIE_THREAD_RUN_BORROWED:
        /* A broken promise reaches the borrower's memory outside the lent
         * ranges (reads and writes it): BORROW's caller, who holds MANAGE
         * on both tasks, gave the lender that (docs/ABI.md, "Borrowing"). */
        if (inv_arg(inv, 0, &v))
            return AE_EINVAL;
        if (v > 1)
            return inv_fail(inv, 0, AE_EINVAL);
        __atomic_store_n(&t->run_borrowed, v == 1, __ATOMIC_SEQ_CST);
        /* Withdrawn, the promise ends now, not at the thread's next switch:
         * a TLB request makes every CPU where a thread of its task runs on
         * a borrower's tables load its own (sched_tlb_flush_local; attack9).
         * A task that lends to nobody has no such CPU: none is asked. */
        if (v == 0 && __atomic_load_n(&t->task->vs.nborrowers, __ATOMIC_SEQ_CST))
            tlb_shootdown(vspace_cpus(&t->task->vs), false);
        return 0;
    case AERIE_THREAD_SET_ANSWERS:  return method_set_answers(t, inv);
    case AERIE_THREAD_INFO:
        inv->reply[0] = t->state;
        inv->reply[1] = t->cpu;
        inv->reply[2] = t->base_prio;
        inv->reply[3] = t->faults;
        inv->reply[4] = tsc_to_ns(__atomic_load_n(&t->cpu_tsc, __ATOMIC_RELAXED));
        inv->nreply = 5;
        return 0;
    default:
        return AE_ENOSYS;
    }
}
