/*
 * stats.c — the names of the counters in struct net_stats, so the glue and
 * the tools print them the same way (docs/NET.md explains each).
 */
#include "proto.h"

#define STAT(field) { #field, offsetof(struct net_stats, field) }

const struct net_stat_name net_stat_names[] = {
    STAT(rx_frames),
    STAT(rx_bytes),
    STAT(tx_frames),
    STAT(tx_bytes),
    STAT(eth_runt),
    STAT(eth_oversize),
    STAT(eth_not_ours),
    STAT(eth_multicast),
    STAT(eth_bad_src),
    STAT(eth_unknown_type),
    STAT(arp_malformed),
    STAT(arp_spoof),
    STAT(arp_bad_addr),
    STAT(arp_not_for_us),
    STAT(arp_unsolicited),
    STAT(arp_requests_rx),
    STAT(arp_replies_rx),
    STAT(arp_requests_tx),
    STAT(arp_replies_tx),
    STAT(arp_cache_evict),
    STAT(arp_cache_full),
    STAT(arp_pending_full),
    STAT(arp_unresolved),
    STAT(arp_expired),
    STAT(ip_truncated),
    STAT(ip_bad_version),
    STAT(ip_bad_ihl),
    STAT(ip_bad_checksum),
    STAT(ip_bad_length),
    STAT(ip_fragment),
    STAT(ip_ttl_zero),
    STAT(ip_bad_src),
    STAT(ip_not_ours),
    STAT(ip_unknown_proto),
    STAT(ip_no_route),
    STAT(icmp_truncated),
    STAT(icmp_bad_checksum),
    STAT(icmp_broadcast),
    STAT(icmp_other),
    STAT(icmp_echo_rx),
    STAT(icmp_echo_tx),
    STAT(icmp_unreach_tx),
    STAT(icmp_unreach_limited),
    STAT(udp_truncated),
    STAT(udp_bad_length),
    STAT(udp_bad_checksum),
    STAT(udp_bad_port),
    STAT(udp_no_port),
    STAT(udp_delivered),
    STAT(udp_sent),
    STAT(client_ring_full),
    STAT(client_no_ring),
    STAT(client_ring_corrupt),
    STAT(client_tx_denied),
    STAT(client_tx_invalid),
    STAT(tx_dev_full),
};

const unsigned net_stat_count = sizeof net_stat_names / sizeof net_stat_names[0];

_Static_assert(sizeof net_stat_names / sizeof net_stat_names[0] ==
               sizeof(struct net_stats) / sizeof(uint64_t),
               "every counter has a name");
