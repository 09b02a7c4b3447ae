/*
 * futex.c — Linux futexes: wait, wake, requeue, the bitset forms, and
 * the private flag. A futex is named by its address space and address,
 * or, for a word in MAP_SHARED memory, by the shared pages and offset,
 * so processes sharing that memory meet on it. Waiters are threads
 * blocked on a queue per futex word; a woken waiter's call is run again
 * and returns 0.
 */
#include <stdlib.h>
#include "lx.h"
#include "sys.h"

struct fq {
    const void *k1;             /* the mm, or the shared pages */
    uint64_t k2;                /* the address, or the offset in them */
    struct lx_waitq q;
    struct fq *next;
};

#define FQ_BUCKETS 64
static struct fq *fqs[FQ_BUCKETS];

static unsigned bucket(const void *k1, uint64_t k2)
{
    return (unsigned)(((uintptr_t)k1 >> 4 ^ k2 >> 2) % FQ_BUCKETS);
}

/* The key of the word at addr: shared pages name it when there are any. */
static void key_of(struct lx_mm *mm, uint64_t addr, bool private, const void **k1, uint64_t *k2)
{
    *k1 = mm;
    *k2 = addr;
    if (private)
        return;
    struct lx_vma *v = lx_mm_vma(mm, addr);
    if (!v || !(v->flags & LX_VMA_SHARED))
        return;
    for (struct lx_chunk *c = mm->chunks; c; c = c->next)
        if (addr >= c->start && addr < c->end) {
            *k1 = c->mem;
            *k2 = c->moff + (addr - c->start);
            return;
        }
}

static struct fq *fq_find(const void *k1, uint64_t k2, bool create)
{
    unsigned b = bucket(k1, k2);
    for (struct fq *f = fqs[b]; f; f = f->next)
        if (f->k1 == k1 && f->k2 == k2)
            return f;
    if (!create)
        return NULL;
    struct fq *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->k1 = k1;
    f->k2 = k2;
    f->next = fqs[b];
    fqs[b] = f;
    return f;
}

static void fq_drop_if_empty(struct fq *f)
{
    if (f->q.head)
        return;
    struct fq **pp = &fqs[bucket(f->k1, f->k2)];
    while (*pp && *pp != f)
        pp = &(*pp)->next;
    if (*pp)
        *pp = f->next;
    free(f);
}

/* Wakes up to n waiters whose bitset meets bits. */
static int wake(const void *k1, uint64_t k2, int n, uint32_t bits)
{
    struct fq *f = fq_find(k1, k2, false);
    if (!f)
        return 0;
    int woken = 0;
    struct lx_thread *t = lx_waitq_first(&f->q);
    while (t && woken < n) {
        struct lx_thread *next = lx_waitq_next(&f->q, t);
        if ((uint32_t)t->progress & bits) {
            t->progress = ~0ull;                 /* woken by FUTEX_WAKE */
            lx_wake_thread(t, LX_WAKE_EVENT);
            woken++;
        }
        t = next;
    }
    fq_drop_if_empty(f);
    return woken;
}

int lx_futex_wake(struct lx_mm *mm, uint64_t addr, int n)
{
    const void *k1;
    uint64_t k2;
    key_of(mm, addr, false, &k1, &k2);
    int woken = wake(k1, k2, n, ~0u);
    if (k1 != (const void *)mm)
        woken += wake(mm, addr, n - woken, ~0u);
    return woken;
}

/* FUTEX_WAIT(_BITSET): the first run checks the word and waits; a run
 * after a wake says why it ended. */
