/*
 * sender.c — the sending threads of the UDP benchmark (sender.h). Each
 * stream is a connected socket and a tight send() loop; they start
 * together and stop at the same deadline.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <aerie/kip.h>
#include <aerie/objects.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include "sender.h"

struct stream {
    int fd;
    uint32_t magic, run, index;
    int cpu;                   /* where the stream runs; -1: its creator's CPU */
    uint64_t deadline_ns;
    uint64_t sent, errors;
    unsigned ended_on;         /* the CPU it was on when its time ran out */
    pthread_t thread;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU (RDTSCP's ECX, aerie/kip.h), or ~0u where the
 * kernel does not say. */
static unsigned current_cpu(void)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    unsigned cpu = ~0u;
    if (k->magic == AERIE_KIP_MAGIC && (k->cpu_flags & AERIE_KIP_CPU_TSC_AUX))
        __builtin_ia32_rdtscp(&cpu);
    return cpu;
}

static void *stream_main(void *arg)
{
    struct stream *s = arg;
    unsigned char buf[SENDER_PAYLOAD];
    struct sender_hdr h = { s->magic, s->run, s->index, 0, 0 };
    if (s->cpu >= 0)           /* refused (outside the container's CPUs): stays */
        ae_invokev(ae_thread_slot(), AERIE_THREAD_SET_AFFINITY, (uint64_t)s->cpu);
    for (unsigned i = sizeof h; i < sizeof buf; i++)
        buf[i] = (unsigned char)i;
    while (now_ns() < s->deadline_ns) {
        for (int k = 0; k < 16; k++) {           /* look at the clock every 16 sends */
            h.seq = s->sent;
            memcpy(buf, &h, sizeof h);
            if (send(s->fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf)
                s->sent++;
            else
                s->errors++;
        }
    }
    s->ended_on = current_cpu();
    return NULL;
}

/* The CPU stream i runs on, or -1 to leave it on its creator's. A thread
 * starts on its creator's CPU and nothing moves it (docs/ARCHITECTURE.md),
 * so by default every stream shares the caller's CPU — in the benchmarks
 * with the net service's poller and the NIC's interrupt, which the boot
 * puts on CPU 0 with the programs it starts — and the other CPU idles.
 * SENDER_PLACE (make's UDP_SENDER_CPU) tries the other CPUs: 1 puts all
 * the streams on the CPU after the caller's (the threads that share the
 * program's one send queue and its lock hand it over on one CPU), 2 puts
 * stream i on the (i + 1)th after, round the machine. Neither beat 0 on
 * the loaded host where they were tried (docs/EVALUATION.md, "UDP senders
 * on the second CPU"), so 0 stays the default. */
#ifndef SENDER_PLACE
#define SENDER_PLACE 0
#endif
static int stream_cpu(unsigned i)
{
    const struct aerie_kip *k = (const struct aerie_kip *)AERIE_KIP_ADDR;
    unsigned me = current_cpu();
    if (SENDER_PLACE == 0 || k->ncpus < 2 || me >= k->ncpus)
        return -1;
    return (int)((me + 1 + (SENDER_PLACE == 2 ? i : 0)) % k->ncpus);
}

static int open_stream(struct stream *s, uint32_t ip, uint16_t port, uint16_t local)
{
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0)
        return -1;
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(local) };
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = { htonl(ip) } };
    if ((local && bind(s->fd, (struct sockaddr *)&me, sizeof me) < 0) ||
        connect(s->fd, (struct sockaddr *)&to, sizeof to) < 0) {
        int e = errno;
        close(s->fd);
        errno = e;
        return -1;
    }
    return 0;
}

int send_streams(uint32_t ip, uint16_t port, unsigned seconds, unsigned streams,
                 uint16_t first_port, uint32_t magic, uint32_t run, struct sender_result *res)
{
    static struct stream st[SENDER_MAX_STREAMS];
    if (streams < 1 || streams > SENDER_MAX_STREAMS) {
        errno = EINVAL;
        return -1;
    }
    for (unsigned i = 0; i < streams; i++) {
        if (open_stream(&st[i], ip, port, first_port ? (uint16_t)(first_port + i) : 0) < 0) {
            int e = errno;
            while (i--)
                close(st[i].fd);
            errno = e;
            return -1;
        }
    }
    uint64_t start = now_ns(), deadline = start + (uint64_t)seconds * 1000000000ull;
    unsigned started = 0;
    for (unsigned i = 0; i < streams; i++) {
        st[i].magic = magic;
        st[i].run = run;
        st[i].index = i;
        st[i].deadline_ns = deadline;
        st[i].cpu = stream_cpu(i);
        st[i].sent = st[i].errors = 0;
        if (pthread_create(&st[i].thread, NULL, stream_main, &st[i]) == 0)
            started++;
        else
            st[i].thread = 0;
    }
    *res = (struct sender_result){ 0 };
    for (unsigned i = 0; i < streams; i++) {
        if (st[i].thread)
            pthread_join(st[i].thread, NULL);
        res->sent += st[i].sent;
        res->errors += st[i].errors;
        if (st[i].thread && st[i].ended_on < 64)
            res->cpus |= 1ull << st[i].ended_on;
        close(st[i].fd);
    }
    res->ns = now_ns() - start;
    if (started < streams) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}
