/*
 * slirp_backlog.c — an LD_PRELOAD shim for QEMU that raises the backlog of
 * the host sockets libslirp listens on for -netdev user,hostfwd=tcp:...
 *
 * libslirp calls listen(s, 1) on a forwarded port. When many host clients
 * connect at once (ab -c 100) and QEMU's main loop is slow to accept (a
 * loaded host, TCG), the host kernel's accept queue of that socket
 * overflows: Linux drops the handshake's final ACK (TcpExtListenOverflows)
 * while the client already counts itself connected and sends its request.
 * The listener later forgets the half-made connection, and the client
 * retransmits into nothing with exponential backoff — minutes — although
 * the guest never saw a SYN. tools/qemu.sh preloads this library whenever
 * it forwards ports, for Aerie and for the Linux guest of bench/ alike,
 * so what the tests and benchmarks measure is the guest, not backlog 1.
 *
 * It changes nothing but the backlog number (at least SLIRP_BACKLOG).
 */
#include <sys/syscall.h>
#include <unistd.h>

#define SLIRP_BACKLOG 256

int listen(int fd, int backlog);

int listen(int fd, int backlog)
{
    if (backlog < SLIRP_BACKLOG)
        backlog = SLIRP_BACKLOG;
    return (int)syscall(SYS_listen, fd, backlog);
}
