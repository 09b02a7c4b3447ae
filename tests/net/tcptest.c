/*
 * tcptest.c — TCP from inside a booted Aerie (tests/boot/tcp.conf, driven
 * by tests/net/tcp_qemu.sh from the host with curl, socat, nc and ab).
 *
 *   tcptest launch   grant cm, net:7102 and net.admin: asks the container
 *                    manager for the httpd container (its image carries a
 *                    1 MiB file), probes the TCP grants with grantprobe
 *                    containers (no grant, the wrong port, no out: port),
 *                    runs TCP over loopback in tcploop containers (one
 *                    container, two, refusals, a self-flood, a reader
 *                    that never reads, a peer killed mid-connection),
 *                    then answers the host on UDP port 7102: "stats" gets
 *                    the net service's counters, "stats PREFIX" only
 *                    those whose names start with PREFIX; "exit" ends it
 *   tcptest hostile  net:tcp:7300 conns:4: a client that tries every
 *                    TCP request with wrong sockets, sizes and options,
 *                    an admin request, and garbage in every word of its
 *                    socket area; each must fail cleanly and hurt nobody
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <libaerie/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/net.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "nt.h"

#define CTRL_PORT 7102

unsigned nt_ran;
static uint64_t cm;

/* Runs a grantprobe container with spec `extra` and returns its exit
 * status (the errno it met), or -1 if it could not run. */
static long probe(const char *extra, const char *args)
{
    char spec[300], err[200] = "";
    snprintf(spec, sizeof spec, "image=grantprobe %s args=\"%s\"", extra, args);
    uint64_t id;
    struct ae_cm_status st;
    if (ae_cm_create(cm, spec, 1, &id, err, sizeof err) || ae_cm_wait(cm, id, &st)) {
        ae_kprintf("tcptest: '%s' did not run: %s\n", spec, err);
        return -1;
    }
    ae_cm_remove(cm, id);
    return st.state == CM_EXITED ? (long)st.exit_status : -1;
}

static void start_httpd(struct nt *t)
{
    char err[200] = "";
    uint64_t id;
    int r = ae_cm_create(cm, "image=httpd grant=console,fs,net ports=tcp:80 net.conns=160 mem=32M "
                             "env=AERIE_NET_TCP_MEM=6291456", 1, &id, err, sizeof err);
    if (r)
        NT_FAIL("the httpd container was refused: %s", err);
}

static void tcp_needs_a_tcp_grant(struct nt *t)
{
    CHECK_EQ(probe("grant=console,net ports=7", "listen 8081"), EACCES);   /* only UDP */
    CHECK_EQ(probe("grant=console", "listen 8081"), EACCES);                /* no net at all */
}

static void listen_only_on_granted_ports(struct nt *t)
{
    CHECK_EQ(probe("grant=console,net ports=tcp:8082", "listen 8083"), EACCES);
    CHECK_EQ(probe("grant=console,net ports=tcp:8082", "listen 8082"), 0);
    CHECK_EQ(probe("grant=console,net ports=tcp:8082-8083", "listen 8083"), 0);
}

static void connect_only_to_granted_destinations(struct nt *t)
{
    CHECK_EQ(probe("grant=console,net ports=tcp:8084", "connect 10.0.2.2 9"), EACCES);
    long r = probe("grant=console,net ports=tcp:8084,out:9", "connect 10.0.2.2 9");
    CHECK(r == 0 || r == ECONNREFUSED);           /* allowed: whatever the host says */
    CHECK_EQ(probe("grant=console,net ports=out:9", "listen 9"), EACCES); /* out: is not a listen grant */
}

static void a_port_belongs_to_one_container(struct nt *t)
{
    char err[200] = "";
    uint64_t id;
    int r = ae_cm_create(cm, "image=grantprobe grant=console,net ports=tcp:80 args=\"listen 80\"", 1, &id, err,
                         sizeof err);
    CHECK(r != 0);                                /* httpd holds tcp:80 */
    CHECK(strstr(err, "overlaps") != NULL);
}

/* ---- TCP to ourselves (loopback), in tcploop containers --------------------- */

struct gauge {
    const char *name;
    uint64_t v;
};

static void find_stat(const char *name, uint64_t v, void *arg)
{
    struct gauge *g = arg;
    if (!strcmp(name, g->name))
        g->v = v;
}

static uint64_t net_stat(const char *name)
{
    struct gauge g = { name, 0 };
    ae_net_admin_stats(ae_capenv_lookup("net.admin"), find_stat, &g);
    return g.v;
}

