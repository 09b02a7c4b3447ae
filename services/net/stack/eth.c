/*
 * eth.c — the stack's entry and exit: net_init, net_rx (Ethernet input:
 * keep frames for our MAC or broadcast, hand ARP and IPv4 on), and the
 * staging batch of outgoing frames that net_flush hands to the device in
 * one tx_batch call.
 */
#include "proto.h"

const uint8_t eth_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static bool netmask_valid(uint32_t m)
{
    uint32_t inv = ~m;
    return m != 0 && (inv & (inv + 1)) == 0;     /* ones then zeros */
}

static int config_check(const struct net_config *c)
{
    if (!c->ip || !netmask_valid(c->netmask) || mac_is_group(c->mac) || mac_is_zero(c->mac))
        return AE_EINVAL;
    if (ipv4_is_multicast_or_reserved(c->ip) || ipv4_is_loopback(c->ip))
        return AE_EINVAL;
    if (c->gateway && ((c->gateway ^ c->ip) & c->netmask))
        return AE_EINVAL;                        /* the gateway must be a neighbour */
    if (c->gateway == c->ip || c->unreach_per_sec > NET_UNREACH_MAX_RATE)
        return AE_EINVAL;
    return 0;
}

int net_init(struct net_stack *s, const struct net_config *cfg,
             const struct net_dev_ops *ops, void *dev, const struct net_hooks *hooks)
{
    if (!s || !cfg || !ops || !ops->tx_batch || config_check(cfg))
        return AE_EINVAL;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->ops = ops;
    s->dev = dev;
    if (hooks)
        s->hooks = *hooks;
    s->unreach_tokens = (uint64_t)cfg->unreach_per_sec * NS_PER_SEC;
    s->tcp_secret[0] = cfg->secret[0];
    s->tcp_secret[1] = cfg->secret[1];
    arp_init(s);
    tcp_init(s);
    return 0;
}

void net_rx(struct net_stack *s, const uint8_t *f, size_t len, uint64_t now_ns)
{
    s->now = now_ns;
    s->stats.rx_frames++;
    s->stats.rx_bytes += len;
    if (len < NET_ETH_HLEN) {
        s->stats.eth_runt++;
        return;
    }
    if (len > NET_FRAME_MAX) {
        s->stats.eth_oversize++;
        return;
    }
    const uint8_t *dst = f, *src = f + 6;
    if (!mac_is_broadcast(dst)) {
        if (mac_is_group(dst)) {
            s->stats.eth_multicast++;
            return;
        }
        if (memcmp(dst, s->cfg.mac, 6)) {
            s->stats.eth_not_ours++;
            return;
        }
    }
    if (mac_is_group(src) || mac_is_zero(src) || !memcmp(src, s->cfg.mac, 6)) {
        s->stats.eth_bad_src++;
        return;
    }
    switch (get16(f + 12)) {
    case ETH_TYPE_ARP:
        arp_input(s, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
        break;
    case ETH_TYPE_IPV4:
        ipv4_input(s, f + NET_ETH_HLEN, len - NET_ETH_HLEN, mac_is_broadcast(dst));
        break;
    default:
        s->stats.eth_unknown_type++;
    }
}

/* The device's buffer if it lends one (the frame then leaves without
 * another copy: with 1472-byte datagrams that copy was a fifth of the
 * service's work per datagram), else ours. */
uint8_t *eth_tx_begin(struct net_stack *s)
{
    if (s->ntx == NET_TX_BATCH)
        eth_tx_flush(s);
    uint8_t *f = s->ops->tx_frame ? s->ops->tx_frame(s->dev, s->ntx) : NULL;
    return f ? f : s->txbuf[s->ntx];
}

void eth_tx_commit(struct net_stack *s, uint8_t *frame, const uint8_t dst[6], uint16_t type,
                   size_t len)
{
    if (len > NET_FRAME_MAX) {           /* a caller's bug: never past the slot */
        s->stats.tx_oversize++;
        return;
    }
    memcpy(frame, dst, 6);
    memcpy(frame + 6, s->cfg.mac, 6);
    put16(frame + 12, type);
    if (len < ETH_MIN_FRAME) {
        memset(frame + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    s->txframes[s->ntx].data = frame;
    s->txframes[s->ntx].len = (uint16_t)len;
    s->ntx++;
}

void eth_tx_flush(struct net_stack *s)
{
    unsigned n = s->ntx;
    if (!n)
        return;
    s->ntx = 0;
    unsigned took = s->ops->tx_batch(s->dev, s->txframes, n);
    if (took > n)
        took = n;
    for (unsigned i = 0; i < took; i++)
        s->stats.tx_bytes += s->txframes[i].len;
    s->stats.tx_frames += took;
    s->stats.tx_dev_full += n - took;
}

void net_flush(struct net_stack *s)
{
    client_publish_all(s);
    eth_tx_flush(s);
}

void net_get_stats(const struct net_stack *s, struct net_stats *out)
{
    *out = s->stats;
}
