/*
 * poll.c — POSIX poll. UDP sockets are readable when a datagram waits for
 * them and always writable (a full send queue makes a send wait a
 * little; it never fails for it). TCP sockets say what tcp.c's
 * __tcp_poll reads from the connection: data or the peer's FIN (POLLIN),
 * room to send (POLLOUT), the end (POLLHUP, POLLERR); a listener is
 * readable when a connection waits. Other descriptors (the console) are
 * always ready, as regular files are; a descriptor that is not open
 * gets POLLNVAL. Waiting is the sockets' (netwait.c); without sockets
 * poll just sleeps out its timeout.
 */
#include <poll.h>
#include <sys/socket.h>
#include <errno.h>
#include <time.h>
#include <aerie/errors.h>
#include "socket_impl.h"

#define READY_ANY (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/* One pass over fds with net.mu held; returns how many are ready. */
static int scan(struct pollfd *fds, nfds_t n, bool *any_socket)
{
    int ready = 0;
    bool pumped = false;
    for (nfds_t i = 0; i < n; i++) {
        struct pollfd *p = &fds[i];
        const struct fd_ops *ops;
        void *obj;
        p->revents = 0;
        if (p->fd < 0)
            continue;
        if (__fd_get(p->fd, &ops, &obj)) {
            p->revents = POLLNVAL;
        } else if (ops == &__socket_fd_ops && ((struct sock *)obj)->type == SOCK_STREAM) {
            *any_socket = true;
            short ev = __tcp_poll(obj);
            p->revents = (short)((ev & POLLIN ? p->events & (POLLIN | POLLRDNORM) : 0) |
                                 (ev & POLLOUT ? p->events & (POLLOUT | POLLWRNORM) : 0) |
                                 (ev & (POLLHUP | POLLERR)));
        } else if (ops == &__socket_fd_ops) {
            struct sock *s = obj;
            *any_socket = true;
            if (!pumped) {
                __net_pump(NULL);
                pumped = true;
            }
            p->revents = (short)(p->events & (POLLOUT | POLLWRNORM));
            if (s->head)
                p->revents |= (short)(p->events & (POLLIN | POLLRDNORM));
        } else {
            p->revents = (short)(p->events & READY_ANY);
        }
        ready += p->revents != 0;
    }
    return ready;
}

int poll(struct pollfd fds[], nfds_t n, int timeout)
{
    if (n > FD_MAX) {
        errno = EINVAL;
        return -1;
    }
    uint64_t deadline = timeout < 0 ? UINT64_MAX : __net_deadline((uint64_t)timeout * 1000000u);
    __net_lock();
    for (;;) {
        bool any_socket = false;
        int ready = scan(fds, n, &any_socket);
        if (ready || timeout == 0) {
            __net_unlock();
            return ready;
        }
        if (!any_socket) {                      /* nothing that can become ready: sleep */
            __net_unlock();
            struct timespec ts = { timeout < 0 ? 1000000 : timeout / 1000,
                                   timeout < 0 ? 0 : (long)(timeout % 1000) * 1000000 };
            do
                nanosleep(&ts, NULL);
            while (timeout < 0);
            return 0;
        }
        int r = __net_wait(deadline, true, false);
        if (r) {
            __net_unlock();
            if (r == AE_ETIMEOUT)
                return 0;
            return (int)__sock_fail(r);
        }
    }
}