/* Waits (up to 5 s) until the service holds tcbs connections again. */
static uint64_t tcbs_settle(uint64_t tcbs)
{
    uint64_t v = net_stat("tcp_now_tcbs");
    for (int i = 0; i < 100 && v != tcbs; i++) {
        usleep(50000);
        v = net_stat("tcp_now_tcbs");
    }
    return v;
}

/* Starts a tcploop container; its id, or 0. */
static uint64_t start_loop(const char *extra, const char *args)
{
    char spec[300], err[200] = "";
    snprintf(spec, sizeof spec, "image=tcploop grant=console,net %s args=\"%s\"", extra, args);
    uint64_t id;
    if (ae_cm_create(cm, spec, 1, &id, err, sizeof err)) {
        ae_kprintf("tcptest: '%s' was refused: %s\n", spec, err);
        return 0;
    }
    return id;
}

/* Waits for a tcploop container and removes it: its exit status, -1. */
static long end_loop(uint64_t id)
{
    struct ae_cm_status st;
    if (!id || ae_cm_wait(cm, id, &st))
        return -1;
    ae_cm_remove(cm, id);
    return st.state == CM_EXITED ? (long)st.exit_status : -1;
}

static long run_loop(const char *extra, const char *args)
{
    return end_loop(start_loop(extra, args));
}

static uint64_t tcbs0;

/* One container: a client and a server in one program, 1 MiB each way
 * over 127.0.0.1 and over the service's own address, names checked. */
static void loopback_inside_one_container(struct nt *t)
{
    tcbs0 = net_stat("tcp_now_tcbs");
    uint64_t wire0 = net_stat("tx_frames"), lo0 = net_stat("lo_packets");
    CHECK_EQ(run_loop("ports=tcp:8091,out:8091", "echo 127.0.0.1 8091 1048576"), 0);
    CHECK_EQ(run_loop("ports=tcp:8091,out:8091", "echo 10.0.2.15 8091 1048576"), 0);
    CHECK_EQ(run_loop("ports=tcp:8091,out:8091", "echo 127.3.2.1 8091 65536"), 0);
    CHECK(net_stat("lo_packets") - lo0 > 1000);
    CHECK(net_stat("tx_frames") - wire0 < 50);                 /* none of it on the wire */
    CHECK_EQ(tcbs_settle(tcbs0), tcbs0);
}

/* Two containers: a server granted tcp:8092, a client granted out:8092. */
static void loopback_between_two_containers(struct nt *t)
{
    uint64_t srv = start_loop("ports=tcp:8092", "serve 8092");
    CHECK_EQ(run_loop("ports=out:8092", "client 127.0.0.1 8092 1048576"), 0);
    CHECK_EQ(end_loop(srv), 0);                                 /* it saw the client's EOF */
    srv = start_loop("ports=tcp:8092", "serve 8092");
    CHECK_EQ(run_loop("ports=out:8092", "client 10.0.2.15 8092 1048576"), 0);
    CHECK_EQ(end_loop(srv), 0);
    CHECK_EQ(tcbs_settle(tcbs0), tcbs0);
}

/* Aerie's libc: a listener says the address it was bound to (127.0.0.1,
 * another of 127/8, the service's own, or any), after bind and after
 * listen — as the Linux personality does (tcplo). */
static void loopback_listener_names_its_address(struct nt *t)
{
    CHECK_EQ(run_loop("ports=tcp:8096", "name 127.0.0.1 8096"), 0);
    CHECK_EQ(run_loop("ports=tcp:8096", "name 127.3.2.1 8096"), 0);
    CHECK_EQ(run_loop("ports=tcp:8096", "name 10.0.2.15 8096"), 0);
    CHECK_EQ(run_loop("ports=tcp:8096", "name 0.0.0.0 8096"), 0);
}

static void loopback_refusals(struct nt *t)
{
    CHECK_EQ(run_loop("ports=out:8093", "refused 127.0.0.1 8093"), 0);        /* RST: nobody listens */
    CHECK_EQ(run_loop("ports=out:8093", "refused 10.0.2.15 8093"), 0);
    CHECK_EQ(probe("grant=console,net ports=out:8093", "connect 127.0.0.1 8094"), EACCES);  /* no out: */
    CHECK_EQ(probe("grant=console,net ports=tcp:8094", "connect 127.0.0.1 8094"), EACCES);  /* tcp: is not out: */
    CHECK_EQ(probe("grant=console,net ports=out:8100", "listen 8100"), EACCES);
    /* the port a listener holds is its container's: another is refused at create */
    uint64_t srv = start_loop("ports=tcp:8095", "serve 8095");
    char err[200] = "";
    uint64_t id;
    CHECK(ae_cm_create(cm, "image=tcploop grant=console,net ports=tcp:8095 args=\"serve 8095\"", 1, &id, err,
                       sizeof err) != 0);
    CHECK_EQ(run_loop("ports=out:8095", "client 127.0.0.1 8095 1000"), 0);
    CHECK_EQ(end_loop(srv), 0);
}

