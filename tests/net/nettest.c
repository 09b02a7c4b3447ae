/*
 * nettest.c — the net service and libc's sockets tested from inside a
 * booted Aerie (tests/boot/net.conf, driven by tests/net/net_qemu.sh).
 * One program, three roles, each started by root with different grants:
 *
 *   nettest main    net:7100-7109 and net.admin: the socket API, errors as
 *                   POSIX says, grants, isolation from `peer`, the
 *                   counters; afterwards it answers the host on port 7101
 *                   ("stats": counters as text, "exit")
 *   nettest peer    net:7200-7209: a second client; it reports what
 *                   reached it, so main can show nothing else did
 *   nettest nonet   no net grant at all: socket() is EACCES
 *   nettest stats   net:7101 and net.admin: only answers the host
 *
 * Programs talk to each other with datagrams to 10.0.2.15 (delivered
 * inside the net service, never on the wire).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <aerie/errors.h>
#include <aerie/proto/net.h>
#include <libaerie/net.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "nt.h"

#define OUR_IP      0x0a00020fu          /* 10.0.2.15 */
#define MAIN_PORT   7100                 /* main's ports: 7100-7109 */
#define CTRL_PORT   7101                 /* forwarded from the host */
#define HOSTILE_RDV 7104                 /* nethostile reports here */
#define PEER_PORT   7200                 /* peer's ports: 7200-7209 */

unsigned nt_ran;

static struct sockaddr_in addr_of(uint32_t ip, uint16_t port)
{
    return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = { htonl(ip) } };
}

/* A UDP socket bound to port (0: any granted), with a receive timeout. */
static int udp_socket(uint16_t port, unsigned timeout_ms)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = addr_of(INADDR_ANY, port);
    struct timeval tv = { timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000 };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        (timeout_ms && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static long send_text(int fd, uint32_t ip, uint16_t port, const char *text)
{
    struct sockaddr_in a = addr_of(ip, port);
    return sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof a);
}

/* Receives one datagram as a string; its source port in *from (may be NULL). */
static long recv_text(int fd, char *buf, size_t size, uint16_t *from)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    long n = recvfrom(fd, buf, size - 1, 0, (struct sockaddr *)&a, &alen);
    buf[n > 0 ? n : 0] = 0;
    if (n >= 0 && from)
        *from = ntohs(a.sin_port);
    return n;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- main's tests ------------------------------------------------------------ */

static void socket_refuses_what_does_not_exist(struct nt *t)
{
    CHECK_ERR(socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT);
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, 0), EACCES);            /* its grant has no TCP port */
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
    CHECK_ERR(bind(1, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET }, sizeof(struct sockaddr_in)),
              ENOTSOCK);
    CHECK_ERR(sendto(99, "x", 1, 0, NULL, 0), EBADF);
}

static void bind_outside_grant_is_eacces(struct nt *t)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    uint16_t ports[] = { 7, PEER_PORT, 7300, MAIN_PORT + 10, 65535 };
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        struct sockaddr_in a = addr_of(INADDR_ANY, ports[i]);
        CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a), EACCES);
    }
    close(fd);
}

static void bind_taken_port_is_eaddrinuse_until_closed(struct nt *t)
{
    int a = udp_socket(7102, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(a >= 0 && b >= 0);
    struct sockaddr_in sa = addr_of(INADDR_ANY, 7102);
    CHECK_ERR(bind(b, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE);
    CHECK_ERR(bind(a, (struct sockaddr *)&sa, sizeof sa), EINVAL);      /* already bound */
    CHECK_EQ(close(a), 0);
    CHECK_EQ(bind(b, (struct sockaddr *)&sa, sizeof sa), 0);
    close(b);
}

static void bind_any_port_picks_a_granted_one(struct nt *t)
{
    int fd = udp_socket(0, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    CHECK_EQ(len, sizeof a);
    CHECK(ntohs(a.sin_port) >= MAIN_PORT && ntohs(a.sin_port) <= MAIN_PORT + 9);
    close(fd);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    a = addr_of(0x0a000263, 7103);                                   /* 10.0.2.99: not ours */
    CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL);
    CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a - 1), EINVAL);
    close(fd);
}

