/*
 * ipc.c — IPC round-trip time between two processes on Linux, the baseline
 * for Aerie's IPC call (experiment ipc_rtt in bench/README.md).
 *
 * A parent and a forked child bounce one byte: the parent writes, the child
 * reads and writes it back, the parent reads. Kinds: pipe (two pipes) and
 * unix (a SOCK_STREAM socketpair). Placement: same_cpu pins both to CPU 0,
 * cross_cpu pins the parent to CPU 0 and the child to CPU 1. Each sample is
 * the mean of --batch round trips (one clock read per batch, so the clock's
 * own cost under emulation does not swamp a round trip).
 *
 * usage: ipc --kind pipe|unix --place same_cpu|cross_cpu
 *            [--samples S] [--batch K] [--warmup W]
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The two ends each side uses: it reads rd and writes wr. */
struct channel {
    int parent_rd, parent_wr, child_rd, child_wr;
};

static void open_channel(const char *kind, struct channel *c)
{
    if (strcmp(kind, "pipe") == 0) {
        int to_child[2], to_parent[2];
        if (pipe(to_child) || pipe(to_parent))
            bench_die("pipe: %s", strerror(errno));
        *c = (struct channel){ to_parent[0], to_child[1], to_child[0], to_parent[1] };
    } else if (strcmp(kind, "unix") == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
            bench_die("socketpair: %s", strerror(errno));
        *c = (struct channel){ sv[0], sv[0], sv[1], sv[1] };
    } else {
        bench_die("unknown kind '%s' (pipe, unix)", kind);
    }
}

static void xread(int fd, char *b)
{
    ssize_t r;
    while ((r = read(fd, b, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1)
        bench_die("read: %s", r < 0 ? strerror(errno) : "end of file");
}

static void xwrite(int fd, const char *b)
{
    ssize_t r;
    while ((r = write(fd, b, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1)
        bench_die("write: %s", strerror(errno));
}

/* The child echoes until its peer closes. */
static void echo_loop(int rd, int wr)
{
    char b;
    while (read(rd, &b, 1) == 1)
        xwrite(wr, &b);
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *kind = NULL, *place = NULL;
    long samples = 200, batch = 100, warmup = 1000;

    bench_init(argv[0]);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--kind") == 0) kind = v;
        else if (strcmp(o, "--place") == 0) place = v;
        else if (strcmp(o, "--samples") == 0) samples = bench_parse_long(o, v, 1, 10000000);
        else if (strcmp(o, "--batch") == 0) batch = bench_parse_long(o, v, 1, 10000000);
        else if (strcmp(o, "--warmup") == 0) warmup = bench_parse_long(o, v, 0, 10000000);
        else bench_die("unknown option %s", o);
    }
    if (argc % 2 == 0)
        bench_die("options come in pairs: --name value");
    if (!kind || !place)
        bench_die("--kind and --place are required");
    int child_cpu;
    if (strcmp(place, "same_cpu") == 0)
        child_cpu = 0;
    else if (strcmp(place, "cross_cpu") == 0)
        child_cpu = 1;
    else
        bench_die("unknown placement '%s' (same_cpu, cross_cpu)", place);
    if (child_cpu >= bench_ncpus())
        bench_die("cross_cpu needs two CPUs, the guest has %d", bench_ncpus());

    struct channel c;
    open_channel(kind, &c);
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork: %s", strerror(errno));
    if (pid == 0) {
        bench_pin_cpu(child_cpu);
        echo_loop(c.child_rd, c.child_wr);
    }
    bench_pin_cpu(0);

    char b = 'x';
    for (long i = 0; i < warmup; i++) {
        xwrite(c.parent_wr, &b);
        xread(c.parent_rd, &b);
    }
    for (long s = 0; s < samples; s++) {
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < batch; i++) {
            xwrite(c.parent_wr, &b);
            xread(c.parent_rd, &b);
        }
        bench_sample("ipc_rtt", kind, place, (double)(bench_now_ns() - t0) / (double)batch, "ns");
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
