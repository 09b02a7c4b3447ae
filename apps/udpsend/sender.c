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
#include "sender.h"

struct stream {
    int fd;
    uint32_t magic, run, index;
    uint64_t deadline_ns;
    uint64_t sent, errors;
    pthread_t thread;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *stream_main(void *arg)
{
    struct stream *s = arg;
    unsigned char buf[SENDER_PAYLOAD];
    struct sender_hdr h = { s->magic, s->run, s->index, 0, 0 };
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
    return NULL;
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
        close(st[i].fd);
    }
    res->ns = now_ns() - start;
    if (started < streams) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}