static void send_checks_what_posix_says(struct nt *t)
{
    static char big[8193];
    int fd = udp_socket(7103, 0);
    CHECK(fd >= 0);
    struct sockaddr_in to = addr_of(OUR_IP, PEER_PORT), bcast = addr_of(INADDR_BROADCAST, 9);
    struct sockaddr_in zero = addr_of(OUR_IP, 0), six = to;
    six.sin_family = AF_INET6;
    CHECK_ERR(sendto(fd, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE);
    CHECK_EQ(sendto(fd, big, 1472, 0, (struct sockaddr *)&to, sizeof to), 1472);
    /* A datagram longer than a frame (it would leave in fragments; to
     * ourselves it spans several ring slots both ways), then a short one:
     * each arrives whole and in order. */
    struct sockaddr_in me = addr_of(OUR_IP, 7103);
    for (size_t i = 0; i < 5000; i++)
        big[i] = (char)(i * 7 + 1);
    CHECK_EQ(sendto(fd, big, 5000, 0, (struct sockaddr *)&me, sizeof me), 5000);
    CHECK_EQ(sendto(fd, "tail", 4, 0, (struct sockaddr *)&me, sizeof me), 4);
    static char back[8192];
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    CHECK_EQ(poll(&pf, 1, 5000), 1);
    CHECK_EQ(recv(fd, back, sizeof back, 0), 5000);
    bool same = true;
    for (size_t i = 0; i < 5000; i++)
        same = same && back[i] == (char)(i * 7 + 1);
    CHECK(same);
    CHECK_EQ(poll(&pf, 1, 5000), 1);
    CHECK_EQ(recv(fd, back, sizeof back, 0), 4);
    CHECK_ERR(sendto(fd, "x", 1, 0, (struct sockaddr *)&zero, sizeof zero), EINVAL);
    CHECK_ERR(sendto(fd, "x", 1, 0, (struct sockaddr *)&bcast, sizeof bcast), EACCES);
    CHECK_ERR(sendto(fd, "x", 1, 0, (struct sockaddr *)&six, sizeof six), EAFNOSUPPORT);
    CHECK_ERR(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, 3), EINVAL);
    CHECK_ERR(send(fd, "x", 1, 0), EDESTADDRREQ);
    CHECK_ERR(sendto(fd, "x", 1, MSG_OOB, (struct sockaddr *)&to, sizeof to), EOPNOTSUPP);
    CHECK_ERR(recv(fd, big, 1, MSG_OOB), EOPNOTSUPP);
    close(fd);
}

static void exchange_with_peer(struct nt *t)
{
    int fd = udp_socket(7105, 5000);
    CHECK(fd >= 0);
    CHECK_EQ(send_text(fd, OUR_IP, PEER_PORT, "ping:hello"), 10);
    char buf[64];
    uint16_t from = 0;
    CHECK_EQ(recv_text(fd, buf, sizeof buf, &from), 10);
    CHECK(!strcmp(buf, "pong:hello"));
    CHECK_EQ(from, PEER_PORT);
    close(fd);
}

/* Main sends datagrams to its own port and to peer's, interleaved: each
 * side must get exactly its own. */
static void each_client_gets_only_its_own_datagrams(struct nt *t)
{
    int mine = udp_socket(7106, 3000);
    CHECK(mine >= 0);
    char buf[64];
    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof buf, "for-peer %d", i);
        CHECK(send_text(mine, OUR_IP, PEER_PORT, buf) > 0);
        snprintf(buf, sizeof buf, "for-main %d", i);
        CHECK(send_text(mine, OUR_IP, 7106, buf) > 0);
    }
    for (int i = 0; i < 10; i++) {
        CHECK(recv_text(mine, buf, sizeof buf, NULL) > 0);
        char want[32];
        snprintf(want, sizeof want, "for-main %d", i);
        if (strcmp(buf, want))
            NT_FAIL("datagram %d on main's port: '%s', want '%s'", i, buf, want);
    }
    CHECK(send_text(mine, OUR_IP, PEER_PORT, "count?") > 0);
    CHECK(recv_text(mine, buf, sizeof buf, NULL) > 0);
    if (strcmp(buf, "count:10:0"))                 /* 10 for-peer datagrams, 0 foreign */
        NT_FAIL("peer says '%s', want 'count:10:0'", buf);
    close(mine);
}

