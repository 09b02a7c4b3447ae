/*
 * ipc.c — endpoints and synchronous message passing (see ipc.h, and the
 * blocking rules in thread.h).
 */
#include "ipc.h"
#include "thread.h"
#include "task.h"
#include "quota.h"
#include "sched.h"
#include "printk.h"
#include "percpu.h"
#include "hot.h"
#include "syscall.h"
#include "lib/string.h"
#include <aerie/errors.h>
#include <aerie/syscall.h>

int endpoint_create(struct quota *q, struct invocation *inv, struct kobject **out)
{
    int err;
    struct endpoint *ep = quota_new_object(q, AERIE_OBJ_ENDPOINT, sizeof *ep, 0, &err);
    if (!ep)
        return err;
    list_init(&ep->sendq);
    list_init(&ep->recvq);
    list_init(&ep->notices);
    *out = &ep->obj;
    return 0;
}

/* Counts a message handed from sender to receiver: on the sender's CPU
 * or across CPUs. Per-CPU fields only this CPU writes, in the per-CPU
 * block the path touches anyway; ipc_stats sums them (KDEBUG_STATS). */
HOT_INLINE void count_delivery(const struct thread *sender, const struct thread *receiver)
{
    struct cpu *c = this_cpu();
    if (__atomic_load_n(&sender->cpu, __ATOMIC_RELAXED) == __atomic_load_n(&receiver->cpu, __ATOMIC_RELAXED))
        __atomic_store_n(&c->ipc_local, c->ipc_local + 1, __ATOMIC_RELAXED);
    else
        __atomic_store_n(&c->ipc_remote, c->ipc_remote + 1, __ATOMIC_RELAXED);
}

void ipc_stats(uint64_t *local, uint64_t *remote)
{
    *local = *remote = 0;
    for (unsigned c = 0; c < ncpus; c++) {
        *local += __atomic_load_n(&cpus[c].ipc_local, __ATOMIC_RELAXED);
        *remote += __atomic_load_n(&cpus[c].ipc_remote, __ATOMIC_RELAXED);
    }
}

/* How many waiting receivers a sender looks through for one on its CPU:
 * a bound, since the endpoint lock is held meanwhile. */
#define RECV_SCAN 8

/* The receiver a message goes to: the first waiting on the sender's CPU
 * among the first RECV_SCAN, else the longest waiting. Services with a
 * worker per CPU on one endpoint (fs, cm) then answer on the caller's
 * CPU without an IPI or a second CPU's wake-up. ep locked, recvq not
 * empty. A receiver's CPU may change meanwhile (SET_AFFINITY): it is only
 * a preference. */
HOT_INLINE struct thread *pick_receiver(struct endpoint *ep)
{
    uint16_t me = (uint16_t)cpu_index();
    unsigned n = 0;
    list_for_each(l, &ep->recvq) {
        struct thread *r = list_entry(l, struct thread, wait_link);
        if (__atomic_load_n(&r->cpu, __ATOMIC_RELAXED) == me)
            return r;
        if (++n == RECV_SCAN)
            break;
    }
    return list_entry(ep->recvq.next, struct thread, wait_link);
}

static void wake_all(struct list *q)
{
    struct list *n;
    while ((n = list_pop_front(q))) {
        struct thread *t = list_entry(n, struct thread, wait_link);
        spin_lock(&t->obj.lock);
        thread_wake(t, AE_EDEAD);
        spin_unlock(&t->obj.lock);
    }
}

static void endpoint_teardown(struct kobject *o)
{
    struct endpoint *ep = (struct endpoint *)o;
    struct list dropped;
    list_init(&dropped);
    spin_lock(&ep->obj.lock);
    wake_all(&ep->sendq);
    wake_all(&ep->recvq);
    struct list *n;
    while ((n = list_pop_front(&ep->notices)))
        list_push_back(&dropped, n);
    spin_unlock(&ep->obj.lock);
    /* Their owners' references go with no lock held: one may be the last. */
    while ((n = list_pop_front(&dropped)))
        obj_put(list_entry(n, struct ipc_notice, link)->owner);
}

const struct obj_ops endpoint_ops = {
    .teardown = endpoint_teardown,
    .size = sizeof(struct endpoint),
};

