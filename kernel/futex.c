/*
 * futex.c — futex wait and wake, keyed by (address space, address).
 * Waiters sit in one of 64 hashed buckets, each with its own lock; the
 * word is read through the page tables under the bucket lock, so a wake
 * after the value changed cannot slip between the check and the sleep.
 *
 * Locking: bucket lock, then the address space's lock, then thread locks.
 */
#include "futex.h"
#include "thread.h"
#include "task.h"
#include "memory.h"
#include <aerie/errors.h>
#include <aerie/syscall.h>

#define FUTEX_BUCKETS 64

struct futex_bucket {
    spinlock_t lock;
    struct list waiters;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];

static struct futex_bucket *bucket_for(struct vspace *vs, uint64_t addr)
{
    uint64_t h = ((uint64_t)vs >> 6) ^ (addr >> 2) * 0x9E3779B97F4A7C15ull;
    return &buckets[(h >> 58) % FUTEX_BUCKETS];
}

void futex_init(void)
{
    for (int i = 0; i < FUTEX_BUCKETS; i++) {
        spin_init(&buckets[i].lock);
        list_init(&buckets[i].waiters);
    }
}

int64_t futex_wait(struct thread *t, uint64_t addr, uint32_t expected, uint64_t timeout)
{
    if (addr % 4)
        return AE_EINVAL;
    struct vspace *vs = &t->task->vs;
    struct futex_bucket *b = bucket_for(vs, addr);
    spin_lock(&b->lock);
    spin_lock(&vs->lock);
    bool writable;
    uint64_t phys = vspace_translate(vs, addr, &writable);
    if (!phys && vspace_touch_locked(vs, addr, false) == 0)      /* a lazy page not touched yet */
        phys = vspace_translate(vs, addr, &writable);
    uint32_t value = phys ? *(volatile uint32_t *)phys_to_virt(phys) : 0;
    spin_unlock(&vs->lock);
    int64_t ret = 0;
    bool wait = false;
    if (!phys) {
        ret = AE_EFAULT;
    } else if (value != expected) {
        ret = AE_EAGAIN;
    } else if (timeout == AERIE_TIMEOUT_POLL) {
        ret = AE_ETIMEOUT;
    } else {
        spin_lock(&t->obj.lock);
        wait = thread_block(t, WAIT_FUTEX, NULL, &b->lock, timeout);
        if (wait) {
            t->futex_vs = vs;
            t->futex_addr = addr;
            list_push_back(&b->waiters, &t->wait_link);
        } else {
            ret = AE_ECANCELED;
        }
        spin_unlock(&t->obj.lock);
    }
    spin_unlock(&b->lock);
    if (!wait)
        return ret;
    thread_wait_switch();
    return t->result;
}

int64_t futex_wake(struct thread *t, uint64_t addr, uint64_t count)
{
    if (addr % 4)
        return AE_EINVAL;
    struct vspace *vs = &t->task->vs;
    struct futex_bucket *b = bucket_for(vs, addr);
    int64_t woken = 0;
    spin_lock(&b->lock);
    list_for_each_safe(n, tmp, &b->waiters) {
        if ((uint64_t)woken >= count)
            break;
        struct thread *w = list_entry(n, struct thread, wait_link);
        if (w->futex_vs != vs || w->futex_addr != addr)
            continue;
        spin_lock(&w->obj.lock);
        list_remove(&w->wait_link);
        thread_wake(w, 0);
        spin_unlock(&w->obj.lock);
        woken++;
    }
    spin_unlock(&b->lock);
    return woken;
}