static void rcvbuf_bounds_what_waits_for_a_socket(struct nt *t)
{
    int a = udp_socket(7107, 300), b = udp_socket(7108, 3000);
    CHECK(a >= 0 && b >= 0);
    int small = 100, got = 0;
    socklen_t len = sizeof got;
    CHECK_EQ(setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    CHECK_EQ(getsockopt(a, SOL_SOCKET, SO_RCVBUF, &got, &len), 0);
    CHECK_EQ(got, 100);
    char data[64] = "first";
    struct sockaddr_in to_a = addr_of(OUR_IP, 7107);
    for (int i = 0; i < 3; i++)
        CHECK(sendto(b, data, sizeof data, 0, (struct sockaddr *)&to_a, sizeof to_a) == sizeof data);
    CHECK(send_text(b, OUR_IP, 7108, "to-b") == 4);
    char buf[128];
    CHECK_EQ(recv_text(b, buf, sizeof buf, NULL), 4);   /* a's three wait for a: only 100 bytes' worth */
    CHECK_EQ(recv(a, buf, sizeof buf, 0), 64);
    CHECK_ERR(recv(a, buf, sizeof buf, 0), EAGAIN);
    close(a);
    close(b);
}

static void rcvtimeo_ends_a_wait_with_eagain(struct nt *t)
{
    int fd = udp_socket(7107, 200);
    CHECK(fd >= 0);
    struct timeval tv;
    socklen_t len = sizeof tv;
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
    CHECK_EQ(tv.tv_sec * 1000000 + tv.tv_usec, 200000);
    char buf[8];
    uint64_t t0 = now_ms();
    CHECK_ERR(recv(fd, buf, sizeof buf, 0), EAGAIN);
    CHECK(now_ms() - t0 >= 200);
    tv.tv_usec = 1000000;
    CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
    CHECK_ERR(setsockopt(fd, SOL_SOCKET, 9999, &tv, sizeof tv), ENOPROTOOPT);
    close(fd);
}

static void poll_reports_the_socket_with_data(struct nt *t)
{
    int a = udp_socket(7107, 0), b = udp_socket(7108, 0);
    CHECK(a >= 0 && b >= 0);
    struct pollfd p[3] = { { a, POLLIN, 0 }, { b, POLLIN, 0 }, { 77, POLLIN, 0 } };
    CHECK_EQ(poll(p, 2, 0), 0);
    CHECK(send_text(a, OUR_IP, 7108, "wake") == 4);
    CHECK_EQ(poll(p, 2, 5000), 1);
    CHECK_EQ(p[0].revents, 0);
    CHECK_EQ(p[1].revents, POLLIN);
    CHECK_EQ(poll(p, 3, 0), 2);                          /* a descriptor that is not open */
    CHECK_EQ(p[2].revents, POLLNVAL);
    char buf[8];
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 4);
    uint64_t t0 = now_ms();
    CHECK_EQ(poll(p, 2, 100), 0);
    CHECK(now_ms() - t0 >= 100);
    close(a);
    close(b);
}

static void peek_and_truncation_as_linux(struct nt *t)
{
    int a = udp_socket(7107, 1000);
    CHECK(a >= 0);
    char data[100], buf[100];
    for (int i = 0; i < 100; i++)
        data[i] = (char)i;
    struct sockaddr_in to = addr_of(OUR_IP, 7107);
    CHECK_EQ(sendto(a, data, 100, 0, (struct sockaddr *)&to, sizeof to), 100);
    CHECK_EQ(recv(a, buf, 10, MSG_PEEK), 10);
    CHECK(!memcmp(buf, data, 10));
    CHECK_EQ(recv(a, buf, 10, MSG_TRUNC), 100);         /* consumed, cut to 10 */
    CHECK(!memcmp(buf, data, 10));
    struct pollfd p = { a, POLLIN, 0 };
    CHECK_EQ(poll(&p, 1, 0), 0);
    CHECK_EQ(sendto(a, data, 0, 0, (struct sockaddr *)&to, sizeof to), 0);   /* empty datagrams exist */
    CHECK_EQ(recv(a, buf, sizeof buf, 0), 0);
    close(a);
}

