/*
 * aerie/utcb.h — the user thread control block: a thread's message
 * registers and capability transfer slots. It lives in user memory chosen
 * by whoever configures the thread (THREAD_SET_UTCB: a Memory object and
 * an offset aligned to AERIE_UTCB_SIZE), so the kernel reaches it through
 * the Memory object's pages and never through a user pointer.
 */
#ifndef AERIE_UTCB_H
#define AERIE_UTCB_H

#include <stdint.h>
#include "syscall.h"

#define AERIE_UTCB_SIZE 1024

struct aerie_utcb {
    uint64_t mr[AERIE_MSG_WORDS];        /* message words, both directions */
    uint32_t caps[AERIE_MSG_CAPS];       /* send: caller's slots to transfer; receive: slots filled */
    uint32_t recv_slots[AERIE_MSG_CAPS]; /* receive window: empty slots for incoming caps, 0 = none */
    uint64_t badge;                      /* badge of the capability the last message came through */
    uint64_t user[16];                   /* free for the thread's runtime (e.g. its thread pointer) */
    uint8_t reserved[AERIE_UTCB_SIZE - AERIE_MSG_WORDS * 8 - AERIE_MSG_CAPS * 8 - 8 - 16 * 8];
};

_Static_assert(sizeof(struct aerie_utcb) == AERIE_UTCB_SIZE, "UTCB size");

#endif
