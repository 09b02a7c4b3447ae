/*
 * main.c — aerie-engine's start and its loop (see engine.h):
 *
 *   aerie-engine --socket PATH --vm PATH --store DIR [--log FILE]
 *
 * --socket is where clients (./aerie) connect; --vm where QEMU's
 * virtio-console port connects (tools/qemu.sh --ctl); --store holds the
 * imported images. A lock file beside --socket (PATH.lock, holding the
 * engine's pid) makes a second engine for the same socket refuse to start,
 * so a running Aerie's channel is never taken over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"

static volatile sig_atomic_t stopping;
static FILE *log_file;

void engine_log(const char *fmt, ...)
{
    FILE *f = log_file ? log_file : stderr;
    time_t t = time(NULL);
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", localtime(&t));
    fprintf(f, "%s engine: ", when);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
}

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fputs("aerie-engine: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* The lock beside the socket: held for the engine's life. */
static void take_lock(const char *sock)
{
    char path[4200], pid[32] = "";
    snprintf(path, sizeof path, "%s.lock", sock);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        ssize_t n = read(fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        die("an Aerie is already running on %s (engine pid %s): stop it first (or use another BUILD)", sock,
            pid[0] ? pid : "?");
    }
    if (ftruncate(fd, 0) == 0)
        dprintf(fd, "%d\n", (int)getpid());
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        die("the socket path %s is longer than %zu bytes", path, sizeof a.sun_path - 1);
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    unlink(path);                            /* ours: the lock says no one else serves it */
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0)
        die("cannot listen on %s: %s", path, strerror(errno));
    return fd;
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: aerie-engine --socket PATH --vm PATH --store DIR [--log FILE]\n");
    exit(2);
}

static void parse_args(struct engine *e, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--socket") && v)
            e->sock_path = v;
        else if (!strcmp(argv[i], "--vm") && v)
            e->vm_path = v;
        else if (!strcmp(argv[i], "--store") && v)
            e->store_dir = v;
        else if (!strcmp(argv[i], "--log") && v) {
            if (!(log_file = fopen(v, "a")))
                die("cannot open the log %s: %s", v, strerror(errno));
        } else
            usage();
        i++;
    }
    if (!e->sock_path || !e->vm_path || !e->store_dir)
        usage();
}

/* The poll set: both listeners, QEMU, every client; index of each client. */
static nfds_t poll_set(struct engine *e, struct pollfd *p, struct client **who)
{
    nfds_t n = 0;
    p[n++] = (struct pollfd){ .fd = e->listen_fd, .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = e->vm_listen_fd, .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = e->vm_fd, .events = (short)(POLLIN | (e->vmout.len ? POLLOUT : 0)) };
    for (unsigned i = 0; i < ENGINE_CLIENTS; i++) {
        struct client *c = &e->clients[i];
        if (!c->used)
            continue;
        short ev = c->out.len ? POLLOUT : 0;
        if (c->chan && !c->eof && c->in.len < FRAME_WINDOW_DOWN && e->ready)
            ev |= POLLIN;
        who[n] = c;
        p[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
    }
    return n;
}

static void loop(struct engine *e)
{
    static struct pollfd p[ENGINE_CLIENTS + 3];
    static struct client *who[ENGINE_CLIENTS + 3];
    while (!stopping) {
        nfds_t n = poll_set(e, p, who);
        if (poll(p, n, 1000) < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (p[0].revents & POLLIN)
            client_accept(e);
        if (p[1].revents & POLLIN)
            link_accept(e);
        if (e->vm_fd >= 0 && p[2].revents & (POLLIN | POLLHUP | POLLERR))
            link_read(e);
        for (nfds_t i = 3; i < n; i++) {
            struct client *c = who[i];
            if (c->used && p[i].revents & (POLLIN | POLLHUP | POLLERR))
                client_read(e, c, p[i].revents & (POLLHUP | POLLERR));
            if (c->used && p[i].revents & POLLOUT)
                client_write(e, c);
        }
        for (unsigned i = 0; e->ready && i < ENGINE_CLIENTS; i++)
            if (e->clients[i].used && !e->clients[i].chan && !e->clients[i].eof)
                link_assign(e, &e->clients[i]);
        job_pump(e);
        link_pump(e);
        if (e->vm_fd >= 0 && e->vmout.len && !link_write(e))
            link_drop_vm(e, "QEMU closed the channel");
    }
}

int main(int argc, char **argv)
{
    static struct engine e;
    char why[300];
    parse_args(&e, argc, argv);
    take_lock(e.sock_path);
    if (store_open(e.store_dir, why, sizeof why))
        die("%s", why);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    e.vm_fd = -1;
    e.vm_listen_fd = listen_on(e.vm_path);
    e.listen_fd = listen_on(e.sock_path);
    ENGINE_SELF(&e)->fd = -1;
    engine_log("serving %s; waiting for Aerie on %s; images in %s", e.sock_path, e.vm_path, e.store_dir);
    loop(&e);
    unlink(e.sock_path);
    unlink(e.vm_path);
    engine_log("stopped");
    return 0;
}