HOT_INLINE int ipc_check_info_inline(struct thread *t, uint64_t info, bool grant)
{
    uint64_t nwords = AERIE_INFO_NWORDS(info), ncaps = AERIE_INFO_NCAPS(info);
    if (nwords > AERIE_MSG_WORDS || ncaps > AERIE_MSG_CAPS || AERIE_INFO_FLAGS(info))
        return AE_EINVAL;
    if (ncaps && !grant)
        return AE_ERIGHTS;
    if ((nwords || ncaps) && !t->utcb && !t->fault_msg)
        return AE_EFAULT;
    return 0;
}

int ipc_check_info(struct thread *t, uint64_t info, bool grant)
{
    return ipc_check_info_inline(t, info, grant);
}

/* The capabilities of a message (transfer): out of the IPC path's line,
 * which carries none in its common case. Returns how many were placed. */
static __attribute__((noinline)) unsigned transfer_caps(struct thread *s, struct thread *r, unsigned ncaps)
{
    uint32_t window[AERIE_MSG_CAPS], want[AERIE_MSG_CAPS];
    unsigned placed = 0, next = 0;
    for (unsigned i = 0; i < AERIE_MSG_CAPS; i++) {
        window[i] = r->utcb->recv_slots[i];   /* read once: user memory */
        want[i] = s->utcb->caps[i];
    }
    for (unsigned i = 0; i < ncaps; i++) {
        uint32_t slot = cap_transfer_locked(&s->task->cspace, want[i], &r->task->cspace,
                                            window, AERIE_MSG_CAPS, &next);
        if (slot)
            r->utcb->caps[placed++] = slot;
    }
    return placed;
}

/*
 * Copies s's message to r and returns the info word r receives. Both are
 * locked or s is the current thread; the derivation-tree lock is held if
 * the message carries capabilities. Any message: a fault's, capabilities,
 * a thread without a UTCB.
 */
static __attribute__((noinline)) uint64_t transfer_any(struct thread *s, uint64_t info, bool grant,
                                                       struct thread *r)
{
    unsigned n = (unsigned)AERIE_INFO_NWORDS(info);
    unsigned ncaps = grant && !s->fault_msg ? (unsigned)AERIE_INFO_NCAPS(info) : 0;
    const uint64_t *src = s->fault_msg ? s->fault_words : s->utcb ? s->utcb->mr : NULL;
    uint64_t *dst = r->fault_msg ? r->fault_words : r->utcb ? r->utcb->mr : NULL;
    unsigned room = r->fault_msg ? FAULT_WORDS : dst ? AERIE_MSG_WORDS : 0;
    if (n > room)
        n = room;
    if (!src)
        n = 0;
    if (n)
        memcpy(dst, src, n * sizeof(uint64_t));
    unsigned placed = 0, flags = 0;
    if (ncaps && r->utcb)
        placed = transfer_caps(s, r, ncaps);
    if (placed < ncaps || (AERIE_INFO_NCAPS(info) && !r->utcb))
        flags |= AERIE_INFO_CAPS_DROPPED;
    if (s->fault_msg)
        flags |= AERIE_INFO_KERNEL;          /* user sends cannot set flags (ipc_check_info) */
    return AERIE_INFO(AERIE_INFO_LABEL(info), n, placed) | ((uint64_t)flags << 16);
}

/* transfer_any for the IPC path: inline for the common message, words
 * from one thread's UTCB to another's and no capabilities (what
 * transfer_any does then, without its call). */
HOT_INLINE uint64_t transfer(struct thread *s, uint64_t info, bool grant, struct thread *r)
{
    if (__builtin_expect(s->fault_msg || r->fault_msg || !s->utcb || !r->utcb || AERIE_INFO_NCAPS(info), 0))
        return transfer_any(s, info, grant, r);
    unsigned n = (unsigned)AERIE_INFO_NWORDS(info);
    if (n > AERIE_MSG_WORDS)
        n = AERIE_MSG_WORDS;
    if (n == 1)
        r->utcb->mr[0] = s->utcb->mr[0];     /* no call: fewer jump-cache look-ups (hot.h) */
    else if (n)
        memcpy(r->utcb->mr, s->utcb->mr, n * sizeof(uint64_t));
    return AERIE_INFO(AERIE_INFO_LABEL(info), n, 0);
}

static uint64_t notice_info(const struct ipc_notice *n)
{
    return AERIE_INFO(n->label, IPC_NOTICE_WORDS, 0) | ((uint64_t)AERIE_INFO_KERNEL << 16);
}

