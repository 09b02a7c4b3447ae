/*
 * libaerie/server.h — the one main loop every service runs: receive, work
 * out which class of caller sent the message (from its badge and whether
 * the kernel built it), look the opcode up in a table that names the
 * classes allowed to use it, check the word count, call the handler with
 * the caller's badge and the message, reply with its status and words,
 * and receive again. Handlers get everything as arguments (no globals).
 *
 * Because the loop refuses a caller whose class an operation does not
 * name before any handler runs, a service cannot forget an admin check:
 * an operation is admin-only unless its table entry says otherwise.
 */
#ifndef LIBAERIE_SERVER_H
#define LIBAERIE_SERVER_H

#include <stdint.h>
#include <stdbool.h>

/* Who may call an operation: a mask of caller classes. */
enum ae_caller {
    AE_CALLER_CLIENT = 1u << 0,  /* a badge without the admin or fault bit */
    AE_CALLER_ADMIN  = 1u << 1,  /* PROTO_ADMIN_BADGE, or the unbadged server capability */
    AE_CALLER_FAULT  = 1u << 2,  /* a kernel-built message on a PROTO_FAULT_BADGE capability */
};
#define AE_CALLER_ANY (AE_CALLER_CLIENT | AE_CALLER_ADMIN)

struct ae_request {
    uint64_t badge;            /* who calls */
    unsigned caller;           /* its class (one AE_CALLER_* bit) */
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
    unsigned callers;          /* AE_CALLER_* mask; 0 refuses everyone */
};

struct ae_server {
    uint64_t ep;               /* endpoint to receive on */
    const struct ae_op *ops;   /* indexed by label; callers CLIENT and ADMIN only */
    unsigned nops;
    void *ctx;
    /* Called with every kernel-built message (a fault, exception, foreign
     * system call, exit) that arrives through a PROTO_FAULT_BADGE
     * capability; NULL when the service has no threads to manage. Fault
     * messages reach nothing else, and nothing else reaches this. */
    ae_handler fault;
    /* Capabilities a message may bring (0..3): the loop keeps that many
     * empty slots in its receive window. A handler keeps one by setting
     * its bit in caps_kept or by moving it to a slot of its own
     * (ae_cap_move); the rest are deleted once it returns. */
    unsigned recv_caps;
};

/* The class of a message that arrived with badge and info word. */
unsigned ae_caller_class(uint64_t badge, uint64_t info);

/* Serves forever (returns only if the endpoint goes away). */
int ae_serve(const struct ae_server *s);

#endif
