/*
 * eventfd.c — the two counters event loops wake on: eventfd (a 64-bit
 * count written and read as 8 bytes; libuv, mio and glib use one as
 * their wake-up) and timerfd (a timer whose expirations are read as an
 * 8-byte count). Both are open file descriptions like a pipe's: shared by
 * dup and fork, their waiters on a queue of the object, ready in poll,
 * select and epoll through their poll op. Timers that are armed are on
 * one list; the loop asks lx_timerfds_expire before it waits, which wakes
 * the readers of the due ones and says when the next is due.
 * Everything lives in the personality's heap (the container's memory);
 * each is an fd, so RLIMIT_NOFILE bounds how many a process holds.
 */
#include <stdlib.h>
#include <string.h>
#include "lx.h"
#include "sys.h"

#define EFD_SEMAPHORE 1u
#define EFD_FLAGS (EFD_SEMAPHORE | LX_O_CLOEXEC | LX_O_NONBLOCK)
#define EFD_MAX 0xfffffffffffffffeull     /* the largest count (Linux: ULLONG_MAX - 1) */

struct eventfd {
    uint64_t count;
    bool semaphore;
    struct lx_waitq rq, wq;     /* waiting to read (count 0), to write (it would overflow) */
    unsigned long ino;
};

static unsigned long next_ino = 0x500000;

static int64_t efd_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct eventfd *e = f->obj;
    (void)off;
    if (n < 8)
        return -LX_EINVAL;
    if (!e->count) {
        if (f->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &e->rq) ? -LX_ENOMEM : LX_BLOCK;
    }
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    memcpy(buf, &v, 8);
    lx_wake_all(&e->wq);
    return 8;
}

static int64_t efd_write(struct lx_thread *t, struct lx_file *f, const void *buf, uint64_t n, int64_t off)
{
    struct eventfd *e = f->obj;
    uint64_t v;
    (void)off;
    if (n < 8)
        return -LX_EINVAL;
    memcpy(&v, buf, 8);
    if (v == ~0ull)
        return -LX_EINVAL;
    if (v > EFD_MAX - e->count) {              /* would overflow: wait until a read makes room */
        if (f->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        return lx_wait_on(t, &e->wq) ? -LX_ENOMEM : LX_BLOCK;
    }
    e->count += v;
    if (v)
        lx_wake_all(&e->rq);
    return 8;
}

static unsigned efd_poll(struct lx_file *f, struct lx_thread *t)
{
    struct eventfd *e = f->obj;
    unsigned ev = 0;
    if (e->count)
        ev |= LX_POLLIN | LX_POLLRDNORM;
    if (e->count < EFD_MAX)
        ev |= LX_POLLOUT | LX_POLLWRNORM;
    if (t) {
        lx_wait_on(t, &e->rq);
        lx_wait_on(t, &e->wq);
    }
    return ev;
}

static int efd_stat(struct lx_file *f, struct lx_stat *st)
{
    struct eventfd *e = f->obj;
    st->mode = 0600;                            /* an anonymous inode, as Linux's */
    st->ino = e->ino;
    st->dev = 0xD;
    return 0;
}

static void efd_release(struct lx_file *f)
{
    struct eventfd *e = f->obj;
    lx_wake_all(&e->rq);                        /* waiters run again and find the fd gone */
    lx_wake_all(&e->wq);
    free(e);
}

static const struct lx_file_ops eventfd_ops = {
    .kind = "eventfd", .read = efd_read, .write = efd_write, .stat = efd_stat, .poll = efd_poll,
    .release = efd_release,
};

static int64_t efd_create(struct lx_thread *t, uint64_t initval, unsigned flags)
{
    if (flags & ~EFD_FLAGS)
        return -LX_EINVAL;
    struct eventfd *e = calloc(1, sizeof *e);
    struct lx_file *f = e ? lx_file_new(&eventfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), e) : NULL;
    if (!f) {
        free(e);
        return -LX_ENOMEM;
    }
    e->count = (uint32_t)initval;               /* an unsigned int, as the call declares it */
    e->semaphore = flags & EFD_SEMAPHORE;
    e->ino = next_ino++;
    strcpy(f->path, "anon_inode:[eventfd]");
    return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
}

