/*
 * libaerie/server.h — the one main loop every service runs: receive, look
 * the opcode up in a table, check the word count, call the handler with
 * the caller's badge and the message, reply with its status and words,
 * and receive again. Handlers get everything as arguments (no globals).
 */
#ifndef LIBAERIE_SERVER_H
#define LIBAERIE_SERVER_H

#include <stdint.h>
#include <stdbool.h>

struct ae_request {
    uint64_t badge;            /* who calls */
    uint64_t label;
    const uint64_t *w;         /* the message words (a copy: handlers may make calls) */
    unsigned nwords;
    unsigned ncaps;            /* capabilities that arrived (slots in caps[]) */
    const uint32_t *caps;
    unsigned caps_kept;        /* bit i: the handler keeps caps[i] (else the loop deletes it) */
    uint64_t *reply;           /* reply words, sent whatever the status */
    unsigned nreply;
    uint32_t reply_caps[3];    /* capabilities to send back */
    unsigned nreply_caps;
    bool no_reply;             /* the handler saved or dropped the reply */
};

/* Returns 0 or a negative AE_* status. */
typedef int (*ae_handler)(void *ctx, struct ae_request *rq);

struct ae_op {
    ae_handler fn;
    unsigned min_words;
};

struct ae_server {
    uint64_t ep;               /* endpoint to receive on */
    const struct ae_op *ops;   /* indexed by label */
    unsigned nops;
    void *ctx;
    /* Called with every message whose label has no handler (faults, for
     * instance); may be NULL. */
    ae_handler other;
    /* Capabilities a message may bring (0..3): the loop keeps that many
     * empty slots in its receive window. A handler keeps one by setting
     * its bit in caps_kept or by moving it to a slot of its own
     * (ae_cap_move); the rest are deleted once it returns. */
    unsigned recv_caps;
};

/* Serves forever (returns only if the endpoint goes away). */
int ae_serve(const struct ae_server *s);

#endif