static void connected_socket_hears_only_its_peer(struct nt *t)
{
    int c = udp_socket(7109, 500), other = udp_socket(7108, 0);
    CHECK(c >= 0 && other >= 0);
    struct sockaddr_in peer = addr_of(OUR_IP, PEER_PORT);
    CHECK_EQ(connect(c, (struct sockaddr *)&peer, sizeof peer), 0);
    CHECK(send_text(other, OUR_IP, 7109, "not from the peer") > 0);
    CHECK_EQ(send(c, "ping:conn", 9, 0), 9);
    char buf[64];
    CHECK_EQ(recv(c, buf, sizeof buf - 1, 0), 9);
    buf[9] = 0;
    CHECK(!strcmp(buf, "pong:conn"));
    CHECK_ERR(recv(c, buf, sizeof buf, 0), EAGAIN);      /* the other datagram was dropped */
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    CHECK_EQ(connect(c, &unspec, sizeof unspec), 0);
    CHECK_ERR(send(c, "x", 1, 0), EDESTADDRREQ);
    close(c);
    close(other);
}

static void echo_server_answers_locally(struct nt *t)
{
    int fd = udp_socket(7105, 5000);
    CHECK(fd >= 0);
    char buf[64];
    uint16_t from = 0;
    CHECK_EQ(send_text(fd, OUR_IP, 7, "echo me"), 7);
    CHECK_EQ(recv_text(fd, buf, sizeof buf, &from), 7);
    CHECK(!strcmp(buf, "echo me"));
    CHECK_EQ(from, 7);
    close(fd);
}

static void address_text_conversions(struct nt *t)
{
    struct in_addr a;
    char buf[INET_ADDRSTRLEN];
    CHECK_EQ(inet_pton(AF_INET, "10.0.2.15", &a), 1);
    CHECK_EQ(a.s_addr, htonl(OUR_IP));
    CHECK_EQ(inet_pton(AF_INET, "10.0.2", &a), 0);
    CHECK_EQ(inet_pton(AF_INET, "256.0.0.1", &a), 0);
    CHECK_EQ(inet_pton(AF_INET, "010.0.0.1", &a), 0);
    CHECK_ERR(inet_pton(AF_INET6, "::1", &a), EAFNOSUPPORT);
    CHECK(inet_ntop(AF_INET, &a, buf, sizeof buf) && !strcmp(buf, "10.0.2.15"));
    CHECK(!inet_ntop(AF_INET, &a, buf, 9) && errno == ENOSPC);
    CHECK_EQ(inet_addr("0x0a.0.2.017"), htonl(0x0a00020f));
    CHECK_EQ(inet_addr("10.527"), htonl(0x0a00020f));
    CHECK_EQ(inet_addr("1.2.3.4.5"), (in_addr_t)-1);
    CHECK_EQ(htons(0x1234), 0x3412);
    CHECK_EQ(ntohl(htonl(0xdeadbeef)), 0xdeadbeef);
}

struct counters {
    uint64_t delivered, no_port, corrupt, invalid, denied, fragment, unreach;
};

static void count(const char *name, uint64_t v, void *arg)
{
    struct counters *c = arg;
    if (!strcmp(name, "udp_delivered")) c->delivered = v;
    if (!strcmp(name, "udp_no_port")) c->no_port = v;
    if (!strcmp(name, "client_ring_corrupt")) c->corrupt = v;
    if (!strcmp(name, "client_tx_invalid")) c->invalid = v;
    if (!strcmp(name, "client_tx_denied")) c->denied = v;
    if (!strcmp(name, "ip_fragment")) c->fragment = v;
    if (!strcmp(name, "icmp_unreach_tx")) c->unreach = v;
}

/* One request by hand through cap: the reply's status. */
static int raw_call_on(uint64_t cap, uint64_t label, uint64_t w0)
{
    ae_utcb()->mr[0] = w0;
    int64_t r = ae_call(cap, AERIE_INFO(label, 1, 0), AERIE_TIMEOUT_FOREVER);
    return r < 0 ? (int)r : proto_status_of(AERIE_INFO_LABEL((uint64_t)r));
}

/* Client ids come from badges and request words: one whose slot is past
 * the service's table (with the right epoch, which a client may guess)
 * is refused, by the admin's operations and by a client's, and the
 * service keeps answering. */
