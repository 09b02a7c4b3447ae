/*
 * aerie_conn.h — the aerie CLI's side of the control channel: finding
 * the socket aerie-engine serves (build/aerie.sock beside the
 * executable), the hello that opens a session, requests out and reply
 * lines back (and raw bytes after "data N" replies), with time limits.
 * The line format is services/ctl/ctlproto.h's.
 */
#ifndef AERIE_CONN_H
#define AERIE_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "ctlproto.h"

#define CONN_REPLY_MAX  65536        /* the longest reply line we accept */

struct conn {
    int fd;
    char path[4200];                 /* the socket, as messages show it */
    char prefix[8];                  /* request ids: PREFIX.N, unique to this process */
    unsigned next_id;
    char *buf;                       /* received bytes not yet returned */
    size_t len, start;
    /* Shared by two threads (`run -i`: the output read by one, input sent
     * by another): sends hold send_lock, and replies to the other
     * thread's requests, which the reader skips, are handed to other(). */
    pthread_mutex_t *send_lock;
    void (*other)(void *ctx, const struct ctl_reply *r);
    void *other_ctx;
};

/* Where the socket is: --socket, else $AERIE_SOCKET, else build/aerie.sock
 * in the executable's directory (the repository root). */
void conn_locate(struct conn *c, const char *option);

/* Connects and says hello; on failure prints why (naming 'make run' when
 * no Aerie is there) and exits with status 1. */
void conn_open(struct conn *c);

/* Sends "ID VERB WORD..." (each word escaped) and puts its id in id
 * (CTL_ID_MAX + 1 bytes). Exits with a message if the line cannot go. */
void conn_send(struct conn *c, char *id, const char *verb, const char *const *words, int nwords);

/* Sends n raw bytes (the payload of a put or import just sent). */
void conn_send_raw(struct conn *c, const void *p, size_t n);

/* conn_send, then n raw bytes, as one write nobody else's comes between. */
void conn_send_payload(struct conn *c, char *id, const char *verb, const char *const *words, int nwords,
                       const void *p, size_t n);

/* Takes the n raw bytes that follow a "data N" reply (out NULL: drops
 * them). Exits with a message if the channel closes first. */
void conn_raw(struct conn *c, void *out, size_t n);

enum conn_wait { CONN_REPLY = 0, CONN_TIMEOUT = -1, CONN_CLOSED = -2, CONN_INTERRUPTED = -3 };

/* Waits up to timeout_ms (-1: forever) for the next reply line to id;
 * lines for other ids are skipped. r points into c's buffer until the
 * next call. A signal ends the wait with CONN_INTERRUPTED. */
enum conn_wait conn_reply(struct conn *c, const char *id, struct ctl_reply *r, int timeout_ms);

/* conn_reply with the default time limit; exits with a message on a
 * timeout or a closed channel. */
void conn_expect(struct conn *c, const char *id, struct ctl_reply *r);

/* Prints "aerie: " and the message, and exits with status. */
_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
