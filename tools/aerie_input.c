/*
 * aerie_input.c — `aerie run -i`: a thread reads our standard input and
 * sends each piece as "input CID SIZE" and its bytes on the run's own
 * connection (the main thread reads the output stream there and hands us
 * the answers to our requests), with at most IN_FLIGHT pieces
 * unanswered; ctl answers "ok" once the container's input ring has taken
 * every byte of one, so a container that reads slowly holds this thread
 * back (and, through the engine's credit, nothing else). One connection
 * for both directions, as `docker run -i` attaches: an idle session costs
 * the link one channel, as `aerie run` without -i does (docs/SECURITY.md
 * 37i). At our stdin's end it sends "input CID eof". An error (the
 * container ended, or was not given input) ends the thread: there is
 * nobody left to read.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include "aerie_input.h"
#include "aerie_tty.h"

#define INPUT_PIECE 4096                 /* one read of our stdin, one request */

static struct conn *in_conn;
static char in_target[48];           /* "CID", or "CID:N" for an exec's input (aerie exec -i) */
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;
static bool tty_mode;                /* -t: input framed for the container's terminal (aerie_tty.h) */

/* Requests sent and not yet answered, oldest first: up to IN_FLIGHT, so
 * the pieces keep ctl busy while we wait for the oldest answer. ctl
 * answers one session's requests in order, so answers come oldest first. */
#define IN_FLIGHT 16
static char pending[IN_FLIGHT][CTL_ID_MAX + 1];
static unsigned pend_head, pend_n;

/* Answers the main thread saw for our requests, until we take them
 * (guarded by answers_lock). Every "ok" or "err" line the main thread
 * passes on is ours: its own requests it waits for by id. */
#define ARRIVED_MAX (2 * IN_FLIGHT)
static pthread_mutex_t answers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t answered = PTHREAD_COND_INITIALIZER;
static struct { char id[CTL_ID_MAX + 1]; bool ok; } arrived[ARRIVED_MAX];
static unsigned narrived;
static char refusal[200];                          /* the text of the last "err" answer */

/* Called by the main thread for each reply line not its own. */
static void on_answer(void *ctx, const struct ctl_reply *r)
{
    (void)ctx;
    bool ok = !strcmp(r->kind, "ok");
    if (!ok && strcmp(r->kind, "err"))
        return;
    pthread_mutex_lock(&answers_lock);
    if (narrived < ARRIVED_MAX) {            /* more than we sent: not ours */
        snprintf(arrived[narrived].id, sizeof arrived[narrived].id, "%s", r->id);
        arrived[narrived++].ok = ok;
        if (!ok)
            snprintf(refusal, sizeof refusal, "%s", r->rest);
        pthread_cond_broadcast(&answered);
    }
    pthread_mutex_unlock(&answers_lock);
}

/* Takes the answer to id from arrived[], if it came; -1 if not yet. */
static int take_answer(const char *id)
{
    for (unsigned i = 0; i < narrived; i++) {
        if (strcmp(arrived[i].id, id))
            continue;
        int ok = arrived[i].ok;
        arrived[i] = arrived[--narrived];
        return ok;
    }
    return -1;
}

/* Waits for the oldest answer; false when the container takes no more. */
static bool wait_oldest(void)
{
    const char *id = pending[pend_head];
    int ok;
    pend_head = (pend_head + 1) % IN_FLIGHT;
    pend_n--;
    pthread_mutex_lock(&answers_lock);
    while ((ok = take_answer(id)) < 0)
        pthread_cond_wait(&answered, &answers_lock);
    pthread_mutex_unlock(&answers_lock);
    if (!ok && strstr(refusal, "not started with input"))
        fprintf(stderr, "aerie: %s\n", refusal);
    return ok;                           /* not ok: it ended, the rest of our input has no reader */
}

/* Sends one request (n bytes, or the end when data is NULL); false when
 * an answer says the container will take no more. No lock is held while
 * the write waits (the main thread must go on reading the output, or ctl
 * could wait for it to read before taking our input). */
static bool send_piece(const void *data, size_t n)
{
    char num[48], size[24];
    const char *w[2] = { num, size };
    if (pend_n == IN_FLIGHT && !wait_oldest())
        return false;
    snprintf(num, sizeof num, "%s", in_target);
    if (data)
        snprintf(size, sizeof size, "%zu", n);
    else
        snprintf(size, sizeof size, "eof");
    unsigned slot = (pend_head + pend_n++) % IN_FLIGHT;
    conn_send_payload(in_conn, pending[slot], "input", w, 2, data, data ? n : 0);
    return true;
}

/* -t: waits for our stdin, sending the window size whenever it changed;
 * false when the container takes no more. */
static bool tty_wait(void)
{
    unsigned char m[TTY_WINSZ_MSG];
    int wfd = tty_winch_fd();
    for (;;) {
        struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { wfd, POLLIN, 0 } };
        int r = poll(p, wfd >= 0 ? 2 : 1, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[0].revents)
            return true;                 /* the read says what came */
        tty_winch_clear();
        size_t k = tty_winsize_msg(m);
        if (k && !send_piece(m, k))
            return false;
    }
}

static void *forward(void *arg)
{
    (void)arg;
    static char buf[INPUT_PIECE];
    static unsigned char framed[2 * INPUT_PIECE];
    if (!send_piece(buf, 0) || !wait_oldest())   /* claims the input: our connection's end is its end */
        return NULL;
    if (tty_mode) {                      /* the size first: an exec's terminal starts at 24x80 */
        unsigned char m[TTY_WINSZ_MSG];
        size_t k = tty_winsize_msg(m);
        if (k && !send_piece(m, k))
            return NULL;
    }
    for (;;) {
        if (tty_mode && !tty_wait())
            return NULL;
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            send_piece(NULL, 0);         /* our stdin ended (or failed): so does its */
            while (pend_n && wait_oldest())
                ;
            return NULL;
        }
        if (tty_mode) {
            if (!send_piece(framed, tty_frame((unsigned char *)buf, (size_t)n, framed)))
                return NULL;
        } else if (!send_piece(buf, (size_t)n)) {
            return NULL;
        }
    }
}

void input_set_tty(bool on)
{
    tty_mode = on;
    if (on)
        tty_raw_begin();
}

void input_forward(struct conn *run_conn, uint64_t cid)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)cid);
    input_forward_to(run_conn, t);
}

void input_forward_to(struct conn *run_conn, const char *target)
{
    in_conn = run_conn;
    snprintf(in_target, sizeof in_target, "%s", target);
    run_conn->send_lock = &send_lock;
    run_conn->other = on_answer;
    run_conn->other_ctx = NULL;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* Ctrl-C is the main thread's */
    pthread_t th;
    int r = pthread_create(&th, NULL, forward, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r)
        die(1, "-i: no thread to forward the input (%s)", strerror(r));
    pthread_detach(th);
}
