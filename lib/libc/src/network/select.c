/*
 * select.c — POSIX select on top of poll: each descriptor in a set
 * becomes a pollfd, and the sets are rewritten from what poll says
 * (POLLHUP and POLLERR count as readable, as on Linux).
 */
#include <sys/select.h>
#include <poll.h>
#include <errno.h>
#include <stdlib.h>

/* The pollfds for the three sets: how many. */
static nfds_t to_poll(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct pollfd *p)
{
    nfds_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) | (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
                           (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));
        if (ev)
            p[n++] = (struct pollfd){ fd, ev, 0 };
    }
    return n;
}

/* The sets rewritten from poll's answer: the count of bits set. */
static int from_poll(const struct pollfd *p, nfds_t n, fd_set *rd, fd_set *wr, fd_set *ex)
{
    if (rd)
        FD_ZERO(rd);
    if (wr)
        FD_ZERO(wr);
    if (ex)
        FD_ZERO(ex);
    int ready = 0;
    for (nfds_t i = 0; i < n; i++) {
        if (rd && (p[i].events & POLLIN) && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
            FD_SET(p[i].fd, rd);
            ready++;
        }
        if (wr && (p[i].events & POLLOUT) && (p[i].revents & (POLLOUT | POLLERR))) {
            FD_SET(p[i].fd, wr);
            ready++;
        }
    }
    return ready;
}

int select(int nfds, fd_set *restrict rd, fd_set *restrict wr, fd_set *restrict ex, struct timeval *restrict tv)
{
    if (nfds < 0 || nfds > FD_SETSIZE || (tv && (tv->tv_sec < 0 || tv->tv_usec < 0))) {
        errno = EINVAL;
        return -1;
    }
    struct pollfd *p = calloc(nfds ? (size_t)nfds : 1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    nfds_t n = to_poll(nfds, rd, wr, ex, p);
    long ms = -1;
    if (tv)
        ms = tv->tv_sec > 1000000 ? 1000000000l : (long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
    int r = poll(p, n, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
    for (nfds_t i = 0; r >= 0 && i < n; i++)
        if (p[i].revents & POLLNVAL) {
            errno = EBADF;
            r = -1;
        }
    if (r >= 0)
        r = from_poll(p, n, rd, wr, ex);
    free(p);
    return r;
}
