/*
 * poll.c — one round of the service loop, independent of the OS: timers,
 * a batch of received frames, the packets we sent ourselves last round
 * (loop.c), the clients' TCP news, a bounded share of
 * every client's TX ring, TCP's output, then one flush (one tx_batch, one
 * publish per client).
 * docs/NET.md shows the loop the OS glue wraps around it.
 */
#include "proto.h"

unsigned net_poll(struct net_stack *s, uint64_t now_ns)
{
    unsigned work = 0;
    s->now = now_ns;
    client_idle_end(s);
    arp_timers(s);
    tcp_timers(s);
    ipfrag_timers(s);
    if (s->ops->rx_batch) {
        unsigned n = s->ops->rx_batch(s->dev, s->rxframes, NET_RX_BATCH);
        if (n > NET_RX_BATCH)
            n = NET_RX_BATCH;
        for (unsigned i = 0; i < n; i++)
            net_rx(s, s->rxframes[i].data, s->rxframes[i].len, now_ns);
        if (n && s->ops->rx_release)
            s->ops->rx_release(s->dev);
        work += n;
    }
    work += lo_input_all(s);                      /* what we sent ourselves last round */
    tcp_poll_news(s, &work);
    unsigned room = s->ops->tx_room ? s->ops->tx_room(s->dev) : ~0u;
    room = room > s->ntx ? room - s->ntx : 0;     /* frames already staged take room too */
    unsigned udp = client_drain_all(s, room);
    work += udp;
    work += tcp_output_all(s, room - udp);
    net_flush(s);
    return work;
}
