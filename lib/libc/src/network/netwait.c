/*
 * netwait.c — sorting received datagrams to sockets, and waiting for the
 * network, for all sockets of the program (socket_impl.h explains the
 * queue, the parking and the leader).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <aerie/errors.h>
#include "socket_impl.h"

uint64_t __net_now(void)
{
    return __sys_clock_monotonic_ns();
}

uint64_t __net_deadline(uint64_t ns)
{
    uint64_t now = __net_now();
    return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static struct sock *owner(uint16_t port)
{
    for (struct sock *s = __net.bound; s; s = s->next)
        if (s->port == port)
            return s;
    return NULL;
}

/* A connected socket hears only its peer (POSIX connect, datagram sockets). */
static bool accepts(const struct sock *s, const struct __sys_dgram *d)
{
    return !s->peer_port || (d->ip == s->peer_ip && d->port == s->peer_port);
}

static void park(struct sock *s, const struct __sys_dgram *d)
{
    struct dgram *p;
    if (s->queued + d->len > (size_t)s->rcvbuf || !(p = malloc(sizeof *p + d->len))) {
        s->dropped++;
        return;
    }
    p->next = NULL;
    p->ip = d->ip;
    p->port = d->port;
    p->len = d->len;
    memcpy(p->data, d->data, d->len);
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
    s->queued += d->len;
}

bool __net_pump(struct sock *want)
{
    struct __sys_dgram d;
    while (__sys_net_peek(&d) == 0) {
        struct sock *o = owner(d.local_port);
        if (o && accepts(o, &d)) {
            if (o == want)
                return true;
            park(o, &d);
        }
        __sys_net_consume();
    }
    return false;
}

/* Until the deadline on the monotonic clock, on net.cv. */
static int cv_wait(uint64_t deadline)
{
    if (deadline == UINT64_MAX)
        return pthread_cond_wait(&__net.cv, &__net.mu) ? AE_EINVAL : 0;
    struct timespec ts = { (time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u) };
    int e = pthread_cond_timedwait(&__net.cv, &__net.mu, &ts);
    return e == ETIMEDOUT ? AE_ETIMEOUT : 0;
}

int __net_wait(uint64_t deadline, bool rx, bool tx)
{
    uint64_t now = __net_now();
    if (now >= deadline)
        return AE_ETIMEOUT;
    int r = 0;
    __net.waiters++;
    if (__sys_net_arm(rx, tx)) {
        if (!__net.leader) {
            __net.leader = true;
            __net_unlock();
            r = __sys_net_wait(deadline == UINT64_MAX ? ~0ull : deadline - now);
            __net_lock();
            __net.leader = false;
            pthread_cond_broadcast(&__net.cv);
        } else {
            r = cv_wait(deadline);
        }
    } else if (__net.waiters > 1) {
        pthread_cond_broadcast(&__net.cv);      /* news for someone: everyone looks again */
    }
    if (--__net.waiters == 0)
        __sys_net_disarm();
    if (r == AE_ETIMEOUT && __net_now() < deadline)
        r = 0;                                  /* a leader that left early: look again */
    return r;
}