static void client_ids_out_of_range_are_refused(struct nt *t)
{
    uint64_t admin = ae_capenv_lookup("net.admin"), id, cap;
    struct ae_net_range r = { 8100, 8100 };
    CHECK_EQ(ae_net_admin_client_add(admin, &r, 1, &id, &cap), 0);
    uint64_t epoch = id & ~0xFFFFFFFFull;
    static const uint64_t slots[] = { 0xFFFF, 0x100, 0x1FF, 0xFFFFFFFF };
    for (unsigned i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        CHECK_EQ(raw_call_on(admin, NET_ADMIN_CLIENT_STATS, epoch | slots[i]), AE_ESRCH);
        CHECK_EQ(raw_call_on(admin, NET_ADMIN_CLIENT_REMOVE, epoch | slots[i]), AE_ESRCH);
        CHECK_EQ(raw_call_on(cap, NET_ADMIN_CLIENT_STATS, epoch | slots[i]), AE_EPERM);
    }
    CHECK_EQ(raw_call_on(cap, NET_INFO, 0), 0);      /* still serving */
    CHECK_EQ(ae_net_admin_client_remove(admin, id), 0);
    CHECK(raw_call_on(cap, NET_INFO, 0) != 0);       /* a removed client is nobody */
    ae_cap_delete(cap);
    ae_slot_free(cap);
}

static void admin_reads_counters_clients_cannot(struct nt *t)
{
    struct counters c = { 0 };
    CHECK_EQ(ae_net_admin_stats(ae_capenv_lookup("net.admin"), count, &c), 0);
    CHECK(c.delivered >= 20);
    /* our own capability is a client's: the admin operations refuse it */
    CHECK_EQ(ae_net_admin_stats(ae_capenv_lookup("net"), count, &c), AE_EPERM);
    uint64_t id, cap;
    struct ae_net_range r = { 8000, 8000 };
    CHECK_EQ(ae_net_admin_client_add(ae_capenv_lookup("net"), &r, 1, &id, &cap), AE_EPERM);
    CHECK_EQ(ae_net_admin_client_remove(ae_capenv_lookup("net"), 1), AE_EPERM);
    uint64_t st[4];
    CHECK_EQ(ae_net_client_stats(st), 0);
    if (st[0] < 20 || st[2] < 20)
        NT_FAIL("client counters: delivered %lu dropped %lu sent %lu refused %lu", st[0], st[1], st[2], st[3]);
}

/* nethostile (tests/net/nethostile.c) attacks the service while the tests
 * above run, then says so on HOSTILE_RDV; afterwards the service must
 * still work and have counted what it refused. */
static int rdv = -1;                     /* bound first thing: nethostile may finish early */

static void service_survives_the_hostile_client(struct nt *t)
{
    CHECK(rdv >= 0);
    char buf[64];
    CHECK(recv_text(rdv, buf, sizeof buf, NULL) > 0);
    if (strcmp(buf, "hostile done"))
        NT_FAIL("nethostile says '%s'", buf);
    close(rdv);
    struct counters c = { 0 };
    CHECK_EQ(ae_net_admin_stats(ae_capenv_lookup("net.admin"), count, &c), 0);
    CHECK(c.corrupt > 0);
    CHECK(c.invalid > 0);
    CHECK(c.denied > 0);
    CHECK(c.no_port >= 1000);
    struct nt inner = { 0 };
    echo_server_answers_locally(&inner);
    if (inner.failed)
        NT_FAIL("echo after the attack: %s", inner.why);
}

struct text {
    char buf[1400];
    int len;
    const char *prefix;          /* only counters whose names start so; "" all */
};

static void append_stat(const char *name, uint64_t v, void *arg)
{
    struct text *t = arg;
    if (v && t->len < (int)sizeof t->buf - 40 && !strncmp(name, t->prefix, strlen(t->prefix)))
        t->len += snprintf(t->buf + t->len, sizeof t->buf - (size_t)t->len, "%s=%lu ", name, v);
}

/* Answers the host on CTRL_PORT: "stats" gets every counter of the
 * service that is not zero, as "name=value " words ("stats PREFIX" only
 * those whose names start with PREFIX); "exit" ends it. */
static void serve_host(void)
{
    int fd = udp_socket(CTRL_PORT, 0);
    if (fd < 0) {
        ae_kprintf("nettest: cannot bind the control port: %s\n", strerror(errno));
        return;
    }
    ae_kprintf("nettest: serving the host\n");
    for (;;) {
        char buf[64];
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        long n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            continue;
        buf[n] = 0;
        if (!strncmp(buf, "exit", 4))
            return;
        struct text t = { .len = 0, .prefix = !strncmp(buf, "stats ", 6) ? buf + 6 : "" };
        ae_net_admin_stats(ae_capenv_lookup("net.admin"), append_stat, &t);
        t.buf[t.len++] = '\n';
        sendto(fd, t.buf, (size_t)t.len, 0, (struct sockaddr *)&from, flen);
    }
}

