/*
 * guard.c — the poller's fault handler. A client's ring memory comes from
 * the client's quota; a hostile client can destroy that quota (or a child
 * quota it made the memory from) while the service has the rings mapped,
 * and the kernel then unmaps them here too. The poller's next access to
 * them faults; the guard puts zeroed memory of our own in their place,
 * marks the client, and lets the poller go on (the zeros read as an
 * empty ring with bogus indices, which the ring code already tolerates).
 * The poller then detaches the client's rings (main.c, reap_lost).
 *
 * Any other fault, and the poller's exit, go on to root as the service's
 * own: root reports it and restarts the service.
 */
#include <string.h>
#include <aerie/errors.h>
#include <aerie/fault.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "glue.h"

/* The session whose ring mapping holds addr, or NULL. The poller is
 * stopped in its fault, so the sessions hold still. */
static struct session *ring_at(struct netsvc *s, uint64_t addr)
{
    for (unsigned i = 0; i < NET_MAX_CLIENTS; i++) {
        struct session *se = &s->sessions[i];
        if (se->ring_va && addr >= (uint64_t)se->ring_va && addr - (uint64_t)se->ring_va < se->ring_bytes)
            return se;
    }
    return NULL;
}

/* Replaces the vanished ring memory with zeroed memory of our own. */
static bool rescue(struct netsvc *s, uint64_t addr)
{
    struct session *se = ring_at(s, addr);
    if (!se)
        return false;
    uint64_t va = (uint64_t)se->ring_va, slot = ae_slot_alloc();
    if (!slot)
        return false;
    ae_task_unmap(ae_self.task, va, se->ring_bytes);      /* whatever is left of it */
    bool ok = ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, slot, se->ring_bytes, 0, 0) >= 0 &&
              ae_task_map(ae_self.task, slot, 0, va, se->ring_bytes, AERIE_MAP_R | AERIE_MAP_W) >= 0;
    ae_cap_delete(slot);                                  /* the mapping keeps it */
    ae_slot_free(slot);
    if (ok) {
        __atomic_store_n(&se->lost, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&s->any_lost, 1, __ATOMIC_RELEASE);
    }
    return ok;
}

void *guard_thread(void *arg)
{
    struct netsvc *s = arg;
    struct aerie_utcb *u = ae_utcb();
    for (;;) {
        uint64_t badge, w[AERIE_MSG_WORDS];
        int64_t r = ae_recv(s->guard_ep, AERIE_TIMEOUT_FOREVER, &badge);
        if (r < 0)
            continue;
        uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
        unsigned n = (unsigned)AERIE_INFO_NWORDS((uint64_t)r);
        memcpy(w, u->mr, n * sizeof w[0]);
        if (label == AERIE_FAULT_PAGE && n >= 1 && rescue(s, w[0])) {
            u->mr[0] = 0;
            ae_reply(AERIE_INFO(AERIE_FAULT_RESUME, 1, 0));
            continue;
        }
        memcpy(u->mr, w, n * sizeof w[0]);                 /* root's to judge */
        ae_call(ae_self.fault, AERIE_INFO(label, n, 0), AERIE_TIMEOUT_FOREVER);
    }
    return NULL;
}
