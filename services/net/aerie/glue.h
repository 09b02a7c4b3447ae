/*
 * glue.h — the net service on Aerie: the OS glue around the portable core
 * (stack/, virtio/, docs/NET.md). Three threads share one struct netsvc:
 *
 *   poller (the main thread)  runs the stack: net_poll, sleeping on the
 *        service's notification (NIC interrupt, client kicks, mailbox).
 *        It alone calls the stack and touches client rings.
 *   ipc thread  serves the protocol (aerie/proto/net.h): it checks each
 *        request, does the system calls (mapping ring memory, minting and
 *        revoking capabilities), and hands the stack's part to the poller
 *        through a one-entry mailbox (run_in_poller).
 *   guard thread  is the poller's fault handler: if a client's ring memory
 *        vanishes (the client destroyed the quota it came from), it maps
 *        zeroed memory in its place and marks the client; any other fault
 *        is passed on to root, which restarts the service.
 *
 *   keeper thread  (persist.c) hands capabilities to root's keeper, in
 *        order, so that no thread above ever waits for root.
 *
 * Ownership of struct session fields: `ep_cap` belongs to the ipc thread;
 * everything else is written only by the poller (inside run_in_poller
 * calls, or while it runs), and read by the guard only while the poller
 * is stopped in a fault.
 */
#ifndef AERIE_NET_GLUE_H
#define AERIE_NET_GLUE_H

#include <stdbool.h>
#include <stdint.h>
#include "net.h"
#include "vnet.h"
#include "virtio_platform.h"
#include "aerie/pci_grant.h"

/* Bits of the service's notification. */
#define SVC_NIC_IRQ   0x1ull            /* the NIC's interrupt (IRQ_BIND) */
#define SVC_CLIENT    0x2ull            /* a client published TX slots (= NET_WAKE_SERVICE) */
#define SVC_MAILBOX   0x4ull            /* the ipc thread posted work */

struct session {
    uint64_t badge;             /* epoch << 32 | stack client id; 0: free */
    uint64_t ep_cap;            /* the badged endpoint capability minted for it (ipc thread) */
    uint64_t mem_cap;           /* its ring memory, 0: none */
    uint64_t ntfn_cap;          /* its notification, 0: none */
    uint8_t *ring_va;           /* where the ring memory is mapped here, or NULL */
    uint64_t ring_bytes;
    volatile uint32_t lost;     /* set by the guard: the ring memory vanished */
};

struct netsvc {
    struct net_stack stack;
    struct vnet nic;
    struct virtio_grant grant;  /* the NIC's grant (lib/virtio/aerie/pci_grant.h) */
    struct virtio_platform platform;
    struct net_config cfg;
    bool have_nic;
    uint64_t irq;               /* the NIC's IRQ, 0: poll with a timer */
    uint64_t ntfn;              /* the service's notification */
    uint64_t client_kick_cap;   /* a copy badged SVC_CLIENT, given to every client */
    uint64_t server_ep;         /* "net.server", unbadged */
    uint64_t guard_ep;          /* the poller's fault handler */
    uint64_t epoch;             /* one per instance (persist.c): a client's badge is epoch << 32 | id */
    bool fresh_table;           /* persist.c made its table now: nothing to take over */
    struct session sessions[NET_MAX_CLIENTS];
    volatile uint32_t any_lost;
    /* the mailbox: state 0 empty, 1 posted, 2 done */
    volatile uint32_t mb_state;
    void (*mb_fn)(struct netsvc *s, void *arg);
    void *mb_arg;
};

/* main.c: runs fn(s, arg) on the poller between two polls and waits for it. */
void run_in_poller(struct netsvc *s, void (*fn)(struct netsvc *, void *), void *arg);
/* The session a stack client id names (its slot). */
/* The session of a client id, or NULL if its slot is out of range (ids
 * come from badges and request words: never trust them to index). */
struct session *session_of(struct netsvc *s, uint32_t id);

/* server.c: the ipc thread's body. */
void *ipc_thread(void *arg);

/* guard.c: the guard thread's body. */
void *guard_thread(void *arg);

/* persist.c: what outlives an instance (docs/RESTART.md, "net"): a table in
 * memory root keeps, and the capabilities root's keeper holds for it. */
enum kept_kind { KEPT_EP, KEPT_MEM, KEPT_NTFN, KEPT_KINDS };
/* Finds or makes the table, and sets s->epoch (never one used before). */
void persist_start(struct netsvc *s);
/* Makes the last instance's clients again, with their rings and ports. */
unsigned persist_restore(struct netsvc *s);
/* Root's keeper holds cap for the client in slot (replacing one held), or lets go. */
void persist_keep(unsigned slot, enum kept_kind kind, uint64_t cap);
void persist_unkeep(unsigned slot, enum kept_kind kind);
/* Records: a client added (ipc thread, after its capability is kept), one
 * removed (poller, before the stack forgets it), its rings (nslots 0: none),
 * a UDP port's owner (poller: slot + 1, 0: unbound). */
void persist_client_added(struct netsvc *s, struct session *se, const struct net_grant *g, unsigned n,
                          unsigned conns);
void persist_client_removed(struct netsvc *s, unsigned slot);
void persist_rings(unsigned slot, uint32_t nslots, uint64_t ring_bytes, uint64_t tcp_bytes, uint32_t socks);
void persist_port(uint16_t port, unsigned owner);

#endif
