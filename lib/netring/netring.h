/*
 * netring.h — the operations on the shared datagram rings of
 * <aerie/netring.h>, the same code for both sides: the net service
 * (produces RX, consumes TX) and the client library (the other way round).
 *
 * A `struct netring` is one side's private view of a shared ring: the
 * geometry and its own index live here, never re-read from shared memory.
 * The other side's index is read with acquire order, checked against the
 * bounds (a bad one counts in `corrupt` and makes the ring look full or
 * empty), and cached until it is needed again. Slots are filled or read
 * first and made visible in batches: *_next / *_commit per slot, then one
 * *_publish (release store, full barrier, read the other side's wakeup
 * flag) per batch.
 *
 * Not thread-safe: one thread per side of a ring.
 */
#ifndef AERIE_LIB_NETRING_H
#define AERIE_LIB_NETRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aerie/netring.h>

struct netring {
    struct netring_hdr  *hdr;    /* shared */
    struct netring_slot *slots;  /* shared */
    uint32_t nslots;             /* private copy, fixed at attach */
    uint32_t mask;               /* nslots - 1 */
    uint32_t pos;                /* this side's index, including committed, unpublished slots */
    uint32_t published;          /* the value of pos last stored into the shared header */
    uint32_t seen;               /* the other side's index as last read and found valid */
    uint32_t corrupt;            /* times the other side's index was out of bounds */
};

/* Slot header fields, each read exactly once from shared memory. */
struct netring_meta {
    uint32_t remote_ip;
    uint16_t remote_port;
    uint16_t local_port;
    uint16_t len;
    uint16_t flags;
};

/* Set-up. format: the service writes a fresh header (indices 0) into mem,
 * which must be 64-byte aligned and hold NETRING_BYTES(nslots); nslots a
 * power of two in NETRING_MIN_SLOTS..NETRING_MAX_SLOTS. attach: a view
 * with the given (trusted) geometry. open: the client's attach, which
 * takes the geometry from the header and checks it against size.
 * All return 0 or AE_EINVAL. */
int netring_format(void *mem, size_t size, uint32_t nslots);
int netring_attach(struct netring *r, void *mem, size_t size, uint32_t nslots);
int netring_open(struct netring *r, void *mem, size_t size);
/* After attach, for a ring that was in use (the service restarted): this
 * side's index is the one last published in the shared header. */
void netring_resume(struct netring *r, bool producer);

/* Producer: next free slot (NULL when full or the consumer's index is
 * bad), commit it, publish all committed slots. publish returns true when
 * the consumer asked to be woken. */
struct netring_slot *netring_prod_next(struct netring *r);
/* The slot k after the next one, if slots 0..k are all free (a datagram
 * of several slots is written this way, then committed slot by slot). */
struct netring_slot *netring_prod_peek(struct netring *r, uint32_t k);
void netring_prod_commit(struct netring *r);
bool netring_prod_publish(struct netring *r);

/* Consumer: next filled slot (NULL when empty or the producer's index is
 * bad), release it, publish all released slots. publish returns true when
 * the producer asked to be woken. */
const struct netring_slot *netring_cons_next(struct netring *r);
/* The slot k after the next one, if the producer has published it. */
const struct netring_slot *netring_cons_peek(struct netring *r, uint32_t k);
void netring_cons_commit(struct netring *r);
bool netring_cons_publish(struct netring *r);

/* Sleeping: set the wakeup flag, then check once more. true means the
 * ring is still empty (consumer) or full (producer): the caller may sleep
 * until signalled, then calls *_wait_end. */
bool netring_cons_wait_prepare(struct netring *r);
void netring_cons_wait_end(struct netring *r);
bool netring_prod_wait_prepare(struct netring *r);
void netring_prod_wait_end(struct netring *r);

/* Copies a slot's header fields, one read each, so that a value checked is
 * the value used even if the other side rewrites the slot meanwhile. */
void netring_read_meta(const struct netring_slot *s, struct netring_meta *m);

#endif
