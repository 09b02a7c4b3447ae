/*
 * ipc.h — the Endpoint object and synchronous IPC: send, receive, call,
 * reply, reply-and-receive, saved replies, and fault messages.
 *
 * An endpoint has a queue of blocked senders and one of blocked receivers;
 * whichever side arrives second copies the message (sender's UTCB words,
 * or a kernel-built fault message, to the receiver's UTCB) and wakes the
 * other. A call leaves the caller waiting for the receiving thread's
 * reply. No lock shared by all CPUs is taken unless the message carries
 * capabilities (then the derivation-tree lock, first).
 *
 * Locking: obj.lock guards the queues; thread locks nest inside.
 */
#ifndef AERIE_IPC_H
#define AERIE_IPC_H

#include "object.h"
#include "cap.h"

struct thread;

struct endpoint {
    struct kobject obj;
    struct list sendq, recvq;
    struct list notices;             /* queued kernel notices (struct ipc_notice) */
};

/*
 * A message the kernel sends on its own, not on behalf of a thread (a
 * quota watch's AERIE_FAULT_GONE). The record lives inside its owner
 * object, so posting it allocates nothing; while it waits on an
 * endpoint's queue it holds a reference on the owner. A receiver gets
 * the words, the badge and AERIE_INFO_KERNEL, and owes no reply.
 */
#define IPC_NOTICE_WORDS 7
struct ipc_notice {
    struct kobject *owner;           /* the object the record is part of */
    struct list link;                /* on endpoint->notices while queued */
    uint64_t badge, label;
    uint64_t words[IPC_NOTICE_WORDS];
};

int endpoint_create(struct quota *q, struct invocation *inv, struct kobject **out);

/* Each of these may block; `ep` is consumed (its reference dropped). */
int64_t ipc_send(struct thread *t, struct endpoint *ep, uint64_t badge, bool grant,
                 uint64_t info, uint64_t timeout, bool call);
int64_t ipc_recv(struct thread *t, struct endpoint *ep, uint64_t timeout, uint64_t *badge);

int64_t ipc_reply(struct thread *t, uint64_t info);
int64_t ipc_reply_through(struct thread *t, struct thread *client, uint64_t seq, uint64_t info);
int ipc_reply_save(struct thread *t, uint64_t slot);
/* Ends t's obligation to reply to its last caller, who gets err. */
void ipc_cancel_reply(struct thread *t, int64_t err);
/* The current thread's fault message (t->fault_words) as a call to its handler. */
int64_t ipc_fault_call(struct thread *t, uint64_t info);
/* Hands n to a receiver waiting on ep, or queues it (taking a reference
 * on n->owner) until one comes; dropped if ep is dead. No locks held; n
 * must not be posted again before it has been received or dropped. */
void ipc_post_notice(struct endpoint *ep, struct ipc_notice *n);
/* Messages handed from a thread to a receiver so far: on the sender's
 * CPU, and across CPUs (KDEBUG_STATS words 4 and 5). */
void ipc_stats(uint64_t *local, uint64_t *remote);
/* Checks an info word a thread wants to send. */
int ipc_check_info(struct thread *t, uint64_t info, bool grant);

extern const struct obj_ops endpoint_ops;

#endif