/* A container connecting to itself until its net.conns: refused cleanly
 * while it holds them all, and two neighbours talk over loopback meanwhile. */
static void loopback_self_flood_stays_in_its_budget(struct nt *t)
{
    uint64_t reserved = net_stat("tcp_now_reserved");
    uint64_t flood = start_loop("ports=tcp:8096,out:8096 net.conns=16", "flood 8096 4");
    usleep(1500000);
    uint64_t held = net_stat("tcp_now_tcbs");
    CHECK(held <= tcbs0 + 16);                                  /* never past its 16 */
    uint64_t srv = start_loop("ports=tcp:8097", "serve 8097");
    CHECK_EQ(run_loop("ports=out:8097", "client 127.0.0.1 8097 262144"), 0);
    CHECK_EQ(end_loop(srv), 0);
    CHECK_EQ(end_loop(flood), 0);
    CHECK_EQ(tcbs_settle(tcbs0), tcbs0);
    CHECK_EQ(net_stat("tcp_now_reserved"), reserved);
}

static void loopback_reader_that_never_reads(struct nt *t)
{
    CHECK_EQ(run_loop("ports=tcp:8098,out:8098", "stall 8098"), 0);
    CHECK_EQ(tcbs_settle(tcbs0), tcbs0);
}

/* The client's container is killed mid-connection: the server sees the
 * reset, and the service's connections and promises are as before. */
static void loopback_peer_killed(struct nt *t)
{
    uint64_t reserved = net_stat("tcp_now_reserved");
    uint64_t srv = start_loop("ports=tcp:8099", "serve 8099");
    uint64_t cl = start_loop("ports=out:8099", "hold 127.0.0.1 8099");
    for (int i = 0; i < 100 && net_stat("tcp_now_established") < 2; i++)
        usleep(100000);                                         /* both started and connected */
    CHECK(net_stat("tcp_now_established") >= 2);
    CHECK_EQ(ae_cm_kill(cm, cl), 0);
    long r = end_loop(srv);
    CHECK(r == ECONNRESET || r == 0);                           /* a reset, or at least the end */
    end_loop(cl);
    CHECK_EQ(tcbs_settle(tcbs0), tcbs0);
    CHECK_EQ(net_stat("tcp_now_reserved"), reserved);
}

/* ---- the host's window on the counters ------------------------------------ */

struct text {
    char buf[1400];
    int len;
    const char *prefix;
};

static void append_stat(const char *name, uint64_t v, void *arg)
{
    struct text *t = arg;
    if (v && !strncmp(name, t->prefix, strlen(t->prefix)) && t->len < (int)sizeof t->buf - 40)
        t->len += snprintf(t->buf + t->len, sizeof t->buf - (size_t)t->len, "%s=%lu ", name, v);
}

static void serve_host(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(CTRL_PORT) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        ae_kprintf("tcptest: cannot bind the control port: %s\n", strerror(errno));
        return;
    }
    ae_kprintf("tcptest: serving the host\n");
    for (;;) {
        char buf[64];
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        long n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            continue;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        buf[n] = 0;
        if (!strncmp(buf, "exit", 4))
            return;
        struct text t = { .len = 0, .prefix = !strncmp(buf, "stats ", 6) ? buf + 6 : "" };
        ae_net_admin_stats(ae_capenv_lookup("net.admin"), append_stat, &t);
        t.buf[t.len++] = '\n';
        sendto(fd, t.buf, (size_t)t.len, 0, (struct sockaddr *)&from, flen);
    }
}

/* ---- a hostile client ------------------------------------------------------------ */