static int64_t futex_wait(struct lx_thread *t, uint64_t addr, uint32_t val, uint64_t tsp, uint32_t bits,
                          bool private, bool absolute, bool realtime)
{
    if (t->progress == ~0ull)
        return 0;
    if (t->wake == LX_WAKE_TIMEOUT)
        return -LX_ETIMEDOUT;
    if (t->wake == LX_WAKE_SIGNAL)
        return -LX_EINTR;
    if (!bits)
        return -LX_EINVAL;
    if (addr % 4)
        return -LX_EINVAL;
    uint32_t cur;
    if (lx_copy_in(t->proc->mm, &cur, addr, sizeof cur))
        return -LX_EFAULT;
    if (cur != val)
        return -LX_EAGAIN;
    uint64_t deadline = 0;
    if (tsp) {
        struct lx_timespec ts;
        if (lx_copy_in(t->proc->mm, &ts, tsp, sizeof ts))
            return -LX_EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -LX_EINVAL;
        uint64_t ns = lx_timeout_ns((uint64_t)ts.sec, (uint64_t)ts.nsec);
        if (absolute && realtime) {
            uint64_t now = lx_realtime_ns();
            ns = ns > now ? ns - now : 0;
            absolute = false;
        }
        deadline = absolute ? ns : lx_after(lx_now_ns(), ns);
        if (!deadline)
            deadline = 1;
    }
    const void *k1;
    uint64_t k2;
    key_of(t->proc->mm, addr, private, &k1, &k2);
    struct fq *f = fq_find(k1, k2, true);
    if (!f || lx_wait_on(t, &f->q))
        return -LX_ENOMEM;
    t->progress = bits;
    if (deadline)
        lx_wait_until(t, deadline);
    return LX_BLOCK;
}

/* FUTEX_REQUEUE / CMP_REQUEUE: wake n, move up to m more to addr2. */
static int64_t requeue(struct lx_thread *t, uint64_t addr, int n, int m, uint64_t addr2, bool cmp,
                       uint32_t val, bool private)
{
    if (cmp) {
        uint32_t cur;
        if (lx_copy_in(t->proc->mm, &cur, addr, sizeof cur))
            return -LX_EFAULT;
        if (cur != val)
            return -LX_EAGAIN;
    }
    const void *k1, *j1;
    uint64_t k2, j2;
    key_of(t->proc->mm, addr, private, &k1, &k2);
    key_of(t->proc->mm, addr2, private, &j1, &j2);
    int woken = wake(k1, k2, n, ~0u);
    struct fq *from = fq_find(k1, k2, false);
    if (!from || m <= 0)
        return woken;
    struct fq *to = fq_find(j1, j2, true);
    int moved = to ? lx_waitq_move(&from->q, &to->q, m) : 0;
    fq_drop_if_empty(from);
    return woken + moved;
}

LX_SYS(futex)
{
    uint64_t addr = t->a[0];
    int op = (int)t->a[1];
    uint32_t val = (uint32_t)t->a[2];
    bool private = op & LX_FUTEX_PRIVATE_FLAG, realtime = op & LX_FUTEX_CLOCK_REALTIME;
    switch (op & 0x7f) {
    case LX_FUTEX_WAIT:
        return futex_wait(t, addr, val, t->a[3], ~0u, private, false, false);
    case LX_FUTEX_WAIT_BITSET:
        return futex_wait(t, addr, val, t->a[3], (uint32_t)t->a[5], private, true, realtime);
    case LX_FUTEX_WAKE:
    case LX_FUTEX_WAKE_BITSET: {
        const void *k1;
        uint64_t k2;
        key_of(t->proc->mm, addr, private, &k1, &k2);
        uint32_t bits = (op & 0x7f) == LX_FUTEX_WAKE ? ~0u : (uint32_t)t->a[5];
        return bits ? wake(k1, k2, (int)(val > 0x7fffffff ? 0x7fffffff : val), bits) : -LX_EINVAL;
    }
    case LX_FUTEX_REQUEUE:
    case LX_FUTEX_CMP_REQUEUE:
        return requeue(t, addr, (int)val, (int)t->a[3], t->a[4], (op & 0x7f) == LX_FUTEX_CMP_REQUEUE,
                       (uint32_t)t->a[5], private);
    default:
        return -LX_ENOSYS;
    }
}

LX_SYS(set_robust_list)
{
    if (t->a[1] != 24)
        return -LX_EINVAL;
    t->robust_list = t->a[0];
    return 0;
}

LX_SYS(get_robust_list)
{
    struct lx_thread *o = t->a[0] ? lx_thread_of(t->a[0]) : t;
    if (!o || o->proc != t->proc)
        return -LX_ESRCH;
    uint64_t len = 24;
    int r = lx_copy_out(t->proc->mm, t->a[1], &o->robust_list, 8);
    return r ? r : lx_copy_out(t->proc->mm, t->a[2], &len, 8);
}