void ipc_post_notice(struct endpoint *ep, struct ipc_notice *n)
{
    spin_lock(&ep->obj.lock);
    if (ep->obj.dead) {
        spin_unlock(&ep->obj.lock);
        return;
    }
    if (list_empty(&ep->recvq)) {
        obj_get(n->owner);                   /* the queue's reference */
        list_push_back(&ep->notices, &n->link);
        spin_unlock(&ep->obj.lock);
        return;
    }
    struct thread *r = list_entry(ep->recvq.next, struct thread, wait_link);
    spin_lock(&r->obj.lock);
    list_remove(&r->wait_link);
    memcpy(r->utcb->mr, n->words, sizeof n->words);   /* receivers always have a UTCB */
    r->result_badge = n->badge;
    thread_wake(r, (int64_t)notice_info(n));
    spin_unlock(&r->obj.lock);
    spin_unlock(&ep->obj.lock);
}

/* r (locked, s locked too) now owes s a reply: s waits on r. */
HOT_INLINE void await_reply(struct thread *s, struct thread *r)
{
    obj_get(&s->obj);
    r->reply_to = s;
    r->reply_seq = s->wait_seq;
}

/* A blocked sender s that made a call becomes a reply waiter on r. Both
 * locked, and the endpoint s was queued on. */
HOT_INLINE void sender_to_reply_wait(struct thread *s, struct thread *r)
{
    timer_disarm_inline(s);                 /* the send timeout is over */
    obj_put(s->wait_obj);                   /* the endpoint: its lock holder has another reference */
    s->wait_obj = &r->obj;
    obj_get(&r->obj);
    s->wait_kind = WAIT_REPLY;
    s->wait_seq++;
    await_reply(s, r);
}

/* The current thread t (locked) is being stopped before its message went
 * to anyone: a SUSPEND takes the send back (docs/ABI.md, IPC). A system
 * call is entered again once t is resumed (SYSCALL_RESTART), a fault call
 * is made again by thread_fault (stop_cancelled); a thread being
 * destroyed just ends. */
static int64_t taken_back(struct thread *t)
{
    if (t->state != TS_SUSPENDED)
        return AE_ECANCELED;
    t->stop_cancelled = true;
    return t->fault_msg ? AE_ECANCELED : SYSCALL_RESTART;
}

HOT_INLINE int64_t ipc_send_inline(struct thread *t, struct endpoint *ep, uint64_t badge, bool grant,
                                   uint64_t info, uint64_t timeout, bool call)
{
    bool caps = AERIE_INFO_NCAPS(info) && grant;
    if (caps)
        cdt_lock_acquire();
    spin_lock(&ep->obj.lock);
    int64_t ret = 0;
    bool wait = false;
    t->send_taken_back = false;              /* only abort_once sets it, on a wait of ours */
    if (ep->obj.dead) {
        ret = AE_EDEAD;
    } else if (!list_empty(&ep->recvq)) {
        struct thread *r = pick_receiver(ep);
        thread_lock_pair(t, r);
        if (__builtin_expect(t->state != TS_RUNNABLE, 0)) {
            /* Stopped before the hand-over: the receiver never sees it
             * (rather than get a call whose caller is gone at once). */
            ret = taken_back(t);
            thread_unlock_pair(t, r);
            goto out;
        }
        list_remove(&r->wait_link);
        count_delivery(t, r);
        uint64_t rinfo = transfer(t, info, grant, r);
        r->result_badge = badge;
        if (call) {
            wait = thread_block_inline(t, WAIT_REPLY, &r->obj, NULL, AERIE_TIMEOUT_FOREVER);
            if (wait)
                await_reply(t, r);
            else
                ret = AE_ECANCELED;
        }
        thread_wake_inline(r, (int64_t)rinfo);
        thread_unlock_pair(t, r);
    } else if (timeout == AERIE_TIMEOUT_POLL) {
        ret = AE_ETIMEOUT;
    } else {
        spin_lock(&t->obj.lock);
        t->send_info = info;
        t->send_badge = badge;
        t->send_call = call;
        t->send_grant = grant;
        wait = thread_block_inline(t, WAIT_SEND, &ep->obj, NULL, timeout);
        if (wait)
            list_push_back(&ep->sendq, &t->wait_link);
        else
            ret = taken_back(t);
        spin_unlock(&t->obj.lock);
    }
out:
    spin_unlock(&ep->obj.lock);
    if (caps)
        cdt_lock_release();
    obj_put(&ep->obj);
    if (!wait)
        return ret;
    schedule_inline();                       /* thread_wait_switch */
    /* A SUSPEND took us off the send queue: nobody received the message,
     * so the system call is made again when we run (TASK_CLONE's copy of
     * us, stopped here, makes it too: thread_clone). */
    if (__builtin_expect(t->send_taken_back, 0)) {
        t->send_taken_back = false;
        if (!t->fault_msg)
            return SYSCALL_RESTART;
    }
    return t->result;
}