LX_SYS(eventfd) { return efd_create(t, t->a[0], 0); }
LX_SYS(eventfd2) { return efd_create(t, t->a[0], (unsigned)t->a[1]); }

/* ---- timerfd ---- */

#define TFD_TIMER_ABSTIME 1u
#define TFD_TIMER_CANCEL_ON_SET 2u
#define TFD_FLAGS (LX_O_CLOEXEC | LX_O_NONBLOCK)
#define NS 1000000000ull

struct itimerspec {
    struct lx_timespec interval, value;
};

struct timerfd {
    int clock;
    uint64_t next;              /* monotonic ns of the next expiration; 0: disarmed */
    uint64_t interval;          /* ns; 0: one expiration */
    uint64_t ticks;             /* expirations not yet read */
    struct lx_waitq rq;
    unsigned long ino;
    struct timerfd *anext, **aprev;   /* on the armed list while next != 0 */
};

static struct timerfd *armed;

static void disarm(struct timerfd *tf)
{
    if (tf->aprev) {
        *tf->aprev = tf->anext;
        if (tf->anext)
            tf->anext->aprev = tf->aprev;
        tf->aprev = NULL;
        tf->anext = NULL;
    }
    tf->next = 0;
}

static void arm(struct timerfd *tf, uint64_t next)
{
    if (!tf->aprev) {
        tf->anext = armed;
        if (armed)
            armed->aprev = &tf->anext;
        armed = tf;
        tf->aprev = &armed;
    }
    tf->next = next;
}

/* Counts the expirations up to now. */
static void tfd_update(struct timerfd *tf, uint64_t now)
{
    if (!tf->next || now < tf->next)
        return;
    if (!tf->interval) {
        tf->ticks++;
        disarm(tf);
        return;
    }
    uint64_t k = 1 + (now - tf->next) / tf->interval;
    tf->ticks += k;
    tf->next += k * tf->interval;
}

uint64_t lx_timerfds_expire(void)
{
    uint64_t now = lx_now_ns(), next = ~0ull;
    for (struct timerfd *tf = armed, *n; tf; tf = n) {
        n = tf->anext;                           /* tfd_update may take tf off the list */
        uint64_t before = tf->ticks;
        tfd_update(tf, now);
        if (tf->ticks != before)
            lx_wake_all(&tf->rq);
        if (tf->next && tf->next - now < next)
            next = tf->next - now;
    }
    return next;
}

static int64_t tfd_read(struct lx_thread *t, struct lx_file *f, void *buf, uint64_t n, int64_t off)
{
    struct timerfd *tf = f->obj;
    (void)off;
    if (n < 8)
        return -LX_EINVAL;
    tfd_update(tf, lx_now_ns());
    if (!tf->ticks) {
        if (f->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        if (t->wake == LX_WAKE_SIGNAL)
            return -LX_ERESTARTSYS;
        if (lx_wait_on(t, &tf->rq))
            return -LX_ENOMEM;
        if (tf->next)
            lx_wait_until(t, tf->next);          /* the loop's expire walk wakes it too; this is the bound */
        return LX_BLOCK;
    }
    memcpy(buf, &tf->ticks, 8);
    tf->ticks = 0;
    return 8;
}

static unsigned tfd_poll(struct lx_file *f, struct lx_thread *t)
{
    struct timerfd *tf = f->obj;
    tfd_update(tf, lx_now_ns());
    if (t)
        lx_wait_on(t, &tf->rq);
    return tf->ticks ? LX_POLLIN | LX_POLLRDNORM : 0;
}

static int tfd_stat(struct lx_file *f, struct lx_stat *st)
{
    struct timerfd *tf = f->obj;
    st->mode = 0600;
    st->ino = tf->ino;
    st->dev = 0xD;
    return 0;
}

static void tfd_release(struct lx_file *f)
{
    struct timerfd *tf = f->obj;
    disarm(tf);
    lx_wake_all(&tf->rq);
    free(tf);
}

static const struct lx_file_ops timerfd_ops = {
    .kind = "timerfd", .read = tfd_read, .stat = tfd_stat, .poll = tfd_poll, .release = tfd_release,
};

LX_SYS(timerfd_create)
{
    int clock = (int)t->a[0];
    unsigned flags = (unsigned)t->a[1];
    if (clock == 8 || clock == 9)                /* the _ALARM clocks need CAP_WAKE_ALARM */
        return -LX_EPERM;
    if (clock != LX_CLOCK_REALTIME && clock != LX_CLOCK_MONOTONIC && clock != LX_CLOCK_BOOTTIME)
        return -LX_EINVAL;
    if (flags & ~TFD_FLAGS)
        return -LX_EINVAL;
    struct timerfd *tf = calloc(1, sizeof *tf);
    struct lx_file *f = tf ? lx_file_new(&timerfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), tf) : NULL;
    if (!f) {
        free(tf);
        return -LX_ENOMEM;
    }
    tf->clock = clock;
    tf->ino = next_ino++;
    strcpy(f->path, "anon_inode:[timerfd]");
    return lx_fd_install(t->proc, f, 0, flags & LX_O_CLOEXEC);
}