static int run_main(void)
{
    int ready = udp_socket(MAIN_PORT, 60000);
    rdv = udp_socket(HOSTILE_RDV, 120000);
    char buf[64];
    if (ready < 0 || recv_text(ready, buf, sizeof buf, NULL) < 0 || strcmp(buf, "peer ready")) {
        ae_kprintf("TEST FAIL nettest_setup: no word from the peer (%s)\n", strerror(errno));
        ae_kprintf("TESTS DONE 1\n");
        return 1;
    }
    NT_RUN(socket_refuses_what_does_not_exist);
    NT_RUN(bind_outside_grant_is_eacces);
    NT_RUN(bind_taken_port_is_eaddrinuse_until_closed);
    NT_RUN(bind_any_port_picks_a_granted_one);
    NT_RUN(send_checks_what_posix_says);
    NT_RUN(exchange_with_peer);
    NT_RUN(each_client_gets_only_its_own_datagrams);
    NT_RUN(rcvbuf_bounds_what_waits_for_a_socket);
    NT_RUN(rcvtimeo_ends_a_wait_with_eagain);
    NT_RUN(poll_reports_the_socket_with_data);
    NT_RUN(peek_and_truncation_as_linux);
    NT_RUN(connected_socket_hears_only_its_peer);
    NT_RUN(echo_server_answers_locally);
    NT_RUN(address_text_conversions);
    NT_RUN(admin_reads_counters_clients_cannot);
    NT_RUN(client_ids_out_of_range_are_refused);
    NT_RUN(service_survives_the_hostile_client);
    send_text(ready, OUR_IP, PEER_PORT, "exit");
    ae_kprintf("TESTS DONE %u\n", nt_ran);
    serve_host();
    return 0;
}

/* ---- peer ---------------------------------------------------------------------- */

static void peer_cannot_bind_main_ports(struct nt *t)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = addr_of(INADDR_ANY, MAIN_PORT);
    CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a), EACCES);
    a = addr_of(INADDR_ANY, CTRL_PORT);
    CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a), EACCES);
    close(fd);
}

static int run_peer(void)
{
    NT_RUN(peer_cannot_bind_main_ports);
    int fd = udp_socket(PEER_PORT, 0);
    if (fd < 0) {
        ae_kprintf("TEST FAIL peer_setup: %s\nTESTS DONE %u\n", strerror(errno), nt_ran + 1);
        return 1;
    }
    ae_kprintf("TESTS DONE %u\n", nt_ran);
    send_text(fd, OUR_IP, MAIN_PORT, "peer ready");
    unsigned data = 0, foreign = 0;
    for (;;) {
        char buf[1500], out[64];
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        long n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            continue;
        buf[n] = 0;
        if (!strcmp(buf, "exit"))
            return 0;
        if (!strncmp(buf, "ping:", 5)) {
            snprintf(out, sizeof out, "pong:%s", buf + 5);
        } else if (!strcmp(buf, "count?")) {
            snprintf(out, sizeof out, "count:%u:%u", data, foreign);
        } else {
            if (n != 1472)                       /* the 1472-byte one from send_checks */
                data++, foreign += strncmp(buf, "for-peer", 8) != 0;
            continue;
        }
        sendto(fd, out, strlen(out), 0, (struct sockaddr *)&from, flen);
    }
}

/* ---- nonet ----------------------------------------------------------------------- */

static void socket_without_net_grant_is_eacces(struct nt *t)
{
    CHECK_ERR(socket(AF_INET, SOCK_DGRAM, 0), EACCES);
    CHECK_EQ(ae_net_available(), AE_EACCES);
    CHECK_EQ(ae_net_open(), AE_EACCES);
    CHECK_EQ(ae_net_send(7, OUR_IP, 7, "x", 1), AE_EACCES);
}

int main(int argc, char **argv)
{
    const char *role = argc > 1 ? argv[1] : "";
    if (!strcmp(role, "main"))
        return run_main();
    if (!strcmp(role, "peer"))
        return run_peer();
    if (!strcmp(role, "stats")) {
        serve_host();
        return 0;
    }
    if (!strcmp(role, "nonet")) {
        NT_RUN(socket_without_net_grant_is_eacces);
        ae_kprintf("TESTS DONE %u\n", nt_ran);
        return 0;
    }
    ae_kprintf("nettest: usage: nettest main|peer|nonet|stats\n");
    return 2;
}