int64_t ipc_send(struct thread *t, struct endpoint *ep, uint64_t badge, bool grant, uint64_t info,
                 uint64_t timeout, bool call)
{
    return ipc_send_inline(t, ep, badge, grant, info, timeout, call);
}

HOT_INLINE void ipc_cancel_reply_inline(struct thread *t, int64_t err)
{
    spin_lock(&t->obj.lock);
    struct thread *c = t->reply_to;
    uint64_t seq = t->reply_seq;
    t->reply_to = NULL;
    spin_unlock(&t->obj.lock);
    if (!c)
        return;
    thread_lock_pair(t, c);
    if (c->state == TS_BLOCKED && c->wait_kind == WAIT_REPLY && c->wait_obj == &t->obj &&
        c->wait_seq == seq)
        thread_wake_inline(c, err);
    thread_unlock_pair(t, c);
    obj_put(&c->obj);
}

void ipc_cancel_reply(struct thread *t, int64_t err)
{
    ipc_cancel_reply_inline(t, err);
}

/* A receiver t takes the message of s, queued to send; both locked.
 * Apart from the path's line: on one CPU the receiver waits first. */
static __attribute__((noinline)) int64_t take_sender(struct thread *t, struct thread *s, uint64_t *badge)
{
    list_remove(&s->wait_link);
    count_delivery(s, t);
    int64_t ret = (int64_t)transfer(s, s->send_info, s->send_grant, t);
    *badge = s->send_badge;
    if (s->send_call)
        sender_to_reply_wait(s, t);
    else
        thread_wake_inline(s, 0);
    return ret;
}

HOT_INLINE int64_t ipc_recv_inline(struct thread *t, struct endpoint *ep, uint64_t timeout, uint64_t *badge)
{
    if (!t->utcb) {
        obj_put(&ep->obj);
        return AE_EFAULT;
    }
    ipc_cancel_reply_inline(t, AE_ECANCELED);
    bool have_cdt = false, wait = false;
    int64_t ret = 0;
    struct kobject *noticed = NULL;
    for (;;) {
        spin_lock(&ep->obj.lock);
        if (__builtin_expect(!ep->obj.dead && !list_empty(&ep->notices), 0)) {
            struct ipc_notice *n = list_entry(list_pop_front(&ep->notices), struct ipc_notice, link);
            memcpy(t->utcb->mr, n->words, sizeof n->words);
            *badge = n->badge;
            ret = (int64_t)notice_info(n);
            noticed = n->owner;              /* the queue's reference, dropped below */
            goto out;
        }
        if (ep->obj.dead || list_empty(&ep->sendq))
            break;
        struct thread *s = list_entry(ep->sendq.next, struct thread, wait_link);
        bool caps = AERIE_INFO_NCAPS(s->send_info) && s->send_grant;
        if (!caps || have_cdt) {
            thread_lock_pair(t, s);
            if (__builtin_expect(t->state == TS_DEAD, 0)) {
                /* Destroyed on another CPU while it runs here: its
                 * teardown has already let its callers go, so a caller
                 * taken now would wait for its reply for ever (and hold
                 * it, which holds the caller back). The caller stays
                 * queued for another receiver. */
                thread_unlock_pair(t, s);
                ret = AE_EDEAD;
                goto out;
            }
            ret = take_sender(t, s, badge);
            thread_unlock_pair(t, s);
            goto out;
        }
        /* The derivation-tree lock comes before the endpoint's. */
        spin_unlock(&ep->obj.lock);
        cdt_lock_acquire();
        have_cdt = true;
    }
    if (ep->obj.dead) {
        ret = AE_EDEAD;
    } else if (timeout == AERIE_TIMEOUT_POLL) {
        ret = AE_ETIMEOUT;
    } else {
        spin_lock(&t->obj.lock);
        wait = thread_block_inline(t, WAIT_RECV, &ep->obj, NULL, timeout);
        if (wait)
            list_push_back(&ep->recvq, &t->wait_link);
        else
            ret = AE_ECANCELED;
        spin_unlock(&t->obj.lock);
    }
out:
    spin_unlock(&ep->obj.lock);
    if (have_cdt)
        cdt_lock_release();
    if (noticed)
        obj_put(noticed);
    obj_put(&ep->obj);
    if (!wait)
        return ret;
    schedule_inline();                       /* thread_wait_switch */
    *badge = t->result_badge;
    return t->result;
}