static int64_t timerfd_of(struct lx_thread *t, struct timerfd **out)
{
    struct lx_file *f = lx_fd_get(t->proc, (int)(int32_t)t->a[0]);
    if (!f)
        return -LX_EBADF;
    if (f->ops != &timerfd_ops)
        return -LX_EINVAL;
    *out = f->obj;
    return 0;
}

static void ts_of(uint64_t ns, struct lx_timespec *ts)
{
    ts->sec = (int64_t)(ns / NS);
    ts->nsec = (int64_t)(ns % NS);
}

static void current(struct timerfd *tf, struct itimerspec *v)
{
    uint64_t now = lx_now_ns();
    tfd_update(tf, now);
    ts_of(tf->interval, &v->interval);
    ts_of(tf->next ? tf->next - now : 0, &v->value);
}

static bool ts_ok(const struct lx_timespec *ts)
{
    return ts->sec >= 0 && ts->nsec >= 0 && ts->nsec < (int64_t)NS;
}

/* A valid time in ns; past 2^33 s (272 years), 2^33 s less one
 * (attack21: Linux takes any as "never"; these were EINVAL, as ptimer.c's). */
static uint64_t ts_ns(const struct lx_timespec *ts)
{
    const uint64_t most = (1ull << 33) - 1;     /* 272 years: the bound these once had */
    return (uint64_t)ts->sec > most ? most * NS : (uint64_t)ts->sec * NS + (uint64_t)ts->nsec;
}

LX_SYS(timerfd_settime)
{
    struct timerfd *tf;
    unsigned flags = (unsigned)t->a[1];
    struct itimerspec nv, old;
    int64_t r = timerfd_of(t, &tf);
    if (r)
        return r;
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -LX_EINVAL;
    if (lx_copy_in(t->proc->mm, &nv, t->a[2], sizeof nv))
        return -LX_EFAULT;
    if (!ts_ok(&nv.value) || !ts_ok(&nv.interval))
        return -LX_EINVAL;
    current(tf, &old);
    if (t->a[3] && lx_copy_out(t->proc->mm, t->a[3], &old, sizeof old))
        return -LX_EFAULT;
    uint64_t value = ts_ns(&nv.value), now = lx_now_ns();
    tf->ticks = 0;
    tf->interval = ts_ns(&nv.interval);
    if (!value) {
        disarm(tf);
        return 0;
    }
    uint64_t next = now + value;
    if (flags & TFD_TIMER_ABSTIME) {             /* a time of its own clock, made monotonic */
        uint64_t clk = tf->clock == LX_CLOCK_REALTIME ? lx_realtime_ns() : now;
        next = value > clk ? now + (value - clk) : now;
    }
    arm(tf, next ? next : 1);
    lx_wake_all(&tf->rq);                        /* an already passed time counts at once */
    return 0;
}

LX_SYS(timerfd_gettime)
{
    struct timerfd *tf;
    struct itimerspec v;
    int64_t r = timerfd_of(t, &tf);
    if (r)
        return r;
    current(tf, &v);
    return lx_copy_out(t->proc->mm, t->a[1], &v, sizeof v) ? -LX_EFAULT : 0;
}