static int raw(uint64_t label, const uint64_t *w, unsigned n)
{
    struct aerie_utcb *u = ae_utcb();
    for (unsigned i = 0; i < n; i++)
        u->mr[i] = w[i];
    int64_t r = ae_call(ae_capenv_lookup("net"), AERIE_INFO(label, n, 0), 10000000000ull);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

static void hostile_requests_fail_cleanly(struct nt *t)
{
    uint32_t sock, other;
    uint16_t port;
    CHECK_EQ(ae_tcp_bind(7300, 0, &sock, &port), 0);
    CHECK_EQ(ae_tcp_bind(7301, 0, &other, &port), AE_EACCES);
    CHECK_EQ(ae_tcp_listen(sock + 100, 4, 0, 0, 0), AE_EBADF);          /* not a socket of ours */
    CHECK_EQ(ae_tcp_listen(0xffffffffu, 4, 0, 0, 0), AE_EBADF);
    CHECK_EQ(ae_tcp_setopt(sock, 99, 1), AE_EINVAL);
    CHECK_EQ(ae_tcp_setopt(sock, NET_TCP_OPT_KEEPIDLE, 0), AE_EINVAL);
    CHECK_EQ(ae_tcp_connect(12345, 0x0a000202, 80, 0, 0, 0, &other, NULL), AE_EACCES);   /* no out: grant */
    CHECK_EQ(raw(NET_TCP_BIND, (uint64_t[]){ 70000, 0 }, 2), AE_EINVAL);
    CHECK_EQ(raw(NET_TCP_CONNECT, (uint64_t[]){ ~0ull, 1ull << 40, 80, 0, 0, 0 }, 6), AE_EINVAL);
    CHECK_EQ(raw(NET_TCP_LISTEN, (uint64_t[]){ sock, ~0ull, ~0ull, ~0ull, ~0ull }, 5), 0);  /* clamped */
    CHECK_EQ(raw(NET_TCP_LISTEN, (uint64_t[]){ sock }, 1), AE_EPROTO);   /* too few words */
    CHECK_EQ(raw(NET_ADMIN_CLIENT_ADD, (uint64_t[]){ 1, NET_RANGE_K(80, 80, NET_PORTS_TCP) }, 2), AE_EPERM);
    CHECK_EQ(raw(NET_ADMIN_CLIENT_REMOVE, (uint64_t[]){ 1 }, 1), AE_EPERM);
    int made = 0;
    for (int i = 0; i < 8; i++)
        made += ae_tcp_bind(0, 0, &other, &port) == 0;
    CHECK_EQ(made, 0);                                                   /* its one port is taken */
}

/* Garbage in every word the client may write in its area, news bits for
 * every socket, then a request that makes the service poll: its own
 * sockets may break, nothing else may (the host's tests go on after). */
static void hostile_area_writes_change_nothing_else(struct nt *t)
{
    uint32_t sock;
    uint16_t port;
    CHECK_EQ(ae_tcp_bind(0, 0, &sock, &port), AE_EADDRNOTAVAIL);        /* 7300 is still held */
    struct nettcp_area *a = ae_tcp_area();
    CHECK(a != NULL);
    for (int round = 0; round < 200; round++) {
        uint32_t g = (uint32_t)round * 0x9e3779b9u;
        for (uint32_t k = 0; k < a->nsocks; k++) {
            a->socks[k].rx_cons = g ^ k;
            a->socks[k].tx_prod = g + k * 4096;
            a->socks[k].cflags = g >> (k % 32);
        }
        for (unsigned w = 0; w < NETTCP_MAX_SOCKS / 64; w++)
            a->cnews[w] = ~0ull;
        a->client_wants_wake = g;
        ae_tcp_setopt(0, NET_TCP_OPT_NODELAY, 1);                         /* the service polls */
    }
    uint64_t info[4];
    CHECK_EQ(ae_net_info(info), 0);                                      /* it still answers */
}

int main(int argc, char **argv)
{
    const char *role = argc > 1 ? argv[1] : "";
    if (!strcmp(role, "launch")) {
        cm = ae_capenv_lookup("cm");
        NT_RUN(start_httpd);
        NT_RUN(tcp_needs_a_tcp_grant);
        NT_RUN(listen_only_on_granted_ports);
        NT_RUN(connect_only_to_granted_destinations);
        NT_RUN(a_port_belongs_to_one_container);
        NT_RUN(loopback_inside_one_container);
        NT_RUN(loopback_between_two_containers);
        NT_RUN(loopback_listener_names_its_address);
        NT_RUN(loopback_refusals);
        NT_RUN(loopback_self_flood_stays_in_its_budget);
        NT_RUN(loopback_reader_that_never_reads);
        NT_RUN(loopback_peer_killed);
        ae_kprintf("TESTS DONE %u\n", nt_ran);
        serve_host();
        return 0;
    }
    if (!strcmp(role, "hostile")) {
        NT_RUN(hostile_requests_fail_cleanly);
        NT_RUN(hostile_area_writes_change_nothing_else);
        ae_kprintf("TESTS DONE %u\n", nt_ran);
        return 0;
    }
    ae_kprintf("tcptest: usage: tcptest launch|hostile\n");
    return 2;
}