int64_t ipc_recv(struct thread *t, struct endpoint *ep, uint64_t timeout, uint64_t *badge)
{
    return ipc_recv_inline(t, ep, timeout, badge);
}

/* Delivers t's reply to client, if client still waits for it (`saved`:
 * through a saved reply cap). Consumes the reference on client. */
HOT_INLINE int64_t deliver_reply(struct thread *t, struct thread *client, uint64_t seq, uint64_t info, bool saved)
{
    bool caps = AERIE_INFO_NCAPS(info) != 0;
    if (__builtin_expect(caps, 0))
        cdt_lock_acquire();
    thread_lock_pair(t, client);
    int64_t ret = AE_EDEAD;
    bool waiting = client->state == TS_BLOCKED && client->wait_seq == seq &&
                   (saved ? client->wait_kind == WAIT_REPLY_SAVED
                          : client->wait_kind == WAIT_REPLY && client->wait_obj == &t->obj);
    if (waiting) {
        uint64_t rinfo = transfer(t, info, true, client);
        client->result_badge = 0;
        thread_wake_inline(client, (int64_t)rinfo);
        ret = 0;
    }
    thread_unlock_pair(t, client);
    if (caps)
        cdt_lock_release();
    obj_put(&client->obj);
    return ret;
}

HOT_INLINE int64_t ipc_reply_inline(struct thread *t, uint64_t info)
{
    int err = ipc_check_info_inline(t, info, true);
    if (err)
        return err;
    spin_lock(&t->obj.lock);
    struct thread *c = t->reply_to;
    uint64_t seq = t->reply_seq;
    t->reply_to = NULL;
    spin_unlock(&t->obj.lock);
    if (!c)
        return AE_EINVAL;                    /* nobody is waiting for a reply */
    return deliver_reply(t, c, seq, info, false);
}

int64_t ipc_reply(struct thread *t, uint64_t info)
{
    return ipc_reply_inline(t, info);
}

int64_t ipc_reply_through(struct thread *t, struct thread *client, uint64_t seq, uint64_t info)
{
    int err = ipc_check_info(t, info, true);
    if (err)
        return err;
    obj_get(&client->obj);
    return deliver_reply(t, client, seq, info, true);
}

int ipc_reply_save(struct thread *t, uint64_t slot)
{
    int err = cap_slot_usable(&t->task->cspace, slot);
    if (err)
        return err;
    spin_lock(&t->obj.lock);
    struct thread *c = t->reply_to;
    uint64_t seq = t->reply_seq;
    t->reply_to = NULL;
    spin_unlock(&t->obj.lock);
    if (!c)
        return AE_EINVAL;
    thread_lock_pair(t, c);
    bool waiting = c->state == TS_BLOCKED && c->wait_kind == WAIT_REPLY &&
                   c->wait_obj == &t->obj && c->wait_seq == seq;
    if (waiting) {
        obj_put(&t->obj);                    /* t is running: not its last reference */
        c->wait_obj = NULL;
        c->wait_kind = WAIT_REPLY_SAVED;
    }
    thread_unlock_pair(t, c);
    if (!waiting) {
        obj_put(&c->obj);
        return AE_EDEAD;
    }
    err = cap_install_reply(&t->task->cspace, slot, &c->obj, seq);
    if (err)
        thread_reply_dropped(c, seq);
    obj_put(&c->obj);
    return err;
}

int64_t ipc_fault_call(struct thread *t, uint64_t info)
{
    spin_lock(&t->obj.lock);
    struct kobject *h = t->handler;
    uint64_t badge = t->handler_badge;
    if (h)
        obj_get(h);
    spin_unlock(&t->obj.lock);
    if (!h)
        return AE_ECAP;
    return ipc_send(t, (struct endpoint *)h, badge, false, info, AERIE_TIMEOUT_FOREVER, true);
}
