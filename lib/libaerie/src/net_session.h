/*
 * net_session.h — the program's one session with the net service, shared
 * by the files that implement libaerie/net.h: net_client.c (opening it,
 * the datagram rings, waiting) and tcp_client.c (TCP sockets in the
 * socket area). Not part of libaerie's interface.
 */
#ifndef LIBAERIE_NET_SESSION_H
#define LIBAERIE_NET_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <aerie/nettcp.h>
#include "netring.h"

#define AE_TCP_MEM_DEFAULT (1024u * 1024u)   /* buffer bytes of the socket area, at least */
#define AE_TCP_CONN_BYTES  (64u * 1024u)     /* a connection's default receive and send buffers */

struct ae_net_session {
    bool open;
    volatile bool dead;                  /* the service no longer knows us (it restarted) */
    uint64_t ep;                         /* "net", badged for us */
    uint64_t ntfn;                       /* ours */
    uint64_t kick;                       /* the service's, signal-only */
    uint64_t mem;
    void *va;
    uint64_t bytes;
    struct netring tx, rx;
    struct nettcp_area *tcp;             /* the socket area, NULL: no TCP */
    uint32_t tcp_socks;
    uint64_t tcp_bytes;
};

extern struct ae_net_session ae__net;

/* One request: words in w[0..nw), reply words to out[0..nout). */
int ae__net_call(uint64_t label, const uint64_t *w, unsigned nw, uint64_t *out, unsigned nout);
/* Part of ae_net_arm: asks the service to signal us on TCP news; false
 * if there is news already (do not sleep). */
bool ae__tcp_arm(void);

#endif
