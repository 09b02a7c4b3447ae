/*
 * aerie_input.c — `aerie run -i`: a thread reads our standard input and
 * sends each piece as "input CID SIZE" and its bytes on a connection of
 * its own, with at most IN_FLIGHT pieces unanswered; ctl answers "ok"
 * once the container's input ring has taken every byte of one, so a
 * container that reads slowly holds this thread back (and, through the
 * engine's credit, nothing else). At
 * our stdin's end it sends "input CID eof". An error (the container
 * ended, or was not given input) ends the thread: there is nobody left
 * to read.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aerie_input.h"

#define INPUT_PIECE 4096                 /* one read of our stdin, one request */

static struct conn in_conn;
static char in_target[48];           /* "CID", or "CID:N" for an exec's input */

/* Requests sent and not yet answered, oldest first: up to IN_FLIGHT, so
 * the pieces keep ctl busy while we wait for the oldest answer. */
#define IN_FLIGHT 16
static char pending[IN_FLIGHT][CTL_ID_MAX + 1];
static unsigned pend_head, pend_n;

/* Waits for the oldest answer; false when the container takes no more. */
static bool wait_oldest(void)
{
    struct ctl_reply r;
    char *id = pending[pend_head];
    pend_head = (pend_head + 1) % IN_FLIGHT;
    pend_n--;
    if (conn_reply(&in_conn, id, &r, -1) != CONN_REPLY)
        return false;
    if (!strcmp(r.kind, "ok"))
        return true;
    if (strstr(r.rest, "not started with input"))
        fprintf(stderr, "aerie: %s\n", r.rest);
    return false;                        /* it ended: the rest of our input has no reader */
}

/* Sends one request (n bytes, or the end when data is NULL); false when
 * an answer says the container will take no more. */
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
    conn_send(&in_conn, pending[(pend_head + pend_n++) % IN_FLIGHT], "input", w, 2);
    if (data && n)
        conn_send_raw(&in_conn, data, n);
    return true;
}

static void *forward(void *arg)
{
    (void)arg;
    static char buf[INPUT_PIECE];
    if (!send_piece(buf, 0) || !wait_oldest())   /* claims the input: our connection's end is its end */
        return NULL;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            send_piece(NULL, 0);         /* our stdin ended (or failed): so does its */
            while (pend_n && wait_oldest())
                ;
            return NULL;
        }
        if (!send_piece(buf, (size_t)n))
            return NULL;
    }
}

void input_forward(const struct conn *main_conn, uint64_t cid)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)cid);
    input_forward_to(main_conn, t);
}

void input_forward_to(const struct conn *main_conn, const char *target)
{
    memset(&in_conn, 0, sizeof in_conn);
    memcpy(in_conn.path, main_conn->path, sizeof in_conn.path);
    conn_open(&in_conn);
    snprintf(in_target, sizeof in_target, "%s", target);
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
